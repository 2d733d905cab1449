/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Machine profile tests on the NVS settings backend (flash simulator): valid values are
 * used and reloaded from NVS after a re-init; impossible ones are refused with nothing
 * changed; records written by someone else are used when valid and counted and ignored
 * when corrupt, of another version or impossible.
 */

#include <errno.h>
#include <string.h>

#include <zephyr/settings/settings.h>
#include <zephyr/sys/byteorder.h>
#include <zephyr/sys/crc.h>
#include <zephyr/ztest.h>

#include "machine.h"

#define KEY_BRG "vmon/mach/brg"
#define KEY_SPD "vmon/mach/spd"

static const struct vmon_env_bearing b6205 = {9, 7940, 39040, 0};
static const struct vmon_env_bearing angular = {12, 11112, 46500, 4000};

static void before(void *f)
{
	ARG_UNUSED(f);
	(void)settings_delete(KEY_BRG);
	(void)settings_delete(KEY_SPD);
	zassert_ok(vmon_machine_init());
}

ZTEST_SUITE(machine, NULL, NULL, before, NULL, NULL);

static struct vmon_machine get(void)
{
	struct vmon_machine m;

	vmon_machine_get(&m);
	return m;
}

static void assert_bearing(const struct vmon_env_bearing *a, const struct vmon_env_bearing *b)
{
	zassert_equal(a->n_balls, b->n_balls);
	zassert_equal(a->ball_um, b->ball_um);
	zassert_equal(a->pitch_um, b->pitch_um);
	zassert_equal(a->angle_cdeg, b->angle_cdeg);
}

ZTEST(machine, test_empty_profile)
{
	struct vmon_machine m = get();

	zassert_false(m.has_bearing);
	zassert_equal(m.nominal_mhz, 0U);
	zassert_equal(m.load_err, -ENOENT, "%d", m.load_err);
	zassert_equal(m.records_rejected, 0U);
}

ZTEST(machine, test_set_and_reload)
{
	zassert_ok(vmon_machine_bearing_set(&angular));
	zassert_ok(vmon_machine_speed_set(vmon_machine_rpm_to_mhz(1797)));
	zassert_ok(vmon_machine_init()); /* drops the RAM copy, reloads from NVS */

	struct vmon_machine m = get();

	zassert_true(m.has_bearing);
	assert_bearing(&m.bearing, &angular);
	zassert_equal(m.nominal_mhz, 29950U); /* 1797 / 60 Hz */
	zassert_equal(vmon_machine_mhz_to_rpm(m.nominal_mhz), 1797U);
	zassert_equal(m.load_err, -ENOENT, "no record was rejected: %d", m.load_err);

	/* Clearing and "estimate" remove the records: nothing comes back after a reload. */
	zassert_ok(vmon_machine_bearing_clear());
	zassert_ok(vmon_machine_speed_set(0));
	zassert_ok(vmon_machine_init());
	m = get();
	zassert_false(m.has_bearing);
	zassert_equal(m.nominal_mhz, 0U);
}

ZTEST(machine, test_impossible_values_change_nothing)
{
	const struct vmon_env_bearing bad[] = {
		{0, 7940, 39040, 0},     /* no balls */
		{9, 0, 39040, 0},        /* no ball */
		{9, 39040, 39040, 0},    /* ball diameter = pitch diameter */
		{9, 40000, 39040, 0},    /* ball larger than the pitch circle */
		{9, 7940, 39040, 9000},  /* contact angle 90 degrees */
		{256, 7940, 39040, 0},   /* more balls than the node holds */
	};

	zassert_ok(vmon_machine_bearing_set(&b6205));
	zassert_ok(vmon_machine_speed_set(25000));
	ARRAY_FOR_EACH(bad, i) {
		zassert_equal(vmon_machine_bearing_set(&bad[i]), -EINVAL, "case %u", i);
	}
	zassert_equal(vmon_machine_bearing_set(NULL), -EINVAL);
	/* The speed range: 5 .. 100 Hz, or 0 for "estimate". */
	zassert_equal(vmon_machine_speed_set(VMON_ENV_SPEED_MIN_MHZ - 1), -ERANGE);
	zassert_equal(vmon_machine_speed_set(VMON_ENV_SPEED_MAX_MHZ + 1), -ERANGE);
	zassert_equal(vmon_machine_speed_set(UINT32_MAX), -ERANGE);
	zassert_ok(vmon_machine_speed_check(VMON_ENV_SPEED_MIN_MHZ));
	zassert_ok(vmon_machine_speed_check(VMON_ENV_SPEED_MAX_MHZ));
	zassert_ok(vmon_machine_speed_check(0));

	zassert_ok(vmon_machine_init());
	struct vmon_machine m = get();

	zassert_true(m.has_bearing);
	assert_bearing(&m.bearing, &b6205);
	zassert_equal(m.nominal_mhz, 25000U);
}

ZTEST(machine, test_presets)
{
	const struct vmon_machine_preset *p = vmon_machine_preset_find("6205-2rs");

	zassert_not_null(p);
	assert_bearing(&p->bearing, &b6205);
	zassert_equal_ptr(vmon_machine_preset_find("6205"), p);
	zassert_not_null(vmon_machine_preset_find("6203"));
	zassert_is_null(vmon_machine_preset_find("620"));
	zassert_is_null(vmon_machine_preset_find("6205-2RSX"));
	zassert_is_null(vmon_machine_preset_find(""));

	const struct vmon_machine_preset *all;
	size_t n = vmon_machine_presets(&all);

	zassert_true(n >= 2U);
	for (size_t i = 0; i < n; i++) {
		zassert_ok(vmon_env_bearing_check(&all[i].bearing), "%s", all[i].name);
	}
}

static void put_bearing_rec(uint8_t rec[24], uint32_t version, const struct vmon_env_bearing *b)
{
	sys_put_le32(version, &rec[0]);
	sys_put_le32(b->n_balls, &rec[4]);
	sys_put_le32(b->ball_um, &rec[8]);
	sys_put_le32(b->pitch_um, &rec[12]);
	sys_put_le32(b->angle_cdeg, &rec[16]);
	sys_put_le32(crc32_ieee(rec, 20), &rec[20]);
}

/* A record written by someone else (a later downlink, a factory tool) is used. */
ZTEST(machine, test_foreign_valid_record_is_used)
{
	uint8_t rec[24];

	put_bearing_rec(rec, 1, &angular);
	zassert_ok(settings_save_one(KEY_BRG, rec, sizeof(rec)));
	zassert_ok(vmon_machine_init());

	struct vmon_machine m = get();

	zassert_true(m.has_bearing);
	assert_bearing(&m.bearing, &angular);
	zassert_equal(m.records_rejected, 0U);
}

ZTEST(machine, test_bad_records_are_counted_and_ignored)
{
	const struct vmon_env_bearing impossible = {9, 40000, 39040, 0};
	uint8_t rec[24];
	uint8_t spd[12];
	struct vmon_machine m;

	/* Corrupt: one bit flipped after the CRC was computed. */
	put_bearing_rec(rec, 1, &angular);
	rec[9] ^= 0x01;
	zassert_ok(settings_save_one(KEY_BRG, rec, sizeof(rec)));
	zassert_ok(vmon_machine_init());
	m = get();
	zassert_false(m.has_bearing);
	zassert_equal(m.load_err, -EBADMSG, "%d", m.load_err);
	zassert_equal(m.records_rejected, 1U);

	/* Another version. */
	put_bearing_rec(rec, 2, &angular);
	zassert_ok(settings_save_one(KEY_BRG, rec, sizeof(rec)));
	zassert_ok(vmon_machine_init());
	m = get();
	zassert_false(m.has_bearing);
	zassert_equal(m.load_err, -ENOTSUP, "%d", m.load_err);

	/* Intact but impossible. */
	put_bearing_rec(rec, 1, &impossible);
	zassert_ok(settings_save_one(KEY_BRG, rec, sizeof(rec)));
	zassert_ok(vmon_machine_init());
	m = get();
	zassert_false(m.has_bearing);
	zassert_equal(m.load_err, -EINVAL, "%d", m.load_err);

	/* Truncated. */
	zassert_ok(settings_save_one(KEY_BRG, rec, 20));
	zassert_ok(vmon_machine_init());
	m = get();
	zassert_false(m.has_bearing);
	zassert_equal(m.load_err, -EMSGSIZE, "%d", m.load_err);

	/* A speed outside the searchable range; the valid bearing next to it still loads. */
	put_bearing_rec(rec, 1, &b6205);
	zassert_ok(settings_save_one(KEY_BRG, rec, sizeof(rec)));
	sys_put_le32(1, &spd[0]);
	sys_put_le32(VMON_ENV_SPEED_MAX_MHZ + 1, &spd[4]);
	sys_put_le32(crc32_ieee(spd, 8), &spd[8]);
	zassert_ok(settings_save_one(KEY_SPD, spd, sizeof(spd)));
	zassert_ok(vmon_machine_init());
	m = get();
	zassert_true(m.has_bearing);
	assert_bearing(&m.bearing, &b6205);
	zassert_equal(m.nominal_mhz, 0U);
	zassert_equal(m.load_err, -ERANGE, "%d", m.load_err);
	zassert_equal(m.records_rejected, 1U);
}

ZTEST(machine, test_rpm_conversions)
{
	zassert_equal(vmon_machine_rpm_to_mhz(1800), 30000U);
	zassert_equal(vmon_machine_rpm_to_mhz(1730), 28833U); /* 28833.3 */
	zassert_equal(vmon_machine_rpm_to_mhz(1772), 29533U); /* 29533.3 */
	zassert_equal(vmon_machine_rpm_to_mhz(1), 17U);       /* 16.67 */
	zassert_equal(vmon_machine_mhz_to_rpm(28833), 1730U);
}
