/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * An uploaded image's board identity (image_id.c, fota_image.c) against images that imgtool
 * signed at build time (gen_image_vectors.py): this board's taken, another board's, another
 * vendor's and unmarked ones refused and cleared from the slot, malformed headers and TLV
 * areas refused, and no single bit flip in the identity TLVs accepted.
 */

#include <errno.h>
#include <string.h>

#include <zephyr/storage/flash_map.h>
#include <zephyr/sys/byteorder.h>
#include <zephyr/ztest.h>

#include "fota.h"
#include "image_id.h"
#include "image_vectors.h"

#define SLOT_ID FIXED_PARTITION_ID(slot1_partition)
#define PROT_OFF (IMG_HEADER_SIZE + IMG_PAYLOAD_SIZE)

static uint8_t work[sizeof(img_this_board)];

struct mem {
	const uint8_t *data;
	size_t len;
};

static int mem_read(void *ctx, off_t off, void *dst, size_t len)
{
	const struct mem *m = ctx;

	/* The checker must never read past what it was told the area holds. */
	zassert_true(off >= 0 && (size_t)off + len <= m->len, "read %ld+%zu of %zu", (long)off,
		     len, m->len);
	memcpy(dst, m->data + off, len);
	return 0;
}

static int check(const uint8_t *img, size_t len)
{
	struct mem m = {.data = img, .len = len};

	return vmon_image_id_check(mem_read, &m, len, vmon_image_vid, vmon_image_cid);
}

static void slot_write(const uint8_t *img, size_t len)
{
	const struct flash_area *fa;

	zassert_ok(flash_area_open(SLOT_ID, &fa));
	zassert_ok(flash_area_erase(fa, 0, fa->fa_size));
	zassert_ok(flash_area_write(fa, 0, img, ROUND_UP(len, 4)));
	flash_area_close(fa);
}

static uint32_t slot_magic(void)
{
	const struct flash_area *fa;
	uint8_t b[4];

	zassert_ok(flash_area_open(SLOT_ID, &fa));
	zassert_ok(flash_area_read(fa, 0, b, sizeof(b)));
	flash_area_close(fa);
	return sys_get_le32(b);
}

ZTEST_SUITE(fota_image, NULL, NULL, NULL, NULL, NULL);

ZTEST(fota_image, test_python_and_cmake_agree_on_the_identity)
{
	/* imgtool computed the UUIDs of the vectors, CMake this build's: the TLV values of
	 * this board's image are the build's. */
	const uint8_t *vid = &img_this_board[PROT_OFF + 4 + 4];
	const uint8_t *cid = vid + VMON_IMAGE_UUID_LEN + 4;

	zassert_mem_equal(vid, vmon_image_vid, VMON_IMAGE_UUID_LEN);
	zassert_mem_equal(cid, vmon_image_cid, VMON_IMAGE_UUID_LEN);
}

ZTEST(fota_image, test_verdicts)
{
	zassert_equal(check(img_this_board, sizeof(img_this_board)), 0);
	zassert_equal(check(img_other_board, sizeof(img_other_board)), -EPERM);
	zassert_equal(check(img_other_vendor, sizeof(img_other_vendor)), -EPERM);
	zassert_equal(check(img_unmarked, sizeof(img_unmarked)), -ENODATA);
	zassert_equal(check(img_vendor_only, sizeof(img_vendor_only)), -ENODATA);
	memset(work, 0xff, sizeof(work));
	zassert_equal(check(work, sizeof(work)), -ENOENT);
	/* The image's end past the area it was found in. */
	zassert_equal(check(img_this_board, PROT_OFF + 20), -EBADMSG);
	zassert_equal(check(img_this_board, 16), -EBADMSG);
}

ZTEST(fota_image, test_malformed_headers_and_tlv_areas)
{
	struct {
		size_t off;
		uint16_t value;
	} edits[] = {
		{8, 16},                  /* header size below the header's own */
		{10, 3},                  /* protected area smaller than its info */
		{10, 0x2c + 4},           /* header and TLV info disagree on the size */
		{PROT_OFF + 0, 0x6907},   /* the unprotected area's magic */
		{PROT_OFF + 6, 200},      /* a TLV longer than its area */
		{PROT_OFF + 6, 15},       /* a UUID of 15 bytes */
		{PROT_OFF + 4, 0x75},     /* two class TLVs (the first holds the vendor's value) */
	};

	for (size_t i = 0; i < ARRAY_SIZE(edits); i++) {
		memcpy(work, img_this_board, sizeof(work));
		sys_put_le16(edits[i].value, &work[edits[i].off]);
		int rc = check(work, sizeof(work));

		zassert_true(rc == -EBADMSG || (i == 6 && rc == -EPERM), "edit %zu: %d", i, rc);
	}

	/* An image size that wraps 32 bits. */
	memcpy(work, img_this_board, sizeof(work));
	sys_put_le32(UINT32_MAX, &work[12]);
	zassert_equal(check(work, sizeof(work)), -EBADMSG);
}

ZTEST(fota_image, test_no_bit_flip_in_the_identity_is_accepted)
{
	/* Every bit of the protected TLV area: the info, both TLV headers, both UUIDs. */
	const size_t prot_len = sys_get_le16(&img_this_board[10]);

	for (size_t bit = 0; bit < prot_len * 8U; bit++) {
		memcpy(work, img_this_board, sizeof(work));
		work[PROT_OFF + bit / 8U] ^= BIT(bit % 8U);
		zassert_not_equal(check(work, sizeof(work)), 0, "bit %zu accepted", bit);
	}
	/* And 1,000 flips anywhere (a fixed pseudo-random sequence, so a failure repeats): an
	 * answer, never a read out of bounds. */
	uint32_t x = 0x2545f491U;

	for (int i = 0; i < 1000; i++) {
		x = x * 1664525U + 1013904223U;
		size_t bit = (x >> 8) % (sizeof(work) * 8U);
		int rc;

		memcpy(work, img_this_board, sizeof(work));
		work[bit / 8U] ^= BIT(bit % 8U);
		rc = check(work, sizeof(work));
		zassert_true(rc == 0 || rc == -ENOENT || rc == -EBADMSG || rc == -ENODATA ||
				     rc == -EPERM,
			     "bit %zu: %d", bit, rc);
	}
}

ZTEST(fota_image, test_screen_keeps_this_boards_image)
{
	uint32_t before = vmon_fota_images_refused();

	slot_write(img_this_board, sizeof(img_this_board));
	zassert_equal(vmon_fota_image_screen(SLOT_ID), 0);
	zassert_equal(slot_magic(), 0x96f3b83dU, "the header was touched");
	zassert_equal(vmon_fota_images_refused(), before);
}

ZTEST(fota_image, test_screen_clears_and_counts_foreign_images)
{
	const struct {
		const uint8_t *img;
		size_t len;
		int rc;
	} cases[] = {
		{img_other_board, sizeof(img_other_board), -EPERM},
		{img_other_vendor, sizeof(img_other_vendor), -EPERM},
		{img_unmarked, sizeof(img_unmarked), -ENODATA},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		uint32_t before = vmon_fota_images_refused();

		slot_write(cases[i].img, cases[i].len);
		zassert_equal(vmon_fota_image_screen(SLOT_ID), cases[i].rc, "case %zu", i);
		/* No header: img_mgmt cannot mark it for a test boot, MCUboot ignores it. */
		zassert_equal(slot_magic(), 0xffffffffU, "case %zu: header left", i);
		zassert_equal(vmon_fota_images_refused(), before + 1U, "case %zu", i);
	}
}
