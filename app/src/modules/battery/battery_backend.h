/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Inside the battery module: where a reading comes from. One backend is linked (CMakeLists):
 * Zephyr's voltage-divider sensor on the ADC (battery_divider.c), or, when the SAADC sampling
 * source owns the ADC, that source's one-shot conversion of the divider's input
 * (battery_saadc.c).
 */

#ifndef VMON_BATTERY_BACKEND_H_
#define VMON_BATTERY_BACKEND_H_

#include <stdint.h>

/** The battery's voltage in mV: 0, or a negative errno (the caller counts it). */
int vmon_battery_read_mv(int64_t *mv);

#endif /* VMON_BATTERY_BACKEND_H_ */
