/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Reporting: the node's events and status as payload records (app/schema/payload.yaml),
 * stored on flash and handed to the transports until one delivers them.
 *
 *   VMON_EVENT_CHAN ── listener (processing thread: copies only) ──┐
 *   vmon_processing_status_get() every status period ──────────────┴─ reporting loop:
 *        encode (vmon_payload.h) ─ queue (NVS) ─ transports, one record at a time
 *
 * Transports (console, BLE, LoRaWAN; each its own Kconfig option, any combination, none
 * included) register with VMON_TRANSPORT_DEFINE() and take one record at a time; they
 * report the outcome with vmon_reporting_sent(). The first transport that accepts a record
 * owns it until that outcome; on a failure it is offered again after a back-off. Downlinks
 * (a LoRaWAN downlink, a BLE configuration write, the shell) go to vmon_reporting_config().
 *
 * Requires CONFIG_VMON_REPORTING. Returns 0 or a negative errno.
 */

#ifndef VMON_REPORTING_H_
#define VMON_REPORTING_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <zephyr/sys/iterable_sections.h>

#ifdef __cplusplus
extern "C" {
#endif

struct vmon_report_record {
	uint32_t seq;
	uint8_t type;   /**< VMON_PL_*_TYPE of an uplink */
	uint8_t fport;  /**< its LoRaWAN application port */
	bool confirmed; /**< alarms and other events: deliver with an acknowledgment */
	uint8_t len;
	const uint8_t *data;
};

struct vmon_transport {
	const char *name;
	/** Once, from vmon_reporting_start(); 0 or -errno (the transport is then left out). */
	int (*init)(void);
	/**
	 * Take @p rec (its data stays valid until the outcome). 0: accepted, the outcome follows
	 * with vmon_reporting_sent() (possibly from within this call); -ENOTCONN: no link now
	 * (not connected, not joined); -EBUSY: not now (duty cycle, a send in progress);
	 * -EMSGSIZE: too large for the link now (data rate). Anything else counts as an error.
	 */
	int (*send)(const struct vmon_report_record *rec);
};

#define VMON_TRANSPORT_DEFINE(_name, _init, _send)                                            \
	const STRUCT_SECTION_ITERABLE(vmon_transport, vmon_transport_##_name) = {                      \
		.name = #_name,                                                               \
		.init = _init,                                                                \
		.send = _send,                                                                \
	}

/** Outcome of the record @p seq a transport accepted: 0 delivered, or -errno (sent again). */
void vmon_reporting_sent(const struct vmon_transport *t, uint32_t seq, int result);

/** A link came up (connected, joined): records waiting are offered again now. */
void vmon_reporting_link_up(void);

struct vmon_reporting_status {
	uint32_t depth;        /**< records waiting in the queue */
	uint32_t dropped;      /**< records dropped since boot (queue full, not storable) */
	uint32_t store_errors; /**< flash errors since boot */
	uint32_t corrupt;      /**< corrupt records found and removed since boot */
	uint32_t boots;
	uint32_t next_seq;
	uint32_t delivered;    /**< records delivered since boot */
	uint32_t send_errors;  /**< transport refusals and failures since boot */
	uint32_t encode_errors;
	uint8_t config_seq;    /**< seq of the last configuration handled */
	int config_err;        /**< 0 applied, or why it was refused (-errno) */
	uint32_t config_refused;
	int init_err;          /**< 0, or why the queue is not in use (records are then lost) */
};

/** Mount the queue, start the transports. Called once at boot (SYS_INIT). */
int vmon_reporting_start(void);

/**
 * The reporting loop: never returns once the queue is mounted (main() runs it when the node
 * is up, so the main thread's stack does the work); returns at once without a queue.
 */
void vmon_reporting_run(void);

void vmon_reporting_status_get(struct vmon_reporting_status *st);

/**
 * A configuration downlink (a config record of app/schema/payload.yaml): decoded, every
 * present group validated, then all applied, or nothing (-EMSGSIZE, -ENOTSUP, -ENOMSG,
 * -EINVAL from the decoder; -EINVAL for zones out of order, an impossible bearing or an
 * unknown commissioning length; -ERANGE for a speed the estimate cannot search around;
 * VMON_BATTERY_REFUSED, battery.h, for a group to persist while the battery forbids flash
 * writes). Counted and logged once either way; the next status record carries its seq and
 * result.
 */
int vmon_reporting_config(const uint8_t *buf, size_t len);

/** Seconds between status records (the configuration's status_period_s). */
uint32_t vmon_reporting_status_period_s(void);

/** The payload schema's portable error code (enum error) of a negative errno: errno values
 *  differ between C libraries, so they never leave the node (records, SMP answers). */
uint8_t vmon_reporting_error_code(int err);

/** The LoRaWAN transport's counters (CONFIG_VMON_REPORTING_LORAWAN). */
struct vmon_lorawan_stats {
	bool joined;
	uint16_t dev_nonce;        /**< the last DevNonce used (persisted) */
	uint32_t join_attempts;
	uint32_t join_failures;
	uint32_t sent;             /**< uplinks the stack reported sent (acknowledged if confirmed) */
	uint32_t duty_cycle;       /**< refused for the duty cycle: sent later */
	uint32_t send_failures;    /**< other failures (no acknowledgment, ...): sent again */
	uint32_t downlinks;
	uint32_t downlinks_ignored; /**< not on the configuration fPort */
};

void vmon_lorawan_stats_get(struct vmon_lorawan_stats *st);

#ifdef __cplusplus
}
#endif

#endif /* VMON_REPORTING_H_ */
