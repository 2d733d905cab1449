/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Inside the sampling module: what the core (sampling.c) offers the sources, and what
 * every source implements. Exactly one source file is linked, chosen by the
 * VMON_SAMPLING_SOURCE Kconfig choice. Not for other modules: they use sampling.h.
 */

#ifndef VMON_SAMPLING_INTERNAL_H_
#define VMON_SAMPLING_INTERNAL_H_

#include <stddef.h>
#include <stdint.h>

#include "sampling.h"

/** Counters a source adds to (struct vmon_sampling_stats without `blocks`). */
enum vmon_sampling_counter {
	VMON_SAMPLING_CNT_OVERRUNS,
	VMON_SAMPLING_CNT_BAD_CRC,
	VMON_SAMPLING_CNT_BAD_LENGTH,
	VMON_SAMPLING_CNT_SEQ_GAPS,
	VMON_SAMPLING_CNT_SEQ_MISSING,
	VMON_SAMPLING_CNT_SYNC_SKIPPED,
	VMON_SAMPLING_CNT_FIFO_OVERFLOWS,
	VMON_SAMPLING_CNT_SAMPLES_LOST,
	VMON_SAMPLING_CNT_BUS_ERRORS,
	VMON_SAMPLING_CNT_SPURIOUS_IRQS,
	VMON_SAMPLING_CNT_RESTARTS,
	VMON_SAMPLING_CNT_COUNT,
};

/* -- core, for the sources (any context) -------------------------------------------- */

/** A free buffer to fill, or NULL when the consumer holds them all (count an overrun). */
struct vmon_sampling_block *vmon_sampling_block_alloc(void);

/** Return a buffer the source will not complete. */
void vmon_sampling_block_discard(struct vmon_sampling_block *block);

/** Deliver a filled block to the consumer (or discard it when sampling has stopped). */
void vmon_sampling_block_done(struct vmon_sampling_block *block, uint32_t seq,
			      uint64_t timestamp_us);

/** Add @p n to a counter. */
void vmon_sampling_count(enum vmon_sampling_counter counter, uint32_t n);

/**
 * Raise fault conditions (VMON_SAMPLING_FAULT_* bits): each bit not already in force
 * counts one fault episode and is remembered in the causes since start.
 */
void vmon_sampling_fault_raise(uint32_t bits);

/** The conditions in @p bits are over. */
void vmon_sampling_fault_clear(uint32_t bits);

/** Duration of one block in microseconds (rounded down). */
#define VMON_SAMPLING_BLOCK_US                                                                  \
	((uint32_t)(((uint64_t)VMON_SAMPLING_BLOCK_LEN * 1000000U) / VMON_SAMPLING_RATE_HZ))

/* -- the source (one implementation per Kconfig choice) ------------------------------- */

/** Short name for the log ("replay", "synthetic"). */
extern const char *const vmon_sampling_source_name;

/** Start producing blocks. Thread context. 0 or negative errno. */
int vmon_sampling_source_start(void);

/** Stop producing blocks and discard the one being filled. Thread context. */
void vmon_sampling_source_stop(void);

/**
 * Wake-on-motion (sources that select VMON_SAMPLING_WAKE): arm while sampling is stopped,
 * 0 or negative errno (a fault it found is raised too); disarm is idempotent.
 */
int vmon_sampling_source_wake_arm(vmon_sampling_wake_cb cb);
void vmon_sampling_source_wake_disarm(void);

/* -- replay source ---------------------------------------------------------------------- */

/**
 * Feed received bytes to the replay parser as if the UART had received them (the UART
 * ISR uses the same path). For tests and for transports other than the UART.
 */
void vmon_sampling_replay_feed(const uint8_t *data, size_t len);

#endif /* VMON_SAMPLING_INTERNAL_H_ */
