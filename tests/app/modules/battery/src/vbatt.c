/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The battery's voltage at the ADC emulator's input (vbatt.h).
 */

#include <zephyr/device.h>
#include <zephyr/drivers/adc/adc_emul.h>
#include <zephyr/ztest.h>

#include "vbatt.h"

BUILD_ASSERT(TOL_MV < MARGIN_MV, "the margins must exceed the reading's error");
BUILD_ASSERT(HYST_MV > 2 * MARGIN_MV, "the tests read inside the hysteresis band");
BUILD_ASSERT((int64_t)NOMINAL_MV * OUT_OHMS / FULL_OHMS < FULL_SCALE_MV, "within the ADC");

void t_vbatt_set(int64_t mv)
{
	uint32_t in_mv = (uint32_t)((mv * OUT_OHMS + FULL_OHMS / 2) / FULL_OHMS);

	zassert_ok(adc_emul_const_value_set(DEVICE_DT_GET(ADC_NODE), ADC_CH, in_mv));
}

enum vmon_battery_level t_battery_at(int64_t mv)
{
	t_vbatt_set(mv);
	zassert_ok(vmon_battery_measure(), "at %d mV", (int)mv);
	return vmon_battery_level();
}

void t_battery_level(enum vmon_battery_level level)
{
	/* LOW: below LOW, and out of CRITICAL's hysteresis band. */
	BUILD_ASSERT(CRIT_MV + HYST_MV + MARGIN_MV < LOW_MV - MARGIN_MV, "a LOW from any level");
	const int64_t mv = level == VMON_BATTERY_OK    ? NOMINAL_MV
			   : level == VMON_BATTERY_LOW ? (CRIT_MV + HYST_MV + LOW_MV) / 2
						       : CRIT_MV - 100;

	zassert_equal(t_battery_at(mv), level, "%s at %d mV", vmon_battery_level_str(level),
		      (int)mv);
}
