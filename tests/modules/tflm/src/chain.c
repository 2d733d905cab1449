/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The whole on-device chain against the Python one: raw golden window -> vmon_features
 * (CMSIS-DSP q31) -> vmon_model_quantize -> vmon_model_run (TFLM) == vmon_golden_output,
 * byte for byte, for every golden window. Each stage is also compared on its own so a
 * failure names the stage that diverged. (In the TFLM test image: one TFLM build per board.)
 */

#include <string.h>

#include <zephyr/kernel.h>
#include <zephyr/sys/printk.h>
#include <zephyr/ztest.h>

#include <vmon/features.h>
#include <vmon/model.h>

#include "vmon_golden.h"
#include "vmon_model_config.h"

BUILD_ASSERT(VMON_FEAT_WINDOW == VMON_GOLDEN_WINDOW, "golden window length");
BUILD_ASSERT(VMON_FEAT_N_FEATURES == VMON_MODEL_N_INPUTS, "features feed the model");
BUILD_ASSERT(VMON_GOLDEN_N_FEATURES == VMON_MODEL_N_INPUTS, "golden feature count");

/* In the test thread (CONFIG_ZTEST_STACK_SIZE), not in main as a suite setup would be:
 * TFLM's AllocateTensors() does not fit main's default 1 KB stack. */
static void before(void *fixture)
{
	ARG_UNUSED(fixture);
	zassert_ok(vmon_features_init());
	zassert_ok(vmon_model_init());
	/* The app's start-up check: the model was trained on these features. */
	zassert_ok(vmon_model_check_feature_hash(vmon_features_hash()));
}

ZTEST(vmon_chain, test_chain_parity)
{
	int32_t f[VMON_MODEL_N_INPUTS];
	int8_t q[VMON_MODEL_N_INPUTS];
	int8_t out[VMON_MODEL_N_OUTPUTS];
	uint32_t cyc_feat = 0, cyc_model = 0;

	for (int i = 0; i < VMON_GOLDEN_N; i++) {
		uint32_t t0 = k_cycle_get_32();

		zassert_ok(vmon_features_compute(vmon_golden_raw[i], VMON_GOLDEN_WINDOW, f,
						 ARRAY_SIZE(f)));
		uint32_t t1 = k_cycle_get_32();

		zassert_ok(vmon_model_quantize(f, ARRAY_SIZE(f), q, sizeof(q)));
		zassert_ok(vmon_model_run(q, sizeof(q), out, sizeof(out)));
		uint32_t t2 = k_cycle_get_32();

		cyc_feat += t1 - t0;
		cyc_model += t2 - t1;
		zassert_mem_equal(f, vmon_golden_features[i], sizeof(f), "window %d (%s): features",
				  i, vmon_golden_names[i]);
		zassert_mem_equal(q, vmon_golden_input[i], sizeof(q), "window %d (%s): int8 input",
				  i, vmon_golden_names[i]);
		zassert_mem_equal(out, vmon_golden_output[i], sizeof(out),
				  "window %d (%s): model output", i, vmon_golden_names[i]);
	}
	printk("vmon_chain: %d windows identical; mean cycles per window: features %u, "
	       "quantize+inference %u\n",
	       VMON_GOLDEN_N, cyc_feat / VMON_GOLDEN_N, cyc_model / VMON_GOLDEN_N);
}

ZTEST_SUITE(vmon_chain, NULL, NULL, before, NULL, NULL);
