/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Battery backend: the chosen vmon,vbatt node through Zephyr's voltage-divider sensor
 * driver, which scales the ADC input by the divider's resistors.
 */

#include <errno.h>

#include <zephyr/device.h>
#include <zephyr/devicetree.h>
#include <zephyr/drivers/sensor.h>

#include "battery_backend.h"

static const struct device *const vbatt = DEVICE_DT_GET(DT_CHOSEN(vmon_vbatt));

int vmon_battery_read_mv(int64_t *mv)
{
	struct sensor_value v;
	int err;

	if (!device_is_ready(vbatt)) {
		return -ENODEV;
	}
	err = sensor_sample_fetch_chan(vbatt, SENSOR_CHAN_VOLTAGE);
	if (err == 0) {
		err = sensor_channel_get(vbatt, SENSOR_CHAN_VOLTAGE, &v);
	}
	if (err == 0) {
		*mv = sensor_value_to_milli(&v);
	}
	return err;
}
