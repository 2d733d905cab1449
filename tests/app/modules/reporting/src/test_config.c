/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Configuration downlinks (vmon_reporting_config()): decoded by the generated codec, every
 * group validated before anything changes, then applied; a bad one changes nothing.
 */

#include <zephyr/ztest.h>

#include "decision.h"
#include "machine.h"
#include "reporting.h"
#include "reporting_internal.h"
#include "vmon_payload.h"

static const char *const labels[] = {"normal", "inner_race", "ball", "outer_race"};

static size_t encode(const struct vmon_pl_config *c, uint8_t *buf)
{
	int n = vmon_pl_config_encode(c, buf, VMON_PL_MAX_BYTES);

	zassert_true(n > 0, "encode: %d", n);
	return (size_t)n;
}

static struct vmon_decision_status dstatus(void)
{
	struct vmon_decision_status st;

	zassert_ok(vmon_decision_get_status(&st));
	return st;
}

static void *setup(void)
{
	static const struct vmon_decision_config cfg = {
		.n_features = 8,
		.score_zero_point = -128,
		.score_scale = 1.0f / 256.0f,
		.labels = labels,
		.n_labels = ARRAY_SIZE(labels),
	};

	zassert_ok(vmon_decision_init(&cfg));
	zassert_ok(vmon_machine_init());
	zassert_ok(vmon_reporting_config_init());
	return NULL;
}

static void before(void *f)
{
	ARG_UNUSED(f);
	zassert_ok(vmon_decision_zones_reset());
	zassert_ok(vmon_decision_hysteresis_set(CONFIG_VMON_DECISION_HYST_N,
						CONFIG_VMON_DECISION_HYST_M));
	zassert_ok(vmon_machine_bearing_clear());
	zassert_ok(vmon_machine_speed_set(0));
}

/* The zones, the machine profile and the status period as they are now. */
struct snapshot {
	struct vmon_decision_zones zones;
	uint8_t hyst_n, hyst_m;
	struct vmon_machine mach;
	uint32_t period_s;
	bool learning;
};

static struct snapshot snap(void)
{
	struct vmon_decision_status st = dstatus();
	struct snapshot s = {.zones = st.zones,
			     .hyst_n = st.hyst_n,
			     .hyst_m = st.hyst_m,
			     .learning = st.learning};

	vmon_machine_get(&s.mach);
	s.period_s = vmon_reporting_status_period_s();
	return s;
}

static void expect_unchanged(const struct snapshot *a)
{
	struct snapshot b = snap();

	zassert_mem_equal(&a->zones, &b.zones, sizeof(a->zones));
	zassert_equal(a->hyst_n, b.hyst_n);
	zassert_equal(a->hyst_m, b.hyst_m);
	zassert_equal(a->mach.has_bearing, b.mach.has_bearing);
	zassert_equal(a->mach.nominal_mhz, b.mach.nominal_mhz);
	zassert_equal(a->period_s, b.period_s);
	zassert_equal(a->learning, b.learning);
}

static void expect_last(uint8_t seq, int err)
{
	uint8_t s;
	int e;
	uint32_t refused;

	vmon_reporting_config_status(&s, &e, &refused);
	zassert_equal(s, seq);
	zassert_equal(e, err, "last result %d, expected %d", e, err);
}

ZTEST(vmon_report_config, test_every_group_is_applied)
{
	uint8_t buf[VMON_PL_MAX_BYTES];
	struct vmon_pl_config c = {
		.seq = 7,
		.has_zones = true,
		.zones = {.ab_um_s = 1000, .bc_um_s = 2000, .cd_um_s = 5000},
		.has_report = true,
		.report = {.status_period_s = 600},
		.has_bearing = true,
		.bearing = {.n_balls = 9, .ball_um = 7940, .pitch_um = 39040, .angle_cdeg = 0},
		.has_speed = true,
		.speed = {.nominal_mhz = 29950},
		.has_commission = true,
		.commission = {.windows = 0},
		.has_hysteresis = true,
		.hysteresis = {.n = 5, .m = 8},
	};
	struct vmon_machine m;

	zassert_ok(vmon_reporting_config(buf, encode(&c, buf)));
	expect_last(7, 0);
	zassert_equal(dstatus().zones.bc_um_s, 2000);
	zassert_equal(dstatus().hyst_n, 5);
	zassert_equal(dstatus().hyst_m, 8);
	vmon_machine_get(&m);
	zassert_true(m.has_bearing);
	zassert_equal(m.bearing.n_balls, 9);
	zassert_equal(m.nominal_mhz, 29950);
	zassert_equal(vmon_reporting_status_period_s(), 600);
	zassert_true(dstatus().learning, "re-commissioning started");
	zassert_ok(vmon_decision_baseline_clear());
}

ZTEST(vmon_report_config, test_one_bad_group_changes_nothing)
{
	uint8_t buf[VMON_PL_MAX_BYTES];
	struct snapshot before_cfg = snap();
	struct vmon_pl_config c = {
		.seq = 8,
		.has_report = true,
		.report = {.status_period_s = 900},
		.has_zones = true,
		.zones = {.ab_um_s = 3000, .bc_um_s = 2000, .cd_um_s = 5000}, /* out of order */
	};

	zassert_equal(vmon_reporting_config(buf, encode(&c, buf)), -EINVAL);
	expect_unchanged(&before_cfg);
	expect_last(8, -EINVAL);

	c.zones.ab_um_s = 1000;
	c.has_bearing = true;
	c.bearing.n_balls = 9;
	c.bearing.ball_um = 50000;
	c.bearing.pitch_um = 40000;
	zassert_equal(vmon_reporting_config(buf, encode(&c, buf)), -EINVAL, "ball > pitch");
	expect_unchanged(&before_cfg);

	c.has_bearing = false;
	c.has_speed = true;
	c.speed.nominal_mhz = 1; /* far below what the speed spectrum resolves */
	zassert_equal(vmon_reporting_config(buf, encode(&c, buf)), -ERANGE);
	expect_unchanged(&before_cfg);

	c.has_speed = false;
	c.has_commission = true;
	c.commission.windows = 1; /* below the fewest windows a baseline needs */
	zassert_equal(vmon_reporting_config(buf, encode(&c, buf)), -EINVAL);
	expect_unchanged(&before_cfg);

	c.has_commission = false;
	c.has_hysteresis = true;
	c.hysteresis.n = 4;
	c.hysteresis.m = 8; /* 2n <= m: a level could be entered and left on one window */
	zassert_equal(vmon_reporting_config(buf, encode(&c, buf)), -EINVAL);
	expect_unchanged(&before_cfg);
	c.hysteresis.n = 9; /* n > m */
	zassert_equal(vmon_reporting_config(buf, encode(&c, buf)), -EINVAL);
	expect_unchanged(&before_cfg);
}

ZTEST(vmon_report_config, test_malformed_downlinks_are_refused)
{
	uint8_t buf[VMON_PL_MAX_BYTES];
	struct snapshot before_cfg = snap();
	struct vmon_pl_config c = {
		.seq = 9, .has_report = true, .report = {.status_period_s = 120}};
	size_t n = encode(&c, buf);
	uint32_t refused;
	uint8_t s;
	int e;

	vmon_reporting_config_status(&s, &e, &refused);
	zassert_equal(vmon_reporting_config(buf, n - 1), -EMSGSIZE, "truncated");
	zassert_equal(vmon_reporting_config(buf, 0), -EMSGSIZE, "empty");
	buf[0] = (uint8_t)((buf[0] & 0xF0U) | 0x0FU);
	zassert_equal(vmon_reporting_config(buf, n), -ENOTSUP, "another schema version");
	buf[0] = (uint8_t)(VMON_PL_VERSION | (7U << 4));
	zassert_equal(vmon_reporting_config(buf, n), -ENOMSG, "not a config record");
	n = encode(&c, buf);
	buf[2] |= 0x80U; /* an optional group this schema does not know */
	zassert_equal(vmon_reporting_config(buf, n), -EINVAL);
	expect_unchanged(&before_cfg);

	uint32_t refused_after;

	vmon_reporting_config_status(&s, &e, &refused_after);
	zassert_equal(refused_after, refused + 5, "each refusal counted");
}

ZTEST_SUITE(vmon_report_config, NULL, setup, before, NULL, NULL);
