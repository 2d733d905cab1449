/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Health (health.h): task watchdog channels, the reset record in retained RAM, and the
 * fatal error handler that writes it and resets the node instead of halting.
 */

#include <errno.h>
#include <string.h>

#include <zephyr/devicetree.h>
#include <zephyr/drivers/hwinfo.h>
#include <zephyr/fatal.h>
#include <zephyr/init.h>
#include <zephyr/kernel.h>
#include <zephyr/logging/log.h>
#include <zephyr/logging/log_ctrl.h>
#include <zephyr/retention/retention.h>
#include <zephyr/sys/reboot.h>
#include <zephyr/task_wdt/task_wdt.h>
#include <zephyr/zbus/zbus.h>

#if defined(CONFIG_CPU_CORTEX_M)
#include <cmsis_core.h>
#endif

#include "health.h"

LOG_MODULE_REGISTER(vmon_health, CONFIG_VMON_HEALTH_LOG_LEVEL);

#define RECORD_NODE DT_CHOSEN(vmon_reset_record)
#define HAS_RECORD  DT_NODE_HAS_STATUS(RECORD_NODE, okay)

ZBUS_CHAN_DEFINE(VMON_RESET_CHAN, struct vmon_reset_msg, NULL, NULL, ZBUS_OBSERVERS_EMPTY,
		 ZBUS_MSG_INIT(0));

/* What survives a reset: the reset record itself (retained RAM, checked by the retention
 * area's prefix and checksum). */
struct record {
	struct vmon_reset_msg msg; /* cause VMON_RESET_UNKNOWN: nothing happened yet */
};

#if HAS_RECORD
BUILD_ASSERT(sizeof(struct record) <= DT_REG_SIZE(RECORD_NODE) - DT_PROP_LEN(RECORD_NODE, prefix) -
						 DT_PROP(RECORD_NODE, checksum),
	     "the reset record does not fit the vmon,reset-record retention area");
static const struct device *const record_dev = DEVICE_DT_GET(RECORD_NODE);
#endif

struct queue_watch {
	struct k_work_delayable beat;
	struct k_work_q *queue;
	int channel;
};

static struct {
	struct vmon_reset_msg last; /* this boot's reset */
	struct record next;         /* written when the node resets */
	bool read;
	bool published;
	struct {
		k_tid_t tid;
		uint8_t thread;
		char name[VMON_HEALTH_NAME_LEN];
	} ch[CONFIG_TASK_WDT_CHANNELS];
	struct queue_watch queues[CONFIG_VMON_HEALTH_QUEUES];
	size_t queues_used;
} h;

const char *vmon_reset_cause_str(uint8_t cause)
{
	static const char *const names[] = {"unknown", "power_on", "pin",   "software",
					    "watchdog", "fault",   "brownout", "other"};

	return cause < ARRAY_SIZE(names) ? names[cause] : "?";
}

static uint32_t uptime_s(void)
{
	return (uint32_t)MIN((uint64_t)k_uptime_get() / 1000U, UINT32_MAX);
}

/* Interrupts locked or an exception handler: no mutex (Kconfig forces them off). */
static void record_write(void)
{
#if HAS_RECORD
	(void)retention_write(record_dev, 0, (const uint8_t *)&h.next, sizeof(h.next));
#endif
}

/* The registered thread that @p tid is, or an unknown one with its kernel name. */
static void describe(k_tid_t tid, struct vmon_reset_msg *m)
{
	for (size_t i = 0; i < ARRAY_SIZE(h.ch); i++) {
		if (h.ch[i].tid != NULL && h.ch[i].tid == tid) {
			m->thread = h.ch[i].thread;
			memcpy(m->name, h.ch[i].name, sizeof(m->name));
			return;
		}
	}
	m->thread = VMON_THREAD_UNKNOWN;
	m->name[0] = '\0';
	if (IS_ENABLED(CONFIG_THREAD_NAME) && tid != NULL) {
		const char *n = k_thread_name_get(tid);

		if (n != NULL) {
			strncpy(m->name, n, sizeof(m->name) - 1U);
			m->name[sizeof(m->name) - 1U] = '\0';
		}
	}
}

/* Where a switched-out Cortex-M thread will resume: the PC and LR of the exception frame
 * on its stack (the basic frame's words 5 and 6), if the frame lies inside the stack. */
static void resume_point(k_tid_t tid, uint32_t *pc, uint32_t *lr)
{
	*pc = 0U;
	*lr = 0U;
#if defined(CONFIG_CPU_CORTEX_M) && defined(CONFIG_THREAD_STACK_INFO)
	uintptr_t sp = tid == k_current_get() ? __get_PSP() : tid->callee_saved.psp;
	uintptr_t lo = tid->stack_info.start;
	uintptr_t hi = lo + tid->stack_info.size;

	if (sp >= lo && sp + 8U * sizeof(uint32_t) <= hi && (sp & 3U) == 0U) {
		const uint32_t *frame = (const uint32_t *)sp;

		*lr = frame[5];
		*pc = frame[6];
	}
#else
	ARG_UNUSED(tid);
#endif
}

static void reset_now(void)
{
	record_write();
	LOG_PANIC();
	sys_reboot(SYS_REBOOT_COLD);
	CODE_UNREACHABLE;
}

/* The kernel timer of a starved channel (ISR): record who starved and where it is. */
static void starved(int channel, void *user_data)
{
	ARG_UNUSED(user_data);
	struct vmon_reset_msg *m = &h.next.msg;

	m->cause = VMON_RESET_WATCHDOG;
	m->fatal = 0U;
	m->thread = h.ch[channel].thread;
	memcpy(m->name, h.ch[channel].name, sizeof(m->name));
	resume_point(h.ch[channel].tid, &m->pc, &m->lr);
	m->uptime_s = uptime_s();
	LOG_ERR("watchdog: %s starved, resetting", m->name);
	reset_now();
}

#if defined(CONFIG_VMON_HEALTH_FATAL_REBOOT)
void k_sys_fatal_error_handler(unsigned int reason, const struct arch_esf *esf)
{
	struct vmon_reset_msg *m = &h.next.msg;

	m->cause = VMON_RESET_FAULT;
	m->fatal = (uint8_t)MIN(reason + 1U, UINT8_MAX);
	describe(k_current_get(), m);
	m->pc = 0U;
	m->lr = 0U;
#if defined(CONFIG_CPU_CORTEX_M)
	if (esf != NULL) {
		m->pc = esf->basic.pc;
		m->lr = esf->basic.lr;
	}
#else
	ARG_UNUSED(esf);
#endif
	m->uptime_s = uptime_s();
	LOG_ERR("fatal error %u in %s, resetting", reason, m->name[0] ? m->name : "?");
	reset_now();
}
#endif

static int channel_add(k_tid_t tid, enum vmon_thread thread, const char *name, uint32_t period_ms)
{
	if (name == NULL || tid == NULL || (unsigned int)thread >= VMON_THREAD_COUNT) {
		return -EINVAL;
	}
	int ch = task_wdt_add(period_ms, starved, NULL);

	if (ch < 0) {
		return ch;
	}
	if ((size_t)ch >= ARRAY_SIZE(h.ch)) {
		(void)task_wdt_delete(ch);
		return -ENOMEM;
	}
	h.ch[ch].tid = tid;
	h.ch[ch].thread = (uint8_t)thread;
	strncpy(h.ch[ch].name, name, sizeof(h.ch[ch].name) - 1U);
	h.ch[ch].name[sizeof(h.ch[ch].name) - 1U] = '\0';
	return ch;
}

int vmon_health_wdt_add(enum vmon_thread thread, const char *name)
{
	return channel_add(k_current_get(), thread, name, CONFIG_VMON_HEALTH_WDT_PERIOD_MS);
}

int vmon_health_wdt_feed(int channel)
{
	return task_wdt_feed(channel);
}

/* The heartbeat of a watched work queue: it runs on that queue, so it is late exactly when
 * a work item ahead of it blocks the queue. */
static void beat(struct k_work *work)
{
	struct k_work_delayable *dwork = k_work_delayable_from_work(work);
	struct queue_watch *w = CONTAINER_OF(dwork, struct queue_watch, beat);

	(void)task_wdt_feed(w->channel);
	(void)k_work_schedule_for_queue(w->queue, dwork, vmon_health_wait());
}

static K_MUTEX_DEFINE(queues_lock);

int vmon_health_watch_queue(struct k_work_q *queue, enum vmon_thread thread, const char *name,
			    uint32_t period_ms)
{
	/* Fed every quarter of the default period: a shorter one would starve an idle queue. */
	if (queue == NULL || (queue->flags & K_WORK_QUEUE_STARTED) == 0U ||
	    period_ms < CONFIG_VMON_HEALTH_WDT_PERIOD_MS) {
		return -EINVAL;
	}
	k_tid_t tid = k_work_queue_thread_get(queue);

	(void)k_mutex_lock(&queues_lock, K_FOREVER);
	if (h.queues_used >= ARRAY_SIZE(h.queues)) {
		k_mutex_unlock(&queues_lock);
		return -ENOMEM;
	}
	int ch = channel_add(tid, thread, name, period_ms);

	if (ch >= 0) {
		struct queue_watch *w = &h.queues[h.queues_used++];

		w->queue = queue;
		w->channel = ch;
		k_work_init_delayable(&w->beat, beat);
		(void)k_work_schedule_for_queue(queue, &w->beat, K_NO_WAIT);
	}
	k_mutex_unlock(&queues_lock);
	return ch;
}

int vmon_health_last_reset(struct vmon_reset_msg *out)
{
	if (!h.read) {
		return -EAGAIN;
	}
	*out = h.last;
	return 0;
}

/* The SoC's reset reason (hwinfo), when the record does not name one. */
static uint8_t soc_cause(void)
{
	uint32_t c = 0U;

	if (!IS_ENABLED(CONFIG_HWINFO) || hwinfo_get_reset_cause(&c) != 0 || c == 0U) {
		return VMON_RESET_UNKNOWN;
	}
	(void)hwinfo_clear_reset_cause(); /* sticky on some SoCs (nRF RESETREAS) */
	if ((c & RESET_WATCHDOG) != 0U) {
		return VMON_RESET_WATCHDOG;
	}
	if ((c & (RESET_CPU_LOCKUP | RESET_PARITY | RESET_SECURITY)) != 0U) {
		return VMON_RESET_FAULT;
	}
	if ((c & RESET_BROWNOUT) != 0U) {
		return VMON_RESET_BROWNOUT;
	}
	if ((c & RESET_POR) != 0U) {
		return VMON_RESET_POWER_ON;
	}
	if ((c & RESET_PIN) != 0U) {
		return VMON_RESET_PIN;
	}
	if ((c & RESET_SOFTWARE) != 0U) {
		return VMON_RESET_SOFTWARE;
	}
	return VMON_RESET_OTHER;
}

static int health_init(void)
{
	struct record rec = {0};
	bool retained = false;

#if HAS_RECORD
	if (!device_is_ready(record_dev)) {
		LOG_ERR("reset record area not ready");
	} else if (retention_is_valid(record_dev) == 1 &&
		   retention_read(record_dev, 0, (uint8_t *)&rec, sizeof(rec)) == 0) {
		retained = true;
	}
#endif
	uint8_t soc = soc_cause();

	h.last = rec.msg;
	/* The record passed its checksum, but values from an older firmware still go on the air
	 * through enums: keep them in range. */
	h.last.name[sizeof(h.last.name) - 1U] = '\0';
	if (h.last.thread >= VMON_THREAD_COUNT) {
		h.last.thread = VMON_THREAD_UNKNOWN;
	}
	if (!retained) {
		memset(&h.last, 0, sizeof(h.last));
		/* Nothing survived: the RAM lost power, unless the SoC knows better. */
		h.last.cause = soc != VMON_RESET_UNKNOWN ? soc : VMON_RESET_POWER_ON;
	} else if (h.last.cause == VMON_RESET_UNKNOWN || h.last.cause > VMON_RESET_OTHER) {
		/* The RAM survived a reset vmon did not see coming: pin, a reboot, the hardware
		 * watchdog: hwinfo, where the SoC has it, says which. */
		uint8_t resets = h.last.resets;

		memset(&h.last, 0, sizeof(h.last));
		h.last.resets = resets;
		h.last.cause = soc;
	}
	if (vmon_reset_is_abnormal(h.last.cause) && h.last.resets < UINT8_MAX) {
		h.last.resets++;
	}
	/* The next record starts as "nothing happened", with the count carried over. */
	h.next.msg = (struct vmon_reset_msg){.resets = h.last.resets};
	record_write();
	h.read = true;

	const struct device *hw = NULL;

#if defined(CONFIG_VMON_HEALTH_HW_WDT)
	hw = DEVICE_DT_GET(DT_CHOSEN(vmon_watchdog));
	if (!device_is_ready(hw)) {
		LOG_ERR("hardware watchdog not ready: task watchdog only");
		hw = NULL;
	}
#endif
	int err = task_wdt_init(hw);

	if (err != 0) {
		LOG_ERR("task watchdog not started (%d)", err);
	} else if (IS_ENABLED(CONFIG_VMON_HEALTH_WATCH_SYSWORKQ)) {
		err = vmon_health_watch_queue(&k_sys_work_q, VMON_THREAD_SYSWORKQ, "sysworkq",
					      CONFIG_VMON_HEALTH_WDT_PERIOD_MS);
		if (err < 0) {
			LOG_ERR("system work queue not watched (%d)", err);
		}
	}
	return 0; /* a node without a watchdog still measures; the log says why */
}

SYS_INIT(health_init, APPLICATION, 0);

int vmon_health_start(void)
{
	if (!h.read) {
		return -EAGAIN;
	}
	if (h.published) {
		return -EALREADY;
	}
	h.published = true;
	if (vmon_reset_has_record(h.last.cause)) {
		/* fatal is the kernel's reason + 1 (0: none): print the kernel's number. */
		LOG_WRN("last reset: %s in %s (fatal error %d, pc 0x%08x, lr 0x%08x, at %u s)",
			vmon_reset_cause_str(h.last.cause), h.last.name[0] ? h.last.name : "?",
			(int)h.last.fatal - 1, h.last.pc, h.last.lr, h.last.uptime_s);
	} else {
		LOG_INF("last reset: %s", vmon_reset_cause_str(h.last.cause));
	}
	return zbus_chan_pub(&VMON_RESET_CHAN, &h.last, K_MSEC(100));
}
