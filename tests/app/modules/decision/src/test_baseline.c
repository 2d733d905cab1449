/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Baseline tests: the integer sums, threshold, classifier validation and novelty against
 * the vectors vmon.dsp.policy generated (reference.h), bit for bit; the squared z-score at
 * the extremes; the commissioning state machine (clean windows only, restart, clear, the
 * previous baseline in use meanwhile); the uncommissioned node; RAM-only mode.
 */

#include <math.h>
#include <string.h>

#include <zephyr/logging/log.h>
#include <zephyr/ztest.h>

#include "baseline.h"
#include "common.h"

LOG_MODULE_REGISTER(test_decision_baseline, LOG_LEVEL_INF);

static int32_t win[T_N_FEATURES];

static void before(void *f)
{
	struct vmon_decision_config cfg = t_config();

	ARG_UNUSED(f);
	t_fresh(&cfg);
}

ZTEST_SUITE(decision_baseline, NULL, NULL, before, NULL, NULL);

/* ---- pure maths ---- */

ZTEST(decision_baseline, test_z2_matches_python)
{
	for (size_t i = 0; i < ARRAY_SIZE(ref_z2); i++) {
		const struct ref_z2 *c = &ref_z2[i];
		uint32_t z2 = baseline_z2_q8(c->n, c->s, c->d, c->f);

		zassert_equal(z2, c->z2_q8, "case %u (n %u, f %d): %u, Python %u", i, c->n, c->f,
			      z2, c->z2_q8);
	}
}

/* Every corner of the sums' range (N = 32767, |f| = 32768, |S| = N 32768, D up to its
 * bound): no overflow, symmetric in the sign of N f - S, capped, and within one of the
 * quotient in double precision. */
ZTEST(decision_baseline, test_z2_at_the_extremes)
{
	const int64_t n_max = VMON_DECISION_COMMISSION_MAX;
	const int64_t s_max = n_max * VMON_DECISION_FEATURE_ABS_MAX;
	const int32_t fs[] = {-VMON_DECISION_FEATURE_ABS_MAX, -1, 0, 1,
			      VMON_DECISION_FEATURE_ABS_MAX};
	const int32_t ss[] = {-s_max, -s_max / 3, 0, s_max / 7, s_max};
	const int64_t ds[] = {0, n_max * n_max * VMON_DECISION_VAR_FLOOR, s_max, s_max * s_max / 5,
			      s_max * s_max};
	const double var_floor = (double)n_max * n_max * VMON_DECISION_VAR_FLOOR;
	int capped = 0;

	for (size_t a = 0; a < ARRAY_SIZE(fs); a++) {
		for (size_t b = 0; b < ARRAY_SIZE(ss); b++) {
			for (size_t c = 0; c < ARRAY_SIZE(ds); c++) {
				const double e = (double)n_max * fs[a] - (double)ss[b];
				const double den = MAX((double)ds[c], var_floor);
				const double want = MIN(e * e * 256.0 / den,
							(double)VMON_DECISION_Z2_CAP_Q8);
				uint32_t z2 = baseline_z2_q8(n_max, ss[b], ds[c], fs[a]);

				zassert_equal(z2, baseline_z2_q8(n_max, -ss[b], ds[c], -fs[a]));
				zassert_true(z2 <= VMON_DECISION_Z2_CAP_Q8);
				zassert_true(fabs((double)z2 - want) <= 1.0, "f %d S %d D %lld: %u",
					     fs[a], ss[b], (long long)ds[c], z2);
				capped += z2 == VMON_DECISION_Z2_CAP_Q8;
			}
		}
	}
	zassert_true(capped > 0 && capped < 125, "both sides of the cap (%d)", capped);
}

ZTEST(decision_baseline, test_features_in_range)
{
	const int32_t ok[] = {-VMON_DECISION_FEATURE_ABS_MAX, 0, VMON_DECISION_FEATURE_ABS_MAX};
	const int32_t low[] = {0, -VMON_DECISION_FEATURE_ABS_MAX - 1};
	const int32_t high[] = {VMON_DECISION_FEATURE_ABS_MAX + 1, 0};
	const int32_t huge[] = {INT32_MIN};

	zassert_true(features_in_range(ok, ARRAY_SIZE(ok)));
	zassert_false(features_in_range(low, ARRAY_SIZE(low)));
	zassert_false(features_in_range(high, ARRAY_SIZE(high)));
	zassert_false(features_in_range(huge, 1));
	zassert_true(features_in_range(high + 1, 1));
}

ZTEST(decision_baseline, test_commissioning_pure_matches_python)
{
	static struct commissioning c;
	static struct baseline b;
	uint32_t learned = 0;

	commissioning_reset(&c, T_N_FEATURES, REF_N_WINDOWS);
	ref_seed();
	for (int w = 0; w < REF_N_STREAM; w++) {
		ref_window(win);
		if (ref_stream_skip[w] != 0) {
			continue;
		}
		learned++;
		zassert_equal(commissioning_add(&c, win, ref_labels_validated[w] == 0, &b),
			      learned == REF_N_WINDOWS, "window %d", w);
	}
	zassert_equal(b.n_features, T_N_FEATURES);
	zassert_equal(b.n_windows, REF_N_WINDOWS);
	zassert_mem_equal(b.s, ref_s, sizeof(ref_s));
	zassert_mem_equal(b.d, ref_d, sizeof(ref_d));
	zassert_equal(b.threshold_q8, REF_THRESHOLD_Q8);
	zassert_true(b.threshold_q8 > VMON_DECISION_MIN_THRESHOLD_Q8, "the margin decides");
	zassert_equal(b.classifier_validated, REF_VALIDATED);
	for (int k = 0; k < REF_N_PROBES; k++) {
		zassert_equal(baseline_novelty_q8(&b, ref_probe[k]), ref_probe_novelty_q8[k],
			      "probe %d", k);
	}
}

/* An odd target: the second half starts at window 5 / 2 = 2, scored against windows 0
 * and 1 (N = 2, S = 0, D at the floor 4 VAR_FLOOR: (2 300)^2 256 / 16384 = 5625), and sets
 * the threshold. */
ZTEST(decision_baseline, test_threshold_from_the_second_half)
{
	struct vmon_decision_status st;

	zassert_ok(vmon_decision_baseline_learn(REF_N_HALF));
	for (int w = 0; w < REF_N_HALF; w++) {
		t_fill(win, ref_half_window[w]);
		zassert_ok(t_feed_window(win, 0));
	}
	st = t_status();
	zassert_true(st.commissioned);
	zassert_equal(st.threshold_q8, REF_HALF_THRESHOLD_Q8);
	zassert_equal(st.threshold_q8, 5625 * VMON_DECISION_THRESHOLD_MARGIN_Q8 / 256);
}

/* ---- commissioning through the API ---- */

ZTEST(decision_baseline, test_commissioning_matches_python)
{
	static int32_t mean[T_N_FEATURES];
	static uint32_t var[T_N_FEATURES];
	struct vmon_decision_output out;
	struct vmon_decision_status st;

	t_commission_reference(ref_labels_validated);
	st = t_status();
	zassert_equal(st.classifier_validated, REF_VALIDATED, "980 permille normal is enough");
	zassert_ok(vmon_decision_baseline_get(mean, var, T_N_FEATURES));
	zassert_mem_equal(mean, ref_mean_q8, sizeof(mean));
	zassert_mem_equal(var, ref_var, sizeof(var));
	zassert_equal(var[0], 0, "a constant feature has no variance (floored when scoring)");

	for (int k = 0; k < REF_N_PROBES; k++) {
		int32_t nov;

		zassert_ok(vmon_decision_novelty(ref_probe[k], T_N_FEATURES, &nov));
		zassert_equal(nov, ref_probe_novelty_q8[k], "probe %d: %d", k, nov);
		/* Alone after a reset: the vote's mean is the window's own novelty. */
		zassert_ok(vmon_decision_reset());
		zassert_ok(t_decide(ref_probe[k], 0, t_scores(VMON_LABEL_NORMAL), 0.0f, &out));
		zassert_equal(out.novelty_q8, ref_probe_novelty_q8[k], "probe %d", k);
		zassert_equal(out.novelty_avg_q8, ref_probe_novelty_q8[k], "probe %d", k);
		zassert_equal(out.vote, ref_probe_vote[k], "probe %d", k);
		zassert_equal(out.causes, out.vote != VMON_DECISION_NORMAL
						  ? VMON_DECISION_CAUSE_NOVELTY
						  : 0);
		zassert_true(out.commissioned);
		zassert_equal(out.threshold_q8, REF_THRESHOLD_Q8);
		zassert_equal(out.fallback, 0);
	}
}

/* In a row, the vote compares the mean novelty of the last VMON_DECISION_NOVELTY_AVG windows:
 * a single novel window among normal ones is diluted, a run of them is not. */
ZTEST(decision_baseline, test_vote_compares_the_mean_novelty)
{
	struct vmon_decision_output out;
	int diluted = 0;

	t_commission_reference(ref_labels_validated);
	zassert_ok(vmon_decision_reset());
	for (int k = 0; k < REF_N_PROBES; k++) {
		zassert_ok(t_decide(ref_probe[k], 0, t_scores(VMON_LABEL_NORMAL), 0.0f, &out));
		zassert_equal(out.novelty_q8, ref_probe_novelty_q8[k], "probe %d", k);
		zassert_equal(out.novelty_avg_q8, ref_run_novelty_avg_q8[k], "probe %d: %d", k,
			      out.novelty_avg_q8);
		zassert_equal(out.vote, ref_run_vote[k], "probe %d", k);
		if (CONFIG_VMON_DECISION_HYST_N == REF_HYST_N &&
		    CONFIG_VMON_DECISION_HYST_M == REF_HYST_M) {
			/* the reference's states are for its N of M */
			zassert_equal(out.state, ref_run_state[k], "probe %d: %d", k, out.state);
		}
		diluted += out.vote < ref_probe_vote[k];
	}
	zassert_true(diluted > 0, "the reference shows a vote the mean lowers");
}

ZTEST(decision_baseline, test_classifier_not_validated_below_980_permille)
{
	struct vmon_decision_status st;

	t_commission_reference(ref_labels_not_validated);
	st = t_status();
	zassert_equal(st.classifier_validated, REF_NOT_VALIDATED);
	zassert_false(st.classifier_validated);
	/* The labels change nothing else. */
	zassert_equal(st.threshold_q8, REF_THRESHOLD_Q8);
}

ZTEST(decision_baseline, test_uncommissioned_node_scores_nothing)
{
	static int32_t mean[T_N_FEATURES];
	static uint32_t var[T_N_FEATURES];
	struct vmon_decision_output out;
	struct vmon_decision_status st = t_status();
	int32_t nov = 1234;

	zassert_false(st.commissioned);
	zassert_false(st.learning);
	zassert_equal(st.learned_windows, 0);
	zassert_equal(st.threshold_q8, 0);
	zassert_false(st.classifier_validated);
	/* Every feature at a bound, a confident fault class: still only the zone votes. */
	zassert_ok(t_decide(ref_probe[6], 0, t_scores(VMON_LABEL_BALL), 0.0f, &out));
	zassert_false(out.commissioned);
	zassert_equal(out.novelty_q8, -1);
	zassert_equal(out.threshold_q8, 0);
	zassert_equal(out.vote, VMON_DECISION_NORMAL);
	zassert_equal(out.causes, 0);
	zassert_equal(out.label, VMON_LABEL_BALL);
	zassert_ok(t_decide(ref_probe[6], 0, t_scores(VMON_LABEL_BALL), t_velocity(VMON_ZONE_C),
			    &out));
	zassert_equal(out.vote, VMON_DECISION_WARNING);
	zassert_equal(out.causes, VMON_DECISION_CAUSE_ZONE);
	zassert_equal(vmon_decision_novelty(ref_probe[6], T_N_FEATURES, &nov), -ENODATA);
	zassert_equal(nov, 1234, "not written");
	zassert_equal(vmon_decision_baseline_get(mean, var, T_N_FEATURES), -ENODATA);
}

ZTEST(decision_baseline, test_previous_baseline_in_use_while_commissioning)
{
	struct vmon_decision_output out;
	struct vmon_decision_status st;
	int32_t nov;

	t_commission_strict();
	/* The machine changed: commission again at every feature 1000. */
	zassert_ok(vmon_decision_baseline_learn(4));
	t_fill(win, 1000);
	for (int w = 0; w < 3; w++) {
		zassert_ok(t_decide(win, 0, NULL, 0.0f, &out));
		/* 1000^2 / 16 against the strict baseline, still in use */
		zassert_true(out.commissioned);
		zassert_equal(out.threshold_q8, REF_STRICT_THRESHOLD_Q8);
		zassert_equal(out.novelty_q8, 62500);
		zassert_equal(out.vote, VMON_DECISION_ALARM);
		st = t_status();
		zassert_true(st.learning && st.commissioned);
		zassert_equal(st.learned_windows, 4);
		zassert_equal(st.learn_done, w + 1);
	}

	/* The last window is learned before it is scored: the new baseline, S = 4000, D = 0. */
	zassert_ok(t_decide(win, 0, NULL, 0.0f, &out));
	zassert_equal(out.novelty_q8, 0);
	zassert_equal(out.vote, VMON_DECISION_NORMAL);
	zassert_equal(out.threshold_q8, VMON_DECISION_MIN_THRESHOLD_Q8);
	st = t_status();
	zassert_false(st.learning);
	zassert_equal(st.learn_done, 0);
	zassert_equal(st.learned_windows, 4);
	t_fill(win, 0);
	zassert_ok(vmon_decision_novelty(win, T_N_FEATURES, &nov));
	zassert_equal(nov, 62500, "(4 * 1000)^2 * 256 / (16 * VAR_FLOOR)");
}

ZTEST(decision_baseline, test_commissioning_learns_clean_windows_only)
{
	static int32_t mean[T_N_FEATURES];
	static uint32_t var[T_N_FEATURES];
	const uint32_t unclean[] = {
		VMON_DECISION_FB_INPUT_SATURATED,
		VMON_DECISION_FB_INPUT_STUCK,
		VMON_DECISION_FB_INPUT_RANGE,
		VMON_DECISION_FB_INPUT_SATURATED | VMON_DECISION_FB_INPUT_STUCK,
	};
	/* Model problems do not spoil the features: learned. */
	const uint32_t model[] = {
		VMON_DECISION_FB_MODEL_UNAVAILABLE,
		VMON_DECISION_FB_MODEL_INVALID,
		VMON_DECISION_FB_HASH_MISMATCH,
		0,
	};
	const uint32_t no_features =
		VMON_DECISION_FB_INPUT_RANGE | VMON_DECISION_FB_MODEL_UNAVAILABLE;
	struct vmon_decision_output out;
	struct vmon_decision_status st;
	uint32_t skipped = 0;

	zassert_ok(vmon_decision_baseline_learn(4));
	t_fill(win, 5000);
	for (size_t i = 0; i < ARRAY_SIZE(unclean); i++) {
		zassert_ok(t_feed_window(win, unclean[i]));
		skipped++;
	}
	zassert_ok(t_decide(NULL, 0, NULL, 0.0f, &out));
	zassert_equal(out.fallback, no_features);
	skipped++;
	for (int sign = -1; sign <= 1; sign += 2) {
		win[7] = sign * (VMON_DECISION_FEATURE_ABS_MAX + 1);
		zassert_ok(t_decide(win, 0, NULL, 0.0f, &out));
		zassert_equal(out.fallback, no_features);
		zassert_equal(out.novelty_q8, -1);
		skipped++;
	}
	st = t_status();
	zassert_true(st.learning);
	zassert_equal(st.learn_done, 0);
	zassert_equal(st.learn_skipped, skipped);

	for (size_t i = 0; i < ARRAY_SIZE(model); i++) {
		t_fill(win, i % 2 ? -REF_STRICT_WINDOW : REF_STRICT_WINDOW);
		zassert_ok(t_decide(win, model[i], i == 3 ? t_scores(VMON_LABEL_INNER_RACE) : NULL,
				    0.0f, &out));
		st = t_status();
		zassert_equal(st.learn_done, i == 3 ? 0 : i + 1, "window %u", i);
		zassert_equal(st.learn_skipped, skipped);
	}
	zassert_false(st.learning);
	zassert_true(st.commissioned);
	zassert_false(st.classifier_validated, "3 of 4 windows normal");
	zassert_equal(st.threshold_q8, REF_STRICT_THRESHOLD_Q8);
	zassert_ok(vmon_decision_baseline_get(mean, var, T_N_FEATURES));
	for (int i = 0; i < T_N_FEATURES; i++) {
		zassert_equal(mean[i], 0);
		zassert_equal(var[i], REF_STRICT_D / 16, "D / N^2");
	}
}

ZTEST(decision_baseline, test_learn_arguments_restart_and_clear)
{
	struct vmon_decision_output out;
	struct vmon_decision_status st;
	int32_t nov;

	for (uint32_t n = 1; n < VMON_DECISION_COMMISSION_MIN; n++) {
		zassert_equal(vmon_decision_baseline_learn(n), -EINVAL, "%u windows", n);
	}
	zassert_equal(vmon_decision_baseline_learn(T_LEARN_MAX + 1), -EINVAL);
	zassert_equal(vmon_decision_baseline_learn(UINT32_MAX), -EINVAL);
	zassert_false(t_status().learning);
	zassert_ok(vmon_decision_baseline_learn(T_LEARN_MAX));
	zassert_equal(t_status().learn_target, T_LEARN_MAX);
	zassert_ok(vmon_decision_baseline_learn(0));
	st = t_status();
	zassert_true(st.learning);
	zassert_equal(st.learn_target, CONFIG_VMON_DECISION_BASELINE_WINDOWS);

	/* restart: the windows so far and the skip count are dropped */
	t_fill(win, 10);
	zassert_ok(t_feed_window(win, 0));
	zassert_ok(t_feed_window(win, 0));
	zassert_ok(t_feed_window(win, VMON_DECISION_FB_INPUT_STUCK));
	st = t_status();
	zassert_equal(st.learn_done, 2);
	zassert_equal(st.learn_skipped, 1);
	zassert_ok(vmon_decision_baseline_learn(VMON_DECISION_COMMISSION_MIN));
	st = t_status();
	zassert_equal(st.learn_done, 0);
	zassert_equal(st.learn_skipped, 0);
	zassert_equal(st.learn_target, VMON_DECISION_COMMISSION_MIN);

	/* clear aborts: the windows that follow commission nothing */
	zassert_ok(t_feed_window(win, 0));
	zassert_ok(vmon_decision_baseline_clear());
	st = t_status();
	zassert_false(st.learning);
	zassert_equal(st.learn_target, 0);
	for (int k = 0; k < VMON_DECISION_COMMISSION_MIN; k++) {
		zassert_ok(t_feed_window(win, 0));
	}
	zassert_false(t_status().commissioned);

	/* clear uncommissions a commissioned node */
	t_commission_strict();
	zassert_ok(vmon_decision_novelty(win, T_N_FEATURES, &nov));
	zassert_equal(nov, 6, "10^2 / 16");
	zassert_ok(vmon_decision_baseline_clear());
	st = t_status();
	zassert_false(st.commissioned);
	zassert_equal(st.threshold_q8, 0);
	zassert_equal(st.learned_windows, 0);
	zassert_equal(vmon_decision_novelty(win, T_N_FEATURES, &nov), -ENODATA);
	zassert_ok(t_decide(win, 0, NULL, 0.0f, &out));
	zassert_equal(out.novelty_q8, -1);
	zassert_false(out.commissioned);
}

ZTEST(decision_baseline, test_novelty_and_get_arguments)
{
	int32_t mean[T_N_FEATURES];
	uint32_t var[T_N_FEATURES];
	int32_t nov;

	t_fill(win, 0);
	zassert_equal(vmon_decision_novelty(win, T_N_FEATURES, &nov), -ENODATA);
	t_commission_strict();
	zassert_equal(vmon_decision_novelty(NULL, T_N_FEATURES, &nov), -EINVAL);
	zassert_equal(vmon_decision_novelty(win, T_N_FEATURES, NULL), -EINVAL);
	zassert_equal(vmon_decision_novelty(win, T_N_FEATURES + 1, &nov), -EINVAL);
	zassert_equal(vmon_decision_novelty(win, T_N_FEATURES - 1, &nov), -EINVAL);
	win[3] = VMON_DECISION_FEATURE_ABS_MAX + 1;
	zassert_equal(vmon_decision_novelty(win, T_N_FEATURES, &nov), -EINVAL);
	win[3] = -VMON_DECISION_FEATURE_ABS_MAX - 1;
	zassert_equal(vmon_decision_novelty(win, T_N_FEATURES, &nov), -EINVAL);
	win[3] = -VMON_DECISION_FEATURE_ABS_MAX;
	zassert_ok(vmon_decision_novelty(win, T_N_FEATURES, &nov));
	/* one feature at z = -512: capped at 256 (Q8 65536), over 37 features */
	zassert_equal(nov, VMON_DECISION_Z2_CAP_Q8 / T_N_FEATURES);

	zassert_equal(vmon_decision_baseline_get(NULL, var, T_N_FEATURES), -EINVAL);
	zassert_equal(vmon_decision_baseline_get(mean, NULL, T_N_FEATURES), -EINVAL);
	zassert_equal(vmon_decision_baseline_get(mean, var, T_N_FEATURES - 1), -EINVAL);
	zassert_ok(vmon_decision_baseline_get(mean, var, T_N_FEATURES));
}

ZTEST(decision_baseline, test_ram_only_without_settings)
{
	struct vmon_decision_config cfg = t_config();
	struct vmon_decision_zones z = {100, 200, 300};
	struct vmon_decision_status st;

	if (IS_ENABLED(CONFIG_VMON_DECISION_SETTINGS)) {
		ztest_test_skip();
	}
	st = t_status();
	zassert_equal(st.load_err, -ENOSYS);
	zassert_ok(st.storage_err);
	t_commission_strict();
	st = t_status();
	zassert_true(st.commissioned);
	zassert_ok(st.save_err);
	zassert_ok(vmon_decision_zones_set(&z));
	zassert_true(t_status().zones_overridden);
	/* nothing to reload from: the RAM copy is dropped */
	zassert_equal(vmon_decision_baseline_reload(), -ENOSYS);
	st = t_status();
	zassert_false(st.commissioned);
	zassert_equal(st.load_err, -ENOSYS);
	/* nor does init find anything */
	t_commission_strict();
	zassert_ok(vmon_decision_init(&cfg));
	st = t_status();
	zassert_false(st.commissioned);
	zassert_false(st.zones_overridden);
	zassert_equal(st.records_rejected, 0);
}
