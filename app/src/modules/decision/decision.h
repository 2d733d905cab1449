/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Decision module: one verdict per window, commissioning first. The reference is
 * vmon.dsp.policy (Python, integer arithmetic); the two agree window by window.
 *
 * Policy (one window -> one vote):
 *
 *   zone level    A, B -> normal    C -> warning    D -> alarm     (always applied)
 *   uncommissioned (no baseline learned on this machine): vote = zone level
 *   commissioned, clean window (m = novelty_avg_q8, the mean novelty of the last
 *   VMON_DECISION_NOVELTY_AVG clean windows, fewer after a reset or a new baseline):
 *       m > threshold_q8                           -> warning
 *       m > VMON_DECISION_ALARM_FACTOR x threshold_q8 -> alarm
 *       vote = max(zone level, novelty level)
 *   A fault persists and a normal fluctuation does not: averaging before the threshold
 *   finds weak faults whose single windows straddle it.
 *
 *   A window is clean when features are passed and no input flag is set (saturated,
 *   stuck, out of range). The model's flags do not stop novelty: it scores the device's
 *   own features against the device's own baseline. The classifier never raises a state:
 *   trained on another rig, its confident fault classes are no evidence on this machine.
 *   Its top class and confidence are reported; output.fallback holds every
 *   VMON_DECISION_FB_* reason the model or the input was not usable.
 *
 *   Zone boundaries belong to the upper zone: v < AB -> A, AB <= v < BC -> B,
 *   BC <= v < CD -> C, v >= CD -> D (velocity r.m.s. rounded to whole µm/s).
 *
 * Hysteresis (N of the last M windows, 2N > M, M <= 32; CONFIG_VMON_DECISION_HYST_N and
 * _HYST_M until vmon_decision_hysteresis_set() or the settings key "vmon/dec/hyst" override
 * them): a level is entered when at least N of the last M votes are at or above
 * it, and left when at least N of them are below it; otherwise the state holds. Alarm steps
 * down to warning, not to normal, unless N votes are also below warning.
 * Fault type: VMON_FAULT_NONE while the state is normal. While raised, the physics typing's
 * voted verdict when it names a type (CONFIG_VMON_DECISION_TYPING: envelope of a resonance
 * band at the bearing's defect frequencies, typing.h; source "physics"), else the classifier's
 * class when it was validated on this machine, is at least
 * VMON_DECISION_CLASSIFIER_CONFIDENCE_PERMILLE confident and the typing has no period
 * verdict yet or its scores lean the same way (source "classifier"), else
 * VMON_FAULT_UNKNOWN. Without a bearing in the machine
 * profile no type is named from the envelope.
 *
 * Baseline, in exact integers: commissioning sums, over its N clean windows, S_i = sum f_i
 * and Q_i = sum f_i^2 per feature and keeps N, S_i and D_i = N Q_i - S_i^2 (N^2 times the
 * variance). Per feature z2_i = min(((N f_i - S_i)^2 << 8) / max(D_i, N^2
 * VMON_DECISION_VAR_FLOOR), VMON_DECISION_Z2_CAP_Q8), the squared z-score in Q8, capped so a
 * glitch in one band cannot make a window novel; novelty_q8 = sum z2_i / n (floor).
 * Threshold: each window of the commissioning's second half is scored against the sums of
 * every commissioning window before it and averaged as the vote averages; threshold_q8 =
 * max(VMON_DECISION_MIN_THRESHOLD_Q8, (highest such mean x VMON_DECISION_THRESHOLD_MARGIN_Q8)
 * >> 8): set on the machine, not
 * carried from the training rig. The classifier counts as validated on this machine when it
 * called at least VMON_DECISION_CLASSIFIER_AGREE_PERMILLE of the commissioning windows
 * normal (reported; the physics typing will use it).
 *
 * vmon_decision_baseline_learn() commissions on the next N clean windows (windows with an
 * input flag are skipped and counted); the previous baseline, if any, stays in use until
 * the new one is complete, then the new one is persisted (settings key "vmon/dec/bl", a
 * versioned record with a CRC-32, bound to the feature count and feature-config hash). A
 * reboot during commissioning loses the partial sums and keeps the previous baseline. A
 * corrupt or stale record is counted, reported (load_err, records_rejected) and ignored:
 * the node is then uncommissioned and says so.
 *
 * Zone thresholds default to the Kconfig machine class and are overridden at runtime by
 * vmon_decision_zones_set() or the settings key "vmon/dec/zones" (three little-endian
 * uint32 in µm/s: AB, BC, CD, strictly increasing).
 *
 * Threading: every function is thread-safe (one mutex) and may block; not for ISRs.
 * Requires CONFIG_VMON_DECISION. Returns 0 or a negative errno.
 */

#ifndef VMON_DECISION_H_
#define VMON_DECISION_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <zephyr/sys/util_macro.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Most features a baseline holds (CONFIG_VMON_DECISION_FEATURES_MAX, at most
 * VMON_FEATURES_MAX of include/vmon/features.h). */
#if defined(CONFIG_VMON_DECISION_FEATURES_MAX)
#define VMON_DECISION_FEATURES_MAX CONFIG_VMON_DECISION_FEATURES_MAX
#else
#define VMON_DECISION_FEATURES_MAX 64
#endif

/* The policy's constants; vmon.dsp.policy has the same (a pytest compares them). */
/** Variance floor in (Q8 log2)^2: a feature steadier than +-1/4 log2 unit counts as that. */
#define VMON_DECISION_VAR_FLOOR            4096
/** One feature adds at most a squared z-score of 256 (Q8). */
#define VMON_DECISION_Z2_CAP_Q8            65536
/** Threshold = this (Q8) times the highest novelty of the commissioning's second half. */
#define VMON_DECISION_THRESHOLD_MARGIN_Q8  512
/** The threshold is never below a mean squared z-score of 4 (Q8). */
#define VMON_DECISION_MIN_THRESHOLD_Q8     1024
/** Novelty above this many times the threshold votes alarm. */
#define VMON_DECISION_ALARM_FACTOR         4
/** The vote compares the mean novelty of this many last clean windows. */
#define VMON_DECISION_NOVELTY_AVG          4
/** The classifier is validated on this machine when it called this share of the
 *  commissioning windows normal. */
#define VMON_DECISION_CLASSIFIER_AGREE_PERMILLE 980
/** ... and then names its class only at this confidence (and with the typing's support). */
#define VMON_DECISION_CLASSIFIER_CONFIDENCE_PERMILLE 900
/** Fewest windows a commissioning learns from (the threshold needs a second half). */
#define VMON_DECISION_COMMISSION_MIN       4
/** Most windows; with |feature| <= VMON_DECISION_FEATURE_ABS_MAX every sum, product and
 *  quotient of the baseline fits 64 bits. */
#define VMON_DECISION_COMMISSION_MAX       32767
/** Larger features are an input error (VMON_DECISION_FB_INPUT_RANGE); Q8 log2 features of
 *  64-bit quantities stay below 2^14. */
#define VMON_DECISION_FEATURE_ABS_MAX      32768

/** Classifier output order (model.json "labels"). */
enum vmon_label {
	VMON_LABEL_NORMAL,
	VMON_LABEL_INNER_RACE,
	VMON_LABEL_BALL,
	VMON_LABEL_OUTER_RACE,
	VMON_LABEL_COUNT,
};

enum vmon_decision_state {
	VMON_DECISION_NORMAL,
	VMON_DECISION_WARNING,
	VMON_DECISION_ALARM,
};

/** Fault type; the fault classes have their label's value. */
enum vmon_fault {
	VMON_FAULT_NONE = VMON_LABEL_NORMAL,
	VMON_FAULT_INNER_RACE = VMON_LABEL_INNER_RACE,
	VMON_FAULT_BALL = VMON_LABEL_BALL,
	VMON_FAULT_OUTER_RACE = VMON_LABEL_OUTER_RACE,
	VMON_FAULT_UNKNOWN, /**< raised by the zone or novelty, no fault class */
};

/** Where a named fault type comes from. */
enum vmon_fault_source {
	VMON_FAULT_SOURCE_NONE,
	VMON_FAULT_SOURCE_PHYSICS,    /**< the envelope typing's voted verdict */
	VMON_FAULT_SOURCE_CLASSIFIER, /**< a validated classifier, backed by the typing */
};

/** ISO 20816 evaluation zones. */
enum vmon_zone {
	VMON_ZONE_A,
	VMON_ZONE_B,
	VMON_ZONE_C,
	VMON_ZONE_D,
};

/**
 * Fallback reasons. Set by the caller in vmon_decision_input.flags; reported (with the
 * ones the module detects itself) in vmon_decision_output.fallback.
 */
#define VMON_DECISION_FB_MODEL_UNAVAILABLE BIT(0) /**< no model loaded, or no scores passed */
#define VMON_DECISION_FB_MODEL_INVALID     BIT(1) /**< model checks/inference failed, bad scores */
#define VMON_DECISION_FB_HASH_MISMATCH     BIT(2) /**< model trained on another feature config */
#define VMON_DECISION_FB_INPUT_SATURATED   BIT(3) /**< window has clipped samples */
#define VMON_DECISION_FB_INPUT_STUCK       BIT(4) /**< window is constant (stuck sensor) */
#define VMON_DECISION_FB_INPUT_RANGE       BIT(5) /**< no features, or beyond FEATURE_ABS_MAX */
#define VMON_DECISION_FB_ALL               (BIT(6) - 1)
/** Input problems: such windows are not learned into the baseline. */
#define VMON_DECISION_FB_INPUT_ANY                                                                 \
	(VMON_DECISION_FB_INPUT_SATURATED | VMON_DECISION_FB_INPUT_STUCK |                         \
	 VMON_DECISION_FB_INPUT_RANGE)

/** Why a window's vote is above normal (vmon_decision_output.causes). */
#define VMON_DECISION_CAUSE_ZONE    BIT(0) /**< zone C or D */
#define VMON_DECISION_CAUSE_NOVELTY BIT(2) /**< novelty above the commissioned threshold */

/** Zone boundaries, velocity r.m.s. in µm/s, 0 < ab < bc < cd. */
struct vmon_decision_zones {
	uint32_t ab_um_s;
	uint32_t bc_um_s;
	uint32_t cd_um_s;
};

struct vmon_decision_config {
	/** Features per window (1..VMON_DECISION_FEATURES_MAX). */
	size_t n_features;
	/** Dequantization of the int8 scores: p = (q - zero_point) * scale; scale > 0. */
	int32_t score_zero_point;
	float score_scale;
	/** Feature-config hash (VMON_FEAT_HASH) the learned baseline is bound to; may be NULL. */
	const char *feature_hash;
	/** Model labels to check against enum vmon_label (-EINVAL on mismatch); may be NULL. */
	const char *const *labels;
	size_t n_labels;
};

struct vmon_decision_input {
	/** int8 classifier outputs in label order; NULL when the model did not run. */
	const int8_t *scores;
	size_t n_scores;
	/** int32 device features (n_features of them) for novelty and learning; NULL: the
	 *  window is not clean. */
	const int32_t *features;
	size_t n_features;
	/** Velocity r.m.s. in mm/s (>= 0, finite). */
	float velocity_mm_s;
	/** VMON_DECISION_FB_* bits the caller detected (0 when all is well). */
	uint32_t flags;
	/** The window's arm_rfft_q31 output (vmon_features_spectrum()) for the typing; NULL:
	 *  no typing on this window. */
	const int32_t *spectrum;
	/** The window does not follow the previous one: samples were lost between them (the
	 *  processing module restarted its window). The typing's demodulation restarts. */
	bool after_gap;
};

struct vmon_decision_output {
	enum vmon_decision_state state; /**< after hysteresis */
	enum vmon_fault fault;          /**< fault type of @ref state */
	bool changed;                   /**< state changed with this window */
	enum vmon_decision_state vote;  /**< this window's (its zone, the mean novelty) */
	uint8_t causes;                 /**< VMON_DECISION_CAUSE_* of the vote */
	uint32_t fallback;              /**< 0: model path; else VMON_DECISION_FB_* reasons */
	enum vmon_zone zone;
	uint32_t velocity_um_s;
	enum vmon_label label;          /**< top class (VMON_LABEL_NORMAL without scores) */
	uint16_t confidence_permille;   /**< its probability, 0..1000 */
	bool commissioned;              /**< a baseline learned on this machine is in use */
	int32_t novelty_q8;             /**< -1 when uncommissioned or the window is not clean */
	int32_t novelty_avg_q8;         /**< the mean the vote compared; -1 as novelty_q8 */
	uint32_t threshold_q8;          /**< 0 when uncommissioned */
	enum vmon_fault_source fault_source;
	uint16_t fault_confidence_permille; /**< of the named type (0: none or unknown) */
	uint32_t speed_mhz;             /**< shaft rate the typing uses; 0: none yet */
	int16_t band_k1;                /**< first bin of the demodulated band; -1: none */
};

struct vmon_decision_status {
	enum vmon_decision_state state;
	enum vmon_fault fault;
	enum vmon_fault_source fault_source;
	uint16_t fault_confidence_permille;
	uint32_t speed_mhz;        /**< shaft rate the typing uses; 0: none yet */
	bool typing;               /**< the physics typing is built in */
	bool commissioned;         /**< false: only the zones vote */
	bool learning;
	uint32_t learn_done;       /**< windows accumulated so far */
	uint32_t learn_target;     /**< windows to accumulate */
	uint32_t learn_skipped;    /**< windows skipped for an input flag */
	uint32_t learned_windows;  /**< windows the baseline was learned from (0: none) */
	uint32_t threshold_q8;     /**< the baseline's novelty threshold (0: none) */
	bool classifier_validated; /**< the classifier agreed with normal on commissioning */
	/** Last baseline load: 0 loaded, -ENOENT none stored, -EMSGSIZE wrong length,
	 *  -ENOTSUP bad magic/version, -EBADMSG bad CRC or values, -ESTALE other features,
	 *  -EIO read error, -ENOSYS persistence disabled. */
	int load_err;
	/** Last persist: 0, the settings error, or VMON_BATTERY_REFUSED (battery.h: the
	 *  baseline waits in RAM and is saved at a window once the battery allows writes). */
	int save_err;
	int storage_err;           /**< settings_subsys_init() result */
	uint32_t records_rejected; /**< corrupt/stale settings records ignored since boot */
	struct vmon_decision_zones zones;
	bool zones_overridden;     /**< zones come from settings/API, not Kconfig */
	uint8_t hyst_n;            /**< hysteresis: N of the last M windows */
	uint8_t hyst_m;
};

/**
 * Set up (or re-set up: all state is dropped) the module: hysteresis reset, zones from
 * Kconfig, then the learned baseline and zone override loaded from settings. A rejected
 * record is not an error here: see status.load_err / records_rejected.
 * -EINVAL on a bad config.
 */
int vmon_decision_init(const struct vmon_decision_config *cfg);

/**
 * Decide on one window. -EAGAIN before init; -EINVAL on NULL pointers, a velocity that is
 * negative or not finite, or features of the wrong count (state then unchanged).
 * Learning consumes @p in->features; when the last window is in, the baseline is
 * persisted before this returns (see status.save_err).
 */
int vmon_decision_update(const struct vmon_decision_input *in, struct vmon_decision_output *out);

/** A new run of the machine: forget the vote history (the state returns to normal), the
 *  typing and the speed estimate; the baseline stays. */
int vmon_decision_reset(void);

int vmon_decision_get_status(struct vmon_decision_status *st);

/** Zone of @p velocity_um_s for boundaries @p z (pure). */
enum vmon_zone vmon_decision_zone(const struct vmon_decision_zones *z, uint32_t velocity_um_s);

/** Kconfig defaults of the selected machine class. */
void vmon_decision_zones_default(struct vmon_decision_zones *z);

/** Override the zones and persist them. -EINVAL unless 0 < ab < bc < cd. */
int vmon_decision_zones_set(const struct vmon_decision_zones *z);

/** Most windows the hysteresis looks back on. */
#define VMON_DECISION_HYST_M_MAX 32U

/** N of M the node accepts: 1 <= n <= m <= VMON_DECISION_HYST_M_MAX and 2n > m (pure). */
bool vmon_decision_hysteresis_valid(uint32_t n, uint32_t m);

/**
 * Override the hysteresis (N of the last M windows) and persist it ("vmon/dec/hyst"). The
 * vote history is kept: the next window decides with the new N of M. -EINVAL unless valid,
 * -EAGAIN before init; a settings error is returned after the change is made.
 */
int vmon_decision_hysteresis_set(uint8_t n, uint8_t m);

/** Back to the Kconfig zones; the stored override is deleted. */
int vmon_decision_zones_reset(void);

/**
 * Novelty (Q8) of @p features against the baseline. -ENODATA when uncommissioned,
 * -EINVAL on a NULL pointer, a count other than n_features or a feature beyond
 * VMON_DECISION_FEATURE_ABS_MAX.
 */
int vmon_decision_novelty(const int32_t *features, size_t n, int32_t *novelty_q8);

/**
 * Commission: learn the baseline from the next @p n_windows clean windows passed to
 * vmon_decision_update() (0: CONFIG_VMON_DECISION_BASELINE_WINDOWS). Restarts a learning
 * in progress. Until it completes the previous baseline (if any) stays in use.
 * -EINVAL outside VMON_DECISION_COMMISSION_MIN..CONFIG_VMON_DECISION_BASELINE_WINDOWS_MAX.
 */
int vmon_decision_baseline_learn(uint32_t n_windows);

/** Delete the baseline (RAM and settings) and abort learning: uncommissioned. */
int vmon_decision_baseline_clear(void);

/**
 * Drop the in-RAM learned baseline and load it again from settings. Returns the load
 * result (status.load_err): 0 when a valid record was loaded.
 */
int vmon_decision_baseline_reload(void);

/**
 * The baseline's mean S/N (Q8 log2 units) and variance D/N^2 (their square) per
 * feature (n values each; n == n_features), floors. -ENODATA when uncommissioned.
 */
int vmon_decision_baseline_get(int32_t *mean_q8, uint32_t *var, size_t n);

const char *vmon_decision_state_str(enum vmon_decision_state s);
const char *vmon_fault_str(enum vmon_fault f);
const char *vmon_zone_str(enum vmon_zone z);
const char *vmon_fault_source_str(enum vmon_fault_source s);
/** The model label of @p l ("normal", "inner_race", ...). */
const char *vmon_label_str(enum vmon_label l);

#ifdef __cplusplus
}
#endif

#endif /* VMON_DECISION_H_ */
