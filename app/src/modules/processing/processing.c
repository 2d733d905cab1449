/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Processing module: blocks -> windows -> features -> model -> decision -> zbus.
 *
 * One thread runs a small state machine (SMF):
 *
 *   START --> FILL <--> WINDOW
 *     |
 *     +--> HALTED (the sampling source did not start)
 *
 *   START   brings up features, model and decision, checks the model against the
 *           build's features, starts sampling.
 *   FILL    waits for a block, appends its samples (one axis) to the window buffer;
 *           a sequence gap restarts the window. A full window goes to WINDOW.
 *   WINDOW  computes the window's result, publishes it, slides the window by one hop.
 *
 * Blocks arrive from the sampling callback (ISR or work queue) through a message queue as
 * deep as the sampling pool, so the queue itself never drops one; when processing falls
 * behind, the sampling module counts overruns.
 */

#include <errno.h>
#include <math.h>
#include <string.h>

#include <zephyr/kernel.h>
#include <zephyr/logging/log.h>
#include <zephyr/smf.h>
#include <zephyr/sys/util.h>
#include <zephyr/timing/timing.h>
#include <zephyr/zbus/zbus.h>

#include <vmon/features.h>
#include <vmon/model.h>

#include "battery.h"
#include "capture.h"
#include "decision.h"
#include "health.h"
#include "machine.h"
#include "model_store.h"
#include "processing.h"
#include "sampling.h"
#include "vmon_model_config.h"

LOG_MODULE_REGISTER(vmon_processing, CONFIG_VMON_PROCESSING_LOG_LEVEL);

/* The model must be the one the build's feature pipeline feeds: checked at build time for
 * the shapes and sampling rate, at run time for the feature-config hash. */
BUILD_ASSERT(VMON_FEAT_N_FEATURES == VMON_MODEL_N_INPUTS, "features feed the model");
BUILD_ASSERT(VMON_MODEL_N_OUTPUTS == VMON_LABEL_COUNT, "one score per decision label");
BUILD_ASSERT(VMON_FEAT_N_FEATURES <= VMON_DECISION_FEATURES_MAX, "baseline capacity");
BUILD_ASSERT(CONFIG_VMON_SAMPLING_RATE_HZ == VMON_FEAT_FS_HZ,
	     "CONFIG_VMON_SAMPLING_RATE_HZ must equal the model's feature sampling rate");
/* The tooling's rule (vmon.dsp.sensors): a path is usable up to 80 % of its first cut-off,
 * and the model's bands must stay there. An analog path filtered below Nyquist needs a model
 * trained for it (invoke retrain --fs-hz). */
BUILD_ASSERT(5 * VMON_FEAT_F_MAX_HZ <= 4 * VMON_SAMPLING_BANDWIDTH_HZ,
	     "the model's band plan reaches beyond the sampling path's usable bandwidth");
BUILD_ASSERT(VMON_SAMPLING_FULL_SCALE_MG == VMON_FEAT_FULL_SCALE_MG,
	     "the sensor's full scale must be the feature configuration's");
BUILD_ASSERT(VMON_FEAT_HOP % VMON_SAMPLING_BLOCK_LEN == 0,
	     "the block length must divide the feature hop");
BUILD_ASSERT(VMON_FEAT_HOP > 0 && VMON_FEAT_HOP <= VMON_FEAT_WINDOW, "hop within the window");
BUILD_ASSERT(CONFIG_VMON_PROCESSING_AXIS < VMON_SAMPLING_AXES,
	     "CONFIG_VMON_PROCESSING_AXIS must be one of the sampled axes");

/* Velocity is the last feature (include/vmon/features.h). */
#define VEL_INDEX (VMON_FEAT_N_FEATURES - 1)

ZBUS_CHAN_DEFINE(VMON_WINDOW_CHAN, struct vmon_window_msg, NULL, NULL, ZBUS_OBSERVERS_EMPTY,
		 ZBUS_MSG_INIT(0));
ZBUS_CHAN_DEFINE(VMON_EVENT_CHAN, struct vmon_event_msg, NULL, NULL, ZBUS_OBSERVERS_EMPTY,
		 ZBUS_MSG_INIT(0));
ZBUS_CHAN_DEFINE(VMON_STATUS_CHAN, struct vmon_status_msg, NULL, NULL, ZBUS_OBSERVERS_EMPTY,
		 ZBUS_MSG_INIT(0));

K_MSGQ_DEFINE(block_q, sizeof(struct vmon_sampling_block *), CONFIG_VMON_SAMPLING_BUFFERS, 4);

/* Duty cycle: a measurement asked for before its time (vmon_processing_measure_now()). */
#define CYCLE_MS      ((int64_t)CONFIG_VMON_PROCESSING_CYCLE_S * MSEC_PER_SEC)
#if CONFIG_VMON_PROCESSING_CYCLE_S > 0
#define BURST_WINDOWS CONFIG_VMON_PROCESSING_BURST_WINDOWS
#else
#define BURST_WINDOWS 0
#endif
static K_SEM_DEFINE(wake_sem, 0, 1);
static atomic_t wake_req;
/* Motion reported while asleep (CONFIG_VMON_PROCESSING_WAKE_ON_MOTION). */
static atomic_t motion;

/* How much longer the interval is on a low battery (1: as configured; the battery module's
 * stub without it). Read at each burst's end, so a level change applies from the next. */
static int64_t cycle_scale(void)
{
	return (int64_t)vmon_battery_interval_scale();
}

static const char *const labels[] = VMON_MODEL_LABELS;

enum proc_state {
	PROC_START,
	PROC_FILL,
	PROC_WINDOW,
	PROC_SLEEP,
	PROC_HALTED,
};

struct stage_acc {
	uint64_t cycles;
	uint64_t max_cycles;
	uint32_t n;
};

struct proc {
	struct smf_ctx smf; /* first: SMF_CTX() casts */
	struct vmon_sampling_block *block;
	bool need_block;

	int16_t window[VMON_FEAT_WINDOW];
	size_t fill;
	bool have_seq;
	bool after_gap; /* the next window is the first after a restart */
	uint32_t next_seq;
	uint32_t last_seq;
	/* Smallest and largest sample of each hop now in the window: the input checks
	 * (clipped, constant) without a second pass over the window. */
	int16_t hop_lo[VMON_FEAT_WINDOW / VMON_FEAT_HOP];
	int16_t hop_hi[VMON_FEAT_WINDOW / VMON_FEAT_HOP];

	int32_t features[VMON_FEAT_N_FEATURES];
	int8_t q[VMON_MODEL_N_INPUTS];
	uint32_t model_flags; /* VMON_DECISION_FB_* for the model, fixed at start */
	uint32_t sensor_faults; /* VMON_SENSOR_* active */
	struct vmon_sampling_stats last_sampling;

	struct stage_acc acc[VMON_STAGE_COUNT];
	bool was_learning;
	struct vmon_processing_counters counters;
	int model_err;
	bool model_started; /* model_start() ran: a reload may stop and start it again */

	/* Duty cycle (CONFIG_VMON_PROCESSING_CYCLE_S > 0): windows in this burst, its start, the
	 * next measurement. */
	uint32_t burst_windows;
	int64_t burst_start_ms;
	bool early; /* this burst was brought forward by motion */
	int64_t wake_ms;
};

static struct proc p;

/* Shared with the shell (vmon_processing_status_get) under the lock. */
static K_MUTEX_DEFINE(status_lock);
static struct vmon_status_msg status;
static bool status_valid;
static atomic_t started;
static atomic_t dropped; /* incremented in the sampling callback's context */

static const struct smf_state states[];

/* ------------------------------------------------------------------ helpers */

static void publish_event(enum vmon_event_type type, int32_t detail,
			  const struct vmon_decision_output *d)
{
	struct vmon_event_msg ev = {
		.type = type,
		.window = p.counters.windows,
		.state = d != NULL ? d->state : VMON_DECISION_NORMAL,
		.fault = d != NULL ? d->fault : VMON_FAULT_NONE,
		.fault_source = d != NULL ? d->fault_source : VMON_FAULT_SOURCE_NONE,
		.fault_confidence_permille = d != NULL ? d->fault_confidence_permille : 0U,
		.detail = detail,
	};
	int err = zbus_chan_pub(&VMON_EVENT_CHAN, &ev, K_MSEC(100));

	if (err != 0) {
		LOG_WRN("event %s not published (%d)", vmon_event_type_str(type), err);
	}
}

/* The per-stage clock (Kconfig VMON_PROCESSING_COST): timing_functions on hardware, the
 * system timer on QEMU (no DWT there; -icount makes it count instructions). */
typedef uint64_t cost_t;

static inline cost_t cost_now(void)
{
	if (IS_ENABLED(CONFIG_VMON_PROCESSING_COST_SYS_CLOCK)) {
		return k_cycle_get_32();
	}
	return (cost_t)timing_counter_get();
}

static inline uint64_t cost_cycles(cost_t t0, cost_t t1)
{
	if (IS_ENABLED(CONFIG_VMON_PROCESSING_COST_SYS_CLOCK)) {
		return (uint32_t)((uint32_t)t1 - (uint32_t)t0);
	}
	timing_t a = (timing_t)t0, b = (timing_t)t1;

	return timing_cycles_get(&a, &b);
}

static inline uint64_t cost_ns(uint64_t cycles)
{
	if (IS_ENABLED(CONFIG_VMON_PROCESSING_COST_SYS_CLOCK)) {
		return k_cyc_to_ns_floor64(cycles);
	}
	return timing_cycles_to_ns(cycles);
}

static void stage_add(enum vmon_stage s, cost_t t0, cost_t t1)
{
	uint64_t c = cost_cycles(t0, t1);
	struct stage_acc *a = &p.acc[s];

	a->cycles += c;
	a->max_cycles = MAX(a->max_cycles, c);
	a->n++;
}

static void on_block(struct vmon_sampling_block *block, void *user_data)
{
	ARG_UNUSED(user_data);

	/* As deep as the pool: only fails if the pool and the queue disagree. */
	if (k_msgq_put(&block_q, &block, K_NO_WAIT) != 0) {
		(void)vmon_sampling_release(block);
		atomic_inc(&dropped);
	}
}

/* Start a model: the model store's choice (the partition's signed model, else the built-in
 * one) or the built-in one. 0, or the error to report: why no model runs (model_flags say
 * which fallback), or why the partition's model was refused while the built-in one runs. */
static int model_start(void)
{
	struct vmon_model_store_status store = {0};
	int err;

	if (IS_ENABLED(CONFIG_VMON_MODEL_STORE)) {
		err = vmon_model_store_activate(&store);
	} else {
		err = vmon_model_init();
	}
	if (err != 0) {
		LOG_ERR("model not loaded (%d): deciding on velocity zones only", err);
		p.model_flags = err == -EBADMSG || err == -ENOTSUP || err == -EINVAL
					? VMON_DECISION_FB_MODEL_INVALID
					: VMON_DECISION_FB_MODEL_UNAVAILABLE;
		return err;
	}
	err = vmon_model_check_feature_hash(vmon_features_hash());
	if (err != 0) {
		LOG_ERR("model trained on other features: deciding on velocity zones only");
		p.model_flags = VMON_DECISION_FB_HASH_MISMATCH;
		return err;
	}
	p.model_flags = 0;
	return store.partition_err == -ENOENT ? 0 : store.partition_err;
}

/* Sampling faults since the last window: bad frames and lost blocks. */
static uint32_t sampling_faults(struct vmon_status_msg *st)
{
	struct vmon_sampling_stats s;
	uint32_t faults = 0;

	vmon_sampling_stats_get(&s);
	if (s.bad_crc + s.bad_length != p.last_sampling.bad_crc + p.last_sampling.bad_length) {
		faults |= VMON_SENSOR_BAD_FRAME;
	}
	if (s.overruns != p.last_sampling.overruns || s.seq_gaps != p.last_sampling.seq_gaps) {
		faults |= VMON_SENSOR_LOST;
	}
	if (s.fault_state != 0U || s.faults != p.last_sampling.faults) {
		faults |= VMON_SENSOR_DEVICE;
	}
	p.last_sampling = s;
	st->overruns = s.overruns;
	st->bad_frames = s.bad_crc + s.bad_length;
	st->seq_missing = s.seq_missing;
	return faults;
}

/* A sampling fault in force while no window reports it: mark @p flags and publish a
 * sensor_fault event (the next good window reports sensor_ok). */
static void report_sampling_fault(uint32_t flags, const char *when)
{
	struct vmon_sampling_stats s;
	struct vmon_decision_output last;

	if ((p.sensor_faults & VMON_SENSOR_DEVICE) != 0U) {
		return;
	}
	vmon_sampling_stats_get(&s);
	if (s.fault_state == 0U) {
		return;
	}
	(void)k_mutex_lock(&status_lock, K_FOREVER);
	last = status.last;
	k_mutex_unlock(&status_lock);
	p.sensor_faults |= flags;
	LOG_WRN("sensor fault 0x%x %s", s.fault_state, when);
	publish_event(VMON_EVENT_SENSOR_FAULT, (int32_t)p.sensor_faults, &last);
}

/* No block for a health period: a sensor that stopped delivering completes no window, so
 * its fault is reported from here. */
static void idle_sensor_check(void)
{
	if (vmon_sampling_is_running()) {
		report_sampling_fault(VMON_SENSOR_DEVICE | VMON_SENSOR_LOST, "(no samples)");
	}
}

/* Per-stage cost into the status: at the end of a period (then the accumulators restart),
 * and after every window until the first period is complete, so `vmon stats` has figures
 * from the first window on. */
static void status_costs(struct vmon_status_msg *st, bool close)
{
	for (int s = 0; s < VMON_STAGE_COUNT; s++) {
		struct stage_acc *a = &p.acc[s];

		if (a->n == 0) {
			continue;
		}
		st->cost[s].mean_cycles = a->cycles / a->n;
		st->cost[s].mean_ns = (uint32_t)cost_ns(a->cycles / a->n);
		st->cost[s].max_ns = (uint32_t)cost_ns(a->max_cycles);
		if (close) {
			*a = (struct stage_acc){0};
		}
	}
}

/* The inverse of the Q8 log2 (integer part e, mantissa bits m), as
 * vmon.dsp.features.velocity_from_feature. */
static float velocity_mm_s(int32_t v)
{
	int e = v >> VMON_FEAT_LOG2_FRAC_BITS;
	float m = (float)(v & ((1 << VMON_FEAT_LOG2_FRAC_BITS) - 1)) /
		  (float)(1 << VMON_FEAT_LOG2_FRAC_BITS);

	return VMON_FEAT_VELOCITY_MM_S_SCALE * sqrtf(ldexpf(1.0f + m, e));
}

/* ------------------------------------------------------------------ states */

static void start_run(void *o)
{
	ARG_UNUSED(o);
	int err;
	const struct vmon_decision_config cfg = {
		.n_features = VMON_FEAT_N_FEATURES,
		.score_zero_point = VMON_MODEL_OUTPUT_ZERO_POINT,
		.score_scale = VMON_MODEL_OUTPUT_SCALE,
		.feature_hash = VMON_FEAT_HASH,
		.labels = labels,
		.n_labels = ARRAY_SIZE(labels),
	};

	if (IS_ENABLED(CONFIG_VMON_PROCESSING_COST_TIMING_FUNCTIONS)) {
		timing_init();
		timing_start();
	}
	err = vmon_features_init();
	if (err != 0) {
		/* Cannot happen for a build whose window length CMSIS-DSP supports. */
		LOG_ERR("features init failed (%d)", err);
		smf_set_state(SMF_CTX(&p), &states[PROC_HALTED]);
		return;
	}
	p.model_err = model_start();
	p.model_started = true;
	if (IS_ENABLED(CONFIG_VMON_MACHINE)) {
		/* Not fatal: without a stored profile the typing names no bearing fault. */
		(void)vmon_machine_init();
	}
	err = vmon_decision_init(&cfg);
	if (err != 0) {
		LOG_ERR("decision init failed (%d)", err);
		smf_set_state(SMF_CTX(&p), &states[PROC_HALTED]);
		return;
	}
	if (p.model_err != 0) {
		publish_event(VMON_EVENT_MODEL_FAULT, p.model_err, NULL);
	}
	err = vmon_sampling_start(on_block, NULL);
	if (err != 0) {
		LOG_ERR("sampling did not start (%d)", err);
		smf_set_state(SMF_CTX(&p), &states[PROC_HALTED]);
		return;
	}
	p.burst_start_ms = k_uptime_get();
	LOG_INF("processing: window %d, hop %d, %d features, model %s", VMON_FEAT_WINDOW,
		VMON_FEAT_HOP, VMON_FEAT_N_FEATURES, p.model_flags == 0 ? VMON_MODEL_NAME : "off");
	smf_set_state(SMF_CTX(&p), &states[PROC_FILL]);
}

static void fill_entry(void *o)
{
	ARG_UNUSED(o);
	p.need_block = true;
}

static void fill_run(void *o)
{
	ARG_UNUSED(o);
	struct vmon_sampling_block *b = p.block;
	cost_t t0 = cost_now();

	p.block = NULL;
	p.counters.blocks++;
	if (p.have_seq && b->seq != p.next_seq) {
		/* Samples are missing: a window across the gap would mix two signals. */
		p.fill = 0;
		p.counters.restarts++;
		p.after_gap = true;
	}
	p.have_seq = true;
	p.next_seq = b->seq + 1;
	p.last_seq = b->seq;

	/* Raw capture sees the block as it came (CONFIG_VMON_CAPTURE; a no-op otherwise). */
	vmon_capture_block(b);

	/* One axis out of the interleaved block, with the input checks on the way. */
	const int16_t *src = b->data + CONFIG_VMON_PROCESSING_AXIS;
	int16_t *dst = &p.window[p.fill];
	size_t hop = p.fill / VMON_FEAT_HOP;
	int16_t lo = INT16_MAX, hi = INT16_MIN;

	for (size_t i = 0; i < b->len; i++) {
		int16_t v = src[i * VMON_SAMPLING_AXES];

		dst[i] = v;
		lo = MIN(lo, v);
		hi = MAX(hi, v);
	}
	(void)vmon_sampling_release(b);

	if (p.fill % VMON_FEAT_HOP == 0) {
		p.hop_lo[hop] = lo;
		p.hop_hi[hop] = hi;
	} else {
		p.hop_lo[hop] = MIN(p.hop_lo[hop], lo);
		p.hop_hi[hop] = MAX(p.hop_hi[hop], hi);
	}
	p.fill += VMON_SAMPLING_BLOCK_LEN;
	stage_add(VMON_STAGE_ACQUIRE, t0, cost_now());
	/* A full window is processed next without waiting for another block. */
	p.need_block = p.fill != VMON_FEAT_WINDOW;
	if (!p.need_block) {
		smf_set_state(SMF_CTX(&p), &states[PROC_WINDOW]);
	}
}

static uint32_t window_input_flags(void)
{
	int16_t lo = INT16_MAX, hi = INT16_MIN;

	for (size_t h = 0; h < ARRAY_SIZE(p.hop_lo); h++) {
		lo = MIN(lo, p.hop_lo[h]);
		hi = MAX(hi, p.hop_hi[h]);
	}
	if (lo == hi) {
		return VMON_DECISION_FB_INPUT_STUCK;
	}
	/* A sample at either end of the int16 range may have been clipped. */
	return lo == INT16_MIN || hi == INT16_MAX ? VMON_DECISION_FB_INPUT_SATURATED : 0;
}

static void window_run(void *o)
{
	ARG_UNUSED(o);
	struct vmon_window_msg msg = {
		.window = p.counters.windows,
		.last_block_seq = p.last_seq,
	};
	struct vmon_decision_input in = {
		.features = p.features,
		.n_features = VMON_FEAT_N_FEATURES,
	};
	uint32_t input_flags = window_input_flags();
	cost_t t0, t1, t2, t3;
	int err;

	t0 = cost_now();
	err = vmon_features_compute(p.window, VMON_FEAT_WINDOW, p.features,
				    ARRAY_SIZE(p.features));
	t1 = cost_now();
	if (err != 0) {
		/* Only on a programming error (sizes fixed at build time). */
		LOG_ERR("features failed (%d)", err);
		in.features = NULL;
		in.n_features = 0;
		input_flags |= VMON_DECISION_FB_INPUT_RANGE;
	} else {
		/* The typing reads the window's spectrum in this thread, before the next one. */
		in.spectrum = vmon_features_spectrum();
	}
	if (err == 0 && p.model_flags == 0) {
		err = vmon_model_quantize(p.features, ARRAY_SIZE(p.features), p.q, sizeof(p.q));
		if (err == 0) {
			err = vmon_model_run(p.q, sizeof(p.q), msg.scores, sizeof(msg.scores));
		}
		if (err == 0) {
			msg.model_ran = true;
			in.scores = msg.scores;
			in.n_scores = ARRAY_SIZE(msg.scores);
		} else {
			p.counters.model_errors++;
			in.flags |= VMON_DECISION_FB_MODEL_INVALID;
		}
	}
	t2 = cost_now();

	in.flags |= p.model_flags | input_flags;
	in.after_gap = p.after_gap;
	p.after_gap = false;
	msg.velocity_feature = in.features != NULL ? p.features[VEL_INDEX] : 0;
	in.velocity_mm_s = in.features != NULL ? velocity_mm_s(msg.velocity_feature) : 0.0f;
	err = vmon_decision_update(&in, &msg.decision);
	t3 = cost_now();
	if (err != 0) {
		LOG_ERR("decision failed (%d)", err);
	}

	stage_add(VMON_STAGE_FEATURES, t0, t1);
	if (msg.model_ran) {
		stage_add(VMON_STAGE_INFERENCE, t1, t2);
	}
	stage_add(VMON_STAGE_DECISION, t2, t3);

	/* Counters and status. */
	struct vmon_decision_status dst;
	struct vmon_status_msg snapshot;
	uint32_t sensor;
	bool period;

	p.counters.windows++;
	p.counters.saturated += (input_flags & VMON_DECISION_FB_INPUT_SATURATED) != 0;
	p.counters.stuck += (input_flags & VMON_DECISION_FB_INPUT_STUCK) != 0;
	p.counters.fallback += msg.decision.fallback != 0;
	p.counters.dropped = (uint32_t)atomic_get(&dropped);
	period = p.counters.windows % CONFIG_VMON_PROCESSING_STATUS_WINDOWS == 0;

	(void)k_mutex_lock(&status_lock, K_FOREVER);
	sensor = sampling_faults(&status);
	status.window = msg.window;
	status.last = msg.decision;
	status.counters = p.counters;
	status.model_err = p.model_err;
	status_valid = true;
	if (period || p.counters.windows < CONFIG_VMON_PROCESSING_STATUS_WINDOWS) {
		status_costs(&status, period);
	}
	snapshot = status;
	k_mutex_unlock(&status_lock);

	sensor |= (input_flags & VMON_DECISION_FB_INPUT_SATURATED) ? VMON_SENSOR_SATURATED : 0;
	sensor |= (input_flags & VMON_DECISION_FB_INPUT_STUCK) ? VMON_SENSOR_STUCK : 0;

	/* Publish: the window, then what changed, then the periodic status. */
	err = zbus_chan_pub(&VMON_WINDOW_CHAN, &msg, K_MSEC(100));
	if (err != 0) {
		LOG_WRN("window %u not published (%d)", msg.window, err);
	}
	if (msg.decision.changed) {
		publish_event(VMON_EVENT_STATE, (int32_t)msg.decision.fallback, &msg.decision);
	}
	if (sensor != 0 && sensor != p.sensor_faults) {
		publish_event(VMON_EVENT_SENSOR_FAULT, (int32_t)sensor, &msg.decision);
	} else if (sensor == 0 && p.sensor_faults != 0) {
		publish_event(VMON_EVENT_SENSOR_OK, 0, &msg.decision);
	}
	p.sensor_faults = sensor;
	if (vmon_decision_get_status(&dst) == 0) {
		if (p.was_learning && !dst.learning && dst.commissioned) {
			publish_event(VMON_EVENT_BASELINE, (int32_t)dst.learned_windows,
				      &msg.decision);
		}
		p.was_learning = dst.learning;
	}
	if (period) {
		err = zbus_chan_pub(&VMON_STATUS_CHAN, &snapshot, K_MSEC(100));
		if (err != 0) {
			LOG_WRN("status not published (%d)", err);
		}
	}

	/* Slide by one hop. */
	memmove(p.window, &p.window[VMON_FEAT_HOP],
		(VMON_FEAT_WINDOW - VMON_FEAT_HOP) * sizeof(p.window[0]));
	memmove(p.hop_lo, &p.hop_lo[1], sizeof(p.hop_lo) - sizeof(p.hop_lo[0]));
	memmove(p.hop_hi, &p.hop_hi[1], sizeof(p.hop_hi) - sizeof(p.hop_hi[0]));
	p.fill = VMON_FEAT_WINDOW - VMON_FEAT_HOP;
	if (CYCLE_MS > 0 && ++p.burst_windows >= BURST_WINDOWS) {
		smf_set_state(SMF_CTX(&p), &states[PROC_SLEEP]);
		return;
	}
	smf_set_state(SMF_CTX(&p), &states[PROC_FILL]);
}

#if defined(CONFIG_VMON_PROCESSING_WAKE_ON_MOTION)
#define MOTION_MIN_MS ((int64_t)CONFIG_VMON_PROCESSING_MOTION_MIN_S * MSEC_PER_SEC)
#else
#define MOTION_MIN_MS 0
#endif

/* Sampling's wake callback (system work queue): note it, wake the thread. */
static void on_motion(void)
{
	atomic_set(&motion, 1);
	k_sem_give(&wake_sem);
}

/* Motion brings the next measurement forward, to no earlier than the floor. */
static void motion_moves_wake(void)
{
	const int64_t earliest = p.burst_start_ms + MOTION_MIN_MS;

	if (!IS_ENABLED(CONFIG_VMON_PROCESSING_WAKE_ON_MOTION)) {
		return;
	}
	const int64_t at = MAX(k_uptime_get(), earliest);

	if (at < p.wake_ms) {
		p.wake_ms = at;
		LOG_INF("processing: motion, next measurement at %u ms", (uint32_t)p.wake_ms);
	}
}

/* A fault the sampling module raised while the node slept (its wake-on-motion watch): the
 * next start clears the sampling counters, so report it now. */
static void wake_fault_check(void)
{
	if (IS_ENABLED(CONFIG_VMON_PROCESSING_WAKE_ON_MOTION)) {
		report_sampling_fault(VMON_SENSOR_DEVICE, "between measurements");
	}
}

/* Between measurements: sampling stopped (a sensor source powers the sensor down), the
 * thread asleep until the next one. The window restarts with the next burst. */
static void sleep_entry(void *o)
{
	ARG_UNUSED(o);
	struct vmon_sampling_block *b;

	(void)vmon_sampling_stop();
	while (k_msgq_get(&block_q, &b, K_NO_WAIT) == 0) {
		(void)vmon_sampling_release(b);
	}
	p.fill = 0;
	p.have_seq = false;
	p.burst_windows = 0;
	p.need_block = false;
	const int64_t scale = cycle_scale();

	p.wake_ms = p.burst_start_ms + CYCLE_MS * scale;
	LOG_INF("processing: measured %u windows, next measurement at %u ms (interval x%u)",
		BURST_WINDOWS, (uint32_t)p.wake_ms, (unsigned int)scale);
	if (IS_ENABLED(CONFIG_VMON_PROCESSING_WAKE_ON_MOTION) && !p.early) {
		atomic_clear(&motion);
		int err = vmon_sampling_wake_arm(on_motion);

		if (err != 0) {
			/* The sampling module counted and raised what failed. */
			LOG_WRN("wake-on-motion not armed (%d): on schedule only", err);
			wake_fault_check();
		}
	}
}

static void sleep_run(void *o)
{
	ARG_UNUSED(o);
	int64_t left = p.wake_ms - k_uptime_get();

	if (left > 0) {
		/* In slices the health watchdog sees: sleeping is not stuck. */
		k_timeout_t wait = K_MSEC(left);
		k_timeout_t slice = vmon_health_wait();

		if (!K_TIMEOUT_EQ(slice, K_FOREVER) && slice.ticks < wait.ticks) {
			wait = slice;
		}
		(void)k_sem_take(&wake_sem, wait);
		if (IS_ENABLED(CONFIG_VMON_PROCESSING_WAKE_ON_MOTION)) {
			if (atomic_cas(&motion, 1, 0)) {
				motion_moves_wake();
			}
			wake_fault_check();
		}
		if (k_uptime_get() < p.wake_ms && !atomic_cas(&wake_req, 1, 0)) {
			return;
		}
	}
	if (IS_ENABLED(CONFIG_VMON_PROCESSING_WAKE_ON_MOTION)) {
		p.early = p.wake_ms < p.burst_start_ms + CYCLE_MS * cycle_scale();
	}
	p.burst_start_ms = k_uptime_get();
	int err = vmon_sampling_start(on_block, NULL);

	if (err != 0) {
		/* Counted by the sampling module's own log; the next measurement tries again. */
		LOG_ERR("sampling did not start (%d): next try in %u s", err,
			CONFIG_VMON_PROCESSING_CYCLE_S);
		p.wake_ms = p.burst_start_ms + CYCLE_MS;
		return;
	}
	smf_set_state(SMF_CTX(&p), &states[PROC_FILL]);
}

static void halted_entry(void *o)
{
	ARG_UNUSED(o);
	LOG_ERR("processing halted");
	p.need_block = true; /* blocks (if any) are released unprocessed */
}

static void halted_run(void *o)
{
	ARG_UNUSED(o);
	(void)vmon_sampling_release(p.block);
	p.block = NULL;
	p.need_block = true;
}

static const struct smf_state states[] = {
	[PROC_START] = SMF_CREATE_STATE(NULL, start_run, NULL, NULL, NULL),
	[PROC_FILL] = SMF_CREATE_STATE(fill_entry, fill_run, NULL, NULL, NULL),
	[PROC_WINDOW] = SMF_CREATE_STATE(NULL, window_run, NULL, NULL, NULL),
	/* Continuous builds never enter it: leave its code out of them. */
	[PROC_SLEEP] = SMF_CREATE_STATE(CYCLE_MS > 0 ? sleep_entry : NULL,
					CYCLE_MS > 0 ? sleep_run : NULL, NULL, NULL, NULL),
	[PROC_HALTED] = SMF_CREATE_STATE(halted_entry, halted_run, NULL, NULL, NULL),
};

/* ------------------------------------------------------------------ thread */

static K_SEM_DEFINE(start_sem, 0, 1);
/* A model reload asked for by an update (vmon_processing_model_reload()). */
static atomic_t reload_req;
static K_SEM_DEFINE(reload_sem, 0, 1);
static int reload_result;

static void model_reload(void)
{
	if (!p.model_started) {
		reload_result = -EAGAIN;
	} else {
		struct vmon_model_store_status st;

		vmon_model_deinit();
		p.model_err = model_start();
		if (p.model_err != 0) {
			publish_event(VMON_EVENT_MODEL_FAULT, p.model_err, NULL);
		} else if (IS_ENABLED(CONFIG_VMON_MODEL_STORE) &&
			   vmon_model_store_status_get(&st) == 0 &&
			   st.source == VMON_MODEL_SOURCE_PARTITION) {
			/* The operator sees which model decides from now on. */
			LOG_INF("model version %u decides: event model_update",
				(unsigned int)st.version);
			publish_event(VMON_EVENT_MODEL_UPDATE, (int32_t)MIN(st.version, INT32_MAX),
				      NULL);
		}
		reload_result = p.model_err;
	}
	k_sem_give(&reload_sem);
}

static void processing_thread(void *a, void *b, void *c)
{
	ARG_UNUSED(a);
	ARG_UNUSED(b);
	ARG_UNUSED(c);

	(void)k_sem_take(&start_sem, K_FOREVER);
	/* A window that never ends resets the node; waiting for blocks is not stuck. */
	int wdt = vmon_health_wdt_add(VMON_THREAD_PROCESSING, "processing");

	smf_set_initial(SMF_CTX(&p), &states[PROC_START]);
	for (;;) {
		(void)vmon_health_wdt_feed(wdt);
		if (atomic_cas(&reload_req, 1, 0)) {
			model_reload();
		}
		if (p.need_block) {
			if (k_msgq_get(&block_q, &p.block, vmon_health_wait()) != 0) {
				idle_sensor_check();
				continue;
			}
			p.need_block = false;
		}
		(void)smf_run_state(SMF_CTX(&p));
	}
}

K_THREAD_DEFINE(vmon_processing_tid, CONFIG_VMON_PROCESSING_STACK_SIZE, processing_thread, NULL,
		NULL, NULL, CONFIG_VMON_PROCESSING_PRIORITY, 0, 0);

/* ------------------------------------------------------------------ API */

void vmon_processing_measure_now(void)
{
	atomic_set(&wake_req, 1);
	k_sem_give(&wake_sem);
}

int vmon_processing_start(void)
{
	if (!atomic_cas(&started, 0, 1)) {
		return -EALREADY;
	}
	k_sem_give(&start_sem);
	return 0;
}

int vmon_processing_model_reload(k_timeout_t timeout)
{
	k_sem_reset(&reload_sem);
	atomic_set(&reload_req, 1);
	if (k_sem_take(&reload_sem, timeout) != 0) {
		atomic_clear(&reload_req);
		return -ETIMEDOUT;
	}
	return reload_result;
}

int vmon_processing_status_get(struct vmon_status_msg *st)
{
	int err = -EAGAIN;

	if (st == NULL) {
		return -EINVAL;
	}
	(void)k_mutex_lock(&status_lock, K_FOREVER);
	if (status_valid) {
		*st = status;
		err = 0;
	}
	k_mutex_unlock(&status_lock);
	return err;
}

const char *vmon_stage_str(enum vmon_stage s)
{
	static const char *const names[] = {"acquire", "features", "inference", "decision"};

	return (unsigned int)s < ARRAY_SIZE(names) ? names[s] : "?";
}

const char *vmon_event_type_str(enum vmon_event_type t)
{
	static const char *const names[] = {
		"state", "sensor_fault", "sensor_ok", "model_fault", "baseline", "reset", "model_update",
	};

	return (unsigned int)t < ARRAY_SIZE(names) ? names[t] : "?";
}
