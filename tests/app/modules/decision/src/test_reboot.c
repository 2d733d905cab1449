/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Persistence across sys_reboot(): four boots of one test.
 *   boot 0: commission on the reference stream, override the zones, reboot
 *   boot 1: both are back from NVS (bit-identical, the Python reference's novelty); start
 *           a new commissioning, reboot halfway
 *   boot 2: the partial sums are lost, the previous baseline is still in use; clear the
 *           baseline and the zones, reboot
 *   boot 3: the clear survived too: uncommissioned
 */

#include <string.h>

#include <zephyr/logging/log.h>
#include <zephyr/sys/reboot.h>
#include <zephyr/ztest.h>

#include "common.h"
#include "storage.h"

LOG_MODULE_REGISTER(test_decision_reboot, LOG_LEVEL_INF);

static const struct vmon_decision_zones zones = {1100, 2200, 3300};

/* What boot 0 learned, to compare with what boot 1 loads. */
static int32_t saved_mean[T_N_FEATURES] __noinit;
static uint32_t saved_var[T_N_FEATURES] __noinit;

static void reboot(void)
{
	t_boot_next();
	sys_reboot(SYS_REBOOT_WARM);
	zassert_unreachable("sys_reboot() returned");
}

/* The reference baseline is in use: its sums, threshold and the probes' novelty. */
static void assert_reference(void)
{
	static int32_t mean[T_N_FEATURES];
	static uint32_t var[T_N_FEATURES];
	struct vmon_decision_status st = t_status();

	zassert_true(st.commissioned);
	zassert_equal(st.learned_windows, REF_N_WINDOWS);
	zassert_equal(st.threshold_q8, REF_THRESHOLD_Q8);
	zassert_equal(st.classifier_validated, REF_VALIDATED);
	zassert_ok(vmon_decision_baseline_get(mean, var, T_N_FEATURES));
	zassert_mem_equal(mean, ref_mean_q8, sizeof(mean));
	zassert_mem_equal(var, ref_var, sizeof(var));
	for (int k = 0; k < REF_N_PROBES; k++) {
		int32_t nov;

		zassert_ok(vmon_decision_novelty(ref_probe[k], T_N_FEATURES, &nov));
		zassert_equal(nov, ref_probe_novelty_q8[k], "probe %d: %d", k, nov);
	}
}

static void boot0(const struct vmon_decision_config *cfg)
{
	struct vmon_decision_status st;

	zassert_ok(vmon_decision_init(cfg));
	st = t_status();
	zassert_false(st.commissioned);
	zassert_equal(st.load_err, -ENOENT);
	zassert_ok(st.storage_err);

	t_commission_reference(ref_labels_validated);
	zassert_ok(t_status().save_err);
	zassert_ok(vmon_decision_zones_set(&zones));
	zassert_ok(vmon_decision_baseline_get(saved_mean, saved_var, T_N_FEATURES));

	TC_PRINT("boot 0: commissioned and zones overridden, rebooting\n");
	reboot();
}

static void boot1(const struct vmon_decision_config *cfg)
{
	static int32_t mean[T_N_FEATURES];
	static uint32_t var[T_N_FEATURES];
	int32_t f[T_N_FEATURES];
	struct vmon_decision_status st;

	zassert_ok(vmon_decision_init(cfg));
	st = t_status();
	zassert_ok(st.load_err);
	zassert_equal(st.records_rejected, 0);
	zassert_false(st.learning);
	zassert_true(st.zones_overridden);
	zassert_mem_equal(&st.zones, &zones, sizeof(zones));
	zassert_ok(vmon_decision_baseline_get(mean, var, T_N_FEATURES));
	zassert_mem_equal(mean, saved_mean, sizeof(mean));
	zassert_mem_equal(var, saved_var, sizeof(var));
	assert_reference();

	/* The machine was serviced: commission again; the reboot comes halfway. */
	zassert_ok(vmon_decision_baseline_learn(4));
	t_fill(f, 1000);
	zassert_ok(t_feed_window(f, 0));
	zassert_ok(t_feed_window(f, 0));
	st = t_status();
	zassert_true(st.learning);
	zassert_equal(st.learn_done, 2);
	TC_PRINT("boot 1: baseline and zones survived the reboot; rebooting mid-commissioning\n");
	reboot();
}

static void boot2(const struct vmon_decision_config *cfg)
{
	struct vmon_decision_status st;

	zassert_ok(vmon_decision_init(cfg));
	st = t_status();
	zassert_ok(st.load_err);
	zassert_false(st.learning, "a commissioning does not survive a reboot");
	zassert_equal(st.learn_done, 0);
	assert_reference();

	zassert_ok(vmon_decision_baseline_clear());
	zassert_ok(vmon_decision_zones_reset());
	TC_PRINT("boot 2: the previous baseline is in use; cleared, rebooting\n");
	reboot();
}

static void boot3(const struct vmon_decision_config *cfg)
{
	struct vmon_decision_zones def;
	struct vmon_decision_status st;
	int32_t nov;

	zassert_ok(vmon_decision_init(cfg));
	st = t_status();
	zassert_false(st.commissioned);
	zassert_equal(st.threshold_q8, 0);
	zassert_equal(st.load_err, -ENOENT);
	zassert_equal(st.records_rejected, 0);
	zassert_false(st.zones_overridden);
	vmon_decision_zones_default(&def);
	zassert_mem_equal(&st.zones, &def, sizeof(def));
	zassert_equal(vmon_decision_novelty(ref_probe[0], T_N_FEATURES, &nov), -ENODATA);
	TC_PRINT("boot 3: the clear survived the reboot\n");
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
	case 3:
		boot3(&cfg);
		break;
	default:
		zassert_unreachable("boot %u", t_boot_count());
	}
}

ZTEST_SUITE(decision_reboot, NULL, NULL, NULL, NULL, NULL);
