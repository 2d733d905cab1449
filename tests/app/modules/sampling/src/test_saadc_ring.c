/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The SAADC source's logic (saadc_ring.c) without an SAADC: the timer plan that paces the
 * conversions, the conversion of ADC codes into counts against an independent floating-point
 * formula, and the DMA ring's buffers through normal streaming, a consumer that holds every
 * block, an ISR that runs late, spurious events and a stop.
 */

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <zephyr/sys/util.h>
#include <zephyr/ztest.h>

#include "saadc_ring.h"
#include "sampling_internal.h"

/* -- pacing ---------------------------------------------------------------------------- */

#define BASE_HZ 16000000U
#define PPM_MAX 1000U

ZTEST(saadc_timer, test_exact_rates_use_the_slowest_clock)
{
	struct vmon_saadc_timer_plan p;

	/* 8 kHz: 1 MHz / 125 exactly; every slower clock misses by more than 0.1 %. */
	zassert_ok(vmon_saadc_timer_plan(BASE_HZ, 8000, PPM_MAX, 12000, &p));
	zassert_equal(p.prescaler, 4);
	zassert_equal(p.cc, 125);
	zassert_equal(p.error_ppm, 0);
	zassert_equal(p.rate_mhz, 8000000ULL);

	/* 12.8 kHz: 8 MHz / 625 (1, 2 and 4 MHz round to 0.16 % off). */
	zassert_ok(vmon_saadc_timer_plan(BASE_HZ, 12800, PPM_MAX, 12000, &p));
	zassert_equal(p.prescaler, 1);
	zassert_equal(p.cc, 625);
	zassert_equal(p.error_ppm, 0);
}

ZTEST(saadc_timer, test_inexact_rate_within_the_limit)
{
	struct vmon_saadc_timer_plan p;

	/* 12 kHz: 4 MHz / 333 is 1001 ppm off, so 8 MHz / 667 = 11994.003 Hz (-500 ppm). */
	zassert_ok(vmon_saadc_timer_plan(BASE_HZ, 12000, PPM_MAX, 12000, &p));
	zassert_equal(p.prescaler, 1);
	zassert_equal(p.cc, 667);
	zassert_equal(p.rate_mhz, 11994003ULL);
	zassert_true(p.error_ppm <= -499 && p.error_ppm >= -500, "%d", p.error_ppm);
	/* A tighter limit needs a faster clock: 16 MHz / 1333 is +250 ppm... */
	zassert_ok(vmon_saadc_timer_plan(BASE_HZ, 12000, 300, 12000, &p));
	zassert_equal(p.prescaler, 0);
	zassert_equal(p.cc, 1333);
	/* ...and none reaches 100 ppm. */
	zassert_equal(vmon_saadc_timer_plan(BASE_HZ, 12000, 100, 12000, &p), -EINVAL);
}

ZTEST(saadc_timer, test_every_plan_meets_its_limit_with_the_slowest_clock)
{
	uint32_t planned = 0U;

	for (uint32_t rate = 500U; rate <= 60000U; rate += 37U) {
		struct vmon_saadc_timer_plan p;

		if (vmon_saadc_timer_plan(BASE_HZ, rate, PPM_MAX, 12000, &p) != 0) {
			/* Refused only where even 16 MHz misses the limit (a 12 us conversion
			 * fits every period up to 83 kHz). */
			const double cc = round((double)BASE_HZ / rate);

			zassert_true(fabs((BASE_HZ / cc - rate) / rate * 1e6) > PPM_MAX - 1,
				     "%u Hz refused", rate);
			continue;
		}
		planned++;
		const double f = (double)(BASE_HZ >> p.prescaler);
		const double err = (f / p.cc - rate) / rate * 1e6;

		zassert_true(fabs(err) <= PPM_MAX + 1, "%u Hz: %f ppm", rate, err);
		zassert_true(fabs(err - p.error_ppm) < 1.5, "%u Hz: %f vs %d", rate, err,
			     p.error_ppm);
		/* No slower clock reaches the limit. */
		for (uint32_t q = p.prescaler + 1U; q <= VMON_SAADC_TIMER_PRESCALER_MAX; q++) {
			const double fq = (double)(BASE_HZ >> q);
			const double cc = round(fq / rate);

			zassert_true(cc < 2 || fabs((fq / cc - rate) / rate * 1e6) > PPM_MAX - 1,
				     "%u Hz: prescaler %u would do", rate, q);
		}
		/* The conversion fits in a period. */
		zassert_true(12000.0 < 1e9 * p.cc / f, "%u Hz", rate);
	}
	/* Up to 16 kHz a 16 MHz count is within 500 ppm: at least those rates are planned. */
	zassert_true(planned >= (16000U - 500U) / 37U + 1U, "%u", planned);
}

ZTEST(saadc_timer, test_impossible_plans_refused)
{
	struct vmon_saadc_timer_plan p = {0};

	/* A 12 us conversion does not fit in a 10 us period. */
	zassert_equal(vmon_saadc_timer_plan(BASE_HZ, 100000, PPM_MAX, 12000, &p), -EINVAL);
	/* 16 MHz / 3 is 11 % away from 6 MHz. */
	zassert_equal(vmon_saadc_timer_plan(BASE_HZ, 6000000, PPM_MAX, 0, &p), -EINVAL);
	zassert_equal(vmon_saadc_timer_plan(BASE_HZ, 0, PPM_MAX, 0, &p), -EINVAL);
	zassert_equal(vmon_saadc_timer_plan(0, 8000, PPM_MAX, 0, &p), -EINVAL);
}

/* -- scaling ----------------------------------------------------------------------------- */

/* vmon node's ADXL1002: 26.4 mV/g, 1.65 V at 0 g, on a 12-bit input of 3.6 V full scale. */
#define FS_UV   3600000U
#define SENS_UV 26400U
#define ZERO_MV 1650U
#define FS_MG   16000U

static double expected_counts(int code, uint32_t fs_uv, uint8_t res, uint32_t sens,
			      uint32_t zero_mv, uint32_t fs_mg)
{
	const double uv = (double)code * fs_uv / (double)(1U << res);
	const double mg = (uv - zero_mv * 1000.0) / sens * 1000.0;

	return mg * 32768.0 / fs_mg;
}

ZTEST(saadc_scale, test_every_code_matches_the_formula)
{
	struct vmon_saadc_scale sc;
	static int16_t buf[4096 + 8];
	uint32_t saturated_expected = 0U;

	zassert_ok(vmon_saadc_scale_init(&sc, FS_UV, 12, SENS_UV, ZERO_MV, FS_MG));
	/* Single-ended codes dip a little below 0 with the offset error: include them. */
	for (int i = 0; i < (int)ARRAY_SIZE(buf); i++) {
		buf[i] = (int16_t)(i - 8);
	}
	const uint32_t clipped = vmon_saadc_convert(buf, ARRAY_SIZE(buf), &sc);

	for (int i = 0; i < (int)ARRAY_SIZE(buf); i++) {
		const double want = expected_counts(i - 8, FS_UV, 12, SENS_UV, ZERO_MV, FS_MG);
		const double sat = CLAMP(want, (double)INT16_MIN, (double)INT16_MAX);

		if (sat != want) {
			saturated_expected++;
		}
		zassert_true(fabs(buf[i] - sat) <= 1.0, "code %d: %d, want %f", i - 8, buf[i],
			     want);
	}
	zassert_equal(clipped, saturated_expected);
	/* +-16 g of a +-50 g sensor: most of the codes are beyond full scale. */
	zassert_true(clipped > 2000U && clipped < 4096U, "%u", clipped);
}

ZTEST(saadc_scale, test_one_g_and_zero)
{
	struct vmon_saadc_scale sc;
	/* 0 g and +-1 g: 1650 mV and +-26.4 mV, in codes of 3600/4096 mV. */
	int16_t buf[3] = {1877, 1877 + 30, 1877 - 30};

	zassert_ok(vmon_saadc_scale_init(&sc, FS_UV, 12, SENS_UV, ZERO_MV, FS_MG));
	zassert_equal(vmon_saadc_convert(buf, 3, &sc), 0U);
	/* 1877 is 0.33 of a code below 1650 mV: -23 counts; a code is 68.2 counts. */
	zassert_within(buf[0], -23, 1);
	/* 1 g is 2048 counts at 16 g full scale; 30 codes are 1.0 g (26.37 mV). */
	zassert_within(buf[1] - buf[0], 2045, 2);
	zassert_within(buf[0] - buf[2], 2045, 2);
}

ZTEST(saadc_scale, test_other_resolutions_and_scales)
{
	static const uint8_t res[] = {8, 10, 14};
	struct vmon_saadc_scale sc;

	for (size_t r = 0; r < ARRAY_SIZE(res); r++) {
		/* A 40 mV/g sensor at 5 V through a halving divider would read 20 mV/g and sit
		 * at 1.25 V: gain 1/4 (2.4 V full scale), 8 g full scale. */
		zassert_ok(vmon_saadc_scale_init(&sc, 2400000U, res[r], 20000U, 1250U, 8000U));
		for (int code = -4; code < (1 << res[r]); code += 7) {
			int16_t v = (int16_t)code;
			const double want = CLAMP(expected_counts(code, 2400000U, res[r], 20000U,
								  1250U, 8000U),
						  (double)INT16_MIN, (double)INT16_MAX);

			(void)vmon_saadc_convert(&v, 1, &sc);
			zassert_true(fabs(v - want) <= 1.0, "%u bits, code %d: %d vs %f", res[r],
				     code, v, want);
		}
	}
}

ZTEST(saadc_scale, test_bad_settings_refused)
{
	struct vmon_saadc_scale sc;

	zassert_equal(vmon_saadc_scale_init(&sc, FS_UV, 12, 0, ZERO_MV, FS_MG), -EINVAL);
	zassert_equal(vmon_saadc_scale_init(&sc, 0, 12, SENS_UV, ZERO_MV, FS_MG), -EINVAL);
	zassert_equal(vmon_saadc_scale_init(&sc, FS_UV, 16, SENS_UV, ZERO_MV, FS_MG), -EINVAL);
	zassert_equal(vmon_saadc_scale_init(&sc, FS_UV, 12, SENS_UV, ZERO_MV, 0), -EINVAL);
	zassert_equal(vmon_saadc_scale_init(&sc, FS_UV, 12, SENS_UV, 5000, FS_MG), -EINVAL);
}

/* -- the DMA ring: a fake sampling core ------------------------------------------------ */

#define LEN       64U
#define PERIOD_US 5000U
#define POOL      2U

static struct {
	struct vmon_sampling_block blocks[POOL];
	int16_t data[POOL][LEN];
	bool taken[POOL];
	/* The consumer releases each delivered block at once (false: it keeps them). */
	bool release;
	uint32_t delivered;
	uint32_t seqs[64];
	uint64_t t0s[64];
	uint32_t counters[VMON_SAMPLING_CNT_COUNT];
} fake;

static struct vmon_sampling_block *fake_alloc(void)
{
	for (uint8_t i = 0; i < POOL; i++) {
		if (!fake.taken[i]) {
			fake.taken[i] = true;
			fake.blocks[i] = (struct vmon_sampling_block){
				.data = fake.data[i], .len = LEN, .axes = 1, .slot = i};
			return &fake.blocks[i];
		}
	}
	return NULL;
}

static void fake_discard(struct vmon_sampling_block *b)
{
	zassert_true(fake.taken[b->slot], "block %u returned twice", b->slot);
	fake.taken[b->slot] = false;
}

static void fake_done(struct vmon_sampling_block *b, uint32_t seq, uint64_t t0)
{
	if (fake.delivered < ARRAY_SIZE(fake.seqs)) {
		fake.seqs[fake.delivered] = seq;
		fake.t0s[fake.delivered] = t0;
	}
	fake.delivered++;
	if (fake.release) {
		fake_discard(b);
	}
}

static void fake_count(enum vmon_sampling_counter c, uint32_t n)
{
	fake.counters[c] += n;
}

static const struct vmon_saadc_ring_ops fake_ops = {
	.alloc = fake_alloc,
	.discard = fake_discard,
	.done = fake_done,
	.count = fake_count,
};

static int16_t scratch_buf[LEN];
static struct vmon_saadc_ring ring;

static uint32_t taken_count(void)
{
	uint32_t n = 0U;

	for (uint8_t i = 0; i < POOL; i++) {
		n += fake.taken[i] ? 1U : 0U;
	}
	return n;
}

static void ring_before(void *f)
{
	ARG_UNUSED(f);
	memset(&fake, 0, sizeof(fake));
	fake.release = true;
	vmon_saadc_ring_init(&ring, &fake_ops, scratch_buf, LEN, PERIOD_US);
}

/* One buffer period as the ISR sees it: END (except before the first), then STARTED. */
static int16_t *period(uint64_t t_us, enum vmon_saadc_end *end)
{
	*end = vmon_saadc_ring_end(&ring, t_us);
	return vmon_saadc_ring_started(&ring);
}

ZTEST(saadc_ring, test_stream_is_contiguous_and_timed)
{
	enum vmon_saadc_end end;
	int16_t *first = vmon_saadc_ring_start(&ring, 1000);
	int16_t *next = vmon_saadc_ring_started(&ring);

	zassert_not_equal(first, scratch_buf);
	zassert_not_equal(next, scratch_buf);
	zassert_not_equal(first, next, "double buffering needs two buffers");
	for (uint32_t k = 1; k <= 40; k++) {
		int16_t *programmed = period(1000 + (uint64_t)k * PERIOD_US, &end);

		zassert_equal(end, VMON_SAADC_END_DELIVERED, "buffer %u", k);
		/* The buffer programmed next is never the one the DMA is filling now. */
		zassert_not_equal(programmed, ring.cur->data);
	}
	zassert_equal(fake.delivered, 40);
	for (uint32_t k = 0; k < 40; k++) {
		zassert_equal(fake.seqs[k], k);
		zassert_equal(fake.t0s[k], 1000 + (uint64_t)k * PERIOD_US);
	}
	zassert_equal(fake.counters[VMON_SAMPLING_CNT_OVERRUNS], 0);
	zassert_equal(fake.counters[VMON_SAMPLING_CNT_SAMPLES_LOST], 0);
	vmon_saadc_ring_stop(&ring);
	zassert_equal(taken_count(), 0, "stop returns what the DMA held");
}

ZTEST(saadc_ring, test_consumer_holding_every_block_costs_whole_blocks)
{
	enum vmon_saadc_end end;

	fake.release = false;
	(void)vmon_saadc_ring_start(&ring, 0);
	(void)vmon_saadc_ring_started(&ring);
	/* Both blocks are with the DMA; the first END hands one to the consumer, which keeps
	 * it: the STARTED after it finds no block and the DMA gets the scratch buffer. */
	zassert_equal(period(1 * PERIOD_US, &end), scratch_buf);
	zassert_equal(end, VMON_SAADC_END_DELIVERED);
	zassert_equal(fake.counters[VMON_SAMPLING_CNT_OVERRUNS], 1);
	zassert_equal(period(2 * PERIOD_US, &end), scratch_buf);
	zassert_equal(end, VMON_SAADC_END_DELIVERED);
	zassert_equal(period(3 * PERIOD_US, &end), scratch_buf);
	zassert_equal(end, VMON_SAADC_END_DROPPED);
	zassert_equal(fake.counters[VMON_SAMPLING_CNT_OVERRUNS], 3);
	/* The consumer lets go of its blocks late: streaming resumes, the gap shows in seq. */
	fake_discard(&fake.blocks[0]);
	fake_discard(&fake.blocks[1]);
	fake.release = true;
	zassert_not_equal(period(4 * PERIOD_US, &end), scratch_buf);
	zassert_equal(end, VMON_SAADC_END_DROPPED);
	(void)period(5 * PERIOD_US, &end);
	zassert_equal(end, VMON_SAADC_END_DROPPED);
	(void)period(6 * PERIOD_US, &end);
	zassert_equal(end, VMON_SAADC_END_DELIVERED);
	zassert_equal(fake.delivered, 3);
	zassert_equal(fake.seqs[0], 0);
	zassert_equal(fake.seqs[1], 1);
	zassert_equal(fake.seqs[2], 5, "buffers 2-4 went to the scratch buffer");
	zassert_equal(fake.counters[VMON_SAMPLING_CNT_SAMPLES_LOST], 0, "overruns, not lost");
	vmon_saadc_ring_stop(&ring);
	zassert_equal(taken_count(), 0);
}

ZTEST(saadc_ring, test_end_without_started_restarts)
{
	enum vmon_saadc_end end;

	(void)vmon_saadc_ring_start(&ring, 0);
	(void)vmon_saadc_ring_started(&ring);
	zassert_equal(vmon_saadc_ring_end(&ring, PERIOD_US), VMON_SAADC_END_DELIVERED);
	/* The STARTED of this buffer was never handled: the DMA refills the same memory. */
	zassert_equal(vmon_saadc_ring_end(&ring, 2 * PERIOD_US), VMON_SAADC_END_LATE);
	zassert_false(ring.running);
	zassert_equal(taken_count(), 0, "the late buffers go back to the pool");
	zassert_equal(fake.counters[VMON_SAMPLING_CNT_SAMPLES_LOST], LEN);
	/* The restart goes on from the next sequence number. */
	(void)vmon_saadc_ring_start(&ring, 2 * PERIOD_US + 100);
	(void)vmon_saadc_ring_started(&ring);
	(void)period(3 * PERIOD_US + 100, &end);
	zassert_equal(end, VMON_SAADC_END_DELIVERED);
	zassert_equal(fake.delivered, 2);
	zassert_equal(fake.seqs[1], 2);
	zassert_equal(fake.t0s[1], 2 * PERIOD_US + 100);
}

ZTEST(saadc_ring, test_end_long_after_its_start_restarts)
{
	(void)vmon_saadc_ring_start(&ring, 0);
	(void)vmon_saadc_ring_started(&ring);
	/* 3.2 periods: the event flags merged, buffers may have been overwritten. */
	zassert_equal(vmon_saadc_ring_end(&ring, 3 * PERIOD_US + PERIOD_US / 5),
		      VMON_SAADC_END_LATE);
	zassert_equal(fake.delivered, 0);
	zassert_equal(fake.counters[VMON_SAMPLING_CNT_SAMPLES_LOST], 3 * LEN + LEN / 5);
	zassert_equal(ring.seq, 4, "every period it touched");
	zassert_equal(taken_count(), 0, "both buffers go back to the pool");
	zassert_false(ring.running);
}

ZTEST(saadc_ring, test_spurious_started_allocates_once)
{
	(void)vmon_saadc_ring_start(&ring, 0);
	int16_t *a = vmon_saadc_ring_started(&ring);
	int16_t *b = vmon_saadc_ring_started(&ring);

	zassert_equal(a, b);
	zassert_equal(taken_count(), 2);
	zassert_equal(fake.counters[VMON_SAMPLING_CNT_OVERRUNS], 0);
	/* One and a half periods is still on time. */
	zassert_equal(vmon_saadc_ring_end(&ring, PERIOD_US + PERIOD_US / 2),
		      VMON_SAADC_END_DELIVERED);
	vmon_saadc_ring_stop(&ring);
	zassert_equal(taken_count(), 0);
	zassert_false(ring.running);
}

ZTEST_SUITE(saadc_timer, NULL, NULL, NULL, NULL, NULL);
ZTEST_SUITE(saadc_scale, NULL, NULL, NULL, NULL, NULL);
ZTEST_SUITE(saadc_ring, NULL, NULL, ring_before, NULL, NULL);
