/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Sampling core: the block pool, the counters, and delivery to the one consumer. The
 * source (a separate file chosen by Kconfig) fills pool buffers in place and completes
 * them with vmon_sampling_block_done().
 */

#include <errno.h>

#include <zephyr/kernel.h>
#include <zephyr/logging/log.h>
#include <zephyr/sys/atomic.h>
#include <zephyr/sys/util.h>

#include "sampling.h"
#include "sampling_internal.h"

LOG_MODULE_REGISTER(vmon_sampling, CONFIG_VMON_SAMPLING_LOG_LEVEL);

#define N_BUFFERS CONFIG_VMON_SAMPLING_BUFFERS

BUILD_ASSERT(VMON_SAMPLING_AXES == 1 || VMON_SAMPLING_AXES == 3,
	     "CONFIG_VMON_SAMPLING_AXES must be 1 or 3");
BUILD_ASSERT(IS_POWER_OF_TWO(VMON_SAMPLING_BLOCK_LEN),
	     "CONFIG_VMON_SAMPLING_BLOCK_LEN must be a power of two");
BUILD_ASSERT(VMON_SAMPLING_BLOCK_LEN <= UINT16_MAX, "block length must fit the u16 len field");
BUILD_ASSERT(N_BUFFERS >= 2 && N_BUFFERS <= 8, "2..8 buffers: one atomic_t holds the free set");

static int16_t buffers[N_BUFFERS][VMON_SAMPLING_BLOCK_COUNTS] __aligned(4);
static struct vmon_sampling_block blocks[N_BUFFERS];
/* Bit i set: buffer i is free. */
static atomic_t free_slots = ATOMIC_INIT(BIT_MASK(N_BUFFERS));
static atomic_t counters[VMON_SAMPLING_CNT_COUNT];
static atomic_t delivered;
static atomic_t running;
static atomic_t fault_state;
static atomic_t fault_causes;
static atomic_t fault_episodes;

static vmon_sampling_block_cb_t block_cb;
static void *block_cb_user;
/* Serializes start and stop. */
static K_MUTEX_DEFINE(control_lock);

struct vmon_sampling_block *vmon_sampling_block_alloc(void)
{
	for (;;) {
		atomic_val_t slots = atomic_get(&free_slots);

		if (slots == 0) {
			return NULL;
		}
		unsigned int slot = __builtin_ctz((unsigned int)slots);

		if (atomic_cas(&free_slots, slots, slots & ~BIT(slot))) {
			struct vmon_sampling_block *block = &blocks[slot];

			block->data = buffers[slot];
			block->len = VMON_SAMPLING_BLOCK_LEN;
			block->axes = VMON_SAMPLING_AXES;
			block->slot = (uint8_t)slot;
			return block;
		}
	}
}

void vmon_sampling_block_discard(struct vmon_sampling_block *block)
{
	(void)vmon_sampling_release(block);
}

void vmon_sampling_block_done(struct vmon_sampling_block *block, uint32_t seq,
			      uint64_t timestamp_us)
{
	block->seq = seq;
	block->timestamp_us = timestamp_us;
	if (!atomic_get(&running)) {
		vmon_sampling_block_discard(block);
		return;
	}
	atomic_inc(&delivered);
	block_cb(block, block_cb_user);
}

void vmon_sampling_count(enum vmon_sampling_counter counter, uint32_t n)
{
	if (counter < VMON_SAMPLING_CNT_COUNT && n > 0) {
		atomic_add(&counters[counter], (atomic_val_t)n);
	}
}

void vmon_sampling_fault_raise(uint32_t bits)
{
	atomic_val_t before = atomic_or(&fault_state, (atomic_val_t)bits);
	uint32_t started = bits & ~(uint32_t)before;

	(void)atomic_or(&fault_causes, (atomic_val_t)bits);
	if (started != 0U) {
		atomic_add(&fault_episodes, (atomic_val_t)__builtin_popcount(started));
		LOG_WRN("%s source fault 0x%02x", vmon_sampling_source_name, started);
	}
}

void vmon_sampling_fault_clear(uint32_t bits)
{
	atomic_val_t before = atomic_and(&fault_state, ~(atomic_val_t)bits);

	if (((uint32_t)before & bits) != 0U) {
		LOG_INF("%s source fault 0x%02x over", vmon_sampling_source_name,
			(uint32_t)before & bits);
	}
}

int vmon_sampling_release(struct vmon_sampling_block *block)
{
	if (block == NULL || block < &blocks[0] || block >= &blocks[N_BUFFERS] ||
	    block != &blocks[block->slot]) {
		return -EINVAL;
	}
	if (atomic_test_and_set_bit(&free_slots, block->slot)) {
		return -EALREADY;
	}
	return 0;
}

void vmon_sampling_stats_get(struct vmon_sampling_stats *stats)
{
	stats->blocks = (uint32_t)atomic_get(&delivered);
	stats->overruns = (uint32_t)atomic_get(&counters[VMON_SAMPLING_CNT_OVERRUNS]);
	stats->bad_crc = (uint32_t)atomic_get(&counters[VMON_SAMPLING_CNT_BAD_CRC]);
	stats->bad_length = (uint32_t)atomic_get(&counters[VMON_SAMPLING_CNT_BAD_LENGTH]);
	stats->seq_gaps = (uint32_t)atomic_get(&counters[VMON_SAMPLING_CNT_SEQ_GAPS]);
	stats->seq_missing = (uint32_t)atomic_get(&counters[VMON_SAMPLING_CNT_SEQ_MISSING]);
	stats->sync_skipped = (uint32_t)atomic_get(&counters[VMON_SAMPLING_CNT_SYNC_SKIPPED]);
	stats->fifo_overflows = (uint32_t)atomic_get(&counters[VMON_SAMPLING_CNT_FIFO_OVERFLOWS]);
	stats->samples_lost = (uint32_t)atomic_get(&counters[VMON_SAMPLING_CNT_SAMPLES_LOST]);
	stats->bus_errors = (uint32_t)atomic_get(&counters[VMON_SAMPLING_CNT_BUS_ERRORS]);
	stats->spurious_irqs = (uint32_t)atomic_get(&counters[VMON_SAMPLING_CNT_SPURIOUS_IRQS]);
	stats->restarts = (uint32_t)atomic_get(&counters[VMON_SAMPLING_CNT_RESTARTS]);
	stats->faults = (uint32_t)atomic_get(&fault_episodes);
	stats->fault_state = (uint32_t)atomic_get(&fault_state);
	stats->fault_causes = (uint32_t)atomic_get(&fault_causes);
}

bool vmon_sampling_is_running(void)
{
	return atomic_get(&running) != 0;
}

int vmon_sampling_start(vmon_sampling_block_cb_t cb, void *user_data)
{
	int err;

	if (cb == NULL) {
		return -EINVAL;
	}
	k_mutex_lock(&control_lock, K_FOREVER);
	if (atomic_get(&running)) {
		k_mutex_unlock(&control_lock);
		return -EALREADY;
	}
	if (IS_ENABLED(CONFIG_VMON_SAMPLING_WAKE)) {
		vmon_sampling_source_wake_disarm(); /* the sensor goes back to sampling */
	}
	block_cb = cb;
	block_cb_user = user_data;
	atomic_clear(&delivered);
	for (size_t i = 0; i < ARRAY_SIZE(counters); i++) {
		atomic_clear(&counters[i]);
	}
	atomic_clear(&fault_state);
	atomic_clear(&fault_causes);
	atomic_clear(&fault_episodes);
	atomic_set(&running, 1);
	err = vmon_sampling_source_start();
	if (err < 0) {
		atomic_clear(&running);
		LOG_ERR("%s source failed to start (%d)", vmon_sampling_source_name, err);
	} else {
		/* One line a host can wait for (vmon.firmware.replay looks for it). */
		LOG_INF("started: %s source, %u x %u-axis blocks at %u Hz",
			vmon_sampling_source_name, VMON_SAMPLING_BLOCK_LEN, VMON_SAMPLING_AXES,
			VMON_SAMPLING_RATE_HZ);
	}
	k_mutex_unlock(&control_lock);
	return err;
}

int vmon_sampling_wake_arm(vmon_sampling_wake_cb cb)
{
	int err;

	if (!IS_ENABLED(CONFIG_VMON_SAMPLING_WAKE)) {
		return -ENOTSUP;
	}
	if (cb == NULL) {
		return -EINVAL;
	}
	k_mutex_lock(&control_lock, K_FOREVER);
	err = atomic_get(&running) ? -EBUSY : vmon_sampling_source_wake_arm(cb);
	k_mutex_unlock(&control_lock);
	return err;
}

void vmon_sampling_wake_disarm(void)
{
	if (IS_ENABLED(CONFIG_VMON_SAMPLING_WAKE)) {
		k_mutex_lock(&control_lock, K_FOREVER);
		vmon_sampling_source_wake_disarm();
		k_mutex_unlock(&control_lock);
	}
}

int vmon_sampling_stop(void)
{
	k_mutex_lock(&control_lock, K_FOREVER);
	if (!atomic_get(&running)) {
		k_mutex_unlock(&control_lock);
		return -EALREADY;
	}
	atomic_clear(&running);
	vmon_sampling_source_stop();
	k_mutex_unlock(&control_lock);
	LOG_DBG("stopped");
	return 0;
}
