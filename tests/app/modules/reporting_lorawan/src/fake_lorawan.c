/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * A fake of Zephyr's LoRaWAN API (zephyr/lorawan/lorawan.h) with scripted outcomes: joins at
 * boot fail FAKE_JOIN_FAILURES times, sends return what the test scripted (a duty-cycle
 * refusal is -ECONNREFUSED, as the stack maps it; a confirmed uplink without acknowledgment
 * -ETIMEDOUT), payload sizes are what the test sets. Every call is recorded.
 */

#include <errno.h>
#include <string.h>

#include <zephyr/kernel.h>
#include <zephyr/lorawan/lorawan.h>
#include <zephyr/sys/slist.h>

#include "fakes.h"

static struct {
	struct k_spinlock lock;
	struct fake_uplink up[FAKE_MAX_UPLINKS];
	int n_up;
	struct fake_join joins[FAKE_MAX_JOINS];
	int n_joins;
	int script[8];
	int n_script;
	uint8_t max_payload;
	bool adr;
	bool started;
	struct lorawan_downlink_cb *dl;
} f = {.max_payload = 51};

int lorawan_start(void)
{
	f.started = true;
	return 0;
}

int lorawan_set_region(enum lorawan_region region)
{
	return f.started ? -EINVAL : (region == LORAWAN_REGION_EU868 ? 0 : -ENOTSUP);
}

void lorawan_enable_adr(bool enable)
{
	f.adr = enable;
}

int lorawan_set_conf_msg_tries(uint8_t tries)
{
	return tries > 0 ? 0 : -EINVAL;
}

void lorawan_register_downlink_callback(struct lorawan_downlink_cb *cb)
{
	f.dl = cb;
}

int lorawan_join(const struct lorawan_join_config *cfg)
{
	int result;

	if (cfg == NULL || cfg->mode != LORAWAN_ACT_OTAA || cfg->dev_eui == NULL) {
		return -EINVAL;
	}
	k_sleep(K_MSEC(100)); /* the join request's receive windows */
	result = f.n_joins < FAKE_JOIN_FAILURES ? -ETIMEDOUT : 0;
	if (f.n_joins < FAKE_MAX_JOINS) {
		f.joins[f.n_joins] = (struct fake_join){
			.t_ms = k_uptime_get(), .dev_nonce = cfg->otaa.dev_nonce, .result = result};
		f.n_joins++;
	}
	return result;
}

int lorawan_send(uint8_t port, uint8_t *data, uint8_t len, enum lorawan_message_type type)
{
	k_spinlock_key_t key;
	int result = 0;

	if (data == NULL || len > sizeof(f.up[0].data)) {
		return -EINVAL;
	}
	k_sleep(K_MSEC(50)); /* time on air and receive windows */
	key = k_spin_lock(&f.lock);
	if (f.n_script > 0) {
		result = f.script[0];
		memmove(f.script, &f.script[1], (size_t)(f.n_script - 1) * sizeof(f.script[0]));
		f.n_script--;
	}
	if (f.n_up < FAKE_MAX_UPLINKS) {
		struct fake_uplink *u = &f.up[f.n_up++];

		*u = (struct fake_uplink){.port = port,
					  .len = len,
					  .confirmed = type == LORAWAN_MSG_CONFIRMED,
					  .result = result};
		memcpy(u->data, data, len);
	}
	k_spin_unlock(&f.lock, key);
	return result;
}

void lorawan_get_payload_sizes(uint8_t *max_next_payload_size, uint8_t *max_payload_size)
{
	*max_next_payload_size = f.max_payload;
	*max_payload_size = f.max_payload;
}

void fake_lw_script_send(const int *results, int n)
{
	k_spinlock_key_t key = k_spin_lock(&f.lock);

	n = MIN(n, (int)ARRAY_SIZE(f.script));
	memcpy(f.script, results, (size_t)n * sizeof(results[0]));
	f.n_script = n;
	k_spin_unlock(&f.lock, key);
}

void fake_lw_set_max_payload(uint8_t n)
{
	f.max_payload = n;
}

int fake_lw_uplinks(const struct fake_uplink **out)
{
	*out = f.up;
	return f.n_up;
}

int fake_lw_joins(const struct fake_join **out)
{
	*out = f.joins;
	return f.n_joins;
}

bool fake_lw_adr(void)
{
	return f.adr;
}

void fake_lw_downlink(uint8_t port, const uint8_t *data, uint8_t len)
{
	if (f.dl != NULL && (f.dl->port == LW_RECV_PORT_ANY || f.dl->port == port)) {
		f.dl->cb(port, false, -80, 5, len, data);
	}
}
