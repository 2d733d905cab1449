/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Store-and-forward queue: encoded records on flash (NVS) until a transport delivers them.
 *
 * Every record gets the next sequence number and is written before anything sends it; it
 * is removed only when delivered (vmon_rq_pop()), oldest first. The queue is a ring of
 * CONFIG_VMON_REPORTING_QUEUE_SLOTS records: when it is full the oldest record is dropped
 * (overwritten) and counted. Sequence numbers never repeat, across resets and power loss:
 * a block of them is reserved on flash before use (a reset skips the rest of the block).
 * A record is one NVS item, written atomically by NVS, with its own CRC-32: a torn or
 * corrupted one is counted and removed, never returned.
 *
 * Single-threaded: the reporting work item owns it. Returns 0 or a negative errno.
 */

#ifndef VMON_REPORTING_QUEUE_H_
#define VMON_REPORTING_QUEUE_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmon_payload.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VMON_RQ_CONFIRMED BIT(0) /**< deliver with an acknowledgment (alarms) */

struct vmon_rq_rec {
	uint32_t seq;
	uint8_t flags;
	uint8_t len;
	uint8_t data[VMON_PL_MAX_BYTES];
};

struct vmon_rq_stats {
	uint32_t depth;        /**< records waiting */
	uint32_t dropped;      /**< since boot: overwritten when full, or not storable */
	uint32_t store_errors; /**< since boot: flash writes or deletes that failed */
	uint32_t corrupt;      /**< since boot: records found torn or corrupted, removed */
	uint32_t boots;        /**< mounts of this queue since it was created */
	uint32_t next_seq;
};

/** Mount the queue on flash area @p area_id (erased or a previous queue): -EIO etc. */
int vmon_rq_init(uint8_t area_id);

/** The sequence number the next vmon_rq_push() must carry (after the reservation). */
uint32_t vmon_rq_next_seq(void);

/**
 * Store @p rec (seq == vmon_rq_next_seq(), 1 <= len <= VMON_PL_MAX_BYTES). Dropping the oldest
 * record when full. On a flash error the record is counted as dropped and the error returned;
 * what was stored before stays. -EINVAL for a bad record, -EACCES before vmon_rq_init();
 * VMON_BATTERY_REFUSED (battery.h, counted as dropped too) while the battery forbids writes.
 */
int vmon_rq_push(const struct vmon_rq_rec *rec);

/** The oldest record waiting: -ENODATA when empty. */
int vmon_rq_peek(struct vmon_rq_rec *out);

/** Remove the oldest record, which must be @p seq (delivered): -ESRCH otherwise;
 * VMON_BATTERY_REFUSED (it stays) while the battery forbids flash writes. */
int vmon_rq_pop(uint32_t seq);

void vmon_rq_stats(struct vmon_rq_stats *st);

#ifdef __cplusplus
}
#endif

#endif /* VMON_REPORTING_QUEUE_H_ */
