/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Battery voltage and the low-battery policy (battery.h).
 */

#include <errno.h>

#include <zephyr/device.h>
#include <zephyr/devicetree.h>
#include <zephyr/init.h>
#include <zephyr/kernel.h>
#include <zephyr/logging/log.h>
#include <zephyr/sys/atomic.h>
#include <zephyr/sys/util.h>

#include "battery.h"
#include "battery_backend.h"

LOG_MODULE_REGISTER(vmon_battery, CONFIG_VMON_BATTERY_LOG_LEVEL);

#define VBATT_NODE DT_CHOSEN(vmon_vbatt)
#define LOW_MV     CONFIG_VMON_BATTERY_LOW_MV
#define CRIT_MV    CONFIG_VMON_BATTERY_CRITICAL_MV
#define HYST_MV    CONFIG_VMON_BATTERY_HYSTERESIS_MV

BUILD_ASSERT(DT_NODE_HAS_STATUS(VBATT_NODE, okay), "the battery module needs chosen vmon,vbatt");
BUILD_ASSERT(CRIT_MV < LOW_MV, "CONFIG_VMON_BATTERY_CRITICAL_MV must be below _LOW_MV");
BUILD_ASSERT(CONFIG_VMON_BATTERY_VALID_MIN_MV < CRIT_MV,
	     "a plausible reading must be able to reach CRITICAL");
BUILD_ASSERT(VMON_BATTERY_OK < VMON_BATTERY_LOW && VMON_BATTERY_LOW < VMON_BATTERY_CRITICAL,
	     "level_next() compares levels as numbers: worse is larger");
#if defined(CONFIG_VMON_REPORTING_INIT_PRIORITY)
BUILD_ASSERT(CONFIG_VMON_BATTERY_INIT_PRIORITY < CONFIG_VMON_REPORTING_INIT_PRIORITY,
	     "the level is measured before the reporting queue mounts (and writes)");
#endif

/* Atomics: readers (any thread, the flash gate) never wait for a measurement. */
static struct {
	struct k_work_delayable work;
	atomic_t mv;
	atomic_t level;
	atomic_t stale;
	atomic_t last_err;
	atomic_t measurements;
	atomic_t errors;
	atomic_t implausible;
	atomic_t refused;
	atomic_t changes;
} b;

/* One measurement at a time: the work item and vmon_battery_measure() callers. */
static K_MUTEX_DEFINE(measure_lock);

/* The level @p mv is in when every threshold is raised by @p margin. */
static enum vmon_battery_level level_for(int64_t mv, int32_t margin)
{
	return mv < CRIT_MV + margin  ? VMON_BATTERY_CRITICAL
	       : mv < LOW_MV + margin ? VMON_BATTERY_LOW
				      : VMON_BATTERY_OK;
}

/* Worse at once; better only as far as the thresholds plus the hysteresis allow. */
static enum vmon_battery_level level_next(enum vmon_battery_level cur, int64_t mv)
{
	enum vmon_battery_level now = level_for(mv, 0);

	return now >= cur ? now : MIN(cur, level_for(mv, HYST_MV));
}

int vmon_battery_measure(void)
{
	int64_t mv = 0;
	int err;

	k_mutex_lock(&measure_lock, K_FOREVER);
	(void)atomic_inc(&b.measurements);
	err = vmon_battery_read_mv(&mv);
	if (err == 0 && mv < CONFIG_VMON_BATTERY_VALID_MIN_MV) {
		(void)atomic_inc(&b.implausible);
		err = -ERANGE;
	} else if (err != 0) {
		(void)atomic_inc(&b.errors);
	}
	atomic_set(&b.last_err, err);
	if (err != 0) {
		/* The last good value and its level stay; the status says it is stale. */
		atomic_set(&b.stale, 1);
		LOG_WRN("battery not measured (%d, %d mV): %u mV kept", err, (int)mv,
			(unsigned int)atomic_get(&b.mv));
		k_mutex_unlock(&measure_lock);
		return err;
	}

	enum vmon_battery_level cur = (enum vmon_battery_level)atomic_get(&b.level);
	enum vmon_battery_level next = level_next(cur, mv);

	atomic_set(&b.mv, (atomic_val_t)MIN(mv, (int64_t)INT32_MAX));
	atomic_set(&b.stale, 0);
	if (next != cur) {
		atomic_set(&b.level, next);
		(void)atomic_inc(&b.changes);
		LOG_WRN("battery %u mV: %s", (unsigned int)mv, vmon_battery_level_str(next));
	}
	k_mutex_unlock(&measure_lock);
	return 0;
}

static void measure_fn(struct k_work *work)
{
	ARG_UNUSED(work);
	(void)vmon_battery_measure(); /* a failure is counted; the next period tries again */
	(void)k_work_schedule(&b.work, K_SECONDS(CONFIG_VMON_BATTERY_PERIOD_S));
}

uint32_t vmon_battery_mv(void)
{
	return (uint32_t)atomic_get(&b.mv);
}

enum vmon_battery_level vmon_battery_level(void)
{
	return (enum vmon_battery_level)atomic_get(&b.level);
}

bool vmon_battery_flash_write_ok(void)
{
	return vmon_battery_level() < VMON_BATTERY_CRITICAL;
}

int vmon_battery_flash_gate(void)
{
	if (vmon_battery_flash_write_ok()) {
		return 0;
	}
	(void)atomic_inc(&b.refused);
	return VMON_BATTERY_REFUSED;
}

uint32_t vmon_battery_interval_scale(void)
{
	return vmon_battery_level() == VMON_BATTERY_OK ? 1U
						       : CONFIG_VMON_BATTERY_LOW_INTERVAL_FACTOR;
}

void vmon_battery_status_get(struct vmon_battery_status *st)
{
	*st = (struct vmon_battery_status){
		.mv = vmon_battery_mv(),
		.level = (uint8_t)vmon_battery_level(),
		.stale = atomic_get(&b.stale) != 0,
		.last_err = (int)atomic_get(&b.last_err),
		.measurements = (uint32_t)atomic_get(&b.measurements),
		.errors = (uint32_t)atomic_get(&b.errors),
		.implausible = (uint32_t)atomic_get(&b.implausible),
		.flash_refused = (uint32_t)atomic_get(&b.refused),
		.level_changes = (uint32_t)atomic_get(&b.changes),
	};
}

const char *vmon_battery_level_str(enum vmon_battery_level level)
{
	static const char *const names[] = {"ok", "low", "critical"};

	BUILD_ASSERT(ARRAY_SIZE(names) == VMON_BATTERY_LEVEL_COUNT, "a name for every level");
	return (unsigned int)level < ARRAY_SIZE(names) ? names[level] : "?";
}

static int battery_init(void)
{
	k_work_init_delayable(&b.work, measure_fn);
	/* Now, so that the modules writing flash at boot know the level. */
	(void)vmon_battery_measure();
	(void)k_work_schedule(&b.work, K_SECONDS(CONFIG_VMON_BATTERY_PERIOD_S));
	return 0; /* a failed measurement is counted, not a boot failure */
}

SYS_INIT(battery_init, APPLICATION, CONFIG_VMON_BATTERY_INIT_PRIORITY);
