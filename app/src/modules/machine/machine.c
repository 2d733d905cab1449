/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Machine profile (bearing geometry, nominal shaft speed) with validation and persistence
 * through the settings subsystem. The contract is in machine.h.
 */

#include <errno.h>
#include <string.h>

#include <zephyr/kernel.h>
#include <zephyr/logging/log.h>
#include <zephyr/settings/settings.h>
#include <zephyr/sys/byteorder.h>
#include <zephyr/sys/crc.h>
#include <zephyr/sys/util.h>

#include <vmon/envelope.h>
#include <vmon/features.h>

#include "battery.h"
#include "machine.h"

LOG_MODULE_REGISTER(vmon_machine, CONFIG_VMON_MACHINE_LOG_LEVEL);

#define SETTINGS_SUBTREE "vmon/mach"
#define KEY_BEARING      "brg"
#define KEY_SPEED        "spd"
#define REC_VERSION      1U
/* version, n_balls, ball_um, pitch_um, angle_cdeg, crc32 */
#define BEARING_REC_SIZE 24U
/* version, nominal_mhz, crc32 */
#define SPEED_REC_SIZE   12U

/* The top of the searched range around the highest nominal speed, and the bottom around
 * the lowest, lie inside the speed spectrum (VMON_ENV_SPEED_LEN / 2 bins): every speed
 * vmon_machine_speed_check() accepts can be searched around.
 */
#define SPEED_BIN_Q8(mhz)                                                                   \
	((uint64_t)(mhz) * VMON_ENV_SPEED_LEN * VMON_FEAT_WINDOW * 256U /                   \
	 ((uint64_t)VMON_FEAT_FS_HZ * 1000U * VMON_ENV_SPEED_DECIM))
BUILD_ASSERT((SPEED_BIN_Q8((uint64_t)VMON_ENV_SPEED_MAX_MHZ *                               \
			   (1000U + VMON_ENV_SPEED_SEARCH_PERMILLE) / 1000U) >> 8) + 1U <     \
		     VMON_ENV_SPEED_LEN / 2U,
	     "the highest nominal speed's search range leaves the speed spectrum");
BUILD_ASSERT(SPEED_BIN_Q8((uint64_t)VMON_ENV_SPEED_MIN_MHZ *
			  (1000U - VMON_ENV_SPEED_SEARCH_PERMILLE) / 1000U) >= 256U,
	     "the lowest nominal speed's search range is below one bin of the speed spectrum");

/* Catalogue geometry of vmon.bearing.PRESETS in the device's units (µm, 1/100 degree). */
static const struct vmon_machine_preset presets[] = {
	{"6205-2RS", {.n_balls = 9, .ball_um = 7940, .pitch_um = 39040, .angle_cdeg = 0}},
	{"6203-2RS", {.n_balls = 8, .ball_um = 6746, .pitch_um = 28500, .angle_cdeg = 0}},
};

static struct {
	bool ready;
	struct vmon_machine m;
} mach;

/* mach_lock guards mach; it is never held while calling into settings (whose handler takes
 * it). save_lock serializes writers so the value persisted last is the one in use.
 */
static K_MUTEX_DEFINE(mach_lock);
static K_MUTEX_DEFINE(save_lock);

int vmon_machine_speed_check(uint32_t nominal_mhz)
{
	if (nominal_mhz != 0U &&
	    (nominal_mhz < VMON_ENV_SPEED_MIN_MHZ || nominal_mhz > VMON_ENV_SPEED_MAX_MHZ)) {
		return -ERANGE;
	}
	return 0;
}

size_t vmon_machine_presets(const struct vmon_machine_preset **out)
{
	*out = presets;
	return ARRAY_SIZE(presets);
}

static char upper(char c)
{
	/* ASCII only (designations are), without the C library's locale tables. */
	return (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
}

static bool name_eq(const char *a, const char *b)
{
	for (; *a != '\0' && *b != '\0'; a++, b++) {
		if (upper(*a) != upper(*b)) {
			return false;
		}
	}
	return *a == *b;
}

const struct vmon_machine_preset *vmon_machine_preset_find(const char *name)
{
	if (name == NULL) {
		return NULL;
	}
	ARRAY_FOR_EACH_PTR(presets, p) {
		/* "6205" names the 6205-2RS: the designation without its seal suffix. */
		size_t base = strcspn(p->name, "-");

		if (name_eq(name, p->name) ||
		    (strlen(name) == base && strncmp(name, p->name, base) == 0)) {
			return p;
		}
	}
	return NULL;
}

static size_t bearing_encode(const struct vmon_env_bearing *b, uint8_t out[BEARING_REC_SIZE])
{
	sys_put_le32(REC_VERSION, &out[0]);
	sys_put_le32(b->n_balls, &out[4]);
	sys_put_le32(b->ball_um, &out[8]);
	sys_put_le32(b->pitch_um, &out[12]);
	sys_put_le32(b->angle_cdeg, &out[16]);
	sys_put_le32(crc32_ieee(out, 20), &out[20]);
	return BEARING_REC_SIZE;
}

static size_t speed_encode(uint32_t mhz, uint8_t out[SPEED_REC_SIZE])
{
	sys_put_le32(REC_VERSION, &out[0]);
	sys_put_le32(mhz, &out[4]);
	sys_put_le32(crc32_ieee(out, 8), &out[8]);
	return SPEED_REC_SIZE;
}

/* 0 when @p rec is an intact record of @p size bytes of the current version. */
static int rec_check(const uint8_t *rec, size_t len, size_t size)
{
	if (len != size) {
		return -EMSGSIZE;
	}
	if (sys_get_le32(&rec[size - 4U]) != crc32_ieee(rec, size - 4U)) {
		return -EBADMSG;
	}
	return sys_get_le32(&rec[0]) == REC_VERSION ? 0 : -ENOTSUP;
}

static int save(const char *key, const void *rec, size_t len)
{
	int rc = 0;

	if (IS_ENABLED(CONFIG_VMON_MACHINE_SETTINGS)) {
		/* No flash write (a delete is one) starts below a safe battery voltage. */
		rc = vmon_battery_flash_gate();
		if (rc == 0) {
			rc = rec != NULL ? settings_save_one(key, rec, len) : settings_delete(key);
		}
		if (rc != 0) {
			LOG_ERR("%s not persisted (%d); the previous value stays in use", key, rc);
		}
	}
	return rc;
}

/* ---- settings ---- */

static void reject(const char *key, int err)
{
	mach.m.load_err = err;
	mach.m.records_rejected++;
	LOG_WRN("settings record %s/%s rejected (%d), ignored", SETTINGS_SUBTREE, key, err);
}

static int read_rec(settings_read_cb read_cb, void *cb_arg, size_t len, uint8_t *buf,
		    size_t size)
{
	if (len != size) {
		return -EMSGSIZE;
	}
	ssize_t rd = read_cb(cb_arg, buf, len);

	if (rd < 0) {
		return -EIO;
	}
	return rec_check(buf, (size_t)rd, size);
}

static void load_bearing(size_t len, settings_read_cb read_cb, void *cb_arg)
{
	uint8_t rec[BEARING_REC_SIZE];
	int err = read_rec(read_cb, cb_arg, len, rec, sizeof(rec));
	struct vmon_env_bearing b = {0};

	if (err == 0) {
		b.n_balls = sys_get_le32(&rec[4]);
		b.ball_um = sys_get_le32(&rec[8]);
		b.pitch_um = sys_get_le32(&rec[12]);
		b.angle_cdeg = sys_get_le32(&rec[16]);
		err = vmon_env_bearing_check(&b);
	}
	if (err != 0) {
		reject(KEY_BEARING, err);
		return;
	}
	mach.m.bearing = b;
	mach.m.has_bearing = true;
}

static void load_speed(size_t len, settings_read_cb read_cb, void *cb_arg)
{
	uint8_t rec[SPEED_REC_SIZE];
	int err = read_rec(read_cb, cb_arg, len, rec, sizeof(rec));
	uint32_t mhz = 0U;

	if (err == 0) {
		mhz = sys_get_le32(&rec[4]);
		err = vmon_machine_speed_check(mhz);
	}
	if (err != 0) {
		reject(KEY_SPEED, err);
		return;
	}
	mach.m.nominal_mhz = mhz;
}

static int __maybe_unused settings_set(const char *key, size_t len, settings_read_cb read_cb,
				       void *cb_arg)
{
	const char *next;

	k_mutex_lock(&mach_lock, K_FOREVER);
	/* Before vmon_machine_init() (a load of the whole tree) there is nothing to fill. */
	if (mach.ready) {
		if (settings_name_steq(key, KEY_BEARING, &next) && next == NULL) {
			load_bearing(len, read_cb, cb_arg);
		} else if (settings_name_steq(key, KEY_SPEED, &next) && next == NULL) {
			load_speed(len, read_cb, cb_arg);
		}
	}
	k_mutex_unlock(&mach_lock);
	return 0;
}

#if defined(CONFIG_VMON_MACHINE_SETTINGS)
SETTINGS_STATIC_HANDLER_DEFINE(vmon_machine, SETTINGS_SUBTREE, NULL, settings_set, NULL, NULL);
#endif

/* ---- API ---- */

int vmon_machine_init(void)
{
	int rc = 0;

	k_mutex_lock(&mach_lock, K_FOREVER);
	memset(&mach.m, 0, sizeof(mach.m));
	mach.m.load_err = IS_ENABLED(CONFIG_VMON_MACHINE_SETTINGS) ? -ENOENT : -ENOSYS;
	mach.ready = true;
	k_mutex_unlock(&mach_lock);

	if (IS_ENABLED(CONFIG_VMON_MACHINE_SETTINGS)) {
		rc = settings_subsys_init();
		if (rc == 0) {
			rc = settings_load_subtree(SETTINGS_SUBTREE);
		}
		if (rc != 0) {
			LOG_ERR("machine profile not loaded (%d): no bearing, speed estimated", rc);
			k_mutex_lock(&mach_lock, K_FOREVER);
			mach.m.load_err = -EIO;
			k_mutex_unlock(&mach_lock);
		}
	}
	return rc;
}

void vmon_machine_get(struct vmon_machine *out)
{
	k_mutex_lock(&mach_lock, K_FOREVER);
	*out = mach.m;
	k_mutex_unlock(&mach_lock);
}

int vmon_machine_bearing_set(const struct vmon_env_bearing *b)
{
	uint8_t rec[BEARING_REC_SIZE];
	int rc;

	if (vmon_env_bearing_check(b) != 0) {
		return -EINVAL;
	}
	k_mutex_lock(&save_lock, K_FOREVER);
	rc = save(SETTINGS_SUBTREE "/" KEY_BEARING, rec, bearing_encode(b, rec));
	if (rc == 0) {
		k_mutex_lock(&mach_lock, K_FOREVER);
		mach.m.bearing = *b;
		mach.m.has_bearing = true;
		k_mutex_unlock(&mach_lock);
	}
	k_mutex_unlock(&save_lock);
	return rc;
}

int vmon_machine_bearing_clear(void)
{
	int rc;

	k_mutex_lock(&save_lock, K_FOREVER);
	rc = save(SETTINGS_SUBTREE "/" KEY_BEARING, NULL, 0);
	if (rc == 0) {
		k_mutex_lock(&mach_lock, K_FOREVER);
		memset(&mach.m.bearing, 0, sizeof(mach.m.bearing));
		mach.m.has_bearing = false;
		k_mutex_unlock(&mach_lock);
	}
	k_mutex_unlock(&save_lock);
	return rc;
}

int vmon_machine_speed_set(uint32_t nominal_mhz)
{
	uint8_t rec[SPEED_REC_SIZE];
	int rc;

	if (vmon_machine_speed_check(nominal_mhz) != 0) {
		return -ERANGE;
	}
	k_mutex_lock(&save_lock, K_FOREVER);
	if (nominal_mhz == 0U) {
		rc = save(SETTINGS_SUBTREE "/" KEY_SPEED, NULL, 0);
	} else {
		rc = save(SETTINGS_SUBTREE "/" KEY_SPEED, rec, speed_encode(nominal_mhz, rec));
	}
	if (rc == 0) {
		k_mutex_lock(&mach_lock, K_FOREVER);
		mach.m.nominal_mhz = nominal_mhz;
		k_mutex_unlock(&mach_lock);
	}
	k_mutex_unlock(&save_lock);
	return rc;
}
