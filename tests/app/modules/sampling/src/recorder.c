/*
 * SPDX-License-Identifier: Apache-2.0
 */

#include <string.h>

#include <zephyr/kernel.h>
#include <zephyr/sys/crc.h>

#include "recorder.h"

struct recorder recorder;

void recorder_reset(bool hold)
{
	recorder_release_held();
	memset(&recorder, 0, sizeof(recorder));
	recorder.hold = hold;
}

void recorder_cb(struct vmon_sampling_block *block, void *user_data)
{
	ARG_UNUSED(user_data);

	if (recorder.n < RECORDER_MAX) {
		struct record *r = &recorder.recs[recorder.n++];
		int16_t lo = INT16_MAX;
		int16_t hi = INT16_MIN;
		int32_t sum[3] = {0};

		for (size_t i = 0; i < VMON_SAMPLING_BLOCK_COUNTS; i++) {
			lo = MIN(lo, block->data[i]);
			hi = MAX(hi, block->data[i]);
			sum[i % VMON_SAMPLING_AXES] += block->data[i];
		}
		for (size_t a = 0; a < VMON_SAMPLING_AXES; a++) {
			r->mean[a] = sum[a] / VMON_SAMPLING_BLOCK_LEN;
		}
		r->seq = block->seq;
		r->crc = crc32_ieee((const uint8_t *)block->data,
				    VMON_SAMPLING_BLOCK_COUNTS * sizeof(int16_t));
		r->timestamp_us = block->timestamp_us;
		r->first = block->data[0];
		r->min = lo;
		r->max = hi;
		r->len = block->len;
		r->axes = block->axes;
	}
	if (recorder.hold && recorder.n_held < ARRAY_SIZE(recorder.held)) {
		recorder.held[recorder.n_held++] = block;
		return;
	}
	if (vmon_sampling_release(block) != 0) {
		recorder.release_errors++;
	}
}

void recorder_release_held(void)
{
	for (size_t i = 0; i < recorder.n_held; i++) {
		if (vmon_sampling_release(recorder.held[i]) != 0) {
			recorder.release_errors++;
		}
	}
	recorder.n_held = 0;
}
