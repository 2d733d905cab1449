/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * vmon feature pipeline against the Python reference: the golden windows' features must be
 * identical, bit for bit (vmon.dsp.features.FeatureExtractor.compute through cmsisdsp).
 */

#include <errno.h>
#include <string.h>

#include <zephyr/kernel.h>
#include <zephyr/sys/util.h>
#include <zephyr/ztest.h>

#include <vmon/features.h>

#include "vmon_golden.h"
#include "edge_vectors.h"

BUILD_ASSERT(VMON_GOLDEN_N_FEATURES <= VMON_FEATURES_MAX);

/* vmon_features_compute() before vmon_features_init(), recorded before any suite runs. */
static int rc_before_init = 1;

void test_main(void)
{
	int32_t out[VMON_FEATURES_MAX];

	rc_before_init = vmon_features_compute(vmon_golden_raw[0], VMON_GOLDEN_WINDOW, out,
					       ARRAY_SIZE(out));
	ztest_run_all(NULL, false, 1, 1);
	ztest_verify_all_test_suites_ran();
}

static void *features_setup(void)
{
	zassert_equal(vmon_features_init(), 0, "vmon_features_init failed");
	return NULL;
}

ZTEST(vmon_features, test_compute_before_init_is_eagain)
{
	zassert_equal(rc_before_init, -EAGAIN, "compute before init returned %d", rc_before_init);
}

ZTEST(vmon_features, test_init_is_idempotent)
{
	zassert_equal(vmon_features_init(), 0);
	zassert_equal(vmon_features_init(), 0);
}

ZTEST(vmon_features, test_golden_config_matches_firmware)
{
	/* Fails when the golden vectors are stale against the embedded feature config. */
	zassert_str_equal(vmon_features_hash(), VMON_GOLDEN_FEATURE_HASH,
			  "firmware feature config %s, golden vectors made with %s",
			  vmon_features_hash(), VMON_GOLDEN_FEATURE_HASH);
	zassert_equal(vmon_features_count(), VMON_GOLDEN_N_FEATURES);
	zassert_equal(VMON_FEAT_WINDOW, VMON_GOLDEN_WINDOW);
}

/* Features of n windows against Python's; prints the first mismatch of each window. */
static int count_mismatches(const char *set, const char *const *names, const int16_t *raw,
			    const int32_t *expected, int n, int window, int n_features)
{
	int bad_windows = 0;

	for (int w = 0; w < n; w++) {
		int32_t out[VMON_FEATURES_MAX];
		const int32_t *exp = &expected[w * n_features];

		memset(out, 0x5a, sizeof(out));
		zassert_equal(vmon_features_compute(&raw[w * window], window, out, ARRAY_SIZE(out)),
			      0, "compute failed on %s", names[w]);
		for (int i = 0; i < n_features; i++) {
			if (out[i] == exp[i]) {
				continue;
			}
			TC_PRINT("MISMATCH %s window %d (%s): first at feature %d: got %d, "
				 "Python %d\n",
				 set, w, names[w], i, out[i], exp[i]);
			for (int j = 0; j < n_features; j++) {
				TC_PRINT("  [%2d] got %6d python %6d%s\n", j, out[j], exp[j],
					 out[j] == exp[j] ? "" : "  <--");
			}
			bad_windows++;
			break;
		}
	}
	if (bad_windows == 0) {
		TC_PRINT("%s: %d windows x %d features identical to Python\n", set, n, n_features);
	}
	return bad_windows;
}

ZTEST(vmon_features, test_golden_features_bit_exact)
{
	zassume_equal(VMON_FEAT_WINDOW, VMON_GOLDEN_WINDOW, "golden vectors are for another window");
	zassume_equal(vmon_features_count(), VMON_GOLDEN_N_FEATURES);

	const int bad = count_mismatches("golden", vmon_golden_names, &vmon_golden_raw[0][0],
					 &vmon_golden_features[0][0], VMON_GOLDEN_N,
					 VMON_GOLDEN_WINDOW, VMON_GOLDEN_N_FEATURES);

	zassert_equal(bad, 0, "%d of %d golden windows differ from Python", bad, VMON_GOLDEN_N);
}

ZTEST(vmon_features, test_edge_windows_bit_exact)
{
	/* Generated from the model directory by scripts/gen_edge_vectors.py; stale vectors
	 * fail here (and in tests/scripts/dsp/test_edge_vectors.py), they never skip.
	 */
	zassert_true(strcmp(vmon_features_hash(), EDGE_FEATURE_HASH) == 0,
		     "edge vectors are for feature config %.12s: rerun "
		     "tests/modules/features/scripts/gen_edge_vectors.py",
		     EDGE_FEATURE_HASH);
	BUILD_ASSERT(EDGE_N_FEATURES <= VMON_FEATURES_MAX);

	const int bad = count_mismatches("edge", edge_names, &edge_raw[0][0], &edge_features[0][0],
					 EDGE_N, EDGE_WINDOW, EDGE_N_FEATURES);

	zassert_equal(bad, 0, "%d of %d edge windows differ from Python", bad, EDGE_N);
}

ZTEST(vmon_features, test_repeat_is_identical)
{
	/* Static work buffers: a second run over the same window gives the same features. */
	int32_t a[VMON_FEATURES_MAX];
	int32_t b[VMON_FEATURES_MAX];
	const int16_t *x = vmon_golden_raw[VMON_GOLDEN_N / 2];

	zassert_equal(vmon_features_compute(x, VMON_GOLDEN_WINDOW, a, ARRAY_SIZE(a)), 0);
	zassert_equal(vmon_features_compute(vmon_golden_raw[0], VMON_GOLDEN_WINDOW, b,
					    ARRAY_SIZE(b)),
		      0);
	zassert_equal(vmon_features_compute(x, VMON_GOLDEN_WINDOW, b, ARRAY_SIZE(b)), 0);
	zassert_mem_equal(a, b, VMON_GOLDEN_N_FEATURES * sizeof(int32_t));
}

ZTEST(vmon_features, test_bad_arguments_are_einval)
{
	int32_t out[VMON_FEATURES_MAX];
	const int16_t *x = vmon_golden_raw[0];
	const size_t n = VMON_FEAT_WINDOW;
	const size_t nf = VMON_FEAT_N_FEATURES;

	zassert_equal(vmon_features_compute(NULL, n, out, nf), -EINVAL, "NULL window");
	zassert_equal(vmon_features_compute(x, n, NULL, nf), -EINVAL, "NULL out");
	zassert_equal(vmon_features_compute(x, 0, out, nf), -EINVAL, "len 0");
	zassert_equal(vmon_features_compute(x, n - 1, out, nf), -EINVAL, "len N - 1");
	zassert_equal(vmon_features_compute(x, n + 1, out, nf), -EINVAL, "len N + 1");
	zassert_equal(vmon_features_compute(x, n / 2, out, nf), -EINVAL, "len N / 2");
	zassert_equal(vmon_features_compute(x, n, out, nf - 1), -EINVAL, "out_len N_FEATURES - 1");
	zassert_equal(vmon_features_compute(x, n, out, 0), -EINVAL, "out_len 0");
	/* Exactly N_FEATURES, and more, are fine; nothing past N_FEATURES is written. */
	memset(out, 0x5a, sizeof(out));
	zassert_equal(vmon_features_compute(x, n, out, nf), 0);
	zassert_equal(vmon_features_compute(x, n, out, ARRAY_SIZE(out)), 0);
	for (size_t i = nf; i < ARRAY_SIZE(out); i++) {
		zassert_equal(out[i], 0x5a5a5a5a, "out[%u] written", (unsigned int)i);
	}
}

ZTEST(vmon_features, test_zz_cycles_per_window)
{
	/* Informational: the cost of one window (not asserted). */
	int32_t out[VMON_FEATURES_MAX];
	uint32_t dt[8];
	uint32_t best = UINT32_MAX;

	for (size_t r = 0; r < ARRAY_SIZE(dt); r++) {
		const int16_t *x = vmon_golden_raw[r % VMON_GOLDEN_N];
		const uint32_t t0 = k_cycle_get_32();

		zassert_equal(vmon_features_compute(x, VMON_GOLDEN_WINDOW, out, ARRAY_SIZE(out)),
			      0);
		dt[r] = k_cycle_get_32() - t0;
		best = MIN(best, dt[r]);
	}
	const uint64_t ns = k_cyc_to_ns_floor64(best);

	/* The minimum: a single run can include a timer interrupt or a counter glitch. */
	TC_PRINT("vmon_features_compute(%d samples): %u hw cycles (min of %u runs; "
		 "%u Hz cycle clock, %u us)\n",
		 VMON_FEAT_WINDOW, best, (unsigned int)ARRAY_SIZE(dt),
		 sys_clock_hw_cycles_per_sec(), (uint32_t)(ns / 1000U));
	TC_PRINT("runs:");
	for (size_t r = 0; r < ARRAY_SIZE(dt); r++) {
		TC_PRINT(" %u", dt[r]);
	}
	TC_PRINT("\n");
#if defined(CONFIG_QEMU_ICOUNT)
	/* Under QEMU -icount every instruction takes 2^shift ns of virtual time. */
	TC_PRINT("QEMU icount shift %d: about %u instructions per window\n",
		 CONFIG_QEMU_ICOUNT_SHIFT, (uint32_t)(ns >> CONFIG_QEMU_ICOUNT_SHIFT));
#endif
}

ZTEST_SUITE(vmon_features, NULL, features_setup, NULL, NULL, NULL);
