/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Battery module: the battery voltage and the low-battery policy.
 *
 * The voltage comes from the sensor chosen as vmon,vbatt (a Zephyr "voltage-divider" on an
 * ADC input: SENSOR_CHAN_VOLTAGE), measured every CONFIG_VMON_BATTERY_PERIOD_S from a work
 * item on the system work queue and on demand (vmon_battery_measure()). The last value is
 * kept; a measurement that fails (ADC error) or reads implausibly low is counted and leaves
 * the last value in place, marked stale.
 *
 * The policy has three levels with hysteresis (thresholds in Kconfig): OK; LOW, where the
 * node measures and reports less often (vmon_battery_interval_scale()); CRITICAL, where no flash write
 * starts (vmon_battery_flash_write_ok(), vmon_battery_flash_gate()): a write or erase that
 * browns out half-way leaves a torn record or a half-erased page. Until a first good
 * measurement the level is OK: a broken divider must not stop the node from persisting.
 *
 * Every function may be called from any thread (the state is atomic; nothing waits for a
 * measurement in progress). Without CONFIG_VMON_BATTERY the inline stubs below report an
 * unknown voltage, level OK and allow every write, so callers need no #if.
 */

#ifndef VMON_BATTERY_H_
#define VMON_BATTERY_H_

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include <zephyr/sys/util.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The low-battery policy's levels, from best to worst. */
enum vmon_battery_level {
	VMON_BATTERY_OK,
	VMON_BATTERY_LOW,      /**< report less often */
	VMON_BATTERY_CRITICAL, /**< report less often, start no flash write */
	VMON_BATTERY_LEVEL_COUNT,
};

/** The error a refused flash write returns: try again once the battery allows it. */
#define VMON_BATTERY_REFUSED (-EAGAIN)

struct vmon_battery_status {
	uint32_t mv;           /**< the last good measurement (mV); 0 none yet */
	uint8_t level;         /**< enum vmon_battery_level */
	bool stale;            /**< the latest measurement failed: mv is an older one */
	int last_err;          /**< of the latest measurement: 0 or negative errno */
	uint32_t measurements; /**< attempts since boot */
	uint32_t errors;       /**< since boot: failed measurements (driver or ADC errors) */
	uint32_t implausible;  /**< since boot: readings below CONFIG_VMON_BATTERY_VALID_MIN_MV */
	uint32_t flash_refused; /**< since boot: writes vmon_battery_flash_gate() refused */
	uint32_t level_changes; /**< since boot */
};

#if defined(CONFIG_VMON_BATTERY)

/** The last good measurement in mV; 0 when none yet. */
uint32_t vmon_battery_mv(void);

/** The policy's level (VMON_BATTERY_OK until a first good measurement). */
enum vmon_battery_level vmon_battery_level(void);

/** True when a flash write may start: the level is not CRITICAL. Counts nothing. */
bool vmon_battery_flash_write_ok(void);

/**
 * Call right before starting a flash write or erase: 0 go ahead, or VMON_BATTERY_REFUSED
 * (-EAGAIN) when the level is CRITICAL; each refusal is counted (flash_refused).
 */
int vmon_battery_flash_gate(void);

/** What periodic reporting multiplies its status period by, and duty-cycled processing its
 * measurement interval: 1 when OK, else CONFIG_VMON_BATTERY_LOW_INTERVAL_FACTOR. */
uint32_t vmon_battery_interval_scale(void);

/**
 * Measure now (the caller's thread; a concurrent measurement waits for the other to end):
 * 0, or the negative errno of a failed measurement (counted; the last value stays, stale).
 * -ERANGE: a reading below CONFIG_VMON_BATTERY_VALID_MIN_MV (an open or shorted divider).
 */
int vmon_battery_measure(void);

/** Everything above at once, and the counters. */
void vmon_battery_status_get(struct vmon_battery_status *st);

/** Name of a level ("?" out of range). */
const char *vmon_battery_level_str(enum vmon_battery_level level);

#else

static inline uint32_t vmon_battery_mv(void)
{
	return 0;
}

static inline enum vmon_battery_level vmon_battery_level(void)
{
	return VMON_BATTERY_OK;
}

static inline bool vmon_battery_flash_write_ok(void)
{
	return true;
}

static inline int vmon_battery_flash_gate(void)
{
	return 0;
}

static inline uint32_t vmon_battery_interval_scale(void)
{
	return 1U;
}

static inline int vmon_battery_measure(void)
{
	return -ENOTSUP;
}

#endif /* CONFIG_VMON_BATTERY */

#ifdef __cplusplus
}
#endif

#endif /* VMON_BATTERY_H_ */
