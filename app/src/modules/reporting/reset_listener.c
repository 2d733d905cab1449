/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The health module's last reset (VMON_RESET_CHAN, published once after boot) to the
 * reporting loop. Its own file: the channel exists only with CONFIG_VMON_HEALTH.
 */

#include <zephyr/zbus/zbus.h>

#include "health.h"
#include "reporting_internal.h"

static void reset_cb(const struct zbus_channel *chan)
{
	vmon_reporting_reset_put(zbus_chan_const_msg(chan));
}

ZBUS_LISTENER_DEFINE(vmon_reporting_reset, reset_cb);
ZBUS_CHAN_ADD_OBS(VMON_RESET_CHAN, vmon_reporting_reset, 1);
