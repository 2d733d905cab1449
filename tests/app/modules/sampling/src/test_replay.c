/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The replay source's frame parser and the block pool, fed byte streams through
 * vmon_sampling_replay_feed() (the path the UART ISR takes, minus the UART).
 */

#include <errno.h>
#include <string.h>

#include <zephyr/kernel.h>
#include <zephyr/sys/byteorder.h>
#include <zephyr/sys/crc.h>
#include <zephyr/ztest.h>

#include "recorder.h"
#include "sampling.h"
#include "sampling_internal.h"

#define LEN        VMON_SAMPLING_BLOCK_LEN
#define AXES       VMON_SAMPLING_AXES
#define FRAME      VMON_REPLAY_FRAME_SIZE(LEN, AXES)
#define N_BUFFERS  CONFIG_VMON_SAMPLING_BUFFERS
#define MAX_FRAMES MAX(4, N_BUFFERS + 1)

static uint8_t stream[MAX_FRAMES * FRAME + 64];
static size_t stream_len;

static int16_t pattern(uint32_t seq, size_t i)
{
	return (int16_t)(seq * 977U + i * 31U - 1000U);
}

/* Append a frame to the stream; returns its offset. */
static size_t append_frame_ex(uint32_t seq, uint8_t version, uint8_t axes, uint16_t count,
			      bool zeros)
{
	size_t at = stream_len;
	size_t payload = 2U * count * axes;
	uint8_t *f = &stream[at];

	zassert_true(at + VMON_REPLAY_FRAME_SIZE(count, axes) <= sizeof(stream),
		     "test stream too small");
	f[0] = VMON_REPLAY_SYNC0;
	f[1] = VMON_REPLAY_SYNC1;
	f[2] = version;
	f[3] = axes;
	sys_put_le16(count, &f[4]);
	sys_put_le32(seq, &f[6]);
	for (size_t i = 0; i < (size_t)count * axes; i++) {
		sys_put_le16(zeros ? 0U : (uint16_t)pattern(seq, i), &f[10 + 2 * i]);
	}
	sys_put_le32(crc32_ieee(&f[2], 8 + payload), &f[10 + payload]);
	stream_len += VMON_REPLAY_FRAME_SIZE(count, axes);
	return at;
}

static size_t append_frame(uint32_t seq)
{
	return append_frame_ex(seq, VMON_REPLAY_VERSION, AXES, LEN, false);
}

static void append_bytes(const uint8_t *bytes, size_t n)
{
	zassert_true(stream_len + n <= sizeof(stream), "test stream too small");
	memcpy(&stream[stream_len], bytes, n);
	stream_len += n;
}

/* CRC-32 of the counts a good frame with this seq carries (as little-endian bytes). */
static uint32_t payload_crc(uint32_t seq)
{
	uint32_t crc = 0;

	for (size_t i = 0; i < LEN * AXES; i++) {
		uint8_t le[2];

		sys_put_le16((uint16_t)pattern(seq, i), le);
		crc = crc32_ieee_update(crc, le, sizeof(le));
	}
	return crc;
}

static void feed_chunked(size_t chunk)
{
	for (size_t off = 0; off < stream_len; off += chunk) {
		vmon_sampling_replay_feed(&stream[off], MIN(chunk, stream_len - off));
	}
}

static void feed(void)
{
	feed_chunked(stream_len);
}

static struct vmon_sampling_stats stats(void)
{
	struct vmon_sampling_stats s;

	vmon_sampling_stats_get(&s);
	return s;
}

static void assert_delivered(const uint32_t *seqs, size_t n)
{
	zassert_equal(recorder.n, n, "delivered %zu blocks, expected %zu", recorder.n, n);
	for (size_t i = 0; i < n; i++) {
		const struct record *r = &recorder.recs[i];

		zassert_equal(r->seq, seqs[i], "block %zu: seq %u, expected %u", i, r->seq, seqs[i]);
		zassert_equal(r->crc, payload_crc(seqs[i]), "block %zu: counts differ", i);
		zassert_equal(r->len, LEN);
		zassert_equal(r->axes, AXES);
		zassert_equal(r->first, pattern(seqs[i], 0));
	}
	zassert_equal(recorder.release_errors, 0);
}

static void restart(void)
{
	(void)vmon_sampling_stop();
	recorder_reset(false);
	zassert_ok(vmon_sampling_start(recorder_cb, NULL));
}

static void before(void *fixture)
{
	ARG_UNUSED(fixture);
	stream_len = 0;
	recorder_reset(false);
	zassert_ok(vmon_sampling_start(recorder_cb, NULL));
}

static void after(void *fixture)
{
	ARG_UNUSED(fixture);
	(void)vmon_sampling_stop();
	recorder_reset(false);
}

ZTEST(sampling_replay, test_good_frames)
{
	static const uint32_t seqs[] = {0, 1, 2};

	for (size_t i = 0; i < ARRAY_SIZE(seqs); i++) {
		append_frame(seqs[i]);
	}
	feed();
	assert_delivered(seqs, ARRAY_SIZE(seqs));

	struct vmon_sampling_stats s = stats();

	zassert_equal(s.blocks, 3);
	zassert_equal(s.overruns, 0);
	zassert_equal(s.bad_crc, 0);
	zassert_equal(s.bad_length, 0);
	zassert_equal(s.seq_gaps, 0);
	zassert_equal(s.seq_missing, 0);
	zassert_equal(s.sync_skipped, 0);
}

ZTEST(sampling_replay, test_split_across_reads)
{
	/* 1: every field split; 3 and 7: odd splits of the sync word, header and CRC. */
	static const size_t chunks[] = {1, 3, 7, 64, 1000, FRAME - 1, FRAME + 1};
	static const uint32_t seqs[] = {7, 8, 9};

	for (size_t i = 0; i < ARRAY_SIZE(seqs); i++) {
		append_frame(seqs[i]);
	}
	for (size_t c = 0; c < ARRAY_SIZE(chunks); c++) {
		restart();
		feed_chunked(chunks[c]);
		assert_delivered(seqs, ARRAY_SIZE(seqs));
		zassert_equal(stats().blocks, 3, "chunk %zu", chunks[c]);
		zassert_equal(stats().bad_crc + stats().bad_length + stats().sync_skipped, 0);
	}
}

ZTEST(sampling_replay, test_bad_crc_in_payload)
{
	static const uint32_t seqs[] = {0, 2};

	append_frame(0);
	size_t bad = append_frame(1);

	append_frame(2);
	stream[bad + VMON_REPLAY_HEADER_SIZE + 5] ^= 0x10;
	feed();
	assert_delivered(seqs, ARRAY_SIZE(seqs));

	struct vmon_sampling_stats s = stats();

	zassert_equal(s.bad_crc, 1);
	zassert_equal(s.bad_length, 0);
	zassert_equal(s.seq_gaps, 1);
	zassert_equal(s.seq_missing, 1);
	zassert_equal(s.overruns, 0);
}

ZTEST(sampling_replay, test_bad_crc_in_trailer_and_header_seq)
{
	static const uint32_t seqs[] = {0, 3};

	append_frame(0);
	size_t bad = append_frame(1);
	size_t bad_seq = append_frame(2);

	append_frame(3);
	stream[bad + FRAME - 1] ^= 0x80;       /* the CRC itself */
	stream[bad_seq + 6] ^= 0x01;           /* seq: covered by the CRC */
	feed();
	assert_delivered(seqs, ARRAY_SIZE(seqs));
	zassert_equal(stats().bad_crc, 2);
	zassert_equal(stats().seq_missing, 2);
}

ZTEST(sampling_replay, test_bad_length)
{
	static const uint32_t seqs[] = {0, 1};

	append_frame(0);
	/* Zero payloads cannot hold a false sync word: every byte of the bad frames is skipped. */
	append_frame_ex(100, VMON_REPLAY_VERSION, AXES, LEN / 2, true);
	append_frame(1);
	feed();
	assert_delivered(seqs, ARRAY_SIZE(seqs));

	struct vmon_sampling_stats s = stats();

	zassert_equal(s.bad_length, 1);
	zassert_equal(s.bad_crc, 0);
	zassert_equal(s.seq_gaps, 0);
	zassert_equal(s.sync_skipped, VMON_REPLAY_FRAME_SIZE(LEN / 2, AXES));
}

ZTEST(sampling_replay, test_bad_axes_and_version)
{
	static const uint32_t seqs[] = {4};
	uint8_t other_axes = AXES == 1 ? 3 : 1;

	append_frame_ex(1, VMON_REPLAY_VERSION, other_axes, LEN / 4, true);
	append_frame_ex(2, VMON_REPLAY_VERSION + 1, AXES, LEN / 4, true);
	append_frame(4);
	feed();
	assert_delivered(seqs, ARRAY_SIZE(seqs));
	zassert_equal(stats().bad_length, 2);
	zassert_equal(stats().sync_skipped, VMON_REPLAY_FRAME_SIZE(LEN / 4, other_axes) +
						    VMON_REPLAY_FRAME_SIZE(LEN / 4, AXES));
}

ZTEST(sampling_replay, test_garbage_before_sync)
{
	static const uint32_t seqs[] = {42};
	uint8_t garbage[37];

	for (size_t i = 0; i < sizeof(garbage); i++) {
		garbage[i] = (uint8_t)(i * 7U + 1U);
	}
	garbage[sizeof(garbage) - 2] = VMON_REPLAY_SYNC0; /* a lone first sync byte, then A5 A5 5A */
	garbage[sizeof(garbage) - 1] = VMON_REPLAY_SYNC0;
	append_bytes(garbage, sizeof(garbage));
	append_frame(42);
	feed_chunked(5);
	assert_delivered(seqs, ARRAY_SIZE(seqs));
	zassert_equal(stats().sync_skipped, sizeof(garbage));
	zassert_equal(stats().bad_length, 0);
}

ZTEST(sampling_replay, test_false_sync_resyncs_inside_header)
{
	/* A5 5A starts a bogus header (version 7) that contains the real frame's sync word. */
	static const uint8_t bogus[] = {VMON_REPLAY_SYNC0, VMON_REPLAY_SYNC1, 7, 0};
	static const uint32_t seqs[] = {5, 6};

	append_bytes(bogus, sizeof(bogus));
	append_frame(5);
	append_frame(6);
	feed_chunked(1);
	assert_delivered(seqs, ARRAY_SIZE(seqs));
	zassert_equal(stats().bad_length, 1);
	zassert_equal(stats().sync_skipped, sizeof(bogus));
}

ZTEST(sampling_replay, test_sequence_gaps)
{
	static const uint32_t seqs[] = {0, 1, 5, 2};

	for (size_t i = 0; i < ARRAY_SIZE(seqs); i++) {
		append_frame(seqs[i]);
	}
	feed();
	assert_delivered(seqs, ARRAY_SIZE(seqs));

	struct vmon_sampling_stats s = stats();

	/* 1 -> 5 misses three frames; 5 -> 2 goes back (host restarted): a gap, none missing. */
	zassert_equal(s.seq_gaps, 2);
	zassert_equal(s.seq_missing, 3);
	zassert_equal(s.bad_crc + s.bad_length + s.overruns, 0);
}

ZTEST(sampling_replay, test_sequence_wraps)
{
	static const uint32_t seqs[] = {UINT32_MAX - 1, UINT32_MAX, 0};

	for (size_t i = 0; i < ARRAY_SIZE(seqs); i++) {
		append_frame(seqs[i]);
	}
	feed();
	assert_delivered(seqs, ARRAY_SIZE(seqs));
	zassert_equal(stats().seq_gaps, 0);
}

ZTEST(sampling_replay, test_truncated_frame_recovers)
{
	append_frame(0);
	append_frame(1);
	append_frame(2);
	/* Cut 10 bytes out of frame 0: it swallows the start of frame 1 and fails its CRC. */
	memmove(&stream[FRAME - 10], &stream[FRAME], stream_len - FRAME);
	stream_len -= 10;
	feed_chunked(13);

	zassert_true(recorder.n >= 1);
	zassert_equal(recorder.recs[recorder.n - 1].seq, 2);
	zassert_equal(recorder.recs[recorder.n - 1].crc, payload_crc(2));
	zassert_equal(stats().bad_crc, 1);
}

ZTEST(sampling_replay, test_overrun_when_consumer_holds_buffers)
{
	uint32_t seqs[N_BUFFERS + 1];

	recorder.hold = true;
	for (uint32_t i = 0; i <= N_BUFFERS; i++) {
		append_frame(i);
		seqs[i] = i;
	}
	feed();
	/* Every buffer held: the last frame has nowhere to go. */
	assert_delivered(seqs, N_BUFFERS);
	zassert_equal(stats().overruns, 1);
	zassert_equal(stats().seq_gaps, 0, "a good frame without a buffer is not a stream gap");

	/* Released: the next frame is delivered; its seq shows the consumer the lost block. */
	recorder_release_held();
	recorder.hold = false;
	stream_len = 0;
	append_frame(N_BUFFERS + 1);
	seqs[N_BUFFERS] = N_BUFFERS + 1;
	feed();
	assert_delivered(seqs, N_BUFFERS + 1);
	zassert_equal(stats().blocks, N_BUFFERS + 1);
	zassert_equal(stats().overruns, 1);
}

ZTEST(sampling_replay, test_timestamps)
{
	uint64_t before_us = k_ticks_to_us_floor64((uint64_t)k_uptime_ticks());

	append_frame(0);
	feed();
	zassert_equal(recorder.n, 1);
	/* The block's first sample: one block duration before it completed. */
	zassert_true(recorder.recs[0].timestamp_us + VMON_SAMPLING_BLOCK_US >= before_us ||
		     before_us < VMON_SAMPLING_BLOCK_US);
	zassert_true(recorder.recs[0].timestamp_us <=
		     k_ticks_to_us_floor64((uint64_t)k_uptime_ticks()));
}

ZTEST(sampling_replay, test_api_errors)
{
	struct vmon_sampling_block foreign = {0};

	zassert_equal(vmon_sampling_start(recorder_cb, NULL), -EALREADY);
	zassert_equal(vmon_sampling_release(NULL), -EINVAL);
	zassert_equal(vmon_sampling_release(&foreign), -EINVAL);
	zassert_true(vmon_sampling_is_running());

	recorder.hold = true;
	append_frame(0);
	feed();
	zassert_equal(recorder.n_held, 1);
	struct vmon_sampling_block *block = recorder.held[0];

	recorder.n_held = 0;
	zassert_ok(vmon_sampling_release(block));
	zassert_equal(vmon_sampling_release(block), -EALREADY);

	zassert_ok(vmon_sampling_stop());
	zassert_false(vmon_sampling_is_running());
	zassert_equal(vmon_sampling_stop(), -EALREADY);
	zassert_equal(vmon_sampling_start(NULL, NULL), -EINVAL);

	/* Stopped: bytes are ignored. */
	recorder.hold = false;
	feed();
	zassert_equal(recorder.n, 1);
}

ZTEST(sampling_replay, test_stop_mid_frame_returns_buffer)
{
	append_frame(0);
	vmon_sampling_replay_feed(stream, FRAME / 2);
	zassert_ok(vmon_sampling_stop());
	/* Every buffer is free again: a fresh start takes CONFIG_VMON_SAMPLING_BUFFERS frames. */
	recorder_reset(true);
	zassert_ok(vmon_sampling_start(recorder_cb, NULL));
	stream_len = 0;
	for (uint32_t i = 0; i < N_BUFFERS; i++) {
		append_frame(i);
	}
	feed();
	zassert_equal(recorder.n, N_BUFFERS);
	zassert_equal(stats().overruns, 0);
}

ZTEST_SUITE(sampling_replay, NULL, NULL, before, after, NULL);
