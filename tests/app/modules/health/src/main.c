/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The health module across resets: five boots of one test.
 *   boot 0: power on (no record): a thread registers a watchdog channel and stops feeding
 *           while another keeps feeding; the node must reset within the period
 *   boot 1: a watchdog reset by "stall", with where it was blocked; published once; then a
 *           registered thread raises a kernel oops
 *   boot 2: a fault reset by "crasher" (K_ERR_KERNEL_OOPS at a PC in the image); then a
 *           work item blocks the system work queue, which the module watches by default
 *   boot 3: a watchdog reset by "sysworkq", blocked in the item; then a reset nobody
 *           recorded (sys_reboot)
 *   boot 4: the retained RAM survived without a record: cause unknown (QEMU has no hwinfo
 *           reset reason), the count of abnormal resets kept and not incremented
 */

#include <string.h>

#include <zephyr/kernel.h>
#include <zephyr/linker/linker-defs.h>
#include <zephyr/sys/reboot.h>
#include <zephyr/zbus/zbus.h>
#include <zephyr/ztest.h>

#include "health.h"

#define BOOT_MAGIC 0x76686c74U

static struct {
	uint32_t magic;
	uint32_t count;
} boot __noinit;

static int published;
static struct vmon_reset_msg seen;

static void reset_cb(const struct zbus_channel *chan)
{
	seen = *(const struct vmon_reset_msg *)zbus_chan_const_msg(chan);
	published++;
}

ZBUS_LISTENER_DEFINE(test_reset_listener, reset_cb);
ZBUS_CHAN_ADD_OBS(VMON_RESET_CHAN, test_reset_listener, 1);

static K_SEM_DEFINE(never, 0, 1);

static void next_boot(void)
{
	boot.count++;
}

static bool in_image(uint32_t addr)
{
	uintptr_t a = addr & ~1U; /* the Thumb bit */

	return a >= (uintptr_t)__text_region_start && a < (uintptr_t)__text_region_end;
}

/* Feeds twice, then blocks forever: the channel starves. */
static void stall_fn(void *a, void *b, void *c)
{
	int ch = vmon_health_wdt_add(VMON_THREAD_OTHER, "stall");

	zassert_true(ch >= 0, "%d", ch);
	for (int i = 0; i < 2; i++) {
		zassert_ok(vmon_health_wdt_feed(ch));
		k_msleep(100);
	}
	(void)k_sem_take(&never, K_FOREVER);
}

/* Keeps feeding: a healthy channel does not stop the reset of a starved one. */
static void healthy_fn(void *a, void *b, void *c)
{
	int ch = vmon_health_wdt_add(VMON_THREAD_PROCESSING, "healthy");

	zassert_true(ch >= 0, "%d", ch);
	for (;;) {
		(void)vmon_health_wdt_feed(ch);
		k_msleep(50);
	}
}

static void crash_fn(void *a, void *b, void *c)
{
	zassert_true(vmon_health_wdt_add(VMON_THREAD_OTHER, "crasher") >= 0);
	k_oops();
}

/* Blocks the queue that runs it. */
static void block_fn(struct k_work *work)
{
	ARG_UNUSED(work);
	(void)k_sem_take(&never, K_FOREVER);
}

static K_WORK_DEFINE(block_work, block_fn);

K_THREAD_STACK_DEFINE(stack_a, 1024);
K_THREAD_STACK_DEFINE(stack_b, 1024);
static struct k_thread thread_a, thread_b;

static struct vmon_reset_msg last(void)
{
	struct vmon_reset_msg m;

	zassert_ok(vmon_health_last_reset(&m));
	return m;
}

static void boot0(void)
{
	struct vmon_reset_msg m = last();

	zassert_equal(m.cause, VMON_RESET_POWER_ON, "cause %u", m.cause);
	zassert_equal(m.resets, 0);
	zassert_equal(vmon_health_wdt_add(VMON_THREAD_COUNT, "bad"), -EINVAL);
	zassert_equal(vmon_health_wdt_add(VMON_THREAD_OTHER, NULL), -EINVAL);

	static struct k_work_q idle_q; /* never started */

	zassert_equal(vmon_health_watch_queue(&idle_q, VMON_THREAD_OTHER, "q", 300), -EINVAL);
	zassert_equal(vmon_health_watch_queue(NULL, VMON_THREAD_OTHER, "q", 300), -EINVAL);
	zassert_equal(vmon_health_watch_queue(&k_sys_work_q, VMON_THREAD_OTHER, "q", 299),
		      -EINVAL, "shorter than the period its heartbeat is paced by");
	/* The system work queue took one of CONFIG_VMON_HEALTH_QUEUES (2) at boot. */
	static struct k_work_q q2, q3;
	static K_THREAD_STACK_DEFINE(q2_stack, 512);
	static K_THREAD_STACK_DEFINE(q3_stack, 512);

	k_work_queue_start(&q2, q2_stack, K_THREAD_STACK_SIZEOF(q2_stack), K_PRIO_PREEMPT(2),
			   NULL);
	k_work_queue_start(&q3, q3_stack, K_THREAD_STACK_SIZEOF(q3_stack), K_PRIO_PREEMPT(2),
			   NULL);
	zassert_true(vmon_health_watch_queue(&q2, VMON_THREAD_OTHER, "q2", 300) >= 0);
	zassert_equal(vmon_health_watch_queue(&q3, VMON_THREAD_OTHER, "q3", 300), -ENOMEM);

	next_boot();
	k_thread_create(&thread_a, stack_a, K_THREAD_STACK_SIZEOF(stack_a), stall_fn, NULL, NULL,
			NULL, K_PRIO_PREEMPT(1), 0, K_NO_WAIT);
	k_thread_create(&thread_b, stack_b, K_THREAD_STACK_SIZEOF(stack_b), healthy_fn, NULL,
			NULL, NULL, K_PRIO_PREEMPT(1), 0, K_NO_WAIT);
	TC_PRINT("boot 0: power on; \"stall\" stops feeding its channel\n");
	/* 200 ms of feeding + the 300 ms period: the reset comes well before this ends. */
	k_msleep(3000);
	zassert_unreachable("the starved channel did not reset the node");
}

static void boot1(void)
{
	struct vmon_reset_msg m = last();

	zassert_equal(m.cause, VMON_RESET_WATCHDOG, "cause %u", m.cause);
	zassert_equal(m.thread, VMON_THREAD_OTHER);
	zassert_str_equal(m.name, "stall");
	zassert_equal(m.fatal, 0);
	zassert_equal(m.resets, 1);
	zassert_true(m.uptime_s <= 2, "at %u s", m.uptime_s);
	/* Blocked in k_sem_take(): the frame on its stack returns into the kernel's code. */
	zassert_true(in_image(m.pc) && in_image(m.lr), "pc 0x%08x lr 0x%08x", m.pc, m.lr);

	zassert_ok(vmon_health_start());
	zassert_equal(published, 1);
	zassert_mem_equal(&seen, &m, sizeof(m));
	zassert_equal(vmon_health_start(), -EALREADY, "published once");
	zassert_equal(published, 1);

	next_boot();
	TC_PRINT("boot 1: watchdog reset by \"%s\" at pc 0x%08x; \"crasher\" oopses\n", m.name,
		 m.pc);
	k_thread_create(&thread_a, stack_a, K_THREAD_STACK_SIZEOF(stack_a), crash_fn, NULL, NULL,
			NULL, K_PRIO_PREEMPT(1), 0, K_NO_WAIT);
	k_msleep(3000);
	zassert_unreachable("the oops did not reset the node");
}

static void boot2(void)
{
	struct vmon_reset_msg m = last();

	zassert_equal(m.cause, VMON_RESET_FAULT, "cause %u", m.cause);
	zassert_equal(m.fatal, K_ERR_KERNEL_OOPS + 1, "fatal %u", m.fatal);
	zassert_equal(m.thread, VMON_THREAD_OTHER);
	zassert_str_equal(m.name, "crasher");
	zassert_equal(m.resets, 2);
	zassert_true(in_image(m.pc), "pc 0x%08x", m.pc);

	next_boot();
	TC_PRINT("boot 2: fault reset (oops) in \"%s\" at pc 0x%08x; the system work queue "
		 "blocks\n", m.name, m.pc);
	k_work_submit(&block_work);
	k_msleep(3000);
	zassert_unreachable("the blocked system work queue did not reset the node");
}

static void boot3(void)
{
	struct vmon_reset_msg m = last();

	zassert_equal(m.cause, VMON_RESET_WATCHDOG, "cause %u", m.cause);
	zassert_equal(m.thread, VMON_THREAD_SYSWORKQ);
	zassert_str_equal(m.name, "sysworkq");
	zassert_equal(m.resets, 3);
	zassert_true(in_image(m.pc) && in_image(m.lr), "pc 0x%08x lr 0x%08x", m.pc, m.lr);

	next_boot();
	TC_PRINT("boot 3: watchdog reset by \"%s\" at pc 0x%08x; plain reboot\n", m.name, m.pc);
	sys_reboot(SYS_REBOOT_COLD);
}

static void boot4(void)
{
	struct vmon_reset_msg m = last();

	zassert_equal(m.cause, VMON_RESET_UNKNOWN, "cause %u", m.cause);
	zassert_equal(m.resets, 3, "a reset vmon did not see is not counted as abnormal");
	zassert_equal(m.name[0], '\0');
	zassert_equal(m.pc, 0U);
	TC_PRINT("boot 4: an unrecorded reset: cause %s, %u abnormal resets\n",
		 vmon_reset_cause_str(m.cause), m.resets);
}

ZTEST(health, test_resets_are_recorded_and_reported)
{
	switch (boot.count) {
	case 0:
		boot0();
		break;
	case 1:
		boot1();
		break;
	case 2:
		boot2();
		break;
	case 3:
		boot3();
		break;
	case 4:
		boot4();
		break;
	default:
		zassert_unreachable("boot %u", boot.count);
	}
}

static void *setup(void)
{
	if (boot.magic != BOOT_MAGIC) {
		boot.magic = BOOT_MAGIC;
		boot.count = 0;
	}
	return NULL;
}

ZTEST_SUITE(health, NULL, setup, NULL, NULL, NULL);
