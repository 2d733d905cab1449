/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The SAADC source's logic without the hardware (saadc_ring.h).
 */

#include <errno.h>
#include <stdint.h>

#include <zephyr/sys/util.h>

#include "saadc_ring.h"
#include "sampling_internal.h"

/* -- pacing ---------------------------------------------------------------------------- */

int vmon_saadc_timer_plan(uint32_t base_hz, uint32_t rate_hz, uint32_t max_error_ppm,
			  uint32_t conv_ns, struct vmon_saadc_timer_plan *plan)
{
	if (base_hz == 0U || rate_hz == 0U || rate_hz > base_hz) {
		return -EINVAL;
	}
	/* From the slowest clock down: on nRF52 a prescaler of 4 or more runs the TIMER from
	 * PCLK1M instead of PCLK16M, which draws less current. */
	for (int p = VMON_SAADC_TIMER_PRESCALER_MAX; p >= 0; p--) {
		const uint64_t f = base_hz >> p;
		const uint64_t cc = (f + rate_hz / 2U) / rate_hz;

		if (cc < 2U) {
			continue;
		}
		const uint64_t rate_mhz = (f * 1000U + cc / 2U) / cc;
		const int64_t nominal_mhz = (int64_t)rate_hz * 1000;
		const int64_t err_ppm =
			((int64_t)rate_mhz - nominal_mhz) * 1000000 / nominal_mhz;

		if ((uint64_t)(err_ppm < 0 ? -err_ppm : err_ppm) > max_error_ppm) {
			continue;
		}
		/* One conversion must end before the next SAMPLE task. */
		if ((uint64_t)conv_ns * f >= cc * 1000000000ULL) {
			return -EINVAL;
		}
		*plan = (struct vmon_saadc_timer_plan){
			.prescaler = (uint8_t)p,
			.cc = (uint32_t)cc,
			.rate_mhz = rate_mhz,
			.error_ppm = (int32_t)err_ppm,
		};
		return 0;
	}
	return -EINVAL;
}

/* -- scaling ----------------------------------------------------------------------------- */

int vmon_saadc_scale_init(struct vmon_saadc_scale *scale, uint32_t input_fs_uv,
			  uint8_t resolution, uint32_t sens_uv_per_g, uint32_t zero_mv,
			  uint32_t full_scale_mg)
{
	/* zero_mv is an ADC input voltage (the SAADC reads up to 3.6 V): the bound keeps the
	 * offset's product inside 64 bits. */
	if (input_fs_uv == 0U || sens_uv_per_g == 0U || full_scale_mg == 0U || resolution < 8U ||
	    resolution > 14U || zero_mv > 4000U || input_fs_uv > 4000000U) {
		return -EINVAL;
	}
	/* counts per code = input_fs_uv / 2^res [uV] * 1000 / sens [mg/uV] * 32768 / fs [/mg],
	 * times 2^16 for the fraction: 32768 * 2^16 = 2^31. */
	const uint64_t den = (uint64_t)sens_uv_per_g * full_scale_mg;

	scale->mul = (int64_t)(((uint64_t)input_fs_uv * 1000U * (1ULL << (31U - resolution)) +
				den / 2U) /
			       den);
	scale->offset = (int64_t)(((uint64_t)zero_mv * 1000000U * (1ULL << 31) + den / 2U) / den);
	return 0;
}

uint32_t vmon_saadc_convert(int16_t *buf, size_t n, const struct vmon_saadc_scale *scale)
{
	uint32_t clipped = 0U;
	const int64_t round = 1LL << (VMON_SAADC_SCALE_SHIFT - 1);

	for (size_t i = 0; i < n; i++) {
		int64_t v = ((int64_t)buf[i] * scale->mul - scale->offset + round) >>
			    VMON_SAADC_SCALE_SHIFT;

		if (v > INT16_MAX || v < INT16_MIN) {
			v = CLAMP(v, INT16_MIN, INT16_MAX);
			clipped++;
		}
		buf[i] = (int16_t)v;
	}
	return clipped;
}

/* -- the DMA ring -------------------------------------------------------------------------- */

void vmon_saadc_ring_init(struct vmon_saadc_ring *ring, const struct vmon_saadc_ring_ops *ops,
			  int16_t *scratch, uint32_t len, uint32_t period_us)
{
	*ring = (struct vmon_saadc_ring){
		.ops = ops,
		.scratch = scratch,
		.len = len,
		.period_us = period_us,
	};
}

/* A block for the DMA, or NULL (the scratch buffer) when the consumer holds them all. */
static struct vmon_sampling_block *take(struct vmon_saadc_ring *ring)
{
	struct vmon_sampling_block *b = ring->ops->alloc();

	if (b == NULL) {
		ring->ops->count(VMON_SAMPLING_CNT_OVERRUNS, 1);
	}
	return b;
}

static int16_t *address(const struct vmon_saadc_ring *ring, struct vmon_sampling_block *b)
{
	return b != NULL ? b->data : ring->scratch;
}

int16_t *vmon_saadc_ring_start(struct vmon_saadc_ring *ring, uint64_t now_us)
{
	ring->cur = take(ring);
	ring->next = NULL;
	ring->next_set = false;
	ring->running = true;
	ring->t0_us = now_us;
	return address(ring, ring->cur);
}

int16_t *vmon_saadc_ring_started(struct vmon_saadc_ring *ring)
{
	if (!ring->next_set) {
		ring->next = take(ring);
		ring->next_set = true;
	}
	return address(ring, ring->next);
}

static void give_back(struct vmon_saadc_ring *ring)
{
	if (ring->cur != NULL) {
		ring->ops->discard(ring->cur);
		ring->cur = NULL;
	}
	if (ring->next != NULL) {
		ring->ops->discard(ring->next);
		ring->next = NULL;
	}
	ring->next_set = false;
}

enum vmon_saadc_end vmon_saadc_ring_end(struct vmon_saadc_ring *ring, uint64_t now_us)
{
	const uint64_t elapsed = now_us - ring->t0_us;

	if (!ring->next_set || elapsed > (uint64_t)ring->period_us + ring->period_us / 2U) {
		/* Nothing the DMA wrote since t0 can be trusted: count it all as lost. */
		const uint64_t lost = elapsed * ring->len / ring->period_us;
		const uint64_t periods = (elapsed + ring->period_us - 1U) / ring->period_us;

		ring->ops->count(VMON_SAMPLING_CNT_SAMPLES_LOST,
				 (uint32_t)MAX(lost, (uint64_t)ring->len));
		ring->seq += (uint32_t)MAX(periods, 1U);
		give_back(ring);
		ring->running = false;
		return VMON_SAADC_END_LATE;
	}
	struct vmon_sampling_block *full = ring->cur;
	const uint32_t seq = ring->seq++;
	const uint64_t t0 = ring->t0_us;

	ring->cur = ring->next;
	ring->next = NULL;
	ring->next_set = false;
	/* The next sample follows the END at once (PPI starts the next buffer). */
	ring->t0_us = now_us;
	if (full == NULL) {
		return VMON_SAADC_END_DROPPED;
	}
	ring->ops->done(full, seq, t0);
	return VMON_SAADC_END_DELIVERED;
}

void vmon_saadc_ring_stop(struct vmon_saadc_ring *ring)
{
	give_back(ring);
	ring->running = false;
}
