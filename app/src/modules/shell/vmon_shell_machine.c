/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * `vmon machine`: the machine profile (bearing geometry, nominal shaft speed) the envelope
 * typing uses. Values are validated by the machine module; a refused one changes nothing.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <zephyr/shell/shell.h>

#include "machine.h"

/* A whole decimal number in [0, UINT32_MAX], or -EINVAL. */
static int parse_u32(const struct shell *sh, const char *what, const char *arg, uint32_t *out)
{
	char *end;
	unsigned long v = strtoul(arg, &end, 10);

	if (*arg == '\0' || *arg == '-' || *end != '\0' || v > UINT32_MAX) {
		shell_error(sh, "%s must be a whole number, got '%s'", what, arg);
		return -EINVAL;
	}
	*out = (uint32_t)v;
	return 0;
}

static void print_bearing(const struct shell *sh, const struct vmon_machine *m)
{
	if (!m->has_bearing) {
		shell_print(sh, "bearing: none (no fault type is named from the envelope)");
		return;
	}
	shell_print(sh, "bearing: %u balls, ball %u um, pitch %u um, contact angle %u cdeg",
		    m->bearing.n_balls, m->bearing.ball_um, m->bearing.pitch_um,
		    m->bearing.angle_cdeg);
}

static void print_speed(const struct shell *sh, const struct vmon_machine *m)
{
	if (m->nominal_mhz == 0U) {
		shell_print(sh, "speed: estimated from the spectrum (%u .. %u rpm)",
			    vmon_machine_mhz_to_rpm(VMON_ENV_SPEED_MIN_MHZ),
			    vmon_machine_mhz_to_rpm(VMON_ENV_SPEED_MAX_MHZ));
		return;
	}
	shell_print(sh, "speed: nominal %u rpm (%u mHz)", vmon_machine_mhz_to_rpm(m->nominal_mhz),
		    m->nominal_mhz);
}

static int cmd_show(const struct shell *sh, size_t argc, char **argv)
{
	ARG_UNUSED(argc);
	ARG_UNUSED(argv);
	struct vmon_machine m;

	vmon_machine_get(&m);
	print_bearing(sh, &m);
	print_speed(sh, &m);
	shell_print(sh, "load_err: %d records_rejected: %u", m.load_err, m.records_rejected);
	return 0;
}

static int cmd_bearing(const struct shell *sh, size_t argc, char **argv)
{
	struct vmon_env_bearing b = {0};
	int err;

	if (argc == 2 && strcmp(argv[1], "clear") == 0) {
		err = vmon_machine_bearing_clear();
	} else if (argc == 2) {
		const struct vmon_machine_preset *p = vmon_machine_preset_find(argv[1]);

		if (p == NULL) {
			const struct vmon_machine_preset *all;
			size_t n = vmon_machine_presets(&all);

			shell_error(sh, "no preset '%s'; presets:", argv[1]);
			for (size_t i = 0; i < n; i++) {
				shell_error(sh, "  %s", all[i].name);
			}
			return -ENOENT;
		}
		b = p->bearing;
		err = vmon_machine_bearing_set(&b);
	} else if (argc == 4 || argc == 5) {
		if (parse_u32(sh, "balls", argv[1], &b.n_balls) != 0 ||
		    parse_u32(sh, "ball diameter (um)", argv[2], &b.ball_um) != 0 ||
		    parse_u32(sh, "pitch diameter (um)", argv[3], &b.pitch_um) != 0 ||
		    (argc == 5 && parse_u32(sh, "contact angle (cdeg)", argv[4], &b.angle_cdeg) != 0)) {
			return -EINVAL;
		}
		err = vmon_machine_bearing_set(&b);
	} else {
		shell_error(sh, "usage: vmon machine bearing PRESET | N BALL_UM PITCH_UM "
				"[ANGLE_CDEG] | clear");
		return -EINVAL;
	}
	if (err == -EINVAL) {
		shell_error(sh, "impossible bearing: need 1..255 balls, 0 < ball < pitch diameter, "
				"contact angle < 9000 cdeg; the previous bearing is kept");
		return err;
	}
	if (err != 0) {
		shell_error(sh, "bearing not stored (%d); the previous bearing is kept", err);
		return err;
	}
	struct vmon_machine m;

	vmon_machine_get(&m);
	print_bearing(sh, &m);
	return 0;
}

static int cmd_speed(const struct shell *sh, size_t argc, char **argv)
{
	ARG_UNUSED(argc);
	uint32_t rpm = 0U;
	int err;

	if (strcmp(argv[1], "auto") != 0 && parse_u32(sh, "speed (rpm)", argv[1], &rpm) != 0) {
		return -EINVAL;
	}
	if (strcmp(argv[1], "auto") != 0 && rpm == 0U) {
		shell_error(sh, "speed 0 rpm: give 'auto' to estimate it from the spectrum");
		return -EINVAL;
	}
	err = vmon_machine_speed_set(rpm == 0U ? 0U : vmon_machine_rpm_to_mhz(rpm));
	if (err == -ERANGE) {
		shell_error(sh, "speed %u rpm is outside %u .. %u rpm; the previous speed is kept",
			    rpm, vmon_machine_mhz_to_rpm(VMON_ENV_SPEED_MIN_MHZ),
			    vmon_machine_mhz_to_rpm(VMON_ENV_SPEED_MAX_MHZ));
		return err;
	}
	if (err != 0) {
		shell_error(sh, "speed not stored (%d); the previous speed is kept", err);
		return err;
	}
	struct vmon_machine m;

	vmon_machine_get(&m);
	print_speed(sh, &m);
	return 0;
}

SHELL_STATIC_SUBCMD_SET_CREATE(vmon_machine_cmds,
	SHELL_CMD(show, NULL, "Bearing geometry and nominal shaft speed", cmd_show),
	SHELL_CMD_ARG(bearing, NULL, "PRESET | N BALL_UM PITCH_UM [ANGLE_CDEG] | clear",
		      cmd_bearing, 2, 3),
	SHELL_CMD_ARG(speed, NULL, "RPM | auto (estimate from the spectrum)", cmd_speed, 2, 0),
	SHELL_SUBCMD_SET_END);

SHELL_SUBCMD_ADD((vmon), machine, &vmon_machine_cmds, "Machine profile for fault typing", NULL,
		 2, 0);
