/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Shared fixtures of the decision tests.
 */

#include <zephyr/logging/log.h>
#include <zephyr/ztest.h>

#include "common.h"

LOG_MODULE_REGISTER(test_decision_common, LOG_LEVEL_INF);

static const char *const labels[] = {"normal", "inner_race", "ball", "outer_race"};

struct vmon_decision_config t_config(void)
{
	return (struct vmon_decision_config){
		.n_features = T_N_FEATURES,
		.score_zero_point = -128,
		.score_scale = 1.0f / 256.0f,
		.feature_hash = T_FEATURE_HASH,
		.labels = labels,
		.n_labels = ARRAY_SIZE(labels),
	};
}

void t_fresh(const struct vmon_decision_config *cfg)
{
	zassert_ok(vmon_decision_init(cfg));
	zassert_ok(vmon_decision_baseline_clear());
	zassert_ok(vmon_decision_zones_reset());
	zassert_ok(vmon_decision_reset());
}

struct vmon_decision_status t_status(void)
{
	struct vmon_decision_status st;

	zassert_ok(vmon_decision_get_status(&st));
	return st;
}

float t_velocity(enum vmon_zone z)
{
	struct vmon_decision_zones d;

	vmon_decision_zones_default(&d);
	switch (z) {
	case VMON_ZONE_A:
		return d.ab_um_s / 2 / 1000.0f;
	case VMON_ZONE_B:
		return (d.ab_um_s + d.bc_um_s) / 2 / 1000.0f;
	case VMON_ZONE_C:
		return (d.bc_um_s + d.cd_um_s) / 2 / 1000.0f;
	default:
		return d.cd_um_s * 2 / 1000.0f;
	}
}

const int8_t *t_scores(enum vmon_label top)
{
	static const int8_t s[VMON_LABEL_COUNT][VMON_LABEL_COUNT] = {
		{127, -128, -128, -128},
		{-128, 127, -128, -128},
		{-128, -128, 127, -128},
		{-128, -128, -128, 127},
	};

	return s[top];
}

void t_fill(int32_t *f, int32_t v)
{
	for (size_t i = 0; i < T_N_FEATURES; i++) {
		f[i] = v;
	}
}

static uint32_t ref_state;

void ref_seed(void)
{
	ref_state = REF_SEED;
}

static int32_t ref_rnd(void)
{
	ref_state = ref_state * 1103515245U + 12345U;
	return (int32_t)((ref_state >> 16) & 0x7fffU);
}

void ref_window(int32_t *f)
{
	for (int i = 0; i < REF_N_FEATURES; i++) {
		int32_t r = ref_rnd();

		if (i == 0) {
			f[i] = 4096;
		} else if (i == 1) {
			f[i] = -VMON_DECISION_FEATURE_ABS_MAX + r % 1001;
		} else if (i == 2) {
			f[i] = VMON_DECISION_FEATURE_ABS_MAX - r % 101;
		} else {
			int32_t span = 40 + 13 * i;
			int32_t jump = r % 16 == 0 ? 3 * span : 0;

			f[i] = 2000 + 150 * i + r % span - span / 2 + jump;
		}
	}
}

int t_decide(const int32_t *f, uint32_t flags, const int8_t *scores, float v_mm_s,
	     struct vmon_decision_output *out)
{
	struct vmon_decision_input in = {
		.scores = scores,
		.n_scores = scores != NULL ? VMON_LABEL_COUNT : 0,
		.features = f,
		.n_features = f != NULL ? T_N_FEATURES : 0,
		.velocity_mm_s = v_mm_s,
		.flags = flags,
	};

	return vmon_decision_update(&in, out);
}

int t_feed_window(const int32_t *f, uint32_t flags)
{
	struct vmon_decision_output out;

	return t_decide(f, flags, NULL, 0.0f, &out);
}

void t_commission_reference(const uint8_t *labels_of)
{
	static int32_t f[T_N_FEATURES];
	struct vmon_decision_output out;
	struct vmon_decision_status st;
	uint32_t done = 0;
	uint32_t skipped = 0;

	zassert_false(t_status().commissioned, "the reference starts uncommissioned");
	ref_seed();
	zassert_ok(vmon_decision_baseline_learn(REF_N_WINDOWS));
	for (int w = 0; w < REF_N_STREAM; w++) {
		const int32_t *feat = f;
		uint32_t flags = 0;

		st = t_status();
		zassert_true(st.learning && !st.commissioned, "window %d", w);
		zassert_equal(st.learn_target, REF_N_WINDOWS);
		zassert_equal(st.learn_done, done, "window %d", w);
		zassert_equal(st.learn_skipped, skipped, "window %d", w);

		ref_window(f);
		if (w == 0) {
			zassert_mem_equal(f, ref_first_window, sizeof(f), "C generator differs");
		} else if (w == REF_N_STREAM - 1) {
			zassert_mem_equal(f, ref_last_window, sizeof(f), "C generator differs");
		}
		switch (ref_stream_skip[w]) {
		case REF_SKIP_SATURATED:
			flags = VMON_DECISION_FB_INPUT_SATURATED;
			break;
		case REF_SKIP_STUCK:
			flags = VMON_DECISION_FB_INPUT_STUCK;
			break;
		case REF_SKIP_BEYOND:
			f[w % T_N_FEATURES] = -VMON_DECISION_FEATURE_ABS_MAX - 1;
			break;
		case REF_SKIP_NO_FEATURES:
			feat = NULL;
			break;
		default:
			break;
		}
		zassert_ok(t_decide(feat, flags, t_scores(labels_of[w]), 0.0f, &out));
		zassert_equal(out.novelty_q8, ref_stream_novelty_q8[w], "window %d: %d", w,
			      out.novelty_q8);
		/* Learned first, then scored: the last window already has the new baseline. */
		zassert_equal(out.commissioned, w == REF_N_STREAM - 1, "window %d", w);
		zassert_equal(out.threshold_q8, w == REF_N_STREAM - 1 ? REF_THRESHOLD_Q8 : 0);
		zassert_equal(out.vote, VMON_DECISION_NORMAL, "window %d", w);
		zassert_equal(out.label, (enum vmon_label)labels_of[w]);
		if (ref_stream_skip[w] != 0) {
			zassert_true(out.fallback & VMON_DECISION_FB_INPUT_ANY, "window %d", w);
			skipped++;
		} else {
			done++;
		}
	}
	st = t_status();
	zassert_false(st.learning);
	zassert_true(st.commissioned);
	zassert_equal(done, REF_N_WINDOWS);
	zassert_equal(st.learn_skipped, REF_N_SKIPPED);
	zassert_equal(st.learned_windows, REF_N_WINDOWS);
	zassert_equal(st.threshold_q8, REF_THRESHOLD_Q8);
}

void t_commission_strict(void)
{
	int32_t f[T_N_FEATURES];

	zassert_ok(vmon_decision_baseline_learn(4));
	for (int w = 0; w < 4; w++) {
		t_fill(f, w % 2 ? -REF_STRICT_WINDOW : REF_STRICT_WINDOW);
		zassert_ok(t_feed_window(f, 0));
	}
	zassert_false(t_status().learning);
	zassert_true(t_status().commissioned);
	zassert_equal(t_status().threshold_q8, REF_STRICT_THRESHOLD_Q8);
}
