/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Raw sample capture (CONFIG_VMON_CAPTURE): the blocks the processing module takes, printed
 * unchanged on the console for `invoke capture`. Line format (docs/capture.md):
 *
 *   @vmon capture {"blocks":N,"fs":12000,"axes":1,"len":512,"part":128,"full_scale_mg":16000}
 *   @vmon raw {"seq":S,"p":K,"n":128,"crc":"1a2b3c4d","d":"<base64 of n int16 LE>"}
 *   @vmon capture {"done":N,"gaps":G}
 *
 * `vmon capture info` prints the first line with "blocks":0 and arms nothing: the host sizes
 * its request from the rate and block length.
 */

#ifndef VMON_CAPTURE_H_
#define VMON_CAPTURE_H_

#include <stdint.h>

#include "sampling.h"

#if defined(CONFIG_VMON_CAPTURE)

/** Capture the next @p blocks blocks (0 stops a capture): 0 or -EINVAL. */
int vmon_capture_arm(uint32_t blocks);

/** Blocks still to capture. */
uint32_t vmon_capture_remaining(void);

/** Processing thread: print the block if a capture is armed (before anything changes it). */
void vmon_capture_block(const struct vmon_sampling_block *block);

#else

static inline void vmon_capture_block(const struct vmon_sampling_block *block)
{
	(void)block;
}

#endif

#endif /* VMON_CAPTURE_H_ */
