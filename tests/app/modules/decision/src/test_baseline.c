/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Baseline tests: Welford mean/variance and the novelty score against numpy reference
 * values, the commissioning state machine (learn, skip, restart, clear) and the shipped
 * baseline fallback.
 */

#include <math.h>
#include <string.h>

#include <zephyr/logging/log.h>
#include <zephyr/ztest.h>

#include "baseline.h"
#include "common.h"

LOG_MODULE_REGISTER(test_decision_baseline, LOG_LEVEL_INF);

static int32_t win[T_N_FEATURES];

/* float storage of a float64 reference: half an ulp, plus a little for the sums. */
static void assert_close(float got, double want, const char *what, int i)
{
	double tol = fabs(want) * 2e-7 + 1e-6;

	zassert_true(fabs((double)got - want) <= tol, "%s[%d]: %.9g, numpy %.9g", what, i,
		     (double)got, want);
}

static void learn_reference(void)
{
	struct vmon_decision_status st;

	ref_seed();
	zassert_ok(vmon_decision_baseline_learn(REF_N_WINDOWS));
	for (int w = 0; w < REF_N_WINDOWS; w++) {
		ref_window(win);
		if (w == 0) {
			zassert_mem_equal(win, ref_x0_head, sizeof(ref_x0_head),
					  "C generator differs from the numpy script");
		}
		zassert_ok(vmon_decision_get_status(&st));
		zassert_true(st.learning);
		zassert_equal(st.learn_done, w);
		zassert_ok(t_feed_window(win, 0));
	}
	zassert_ok(vmon_decision_get_status(&st));
	zassert_false(st.learning);
	zassert_equal(st.baseline, VMON_BASELINE_LEARNED);
	zassert_equal(st.learned_windows, REF_N_WINDOWS);
}

static void before(void *f)
{
	struct vmon_decision_config cfg = t_config();

	ARG_UNUSED(f);
	t_fresh(&cfg);
}

ZTEST_SUITE(decision_baseline, NULL, NULL, before, NULL, NULL);

ZTEST(decision_baseline, test_welford_matches_numpy)
{
	static float mean[T_N_FEATURES];
	static float var[T_N_FEATURES];
	enum vmon_baseline_source src;

	learn_reference();
	zassert_ok(vmon_decision_baseline_get(mean, var, T_N_FEATURES, &src));
	zassert_equal(src, VMON_BASELINE_LEARNED);
	for (int i = 0; i < T_N_FEATURES; i++) {
		assert_close(mean[i], ref_mean[i], "mean", i);
		assert_close(var[i], ref_var[i], "var", i);
	}
	/* a constant feature has exactly zero variance (floored only when scoring) */
	zassert_equal(var[0], 0.0f);
}

ZTEST(decision_baseline, test_welford_pure)
{
	static struct welford w;
	static float mean[T_N_FEATURES];
	static float var[T_N_FEATURES];

	welford_reset(&w, T_N_FEATURES);
	ref_seed();
	for (int k = 0; k < REF_N_WINDOWS; k++) {
		ref_window(win);
		welford_add(&w, win);
	}
	welford_result(&w, mean, var);
	zassert_equal(w.count, REF_N_WINDOWS);
	for (int i = 0; i < T_N_FEATURES; i++) {
		assert_close(mean[i], ref_mean[i], "mean", i);
		assert_close(var[i], ref_var[i], "var", i);
	}
	/* a single window: variance 0, mean the window */
	welford_reset(&w, 3);
	welford_add(&w, (const int32_t[]){-7, 0, 1 << 30});
	welford_result(&w, mean, var);
	zassert_equal(mean[0], -7.0f);
	zassert_equal(mean[2], (float)(1 << 30));
	zassert_equal(var[2], 0.0f);
}

ZTEST(decision_baseline, test_novelty_matches_numpy)
{
	struct vmon_decision_output out;
	struct vmon_decision_input in = {.features = win, .n_features = T_N_FEATURES};
	float score;

	learn_reference();
	ref_window(win); /* the 51st window: the probe */
	zassert_mem_equal(win, ref_probe_head, sizeof(ref_probe_head));
	zassert_ok(vmon_decision_novelty(win, T_N_FEATURES, &score));
	zassert_within(score, (float)REF_NOVELTY, (float)REF_NOVELTY * 1e-5f, "%.9g vs %.9g",
		       (double)score, REF_NOVELTY);
	zassert_ok(vmon_decision_update(&in, &out));
	zassert_equal(out.novelty, score);
	zassert_true(out.novelty_from_learned);
}

ZTEST(decision_baseline, test_novelty_by_hand_with_floor)
{
	/* (2^2/4 + 2^2/max(0.25,1) + 20^2/100 + 0/1) / 4 = (1 + 4 + 4 + 0) / 4 */
	static const float mean[] = {0.0f, 10.0f, 100.0f, -5.0f};
	static const float var[] = {4.0f, 0.25f, 100.0f, 1.0f};
	static const int32_t f[] = {2, 12, 80, -5};

	zassert_equal(novelty_score(mean, var, f, 4), 2.25f);
	zassert_equal(novelty_score(mean, var, f, 1), 1.0f);
	zassert_true(isnan(novelty_score(mean, var, f, 0)));
}

ZTEST(decision_baseline, test_shipped_baseline_until_learned)
{
	struct vmon_decision_status st;
	struct vmon_decision_output out;
	struct vmon_decision_input in = {.features = win, .n_features = T_N_FEATURES};
	float score;

	zassert_ok(vmon_decision_get_status(&st));
	zassert_equal(st.baseline, VMON_BASELINE_SHIPPED);
	t_features_z(win, 2.0f);
	zassert_ok(vmon_decision_novelty(win, T_N_FEATURES, &score));
	zassert_equal(score, 4.0f);
	zassert_ok(vmon_decision_update(&in, &out));
	zassert_false(out.novelty_from_learned);

	/* Learn the machine at shipped mean + 20: it becomes normal for this node. */
	zassert_ok(vmon_decision_baseline_learn(4));
	for (int k = 0; k < 4; k++) {
		t_features_z(win, k % 2 ? 1.9f : 2.1f); /* +19 / +21: var 1 */
		zassert_ok(vmon_decision_get_status(&st));
		zassert_equal(st.baseline, VMON_BASELINE_SHIPPED, "old baseline while learning");
		zassert_ok(t_feed_window(win, 0));
	}
	t_features_z(win, 2.0f);
	zassert_ok(vmon_decision_novelty(win, T_N_FEATURES, &score));
	zassert_equal(score, 0.0f);
	zassert_ok(vmon_decision_update(&in, &out));
	zassert_true(out.novelty_from_learned);

	zassert_ok(vmon_decision_baseline_clear());
	zassert_ok(vmon_decision_novelty(win, T_N_FEATURES, &score));
	zassert_equal(score, 4.0f, "back to the shipped baseline");
	zassert_ok(vmon_decision_get_status(&st));
	zassert_equal(st.baseline, VMON_BASELINE_SHIPPED);
	zassert_equal(st.learned_windows, 0);
}

ZTEST(decision_baseline, test_learning_skips_flagged_windows)
{
	static const uint32_t bad[] = {VMON_DECISION_FB_INPUT_SATURATED,
				       VMON_DECISION_FB_INPUT_STUCK, VMON_DECISION_FB_INPUT_RANGE};
	struct vmon_decision_status st;
	float mean[T_N_FEATURES];
	float var[T_N_FEATURES];

	zassert_ok(vmon_decision_baseline_learn(2));
	t_features_z(win, 50.0f);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		zassert_ok(t_feed_window(win, bad[i]));
	}
	zassert_ok(t_feed_window(NULL, 0)); /* no features */
	/* model problems do not spoil the features: learned */
	t_features_z(win, 1.0f);
	zassert_ok(t_feed_window(win, VMON_DECISION_FB_MODEL_INVALID));
	zassert_ok(vmon_decision_get_status(&st));
	zassert_true(st.learning);
	zassert_equal(st.learn_done, 1);
	zassert_equal(st.learn_skipped, ARRAY_SIZE(bad) + 1);
	t_features_z(win, 3.0f);
	zassert_ok(t_feed_window(win, 0));
	zassert_ok(vmon_decision_get_status(&st));
	zassert_false(st.learning);
	zassert_equal(st.learned_windows, 2);
	zassert_ok(vmon_decision_baseline_get(mean, var, T_N_FEATURES, NULL));
	zassert_equal(mean[0], t_shipped_mean[0] + 20.0f);
	zassert_equal(var[0], 100.0f); /* +10 and +30 */
}

ZTEST(decision_baseline, test_learn_arguments_restart_and_abort)
{
	struct vmon_decision_status st;

	zassert_equal(vmon_decision_baseline_learn(1), -EINVAL);
	zassert_equal(vmon_decision_baseline_learn(CONFIG_VMON_DECISION_BASELINE_WINDOWS_MAX + 1),
		      -EINVAL);
	zassert_ok(vmon_decision_baseline_learn(0));
	zassert_ok(vmon_decision_get_status(&st));
	zassert_equal(st.learn_target, CONFIG_VMON_DECISION_BASELINE_WINDOWS);

	/* restart: the windows so far are dropped */
	t_features_z(win, 0.0f);
	zassert_ok(t_feed_window(win, 0));
	zassert_ok(t_feed_window(win, 0));
	zassert_ok(vmon_decision_baseline_learn(3));
	zassert_ok(vmon_decision_get_status(&st));
	zassert_equal(st.learn_done, 0);
	zassert_equal(st.learn_target, 3);

	/* clear aborts */
	zassert_ok(t_feed_window(win, 0));
	zassert_ok(vmon_decision_baseline_clear());
	zassert_ok(vmon_decision_get_status(&st));
	zassert_false(st.learning);
	zassert_equal(st.baseline, VMON_BASELINE_SHIPPED);
	for (int k = 0; k < 3; k++) {
		zassert_ok(t_feed_window(win, 0));
	}
	zassert_ok(vmon_decision_get_status(&st));
	zassert_equal(st.baseline, VMON_BASELINE_SHIPPED);

	/* relearning over a learned baseline keeps the old one until done */
	zassert_ok(vmon_decision_baseline_learn(2));
	zassert_ok(t_feed_window(win, 0));
	zassert_ok(t_feed_window(win, 0));
	zassert_ok(vmon_decision_baseline_learn(2));
	zassert_ok(vmon_decision_get_status(&st));
	zassert_true(st.learning);
	zassert_equal(st.baseline, VMON_BASELINE_LEARNED);
	zassert_equal(st.learned_windows, 2);
}

ZTEST(decision_baseline, test_no_shipped_baseline)
{
	struct vmon_decision_config cfg = t_config();
	struct vmon_decision_status st;
	struct vmon_decision_output out;
	struct vmon_decision_input in = {.features = win, .n_features = T_N_FEATURES};
	float mean[T_N_FEATURES];
	float var[T_N_FEATURES];
	float score;

	cfg.shipped_mean = NULL;
	cfg.shipped_var = NULL;
	t_fresh(&cfg);
	zassert_ok(vmon_decision_get_status(&st));
	zassert_equal(st.baseline, VMON_BASELINE_NONE);
	t_features_z(win, 5.0f);
	zassert_equal(vmon_decision_novelty(win, T_N_FEATURES, &score), -ENODATA);
	zassert_equal(vmon_decision_baseline_get(mean, var, T_N_FEATURES, NULL), -ENODATA);
	zassert_ok(vmon_decision_update(&in, &out));
	zassert_true(isnan(out.novelty));
	zassert_equal(out.vote, VMON_DECISION_NORMAL);

	zassert_ok(vmon_decision_baseline_learn(2));
	zassert_ok(t_feed_window(win, 0));
	zassert_ok(t_feed_window(win, 0));
	zassert_ok(vmon_decision_novelty(win, T_N_FEATURES, &score));
	zassert_equal(score, 0.0f);
	zassert_ok(vmon_decision_baseline_clear());
	zassert_equal(vmon_decision_novelty(win, T_N_FEATURES, &score), -ENODATA);
}

ZTEST(decision_baseline, test_novelty_arguments)
{
	float score;

	zassert_equal(vmon_decision_novelty(NULL, T_N_FEATURES, &score), -EINVAL);
	zassert_equal(vmon_decision_novelty(win, T_N_FEATURES, NULL), -EINVAL);
	zassert_equal(vmon_decision_novelty(win, T_N_FEATURES + 1, &score), -EINVAL);
}

ZTEST(decision_baseline, test_ram_only_without_settings)
{
	struct vmon_decision_status st;

	if (IS_ENABLED(CONFIG_VMON_DECISION_SETTINGS)) {
		ztest_test_skip();
	}
	zassert_ok(vmon_decision_get_status(&st));
	zassert_equal(st.load_err, -ENOSYS);
	t_features_z(win, 0.0f);
	zassert_ok(vmon_decision_baseline_learn(2));
	zassert_ok(t_feed_window(win, 0));
	zassert_ok(t_feed_window(win, 0));
	zassert_ok(vmon_decision_get_status(&st));
	zassert_equal(st.baseline, VMON_BASELINE_LEARNED);
	zassert_ok(st.save_err);
	/* nothing to reload from: the RAM copy is dropped */
	zassert_equal(vmon_decision_baseline_reload(), -ENOSYS);
	zassert_ok(vmon_decision_get_status(&st));
	zassert_equal(st.baseline, VMON_BASELINE_SHIPPED);
}
