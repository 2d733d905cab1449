/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * An uploaded firmware image is screened before anyone can mark it for a test boot: one built
 * for another board (or vendor), or without the identity TLVs, loses its header. Without a
 * header img_mgmt refuses to mark the slot and MCUboot ignores it, so the running image stays
 * as it is. Signature checks stay MCUboot's.
 */

#include <errno.h>

#include <zephyr/drivers/flash.h>
#include <zephyr/kernel.h>
#include <zephyr/logging/log.h>
#include <zephyr/storage/flash_map.h>
#include <zephyr/sys/atomic.h>

#include "fota.h"
#include "image_id.h"

LOG_MODULE_DECLARE(vmon_fota, CONFIG_VMON_FOTA_LOG_LEVEL);

static atomic_t refused;

static int area_read(void *ctx, off_t off, void *dst, size_t len)
{
	return flash_area_read((const struct flash_area *)ctx, off, dst, len);
}

static const char *why(int verdict)
{
	switch (verdict) {
	case -EPERM:
		return "built for another board or vendor";
	case -ENODATA:
		return "no board identity in the image";
	case -EBADMSG:
		return "malformed header or TLV area";
	case -ENOENT:
		return "no image header";
	default:
		return "unreadable";
	}
}

/* The first page holds the header: erasing it is enough and takes one page's time, not the
 * slot's (seconds on the nRF52840). */
static int erase_header(const struct flash_area *fa)
{
	struct flash_pages_info page;
	int err = flash_get_page_info_by_offs(flash_area_get_device(fa), fa->fa_off, &page);

	if (err != 0) {
		return err;
	}
	return flash_area_erase(fa, 0, page.size);
}

int vmon_fota_image_screen(uint8_t area_id)
{
	const struct flash_area *fa;
	int err = flash_area_open(area_id, &fa);

	if (err != 0) {
		return err;
	}

	int verdict = vmon_image_id_check(area_read, (void *)fa, fa->fa_size, vmon_image_vid,
					  vmon_image_cid);

	if (verdict == 0) {
		LOG_INF("uploaded image is for %s", CONFIG_VMON_FOTA_IMAGE_CLASS);
	} else {
		/* Fail closed: an image that cannot be read cannot be trusted either. */
		(void)atomic_inc(&refused);
		/* Even below a safe battery voltage (one page): an image for another board must not
		 * stay bootable; the battery's SMP gate keeps uploads from getting here then. */
		err = erase_header(fa);
		LOG_ERR("uploaded image refused: %s (%d); this node takes %s images; slot %s",
			why(verdict), verdict, CONFIG_VMON_FOTA_IMAGE_CLASS,
			err == 0 ? "cleared" : "not cleared");
	}
	flash_area_close(fa);
	return verdict;
}

uint32_t vmon_fota_images_refused(void)
{
	return (uint32_t)atomic_get(&refused);
}

#if defined(CONFIG_VMON_FOTA_IMAGE_CHECK)
#include <zephyr/mgmt/mcumgr/mgmt/callbacks.h>

/* img_mgmt calls this once the last chunk of an upload is in flash, before its answer. */
static enum mgmt_cb_return upload_complete(uint32_t event, enum mgmt_cb_return prev_status,
					   int32_t *rc, uint16_t *group, bool *abort_more,
					   void *data, size_t data_size)
{
	ARG_UNUSED(event);
	ARG_UNUSED(prev_status);
	ARG_UNUSED(rc);
	ARG_UNUSED(group);
	ARG_UNUSED(abort_more);
	ARG_UNUSED(data);
	ARG_UNUSED(data_size);
	(void)vmon_fota_image_screen(FIXED_PARTITION_ID(slot1_partition));
	return MGMT_CB_OK;
}

static struct mgmt_callback upload_complete_cb = {
	.callback = upload_complete,
	.event_id = MGMT_EVT_OP_IMG_MGMT_DFU_PENDING,
};

static int fota_image_init(void)
{
	mgmt_callback_register(&upload_complete_cb);
	return 0;
}

SYS_INIT(fota_image_init, APPLICATION, CONFIG_APPLICATION_INIT_PRIORITY);
#endif
