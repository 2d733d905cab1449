/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Store-and-forward queue on NVS (queue.h). NVS item 0 is the header (format, reserved
 * sequence numbers, mounts); the records are a ring of positions, item 1 + (pos % SLOTS)
 * holding the record at position pos. Positions are consecutive; sequence numbers are not
 * (a reboot skips the rest of a reserved block), which is why the ring counts positions. The
 * RAM state is the ring's ends, the next sequence number and one bit per slot, rebuilt from
 * flash at mount.
 */

#include <errno.h>
#include <string.h>

#include <zephyr/drivers/flash.h>
#include <zephyr/fs/nvs.h>
#include <zephyr/logging/log.h>
#include <zephyr/storage/flash_map.h>
#include <zephyr/sys/crc.h>
#include <zephyr/sys/util.h>

#include "battery.h"
#include "queue.h"

LOG_MODULE_REGISTER(vmon_queue, CONFIG_VMON_REPORTING_LOG_LEVEL);

#define SLOTS      CONFIG_VMON_REPORTING_QUEUE_SLOTS
#define SEQ_BLOCK  16U /* sequence numbers reserved per header write */
#define META_ID    0U
#define META_MAGIC 0x32515256U /* "VRQ2": format 2 */

BUILD_ASSERT(SLOTS >= 2 && SLOTS <= 1024, "queue slots");
BUILD_ASSERT(VMON_PL_MAX_BYTES <= UINT8_MAX, "a record length is one byte");

struct meta {
	uint32_t magic;
	uint32_t seq_reserved; /* no record carries this number or a higher one */
	uint32_t boots;
	uint32_t crc;
};

/* A slot on flash: header, data, CRC-32 of both. */
struct slot_hdr {
	uint32_t seq;
	uint32_t pos;
	uint8_t len;
	uint8_t flags;
	uint16_t reserved;
};

static struct {
	struct nvs_fs fs;
	bool ready;
	uint32_t tail; /* position of the oldest record waiting (== head: none) */
	uint32_t head; /* position of the next record */
	uint32_t next_seq;
	uint32_t seq_reserved;
	uint32_t boots;
	uint32_t present[DIV_ROUND_UP(SLOTS, 32)];
	struct vmon_rq_stats st;
} q;

static uint16_t slot_id(uint32_t pos)
{
	return (uint16_t)(1U + pos % SLOTS);
}

static bool present(uint32_t pos)
{
	return (q.present[(pos % SLOTS) / 32U] & BIT((pos % SLOTS) % 32U)) != 0U;
}

static void mark(uint32_t pos, bool on)
{
	if (on) {
		q.present[(pos % SLOTS) / 32U] |= BIT((pos % SLOTS) % 32U);
	} else {
		q.present[(pos % SLOTS) / 32U] &= ~BIT((pos % SLOTS) % 32U);
	}
}

/* Move the tail past slots that hold nothing. */
static void settle_tail(void)
{
	while (q.tail != q.head && !present(q.tail)) {
		q.tail++;
	}
}

static int write_meta(uint32_t seq_reserved)
{
	struct meta m = {.magic = META_MAGIC, .seq_reserved = seq_reserved, .boots = q.boots};
	ssize_t n;

	m.crc = crc32_ieee((const uint8_t *)&m, offsetof(struct meta, crc));
	n = nvs_write(&q.fs, META_ID, &m, sizeof(m));
	if (n < 0) {
		q.st.store_errors++;
		return (int)n;
	}
	q.seq_reserved = seq_reserved;
	return 0;
}

/* Read the record at @p pos (any position of its slot when @p any_pos) into @p out, and its
 * position into @p pos_out: 0, -ENOENT (empty), -EBADMSG (torn or corrupt). */
static int read_slot(uint32_t pos, bool any_pos, struct vmon_rq_rec *out, uint32_t *pos_out)
{
	uint8_t buf[sizeof(struct slot_hdr) + VMON_PL_MAX_BYTES + sizeof(uint32_t)];
	struct slot_hdr h;
	uint32_t crc;
	ssize_t n = nvs_read(&q.fs, slot_id(pos), buf, sizeof(buf));

	if (n == -ENOENT) {
		return -ENOENT;
	}
	if (n < (ssize_t)(sizeof(h) + sizeof(crc)) || n > (ssize_t)sizeof(buf)) {
		return n < 0 ? (int)n : -EBADMSG;
	}
	memcpy(&h, buf, sizeof(h));
	memcpy(&crc, &buf[n - (ssize_t)sizeof(crc)], sizeof(crc));
	if (h.len == 0U || h.len > VMON_PL_MAX_BYTES ||
	    (size_t)n != sizeof(h) + h.len + sizeof(crc) ||
	    crc != crc32_ieee(buf, (size_t)n - sizeof(crc)) ||
	    (h.pos % SLOTS) != (pos % SLOTS) || (!any_pos && h.pos != pos)) {
		return -EBADMSG;
	}
	*pos_out = h.pos;
	out->seq = h.seq;
	out->len = h.len;
	out->flags = h.flags;
	memcpy(out->data, &buf[sizeof(h)], h.len);
	return 0;
}

static void drop_corrupt(uint32_t pos)
{
	q.st.corrupt++;
	LOG_WRN("queue: record in slot %u is corrupt, removed", (unsigned int)(pos % SLOTS));
	/* Below a safe battery voltage it stays on flash: found and removed at a later mount. */
	if (vmon_battery_flash_gate() == 0 && nvs_delete(&q.fs, slot_id(pos)) != 0) {
		q.st.store_errors++;
	}
	mark(pos, false);
}

int vmon_rq_init(uint8_t area_id)
{
	const struct flash_area *fa;
	struct flash_pages_info page;
	struct meta m;
	struct vmon_rq_rec rec;
	bool any = false;
	uint32_t lo = 0, hi = 0, pos, max_seq = 0;
	int err;

	memset(&q, 0, sizeof(q));
	err = flash_area_open(area_id, &fa);
	if (err != 0) {
		return err;
	}
	q.fs.flash_device = fa->fa_dev;
	q.fs.offset = (off_t)fa->fa_off;
	err = flash_get_page_info_by_offs(fa->fa_dev, fa->fa_off, &page);
	if (err == 0) {
		q.fs.sector_size = (uint16_t)page.size;
		q.fs.sector_count = (uint16_t)(fa->fa_size / page.size);
		err = nvs_mount(&q.fs);
	}
	flash_area_close(fa);
	if (err != 0) {
		return err; /* the caller logs it */
	}

	if (nvs_read(&q.fs, META_ID, &m, sizeof(m)) == sizeof(m) && m.magic == META_MAGIC &&
	    m.crc == crc32_ieee((const uint8_t *)&m, offsetof(struct meta, crc))) {
		q.seq_reserved = m.seq_reserved;
		q.boots = m.boots;
	}
	/* The records: at most SLOTS consecutive positions. */
	for (uint32_t s = 0; s < SLOTS; s++) {
		err = read_slot(s, true, &rec, &pos);
		if (err == -ENOENT) {
			continue;
		}
		if (err != 0) {
			drop_corrupt(s);
			continue;
		}
		mark(pos, true);
		lo = any ? MIN(lo, pos) : pos;
		hi = any ? MAX(hi, pos) : pos;
		max_seq = MAX(max_seq, rec.seq);
		any = true;
	}
	if (any && hi - lo >= SLOTS) {
		/* Cannot come from this code; keep the newest window. */
		lo = hi - SLOTS + 1U;
	}
	q.head = any ? hi + 1U : 0U;
	q.tail = any ? lo : 0U;
	settle_tail();
	/* 0 is "no record" in the receivers' eyes. */
	q.next_seq = MAX(MAX(max_seq + 1U, q.seq_reserved), 1U);
	q.boots++;
	q.ready = true;
	/* Reserve the next block now: this mount's records never reuse a number. Below a safe
	 * battery voltage the first push reserves it instead (next_seq >= seq_reserved). */
	err = vmon_battery_flash_gate() == 0 ? write_meta(q.next_seq + SEQ_BLOCK) : 0;
	if (err != 0) {
		q.ready = false;
		return err;
	}
	LOG_INF("queue: %u records waiting, next seq %u", q.head - q.tail, q.next_seq);
	return 0;
}

uint32_t vmon_rq_next_seq(void)
{
	return q.next_seq;
}

int vmon_rq_push(const struct vmon_rq_rec *rec)
{
	uint8_t buf[sizeof(struct slot_hdr) + VMON_PL_MAX_BYTES + sizeof(uint32_t)];
	struct slot_hdr h;
	uint32_t crc;
	bool overwrite = false;
	size_t n;
	ssize_t w;
	int err;

	if (!q.ready) {
		return -EACCES;
	}
	if (rec == NULL || rec->seq != q.next_seq || rec->len == 0U ||
	    rec->len > VMON_PL_MAX_BYTES) {
		return -EINVAL;
	}
	/* Below a safe battery voltage nothing is written (the reporting loop stores nothing
	 * then; a record that races the level change is dropped and counted below). */
	err = vmon_battery_flash_gate();
	if (err == 0 && q.next_seq >= q.seq_reserved) {
		err = write_meta(q.next_seq + SEQ_BLOCK);
	}
	if (err == 0) {
		overwrite = q.head - q.tail >= SLOTS;
		h = (struct slot_hdr){
			.seq = rec->seq, .pos = q.head, .len = rec->len, .flags = rec->flags};
		memcpy(buf, &h, sizeof(h));
		memcpy(&buf[sizeof(h)], rec->data, rec->len);
		n = sizeof(h) + rec->len;
		crc = crc32_ieee(buf, n);
		memcpy(&buf[n], &crc, sizeof(crc));
		w = nvs_write(&q.fs, slot_id(q.head), buf, n + sizeof(crc));
		if (w < 0) {
			q.st.store_errors++;
			err = (int)w;
		}
	}
	if (err != 0) {
		/* Nothing was stored (NVS writes an item whole or not at all), the oldest record
		 * stays and the number is free again: the record is counted as dropped. */
		q.st.dropped++;
		LOG_WRN("queue: record %u not stored (%d)", rec->seq, err);
		return err;
	}
	mark(q.head, true);
	q.head++;
	q.next_seq++;
	LOG_DBG("queue: stored %u", rec->seq); /* the power-loss test counts on this line */
	if (overwrite) {
		/* The slot held the oldest record: it is gone. */
		q.st.dropped++;
		q.tail++;
	}
	settle_tail();
	return 0;
}

int vmon_rq_peek(struct vmon_rq_rec *out)
{
	if (!q.ready) {
		return -EACCES;
	}
	uint32_t pos;

	while (q.tail != q.head) {
		int err = read_slot(q.tail, false, out, &pos);

		if (err == 0) {
			return 0;
		}
		if (err != -ENOENT && err != -EBADMSG) {
			return err; /* a read error: try again later */
		}
		if (err == -EBADMSG) {
			drop_corrupt(q.tail);
		} else {
			mark(q.tail, false);
		}
		settle_tail();
	}
	return -ENODATA;
}

int vmon_rq_pop(uint32_t seq)
{
	struct vmon_rq_rec rec;
	int err;

	if (!q.ready) {
		return -EACCES;
	}
	if (vmon_rq_peek(&rec) != 0 || rec.seq != seq) {
		return -ESRCH;
	}
	err = vmon_battery_flash_gate();
	if (err != 0) {
		return err; /* still stored: sent again once the battery allows its removal */
	}
	err = nvs_delete(&q.fs, slot_id(q.tail));
	if (err != 0) {
		/* Still stored: it is sent again, and the receiver drops the duplicate. */
		q.st.store_errors++;
		return err;
	}
	mark(q.tail, false);
	settle_tail();
	return 0;
}

void vmon_rq_stats(struct vmon_rq_stats *st)
{
	*st = q.st;
	st->depth = 0;
	for (uint32_t s = q.tail; s != q.head; s++) {
		st->depth += present(s) ? 1U : 0U;
	}
	st->boots = q.boots;
	st->next_seq = q.next_seq;
}
