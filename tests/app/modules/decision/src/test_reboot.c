/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Persistence across sys_reboot(): three boots of one test.
 *   boot 0: learn the reference baseline, override the zones, reboot
 *   boot 1: both are back from NVS (bit-identical); clear them, reboot
 *   boot 2: the clear survived too
 */

#include <math.h>
#include <string.h>

#include <zephyr/logging/log.h>
#include <zephyr/sys/reboot.h>
#include <zephyr/ztest.h>

#include "common.h"
#include "storage.h"

LOG_MODULE_REGISTER(test_decision_reboot, LOG_LEVEL_INF);

static const struct vmon_decision_zones zones = {1100, 2200, 3300};

/* What boot 0 learned, to compare with what boot 1 loads. */
static float saved_mean[T_N_FEATURES] __noinit;
static float saved_var[T_N_FEATURES] __noinit;

static struct vmon_decision_status status(void)
{
	struct vmon_decision_status st;

	zassert_ok(vmon_decision_get_status(&st));
	return st;
}

static void boot0(const struct vmon_decision_config *cfg)
{
	static int32_t win[T_N_FEATURES];
	struct vmon_decision_status st;

	zassert_ok(vmon_decision_init(cfg));
	st = status();
	zassert_equal(st.baseline, VMON_BASELINE_SHIPPED);
	zassert_equal(st.load_err, -ENOENT);

	ref_seed();
	zassert_ok(vmon_decision_baseline_learn(REF_N_WINDOWS));
	for (int w = 0; w < REF_N_WINDOWS; w++) {
		ref_window(win);
		zassert_ok(t_feed_window(win, 0));
	}
	st = status();
	zassert_equal(st.baseline, VMON_BASELINE_LEARNED);
	zassert_ok(st.save_err);
	zassert_ok(vmon_decision_zones_set(&zones));
	zassert_ok(vmon_decision_baseline_get(saved_mean, saved_var, T_N_FEATURES, NULL));

	TC_PRINT("boot 0: baseline learned and zones overridden, rebooting\n");
	t_boot_next();
	sys_reboot(SYS_REBOOT_WARM);
	zassert_unreachable("sys_reboot() returned");
}

static void boot1(const struct vmon_decision_config *cfg)
{
	static float mean[T_N_FEATURES];
	static float var[T_N_FEATURES];
	static int32_t probe[T_N_FEATURES];
	struct vmon_decision_status st;
	enum vmon_baseline_source src;
	float score;

	zassert_ok(vmon_decision_init(cfg));
	st = status();
	zassert_equal(st.baseline, VMON_BASELINE_LEARNED);
	zassert_ok(st.load_err);
	zassert_equal(st.records_rejected, 0);
	zassert_equal(st.learned_windows, REF_N_WINDOWS);
	zassert_true(st.zones_overridden);
	zassert_mem_equal(&st.zones, &zones, sizeof(zones));

	zassert_ok(vmon_decision_baseline_get(mean, var, T_N_FEATURES, &src));
	zassert_equal(src, VMON_BASELINE_LEARNED);
	zassert_mem_equal(mean, saved_mean, sizeof(mean));
	zassert_mem_equal(var, saved_var, sizeof(var));
	for (int i = 0; i < T_N_FEATURES; i++) {
		zassert_within((double)mean[i], ref_mean[i], fabs(ref_mean[i]) * 2e-7 + 1e-6);
		zassert_within((double)var[i], ref_var[i], fabs(ref_var[i]) * 2e-7 + 1e-6);
	}
	ref_seed();
	for (int w = 0; w <= REF_N_WINDOWS; w++) {
		ref_window(probe);
	}
	zassert_ok(vmon_decision_novelty(probe, T_N_FEATURES, &score));
	zassert_within(score, (float)REF_NOVELTY, (float)REF_NOVELTY * 1e-5f);

	zassert_ok(vmon_decision_baseline_clear());
	zassert_ok(vmon_decision_zones_reset());
	TC_PRINT("boot 1: baseline and zones survived the reboot; cleared, rebooting\n");
	t_boot_next();
	sys_reboot(SYS_REBOOT_WARM);
	zassert_unreachable("sys_reboot() returned");
}

static void boot2(const struct vmon_decision_config *cfg)
{
	struct vmon_decision_zones def;
	struct vmon_decision_status st;

	zassert_ok(vmon_decision_init(cfg));
	st = status();
	zassert_equal(st.baseline, VMON_BASELINE_SHIPPED);
	zassert_equal(st.load_err, -ENOENT);
	zassert_false(st.zones_overridden);
	vmon_decision_zones_default(&def);
	zassert_mem_equal(&st.zones, &def, sizeof(def));
	TC_PRINT("boot 2: the clear survived the reboot\n");
}

ZTEST(decision_reboot, test_persists_across_sys_reboot)
{
	struct vmon_decision_config cfg = t_config();

	switch (t_boot_count()) {
	case 0:
		boot0(&cfg);
		break;
	case 1:
		boot1(&cfg);
		break;
	case 2:
		boot2(&cfg);
		break;
	default:
		zassert_unreachable("boot %u", t_boot_count());
	}
}

ZTEST_SUITE(decision_reboot, NULL, NULL, NULL, NULL, NULL);
