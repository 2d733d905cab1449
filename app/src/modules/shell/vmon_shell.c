/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The `vmon` shell command group: the operator's view of the node. Modules add their
 * commands to it with SHELL_SUBCMD_ADD((vmon), ...) (vmon_shell_node.c).
 */

#include <zephyr/kernel.h>
#include <zephyr/logging/log.h>
#include <zephyr/shell/shell.h>
#include <zephyr/version.h>

#include <vmon/version.h>

LOG_MODULE_REGISTER(vmon_shell, CONFIG_VMON_LOG_LEVEL);

static int cmd_version(const struct shell *sh, size_t argc, char **argv)
{
	ARG_UNUSED(argc);
	ARG_UNUSED(argv);

	shell_print(sh, "vmon %s build %s", VMON_VERSION_STRING, VMON_BUILD_VERSION);
	shell_print(sh, "zephyr %s board %s", KERNEL_VERSION_STRING, CONFIG_BOARD_TARGET);
	return 0;
}

SHELL_SUBCMD_SET_CREATE(vmon_cmds, (vmon));
SHELL_SUBCMD_ADD((vmon), version, NULL, "Firmware, Zephyr and board versions", cmd_version, 1,
		 0);
SHELL_CMD_REGISTER(vmon, &vmon_cmds, "vmon vibration node commands", NULL);
