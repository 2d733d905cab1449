/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The `vmon` shell command group: the operator's view of the node.
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

static int cmd_model(const struct shell *sh, size_t argc, char **argv)
{
	ARG_UNUSED(argc);
	ARG_UNUSED(argv);

	shell_print(sh, "model %s", CONFIG_VMON_MODEL_ID);
	return 0;
}

SHELL_STATIC_SUBCMD_SET_CREATE(vmon_cmds,
	SHELL_CMD(version, NULL, "Firmware, Zephyr and board versions", cmd_version),
	SHELL_CMD(model, NULL, "Embedded model identifier", cmd_model),
	SHELL_SUBCMD_SET_END);

SHELL_CMD_REGISTER(vmon, &vmon_cmds, "vmon vibration node commands", NULL);
