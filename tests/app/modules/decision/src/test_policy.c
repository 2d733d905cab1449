/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Policy tests: zones at their boundaries, the model/zone/novelty table, every fallback
 * reason, the confidence threshold, N-of-M hysteresis and the state's fault type.
 */

#include <math.h>
#include <string.h>

#include <zephyr/logging/log.h>
#include <zephyr/random/random.h>
#include <zephyr/ztest.h>

#include "common.h"

LOG_MODULE_REGISTER(test_decision_policy, LOG_LEVEL_INF);

#define N CONFIG_VMON_DECISION_HYST_N
#define M CONFIG_VMON_DECISION_HYST_M

/* Softmax-like int8 scores (zero point -128, scale 1/256). */
static const int8_t s_normal[] = {127, -128, -128, -128};       /* normal 996 permille */
static const int8_t s_inner[] = {-128, 102, -128, -128};        /* inner race 898 */
static const int8_t s_ball[] = {-128, -128, 102, -128};         /* ball 898 */
static const int8_t s_outer[] = {-128, -128, -128, 102};        /* outer race 898 */
static const int8_t s_unsure[] = {-10, 0, -128, -128};          /* inner race 500 */

static int decide(const int8_t *scores, size_t n_scores, float z, float v_mm_s, uint32_t flags,
		  struct vmon_decision_output *out)
{
	static int32_t f[T_N_FEATURES];
	struct vmon_decision_input in = {
		.scores = scores,
		.n_scores = n_scores,
		.features = isnan(z) ? NULL : f,
		.n_features = isnan(z) ? 0 : T_N_FEATURES,
		.velocity_mm_s = v_mm_s,
		.flags = flags,
	};

	if (!isnan(z)) {
		t_features_z(f, z);
	}
	return vmon_decision_update(&in, out);
}

/* One window whose vote is @p level, through the fallback path (zones only). */
static enum vmon_decision_state vote(enum vmon_decision_state level)
{
	static const enum vmon_zone zone_of[] = {VMON_ZONE_A, VMON_ZONE_C, VMON_ZONE_D};
	struct vmon_decision_output out;

	zassert_ok(decide(NULL, 0, NAN, t_velocity(zone_of[level]), 0, &out));
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
		zassert_ok(decide(NULL, 0, NAN, cases[i].mm_s, 0, &out));
		zassert_equal(out.zone, cases[i].zone, "case %u: %u um/s", i, out.velocity_um_s);
	}
}

/* ---- policy table (model path) ---- */

ZTEST(decision_policy, test_policy_table)
{
	const float vb = t_velocity(VMON_ZONE_B);
	const float vc = t_velocity(VMON_ZONE_C);
	const float vd = t_velocity(VMON_ZONE_D);
	const uint8_t Z = VMON_DECISION_CAUSE_ZONE;
	const uint8_t C = VMON_DECISION_CAUSE_CLASS;
	const uint8_t V = VMON_DECISION_CAUSE_NOVELTY;
	const struct {
		const int8_t *scores;
		float z; /* features at shipped mean + 10 z: novelty z^2 (threshold 3) */
		float v;
		enum vmon_decision_state vote;
		uint8_t causes;
		enum vmon_label label;
	} cases[] = {
		/* zone A/B, the model decides */
		{s_normal, 0.0f, vb, VMON_DECISION_NORMAL, 0, VMON_LABEL_NORMAL},
		{s_normal, NAN, vb, VMON_DECISION_NORMAL, 0, VMON_LABEL_NORMAL},
		{s_unsure, 0.0f, vb, VMON_DECISION_NORMAL, 0, VMON_LABEL_INNER_RACE},
		{s_inner, 0.0f, vb, VMON_DECISION_WARNING, C, VMON_LABEL_INNER_RACE},
		{s_normal, 3.0f, vb, VMON_DECISION_WARNING, V, VMON_LABEL_NORMAL},
		{s_unsure, 3.0f, vb, VMON_DECISION_WARNING, V, VMON_LABEL_INNER_RACE},
		{s_ball, 3.0f, vb, VMON_DECISION_ALARM, C | V, VMON_LABEL_BALL},
		{s_outer, 3.0f, 0.0f, VMON_DECISION_ALARM, C | V, VMON_LABEL_OUTER_RACE},
		{s_normal, 1.0f, vb, VMON_DECISION_NORMAL, 0, VMON_LABEL_NORMAL}, /* novelty 1 */
		/* zone C: at least a warning */
		{s_normal, 0.0f, vc, VMON_DECISION_WARNING, Z, VMON_LABEL_NORMAL},
		{s_inner, 0.0f, vc, VMON_DECISION_WARNING, Z | C, VMON_LABEL_INNER_RACE},
		{s_inner, 3.0f, vc, VMON_DECISION_ALARM, Z | C | V, VMON_LABEL_INNER_RACE},
		/* zone D: alarm whatever the model says */
		{s_normal, 0.0f, vd, VMON_DECISION_ALARM, Z, VMON_LABEL_NORMAL},
		{s_outer, 3.0f, vd, VMON_DECISION_ALARM, Z | C | V, VMON_LABEL_OUTER_RACE},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct vmon_decision_output out;

		zassert_ok(vmon_decision_reset());
		zassert_ok(decide(cases[i].scores, VMON_LABEL_COUNT, cases[i].z, cases[i].v, 0,
				  &out));
		zassert_equal(out.fallback, 0, "case %u", i);
		zassert_equal(out.vote, cases[i].vote, "case %u: vote %d", i, out.vote);
		zassert_equal(out.causes, cases[i].causes, "case %u: causes 0x%x", i, out.causes);
		zassert_equal(out.label, cases[i].label, "case %u", i);
	}
}

ZTEST(decision_policy, test_confidence_threshold_boundary)
{
	struct vmon_decision_config cfg = t_config();
	struct vmon_decision_output out;
	/* p = (q - zp) * 0.001: q = 100 is exactly the threshold in permille. */
	const int8_t at[] = {-128, -128, 100, -128};
	const int8_t below[] = {-128, -128, 99, -128};

	cfg.score_zero_point = -(CONFIG_VMON_DECISION_FAULT_CONFIDENCE_PERMILLE - 100);
	cfg.score_scale = 0.001f;
	zassert_ok(vmon_decision_init(&cfg));
	zassert_ok(vmon_decision_reset());

	zassert_ok(decide(at, 4, 0.0f, 0.0f, 0, &out));
	zassert_equal(out.confidence_permille, CONFIG_VMON_DECISION_FAULT_CONFIDENCE_PERMILLE);
	zassert_equal(out.vote, VMON_DECISION_WARNING);
	zassert_equal(out.causes, VMON_DECISION_CAUSE_CLASS);

	zassert_ok(decide(below, 4, 0.0f, 0.0f, 0, &out));
	zassert_equal(out.confidence_permille,
		      CONFIG_VMON_DECISION_FAULT_CONFIDENCE_PERMILLE - 1);
	zassert_equal(out.vote, VMON_DECISION_NORMAL);
}

ZTEST(decision_policy, test_novelty_threshold_is_strict)
{
	struct vmon_decision_config cfg = t_config();
	struct vmon_decision_output out;

	cfg.novelty_threshold = 1.0f;
	zassert_ok(vmon_decision_init(&cfg));
	zassert_ok(vmon_decision_reset());
	zassert_ok(decide(s_normal, 4, 1.0f, 0.0f, 0, &out)); /* exactly 1.0 */
	zassert_equal(out.novelty, 1.0f);
	zassert_equal(out.vote, VMON_DECISION_NORMAL);
	zassert_ok(decide(s_normal, 4, 1.1f, 0.0f, 0, &out)); /* 11^2 / 100 */
	zassert_within(out.novelty, 1.21f, 1e-5f);
	zassert_equal(out.vote, VMON_DECISION_WARNING);
	zassert_equal(out.causes, VMON_DECISION_CAUSE_NOVELTY);
}

ZTEST(decision_policy, test_dequantization_and_ties)
{
	struct vmon_decision_output out;
	const int8_t tie[] = {50, 50, -128, -128};
	const int8_t low[] = {-128, -128, -128, -128};

	zassert_ok(decide(s_inner, 4, 0.0f, 0.0f, 0, &out));
	zassert_equal(out.confidence_permille, 898); /* (102 + 128) / 256 */
	zassert_ok(decide(tie, 4, 0.0f, 0.0f, 0, &out));
	zassert_equal(out.label, VMON_LABEL_NORMAL, "a tie goes to normal");
	zassert_ok(decide(low, 4, 0.0f, 0.0f, 0, &out));
	zassert_equal(out.confidence_permille, 0);
}

/* ---- fallback ---- */

ZTEST(decision_policy, test_fallback_every_reason)
{
	const struct {
		const int8_t *scores;
		size_t n;
		uint32_t flags;
		uint32_t fallback;
	} cases[] = {
		{s_ball, 4, VMON_DECISION_FB_MODEL_UNAVAILABLE, VMON_DECISION_FB_MODEL_UNAVAILABLE},
		{s_ball, 4, VMON_DECISION_FB_MODEL_INVALID, VMON_DECISION_FB_MODEL_INVALID},
		{s_ball, 4, VMON_DECISION_FB_HASH_MISMATCH, VMON_DECISION_FB_HASH_MISMATCH},
		{s_ball, 4, VMON_DECISION_FB_INPUT_SATURATED, VMON_DECISION_FB_INPUT_SATURATED},
		{s_ball, 4, VMON_DECISION_FB_INPUT_STUCK, VMON_DECISION_FB_INPUT_STUCK},
		{s_ball, 4, VMON_DECISION_FB_INPUT_RANGE, VMON_DECISION_FB_INPUT_RANGE},
		/* detected by the module */
		{NULL, 0, 0, VMON_DECISION_FB_MODEL_UNAVAILABLE},
		{s_ball, 3, 0, VMON_DECISION_FB_MODEL_INVALID},
		{s_ball, 5, 0, VMON_DECISION_FB_MODEL_INVALID},
		/* several at once are all reported; unknown bits are dropped */
		{s_ball, 4, VMON_DECISION_FB_HASH_MISMATCH | VMON_DECISION_FB_INPUT_STUCK | BIT(31),
		 VMON_DECISION_FB_HASH_MISMATCH | VMON_DECISION_FB_INPUT_STUCK},
		{NULL, 0, VMON_DECISION_FB_INPUT_SATURATED,
		 VMON_DECISION_FB_MODEL_UNAVAILABLE | VMON_DECISION_FB_INPUT_SATURATED},
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

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		for (size_t j = 0; j < ARRAY_SIZE(zones); j++) {
			struct vmon_decision_output out;

			/* Ball with high confidence and novelty 9: alarm on the model path. */
			zassert_ok(decide(cases[i].scores, cases[i].n, 3.0f,
					  t_velocity(zones[j].zone), cases[i].flags, &out));
			zassert_equal(out.fallback, cases[i].fallback, "case %u: 0x%x", i,
				      out.fallback);
			zassert_equal(out.zone, zones[j].zone);
			zassert_equal(out.vote, zones[j].vote, "case %u zone %s: vote %d", i,
				      vmon_zone_str(zones[j].zone), out.vote);
			zassert_equal(out.causes,
				      zones[j].vote != VMON_DECISION_NORMAL ? VMON_DECISION_CAUSE_ZONE
									    : 0);
			/* novelty is still computed for the report */
			zassert_within(out.novelty, 9.0f, 1e-4f);
		}
	}

	/* The same window without a reason takes the model path. */
	struct vmon_decision_output out;

	zassert_ok(decide(s_ball, 4, 3.0f, t_velocity(VMON_ZONE_A), 0, &out));
	zassert_equal(out.fallback, 0);
	zassert_equal(out.vote, VMON_DECISION_ALARM);
}

ZTEST(decision_policy, test_invalid_input)
{
	struct vmon_decision_output out;
	struct vmon_decision_input in = {.velocity_mm_s = 1.0f};
	int32_t f[T_N_FEATURES] = {0};

	zassert_equal(vmon_decision_update(NULL, &out), -EINVAL);
	zassert_equal(vmon_decision_update(&in, NULL), -EINVAL);
	in.velocity_mm_s = -0.1f;
	zassert_equal(vmon_decision_update(&in, &out), -EINVAL);
	in.velocity_mm_s = NAN;
	zassert_equal(vmon_decision_update(&in, &out), -EINVAL);
	in.velocity_mm_s = INFINITY;
	zassert_equal(vmon_decision_update(&in, &out), -EINVAL);
	in.velocity_mm_s = 1.0f;
	in.features = f;
	in.n_features = T_N_FEATURES - 1;
	zassert_equal(vmon_decision_update(&in, &out), -EINVAL);
	in.n_features = T_N_FEATURES;
	zassert_ok(vmon_decision_update(&in, &out));
}

ZTEST(decision_policy, test_invalid_config)
{
	static const char *const wrong_order[] = {"normal", "ball", "inner_race", "outer_race"};
	struct vmon_decision_config good = t_config();
	struct vmon_decision_config cfg;

	zassert_equal(vmon_decision_init(NULL), -EINVAL);
	cfg = good, cfg.n_features = 0;
	zassert_equal(vmon_decision_init(&cfg), -EINVAL);
	cfg = good, cfg.n_features = VMON_DECISION_FEATURES_MAX + 1;
	zassert_equal(vmon_decision_init(&cfg), -EINVAL);
	cfg = good, cfg.shipped_var = NULL;
	zassert_equal(vmon_decision_init(&cfg), -EINVAL);
	cfg = good, cfg.novelty_threshold = 0.0f;
	zassert_equal(vmon_decision_init(&cfg), -EINVAL);
	cfg = good, cfg.novelty_threshold = NAN;
	zassert_equal(vmon_decision_init(&cfg), -EINVAL);
	cfg = good, cfg.score_scale = 0.0f;
	zassert_equal(vmon_decision_init(&cfg), -EINVAL);
	cfg = good, cfg.labels = wrong_order;
	zassert_equal(vmon_decision_init(&cfg), -EINVAL);
	cfg = good, cfg.n_labels = 3;
	zassert_equal(vmon_decision_init(&cfg), -EINVAL);
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
		{"www", "NNW"},          /* enters on the Nth vote */
		{"wnwnw", "NNNNW"},      /* N of M, not N in a row */
		{"aaa", "NNA"},          /* straight to alarm */
		{"anana", "NNNNA"},
		{"wwaa", "NNWW"},        /* two alarms of five are not enough */
		{"wwaaa", "NNWWA"},
		{"aawwnnn", "NNWWWWN"},  /* alarm votes count as warnings */
		{"aaaaannn", "NNAAAAAN"}, /* leaves when N votes are below */
		{"aaawww", "NNAAAW"},    /* steps down to warning */
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

/* Any N and M: the state changes exactly when N of the last M votes say so. */
ZTEST(decision_policy, test_hysteresis_n_of_m_property)
{
	enum vmon_decision_state hist[256];
	enum vmon_decision_state state = VMON_DECISION_NORMAL;
	uint32_t seed = 0x1234567U;
	int changes = 0;

	zassert_ok(vmon_decision_reset());
	for (size_t k = 0; k < ARRAY_SIZE(hist); k++) {
		/* runs of the same vote so that levels are reached and left */
		seed = seed * 1664525U + 1013904223U;
		hist[k] = k % 7 == 0 ? (enum vmon_decision_state)((seed >> 24) % 3) : hist[k - 1];
		if ((seed >> 8) % 5 == 0) {
			hist[k] = (enum vmon_decision_state)((seed >> 16) % 3);
		}

		enum vmon_decision_state s = vote(hist[k]);
		int filled = MIN((int)k + 1, M);
		int at[3] = {0};

		for (int j = 0; j < filled; j++) {
			for (int l = 0; l <= hist[k - j]; l++) {
				at[l]++;
			}
		}
		/* expected by the definition in decision.h */
		enum vmon_decision_state want = state;

		if (at[VMON_DECISION_ALARM] >= N) {
			want = VMON_DECISION_ALARM;
		} else if (state == VMON_DECISION_ALARM &&
			   filled - at[VMON_DECISION_ALARM] >= N) {
			want = filled - at[VMON_DECISION_WARNING] >= N ? VMON_DECISION_NORMAL
									: VMON_DECISION_WARNING;
		} else if (state == VMON_DECISION_NORMAL && at[VMON_DECISION_WARNING] >= N) {
			want = VMON_DECISION_WARNING;
		} else if (state == VMON_DECISION_WARNING &&
			   filled - at[VMON_DECISION_WARNING] >= N) {
			want = VMON_DECISION_NORMAL;
		}
		zassert_equal(s, want, "window %u", k);
		changes += s != state;
		state = s;
	}
	zassert_true(changes >= 4, "the sequence exercises the transitions (%d)", changes);
	TC_PRINT("%d of %d: %d state changes in %u windows\n", N, M, changes, ARRAY_SIZE(hist));
}

ZTEST(decision_policy, test_changed_flag_and_reset)
{
	struct vmon_decision_output out;
	struct vmon_decision_status st;

	for (int k = 0; k < N; k++) {
		zassert_ok(decide(NULL, 0, NAN, t_velocity(VMON_ZONE_D), 0, &out));
		zassert_equal(out.changed, k == N - 1);
	}
	zassert_equal(out.state, VMON_DECISION_ALARM);
	zassert_ok(vmon_decision_get_status(&st));
	zassert_equal(st.state, VMON_DECISION_ALARM);
	zassert_ok(vmon_decision_reset());
	zassert_ok(vmon_decision_get_status(&st));
	zassert_equal(st.state, VMON_DECISION_NORMAL);
}

/* ---- fault type ---- */

ZTEST(decision_policy, test_fault_type)
{
	struct vmon_decision_output out;

	/* zone only: unknown */
	for (int k = 0; k < N; k++) {
		zassert_ok(decide(s_normal, 4, 0.0f, t_velocity(VMON_ZONE_C), 0, &out));
	}
	zassert_equal(out.state, VMON_DECISION_WARNING);
	zassert_equal(out.fault, VMON_FAULT_UNKNOWN);

	/* novelty only: unknown */
	zassert_ok(vmon_decision_reset());
	for (int k = 0; k < N; k++) {
		zassert_ok(decide(s_normal, 4, 3.0f, 0.0f, 0, &out));
	}
	zassert_equal(out.state, VMON_DECISION_WARNING);
	zassert_equal(out.fault, VMON_FAULT_UNKNOWN);

	/* a classified fault names it */
	zassert_ok(vmon_decision_reset());
	for (int k = 0; k < N; k++) {
		zassert_ok(decide(s_ball, 4, 0.0f, 0.0f, 0, &out));
	}
	zassert_equal(out.state, VMON_DECISION_WARNING);
	zassert_equal(out.fault, VMON_FAULT_BALL);
	zassert_equal(strcmp(vmon_fault_str(out.fault), "ball"), 0);

	/* the most frequent one wins */
	zassert_ok(vmon_decision_reset());
	zassert_ok(decide(s_outer, 4, 0.0f, 0.0f, 0, &out));
	for (int k = 1; k < N; k++) {
		zassert_ok(decide(s_inner, 4, 0.0f, 0.0f, 0, &out));
	}
	zassert_equal(out.state, VMON_DECISION_WARNING);
	zassert_equal(out.fault, VMON_FAULT_INNER_RACE);

	/* a tie goes to the most recent */
	zassert_ok(vmon_decision_reset());
	zassert_ok(decide(s_inner, 4, 0.0f, t_velocity(VMON_ZONE_C), 0, &out));
	zassert_ok(decide(s_outer, 4, 0.0f, t_velocity(VMON_ZONE_C), 0, &out));
	for (int k = 2; k < N; k++) {
		zassert_ok(decide(s_normal, 4, 0.0f, t_velocity(VMON_ZONE_C), 0, &out));
	}
	zassert_equal(out.state, VMON_DECISION_WARNING);
	zassert_equal(out.fault, VMON_FAULT_OUTER_RACE);

	/* back to normal: no fault */
	for (int k = 0; k < M; k++) {
		zassert_ok(decide(s_normal, 4, 0.0f, 0.0f, 0, &out));
	}
	zassert_equal(out.state, VMON_DECISION_NORMAL);
	zassert_equal(out.fault, VMON_FAULT_NONE);
}

ZTEST(decision_policy, test_strings)
{
	zassert_equal(strcmp(vmon_decision_state_str(VMON_DECISION_ALARM), "alarm"), 0);
	zassert_equal(strcmp(vmon_zone_str(VMON_ZONE_C), "C"), 0);
	zassert_equal(strcmp(vmon_fault_str(VMON_FAULT_UNKNOWN), "unknown"), 0);
	zassert_equal(strcmp(vmon_fault_str((enum vmon_fault)42), "?"), 0);
}
