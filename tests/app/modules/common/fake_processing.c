/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The processing module as the reporting module sees it: the event channel and the latest
 * status (processing.h), driven by the tests.
 */

#include <zephyr/kernel.h>
#include <zephyr/zbus/zbus.h>

#include "fake_processing.h"

ZBUS_CHAN_DEFINE(VMON_EVENT_CHAN, struct vmon_event_msg, NULL, NULL, ZBUS_OBSERVERS_EMPTY,
		 ZBUS_MSG_INIT(0));

static bool ready;
static uint32_t windows;

void fake_processing_status(bool r)
{
	ready = r;
}

int vmon_processing_status_get(struct vmon_status_msg *st)
{
	if (!ready) {
		return -EAGAIN;
	}
	*st = (struct vmon_status_msg){
		.window = windows,
		.last = {.state = VMON_DECISION_WARNING,
			 .zone = VMON_ZONE_C,
			 .velocity_um_s = 5000,
			 .novelty_avg_q8 = -1},
		.counters = {.windows = windows, .blocks = windows + 1},
	};
	windows += 64;
	return 0;
}

int fake_publish_event(enum vmon_event_type type, enum vmon_decision_state state,
		       enum vmon_fault fault, int32_t detail)
{
	struct vmon_event_msg ev = {
		.type = type, .window = windows, .state = state, .fault = fault, .detail = detail};

	return zbus_chan_pub(&VMON_EVENT_CHAN, &ev, K_MSEC(100));
}
