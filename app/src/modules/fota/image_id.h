/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Which hardware a firmware image is for. imgtool writes two of MCUboot's protected TLVs into
 * a signed image: the vendor's UUID (IMAGE_TLV_UUID_VID, a name-based UUID of a domain name)
 * and the image class's UUID (IMAGE_TLV_UUID_CID, a UUID of the class name under the
 * vendor's). vmon's class is the board target, so an image built for a RAK4631 is refused by
 * an nRF52840 DK although MCUboot (same SoC, same key) would boot it. The pinned MCUboot does
 * not check these TLVs itself; later releases do (MCUBOOT_UUID_VID/CID), with the same
 * values.
 */

#ifndef VMON_FOTA_IMAGE_ID_H_
#define VMON_FOTA_IMAGE_ID_H_

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define VMON_IMAGE_UUID_LEN 16

/** Reads len bytes at off of the area: 0 or negative errno. */
typedef int (*vmon_image_read_t)(void *ctx, off_t off, void *dst, size_t len);

/**
 * Check the image at the start of an area of area_size bytes against the expected vendor and
 * class UUIDs.
 *
 * @return 0: both TLVs present and equal;
 *         -ENOENT: no image (no MCUboot header magic);
 *         -EBADMSG: a header or TLV area that does not fit the area or itself;
 *         -ENODATA: an image without the vendor or the class TLV (not built for the check);
 *         -EPERM: an image for another vendor or class;
 *         or the read's negative errno.
 */
int vmon_image_id_check(vmon_image_read_t read, void *ctx, size_t area_size,
			const uint8_t vid[VMON_IMAGE_UUID_LEN],
			const uint8_t cid[VMON_IMAGE_UUID_LEN]);

/** This build's vendor and class UUIDs (CONFIG_VMON_FOTA_IMAGE_VENDOR/_CLASS). */
extern const uint8_t vmon_image_vid[VMON_IMAGE_UUID_LEN];
extern const uint8_t vmon_image_cid[VMON_IMAGE_UUID_LEN];

#endif /* VMON_FOTA_IMAGE_ID_H_ */
