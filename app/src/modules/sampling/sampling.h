/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Sampling module: fixed-size blocks of int16 accelerometer counts.
 *
 * A block holds VMON_SAMPLING_BLOCK_LEN sample instants of VMON_SAMPLING_AXES axes,
 * interleaved (x0 y0 z0 x1 y1 z1 ... for three axes), as the sensor's raw counts.
 * The source chosen in Kconfig (replay over a UART, synthetic, the ICM-42688-P's FIFO)
 * fills blocks from a pool of CONFIG_VMON_SAMPLING_BUFFERS buffers (2: double
 * buffering) in place, without copying, and completes each one by calling the
 * consumer's callback. The consumer owns the block until it calls
 * vmon_sampling_release(); while it holds every other buffer the source has nowhere
 * to put the next block, drops it and counts an overrun.
 *
 * Sequence numbers: every block period (synthetic) or frame (replay) has a sequence
 * number that counts up by one, also for blocks that are lost, so a gap between two
 * delivered blocks means samples are missing between them (an overlapping feature
 * window must restart). The replay source uses the host's frame sequence number.
 *
 * Context: the callback runs in the source's completion context: the UART ISR
 * (replay) or the system work queue (synthetic). It must not block: queue the
 * block (k_msgq_put(..., K_NO_WAIT), k_fifo, work item) and return.
 *
 * Requires CONFIG_VMON_SAMPLING=y.
 */

#ifndef VMON_SAMPLING_H_
#define VMON_SAMPLING_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <zephyr/devicetree.h>
#include <zephyr/sys/util.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Sample instants per block (per axis). */
#define VMON_SAMPLING_BLOCK_LEN CONFIG_VMON_SAMPLING_BLOCK_LEN
/** Axes per sample instant: 1 or 3. */
#define VMON_SAMPLING_AXES      CONFIG_VMON_SAMPLING_AXES
/** Nominal sample instants per second. */
#define VMON_SAMPLING_RATE_HZ   CONFIG_VMON_SAMPLING_RATE_HZ
/** int16 counts in one block. */
#define VMON_SAMPLING_BLOCK_COUNTS (VMON_SAMPLING_BLOCK_LEN * VMON_SAMPLING_AXES)

/**
 * Milli-g at full scale (32768 counts): the ICM-42688-P's accel-fs from the devicetree
 * (16 g >> code); the replay host and the synthetic source use 16 g. The features'
 * configuration must agree (the processing module checks it at build time).
 */
#if defined(CONFIG_VMON_SAMPLING_SOURCE_ICM42688)
#define VMON_SAMPLING_FULL_SCALE_MG (16000 >> DT_PROP(DT_CHOSEN(vmon_accel), accel_fs))
#else
#define VMON_SAMPLING_FULL_SCALE_MG 16000
#endif

/**
 * -3 dB bandwidth of the analog path in front of the samples, in Hz: the analog
 * accelerometer's devicetree bandwidth-hz (its sensor and anti-alias filter) for the SAADC
 * source; Nyquist for the others (the ICM-42688-P's on-chip filters are the tooling's to
 * check: vmon.dsp.sensors). The processing module checks the model's band plan against it.
 */
#if defined(CONFIG_VMON_SAMPLING_SOURCE_SAADC)
#define VMON_SAMPLING_BANDWIDTH_HZ                                                              \
	MIN(VMON_SAMPLING_RATE_HZ / 2, DT_PROP(DT_CHOSEN(vmon_analog_accel), bandwidth_hz))
#else
#define VMON_SAMPLING_BANDWIDTH_HZ (VMON_SAMPLING_RATE_HZ / 2)
#endif

/**
 * @name Replay frame format (CONFIG_VMON_SAMPLING_SOURCE_REPLAY, docs/replay.md)
 *
 * One frame carries one block; every field is little-endian:
 *
 *   offset  size  field
 *   0       2     sync: bytes 0xA5 0x5A
 *   2       1     version: VMON_REPLAY_VERSION
 *   3       1     axes: must equal VMON_SAMPLING_AXES
 *   4       2     count: sample instants, must equal VMON_SAMPLING_BLOCK_LEN
 *   6       4     seq: frame sequence number, +1 per frame (wraps at 2^32)
 *   10      2*count*axes  payload: int16 counts, axes interleaved
 *   10+P    4     crc: CRC-32/ISO-HDLC (crc32_ieee(), Python zlib.crc32) of bytes 2..10+P-1
 *
 * Frames whose header does not match this build (version, axes, count) are counted as
 * bad_length and dropped; the receiver hunts for the next sync word from the byte after
 * the rejected sync. Frames with a wrong CRC are counted as bad_crc and dropped; hunting
 * resumes after the frame's declared end (a truncated frame thus also costs the frame it
 * ran into). A good frame whose seq is not the previous good frame's + 1 counts a
 * seq_gap (and seq_missing frames); it is still delivered, with its own seq.
 * @{
 */
#define VMON_REPLAY_SYNC0        0xA5
#define VMON_REPLAY_SYNC1        0x5A
#define VMON_REPLAY_VERSION      1
#define VMON_REPLAY_HEADER_SIZE  10
#define VMON_REPLAY_TRAILER_SIZE 4
/** Bytes of a frame with @p count sample instants of @p axes axes. */
#define VMON_REPLAY_FRAME_SIZE(count, axes)                                                     \
	(VMON_REPLAY_HEADER_SIZE + 2 * (count) * (axes) + VMON_REPLAY_TRAILER_SIZE)
/** @} */

/** One block of samples; valid from the callback until vmon_sampling_release(). */
struct vmon_sampling_block {
	/** VMON_SAMPLING_BLOCK_COUNTS counts, axes interleaved; the consumer may modify them. */
	int16_t *data;
	/** Uptime (microseconds) of the block's first sample instant. */
	uint64_t timestamp_us;
	/** Sequence number: +1 per block period or frame, including lost ones. */
	uint32_t seq;
	/** Sample instants (VMON_SAMPLING_BLOCK_LEN). */
	uint16_t len;
	/** Axes (VMON_SAMPLING_AXES). */
	uint8_t axes;
	/** Private: the buffer's slot in the pool. */
	uint8_t slot;
};

/** Counters since the last vmon_sampling_start(). */
struct vmon_sampling_stats {
	/** Blocks delivered to the callback. */
	uint32_t blocks;
	/** Blocks dropped because the consumer held every free buffer. */
	uint32_t overruns;
	/** Replay: frames dropped for a wrong CRC. */
	uint32_t bad_crc;
	/** Replay: frames dropped because their header does not describe this build's block. */
	uint32_t bad_length;
	/** Replay: discontinuities in the sequence numbers of good frames. */
	uint32_t seq_gaps;
	/** Replay: frames missing in those discontinuities (forward jumps only). */
	uint32_t seq_missing;
	/** Replay: bytes skipped while hunting for a sync word. */
	uint32_t sync_skipped;
	/** Sensor: times the sensor's FIFO overflowed. */
	uint32_t fifo_overflows;
	/** Sensor: sample instants lost before they reached a block (overflow, bus error). */
	uint32_t samples_lost;
	/** Sensor: failed bus transfers. */
	uint32_t bus_errors;
	/** Sensor: interrupts with no data behind them. */
	uint32_t spurious_irqs;
	/** Sensor: re-initialisations after a fault. */
	uint32_t restarts;
	/** Fault episodes: a VMON_SAMPLING_FAULT_* condition that was not in force started. */
	uint32_t faults;
	/** VMON_SAMPLING_FAULT_* conditions in force now (0: the source is healthy). */
	uint32_t fault_state;
	/** VMON_SAMPLING_FAULT_* conditions seen since start. */
	uint32_t fault_causes;
};

/**
 * @name Source fault conditions (struct vmon_sampling_stats fault bits)
 * A sensor source recovers by itself (re-initialisation with back-off, polling instead of
 * a misbehaving interrupt line); these say what happened and what is in force.
 * @{
 */
#define VMON_SAMPLING_FAULT_ABSENT    BIT(0) /**< no answer or a wrong chip id */
#define VMON_SAMPLING_FAULT_BUS       BIT(1) /**< a bus transfer failed mid-stream */
#define VMON_SAMPLING_FAULT_OVERFLOW  BIT(2) /**< the sensor's FIFO overflowed */
#define VMON_SAMPLING_FAULT_IRQ_STORM BIT(3) /**< interrupts without data: now polling */
#define VMON_SAMPLING_FAULT_IRQ_STUCK BIT(4) /**< interrupt line stuck active: now polling */
#define VMON_SAMPLING_FAULT_STALLED   BIT(5) /**< no samples for several watermark periods */
/** @} */

/**
 * @brief Called once per completed block, in ISR or work-queue context.
 *
 * @param block The block; hand it back with vmon_sampling_release().
 * @param user_data The pointer given to vmon_sampling_start().
 */
typedef void (*vmon_sampling_block_cb_t)(struct vmon_sampling_block *block, void *user_data);

/**
 * @brief Reset the counters and start the source; blocks then arrive at @p cb.
 *
 * @retval 0 on success.
 * @retval -EINVAL if @p cb is NULL.
 * @retval -EALREADY if sampling is running.
 * @retval -ENODEV if the source's device is not ready; other negative errno from the source.
 */
int vmon_sampling_start(vmon_sampling_block_cb_t cb, void *user_data);

/**
 * @brief Stop the source. Thread context only.
 *
 * A block being filled is discarded; blocks the consumer holds stay valid until released.
 *
 * @retval 0 on success.
 * @retval -EALREADY if sampling is not running.
 */
int vmon_sampling_stop(void);

/**
 * @brief Hand a block back to the pool. Any context.
 *
 * @retval 0 on success.
 * @retval -EINVAL if @p block is not a block of the pool.
 * @retval -EALREADY if the block was already released.
 */
int vmon_sampling_release(struct vmon_sampling_block *block);

/** @brief Copy the counters. Any context. */
void vmon_sampling_stats_get(struct vmon_sampling_stats *stats);

/** @brief True between vmon_sampling_start() and vmon_sampling_stop(). */
bool vmon_sampling_is_running(void);

/**
 * @brief The SAADC source only: convert the chosen vmon,vbatt divider's ADC input once, in mV
 * at the input, while sampling is stopped (that source owns the SAADC, so the battery module
 * measures through it). Thread context.
 *
 * @retval 0 on success.
 * @retval -EBUSY while sampling runs (the caller tries again later).
 * @retval -ETIMEDOUT or -EINVAL: the conversion did not complete or the channel is not one
 *         the SAADC has.
 */
int vmon_sampling_vbatt_input_mv(int32_t *mv);

/** Called on motion while armed (system work queue context). */
typedef void (*vmon_sampling_wake_cb)(void);

/**
 * @brief Watch for motion while sampling is stopped (a duty-cycled node's sleep). Thread
 * context only.
 *
 * The source's sensor watches in a low-power mode and @p cb runs on each motion it reports,
 * until vmon_sampling_wake_disarm() or vmon_sampling_start(). A fault found while armed (an
 * interrupt line stuck active, interrupts without motion, a sensor that stops answering) is
 * counted and raised (fault_state), and the watch disarms itself.
 *
 * @retval 0 on success.
 * @retval -ENOTSUP if the source cannot (CONFIG_VMON_SAMPLING_WAKE unset).
 * @retval -EBUSY if sampling is running.
 * @retval other negative errno: the sensor did not arm (the fault is raised).
 */
int vmon_sampling_wake_arm(vmon_sampling_wake_cb cb);

/** @brief Stop watching for motion (idempotent). Thread context only. */
void vmon_sampling_wake_disarm(void);

#ifdef __cplusplus
}
#endif

#endif /* VMON_SAMPLING_H_ */
