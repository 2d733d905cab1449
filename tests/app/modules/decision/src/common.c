/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Shared fixtures of the decision tests.
 */

#include <math.h>

#include <zephyr/logging/log.h>
#include <zephyr/ztest.h>

#include "common.h"

LOG_MODULE_REGISTER(test_decision_common, LOG_LEVEL_INF);

#define M(i) (3000.0f + 100.0f * (i))
const float t_shipped_mean[T_N_FEATURES] = {
	M(0),  M(1),  M(2),  M(3),  M(4),  M(5),  M(6),  M(7),  M(8),  M(9),
	M(10), M(11), M(12), M(13), M(14), M(15), M(16), M(17), M(18), M(19),
	M(20), M(21), M(22), M(23), M(24), M(25), M(26), M(27), M(28), M(29),
	M(30), M(31), M(32), M(33), M(34), M(35), M(36),
};

const float t_shipped_var[T_N_FEATURES] = {
	[0 ... T_N_FEATURES - 1] = T_SHIPPED_VAR,
};

static const char *const labels[] = {"normal", "inner_race", "ball", "outer_race"};

struct vmon_decision_config t_config(void)
{
	return (struct vmon_decision_config){
		.n_features = T_N_FEATURES,
		.shipped_mean = t_shipped_mean,
		.shipped_var = t_shipped_var,
		.novelty_threshold = T_NOVELTY_THRESHOLD,
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

void t_features_z(int32_t *f, float z)
{
	for (size_t i = 0; i < T_N_FEATURES; i++) {
		f[i] = (int32_t)floorf(t_shipped_mean[i] + 10.0f * z + 0.5f);
	}
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

static uint32_t ref_state;

void ref_seed(void)
{
	ref_state = 12345U;
}

static uint32_t ref_rnd(void)
{
	ref_state = ref_state * 1103515245U + 12345U;
	return (ref_state >> 16) & 0x7fffU;
}

void ref_window(int32_t *f)
{
	for (int i = 0; i < REF_N_FEATURES; i++) {
		int32_t r = (int32_t)ref_rnd();

		if (i == 0) {
			f[i] = 4096;
		} else if (i == 1) {
			f[i] = (1 << 20) + r % 1001 - 500;
		} else {
			int32_t span = 40 + 13 * i;

			f[i] = 2000 + 150 * i + r % span - span / 2;
		}
	}
}

int t_feed_window(const int32_t *f, uint32_t flags)
{
	struct vmon_decision_input in = {
		.features = f,
		.n_features = f != NULL ? T_N_FEATURES : 0,
		.velocity_mm_s = 0.0f,
		.flags = flags,
	};
	struct vmon_decision_output out;

	return vmon_decision_update(&in, &out);
}
