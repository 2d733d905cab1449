/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Machine profile: what the node knows of the machine it is bolted to, the monitored
 * bearing's geometry and the nominal shaft speed. The envelope typing reads it (the defect
 * frequencies follow from both); the shell sets it now, a downlink later.
 *
 * Both are optional. Without a bearing the node names no bearing fault type; without a
 * nominal speed (0) the typing estimates the shaft rate from the spectrum over
 * VMON_ENV_SPEED_MIN_MHZ .. VMON_ENV_SPEED_MAX_MHZ, with one it searches
 * +-VMON_ENV_SPEED_SEARCH_PERMILLE around it (vmon.dsp.policy.Machine is the reference).
 *
 * A setter validates first and changes nothing on a bad value: an impossible geometry
 * (vmon_env_bearing_check(): no balls, ball diameter >= pitch diameter, contact angle
 * >= 90 degrees) is -EINVAL, a speed outside the range the speed spectrum resolves is
 * -ERANGE. With CONFIG_VMON_MACHINE_SETTINGS each value is persisted before it is used
 * (settings keys "vmon/mach/brg" and "vmon/mach/spd": versioned little-endian records with
 * a CRC-32); when the write fails the previous value stays in use and the error is
 * returned. A corrupt or invalid record found at load is counted and ignored.
 *
 * Threading: every function is thread-safe (one mutex) and may block; not for ISRs.
 * Requires CONFIG_VMON_MACHINE. Returns 0 or a negative errno.
 */

#ifndef VMON_MACHINE_H_
#define VMON_MACHINE_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vmon/envelope.h>

#ifdef __cplusplus
extern "C" {
#endif

struct vmon_machine {
	bool has_bearing;
	struct vmon_env_bearing bearing;
	uint32_t nominal_mhz; /**< shaft rate in mHz; 0: unknown, estimated */
	int load_err;         /**< 0, or why a stored record was not used */
	uint32_t records_rejected;
};

/** A catalogue bearing (vmon.bearing.PRESETS; a pytest keeps the two equal). */
struct vmon_machine_preset {
	const char *name;
	struct vmon_env_bearing bearing;
};

/** Load the stored profile (no bearing and an estimated speed when there is none). */
int vmon_machine_init(void);

/** Copy of the profile in use. */
void vmon_machine_get(struct vmon_machine *out);

/** Use and persist a bearing geometry; -EINVAL for an impossible one (nothing changes). */
int vmon_machine_bearing_set(const struct vmon_env_bearing *b);

/** Forget the bearing (no fault type is named from the envelope). */
int vmon_machine_bearing_clear(void);

/** The preset named @p name (case-insensitive; "6205" is "6205-2RS"), or NULL. */
const struct vmon_machine_preset *vmon_machine_preset_find(const char *name);

/** The catalogue; returns its length. */
size_t vmon_machine_presets(const struct vmon_machine_preset **out);

/** 0, or -ERANGE for a nominal shaft rate the speed estimate cannot search around. */
int vmon_machine_speed_check(uint32_t nominal_mhz);

/** Use and persist a nominal shaft rate in mHz; 0 means "estimate it". */
int vmon_machine_speed_set(uint32_t nominal_mhz);

/** Shaft rate in mHz of @p rpm revolutions per minute, rounded (as vmon.ml.evaluate). */
static inline uint32_t vmon_machine_rpm_to_mhz(uint32_t rpm)
{
	return (uint32_t)(((uint64_t)rpm * 1000U + 30U) / 60U);
}

/** Revolutions per minute of a shaft rate in mHz, rounded. */
static inline uint32_t vmon_machine_mhz_to_rpm(uint32_t mhz)
{
	return (uint32_t)(((uint64_t)mhz * 60U + 500U) / 1000U);
}

#ifdef __cplusplus
}
#endif

#endif /* VMON_MACHINE_H_ */
