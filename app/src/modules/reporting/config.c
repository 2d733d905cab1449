/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Configuration downlinks (reporting.h): one decoder for LoRaWAN downlinks, BLE writes and the
 * shell. Every present group is validated before anything changes; then all are applied.
 * The status period is this module's own setting ("vmon/rep/period", settings).
 */

#include <errno.h>

#include <zephyr/kernel.h>
#include <zephyr/logging/log.h>
#include <zephyr/settings/settings.h>
#include <zephyr/sys/byteorder.h>

#include "battery.h"
#include "decision.h"
#include "machine.h"
#include "reporting.h"
#include "reporting_internal.h"
#include "vmon_payload.h"

LOG_MODULE_REGISTER(vmon_report_config, CONFIG_VMON_REPORTING_LOG_LEVEL);

#define SETTINGS_SUBTREE "vmon/rep"
#define KEY_PERIOD       "period"

static struct {
	uint32_t period_s;
	uint8_t seq;
	int err;
	uint32_t refused;
} cfg = {.period_s = CONFIG_VMON_REPORTING_STATUS_PERIOD_S, .err = 0};

static K_MUTEX_DEFINE(cfg_lock);

static bool period_ok(uint32_t s)
{
	return s >= 10U && s <= UINT16_MAX; /* the schema's range of status_period_s */
}

BUILD_ASSERT(CONFIG_VMON_REPORTING_STATUS_PERIOD_S >= 10 &&
		     CONFIG_VMON_REPORTING_STATUS_PERIOD_S <= UINT16_MAX,
	     "the status period must be one a downlink can set");

static int settings_set(const char *key, size_t len, settings_read_cb read_cb, void *cb_arg)
{
	const char *next;
	uint8_t buf[4];

	if (!settings_name_steq(key, KEY_PERIOD, &next) || next != NULL) {
		return 0;
	}
	if (len != sizeof(buf) || read_cb(cb_arg, buf, sizeof(buf)) != sizeof(buf) ||
	    !period_ok(sys_get_le32(buf))) {
		LOG_WRN("stored status period is invalid: %u s kept", cfg.period_s);
		return 0;
	}
	cfg.period_s = sys_get_le32(buf);
	return 0;
}

SETTINGS_STATIC_HANDLER_DEFINE(vmon_reporting, SETTINGS_SUBTREE, NULL, settings_set, NULL, NULL);

int vmon_reporting_config_init(void)
{
	int rc = settings_subsys_init();

	return rc != 0 ? rc : settings_load_subtree(SETTINGS_SUBTREE);
}

uint32_t vmon_reporting_status_period_s(void)
{
	return cfg.period_s;
}

void vmon_reporting_config_status(uint8_t *seq, int *err, uint32_t *refused)
{
	k_mutex_lock(&cfg_lock, K_FOREVER);
	*seq = cfg.seq;
	*err = cfg.err;
	*refused = cfg.refused;
	k_mutex_unlock(&cfg_lock);
}

/* Everything a group asks for is possible: 0, or why not (nothing has changed yet). */
static int validate(const struct vmon_pl_config *c)
{
	if (c->has_zones && !(c->zones.ab_um_s < c->zones.bc_um_s &&
			      c->zones.bc_um_s < c->zones.cd_um_s)) {
		return -EINVAL;
	}
	if (c->has_hysteresis && !vmon_decision_hysteresis_valid(c->hysteresis.n, c->hysteresis.m)) {
		return -EINVAL;
	}
	if (c->has_commission && c->commission.windows != 0U &&
	    (c->commission.windows < VMON_DECISION_COMMISSION_MIN ||
	     c->commission.windows > CONFIG_VMON_DECISION_BASELINE_WINDOWS_MAX)) {
		return -EINVAL;
	}
	if ((c->has_bearing || c->has_speed) && !IS_ENABLED(CONFIG_VMON_MACHINE)) {
		return -ENOTSUP;
	}
	if (IS_ENABLED(CONFIG_VMON_MACHINE) && c->has_bearing) {
		struct vmon_env_bearing b = {
			.n_balls = c->bearing.n_balls,
			.ball_um = c->bearing.ball_um,
			.pitch_um = c->bearing.pitch_um,
			.angle_cdeg = c->bearing.angle_cdeg,
		};

		if (vmon_env_bearing_check(&b) != 0) {
			return -EINVAL;
		}
	}
	if (IS_ENABLED(CONFIG_VMON_MACHINE) && c->has_speed &&
	    vmon_machine_speed_check(c->speed.nominal_mhz) != 0) {
		return -ERANGE;
	}
	/* Every group but commission is persisted: below a safe battery voltage none could be,
	 * so all wait (refused whole, nothing changed; the sender tries again). */
	if (IS_ENABLED(CONFIG_VMON_BATTERY) && (c->has_zones || c->has_hysteresis ||
						c->has_bearing || c->has_speed || c->has_report)) {
		return vmon_battery_flash_gate();
	}
	return 0;
}

/* Apply in an order where a late failure (a flash write) leaves the most useful part done. */
static int apply(const struct vmon_pl_config *c)
{
	int err = 0;

	if (c->has_zones) {
		struct vmon_decision_zones z = {
			.ab_um_s = c->zones.ab_um_s,
			.bc_um_s = c->zones.bc_um_s,
			.cd_um_s = c->zones.cd_um_s,
		};

		err = vmon_decision_zones_set(&z);
	}
	if (err == 0 && c->has_hysteresis) {
		err = vmon_decision_hysteresis_set(c->hysteresis.n, c->hysteresis.m);
	}
	if (IS_ENABLED(CONFIG_VMON_MACHINE) && err == 0 && c->has_bearing) {
		struct vmon_env_bearing b = {
			.n_balls = c->bearing.n_balls,
			.ball_um = c->bearing.ball_um,
			.pitch_um = c->bearing.pitch_um,
			.angle_cdeg = c->bearing.angle_cdeg,
		};

		err = vmon_machine_bearing_set(&b);
	}
	if (IS_ENABLED(CONFIG_VMON_MACHINE) && err == 0 && c->has_speed) {
		err = vmon_machine_speed_set(c->speed.nominal_mhz);
	}
	if (err == 0 && c->has_report) {
		uint8_t buf[4];

		sys_put_le32(c->report.status_period_s, buf);
		/* No flash write starts below a safe battery voltage (it could be torn). */
		err = vmon_battery_flash_gate();
		err = err != 0 ? err : settings_save_one(SETTINGS_SUBTREE "/" KEY_PERIOD, buf,
							 sizeof(buf));
		if (err == 0) {
			cfg.period_s = c->report.status_period_s;
		}
	}
	if (err == 0 && c->has_commission) {
		/* Last: learning starts on the machine as configured by the groups above. */
		err = vmon_decision_baseline_learn(c->commission.windows);
	}
	return err;
}

int vmon_reporting_config(const uint8_t *buf, size_t len)
{
	struct vmon_pl_config c;
	int err = vmon_pl_config_decode(buf, len, &c);

	bool valid;

	k_mutex_lock(&cfg_lock, K_FOREVER);
	if (err == 0) {
		err = validate(&c);
	}
	valid = err == 0;
	if (valid) {
		err = apply(&c);
	}
	/* A refused record still names its seq when its header is a config record's (the seq
	 * is its first byte after the header): the operator sees which downlink it was. */
	if (len >= 2U && vmon_pl_record_type(buf, len) == (int)VMON_PL_CONFIG_TYPE) {
		cfg.seq = buf[1];
	}
	cfg.err = err;
	if (!valid) {
		cfg.refused++;
		LOG_WRN("configuration refused (%d): nothing changed", err);
	} else if (err != 0) {
		cfg.refused++;
		LOG_ERR("configuration %u not applied completely (%d)", cfg.seq, err);
	} else {
		LOG_INF("configuration %u applied", cfg.seq);
	}
	k_mutex_unlock(&cfg_lock);
	return err;
}
