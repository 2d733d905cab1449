/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Synthetic source: a deterministic integer vibration signal for demos without a host.
 *
 * Per axis, in counts (16 g full scale: 2048 counts per g):
 *   shaft tone and its 2nd harmonic at CONFIG_VMON_SAMPLING_SYNTH_SHAFT_MHZ,
 *   + bearing impacts: at every defect period (shaft x DEFECT_ORDER_PERMILLE / 1000) a
 *     resonance at CONFIG_VMON_SAMPLING_SYNTH_RESONANCE_HZ starts and decays in ~1 ms,
 *   + pseudo-random noise (xorshift32, fixed seed),
 * with the y axis a quarter turn behind x and weaker impacts, and z carrying 1 g of
 * gravity. Same configuration, same samples, on every board and every start.
 *
 * Pacing: a k_timer expires at the end of every block period (absolute deadlines, so
 * the average rate is exact whatever the tick rate); the system work queue then fills
 * the block and delivers it.
 */

#include <errno.h>

#include <zephyr/kernel.h>
#include <zephyr/logging/log.h>
#include <zephyr/sys/atomic.h>
#include <zephyr/sys/util.h>

#include "sampling.h"
#include "sampling_internal.h"

LOG_MODULE_REGISTER(vmon_sampling_synth, CONFIG_VMON_SAMPLING_LOG_LEVEL);

#define RATE       VMON_SAMPLING_RATE_HZ
#define SHAFT_MHZ  CONFIG_VMON_SAMPLING_SYNTH_SHAFT_MHZ
#define DEFECT_MHZ ((uint64_t)SHAFT_MHZ * CONFIG_VMON_SAMPLING_SYNTH_DEFECT_ORDER_PERMILLE / 1000U)
#define RES_HZ     CONFIG_VMON_SAMPLING_SYNTH_RESONANCE_HZ

BUILD_ASSERT((uint64_t)SHAFT_MHZ * 2U < 1000ULL * RATE, "shaft tone above Nyquist");
BUILD_ASSERT(DEFECT_MHZ < 1000ULL * RATE, "more than one bearing impact per sample");
BUILD_ASSERT(RES_HZ * 2U < RATE, "CONFIG_VMON_SAMPLING_SYNTH_RESONANCE_HZ above Nyquist");

/* Phase increments per sample: a full turn is 2^32. */
#define SHAFT_INC  ((uint32_t)(((uint64_t)SHAFT_MHZ << 32) / (1000ULL * RATE)))
#define DEFECT_INC ((uint32_t)((DEFECT_MHZ << 32) / (1000ULL * RATE)))
#define RES_INC    ((uint32_t)(((uint64_t)RES_HZ << 32) / RATE))

/* Amplitudes in counts. */
#define SHAFT_AMP    400
#define SHAFT_H2_AMP 120
#define IMPACT_AMP   2400
#define GRAVITY      2048
/* Impact envelope decay per sample (Q15): time constant ~1 ms, at least 4 samples. */
#define TAU_SAMPLES  MAX(RATE / 1000, 4)
#define DECAY_Q15    (32768 - 32768 / TAU_SAMPLES)
#define NOISE_SEED   0x2545F491U

struct synth {
	uint32_t shaft_phase;
	uint32_t defect_phase;
	uint32_t res_phase;
	/* Impact envelope, counts in Q15. */
	int32_t env_q15;
	uint32_t noise;
};

/* sin over a quarter turn, Q15, 64 steps; linear interpolation in between. */
static const int16_t quarter_sine[65] = {
	0,     804,   1608,  2410,  3212,  4011,  4808,  5602,  6393,  7179,  7962,
	8739,  9512,  10278, 11039, 11793, 12539, 13279, 14010, 14732, 15446, 16151,
	16846, 17530, 18204, 18868, 19519, 20159, 20787, 21403, 22005, 22594, 23170,
	23731, 24279, 24811, 25329, 25832, 26319, 26790, 27245, 27683, 28105, 28510,
	28898, 29268, 29621, 29956, 30273, 30571, 30852, 31113, 31356, 31580, 31785,
	31971, 32137, 32285, 32412, 32521, 32609, 32678, 32728, 32757, 32767,
};

static int32_t sin_q15(uint32_t phase)
{
	uint32_t quadrant = phase >> 30;
	uint32_t q = phase & 0x3FFFFFFFU;

	if (quadrant & 1U) {
		q = 0x40000000U - q;
	}
	uint32_t i = q >> 24;
	int32_t frac = (int32_t)((q >> 8) & 0xFFFFU);
	int32_t a = quarter_sine[i];
	int32_t b = quarter_sine[MIN(i + 1U, 64U)];
	int32_t v = a + (((b - a) * frac) >> 16);

	return (quadrant & 2U) ? -v : v;
}

static uint32_t xorshift32(uint32_t *state)
{
	uint32_t x = *state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*state = x;
	return x;
}

static int32_t noise(struct synth *s)
{
	return (int32_t)(xorshift32(&s->noise) >> 25) - 64; /* -64..63 */
}

static int16_t sat16(int32_t v)
{
	return (int16_t)CLAMP(v, INT16_MIN, INT16_MAX);
}

static void synth_reset(struct synth *s)
{
	*s = (struct synth){.noise = NOISE_SEED};
}

/* One block into @p out, or just advance the signal when @p out is NULL (overrun). */
static void synth_fill(struct synth *s, int16_t *out)
{
	for (size_t n = 0; n < VMON_SAMPLING_BLOCK_LEN; n++) {
		int32_t shaft = (SHAFT_AMP * sin_q15(s->shaft_phase) +
				 SHAFT_H2_AMP * sin_q15(2U * s->shaft_phase)) >> 15;
		uint32_t before = s->defect_phase;

		s->defect_phase += DEFECT_INC;
		if (DEFECT_INC != 0U && s->defect_phase < before) {
			s->env_q15 = IMPACT_AMP << 15;
			s->res_phase = 0;
		}
		int32_t impact = (int32_t)(((int64_t)s->env_q15 * sin_q15(s->res_phase)) >> 30);

		s->env_q15 = (int32_t)(((int64_t)s->env_q15 * DECAY_Q15) >> 15);
		s->res_phase += RES_INC;

		if (VMON_SAMPLING_AXES == 1) {
			int32_t x = shaft + impact + noise(s);

			if (out != NULL) {
				out[n] = sat16(x);
			}
		} else {
			int32_t quad = (SHAFT_AMP * sin_q15(s->shaft_phase - 0x40000000U)) >> 15;
			int32_t x = shaft + impact + noise(s);
			int32_t y = (3 * quad) / 4 + impact / 2 + noise(s);
			int32_t z = GRAVITY + impact / 4 + noise(s);

			if (out != NULL) {
				out[3 * n] = sat16(x);
				out[3 * n + 1] = sat16(y);
				out[3 * n + 2] = sat16(z);
			}
		}
		s->shaft_phase += SHAFT_INC;
	}
}

static void pace_expiry(struct k_timer *timer);
static void generate(struct k_work *work);

static K_TIMER_DEFINE(pace_timer, pace_expiry, NULL);
static K_WORK_DEFINE(generate_work, generate);

static struct synth gen;
static atomic_t active;
/* Block periods elapsed since start (timer), blocks generated (work queue). */
static atomic_t due;
static uint32_t produced;
static k_ticks_t t0_ticks;
static uint64_t t0_us;

const char *const vmon_sampling_source_name = "synthetic";

/* Tick at which block n - 1 is complete. */
static k_ticks_t block_deadline(uint32_t n)
{
	uint64_t ticks = ((uint64_t)n * VMON_SAMPLING_BLOCK_LEN * CONFIG_SYS_CLOCK_TICKS_PER_SEC +
			  RATE - 1U) / RATE;

	return t0_ticks + (k_ticks_t)ticks;
}

static void pace_expiry(struct k_timer *timer)
{
	uint32_t n = (uint32_t)atomic_inc(&due) + 1U;

	k_timer_start(timer, K_TIMEOUT_ABS_TICKS(block_deadline(n + 1U)), K_NO_WAIT);
	k_work_submit(&generate_work);
}

static void generate(struct k_work *work)
{
	ARG_UNUSED(work);

	while (atomic_get(&active) && produced != (uint32_t)atomic_get(&due)) {
		struct vmon_sampling_block *block = vmon_sampling_block_alloc();
		uint64_t start_us =
			t0_us + (uint64_t)produced * VMON_SAMPLING_BLOCK_LEN * 1000000U / RATE;

		synth_fill(&gen, block != NULL ? block->data : NULL);
		if (block == NULL) {
			vmon_sampling_count(VMON_SAMPLING_CNT_OVERRUNS, 1);
		} else {
			vmon_sampling_block_done(block, produced, start_us);
		}
		produced++;
	}
}

int vmon_sampling_source_start(void)
{
	synth_reset(&gen);
	produced = 0;
	atomic_clear(&due);
	t0_ticks = k_uptime_ticks();
	t0_us = k_ticks_to_us_floor64((uint64_t)t0_ticks);
	atomic_set(&active, 1);
	k_timer_start(&pace_timer, K_TIMEOUT_ABS_TICKS(block_deadline(1)), K_NO_WAIT);
	LOG_DBG("shaft %u mHz, defect %u mHz, resonance %u Hz", SHAFT_MHZ, (uint32_t)DEFECT_MHZ,
		RES_HZ);
	return 0;
}

void vmon_sampling_source_stop(void)
{
	struct k_work_sync sync;

	atomic_clear(&active);
	k_timer_stop(&pace_timer);
	/* Not from the callback: that runs in the work item being cancelled. */
	(void)k_work_cancel_sync(&generate_work, &sync);
}
