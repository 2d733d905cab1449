/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * LoRaWAN transport (CONFIG_VMON_REPORTING_LORAWAN), on Zephyr's LoRaWAN API (LoRaMac-node):
 *
 * - OTAA join at boot, retried with an exponential back-off (and jitter, so a fleet that lost
 *   its gateway does not rejoin in step) until it succeeds; the DevNonce is persisted
 *   (settings "vmon/lora/nonce") before every attempt, so none is ever reused (LoRaWAN 1.0.4);
 * - events go as confirmed uplinks, status and telemetry unconfirmed, each on its record's
 *   fPort; ADR on; the region is the Kconfig choice;
 * - one uplink at a time, sent from this transport's own work queue (a confirmed uplink
 *   blocks for its receive windows); its outcome goes back to the reporting loop, which keeps
 *   the record until delivered: a duty-cycle refusal or a missing acknowledgment is a retry
 *   later, never a loss;
 * - a record too large for the current data rate is refused with -EMSGSIZE (the reporting
 *   loop drops status and telemetry then; events always fit the smallest payload);
 * - downlinks on the configuration fPort go to vmon_reporting_config(), others are ignored
 *   and counted.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <zephyr/kernel.h>
#include <zephyr/logging/log.h>
#include <zephyr/lorawan/lorawan.h>
#include <zephyr/random/random.h>
#include <zephyr/settings/settings.h>
#include <zephyr/sys/byteorder.h>
#include <zephyr/sys/util.h>

#include "battery.h"
#include "health.h"
#include "reporting.h"
#include "vmon_payload.h"

LOG_MODULE_REGISTER(vmon_lorawan, CONFIG_VMON_REPORTING_LOG_LEVEL);

#define NONCE_KEY "vmon/lora/nonce"

extern const struct vmon_transport vmon_transport_lorawan;

static K_THREAD_STACK_DEFINE(lw_stack, CONFIG_VMON_REPORTING_LORAWAN_STACK_SIZE);

static struct {
	struct k_work_q q;
	struct k_work_delayable join_work;
	struct k_work send_work;
	atomic_t joined;
	atomic_t busy;
	uint32_t backoff_s;
	uint16_t dev_nonce; /* the last one used (persisted) */
	/* The uplink in flight. */
	uint32_t seq;
	uint8_t port;
	bool confirmed;
	uint8_t len;
	uint8_t buf[VMON_PL_MAX_BYTES];
	struct vmon_lorawan_stats stats;
} lw;

static int hex_bytes(const char *hex, uint8_t *out, size_t n)
{
	return hex2bin(hex, strlen(hex), out, n) == n ? 0 : -EINVAL;
}

static int nonce_set(const char *key, size_t len, settings_read_cb read_cb, void *cb_arg)
{
	uint8_t b[2];

	ARG_UNUSED(key);
	if (len == sizeof(b) && read_cb(cb_arg, b, sizeof(b)) == sizeof(b)) {
		lw.dev_nonce = sys_get_le16(b);
	}
	return 0;
}

SETTINGS_STATIC_HANDLER_DEFINE(vmon_lora, "vmon/lora", NULL, nonce_set, NULL, NULL);

/* The next DevNonce, persisted before it is used. */
static int next_nonce(uint16_t *out)
{
	uint8_t b[2];
	int err;

	sys_put_le16((uint16_t)(lw.dev_nonce + 1U), b);
	/* No join without a persisted nonce, and no flash write below a safe battery voltage:
	 * the join waits for its back-off. */
	err = vmon_battery_flash_gate();
	err = err != 0 ? err : settings_save_one(NONCE_KEY, b, sizeof(b));
	if (err == 0) {
		lw.dev_nonce++;
		*out = lw.dev_nonce;
	}
	return err;
}

static void schedule_join(void)
{
	uint32_t b = CLAMP(lw.backoff_s * 2U, CONFIG_VMON_REPORTING_LORAWAN_JOIN_BACKOFF_MIN_S,
			   CONFIG_VMON_REPORTING_LORAWAN_JOIN_BACKOFF_MAX_S);

	lw.backoff_s = b;
	/* Up to a quarter more, at random. */
	b += sys_rand32_get() % (b / 4U + 1U);
	LOG_WRN("LoRaWAN: not joined, next try in %u s", b);
	k_work_reschedule_for_queue(&lw.q, &lw.join_work, K_SECONDS(b));
}

static void join_fn(struct k_work *w)
{
	static uint8_t dev_eui[8], join_eui[8], app_key[16];
	struct lorawan_join_config cfg = {
		.mode = LORAWAN_ACT_OTAA,
		.dev_eui = dev_eui,
		.otaa = {.join_eui = join_eui, .nwk_key = app_key, .app_key = app_key},
	};
	int err;

	ARG_UNUSED(w);
	err = hex_bytes(CONFIG_VMON_REPORTING_LORAWAN_DEV_EUI, dev_eui, sizeof(dev_eui));
	err = err ? err : hex_bytes(CONFIG_VMON_REPORTING_LORAWAN_JOIN_EUI, join_eui,
				    sizeof(join_eui));
	err = err ? err : hex_bytes(CONFIG_VMON_REPORTING_LORAWAN_APP_KEY, app_key,
				    sizeof(app_key));
	if (err != 0) {
		LOG_ERR("LoRaWAN: the device EUI, join EUI or app key is not hex of its length");
		return; /* a build input: no retry fixes it */
	}
	err = next_nonce(&cfg.otaa.dev_nonce);
	if (err == 0) {
		lw.stats.join_attempts++;
		err = lorawan_join(&cfg);
	}
	if (err != 0) {
		lw.stats.join_failures++;
		schedule_join();
		return;
	}
	lw.backoff_s = 0;
	atomic_set(&lw.joined, 1);
	LOG_INF("LoRaWAN: joined (DevNonce %u)", cfg.otaa.dev_nonce);
	vmon_reporting_link_up();
}

static void send_fn(struct k_work *w)
{
	int err;

	ARG_UNUSED(w);
	err = lorawan_send(lw.port, lw.buf, lw.len,
			   lw.confirmed ? LORAWAN_MSG_CONFIRMED : LORAWAN_MSG_UNCONFIRMED);
	if (err == -ECONNREFUSED) {
		lw.stats.duty_cycle++;
		err = -EBUSY; /* duty cycle: later */
	} else if (err != 0) {
		lw.stats.send_failures++;
	} else {
		lw.stats.sent++;
	}
	atomic_clear(&lw.busy);
	vmon_reporting_sent(&vmon_transport_lorawan, lw.seq, err);
}

static void downlink_cb(uint8_t port, bool data_pending, int16_t rssi, int8_t snr, uint8_t len,
			const uint8_t *data)
{
	ARG_UNUSED(data_pending);
	ARG_UNUSED(rssi);
	ARG_UNUSED(snr);
	if (len == 0U) {
		return; /* an acknowledgment only */
	}
	lw.stats.downlinks++;
	if (port != VMON_PL_CONFIG_FPORT) {
		lw.stats.downlinks_ignored++;
		LOG_WRN("LoRaWAN: downlink on fPort %u ignored", port);
		return;
	}
	(void)vmon_reporting_config(data, len); /* counted and logged there */
}

static struct lorawan_downlink_cb downlink = {.port = LW_RECV_PORT_ANY, .cb = downlink_cb};

static int lw_init(void)
{
	int err;

	k_work_queue_start(&lw.q, lw_stack, K_THREAD_STACK_SIZEOF(lw_stack),
			   CONFIG_VMON_REPORTING_LORAWAN_PRIORITY, NULL);
	k_work_init_delayable(&lw.join_work, join_fn);
	k_work_init(&lw.send_work, send_fn);
	/* A join or a confirmed uplink blocks the queue through its receive windows and
	 * retransmissions: a stack that never answers resets the node, a slow one does not. */
	err = vmon_health_watch_queue(&lw.q, VMON_THREAD_LORAWAN, "lorawan",
				      CONFIG_VMON_REPORTING_LORAWAN_WDT_PERIOD_S * MSEC_PER_SEC);
	if (err < 0 && err != -ENOTSUP) {
		LOG_ERR("LoRaWAN: work queue not watched (%d)", err);
	}
	err = settings_subsys_init();
	if (err == 0) {
		err = settings_load_subtree("vmon/lora");
	}
	if (err != 0) {
		return err; /* without the stored DevNonce a join could reuse one */
	}
	lorawan_register_downlink_callback(&downlink);
	err = lorawan_set_region(IS_ENABLED(CONFIG_VMON_REPORTING_LORAWAN_US915)
					 ? LORAWAN_REGION_US915
					 : LORAWAN_REGION_EU868);
	if (err != 0) {
		return err;
	}
	err = lorawan_start();
	if (err != 0) {
		return err;
	}
	lorawan_enable_adr(true);
	(void)lorawan_set_conf_msg_tries(CONFIG_VMON_REPORTING_LORAWAN_CONFIRMED_TRIES);
	k_work_reschedule_for_queue(&lw.q, &lw.join_work, K_NO_WAIT);
	return 0;
}

static int lw_send(const struct vmon_report_record *rec)
{
	uint8_t next, max;

	if (!atomic_get(&lw.joined)) {
		return -ENOTCONN;
	}
	if (!atomic_cas(&lw.busy, 0, 1)) {
		return -EBUSY;
	}
	lorawan_get_payload_sizes(&next, &max);
	if (rec->len > next) {
		atomic_clear(&lw.busy);
		return -EMSGSIZE;
	}
	lw.seq = rec->seq;
	lw.port = rec->fport;
	lw.confirmed = rec->confirmed;
	lw.len = rec->len;
	memcpy(lw.buf, rec->data, rec->len);
	k_work_submit_to_queue(&lw.q, &lw.send_work);
	return 0;
}

void vmon_lorawan_stats_get(struct vmon_lorawan_stats *st)
{
	*st = lw.stats;
	st->joined = atomic_get(&lw.joined) != 0;
	st->dev_nonce = lw.dev_nonce;
}

VMON_TRANSPORT_DEFINE(lorawan, lw_init, lw_send);
