/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The SAADC source's logic, apart from the hardware (source_saadc.c drives the registers):
 * the timer that paces the conversions, the conversion of ADC codes into accelerometer
 * counts, and the double-buffered DMA ring. None of it touches a peripheral, so QEMU runs
 * its unit tests (tests/app/modules/sampling, vmon.sampling.saadc_ring) and the nRF52
 * builds run the same code.
 *
 * The ring follows the SAADC's EasyDMA protocol (nRF52840 PS, SAADC "EasyDMA"): RESULT.PTR
 * is latched by the START task, so once STARTED fires the next buffer's address may be
 * written; the END event (buffer full) triggers START again through PPI, which latches that
 * next buffer without a gap. The ISR hands the ring the STARTED and END events in that
 * order; the ring says which address to program and which block is complete.
 */

#ifndef VMON_SAADC_RING_H_
#define VMON_SAADC_RING_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sampling_internal.h"

/* -- pacing ---------------------------------------------------------------------------- */

/** The TIMER's settings for a sampling rate. */
struct vmon_saadc_timer_plan {
	/** PRESCALER: the timer counts at base_hz >> prescaler. */
	uint8_t prescaler;
	/** CC[0] with the COMPARE0_CLEAR short: one SAMPLE task every cc ticks. */
	uint32_t cc;
	/** The rate those give, in millihertz (against the base clock). */
	uint64_t rate_mhz;
	/** Its deviation from the nominal rate, in parts per million. */
	int32_t error_ppm;
};

/** The nRF52 TIMER's highest prescaler (f = 16 MHz >> 9 = 31.25 kHz). */
#define VMON_SAADC_TIMER_PRESCALER_MAX 9U

/**
 * The slowest timer clock (the least current) that paces @p rate_hz within
 * @p max_error_ppm of nominal, each conversion (@p conv_ns: acquisition plus conversion)
 * fitting in one period. 0, or -EINVAL when no prescaler reaches that accuracy or the
 * conversion does not fit.
 */
int vmon_saadc_timer_plan(uint32_t base_hz, uint32_t rate_hz, uint32_t max_error_ppm,
			  uint32_t conv_ns, struct vmon_saadc_timer_plan *plan);

/* -- scaling ----------------------------------------------------------------------------- */

/** counts = (code * mul - offset) >> VMON_SAADC_SCALE_SHIFT, saturated to int16. */
struct vmon_saadc_scale {
	int64_t mul;
	int64_t offset;
};

#define VMON_SAADC_SCALE_SHIFT 16

/**
 * Scale for a sensor of @p sens_uv_per_g microvolts per g, @p zero_mv at 0 g, on an ADC
 * input whose full scale (2^@p resolution codes) is @p input_fs_uv microvolts (reference /
 * gain), into counts of which 32768 are @p full_scale_mg. 0, or -EINVAL for a zero
 * sensitivity, full scale or resolution out of 8..14 bits.
 */
int vmon_saadc_scale_init(struct vmon_saadc_scale *scale, uint32_t input_fs_uv,
			  uint8_t resolution, uint32_t sens_uv_per_g, uint32_t zero_mv,
			  uint32_t full_scale_mg);

/**
 * Convert @p n ADC codes in place into counts; returns how many saturated (beyond the
 * full scale: a shock, or a sensor output stuck at a rail).
 */
uint32_t vmon_saadc_convert(int16_t *buf, size_t n, const struct vmon_saadc_scale *scale);

/* -- the DMA ring -------------------------------------------------------------------------- */

/** What the ring needs from the sampling core (the real ones, or a test's). */
struct vmon_saadc_ring_ops {
	struct vmon_sampling_block *(*alloc)(void);
	void (*discard)(struct vmon_sampling_block *block);
	/** A full buffer of @p len codes (a block's data) is complete: convert and deliver. */
	void (*done)(struct vmon_sampling_block *block, uint32_t seq, uint64_t timestamp_us);
	void (*count)(enum vmon_sampling_counter counter, uint32_t n);
};

struct vmon_saadc_ring {
	const struct vmon_saadc_ring_ops *ops;
	/** Where the DMA writes when the consumer holds every block: dropped, counted. */
	int16_t *scratch;
	/** Buffer length in samples (one block). */
	uint32_t len;
	/** One buffer's duration (len / rate), microseconds. */
	uint32_t period_us;
	/** The buffer being filled (latched by the last START), NULL: scratch. */
	struct vmon_sampling_block *cur;
	/** The buffer programmed for the next START, NULL: scratch. */
	struct vmon_sampling_block *next;
	/** Whether `next` has been programmed since the last END. */
	bool next_set;
	bool running;
	/** Sequence number of `cur`. */
	uint32_t seq;
	/** Uptime of `cur`'s first sample. */
	uint64_t t0_us;
};

/** Set up before the first start: sequence numbers from 0. */
void vmon_saadc_ring_init(struct vmon_saadc_ring *ring, const struct vmon_saadc_ring_ops *ops,
			  int16_t *scratch, uint32_t len, uint32_t period_us);

/**
 * Start (or restart after a late END): the buffer to program into RESULT.PTR before the
 * START task (a block, or the scratch buffer when none is free: an overrun).
 */
int16_t *vmon_saadc_ring_start(struct vmon_saadc_ring *ring, uint64_t now_us);

/** STARTED: the buffer to program as the next one. */
int16_t *vmon_saadc_ring_started(struct vmon_saadc_ring *ring);

enum vmon_saadc_end {
	/** The buffer was a block: delivered (ops->done). */
	VMON_SAADC_END_DELIVERED,
	/** The buffer was the scratch one (an overrun, counted at the time): dropped. */
	VMON_SAADC_END_DROPPED,
	/**
	 * The ISR ran too late to trust the buffers: no next buffer had been programmed (the
	 * DMA is writing into the same one again), or more than one and a half buffer periods
	 * passed (event flags collapse, so buffers may have been overwritten). Everything the
	 * DMA held is dropped, the samples counted as lost and the sequence numbers skip the
	 * time; the caller stops the hardware and starts it again (vmon_saadc_ring_start).
	 */
	VMON_SAADC_END_LATE,
};

/** END at @p now_us: the current buffer is full. */
enum vmon_saadc_end vmon_saadc_ring_end(struct vmon_saadc_ring *ring, uint64_t now_us);

/** Stop: the blocks the DMA held go back to the pool. */
void vmon_saadc_ring_stop(struct vmon_saadc_ring *ring);

#endif /* VMON_SAADC_RING_H_ */
