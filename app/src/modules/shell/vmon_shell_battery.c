/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * `vmon battery [measure]`: the battery's last voltage, the low-battery policy's level and
 * the module's counters (battery module); `measure` takes a measurement first.
 */

#include <errno.h>
#include <string.h>

#include <zephyr/shell/shell.h>

#include "battery.h"

static int cmd_battery(const struct shell *sh, size_t argc, char **argv)
{
	struct vmon_battery_status st;

	if (argc > 1) {
		if (strcmp(argv[1], "measure") != 0) {
			shell_error(sh, "usage: vmon battery [measure]");
			return -EINVAL;
		}
		int err = vmon_battery_measure();

		if (err != 0) {
			shell_warn(sh, "measurement failed (%d)", err);
		}
	}
	vmon_battery_status_get(&st);
	if (st.mv == 0U) {
		shell_print(sh, "battery: not measured");
	} else {
		shell_print(sh, "battery: %u mV%s", st.mv, st.stale ? " (stale)" : "");
	}
	shell_print(sh, "level: %s interval x%u flash writes: %s",
		    vmon_battery_level_str((enum vmon_battery_level)st.level),
		    vmon_battery_interval_scale(),
		    vmon_battery_flash_write_ok() ? "ok" : "refused");
	shell_print(sh, "measurements %u errors %u implausible %u last_err %d level_changes %u "
		    "flash_refused %u",
		    st.measurements, st.errors, st.implausible, st.last_err, st.level_changes,
		    st.flash_refused);
	return 0;
}

SHELL_SUBCMD_ADD((vmon), battery, NULL, "Battery voltage and policy ([measure]: now)",
		 cmd_battery, 1, 1);
