/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Processing module: the node's measurement cycle.
 *
 * Sample blocks (sampling module) are assembled into overlapping windows of
 * VMON_FEAT_WINDOW samples, one window per VMON_FEAT_HOP new samples; every window goes
 * through features (CMSIS-DSP q31), input quantization and the int8 model (TFLM), then the
 * decision module. The results are published on zbus:
 *
 *   VMON_WINDOW_CHAN  struct vmon_window_msg  every window (predictions, scores, state)
 *   VMON_EVENT_CHAN   struct vmon_event_msg   a decision change, a sensor or model fault,
 *                                             a finished baseline
 *   VMON_STATUS_CHAN  struct vmon_status_msg  every CONFIG_VMON_PROCESSING_STATUS_WINDOWS
 *                                             windows: state, scores, counters, costs
 *
 * The reporting modules (console on QEMU; BLE, LoRaWAN later) subscribe to them; a
 * listener runs in the processing thread and must not block.
 *
 * Bad input never stops the cycle: a window with clipped or constant samples, a model
 * that did not load, is not the build's or was trained on other features puts the decision
 * on its rule-based fallback (velocity zones) and is reported as a fault event once per
 * episode. A gap in the block sequence (lost or missing blocks) restarts the window.
 *
 * Requires CONFIG_VMON_PROCESSING (which brings in sampling, features, TFLM, decision).
 */

#ifndef VMON_PROCESSING_H_
#define VMON_PROCESSING_H_

#include <stdbool.h>
#include <stdint.h>

#include <zephyr/zbus/zbus.h>

#include "decision.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Pipeline stages whose cost is measured (timing_functions). */
enum vmon_stage {
	VMON_STAGE_ACQUIRE,   /**< block -> window buffer, input checks */
	VMON_STAGE_FEATURES,  /**< vmon_features_compute() */
	VMON_STAGE_INFERENCE, /**< vmon_model_quantize() + vmon_model_run() */
	VMON_STAGE_DECISION,  /**< vmon_decision_update() */
	VMON_STAGE_COUNT,
};

/** Result of one window. */
struct vmon_window_msg {
	uint32_t window;          /**< windows since start, from 0 */
	uint32_t last_block_seq;  /**< sequence number of the window's last block */
	int8_t scores[VMON_LABEL_COUNT]; /**< int8 model outputs (valid if model_ran) */
	bool model_ran;
	struct vmon_decision_output decision;
	int32_t velocity_feature; /**< raw Q8 log2 velocity feature */
};

enum vmon_event_type {
	VMON_EVENT_STATE,         /**< decision state changed */
	VMON_EVENT_SENSOR_FAULT,  /**< clipped/constant samples, bad frames, lost blocks */
	VMON_EVENT_SENSOR_OK,     /**< input good again after a sensor fault */
	VMON_EVENT_MODEL_FAULT,   /**< model unavailable, invalid or mismatched (rules only), or
				   *   the partition's signed model refused (built-in runs) */
	VMON_EVENT_BASELINE,      /**< a commissioning baseline was learned and stored */
	/* 5 is the reporting module's reset event (payload schema, enum event_kind). */
	VMON_EVENT_MODEL_UPDATE = VMON_EVENT_BASELINE + 2, /**< an update's model now runs;
							     *   detail: its version */
};

/** Sensor fault causes (vmon_event_msg.detail of VMON_EVENT_SENSOR_FAULT). */
#define VMON_SENSOR_SATURATED BIT(0)
#define VMON_SENSOR_STUCK     BIT(1)
#define VMON_SENSOR_BAD_FRAME BIT(2) /**< replay frames with a bad CRC or length */
#define VMON_SENSOR_LOST      BIT(3) /**< sequence gaps or overruns */
/** The sensor itself: absent, bus errors, FIFO overflow, interrupt line trouble or no data
 *  (vmon_sampling_stats says which); reported even when no window completes. */
#define VMON_SENSOR_DEVICE    BIT(4)

struct vmon_event_msg {
	enum vmon_event_type type;
	uint32_t window;
	enum vmon_decision_state state;
	enum vmon_fault fault;
	enum vmon_fault_source fault_source;  /**< where @ref fault comes from */
	uint16_t fault_confidence_permille;   /**< of the named type (0: none or unknown) */
	/** STATE: decision fallback bits; SENSOR_*: VMON_SENSOR_* bits; MODEL_FAULT: -errno
	 *  or VMON_DECISION_FB_* bits; BASELINE: windows learned. */
	int32_t detail;
};

/** Counters since start. */
struct vmon_processing_counters {
	uint32_t blocks;          /**< blocks consumed */
	uint32_t windows;         /**< windows processed */
	uint32_t restarts;        /**< window restarts after a sequence gap */
	uint32_t saturated;       /**< windows with clipped samples */
	uint32_t stuck;           /**< windows of constant samples */
	uint32_t fallback;        /**< windows decided by the rules only */
	uint32_t model_errors;    /**< failed inferences */
	uint32_t dropped;         /**< blocks the processing queue could not take */
};

struct vmon_processing_cost {
	uint32_t mean_ns; /**< mean over the last status period */
	uint32_t max_ns;  /**< maximum over the last status period */
	uint64_t mean_cycles;
};

/** Periodic status record. */
struct vmon_status_msg {
	uint32_t window;
	struct vmon_decision_output last;   /**< decision of the latest window */
	struct vmon_processing_counters counters;
	uint32_t overruns;                  /**< sampling: blocks lost to a full pool */
	uint32_t bad_frames;                /**< sampling: bad CRC + bad length */
	uint32_t seq_missing;               /**< sampling: blocks missing in sequence gaps */
	int model_err;                      /**< 0, or why a model is not used (-errno): the
					     *   one that runs, or the partition's refused */
	struct vmon_processing_cost cost[VMON_STAGE_COUNT];
};

ZBUS_CHAN_DECLARE(VMON_WINDOW_CHAN, VMON_EVENT_CHAN, VMON_STATUS_CHAN);

/**
 * @brief Measure now rather than at the next interval (CONFIG_VMON_PROCESSING_CYCLE_S > 0;
 * e.g. on a wake-on-motion interrupt). Any context. No effect while measuring.
 */
void vmon_processing_measure_now(void);

/**
 * Start the cycle: features, model (its hash and feature config checked), decision, then
 * sampling. A model problem is not an error here (the node runs on rules, see
 * status.model_err); a sampling source that does not start is.
 * -EALREADY if running.
 */
int vmon_processing_start(void);

/** The latest status (also between periodic records). -EAGAIN before the first window. */
int vmon_processing_status_get(struct vmon_status_msg *st);

/**
 * Have the processing thread stop its model and start the model store's choice again
 * (between two sample blocks, so that no window runs a model being replaced), as at boot: a
 * refusal is reported as a model_fault event. Waits up to @p timeout.
 * @return the new start's model error (0: a model runs), -EAGAIN before the cycle started,
 *         -ETIMEDOUT.
 */
int vmon_processing_model_reload(k_timeout_t timeout);

const char *vmon_stage_str(enum vmon_stage s);
const char *vmon_event_type_str(enum vmon_event_type t);

#ifdef __cplusplus
}
#endif

#endif /* VMON_PROCESSING_H_ */
