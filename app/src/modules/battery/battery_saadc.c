/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Battery backend for builds whose sampling source owns the SAADC (source_saadc.c): that
 * source converts the vmon,vbatt divider's input once, between measurements, and this file
 * scales it by the divider's resistors as Zephyr's voltage-divider driver would
 * (VBAT = input x full-ohms / output-ohms).
 */

#include <errno.h>

#include <zephyr/devicetree.h>

#include "battery_backend.h"
#include "sampling.h"

#define VBATT_NODE DT_CHOSEN(vmon_vbatt)

BUILD_ASSERT(DT_NODE_HAS_COMPAT(VBATT_NODE, voltage_divider),
	     "vmon,vbatt must be a voltage-divider node");
BUILD_ASSERT(DT_PROP(VBATT_NODE, output_ohms) > 0 && DT_PROP_OR(VBATT_NODE, full_ohms, 0) > 0,
	     "the divider needs output-ohms and full-ohms");

int vmon_battery_read_mv(int64_t *mv)
{
	int32_t in_mv = 0;
	int err = vmon_sampling_vbatt_input_mv(&in_mv);

	if (err == 0) {
		*mv = (int64_t)in_mv * DT_PROP(VBATT_NODE, full_ohms) /
		      DT_PROP(VBATT_NODE, output_ohms);
	}
	return err;
}
