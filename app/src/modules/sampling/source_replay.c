/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Replay source: a host streams recorded blocks as frames (format in sampling.h,
 * docs/replay.md) over the UART named by the devicetree chosen node vmon,replay-uart.
 *
 * The UART's RX interrupt reads the FIFO straight into wherever the parser wants the next
 * bytes: a small header or trailer buffer, or the pool block being filled, so the payload
 * is never copied. The CRC is updated as bytes arrive; a complete good frame is delivered
 * from the ISR.
 */

#include <errno.h>
#include <string.h>

#include <zephyr/device.h>
#include <zephyr/devicetree.h>
#include <zephyr/drivers/uart.h>
#include <zephyr/kernel.h>
#include <zephyr/logging/log.h>
#include <zephyr/spinlock.h>
#include <zephyr/sys/byteorder.h>
#include <zephyr/sys/crc.h>
#include <zephyr/sys/util.h>

#include "sampling.h"
#include "sampling_internal.h"

LOG_MODULE_REGISTER(vmon_sampling_replay, CONFIG_VMON_SAMPLING_LOG_LEVEL);

#define REPLAY_UART_NODE DT_CHOSEN(vmon_replay_uart)

BUILD_ASSERT(DT_NODE_HAS_STATUS(REPLAY_UART_NODE, okay),
	     "replay source: set the devicetree chosen node vmon,replay-uart to an enabled UART "
	     "(app/boards/<board>.overlay)");
BUILD_ASSERT(COND_CODE_1(DT_HAS_CHOSEN(zephyr_console),
			 (!DT_SAME_NODE(REPLAY_UART_NODE, DT_CHOSEN(zephyr_console))), (1)),
	     "replay source: vmon,replay-uart must not be the console UART");

/* Header bytes after the sync word: version, axes, count, seq. */
#define HDR_BYTES     (VMON_REPLAY_HEADER_SIZE - 2)
#define PAYLOAD_BYTES (VMON_SAMPLING_BLOCK_COUNTS * sizeof(int16_t))

BUILD_ASSERT(HDR_BYTES == 8, "header layout: version u8, axes u8, count u16, seq u32");

enum parser_state {
	HUNT,
	HEADER,
	PAYLOAD,
	TRAILER,
};

struct replay_parser {
	enum parser_state state;
	/* Previous byte while hunting for the sync word. */
	uint8_t prev;
	uint8_t hdr_len;
	uint8_t trl_len;
	uint8_t hdr[HDR_BYTES];
	uint8_t trl[VMON_REPLAY_TRAILER_SIZE];
	/* Hunted bytes and the payload of frames with no free buffer land here. */
	uint8_t scratch[32];
	/* Where the bytes of the last parser_space() go. */
	uint8_t *dst;
	/* The block being filled; NULL while a frame is skipped for want of a buffer. */
	struct vmon_sampling_block *block;
	size_t pos;
	uint32_t crc;
	uint32_t seq;
	uint32_t last_seq;
	bool have_last;
	/* Bytes seen since the last sync word, sync bytes included. */
	uint32_t hunted;
};

static const struct device *const replay_uart = DEVICE_DT_GET(REPLAY_UART_NODE);
static struct replay_parser parser;
static struct k_spinlock lock;
static bool active;

const char *const vmon_sampling_source_name = "replay";

static void parser_reset(struct replay_parser *p)
{
	if (p->block != NULL) {
		vmon_sampling_block_discard(p->block);
	}
	memset(p, 0, sizeof(*p));
	p->state = HUNT;
}

/* One byte while hunting; true when it completes a sync word. */
static bool hunt_byte(struct replay_parser *p, uint8_t byte)
{
	p->hunted++;
	if (p->prev == VMON_REPLAY_SYNC0 && byte == VMON_REPLAY_SYNC1) {
		vmon_sampling_count(VMON_SAMPLING_CNT_SYNC_SKIPPED, p->hunted - 2U);
		p->hunted = 0;
		p->prev = 0;
		p->state = HEADER;
		p->hdr_len = 0;
		return true;
	}
	p->prev = byte;
	return false;
}

/* The header after a sync word was rejected: the next sync may start inside it. */
static void rehunt_header(struct replay_parser *p)
{
	p->state = HUNT;
	p->prev = 0;
	p->hunted = 2; /* the rejected sync word */
	for (size_t i = 0; i < HDR_BYTES; i++) {
		if (hunt_byte(p, p->hdr[i])) {
			size_t rest = HDR_BYTES - 1 - i;

			memmove(p->hdr, &p->hdr[i + 1], rest);
			p->hdr_len = (uint8_t)rest;
			return;
		}
	}
}

static void header_complete(struct replay_parser *p)
{
	uint8_t version = p->hdr[0];
	uint8_t axes = p->hdr[1];
	uint16_t count = sys_get_le16(&p->hdr[2]);

	if (version != VMON_REPLAY_VERSION || axes != VMON_SAMPLING_AXES ||
	    count != VMON_SAMPLING_BLOCK_LEN) {
		vmon_sampling_count(VMON_SAMPLING_CNT_BAD_LENGTH, 1);
		LOG_DBG("bad header: version %u axes %u count %u", version, axes, count);
		rehunt_header(p);
		return;
	}
	p->seq = sys_get_le32(&p->hdr[4]);
	p->crc = crc32_ieee_update(0, p->hdr, HDR_BYTES);
	p->block = vmon_sampling_block_alloc();
	p->pos = 0;
	p->state = PAYLOAD;
}

/* The frame's last byte arrived: the good block to deliver, or NULL. */
static struct vmon_sampling_block *frame_complete(struct replay_parser *p, uint32_t *seq)
{
	struct vmon_sampling_block *block = p->block;

	p->block = NULL;
	p->state = HUNT;
	p->prev = 0;
	p->hunted = 0;

	if (sys_get_le32(p->trl) != p->crc) {
		vmon_sampling_count(VMON_SAMPLING_CNT_BAD_CRC, 1);
		if (block != NULL) {
			vmon_sampling_block_discard(block);
		}
		return NULL;
	}
	if (p->have_last && p->seq != p->last_seq + 1U) {
		uint32_t ahead = p->seq - (p->last_seq + 1U);

		vmon_sampling_count(VMON_SAMPLING_CNT_SEQ_GAPS, 1);
		if (ahead < 0x80000000U) {
			vmon_sampling_count(VMON_SAMPLING_CNT_SEQ_MISSING, ahead);
		}
	}
	p->have_last = true;
	p->last_seq = p->seq;
	if (block == NULL) {
		vmon_sampling_count(VMON_SAMPLING_CNT_OVERRUNS, 1);
		return NULL;
	}
	if (IS_ENABLED(CONFIG_BIG_ENDIAN)) {
		for (size_t i = 0; i < VMON_SAMPLING_BLOCK_COUNTS; i++) {
			block->data[i] = (int16_t)sys_le16_to_cpu((uint16_t)block->data[i]);
		}
	}
	*seq = p->seq;
	return block;
}

/* Where the next received bytes go, and how many fit there. */
static size_t parser_space(struct replay_parser *p)
{
	size_t space;

	switch (p->state) {
	case HEADER:
		p->dst = &p->hdr[p->hdr_len];
		space = HDR_BYTES - p->hdr_len;
		break;
	case PAYLOAD:
		space = PAYLOAD_BYTES - p->pos;
		if (p->block != NULL) {
			p->dst = (uint8_t *)p->block->data + p->pos;
		} else {
			p->dst = p->scratch;
			space = MIN(space, sizeof(p->scratch));
		}
		break;
	case TRAILER:
		p->dst = &p->trl[p->trl_len];
		space = sizeof(p->trl) - p->trl_len;
		break;
	case HUNT:
	default:
		p->dst = p->scratch;
		space = 1;
		break;
	}
	return space;
}

/* @p n bytes (at most parser_space()) were written to p->dst. */
static struct vmon_sampling_block *parser_commit(struct replay_parser *p, size_t n, uint32_t *seq)
{
	switch (p->state) {
	case HEADER:
		p->hdr_len += (uint8_t)n;
		if (p->hdr_len == HDR_BYTES) {
			header_complete(p);
		}
		break;
	case PAYLOAD:
		p->crc = crc32_ieee_update(p->crc, p->dst, n);
		p->pos += n;
		if (p->pos == PAYLOAD_BYTES) {
			p->state = TRAILER;
			p->trl_len = 0;
		}
		break;
	case TRAILER:
		p->trl_len += (uint8_t)n;
		if (p->trl_len == sizeof(p->trl)) {
			return frame_complete(p, seq);
		}
		break;
	case HUNT:
	default:
		(void)hunt_byte(p, p->dst[0]);
		break;
	}
	return NULL;
}

static void deliver(struct vmon_sampling_block *block, uint32_t seq)
{
	uint64_t now_us = k_ticks_to_us_floor64((uint64_t)k_uptime_ticks());
	uint64_t start_us = now_us > VMON_SAMPLING_BLOCK_US ? now_us - VMON_SAMPLING_BLOCK_US : 0;

	vmon_sampling_block_done(block, seq, start_us);
}

void vmon_sampling_replay_feed(const uint8_t *data, size_t len)
{
	while (len > 0) {
		struct vmon_sampling_block *done = NULL;
		uint32_t seq = 0;
		size_t n = 0;
		k_spinlock_key_t key = k_spin_lock(&lock);

		if (active) {
			n = MIN(parser_space(&parser), len);
			memcpy(parser.dst, data, n);
			done = parser_commit(&parser, n, &seq);
		}
		k_spin_unlock(&lock, key);
		if (n == 0) {
			return;
		}
		data += n;
		len -= n;
		if (done != NULL) {
			deliver(done, seq);
		}
	}
}

static void replay_uart_isr(const struct device *dev, void *user_data)
{
	ARG_UNUSED(user_data);

	if (!uart_irq_update(dev)) {
		return;
	}
	while (uart_irq_rx_ready(dev)) {
		struct vmon_sampling_block *done = NULL;
		uint32_t seq = 0;
		int n = 0;
		k_spinlock_key_t key = k_spin_lock(&lock);

		if (active) {
			/* Straight from the FIFO into the block (or header/trailer). */
			size_t space = parser_space(&parser);

			n = uart_fifo_read(dev, parser.dst, (int)space);
			if (n > 0) {
				done = parser_commit(&parser, (size_t)n, &seq);
			}
		}
		k_spin_unlock(&lock, key);
		if (n <= 0) {
			if (!active) {
				/* Stopping: do not let a pending byte re-enter the ISR forever. */
				uart_irq_rx_disable(dev);
			}
			break;
		}
		if (done != NULL) {
			deliver(done, seq);
		}
	}
}

int vmon_sampling_source_start(void)
{
	int err;

	if (!device_is_ready(replay_uart)) {
		LOG_ERR("replay UART %s not ready", replay_uart->name);
		return -ENODEV;
	}
	K_SPINLOCK(&lock) {
		parser_reset(&parser);
		active = true;
	}
	err = uart_irq_callback_user_data_set(replay_uart, replay_uart_isr, NULL);
	if (err < 0) {
		K_SPINLOCK(&lock) {
			active = false;
		}
		LOG_ERR("replay UART %s has no interrupt-driven API (%d)", replay_uart->name, err);
		return err;
	}
	uart_irq_rx_enable(replay_uart);
	LOG_DBG("listening on %s", replay_uart->name);
	return 0;
}

void vmon_sampling_source_stop(void)
{
	uart_irq_rx_disable(replay_uart);
	K_SPINLOCK(&lock) {
		active = false;
		parser_reset(&parser);
	}
}
