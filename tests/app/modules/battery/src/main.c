/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The battery module (app/src/modules/battery) on Zephyr's voltage-divider driver and ADC
 * emulator (vbatt.overlay): the test sets the battery's voltage at the emulated input and
 * checks what the module measures and decides.
 */

#include <stdlib.h>

#include <zephyr/device.h>
#include <zephyr/devicetree.h>
#include <zephyr/drivers/adc/adc_emul.h>
#include <zephyr/init.h>
#include <zephyr/kernel.h>
#include <zephyr/ztest.h>

#include "battery.h"
#include "vbatt.h"

BUILD_ASSERT(CONFIG_VMON_BATTERY_LOW_INTERVAL_FACTOR > 1, "a scale the tests can tell from 1");

static const struct device *const adc = DEVICE_DT_GET(ADC_NODE);

/* The module's state right after its measurement at boot (the emulator's input is 0 V). */
static struct vmon_battery_status boot;
static bool boot_write_ok;

static int snapshot_boot(void)
{
	vmon_battery_status_get(&boot);
	boot_write_ok = vmon_battery_flash_write_ok();
	return 0;
}

/* Last at APPLICATION level: after the module's first measurement, before its work item. */
SYS_INIT(snapshot_boot, APPLICATION, 99);

static struct vmon_battery_status status(void)
{
	struct vmon_battery_status st;

	vmon_battery_status_get(&st);
	return st;
}

static void before(void *f)
{
	ARG_UNUSED(f);
	zassert_equal(t_battery_at(NOMINAL_MV), VMON_BATTERY_OK);
}

ZTEST_SUITE(battery, NULL, NULL, before, NULL, NULL);

ZTEST(battery, test_boot_unmeasured_is_ok)
{
	/* A 0 V reading is a broken divider, not a flat battery: nothing blocks the node. */
	zassert_equal(boot.measurements, 1U);
	zassert_equal(boot.implausible, 1U);
	zassert_equal(boot.last_err, -ERANGE);
	zassert_true(boot.stale);
	zassert_equal(boot.mv, 0U, "unknown is 0, got %u", boot.mv);
	zassert_equal(boot.level, VMON_BATTERY_OK);
	zassert_true(boot_write_ok);
}

ZTEST(battery, test_reading_through_divider)
{
	static const int32_t mvs[] = {CRIT_MV - 200, LOW_MV + 300, 3300, 4200};

	for (size_t i = 0; i < ARRAY_SIZE(mvs); i++) {
		t_vbatt_set(mvs[i]);
		zassert_ok(vmon_battery_measure());
		struct vmon_battery_status st = status();

		zassert_true(abs((int32_t)st.mv - mvs[i]) <= TOL_MV, "%d mV read as %u (+-%d)",
			     mvs[i], st.mv, (int)TOL_MV);
		zassert_equal(vmon_battery_mv(), st.mv);
		zassert_false(st.stale);
		zassert_equal(st.last_err, 0);
	}
}

ZTEST(battery, test_levels_fall_at_once_recover_with_hysteresis)
{
	uint32_t changes = status().level_changes;

	zassert_equal(t_battery_at(LOW_MV + MARGIN_MV), VMON_BATTERY_OK);
	zassert_equal(t_battery_at(LOW_MV - MARGIN_MV), VMON_BATTERY_LOW);
	/* Above the threshold, inside the hysteresis: still LOW. */
	zassert_equal(t_battery_at(LOW_MV + HYST_MV / 2), VMON_BATTERY_LOW);
	zassert_equal(t_battery_at(CRIT_MV - MARGIN_MV), VMON_BATTERY_CRITICAL);
	zassert_equal(t_battery_at(CRIT_MV + HYST_MV / 2), VMON_BATTERY_CRITICAL);
	/* Out of the band above CRITICAL, still below LOW's band. */
	zassert_equal(t_battery_at(CRIT_MV + HYST_MV + MARGIN_MV), VMON_BATTERY_LOW);
	zassert_equal(t_battery_at(LOW_MV + HYST_MV / 2), VMON_BATTERY_LOW);
	zassert_equal(t_battery_at(LOW_MV + HYST_MV + MARGIN_MV), VMON_BATTERY_OK);
	/* OK -> LOW -> CRITICAL -> LOW -> OK. */
	zassert_equal(status().level_changes - changes, 4U);

	/* From CRITICAL straight back to OK, and straight down again. */
	zassert_equal(t_battery_at(CRIT_MV - MARGIN_MV), VMON_BATTERY_CRITICAL);
	zassert_equal(t_battery_at(LOW_MV + HYST_MV + MARGIN_MV), VMON_BATTERY_OK);
	zassert_equal(t_battery_at(CRIT_MV - MARGIN_MV), VMON_BATTERY_CRITICAL);
}

ZTEST(battery, test_flash_write_gate)
{
	uint32_t refused = status().flash_refused;

	zassert_true(vmon_battery_flash_write_ok());
	zassert_ok(vmon_battery_flash_gate());
	zassert_equal(t_battery_at(LOW_MV - MARGIN_MV), VMON_BATTERY_LOW);
	zassert_true(vmon_battery_flash_write_ok(), "LOW still writes");
	zassert_ok(vmon_battery_flash_gate());
	zassert_equal(status().flash_refused, refused, "nothing refused yet");

	zassert_equal(t_battery_at(CRIT_MV - MARGIN_MV), VMON_BATTERY_CRITICAL);
	zassert_false(vmon_battery_flash_write_ok());
	zassert_equal(status().flash_refused, refused, "the query counts nothing");
	for (int i = 0; i < 3; i++) {
		zassert_equal(vmon_battery_flash_gate(), VMON_BATTERY_REFUSED);
	}
	zassert_equal(VMON_BATTERY_REFUSED, -EAGAIN);
	zassert_equal(status().flash_refused - refused, 3U, "each refusal counted");

	/* Writes again only above CRITICAL's hysteresis band. */
	zassert_equal(t_battery_at(CRIT_MV + HYST_MV / 2), VMON_BATTERY_CRITICAL);
	zassert_equal(vmon_battery_flash_gate(), VMON_BATTERY_REFUSED);
	zassert_equal(t_battery_at(CRIT_MV + HYST_MV + MARGIN_MV), VMON_BATTERY_LOW);
	zassert_ok(vmon_battery_flash_gate());
}

ZTEST(battery, test_interval_scale)
{
	zassert_equal(vmon_battery_interval_scale(), 1U);
	zassert_equal(t_battery_at(LOW_MV - MARGIN_MV), VMON_BATTERY_LOW);
	zassert_equal(vmon_battery_interval_scale(), CONFIG_VMON_BATTERY_LOW_INTERVAL_FACTOR);
	zassert_equal(t_battery_at(CRIT_MV - MARGIN_MV), VMON_BATTERY_CRITICAL);
	zassert_equal(vmon_battery_interval_scale(), CONFIG_VMON_BATTERY_LOW_INTERVAL_FACTOR);
	zassert_equal(t_battery_at(NOMINAL_MV), VMON_BATTERY_OK);
	zassert_equal(vmon_battery_interval_scale(), 1U);
}

static int adc_fails(const struct device *dev, unsigned int chan, void *data, uint32_t *result)
{
	ARG_UNUSED(dev);
	ARG_UNUSED(chan);
	ARG_UNUSED(result);
	(void)atomic_inc((atomic_t *)data);
	return -EIO;
}

ZTEST(battery, test_adc_failure_counted_without_hang)
{
	static atomic_t calls;
	uint32_t good = vmon_battery_mv();
	struct vmon_battery_status st0 = status();

	zassert_ok(adc_emul_value_func_set(adc, ADC_CH, adc_fails, &calls));
	int64_t t0 = k_uptime_get();

	zassert_equal(vmon_battery_measure(), -EIO);
	zassert_true(k_uptime_get() - t0 < 1000, "a failed measurement returns at once");
	struct vmon_battery_status st = status();

	zassert_true(atomic_get(&calls) >= 1, "the ADC was asked");
	zassert_true(st.errors > st0.errors, "counted");
	zassert_equal(st.implausible, st0.implausible);
	zassert_equal(st.last_err, -EIO);
	zassert_true(st.stale);
	zassert_equal(st.mv, good, "the last good value stays");
	zassert_equal(st.level, VMON_BATTERY_OK);
	zassert_ok(vmon_battery_flash_gate());

	/* The work item keeps measuring (and failing) on its period; nothing hangs. */
	uint32_t n = st.measurements;

	k_sleep(K_MSEC(2500 * CONFIG_VMON_BATTERY_PERIOD_S));
	st = status();
	zassert_true(st.measurements - n >= 2U, "%u periodic measurements", st.measurements - n);
	zassert_true(st.errors - st0.errors >= 3U);
	zassert_equal(st.mv, good);

	/* A failure keeps the level too: CRITICAL stays CRITICAL. */
	zassert_equal(t_battery_at(CRIT_MV - MARGIN_MV), VMON_BATTERY_CRITICAL);
	zassert_ok(adc_emul_value_func_set(adc, ADC_CH, adc_fails, &calls));
	zassert_equal(vmon_battery_measure(), -EIO);
	zassert_equal(vmon_battery_level(), VMON_BATTERY_CRITICAL);
	zassert_false(vmon_battery_flash_write_ok());

	/* A good measurement again: fresh. */
	zassert_equal(t_battery_at(NOMINAL_MV), VMON_BATTERY_OK);
	zassert_false(status().stale);
}

ZTEST(battery, test_implausible_reading_ignored)
{
	uint32_t good = vmon_battery_mv();
	uint32_t implausible = status().implausible;

	/* An open divider reads 0 V: not a flat battery. */
	zassert_ok(adc_emul_const_value_set(adc, ADC_CH, 0));
	zassert_equal(vmon_battery_measure(), -ERANGE);
	struct vmon_battery_status st = status();

	zassert_true(st.implausible > implausible);
	zassert_true(st.stale);
	zassert_equal(st.mv, good);
	zassert_equal(st.level, VMON_BATTERY_OK, "a broken divider does not stop flash writes");
	zassert_ok(vmon_battery_flash_gate());
}

ZTEST(battery, test_periodic_measurement)
{
	uint32_t n = status().measurements;

	/* No call here: the work item measures the change within a period. */
	t_vbatt_set(LOW_MV - MARGIN_MV);
	for (int i = 0; i < 30 && vmon_battery_level() != VMON_BATTERY_LOW; i++) {
		k_sleep(K_MSEC(100 * CONFIG_VMON_BATTERY_PERIOD_S));
	}
	zassert_equal(vmon_battery_level(), VMON_BATTERY_LOW);
	zassert_true(status().measurements > n);
	zassert_true(abs((int32_t)vmon_battery_mv() - (LOW_MV - MARGIN_MV)) <= TOL_MV);
}
