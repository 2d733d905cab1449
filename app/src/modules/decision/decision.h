/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Decision module: one verdict per window from the classifier, the novelty score and the
 * ISO 20816 velocity zone; N-of-M hysteresis; rule-based fallback; commissioning baseline.
 *
 * Policy (one window -> one vote):
 *
 *   zone level    A, B -> normal    C -> warning    D -> alarm     (always applied)
 *   class fault   top class != normal and its confidence >= FAULT_CONFIDENCE_PERMILLE
 *   novel         novelty score > novelty threshold (strictly)
 *   model level   class fault and novel -> alarm; class fault or novel -> warning
 *
 *   vote = max(zone level, model level)         model path (fallback == 0)
 *   vote = zone level                           fallback   (fallback != 0)
 *
 *   The zones are a floor the model can raise but never lower. The fallback is used when
 *   the caller flags the model as unavailable, invalid or trained on other features, or the
 *   window as saturated, stuck or otherwise out of range, and when no (or malformed) scores
 *   are passed; output.fallback holds every reason (VMON_DECISION_FB_* bits). Novelty is
 *   still computed and reported in fallback, but does not vote.
 *
 *   Zone boundaries belong to the upper zone: v < AB -> A, AB <= v < BC -> B,
 *   BC <= v < CD -> C, v >= CD -> D (velocity r.m.s. rounded to whole µm/s).
 *
 * Hysteresis (N = CONFIG_VMON_DECISION_HYST_N of the last M = CONFIG_VMON_DECISION_HYST_M
 * windows, 2N > M): a level is entered when at least N of the last M votes are at or above
 * it, and left when at least N of them are below it; otherwise the state holds. Alarm steps
 * down to warning, not to normal, unless N votes are also below warning.
 * The state's fault type is the classified fault seen most often among the windows that
 * voted warning or alarm (ties: the most recent); VMON_FAULT_UNKNOWN when only the zone or
 * novelty raised the state.
 *
 * Baseline: novelty = mean over features of (f_i - mean_i)^2 / max(var_i, 1), against the
 * learned baseline when there is one, else the shipped one (the model's, passed at init).
 * vmon_decision_baseline_learn() accumulates the next N windows (Welford, population
 * variance, windows with an input flag are skipped), then switches to the learned baseline
 * and persists it (settings key "vmon/dec/bl", a versioned record with a CRC-32). The
 * record is bound to the feature count and feature-config hash; a corrupt or stale record
 * is counted, reported (load_err, records_rejected) and ignored.
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
#define VMON_DECISION_FB_INPUT_RANGE       BIT(5) /**< features outside the trained range */
#define VMON_DECISION_FB_ALL               (BIT(6) - 1)
/** Input problems: such windows are not learned into the baseline. */
#define VMON_DECISION_FB_INPUT_ANY                                                                 \
	(VMON_DECISION_FB_INPUT_SATURATED | VMON_DECISION_FB_INPUT_STUCK |                         \
	 VMON_DECISION_FB_INPUT_RANGE)

/** Why a window's vote is above normal (vmon_decision_output.causes). */
#define VMON_DECISION_CAUSE_ZONE    BIT(0) /**< zone C or D */
#define VMON_DECISION_CAUSE_CLASS   BIT(1) /**< confident fault class (model path only) */
#define VMON_DECISION_CAUSE_NOVELTY BIT(2) /**< novelty above threshold (model path only) */

/** Zone boundaries, velocity r.m.s. in µm/s, 0 < ab < bc < cd. */
struct vmon_decision_zones {
	uint32_t ab_um_s;
	uint32_t bc_um_s;
	uint32_t cd_um_s;
};

struct vmon_decision_config {
	/** Features per window (1..VMON_DECISION_FEATURES_MAX). */
	size_t n_features;
	/** Shipped baseline (n_features each, e.g. VMON_MODEL_NOVELTY_MEAN/VAR); both NULL:
	 *  no novelty until a baseline is learned. Must stay valid. */
	const float *shipped_mean;
	const float *shipped_var;
	/** Novelty threshold (VMON_MODEL_NOVELTY_THRESHOLD); > 0. */
	float novelty_threshold;
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
	/** int32 device features (n_features of them) for novelty and learning; may be NULL. */
	const int32_t *features;
	size_t n_features;
	/** Velocity r.m.s. in mm/s (>= 0, finite). */
	float velocity_mm_s;
	/** VMON_DECISION_FB_* bits the caller detected (0 when all is well). */
	uint32_t flags;
};

struct vmon_decision_output {
	enum vmon_decision_state state; /**< after hysteresis */
	enum vmon_fault fault;          /**< fault type of @ref state */
	bool changed;                   /**< state changed with this window */
	enum vmon_decision_state vote;  /**< this window alone */
	uint8_t causes;                 /**< VMON_DECISION_CAUSE_* of the vote */
	uint32_t fallback;              /**< 0: model path; else VMON_DECISION_FB_* reasons */
	enum vmon_zone zone;
	uint32_t velocity_um_s;
	enum vmon_label label;          /**< top class (VMON_LABEL_NORMAL without scores) */
	uint16_t confidence_permille;   /**< its probability, 0..1000 */
	float novelty;                  /**< NAN when there is no baseline or no features */
	bool novelty_from_learned;      /**< scored against the learned baseline */
};

enum vmon_baseline_source {
	VMON_BASELINE_NONE,
	VMON_BASELINE_SHIPPED,
	VMON_BASELINE_LEARNED,
};

struct vmon_decision_status {
	enum vmon_decision_state state;
	enum vmon_fault fault;
	enum vmon_baseline_source baseline;
	bool learning;
	uint32_t learn_done;       /**< windows accumulated so far */
	uint32_t learn_target;     /**< windows to accumulate */
	uint32_t learn_skipped;    /**< windows skipped for an input flag */
	uint32_t learned_windows;  /**< windows the learned baseline was computed from */
	/** Last baseline load: 0 loaded, -ENOENT none stored, -EMSGSIZE wrong length,
	 *  -ENOTSUP bad magic/version, -EBADMSG bad CRC or values, -ESTALE other features,
	 *  -EIO read error, -ENOSYS persistence disabled. */
	int load_err;
	int save_err;              /**< last persist (0, or the settings error) */
	int storage_err;           /**< settings_subsys_init() result */
	uint32_t records_rejected; /**< corrupt/stale settings records ignored since boot */
	struct vmon_decision_zones zones;
	bool zones_overridden;     /**< zones come from settings/API, not Kconfig */
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

/** Forget the vote history; the state returns to normal. */
int vmon_decision_reset(void);

int vmon_decision_get_status(struct vmon_decision_status *st);

/** Zone of @p velocity_um_s for boundaries @p z (pure). */
enum vmon_zone vmon_decision_zone(const struct vmon_decision_zones *z, uint32_t velocity_um_s);

/** Kconfig defaults of the selected machine class. */
void vmon_decision_zones_default(struct vmon_decision_zones *z);

/** Override the zones and persist them. -EINVAL unless 0 < ab < bc < cd. */
int vmon_decision_zones_set(const struct vmon_decision_zones *z);

/** Back to the Kconfig zones; the stored override is deleted. */
int vmon_decision_zones_reset(void);

/**
 * Novelty of @p features against the active baseline. -ENODATA without a baseline,
 * -EINVAL on a NULL pointer or a count other than n_features.
 */
int vmon_decision_novelty(const int32_t *features, size_t n, float *score);

/**
 * Start learning the baseline from the next @p n_windows windows passed to
 * vmon_decision_update() (0: CONFIG_VMON_DECISION_BASELINE_WINDOWS). Restarts a learning
 * in progress. Until it completes the previous baseline stays in use.
 * -EINVAL if @p n_windows is 1 or above CONFIG_VMON_DECISION_BASELINE_WINDOWS_MAX.
 */
int vmon_decision_baseline_learn(uint32_t n_windows);

/** Delete the learned baseline (RAM and settings) and abort learning: back to shipped. */
int vmon_decision_baseline_clear(void);

/**
 * Drop the in-RAM learned baseline and load it again from settings. Returns the load
 * result (status.load_err): 0 when a valid record was loaded.
 */
int vmon_decision_baseline_reload(void);

/**
 * Copy the active baseline (n values each; n == n_features). @p source may be NULL.
 * -ENODATA without a baseline.
 */
int vmon_decision_baseline_get(float *mean, float *var, size_t n,
			       enum vmon_baseline_source *source);

const char *vmon_decision_state_str(enum vmon_decision_state s);
const char *vmon_fault_str(enum vmon_fault f);
const char *vmon_zone_str(enum vmon_zone z);
/** The model label of @p l ("normal", "inner_race", ...). */
const char *vmon_label_str(enum vmon_label l);

#ifdef __cplusplus
}
#endif

#endif /* VMON_DECISION_H_ */
