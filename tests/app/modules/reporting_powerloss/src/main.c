/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The store-and-forward queue under power loss, for tests/scripts/firmware/test_powerloss.py:
 * each boot publishes events for CONFIG_VMON_TEST_PRODUCE_MS, one every
 * CONFIG_VMON_TEST_EVENT_PERIOD_MS; a transport takes CONFIG_VMON_TEST_DELIVERY_MS per record
 * and prints it ("@vmon up {...}") before it reports it delivered, as a radio would hear it
 * before the node hears the acknowledgment. The test kills the process at random points and
 * restarts it on the same flash file; when the queue is empty after the production, the image
 * prints "@vmon test drained". Records are delivered faster than they are produced, so the
 * queue never fills: a full queue's oldest-first drop is the ztest vmon.reporting's.
 */

#include <stdio.h>

#include <zephyr/kernel.h>
#include <zephyr/sys/util.h>

#include "fake_processing.h"
#include "reporting.h"
#include "vmon_payload.h"

extern const struct vmon_transport vmon_transport_test;

static struct {
	struct k_work_delayable work;
	uint32_t seq;
	uint8_t len;
	uint8_t buf[VMON_PL_MAX_BYTES];
} tx;

static void deliver(struct k_work *work)
{
	char hex[2 * VMON_PL_MAX_BYTES + 1];

	ARG_UNUSED(work);
	bin2hex(tx.buf, tx.len, hex, sizeof(hex));
	printf("@vmon up {\"seq\":%u,\"hex\":\"%s\"}\n", tx.seq, hex);
	vmon_reporting_sent(&vmon_transport_test, tx.seq, 0);
}

static int test_init(void)
{
	k_work_init_delayable(&tx.work, deliver);
	return 0;
}

static int test_send(const struct vmon_report_record *rec)
{
	tx.seq = rec->seq;
	tx.len = rec->len;
	memcpy(tx.buf, rec->data, rec->len);
	k_work_schedule(&tx.work, K_MSEC(CONFIG_VMON_TEST_DELIVERY_MS));
	return 0;
}

VMON_TRANSPORT_DEFINE(test, test_init, test_send);

static void producer(void *a, void *b, void *c)
{
	struct vmon_reporting_status st;

	ARG_UNUSED(a);
	ARG_UNUSED(b);
	ARG_UNUSED(c);
	for (int i = 0; k_uptime_get() < CONFIG_VMON_TEST_PRODUCE_MS; i++) {
		(void)fake_publish_event(VMON_EVENT_STATE, VMON_DECISION_WARNING, VMON_FAULT_UNKNOWN,
					 i);
		k_sleep(K_MSEC(CONFIG_VMON_TEST_EVENT_PERIOD_MS));
	}
	do {
		k_sleep(K_MSEC(50));
		vmon_reporting_status_get(&st);
	} while (st.depth != 0U);
	printf("@vmon test drained (boots %u, dropped %u, corrupt %u, store errors %u)\n",
	       st.boots, st.dropped, st.corrupt, st.store_errors);
}

K_THREAD_DEFINE(vmon_test_producer, 2048, producer, NULL, NULL, NULL, 7, 0, 0);

int main(void)
{
	vmon_reporting_run(); /* as the application's main() */
	return 0;
}
