/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The node's reporting over BLE on native_sim (the reporting module and its BLE transport,
 * the product's Bluetooth settings), for tests/scripts/firmware/test_ble.py: a bumble central
 * scans, pairs, subscribes, writes configurations and disconnects mid-stream while this
 * image publishes a scripted recording's events, one every CONFIG_VMON_TEST_EVENT_PERIOD_MS.
 * Each publication is printed ("@vmon test published <i> <uptime ms>") so the test can
 * match what it receives and measure the latency.
 */

#include <stdio.h>

#include <zephyr/kernel.h>

#include "fake_processing.h"
#include "reporting.h"

/* A machine going bad and being looked at: state changes, a sensor fault and its end. */
static const struct {
	enum vmon_event_type type;
	enum vmon_decision_state state;
	enum vmon_fault fault;
} script[] = {
	{VMON_EVENT_STATE, VMON_DECISION_WARNING, VMON_FAULT_UNKNOWN},
	{VMON_EVENT_STATE, VMON_DECISION_ALARM, VMON_FAULT_OUTER_RACE},
	{VMON_EVENT_SENSOR_FAULT, VMON_DECISION_ALARM, VMON_FAULT_OUTER_RACE},
	{VMON_EVENT_SENSOR_OK, VMON_DECISION_ALARM, VMON_FAULT_OUTER_RACE},
	{VMON_EVENT_STATE, VMON_DECISION_NORMAL, VMON_FAULT_NONE},
};

static void producer(void *a, void *b, void *c)
{
	ARG_UNUSED(a);
	ARG_UNUSED(b);
	ARG_UNUSED(c);
	fake_processing_status(true);
	k_sleep(K_TIMEOUT_ABS_MS(CONFIG_VMON_TEST_START_MS));
	for (int i = 0; i < CONFIG_VMON_TEST_EVENTS; i++) {
		int k = i % ARRAY_SIZE(script);
		int err;

		/* Printed first: the test's clock starts before the event can reach it. */
		printf("@vmon test published %d %lld\n", i, (long long)k_uptime_get());
		err = fake_publish_event(script[k].type, script[k].state, script[k].fault, i);
		if (err != 0) {
			printf("@vmon test publish failed %d %d\n", i, err);
		}
		k_sleep(K_MSEC(CONFIG_VMON_TEST_EVENT_PERIOD_MS));
	}
	printf("@vmon test done\n");
}

K_THREAD_DEFINE(vmon_test_producer, 2048, producer, NULL, NULL, NULL, 7, 0, 0);

int main(void)
{
	vmon_reporting_run(); /* as the application's main() */
	return 0;
}
