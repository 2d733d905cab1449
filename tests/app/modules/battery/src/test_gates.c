/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The low-battery policy at the flash writers' call sites (vmon.battery.gates: gates.conf):
 * the report queue, the configuration downlinks, the decision's settings and baseline and the
 * machine profile, on NVS on the flash simulator. Below the safe voltage each refuses with
 * VMON_BATTERY_REFUSED and the partitions' bytes do not change: no write started.
 */

#include <string.h>

#include <zephyr/devicetree.h>
#include <zephyr/storage/flash_map.h>
#include <zephyr/ztest.h>

#include "battery.h"
#include "decision.h"
#include "machine.h"
#include "queue.h"
#include "reporting.h"
#include "reporting_internal.h"
#include "vbatt.h"
#include "vmon_payload.h"

#define QUEUE_AREA DT_FIXED_PARTITION_ID(DT_CHOSEN(vmon_report_queue))
#define STORE_AREA FIXED_PARTITION_ID(storage_partition)
#define AREA_MAX   MAX(DT_REG_SIZE(DT_CHOSEN(vmon_report_queue)), \
			   DT_REG_SIZE(DT_NODELABEL(storage_partition)))
#define N_FEATURES 8

static const char *const labels[] = {"normal", "inner_race", "ball", "outer_race"};

/* A partition's bytes before and after what must not write. */
static uint8_t img_before[AREA_MAX], img_after[AREA_MAX];

static void image(uint8_t area, uint8_t *buf)
{
	const struct flash_area *fa;

	zassert_ok(flash_area_open(area, &fa));
	zassert_true(fa->fa_size <= AREA_MAX);
	zassert_ok(flash_area_read(fa, 0, buf, fa->fa_size));
	flash_area_close(fa);
}

static void expect_unwritten(uint8_t area)
{
	image(area, img_after);
	zassert_mem_equal(img_before, img_after, AREA_MAX, "partition %u was written", area);
}

static uint32_t refused(void)
{
	struct vmon_battery_status st;

	vmon_battery_status_get(&st);
	return st.flash_refused;
}

static void *setup(void)
{
	static const struct vmon_decision_config cfg = {
		.n_features = N_FEATURES,
		.score_zero_point = -128,
		.score_scale = 1.0f / 256.0f,
		.labels = labels,
		.n_labels = ARRAY_SIZE(labels),
	};

	t_battery_level(VMON_BATTERY_OK);
	zassert_ok(vmon_decision_init(&cfg));
	zassert_ok(vmon_machine_init());
	zassert_ok(vmon_reporting_config_init());
	zassert_ok(vmon_rq_init(QUEUE_AREA));
	return NULL;
}

static void before(void *f)
{
	ARG_UNUSED(f);
	t_battery_level(VMON_BATTERY_OK);
}

ZTEST_SUITE(battery_gates, NULL, setup, before, NULL, NULL);

static int push(void)
{
	struct vmon_rq_rec rec = {.seq = vmon_rq_next_seq(), .len = 4, .data = {1, 2, 3, 4}};

	return vmon_rq_push(&rec);
}

static struct vmon_rq_stats rq_stats(void)
{
	struct vmon_rq_stats st;

	vmon_rq_stats(&st);
	return st;
}

ZTEST(battery_gates, test_report_queue)
{
	struct vmon_rq_rec rec;

	zassert_ok(push());
	zassert_ok(vmon_rq_peek(&rec));
	uint32_t head = rec.seq;
	struct vmon_rq_stats st0 = rq_stats();

	t_battery_level(VMON_BATTERY_LOW);
	zassert_ok(push(), "LOW still stores");
	st0 = rq_stats();

	t_battery_level(VMON_BATTERY_CRITICAL);
	image(QUEUE_AREA, img_before);
	uint32_t n0 = refused();

	zassert_equal(push(), VMON_BATTERY_REFUSED);
	zassert_equal(vmon_rq_pop(head), VMON_BATTERY_REFUSED, "a delivered record stays");
	/* A remount reserves no sequence numbers now: its first push does. */
	zassert_ok(vmon_rq_init(QUEUE_AREA));
	expect_unwritten(QUEUE_AREA);
	zassert_equal(refused() - n0, 3U);

	struct vmon_rq_stats st = rq_stats();

	zassert_equal(st.depth, st0.depth, "nothing lost from flash");
	zassert_true(st.next_seq >= st0.next_seq);
	zassert_ok(vmon_rq_peek(&rec));
	zassert_equal(rec.seq, head);

	/* Writes again: the refused pop goes through, numbers are never reused. */
	t_battery_level(VMON_BATTERY_OK);
	uint32_t seq = vmon_rq_next_seq();

	zassert_ok(push());
	zassert_ok(vmon_rq_pop(head));
	zassert_ok(vmon_rq_init(QUEUE_AREA));
	zassert_true(vmon_rq_next_seq() > seq, "%u after %u", vmon_rq_next_seq(), seq);
	while (vmon_rq_peek(&rec) == 0) {
		zassert_ok(vmon_rq_pop(rec.seq));
	}
}

static size_t encode(const struct vmon_pl_config *c, uint8_t *buf)
{
	int n = vmon_pl_config_encode(c, buf, VMON_PL_MAX_BYTES);

	zassert_true(n > 0, "encode: %d", n);
	return (size_t)n;
}

ZTEST(battery_gates, test_configuration_waits_whole)
{
	uint8_t buf[VMON_PL_MAX_BYTES];
	struct vmon_pl_config c = {
		.seq = 21,
		.has_zones = true,
		.zones = {.ab_um_s = 1100, .bc_um_s = 2100, .cd_um_s = 5100},
		.has_report = true,
		.report = {.status_period_s = 700},
	};
	struct vmon_decision_status d0, d;
	uint32_t period = vmon_reporting_status_period_s();
	uint8_t seq;
	int err;
	uint32_t n;

	zassert_ok(vmon_decision_get_status(&d0));
	t_battery_level(VMON_BATTERY_CRITICAL);
	image(STORE_AREA, img_before);
	zassert_equal(vmon_reporting_config(buf, encode(&c, buf)), VMON_BATTERY_REFUSED);
	expect_unwritten(STORE_AREA);
	zassert_ok(vmon_decision_get_status(&d));
	zassert_mem_equal(&d.zones, &d0.zones, sizeof(d.zones), "nothing applied");
	zassert_equal(vmon_reporting_status_period_s(), period);
	vmon_reporting_config_status(&seq, &err, &n);
	zassert_equal(seq, 21);
	zassert_equal(err, VMON_BATTERY_REFUSED, "reported as %d", err);

	/* Commissioning alone writes nothing now: it is taken. */
	struct vmon_pl_config learn = {.seq = 22, .has_commission = true};

	zassert_ok(vmon_reporting_config(buf, encode(&learn, buf)));
	zassert_ok(vmon_decision_get_status(&d));
	zassert_true(d.learning);
	t_battery_level(VMON_BATTERY_OK);
	zassert_ok(vmon_decision_baseline_clear());

	c.seq = 23;
	zassert_ok(vmon_reporting_config(buf, encode(&c, buf)));
	zassert_ok(vmon_decision_get_status(&d));
	zassert_equal(d.zones.bc_um_s, 2100);
	zassert_equal(vmon_reporting_status_period_s(), 700);
	zassert_ok(vmon_decision_zones_reset());
}

ZTEST(battery_gates, test_settings_writers)
{
	struct vmon_machine m0, m;
	const struct vmon_decision_zones z = {.ab_um_s = 1200, .bc_um_s = 2200, .cd_um_s = 5200};

	vmon_machine_get(&m0);
	t_battery_level(VMON_BATTERY_CRITICAL);
	image(STORE_AREA, img_before);
	uint32_t n0 = refused();

	/* In use now (RAM), not persisted: the callers report the error. */
	zassert_equal(vmon_decision_zones_set(&z), VMON_BATTERY_REFUSED);
	zassert_equal(vmon_decision_hysteresis_set(CONFIG_VMON_DECISION_HYST_N,
						   CONFIG_VMON_DECISION_HYST_M),
		      VMON_BATTERY_REFUSED);
	zassert_equal(vmon_decision_zones_reset(), VMON_BATTERY_REFUSED, "a delete is a write");
	/* The machine profile keeps its previous value. */
	zassert_equal(vmon_machine_speed_set(m0.nominal_mhz != 29950U ? 29950U : 30950U),
		      VMON_BATTERY_REFUSED);
	vmon_machine_get(&m);
	zassert_equal(m.nominal_mhz, m0.nominal_mhz);
	expect_unwritten(STORE_AREA);
	zassert_equal(refused() - n0, 4U);

	t_battery_level(VMON_BATTERY_OK);
	zassert_ok(vmon_decision_zones_set(&z));
	zassert_ok(vmon_decision_zones_reset());
}

static void window(uint32_t w)
{
	int32_t f[N_FEATURES];
	struct vmon_decision_output out;
	struct vmon_decision_input in = {.features = f, .n_features = N_FEATURES};

	for (uint32_t i = 0; i < N_FEATURES; i++) {
		f[i] = 2000 + 100 * (int32_t)i + (int32_t)((w * 7U + i * 3U) % 17U) - 8;
	}
	zassert_ok(vmon_decision_update(&in, &out));
}

ZTEST(battery_gates, test_baseline_waits_in_ram)
{
	struct vmon_decision_status st;
	uint32_t w = 0;

	zassert_ok(vmon_decision_baseline_clear());
	t_battery_level(VMON_BATTERY_CRITICAL);
	image(STORE_AREA, img_before);
	uint32_t n0 = refused();

	zassert_ok(vmon_decision_baseline_learn(VMON_DECISION_COMMISSION_MIN));
	for (; w < VMON_DECISION_COMMISSION_MIN; w++) {
		window(w);
	}
	zassert_ok(vmon_decision_get_status(&st));
	zassert_true(st.commissioned, "learned, in use");
	zassert_equal(st.save_err, VMON_BATTERY_REFUSED);
	/* Later windows do not try again while the battery forbids it. */
	window(w++);
	window(w++);
	zassert_equal(refused() - n0, 1U);
	expect_unwritten(STORE_AREA);

	/* The first window once writes are allowed saves it. */
	t_battery_level(VMON_BATTERY_OK);
	window(w++);
	zassert_ok(vmon_decision_get_status(&st));
	zassert_equal(st.save_err, 0);
	zassert_ok(vmon_decision_baseline_reload(), "on flash now");
	zassert_ok(vmon_decision_baseline_clear());
}
