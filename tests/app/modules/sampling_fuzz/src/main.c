/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * libFuzzer target: the replay source's frame parser (source_replay.c: sync hunt, header
 * checks, payload into the pool's blocks, CRC, sequence gaps), on native_sim with ASan and
 * UBSan, fed through vmon_sampling_replay_feed(), the path the UART ISR takes.
 *
 * Input: byte 0 is the mode, the rest the byte stream.
 *   bit 0: write the right CRC into every whole frame that follows a sync word and a header
 *          of this build's block, so the fuzzer reaches good frames (a CRC proves only that
 *          the bytes are what the host sent);
 *   bit 1: hold every delivered block until the stream ends (the consumer is slow: overruns);
 *   bits 2-7: the seed of the chunk sizes of the second pass.
 * Checks, besides crashes and sanitizer reports:
 *   - the stream fed whole and fed in random chunks (1 to a frame and a half) gives the same
 *     blocks, sequence numbers and counters: the parser's state survives any split;
 *   - every delivered block is a frame that is in the stream, byte for byte (no block is
 *     made of bytes from two frames or of a frame with a wrong CRC);
 *   - the counters are bounded by what the stream can hold.
 * A failed check calls abort(): libFuzzer records the input as a crash.
 */

#include <string.h>

#include <zephyr/kernel.h>
#include <zephyr/sys/byteorder.h>
#include <zephyr/sys/crc.h>

#include "fuzz_check.h"
#include "fuzz_os.h"
#include "sampling.h"
#include "sampling_internal.h"

#define LEN       VMON_SAMPLING_BLOCK_LEN
#define AXES      VMON_SAMPLING_AXES
#define COUNTS    (LEN * AXES)
#define FRAME     VMON_REPLAY_FRAME_SIZE(LEN, AXES)
#define INPUT_MAX 4096U
#define BLOCKS    (INPUT_MAX / FRAME + 1U)

BUILD_ASSERT(FRAME <= INPUT_MAX / 8U, "blocks short enough for several frames per input");

struct pass {
	size_t n;
	uint32_t seq[BLOCKS];
	int16_t data[BLOCKS][COUNTS];
	struct vmon_sampling_stats st;
	struct vmon_sampling_block *held[CONFIG_VMON_SAMPLING_BUFFERS];
	size_t n_held;
	bool hold;
};

static struct pass whole, chunked;
static struct pass *cur;
static uint8_t stream[INPUT_MAX];

static void on_block(struct vmon_sampling_block *block, void *user_data)
{
	ARG_UNUSED(user_data);
	CHECK(cur->n < BLOCKS, "more blocks than frames fit in the stream");
	CHECK(block->len == LEN && block->axes == AXES, "block shape %u x %u", block->len,
	      block->axes);
	cur->seq[cur->n] = block->seq;
	memcpy(cur->data[cur->n], block->data, sizeof(cur->data[0]));
	cur->n++;
	if (cur->hold) {
		CHECK(cur->n_held < ARRAY_SIZE(cur->held), "more blocks held than the pool has");
		cur->held[cur->n_held++] = block;
	} else {
		CHECK(vmon_sampling_release(block) == 0, "release");
	}
}

static uint32_t xorshift(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void run_pass(struct pass *p, size_t len, bool hold, uint32_t chunk_seed)
{
	memset(p, 0, sizeof(*p));
	p->hold = hold;
	cur = p;
	CHECK(vmon_sampling_start(on_block, NULL) == 0, "start");
	if (chunk_seed == 0U) {
		vmon_sampling_replay_feed(stream, len);
	} else {
		for (size_t at = 0; at < len;) {
			/* Not inside MIN(): it evaluates its arguments twice. */
			size_t r = 1U + xorshift(&chunk_seed) % (FRAME + FRAME / 2U);
			size_t n = MIN(len - at, r);

			vmon_sampling_replay_feed(&stream[at], n);
			at += n;
		}
	}
	vmon_sampling_stats_get(&p->st);
	CHECK(vmon_sampling_stop() == 0, "stop");
	for (size_t i = 0; i < p->n_held; i++) {
		CHECK(vmon_sampling_release(p->held[i]) == 0, "release held");
	}
}

static bool header_ok(const uint8_t *f)
{
	return f[0] == VMON_REPLAY_SYNC0 && f[1] == VMON_REPLAY_SYNC1 &&
	       f[2] == VMON_REPLAY_VERSION && f[3] == AXES && sys_get_le16(&f[4]) == LEN;
}

static void fix_crcs(size_t len)
{
	for (size_t i = 0; i + FRAME <= len; i++) {
		if (header_ok(&stream[i])) {
			uint32_t crc = crc32_ieee(&stream[i + 2U], FRAME - 2U - 4U);

			sys_put_le32(crc, &stream[i + FRAME - 4U]);
		}
	}
}

/* The frame block @p k of @p p came from, as the host would have sent it. */
static bool in_stream(const struct pass *p, size_t k, size_t len)
{
	static uint8_t f[FRAME];

	f[0] = VMON_REPLAY_SYNC0;
	f[1] = VMON_REPLAY_SYNC1;
	f[2] = VMON_REPLAY_VERSION;
	f[3] = AXES;
	sys_put_le16(LEN, &f[4]);
	sys_put_le32(p->seq[k], &f[6]);
	for (size_t i = 0; i < COUNTS; i++) {
		sys_put_le16((uint16_t)p->data[k][i], &f[10U + 2U * i]);
	}
	sys_put_le32(crc32_ieee(&f[2], FRAME - 6U), &f[FRAME - 4U]);
	for (size_t i = 0; i + FRAME <= len; i++) {
		/* The sync word first: memcmp() is an intercepted call under ASan. */
		if (stream[i] == f[0] && stream[i + 1U] == f[1] && memcmp(&stream[i], f, FRAME) == 0) {
			return true;
		}
	}
	return false;
}

static void one_input(const uint8_t *data, size_t sz)
{
	if (sz < 1U || sz - 1U > INPUT_MAX) {
		return;
	}
	const uint8_t mode = data[0];
	const size_t len = sz - 1U;
	const bool hold = (mode & 2U) != 0U;

	memcpy(stream, data + 1, len);
	if ((mode & 1U) != 0U) {
		fix_crcs(len);
	}
	run_pass(&whole, len, hold, 0U);
	run_pass(&chunked, len, hold, 0x9E3779B9U ^ (mode >> 2));

	CHECK(whole.n == chunked.n, "%zu blocks whole, %zu chunked", whole.n, chunked.n);
	CHECK(memcmp(whole.seq, chunked.seq, whole.n * sizeof(whole.seq[0])) == 0 &&
		      memcmp(whole.data, chunked.data, whole.n * sizeof(whole.data[0])) == 0,
	      "other blocks when chunked");
	CHECK(memcmp(&whole.st, &chunked.st, sizeof(whole.st)) == 0,
	      "other counters when chunked: blocks %u/%u overruns %u/%u bad_crc %u/%u "
	      "bad_length %u/%u gaps %u/%u missing %u/%u skipped %u/%u",
	      whole.st.blocks, chunked.st.blocks, whole.st.overruns, chunked.st.overruns,
	      whole.st.bad_crc, chunked.st.bad_crc, whole.st.bad_length, chunked.st.bad_length,
	      whole.st.seq_gaps, chunked.st.seq_gaps, whole.st.seq_missing,
	      chunked.st.seq_missing, whole.st.sync_skipped, chunked.st.sync_skipped);
	for (size_t k = 0; k < whole.n; k++) {
		CHECK(in_stream(&whole, k, len), "block %zu (seq %u) is no frame of the stream", k,
		      whole.seq[k]);
	}
	const struct vmon_sampling_stats *st = &whole.st;

	CHECK(st->blocks == whole.n, "blocks counted %u, delivered %zu", st->blocks, whole.n);
	CHECK(st->blocks + st->overruns + st->bad_crc <= len / FRAME,
	      "%u frames ended in %zu bytes", st->blocks + st->overruns + st->bad_crc, len);
	CHECK(!hold || st->blocks <= CONFIG_VMON_SAMPLING_BUFFERS, "held more than the pool");
	CHECK(st->bad_length <= len / 2U && st->sync_skipped <= len, "hunt counters");
	CHECK(st->seq_gaps <= st->blocks + st->overruns, "gaps between good frames");
}

int main(void)
{
	vmon_fuzz_os_run("replay frame parser", one_input);
	return 0;
}
