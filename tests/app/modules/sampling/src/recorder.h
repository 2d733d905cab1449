/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * A test consumer: records what every delivered block looked like, and releases it at
 * once or holds it (to provoke overruns).
 */

#ifndef VMON_SAMPLING_TEST_RECORDER_H_
#define VMON_SAMPLING_TEST_RECORDER_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sampling.h"

#define RECORDER_MAX 128

struct record {
	uint32_t seq;
	/* CRC-32 of the block's counts as little-endian bytes. */
	uint32_t crc;
	uint64_t timestamp_us;
	int16_t first;
	/* Mean of each axis. */
	int32_t mean[3];
	int16_t min;
	int16_t max;
	uint16_t len;
	uint8_t axes;
};

struct recorder {
	struct record recs[RECORDER_MAX];
	size_t n;
	bool hold;
	struct vmon_sampling_block *held[CONFIG_VMON_SAMPLING_BUFFERS];
	size_t n_held;
	/* Releases that failed: the callback runs outside the test thread. */
	uint32_t release_errors;
};

extern struct recorder recorder;

void recorder_reset(bool hold);
void recorder_cb(struct vmon_sampling_block *block, void *user_data);
void recorder_release_held(void);

#endif /* VMON_SAMPLING_TEST_RECORDER_H_ */
