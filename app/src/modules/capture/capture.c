/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Raw sample capture (capture.h). The processing thread prints the block it just took,
 * before it copies its axis out, so the host gets exactly the counts the features see. The
 * base64 goes out in 64-character pieces from a stack buffer: nothing the size of a block is
 * kept in RAM. A line another thread's output splits fails its CRC on the host.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <zephyr/kernel.h>
#include <zephyr/logging/log.h>
#include <zephyr/shell/shell.h>
#include <zephyr/sys/atomic.h>
#include <zephyr/sys/base64.h>
#include <zephyr/sys/crc.h>
#include <zephyr/sys/printk.h>
#include <zephyr/sys/util.h>

#include <vmon_feature_config.h>

#include "capture.h"

LOG_MODULE_REGISTER(vmon_capture, LOG_LEVEL_INF);

#define PART        CONFIG_VMON_CAPTURE_PART_SAMPLES
#define CHUNK_BYTES 48 /* a multiple of 3: no base64 padding inside a line */
#define CHUNK_CHARS (CHUNK_BYTES / 3 * 4)
#define MAX_BLOCKS  1000000

/* The host reads the counts as little-endian int16, as they lie in memory. */
BUILD_ASSERT(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "capture sends memory order");
BUILD_ASSERT(CHUNK_BYTES % 3 == 0, "base64 pads only at the end of a part");

static atomic_t remaining;
static atomic_t restart; /* set by the shell: the processing thread clears its counters */
static uint32_t captured;
static uint32_t gaps;
static uint32_t next_seq;
static bool have_seq;

static void print_part(uint32_t seq, uint32_t k, const uint8_t *src, size_t bytes)
{
	char chunk[CHUNK_CHARS + 1];

	printk("@vmon raw {\"seq\":%u,\"p\":%u,\"n\":%u,\"crc\":\"%08x\",\"d\":\"", seq, k,
	       (unsigned int)(bytes / 2U), crc32_ieee(src, bytes));
	for (size_t i = 0; i < bytes; i += CHUNK_BYTES) {
		size_t olen;

		if (base64_encode((uint8_t *)chunk, sizeof(chunk), &olen, &src[i],
				  MIN(CHUNK_BYTES, bytes - i)) != 0) {
			break; /* cannot happen with this buffer; the CRC would tell the host */
		}
		printk("%s", chunk);
	}
	printk("\"}\n");
}

static void print_header(uint32_t blocks)
{
	printk("@vmon capture {\"blocks\":%u,\"fs\":%u,\"axes\":%u,\"len\":%u,\"part\":%u,"
	       "\"axis\":%u,\"full_scale_mg\":%u}\n",
	       blocks, VMON_SAMPLING_RATE_HZ, VMON_SAMPLING_AXES, VMON_SAMPLING_BLOCK_LEN, PART,
	       CONFIG_VMON_PROCESSING_AXIS, VMON_FEAT_FULL_SCALE_MG);
}

void vmon_capture_block(const struct vmon_sampling_block *block)
{
	if (atomic_get(&remaining) == 0) {
		return;
	}
	if (atomic_cas(&restart, 1, 0)) {
		captured = 0U;
		gaps = 0U;
		have_seq = false;
	}
	if (have_seq && block->seq != next_seq) {
		gaps++;
	}
	have_seq = true;
	next_seq = block->seq + 1U;

	const uint8_t *bytes = (const uint8_t *)block->data;
	size_t total = (size_t)block->len * block->axes;

	for (size_t off = 0, k = 0; off < total; off += PART, k++) {
		print_part(block->seq, k, &bytes[off * 2U], MIN(PART, total - off) * 2U);
	}
	captured++;
	if (atomic_dec(&remaining) == 1) {
		printk("@vmon capture {\"done\":%u,\"gaps\":%u}\n", captured, gaps);
	}
}

int vmon_capture_arm(uint32_t blocks)
{
	if (blocks > MAX_BLOCKS) {
		return -EINVAL;
	}
	atomic_set(&remaining, 0);
	if (blocks == 0U) {
		printk("@vmon capture {\"done\":%u,\"gaps\":%u,\"stopped\":true}\n", captured,
		       gaps);
		return 0;
	}
	atomic_set(&restart, 1);
	print_header(blocks);
	atomic_set(&remaining, (atomic_val_t)blocks);
	return 0;
}

uint32_t vmon_capture_remaining(void)
{
	return (uint32_t)atomic_get(&remaining);
}

static int cmd_capture(const struct shell *sh, size_t argc, char **argv)
{
	ARG_UNUSED(argc);
	char *end;
	unsigned long n;

	if (strcmp(argv[1], "stop") == 0) {
		return vmon_capture_arm(0U);
	}
	if (strcmp(argv[1], "info") == 0) {
		print_header(0U); /* what a capture would carry; blocks 0: nothing armed */
		return 0;
	}
	n = strtoul(argv[1], &end, 10);
	if (argv[1][0] == '-' || *end != '\0' || n == 0UL || n > MAX_BLOCKS) {
		shell_error(sh, "capture <blocks 1..%d> or capture stop, got '%s'", MAX_BLOCKS,
			    argv[1]);
		return -EINVAL;
	}
	return vmon_capture_arm((uint32_t)n);
}

SHELL_SUBCMD_ADD((vmon), capture, NULL,
		 "<blocks>: print the next raw sample blocks (@vmon raw lines); info; stop",
		 cmd_capture, 2, 0);
