/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The battery's voltage at the ADC emulator's input (vbatt.overlay), for the tests.
 */

#ifndef VMON_TEST_VBATT_H_
#define VMON_TEST_VBATT_H_

#include <stdint.h>

#include <zephyr/devicetree.h>

#include "battery.h"

#define VBATT     DT_CHOSEN(vmon_vbatt)
#define ADC_NODE  DT_IO_CHANNELS_CTLR(VBATT)
#define ADC_CH    DT_IO_CHANNELS_INPUT(VBATT)
#define FULL_OHMS ((int64_t)DT_PROP(VBATT, full_ohms))
#define OUT_OHMS  ((int64_t)DT_PROP(VBATT, output_ohms))

/* The input's full scale: the 600 mV reference times 6 (the overlay's gain of 1/6). */
#define FULL_SCALE_MV (DT_PROP(ADC_NODE, ref_internal_mv) * 6)
/* How far a reading may be from the truth: the input rounded to 1 mV here, the emulator's
 * and the driver's floors (a code each) and the emulator's 4095-for-4096 scale (under a
 * code), scaled up by the divider. */
#define TOL_MV ((1 + 3 * FULL_SCALE_MV / 4096 + 1) * FULL_OHMS / OUT_OHMS + 1)

#define LOW_MV  CONFIG_VMON_BATTERY_LOW_MV
#define CRIT_MV CONFIG_VMON_BATTERY_CRITICAL_MV
#define HYST_MV CONFIG_VMON_BATTERY_HYSTERESIS_MV
/* Far enough from a threshold that the reading's error cannot cross it. */
#define MARGIN_MV 25
/* Comfortably OK from any level. */
#define NOMINAL_MV (LOW_MV + HYST_MV + 300)

/* Set the battery to @p mv at the emulated input (no measurement). */
void t_vbatt_set(int64_t mv);

/* Set the battery to @p mv and measure: the level the module decides on. */
enum vmon_battery_level t_battery_at(int64_t mv);

/* Bring the policy to @p level from any level (a voltage well inside it, measured). */
void t_battery_level(enum vmon_battery_level level);

#endif /* VMON_TEST_VBATT_H_ */
