/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The store-and-forward queue (app/src/modules/reporting/queue.h) on NVS on the flash
 * simulator. A "reboot" is a remount: vmon_rq_init() rebuilds everything from flash.
 */

#include <string.h>

#include <zephyr/devicetree.h>
#include <zephyr/drivers/flash.h>
#include <zephyr/fs/nvs.h>
#include <zephyr/storage/flash_map.h>
#include <zephyr/ztest.h>

#include "queue.h"

#define AREA  DT_FIXED_PARTITION_ID(DT_CHOSEN(vmon_report_queue))
#define SLOTS CONFIG_VMON_REPORTING_QUEUE_SLOTS

static void erase_queue(void)
{
	const struct flash_area *fa;

	zassert_ok(flash_area_open(AREA, &fa));
	zassert_ok(flash_area_erase(fa, 0, fa->fa_size));
	flash_area_close(fa);
}

/* A record whose bytes say which sequence number it was pushed with. */
static int push(uint8_t len)
{
	struct vmon_rq_rec rec = {.seq = vmon_rq_next_seq(), .len = len, .flags = 0};

	for (uint8_t i = 0; i < len; i++) {
		rec.data[i] = (uint8_t)(rec.seq * 7U + i);
	}
	return vmon_rq_push(&rec);
}

static void expect_head(uint32_t seq, uint8_t len)
{
	struct vmon_rq_rec rec;

	zassert_ok(vmon_rq_peek(&rec));
	zassert_equal(rec.seq, seq, "head is %u, expected %u", rec.seq, seq);
	zassert_equal(rec.len, len);
	for (uint8_t i = 0; i < len; i++) {
		zassert_equal(rec.data[i], (uint8_t)(seq * 7U + i), "byte %u of record %u", i, seq);
	}
}

static struct vmon_rq_stats stats(void)
{
	struct vmon_rq_stats st;

	vmon_rq_stats(&st);
	return st;
}

static void before(void *f)
{
	ARG_UNUSED(f);
	erase_queue();
	zassert_ok(vmon_rq_init(AREA));
}

ZTEST(vmon_queue, test_first_in_first_out)
{
	uint32_t first = vmon_rq_next_seq();

	zassert_true(first >= 1U, "0 is never a record's number");
	for (uint8_t i = 0; i < 3; i++) {
		zassert_ok(push(5 + i));
	}
	zassert_equal(stats().depth, 3);
	for (uint8_t i = 0; i < 3; i++) {
		expect_head(first + i, 5 + i);
		zassert_ok(vmon_rq_pop(first + i));
	}
	zassert_equal(stats().depth, 0);
	zassert_equal(vmon_rq_peek(&(struct vmon_rq_rec){0}), -ENODATA);
}

ZTEST(vmon_queue, test_records_survive_a_reboot)
{
	uint32_t first = vmon_rq_next_seq();
	uint32_t boots = stats().boots;

	for (int i = 0; i < 5; i++) {
		zassert_ok(push(VMON_PL_MAX_BYTES));
	}
	zassert_ok(vmon_rq_pop(first));
	zassert_ok(vmon_rq_pop(first + 1));
	zassert_ok(vmon_rq_init(AREA));
	zassert_equal(stats().depth, 3);
	zassert_equal(stats().boots, boots + 1);
	expect_head(first + 2, VMON_PL_MAX_BYTES);
	zassert_true(vmon_rq_next_seq() > first + 4);
}

ZTEST(vmon_queue, test_sequence_numbers_never_repeat_across_reboots)
{
	uint32_t last = 0;

	/* Reboots at every point of a reservation block, records delivered or not. */
	for (int boot = 0; boot < 12; boot++) {
		for (int i = 0; i < boot * 3; i++) {
			uint32_t seq = vmon_rq_next_seq();

			zassert_true(seq > last, "boot %d: seq %u after %u", boot, seq, last);
			zassert_ok(push(11));
			last = seq;
			if (i % 2 == 0) {
				struct vmon_rq_rec rec;

				zassert_ok(vmon_rq_peek(&rec));
				zassert_ok(vmon_rq_pop(rec.seq));
			}
		}
		zassert_ok(vmon_rq_init(AREA));
		zassert_true(vmon_rq_next_seq() > last);
	}
}

ZTEST(vmon_queue, test_a_full_queue_drops_the_oldest)
{
	uint32_t first = vmon_rq_next_seq();

	for (int i = 0; i < SLOTS + 3; i++) {
		zassert_ok(push(20));
	}
	zassert_equal(stats().depth, SLOTS);
	zassert_equal(stats().dropped, 3);
	expect_head(first + 3, 20);
	/* The same after a reboot (the dropped count is since boot). */
	zassert_ok(vmon_rq_init(AREA));
	zassert_equal(stats().depth, SLOTS);
	expect_head(first + 3, 20);
	for (uint32_t s = first + 3; s < first + SLOTS + 3; s++) {
		expect_head(s, 20);
		zassert_ok(vmon_rq_pop(s));
	}
	zassert_equal(stats().depth, 0);
}

/* Overwrite NVS item @p id of the queue's partition with @p len bytes of @p data. */
static void write_item(uint16_t id, const void *data, size_t len)
{
	const struct flash_area *fa;
	struct flash_pages_info page;
	struct nvs_fs fs = {0};

	zassert_ok(flash_area_open(AREA, &fa));
	fs.flash_device = fa->fa_dev;
	fs.offset = (off_t)fa->fa_off;
	zassert_ok(flash_get_page_info_by_offs(fa->fa_dev, fa->fa_off, &page));
	fs.sector_size = (uint16_t)page.size;
	fs.sector_count = (uint16_t)(fa->fa_size / page.size);
	flash_area_close(fa);
	zassert_ok(nvs_mount(&fs));
	zassert_true(nvs_write(&fs, id, data, len) >= 0);
}

ZTEST(vmon_queue, test_a_corrupt_record_is_removed_never_returned)
{
	uint32_t first = vmon_rq_next_seq();
	uint8_t garbage[20];

	for (int i = 0; i < 3; i++) {
		zassert_ok(push(12));
	}
	/* The middle record's item (the ring starts at position 0 on an erased partition: the
	 * second record is NVS item 2): no valid header or CRC. */
	memset(garbage, 0xA5, sizeof(garbage));
	write_item(2, garbage, sizeof(garbage));
	zassert_ok(vmon_rq_init(AREA));
	zassert_equal(stats().corrupt, 1);
	zassert_equal(stats().depth, 2);
	expect_head(first, 12);
	zassert_ok(vmon_rq_pop(first));
	expect_head(first + 2, 12);
}

ZTEST(vmon_queue, test_bad_calls_change_nothing)
{
	struct vmon_rq_rec rec = {.seq = vmon_rq_next_seq(), .len = 0};

	zassert_equal(vmon_rq_push(&rec), -EINVAL);
	rec.len = VMON_PL_MAX_BYTES + 1;
	zassert_equal(vmon_rq_push(&rec), -EINVAL);
	rec.len = 4;
	rec.seq++;
	zassert_equal(vmon_rq_push(&rec), -EINVAL, "only the next sequence number");
	zassert_equal(vmon_rq_push(NULL), -EINVAL);
	zassert_equal(vmon_rq_pop(rec.seq), -ESRCH);
	zassert_ok(push(4));
	zassert_equal(vmon_rq_pop(rec.seq), -ESRCH, "only the oldest record is popped");
	zassert_equal(stats().depth, 1);
	zassert_equal(stats().dropped, 0);
}

ZTEST_SUITE(vmon_queue, NULL, NULL, before, NULL, NULL);
