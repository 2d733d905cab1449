/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The reporting loop and its LoRaWAN transport (app/src/modules/reporting) against a fake of
 * Zephyr's LoRaWAN API: what is sent, on which fPort, confirmed or not, what is retried and
 * what is dropped, and what downlinks change.
 */

#include <zephyr/kernel.h>
#include <zephyr/ztest.h>

#include "fakes.h"
#include "reporting.h"
#include "vmon_payload.h"

/* In the application main() runs the reporting loop; here a thread of its own. */
K_THREAD_DEFINE(reporting_loop, 2048, vmon_reporting_run, NULL, NULL, NULL, 5, 0, 0);

/* Wait up to @p s seconds for @p n uplinks in all. */
static int wait_uplinks(int n, int s)
{
	const struct fake_uplink *up;

	for (int i = 0; i < s * 10 && fake_lw_uplinks(&up) < n; i++) {
		k_sleep(K_MSEC(100));
	}
	return fake_lw_uplinks(&up);
}

static struct vmon_lorawan_stats lw_stats(void)
{
	struct vmon_lorawan_stats st;

	vmon_lorawan_stats_get(&st);
	return st;
}

static struct vmon_reporting_status rep_status(void)
{
	struct vmon_reporting_status st;

	vmon_reporting_status_get(&st);
	return st;
}

static void *setup(void)
{
	/* The boot's joins: two failures, then joined. */
	for (int i = 0; i < 200 && !lw_stats().joined; i++) {
		k_sleep(K_MSEC(100));
	}
	zassert_true(lw_stats().joined, "never joined");
	return NULL;
}

ZTEST(vmon_lorawan, test_join_backs_off_with_a_fresh_dev_nonce_each_time)
{
	const struct fake_join *j;
	int n = fake_lw_joins(&j);

	zassert_equal(n, FAKE_JOIN_FAILURES + 1, "%d joins", n);
	zassert_equal(lw_stats().join_failures, FAKE_JOIN_FAILURES);
	for (int i = 1; i < n; i++) {
		zassert_true(j[i].dev_nonce > j[i - 1].dev_nonce, "DevNonce reused");
	}
	/* At least the minimum wait, then doubling (jitter adds at most a quarter). */
	zassert_true(j[1].t_ms - j[0].t_ms >= 1000, "%lld ms", j[1].t_ms - j[0].t_ms);
	zassert_true(j[2].t_ms - j[1].t_ms > j[1].t_ms - j[0].t_ms);
	zassert_equal(lw_stats().dev_nonce, j[n - 1].dev_nonce, "the last one is kept");
	zassert_true(fake_lw_adr(), "ADR on");
}

ZTEST(vmon_lorawan, test_events_are_confirmed_in_order_on_their_port)
{
	const struct fake_uplink *up;
	int before = wait_uplinks(0, 0);
	struct vmon_pl_event ev[3];

	zassert_ok(fake_publish_event(VMON_EVENT_STATE, VMON_DECISION_WARNING, VMON_FAULT_UNKNOWN,
				      0));
	zassert_ok(fake_publish_event(VMON_EVENT_STATE, VMON_DECISION_ALARM, VMON_FAULT_BALL, 0));
	zassert_ok(fake_publish_event(VMON_EVENT_SENSOR_FAULT, VMON_DECISION_ALARM, VMON_FAULT_BALL,
				      3));
	zassert_equal(wait_uplinks(before + 3, 10), before + 3);
	fake_lw_uplinks(&up);
	for (int i = 0; i < 3; i++) {
		const struct fake_uplink *u = &up[before + i];

		zassert_equal(u->port, VMON_PL_EVENT_FPORT);
		zassert_true(u->confirmed, "events are confirmed uplinks");
		zassert_ok(vmon_pl_event_decode(u->data, u->len, &ev[i]));
	}
	zassert_equal(ev[1].seq, ev[0].seq + 1);
	zassert_equal(ev[2].seq, ev[1].seq + 1);
	zassert_equal(ev[1].state, VMON_PL_STATE_ALARM);
	zassert_equal(ev[1].fault, VMON_PL_FAULT_BALL);
	zassert_equal(ev[2].kind, VMON_PL_EVENT_KIND_SENSOR_FAULT);
	zassert_equal(ev[2].detail, 3);
	zassert_equal(rep_status().depth, 0, "delivered records leave the queue");
}

ZTEST(vmon_lorawan, test_refused_and_unacknowledged_uplinks_are_sent_again)
{
	/* Duty cycle, no acknowledgment, a radio error, then through. */
	static const int script[] = {-ECONNREFUSED, -ETIMEDOUT, -EIO, 0};
	const struct fake_uplink *up;
	int before = wait_uplinks(0, 0);
	struct vmon_lorawan_stats st0 = lw_stats();
	struct vmon_reporting_status r0 = rep_status();

	fake_lw_script_send(script, ARRAY_SIZE(script));
	zassert_ok(fake_publish_event(VMON_EVENT_STATE, VMON_DECISION_NORMAL, VMON_FAULT_NONE, 0));
	zassert_equal(wait_uplinks(before + 4, 30), before + 4, "four attempts");
	fake_lw_uplinks(&up);
	for (int i = 1; i < 4; i++) {
		zassert_mem_equal(up[before + i].data, up[before].data, up[before].len,
				  "the same record each time");
	}
	zassert_equal(lw_stats().duty_cycle, st0.duty_cycle + 1);
	zassert_equal(lw_stats().send_failures, st0.send_failures + 2);
	k_sleep(K_MSEC(200));
	zassert_equal(rep_status().depth, 0);
	zassert_equal(rep_status().delivered, r0.delivered + 1);
	zassert_equal(rep_status().dropped, r0.dropped, "nothing lost");
}

ZTEST(vmon_lorawan, test_status_is_unconfirmed_and_dropped_when_too_large)
{
	const struct fake_uplink *up;
	int before = wait_uplinks(0, 0);
	struct vmon_pl_status st;
	uint32_t dropped;

	fake_processing_status(true);
	zassert_equal(wait_uplinks(before + 2, 5), before + 2, "status and telemetry");
	fake_lw_uplinks(&up);
	zassert_equal(up[before].port, VMON_PL_STATUS_FPORT);
	zassert_false(up[before].confirmed);
	zassert_ok(vmon_pl_status_decode(up[before].data, up[before].len, &st));
	zassert_equal(st.zone, VMON_PL_ZONE_C);
	zassert_equal(st.novelty_avg_q8, VMON_PL_STATUS_NOVELTY_AVG_Q8_NONE);
	zassert_equal(up[before + 1].port, VMON_PL_TELEMETRY_FPORT);

	/* US915 DR0: 11 bytes. The next status and telemetry do not fit and are dropped; an
	 * event still goes. */
	fake_lw_set_max_payload(11);
	dropped = rep_status().dropped;
	k_sleep(K_SECONDS(vmon_reporting_status_period_s() + 2));
	zassert_equal(rep_status().dropped, dropped + 2);
	zassert_ok(fake_publish_event(VMON_EVENT_STATE, VMON_DECISION_ALARM, VMON_FAULT_NONE, 0));
	zassert_equal(wait_uplinks(before + 3, 10), before + 3);
	fake_lw_uplinks(&up);
	zassert_equal(up[before + 2].port, VMON_PL_EVENT_FPORT);
	fake_processing_status(false);
	fake_lw_set_max_payload(51);
}

ZTEST(vmon_lorawan, test_downlinks_configure_the_node_or_are_refused)
{
	uint8_t buf[VMON_PL_MAX_BYTES];
	struct vmon_pl_config c = {.seq = 42, .has_report = true, .report = {.status_period_s = 77}};
	int n = vmon_pl_config_encode(&c, buf, sizeof(buf));
	struct vmon_reporting_status r0 = rep_status();
	struct vmon_lorawan_stats st0 = lw_stats();

	zassert_true(n > 0);
	fake_lw_downlink(VMON_PL_CONFIG_FPORT, buf, (uint8_t)n);
	zassert_equal(vmon_reporting_status_period_s(), 77);
	zassert_equal(rep_status().config_seq, 42);
	zassert_equal(rep_status().config_err, 0);

	/* Another schema version: refused, nothing changes. */
	buf[0] = (uint8_t)((buf[0] & 0xF0U) | 0x0EU);
	fake_lw_downlink(VMON_PL_CONFIG_FPORT, buf, (uint8_t)n);
	zassert_equal(rep_status().config_err, -ENOTSUP);
	zassert_equal(rep_status().config_refused, r0.config_refused + 1);
	zassert_equal(vmon_reporting_status_period_s(), 77);

	/* Another fPort: ignored, counted. */
	fake_lw_downlink(VMON_PL_CONFIG_FPORT + 1, buf, (uint8_t)n);
	zassert_equal(lw_stats().downlinks_ignored, st0.downlinks_ignored + 1);
	zassert_equal(rep_status().config_refused, r0.config_refused + 1);
}

ZTEST_SUITE(vmon_lorawan, NULL, setup, NULL, NULL, NULL);
