/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Health module: the task watchdog and the reset record.
 *
 * Each long-running vmon thread registers a task watchdog channel and feeds it from its
 * loop; a thread that waits for input waits at most a quarter of the period
 * (vmon_health_wait()) so that idle is never mistaken for stuck. When a channel starves,
 * or on a fatal error, the module writes a reset record into retained RAM (devicetree:
 * chosen vmon,reset-record) and resets the node. The next boot reads it, works out why the
 * node reset (the record, else the SoC's reset reason through hwinfo, else "power on" when
 * the retained RAM did not survive) and publishes it once on VMON_RESET_CHAN when
 * vmon_health_start() runs.
 */

#ifndef VMON_HEALTH_H_
#define VMON_HEALTH_H_

#include <stdbool.h>
#include <stdint.h>

#include <zephyr/kernel.h>
#include <zephyr/zbus/zbus.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Why the node last reset (the payload schema's enum reset_cause follows it). */
enum vmon_reset_cause {
	VMON_RESET_UNKNOWN,
	VMON_RESET_POWER_ON, /**< power-on, or the retained RAM did not survive */
	VMON_RESET_PIN,
	VMON_RESET_SOFTWARE, /**< a requested reboot (sys_reboot) */
	VMON_RESET_WATCHDOG, /**< a task watchdog channel or the hardware watchdog */
	VMON_RESET_FAULT,    /**< a fatal error: CPU exception, stack overflow, oops, panic */
	VMON_RESET_BROWNOUT,
	VMON_RESET_OTHER,
};

/** vmon's long-running threads (the schema's enum thread follows it). */
enum vmon_thread {
	VMON_THREAD_UNKNOWN, /**< not registered with the watchdog */
	VMON_THREAD_MAIN,    /**< main: the reporting loop */
	VMON_THREAD_PROCESSING,
	VMON_THREAD_OTHER,   /**< registered under another name (tests, future modules) */
	VMON_THREAD_SYSWORKQ, /**< the system work queue (sampling's sources, Bluetooth) */
	VMON_THREAD_LORAWAN, /**< reporting's LoRaWAN work queue */
	VMON_THREAD_COUNT,
};

#define VMON_HEALTH_NAME_LEN 12

/** A reset the operator must hear of: watchdog, fault or brownout (counted in resets). */
static inline bool vmon_reset_is_abnormal(uint8_t cause)
{
	return cause == VMON_RESET_WATCHDOG || cause == VMON_RESET_FAULT ||
	       cause == VMON_RESET_BROWNOUT;
}

/** A reset the record describes (thread, PC, LR): watchdog or fault. */
static inline bool vmon_reset_has_record(uint8_t cause)
{
	return cause == VMON_RESET_WATCHDOG || cause == VMON_RESET_FAULT;
}

/** The last reset, published once on VMON_RESET_CHAN. */
struct vmon_reset_msg {
	uint8_t cause;        /**< enum vmon_reset_cause */
	uint8_t fatal;        /**< K_ERR_* reason + 1 of a fault; 0 none */
	uint8_t thread;       /**< enum vmon_thread: the starved or faulting thread */
	uint8_t resets;       /**< watchdog, fault and brownout resets since power-on (saturates) */
	uint32_t pc;          /**< fault: the faulting PC; watchdog: the starved thread's PC */
	uint32_t lr;
	uint32_t uptime_s;    /**< uptime when the record was written; 0 none */
	char name[VMON_HEALTH_NAME_LEN]; /**< the thread's name, NUL-terminated ("" unknown) */
};

ZBUS_CHAN_DECLARE(VMON_RESET_CHAN);

#if defined(CONFIG_VMON_HEALTH)

/**
 * Register the calling thread with the task watchdog (CONFIG_VMON_HEALTH_WDT_PERIOD_MS).
 * @return the channel (>= 0), -ENOMEM no channel left, -EINVAL bad arguments.
 */
int vmon_health_wdt_add(enum vmon_thread thread, const char *name);

/** Feed @p channel: 0, or -EINVAL for a channel that is not registered. */
int vmon_health_wdt_feed(int channel);

/**
 * Watch a started work queue: a channel for its thread, fed by a work item that the queue
 * itself runs every vmon_health_wait(). A work item that blocks the queue for @p period_ms
 * (at least CONFIG_VMON_HEALTH_WDT_PERIOD_MS: a queue whose items legitimately block longer,
 * such as a LoRaWAN confirmed uplink, names its own bound) starves the channel, and the reset
 * record names the queue's thread and where it was blocked.
 * @return the channel (>= 0), -ENOMEM no channel or watcher left, -EINVAL bad arguments.
 */
int vmon_health_watch_queue(struct k_work_q *queue, enum vmon_thread thread, const char *name,
			    uint32_t period_ms);

/** The longest a registered thread may wait for input before feeding again. */
static inline k_timeout_t vmon_health_wait(void)
{
	return K_MSEC(CONFIG_VMON_HEALTH_WDT_PERIOD_MS / 4U);
}

/** This boot's reset: 0, or -EAGAIN before the module read it at boot. */
int vmon_health_last_reset(struct vmon_reset_msg *out);

/** Publish the last reset on VMON_RESET_CHAN (once; the subscribers are up). */
int vmon_health_start(void);

/** Name of a reset cause ("?" out of range). */
const char *vmon_reset_cause_str(uint8_t cause);

#else

static inline int vmon_health_wdt_add(enum vmon_thread thread, const char *name)
{
	ARG_UNUSED(thread);
	ARG_UNUSED(name);
	return -ENOTSUP;
}

static inline int vmon_health_wdt_feed(int channel)
{
	ARG_UNUSED(channel);
	return 0;
}

static inline int vmon_health_watch_queue(struct k_work_q *queue, enum vmon_thread thread,
					  const char *name, uint32_t period_ms)
{
	ARG_UNUSED(queue);
	ARG_UNUSED(period_ms);
	ARG_UNUSED(thread);
	ARG_UNUSED(name);
	return -ENOTSUP;
}

static inline k_timeout_t vmon_health_wait(void)
{
	return K_FOREVER;
}

static inline int vmon_health_start(void)
{
	return 0;
}

#endif /* CONFIG_VMON_HEALTH */

#ifdef __cplusplus
}
#endif

#endif /* VMON_HEALTH_H_ */
