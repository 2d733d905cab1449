/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * `vmon health`: why the node last reset (health module). With
 * CONFIG_VMON_SHELL_HEALTH_INJECT (tests only), `vmon health inject stall|oops` makes the
 * processing thread starve its watchdog channel (a window listener that blocks) or raise a
 * kernel oops, so that a test sees the reset reported after boot.
 */

#include <string.h>

#include <zephyr/kernel.h>
#include <zephyr/shell/shell.h>
#include <zephyr/zbus/zbus.h>

#include "health.h"
#include "processing.h"

static const char *const thread_names[] = {
	[VMON_THREAD_UNKNOWN] = "unknown",       [VMON_THREAD_MAIN] = "main",
	[VMON_THREAD_PROCESSING] = "processing", [VMON_THREAD_OTHER] = "other",
	[VMON_THREAD_SYSWORKQ] = "sysworkq",     [VMON_THREAD_LORAWAN] = "lorawan",
};
BUILD_ASSERT(ARRAY_SIZE(thread_names) == VMON_THREAD_COUNT, "a name for every watched thread");

static int cmd_health(const struct shell *sh, size_t argc, char **argv)
{
	ARG_UNUSED(argc);
	ARG_UNUSED(argv);
	struct vmon_reset_msg m;
	int err = vmon_health_last_reset(&m);

	if (err != 0) {
		shell_error(sh, "reset record unavailable (%d)", err);
		return err;
	}
	shell_print(sh, "last reset: %s", vmon_reset_cause_str(m.cause));
	if (vmon_reset_has_record(m.cause)) {
		shell_print(sh, "thread: %s (%s) fatal: %u pc: 0x%08x lr: 0x%08x at: %u s",
			    m.thread < ARRAY_SIZE(thread_names) ? thread_names[m.thread] : "?",
			    m.name[0] != '\0' ? m.name : "?", m.fatal, m.pc, m.lr, m.uptime_s);
	}
	shell_print(sh, "abnormal resets since power-on: %u", m.resets);
	return 0;
}

#if defined(CONFIG_VMON_SHELL_HEALTH_INJECT)
enum inject { INJECT_NONE, INJECT_STALL, INJECT_OOPS };
static atomic_t armed;
static K_SEM_DEFINE(never, 0, 1);

/* Runs in the processing thread (a listener): the next window never ends. */
static void inject_cb(const struct zbus_channel *chan)
{
	ARG_UNUSED(chan);
	switch (atomic_set(&armed, INJECT_NONE)) {
	case INJECT_STALL:
		(void)k_sem_take(&never, K_FOREVER);
		break;
	case INJECT_OOPS:
		k_oops();
		break;
	default:
		break;
	}
}

ZBUS_LISTENER_DEFINE(vmon_shell_inject, inject_cb);
ZBUS_CHAN_ADD_OBS(VMON_WINDOW_CHAN, vmon_shell_inject, 9);

static int cmd_inject(const struct shell *sh, size_t argc, char **argv)
{
	ARG_UNUSED(argc);
	if (strcmp(argv[1], "stall") == 0) {
		atomic_set(&armed, INJECT_STALL);
	} else if (strcmp(argv[1], "oops") == 0) {
		atomic_set(&armed, INJECT_OOPS);
	} else {
		shell_error(sh, "inject stall or oops, got '%s'", argv[1]);
		return -EINVAL;
	}
	shell_print(sh, "armed: the next window's listener will %s", argv[1]);
	return 0;
}

SHELL_STATIC_SUBCMD_SET_CREATE(health_cmds,
			       SHELL_CMD_ARG(inject, NULL,
					     "stall|oops: the processing thread starves its "
					     "watchdog or oopses (test builds)",
					     cmd_inject, 2, 0),
			       SHELL_SUBCMD_SET_END);
#define HEALTH_SUBCMDS &health_cmds
#else
#define HEALTH_SUBCMDS NULL
#endif

SHELL_SUBCMD_ADD((vmon), health, HEALTH_SUBCMDS, "Why the node last reset", cmd_health, 1, 0);
