/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Policy tests: zones at their boundaries, the zone/novelty table before and after
 * commissioning, strict novelty thresholds, a classifier that never votes, every fallback
 * reason, invalid input and config, N-of-M hysteresis (tables, a property at the Kconfig
 * and at runtime-set N of M, Python's sequence) and the state's fault type.
 */

#include <math.h>
#include <string.h>

#include <zephyr/logging/log.h>
#include <zephyr/ztest.h>

#include "common.h"

LOG_MODULE_REGISTER(test_decision_policy, LOG_LEVEL_INF);

#define N CONFIG_VMON_DECISION_HYST_N
#define M CONFIG_VMON_DECISION_HYST_M

/* Feature values whose novelty against the strict baseline (v^2 / 16) is 0, above the
 * threshold (1040 > 1024) and above four times it (4128 > 4096). */
#define V_QUIET 0
#define V_WARN  129
#define V_ALARM 257
/* No features at all. */
#define V_NONE  INT32_MIN

#define S_NORMAL t_scores(VMON_LABEL_NORMAL)
#define S_INNER  t_scores(VMON_LABEL_INNER_RACE)
#define S_BALL   t_scores(VMON_LABEL_BALL)
#define S_OUTER  t_scores(VMON_LABEL_OUTER_RACE)

static int decide(const int8_t *scores, size_t n_scores, int32_t v, float v_mm_s, uint32_t flags,
		  struct vmon_decision_output *out)
{
	static int32_t f[T_N_FEATURES];
	struct vmon_decision_input in = {
		.scores = scores,
		.n_scores = n_scores,
		.features = v == V_NONE ? NULL : f,
		.n_features = v == V_NONE ? 0 : T_N_FEATURES,
		.velocity_mm_s = v_mm_s,
		.flags = flags,
	};

	if (v != V_NONE) {
		t_fill(f, v);
	}
	return vmon_decision_update(&in, out);
}

/* One window whose vote is @p level, through the zones. */
static enum vmon_decision_state vote(enum vmon_decision_state level)
{
	static const enum vmon_zone zone_of[] = {VMON_ZONE_A, VMON_ZONE_C, VMON_ZONE_D};
	struct vmon_decision_output out;

	zassert_ok(decide(NULL, 0, V_NONE, t_velocity(zone_of[level]), 0, &out));
	zassert_equal(out.vote, level);
	return out.state;
}

static void before(void *f)
{
	struct vmon_decision_config cfg = t_config();

	ARG_UNUSED(f);
	t_fresh(&cfg);
}

ZTEST_SUITE(decision_policy, NULL, NULL, before, NULL, NULL);

/* ---- zones ---- */

ZTEST(decision_policy, test_zone_defaults_match_iso_20816_3)
{
	struct vmon_decision_zones z;

	vmon_decision_zones_default(&z);
	if (IS_ENABLED(CONFIG_VMON_DECISION_ZONE_GROUP2_RIGID)) {
		zassert_true(z.ab_um_s == 1400 && z.bc_um_s == 2800 && z.cd_um_s == 4500);
	} else if (IS_ENABLED(CONFIG_VMON_DECISION_ZONE_GROUP2_FLEXIBLE) ||
		   IS_ENABLED(CONFIG_VMON_DECISION_ZONE_GROUP1_RIGID)) {
		zassert_true(z.ab_um_s == 2300 && z.bc_um_s == 4500 && z.cd_um_s == 7100);
	} else {
		zassert_true(z.ab_um_s == 3500 && z.bc_um_s == 7100 && z.cd_um_s == 11000);
	}
	TC_PRINT("zones %u/%u/%u um/s\n", z.ab_um_s, z.bc_um_s, z.cd_um_s);
}

ZTEST(decision_policy, test_zone_boundaries)
{
	struct vmon_decision_zones z;

	vmon_decision_zones_default(&z);
	const struct {
		uint32_t um_s;
		enum vmon_zone zone;
	} cases[] = {
		{0, VMON_ZONE_A},
		{z.ab_um_s - 1, VMON_ZONE_A},
		{z.ab_um_s, VMON_ZONE_B}, /* a boundary belongs to the upper zone */
		{z.bc_um_s - 1, VMON_ZONE_B},
		{z.bc_um_s, VMON_ZONE_C},
		{z.cd_um_s - 1, VMON_ZONE_C},
		{z.cd_um_s, VMON_ZONE_D},
		{UINT32_MAX, VMON_ZONE_D},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		zassert_equal(vmon_decision_zone(&z, cases[i].um_s), cases[i].zone,
			      "%u um/s", cases[i].um_s);
	}
}

ZTEST(decision_policy, test_zone_boundaries_through_update_in_mm_s)
{
	struct vmon_decision_zones z;
	struct vmon_decision_output out;

	vmon_decision_zones_default(&z);
	const struct {
		float mm_s;
		enum vmon_zone zone;
	} cases[] = {
		{z.ab_um_s / 1000.0f - 0.001f, VMON_ZONE_A},
		{z.ab_um_s / 1000.0f, VMON_ZONE_B},
		{z.bc_um_s / 1000.0f - 0.001f, VMON_ZONE_B},
		{z.bc_um_s / 1000.0f, VMON_ZONE_C},
		{z.cd_um_s / 1000.0f - 0.001f, VMON_ZONE_C},
		{z.cd_um_s / 1000.0f, VMON_ZONE_D},
		{z.cd_um_s / 1000.0f - 0.0004f, VMON_ZONE_D}, /* rounds to the boundary */
		{1e12f, VMON_ZONE_D},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		zassert_ok(decide(NULL, 0, V_NONE, cases[i].mm_s, 0, &out));
		zassert_equal(out.zone, cases[i].zone, "case %u: %u um/s", i, out.velocity_um_s);
	}
	zassert_ok(decide(NULL, 0, V_NONE, 1e12f, 0, &out));
	zassert_equal(out.velocity_um_s, UINT32_MAX, "saturates");
}

/* ---- policy tables ---- */

struct policy_case {
	const int8_t *scores;
	int32_t v; /* every feature (V_NONE: no features) */
	float mm_s;
	enum vmon_decision_state vote;
	uint8_t causes;
	enum vmon_label label;
};

static void run_table(const struct policy_case *cases, size_t n, bool commissioned)
{
	for (size_t i = 0; i < n; i++) {
		const struct policy_case *c = &cases[i];
		struct vmon_decision_output out;
		int32_t want_novelty = -1;

		if (commissioned && c->v != V_NONE) {
			want_novelty = c->v * c->v / 16;
		}
		zassert_ok(vmon_decision_reset());
		zassert_ok(decide(c->scores, VMON_LABEL_COUNT, c->v, c->mm_s, 0, &out));
		zassert_equal(out.vote, c->vote, "case %u: vote %d", i, out.vote);
		zassert_equal(out.causes, c->causes, "case %u: causes 0x%x", i, out.causes);
		zassert_equal(out.label, c->label, "case %u", i);
		zassert_equal(out.commissioned, commissioned, "case %u", i);
		zassert_equal(out.novelty_q8, want_novelty, "case %u: %d", i, out.novelty_q8);
		zassert_equal(out.threshold_q8, commissioned ? REF_STRICT_THRESHOLD_Q8 : 0);
		zassert_equal(out.fallback, c->v == V_NONE ? VMON_DECISION_FB_INPUT_RANGE : 0,
			      "case %u", i);
		zassert_equal(out.state, VMON_DECISION_NORMAL, "one window");
	}
}

ZTEST(decision_policy, test_uncommissioned_policy_table)
{
	const float vb = t_velocity(VMON_ZONE_B);
	const float vc = t_velocity(VMON_ZONE_C);
	const float vd = t_velocity(VMON_ZONE_D);
	const uint8_t Z = VMON_DECISION_CAUSE_ZONE;
	/* Only the zones vote: features and the classifier do not. */
	const struct policy_case cases[] = {
		{S_NORMAL, V_QUIET, 0.0f, VMON_DECISION_NORMAL, 0, VMON_LABEL_NORMAL},
		{S_NORMAL, V_ALARM, vb, VMON_DECISION_NORMAL, 0, VMON_LABEL_NORMAL},
		{S_INNER, VMON_DECISION_FEATURE_ABS_MAX, vb, VMON_DECISION_NORMAL, 0,
		 VMON_LABEL_INNER_RACE},
		{S_BALL, V_NONE, vb, VMON_DECISION_NORMAL, 0, VMON_LABEL_BALL},
		{S_NORMAL, V_ALARM, vc, VMON_DECISION_WARNING, Z, VMON_LABEL_NORMAL},
		{S_OUTER, V_QUIET, vc, VMON_DECISION_WARNING, Z, VMON_LABEL_OUTER_RACE},
		{S_NORMAL, V_QUIET, vd, VMON_DECISION_ALARM, Z, VMON_LABEL_NORMAL},
		{S_BALL, V_NONE, vd, VMON_DECISION_ALARM, Z, VMON_LABEL_BALL},
	};

	run_table(cases, ARRAY_SIZE(cases), false);
}

ZTEST(decision_policy, test_commissioned_policy_table)
{
	const float vb = t_velocity(VMON_ZONE_B);
	const float vc = t_velocity(VMON_ZONE_C);
	const float vd = t_velocity(VMON_ZONE_D);
	const uint8_t Z = VMON_DECISION_CAUSE_ZONE;
	const uint8_t V = VMON_DECISION_CAUSE_NOVELTY;
	const struct policy_case cases[] = {
		/* zone A/B: the novelty decides, the classifier never */
		{S_NORMAL, V_QUIET, vb, VMON_DECISION_NORMAL, 0, VMON_LABEL_NORMAL},
		{S_INNER, V_QUIET, vb, VMON_DECISION_NORMAL, 0, VMON_LABEL_INNER_RACE},
		{S_BALL, V_QUIET, 0.0f, VMON_DECISION_NORMAL, 0, VMON_LABEL_BALL},
		{S_NORMAL, V_WARN, vb, VMON_DECISION_WARNING, V, VMON_LABEL_NORMAL},
		{S_OUTER, V_WARN, 0.0f, VMON_DECISION_WARNING, V, VMON_LABEL_OUTER_RACE},
		{S_NORMAL, -V_ALARM, vb, VMON_DECISION_ALARM, V, VMON_LABEL_NORMAL},
		{S_BALL, V_ALARM, 0.0f, VMON_DECISION_ALARM, V, VMON_LABEL_BALL},
		{S_NORMAL, V_NONE, vb, VMON_DECISION_NORMAL, 0, VMON_LABEL_NORMAL},
		/* zone C: at least a warning */
		{S_NORMAL, V_QUIET, vc, VMON_DECISION_WARNING, Z, VMON_LABEL_NORMAL},
		{S_INNER, V_QUIET, vc, VMON_DECISION_WARNING, Z, VMON_LABEL_INNER_RACE},
		{S_NORMAL, V_WARN, vc, VMON_DECISION_WARNING, Z | V, VMON_LABEL_NORMAL},
		{S_INNER, V_ALARM, vc, VMON_DECISION_ALARM, Z | V, VMON_LABEL_INNER_RACE},
		{S_NORMAL, V_NONE, vc, VMON_DECISION_WARNING, Z, VMON_LABEL_NORMAL},
		/* zone D: alarm whatever the rest */
		{S_NORMAL, V_QUIET, vd, VMON_DECISION_ALARM, Z, VMON_LABEL_NORMAL},
		{S_NORMAL, V_WARN, vd, VMON_DECISION_ALARM, Z | V, VMON_LABEL_NORMAL},
		{S_OUTER, V_ALARM, vd, VMON_DECISION_ALARM, Z | V, VMON_LABEL_OUTER_RACE},
	};

	t_commission_strict();
	run_table(cases, ARRAY_SIZE(cases), true);
}

/* novelty > threshold votes warning, > ALARM_FACTOR x threshold alarm, both strictly. */
ZTEST(decision_policy, test_novelty_thresholds_are_strict)
{
	const uint32_t t = REF_STRICT_THRESHOLD_Q8;
	int at_threshold = 0;
	int at_alarm = 0;

	t_commission_strict();
	for (int i = 0; i < REF_N_STRICT; i++) {
		struct vmon_decision_output out;
		enum vmon_decision_state want;
		uint32_t nov;

		/* Each alone: the vote's mean novelty is the window's own. */
		zassert_ok(vmon_decision_reset());
		zassert_ok(decide(S_NORMAL, VMON_LABEL_COUNT, ref_strict_value[i], 0.0f, 0, &out));
		zassert_equal(out.novelty_q8, ref_strict_novelty_q8[i], "v %d: %d",
			      ref_strict_value[i], out.novelty_q8);
		zassert_equal(out.novelty_avg_q8, out.novelty_q8);
		zassert_equal(out.vote, ref_strict_vote[i], "v %d", ref_strict_value[i]);
		nov = (uint32_t)out.novelty_q8;
		want = nov > VMON_DECISION_ALARM_FACTOR * t ? VMON_DECISION_ALARM
		       : nov > t			     ? VMON_DECISION_WARNING
							     : VMON_DECISION_NORMAL;
		zassert_equal(out.vote, want, "v %d", ref_strict_value[i]);
		at_threshold += nov == t;
		at_alarm += nov == VMON_DECISION_ALARM_FACTOR * t;
	}
	zassert_true(at_threshold > 0 && at_alarm > 0, "both boundaries are hit exactly");
}

ZTEST(decision_policy, test_dequantization_and_ties)
{
	struct vmon_decision_config cfg = t_config();
	struct vmon_decision_output out;
	const int8_t inner[] = {-128, 102, -128, -128};
	const int8_t tie[] = {50, 50, -128, -128};
	const int8_t low[] = {-128, -128, -128, -128};
	const int8_t at700[] = {-128, -128, 100, -128};

	zassert_ok(decide(inner, 4, V_QUIET, 0.0f, 0, &out));
	zassert_equal(out.confidence_permille, 898); /* (102 + 128) / 256 */
	zassert_equal(out.label, VMON_LABEL_INNER_RACE);
	zassert_ok(decide(S_OUTER, 4, V_QUIET, 0.0f, 0, &out));
	zassert_equal(out.confidence_permille, 996);
	zassert_ok(decide(tie, 4, V_QUIET, 0.0f, 0, &out));
	zassert_equal(out.label, VMON_LABEL_NORMAL, "a tie goes to normal");
	zassert_ok(decide(low, 4, V_QUIET, 0.0f, 0, &out));
	zassert_equal(out.confidence_permille, 0);
	zassert_ok(decide(NULL, 0, V_QUIET, 0.0f, 0, &out));
	zassert_equal(out.label, VMON_LABEL_NORMAL);
	zassert_equal(out.confidence_permille, 0);

	/* Another quantization: p = (q + 600) * 0.001, clamped to 1000. */
	cfg.score_zero_point = -600;
	cfg.score_scale = 0.001f;
	zassert_ok(vmon_decision_init(&cfg));
	zassert_ok(decide(at700, 4, V_QUIET, 0.0f, 0, &out));
	zassert_equal(out.label, VMON_LABEL_BALL);
	zassert_equal(out.confidence_permille, 700);
	zassert_ok(decide(S_BALL, 4, V_QUIET, 0.0f, 0, &out));
	zassert_equal(out.confidence_permille, 727);
	cfg.score_zero_point = -1000;
	zassert_ok(vmon_decision_init(&cfg));
	zassert_ok(decide(S_BALL, 4, V_QUIET, 0.0f, 0, &out));
	zassert_equal(out.confidence_permille, 1000);
}

/* Trained on another rig, the classifier's confident fault classes are no evidence here. */
ZTEST(decision_policy, test_confident_fault_classes_never_raise_the_state)
{
	for (int commissioned = 0; commissioned <= 1; commissioned++) {
		if (commissioned) {
			t_commission_strict();
		}
		for (int l = VMON_LABEL_INNER_RACE; l < VMON_LABEL_COUNT; l++) {
			zassert_ok(vmon_decision_reset());
			for (int k = 0; k < 2 * M; k++) {
				struct vmon_decision_output out;

				zassert_ok(decide(t_scores(l), VMON_LABEL_COUNT, V_QUIET, 0.0f, 0,
						  &out));
				zassert_equal(out.label, (enum vmon_label)l);
				zassert_equal(out.confidence_permille, 996);
				zassert_equal(out.vote, VMON_DECISION_NORMAL);
				zassert_equal(out.state, VMON_DECISION_NORMAL);
				zassert_equal(out.fault, VMON_FAULT_NONE);
				zassert_equal(out.novelty_q8, commissioned ? 0 : -1);
			}
		}
	}
}

/* ---- fallback ---- */

ZTEST(decision_policy, test_fallback_every_reason)
{
	const int8_t *sb = S_BALL;
	const uint32_t stuck_hash = VMON_DECISION_FB_HASH_MISMATCH | VMON_DECISION_FB_INPUT_STUCK;
	const struct {
		const int8_t *scores;
		size_t n;
		int32_t v;
		uint32_t flags;
		uint32_t fallback;
	} cases[] = {
		{sb, 4, V_ALARM, VMON_DECISION_FB_MODEL_UNAVAILABLE,
		 VMON_DECISION_FB_MODEL_UNAVAILABLE},
		{sb, 4, V_ALARM, VMON_DECISION_FB_MODEL_INVALID, VMON_DECISION_FB_MODEL_INVALID},
		{sb, 4, V_ALARM, VMON_DECISION_FB_HASH_MISMATCH, VMON_DECISION_FB_HASH_MISMATCH},
		{sb, 4, V_ALARM, VMON_DECISION_FB_INPUT_SATURATED,
		 VMON_DECISION_FB_INPUT_SATURATED},
		{sb, 4, V_ALARM, VMON_DECISION_FB_INPUT_STUCK, VMON_DECISION_FB_INPUT_STUCK},
		{sb, 4, V_ALARM, VMON_DECISION_FB_INPUT_RANGE, VMON_DECISION_FB_INPUT_RANGE},
		/* detected by the module */
		{NULL, 0, V_ALARM, 0, VMON_DECISION_FB_MODEL_UNAVAILABLE},
		{sb, 3, V_ALARM, 0, VMON_DECISION_FB_MODEL_INVALID},
		{sb, 5, V_ALARM, 0, VMON_DECISION_FB_MODEL_INVALID},
		{sb, 4, V_NONE, 0, VMON_DECISION_FB_INPUT_RANGE},
		{sb, 4, VMON_DECISION_FEATURE_ABS_MAX + 1, 0, VMON_DECISION_FB_INPUT_RANGE},
		{sb, 4, -VMON_DECISION_FEATURE_ABS_MAX - 1, 0, VMON_DECISION_FB_INPUT_RANGE},
		/* several at once are all reported; unknown bits are dropped */
		{sb, 4, V_ALARM, stuck_hash | BIT(31), stuck_hash},
		{NULL, 0, V_NONE, VMON_DECISION_FB_INPUT_SATURATED,
		 VMON_DECISION_FB_MODEL_UNAVAILABLE | VMON_DECISION_FB_INPUT_SATURATED |
			 VMON_DECISION_FB_INPUT_RANGE},
	};
	const struct {
		enum vmon_zone zone;
		enum vmon_decision_state vote;
	} zones[] = {
		{VMON_ZONE_A, VMON_DECISION_NORMAL},
		{VMON_ZONE_B, VMON_DECISION_NORMAL},
		{VMON_ZONE_C, VMON_DECISION_WARNING},
		{VMON_ZONE_D, VMON_DECISION_ALARM},
	};
	struct vmon_decision_output out;

	t_commission_strict();
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		/* An input problem stops novelty (only the zones vote); a model problem not. */
		const bool clean = (cases[i].fallback & VMON_DECISION_FB_INPUT_ANY) == 0;

		for (size_t j = 0; j < ARRAY_SIZE(zones); j++) {
			const bool zone = zones[j].vote != VMON_DECISION_NORMAL;
			const uint8_t causes = (zone ? VMON_DECISION_CAUSE_ZONE : 0) |
					       (clean ? VMON_DECISION_CAUSE_NOVELTY : 0);

			/* Each window alone: the vote's mean novelty is its own. */
			zassert_ok(vmon_decision_reset());
			zassert_ok(decide(cases[i].scores, cases[i].n, cases[i].v,
					  t_velocity(zones[j].zone), cases[i].flags, &out));
			zassert_equal(out.fallback, cases[i].fallback, "case %u: 0x%x", i,
				      out.fallback);
			zassert_equal(out.zone, zones[j].zone);
			zassert_true(out.commissioned);
			zassert_equal(out.novelty_q8, clean ? V_ALARM * V_ALARM / 16 : -1,
				      "case %u", i);
			zassert_equal(out.vote, clean ? VMON_DECISION_ALARM : zones[j].vote,
				      "case %u zone %s: vote %d", i, vmon_zone_str(zones[j].zone),
				      out.vote);
			zassert_equal(out.causes, causes, "case %u", i);
			zassert_equal(out.label, cases[i].n == 4 ? VMON_LABEL_BALL
								 : VMON_LABEL_NORMAL);
		}
	}

	/* The same window without a reason: no fallback. */
	zassert_ok(decide(sb, 4, V_ALARM, t_velocity(VMON_ZONE_A), 0, &out));
	zassert_equal(out.fallback, 0);
	zassert_equal(out.vote, VMON_DECISION_ALARM);
}

ZTEST(decision_policy, test_invalid_input)
{
	struct vmon_decision_output out;
	struct vmon_decision_input in = {.velocity_mm_s = 1.0f};
	int32_t f[T_N_FEATURES] = {0};

	/* N - 1 alarm votes: an invalid call that voted would change what comes next. */
	for (int k = 0; k < N - 1; k++) {
		zassert_equal(vote(VMON_DECISION_ALARM), VMON_DECISION_NORMAL);
	}
	zassert_equal(vmon_decision_update(NULL, &out), -EINVAL);
	zassert_equal(vmon_decision_update(&in, NULL), -EINVAL);
	in.velocity_mm_s = -0.1f;
	zassert_equal(vmon_decision_update(&in, &out), -EINVAL);
	in.velocity_mm_s = NAN;
	zassert_equal(vmon_decision_update(&in, &out), -EINVAL);
	in.velocity_mm_s = INFINITY;
	zassert_equal(vmon_decision_update(&in, &out), -EINVAL);
	in.velocity_mm_s = t_velocity(VMON_ZONE_A);
	in.features = f;
	in.n_features = T_N_FEATURES - 1;
	zassert_equal(vmon_decision_update(&in, &out), -EINVAL);
	in.n_features = T_N_FEATURES + 1;
	zassert_equal(vmon_decision_update(&in, &out), -EINVAL);
	in.n_features = 0;
	zassert_equal(vmon_decision_update(&in, &out), -EINVAL);
	zassert_equal(t_status().state, VMON_DECISION_NORMAL);
	zassert_equal(vote(VMON_DECISION_ALARM), VMON_DECISION_ALARM, "no invalid call voted");

	/* Valid: features with their count, or none (whatever the count says). */
	in.n_features = T_N_FEATURES;
	zassert_ok(vmon_decision_update(&in, &out));
	zassert_equal(out.fallback, VMON_DECISION_FB_MODEL_UNAVAILABLE);
	in.features = NULL;
	in.n_features = 3;
	zassert_ok(vmon_decision_update(&in, &out));
	zassert_equal(out.fallback,
		      VMON_DECISION_FB_MODEL_UNAVAILABLE | VMON_DECISION_FB_INPUT_RANGE);
	zassert_equal(vmon_decision_get_status(NULL), -EINVAL);
}

ZTEST(decision_policy, test_invalid_config)
{
	static const char *const wrong_order[] = {"normal", "ball", "inner_race", "outer_race"};
	static const char *const missing[] = {"normal", "inner_race", NULL, "outer_race"};
	struct vmon_decision_config good = t_config();
	struct vmon_decision_config cfg;

	t_commission_strict();
	zassert_equal(vmon_decision_init(NULL), -EINVAL);
	cfg = good, cfg.n_features = 0;
	zassert_equal(vmon_decision_init(&cfg), -EINVAL);
	cfg = good, cfg.n_features = VMON_DECISION_FEATURES_MAX + 1;
	zassert_equal(vmon_decision_init(&cfg), -EINVAL);
	cfg = good, cfg.score_scale = 0.0f;
	zassert_equal(vmon_decision_init(&cfg), -EINVAL);
	cfg = good, cfg.score_scale = -1.0f / 256.0f;
	zassert_equal(vmon_decision_init(&cfg), -EINVAL);
	cfg = good, cfg.score_scale = NAN;
	zassert_equal(vmon_decision_init(&cfg), -EINVAL);
	cfg = good, cfg.score_scale = INFINITY;
	zassert_equal(vmon_decision_init(&cfg), -EINVAL);
	cfg = good, cfg.labels = wrong_order;
	zassert_equal(vmon_decision_init(&cfg), -EINVAL);
	cfg = good, cfg.labels = missing;
	zassert_equal(vmon_decision_init(&cfg), -EINVAL);
	cfg = good, cfg.n_labels = 3;
	zassert_equal(vmon_decision_init(&cfg), -EINVAL);
	/* A rejected config leaves the module as it was. */
	zassert_true(t_status().commissioned);
	zassert_equal(t_status().threshold_q8, REF_STRICT_THRESHOLD_Q8);

	/* Labels and hash are optional; the feature count may be 1 or the most. */
	cfg = good, cfg.labels = NULL, cfg.n_labels = 0, cfg.feature_hash = NULL;
	zassert_ok(vmon_decision_init(&cfg));
	cfg = good, cfg.n_features = 1;
	zassert_ok(vmon_decision_init(&cfg));
	cfg = good, cfg.n_features = VMON_DECISION_FEATURES_MAX;
	zassert_ok(vmon_decision_init(&cfg));
	zassert_ok(vmon_decision_init(&good));
}

/* ---- hysteresis ---- */

static enum vmon_decision_state level_of(char c)
{
	return c == 'a' || c == 'A' ? VMON_DECISION_ALARM
	       : c == 'w' || c == 'W' ? VMON_DECISION_WARNING
				      : VMON_DECISION_NORMAL;
}

ZTEST(decision_policy, test_hysteresis_table_3_of_5)
{
	/* votes (n/w/a) -> state after each window (N/W/A), for N = 3, M = 5 */
	static const struct {
		const char *votes;
		const char *states;
	} cases[] = {
		{"nnnnn", "NNNNN"},
		{"www", "NNW"},           /* enters on the Nth vote */
		{"wnwnw", "NNNNW"},       /* N of M, not N in a row */
		{"aaa", "NNA"},           /* straight to alarm */
		{"anana", "NNNNA"},
		{"wwaa", "NNWW"},         /* two alarms of five are not enough */
		{"wwaaa", "NNWWA"},
		{"aawwnnn", "NNWWWWN"},   /* alarm votes count as warnings */
		{"aaaaannn", "NNAAAAAN"}, /* leaves when N votes are below */
		{"aaawww", "NNAAAW"},     /* steps down to warning */
		{"wwwnwnwn", "NNWWWWWN"}, /* holds while fewer than N are below */
		{"wwwnnnwww", "NNWWWNNNW"},
	};

	if (N != 3 || M != 5) {
		ztest_test_skip();
	}
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		zassert_ok(vmon_decision_reset());
		for (size_t k = 0; cases[i].votes[k] != '\0'; k++) {
			enum vmon_decision_state s = vote(level_of(cases[i].votes[k]));

			zassert_equal(s, level_of(cases[i].states[k]), "case %u (%s) window %u: %s",
				      i, cases[i].votes, k, vmon_decision_state_str(s));
		}
	}
}

/* The sequence of reference.h, through Policy._hysteresis. */
ZTEST(decision_policy, test_hysteresis_matches_python)
{
	int changes = 0;

	if (N != REF_HYST_N || M != REF_HYST_M) {
		ztest_test_skip();
	}
	for (int k = 0; k < REF_HYST_LEN; k++) {
		enum vmon_decision_state s = vote(ref_hyst_votes[k]);

		zassert_equal(s, ref_hyst_states[k], "window %d: %s", k,
			      vmon_decision_state_str(s));
		changes += k > 0 && ref_hyst_states[k] != ref_hyst_states[k - 1];
	}
	zassert_true(changes >= 6, "the sequence exercises the transitions (%d)", changes);
}

/* Any N and M: the state changes exactly when N of the last M votes say so. */
static void check_n_of_m(int n, int m)
{
	enum vmon_decision_state hist[256];
	enum vmon_decision_state state = VMON_DECISION_NORMAL;
	uint32_t seed = 0x1234567U;
	int changes = 0;

	for (size_t k = 0; k < ARRAY_SIZE(hist); k++) {
		/* runs of the same vote so that levels are reached and left */
		seed = seed * 1664525U + 1013904223U;
		hist[k] = k % 7 == 0 ? (enum vmon_decision_state)((seed >> 24) % 3) : hist[k - 1];
		if ((seed >> 8) % 5 == 0) {
			hist[k] = (enum vmon_decision_state)((seed >> 16) % 3);
		}

		enum vmon_decision_state s = vote(hist[k]);
		int filled = MIN((int)k + 1, m);
		int at[3] = {0};

		for (int j = 0; j < filled; j++) {
			for (int l = 0; l <= hist[k - j]; l++) {
				at[l]++;
			}
		}
		/* expected by the definition in decision.h */
		enum vmon_decision_state want = state;

		if (at[VMON_DECISION_ALARM] >= n) {
			want = VMON_DECISION_ALARM;
		} else if (state == VMON_DECISION_ALARM &&
			   filled - at[VMON_DECISION_ALARM] >= n) {
			want = filled - at[VMON_DECISION_WARNING] >= n ? VMON_DECISION_NORMAL
									: VMON_DECISION_WARNING;
		} else if (state == VMON_DECISION_NORMAL && at[VMON_DECISION_WARNING] >= n) {
			want = VMON_DECISION_WARNING;
		} else if (state == VMON_DECISION_WARNING &&
			   filled - at[VMON_DECISION_WARNING] >= n) {
			want = VMON_DECISION_NORMAL;
		}
		zassert_equal(s, want, "%d of %d, window %u", n, m, k);
		changes += s != state;
		state = s;
	}
	zassert_true(changes >= 2, "the sequence exercises the transitions (%d)", changes);
	TC_PRINT("%d of %d: %d state changes in %u windows\n", n, m, changes, ARRAY_SIZE(hist));
}

ZTEST(decision_policy, test_hysteresis_n_of_m_property)
{
	check_n_of_m(N, M);
}

/* N of M set at runtime (a configuration downlink): any valid pair up to 32 windows, the
 * defaults back afterwards (settings keep it across t_fresh()). */
ZTEST(decision_policy, test_hysteresis_set_at_runtime)
{
	static const uint8_t pairs[][2] = {{1, 1}, {2, 3}, {4, 6}, {9, 16}, {17, 32}};
	struct vmon_decision_config cfg = t_config();

	zassert_equal(vmon_decision_hysteresis_set(0, 1), -EINVAL);
	zassert_equal(vmon_decision_hysteresis_set(2, 1), -EINVAL, "n > m");
	zassert_equal(vmon_decision_hysteresis_set(3, 6), -EINVAL, "2n <= m");
	zassert_equal(vmon_decision_hysteresis_set(17, 33), -EINVAL, "more than 32 windows");
	zassert_equal(t_status().hyst_n, N, "refusals change nothing");
	for (size_t i = 0; i < ARRAY_SIZE(pairs); i++) {
		t_fresh(&cfg);
		zassert_ok(vmon_decision_hysteresis_set(pairs[i][0], pairs[i][1]));
		zassert_equal(t_status().hyst_n, pairs[i][0]);
		zassert_equal(t_status().hyst_m, pairs[i][1]);
		check_n_of_m(pairs[i][0], pairs[i][1]);
	}
	zassert_ok(vmon_decision_hysteresis_set(N, M));
}

ZTEST(decision_policy, test_changed_flag_and_reset)
{
	struct vmon_decision_output out;
	struct vmon_decision_status st;

	for (int k = 0; k < N; k++) {
		zassert_ok(decide(NULL, 0, V_NONE, t_velocity(VMON_ZONE_D), 0, &out));
		zassert_equal(out.changed, k == N - 1);
	}
	zassert_equal(out.state, VMON_DECISION_ALARM);
	zassert_ok(decide(NULL, 0, V_NONE, t_velocity(VMON_ZONE_D), 0, &out));
	zassert_false(out.changed, "held");
	st = t_status();
	zassert_equal(st.state, VMON_DECISION_ALARM);
	zassert_equal(st.fault, VMON_FAULT_UNKNOWN);
	zassert_ok(vmon_decision_reset());
	st = t_status();
	zassert_equal(st.state, VMON_DECISION_NORMAL);
	zassert_equal(st.fault, VMON_FAULT_NONE);
	/* the vote history went too: N - 1 alarms do not raise */
	for (int k = 0; k < N - 1; k++) {
		zassert_equal(vote(VMON_DECISION_ALARM), VMON_DECISION_NORMAL);
	}
}

/* ---- fault type ---- */

ZTEST(decision_policy, test_fault_type)
{
	struct vmon_decision_output out;

	t_commission_strict();
	/* zone only: unknown, even with a confident class */
	for (int k = 0; k < N; k++) {
		zassert_ok(decide(S_INNER, 4, V_QUIET, t_velocity(VMON_ZONE_C), 0, &out));
		zassert_equal(out.fault, k < N - 1 ? VMON_FAULT_NONE : VMON_FAULT_UNKNOWN);
	}
	zassert_equal(out.state, VMON_DECISION_WARNING);
	zassert_equal(out.fault, VMON_FAULT_UNKNOWN);
	zassert_equal(t_status().fault, VMON_FAULT_UNKNOWN);

	/* novelty only: unknown */
	zassert_ok(vmon_decision_reset());
	for (int k = 0; k < N; k++) {
		zassert_ok(decide(S_BALL, 4, V_ALARM, 0.0f, 0, &out));
	}
	zassert_equal(out.state, VMON_DECISION_ALARM);
	zassert_equal(out.fault, VMON_FAULT_UNKNOWN);

	/* back to normal: no fault (once the mean novelty holds no alarm window) */
	for (int k = 0; k < M + VMON_DECISION_NOVELTY_AVG - 1; k++) {
		zassert_ok(decide(S_OUTER, 4, V_QUIET, 0.0f, 0, &out));
	}
	zassert_equal(out.state, VMON_DECISION_NORMAL);
	zassert_equal(out.fault, VMON_FAULT_NONE);
	zassert_equal(t_status().fault, VMON_FAULT_NONE);
}

ZTEST(decision_policy, test_strings)
{
	zassert_str_equal(vmon_decision_state_str(VMON_DECISION_ALARM), "alarm");
	zassert_str_equal(vmon_decision_state_str((enum vmon_decision_state)3), "?");
	zassert_str_equal(vmon_zone_str(VMON_ZONE_C), "C");
	zassert_str_equal(vmon_zone_str((enum vmon_zone)4), "?");
	zassert_str_equal(vmon_fault_str(VMON_FAULT_NONE), "none");
	zassert_str_equal(vmon_fault_str(VMON_FAULT_UNKNOWN), "unknown");
	zassert_str_equal(vmon_fault_str((enum vmon_fault)42), "?");
	zassert_str_equal(vmon_label_str(VMON_LABEL_OUTER_RACE), "outer_race");
	zassert_str_equal(vmon_label_str(VMON_LABEL_COUNT), "?");
}
