/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Replay echo: receives blocks from the replay source and prints one line per block,
 *   echo seq=<seq> crc=<crc32 of the counts> blocks=... overruns=... bad_crc=...
 *        bad_length=... seq_gaps=... seq_missing=... sync_skipped=...
 * so a host (vmon.firmware.replay) can check that every block it streamed arrived intact.
 */

#include <zephyr/kernel.h>
#include <zephyr/logging/log.h>
#include <zephyr/sys/crc.h>
#include <zephyr/sys/printk.h>

#include "sampling.h"

LOG_MODULE_REGISTER(replay_echo, LOG_LEVEL_INF);

/* As deep as the pool: a put never fails while the pool has a buffer to fill. */
K_MSGQ_DEFINE(block_queue, sizeof(struct vmon_sampling_block *), CONFIG_VMON_SAMPLING_BUFFERS,
	      sizeof(void *));

static void on_block(struct vmon_sampling_block *block, void *user_data)
{
	ARG_UNUSED(user_data);

	if (k_msgq_put(&block_queue, &block, K_NO_WAIT) != 0) {
		(void)vmon_sampling_release(block);
	}
}

int main(void)
{
	int err = vmon_sampling_start(on_block, NULL);

	if (err < 0) {
		LOG_ERR("sampling did not start (%d)", err);
		return 0;
	}
	for (;;) {
		struct vmon_sampling_block *block;
		struct vmon_sampling_stats s;

		(void)k_msgq_get(&block_queue, &block, K_FOREVER);
		uint32_t seq = block->seq;
		uint32_t crc = crc32_ieee((const uint8_t *)block->data,
					  VMON_SAMPLING_BLOCK_COUNTS * sizeof(int16_t));

		(void)vmon_sampling_release(block);
		vmon_sampling_stats_get(&s);
		printk("echo seq=%u crc=%08x blocks=%u overruns=%u bad_crc=%u bad_length=%u "
		       "seq_gaps=%u seq_missing=%u sync_skipped=%u\n",
		       seq, crc, s.blocks, s.overruns, s.bad_crc, s.bad_length, s.seq_gaps,
		       s.seq_missing, s.sync_skipped);
	}
	return 0;
}
