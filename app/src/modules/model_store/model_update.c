/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Model updates (model_store.h, vmon_model_update_*): an uploaded container is written into
 * the slot the running model is not in, verified there as the boot path verifies, and only
 * then offered for activation. Transports (SMP: model_update_smp.c) call these.
 */

#include <errno.h>

#include <zephyr/kernel.h>
#include <zephyr/logging/log.h>
#include <zephyr/storage/flash_map.h>
#include <zephyr/storage/stream_flash.h>

#include <vmon/container.h>

#include "battery.h"
#include "model_store.h"
#include "model_store_internal.h"

LOG_MODULE_DECLARE(vmon_model_store, CONFIG_VMON_MODEL_STORE_LOG_LEVEL);

#define PARTITION_ID DT_FIXED_PARTITION_ID(DT_CHOSEN(vmon_model_partition))

static struct {
	struct stream_flash_ctx stream;
	int slot;     /* -1: no upload */
	size_t len;   /* announced */
	size_t off;   /* received */
} up = {.slot = -1};

/* Whole write blocks of the flash: stream_flash buffers the chunks to them. */
static uint8_t up_buf[CONFIG_VMON_MODEL_UPDATE_BUF_SIZE] __aligned(4);

static int refuse(int err, const char *what)
{
	LOG_WRN("model upload refused: %s (%d)", what, err);
	vmon_model_store_count_update(false);
	up.slot = -1;
	return err;
}

int vmon_model_update_begin(size_t len)
{
	const struct flash_area *fa;
	size_t cap;
	int err;

	up.slot = -1;
	if (len == 0) {
		return refuse(-EINVAL, "empty");
	}
	if (vmon_model_store_slot(0, &cap) == NULL) {
		return refuse(-ENODEV, "no partition");
	}
	if (len > cap) {
		return refuse(-ENOSPC, "larger than a slot");
	}
	/* The erase and every chunk write flash: none starts below a safe battery voltage. */
	err = vmon_battery_flash_gate();
	if (err != 0) {
		return refuse(err, "battery low");
	}
	struct vmon_model_store_status st;
	int slot = vmon_model_store_status_get(&st) == 0 &&
				   st.source == VMON_MODEL_SOURCE_PARTITION
			   ? 1 - st.slot
			   : 0;

	err = flash_area_open(PARTITION_ID, &fa);
	if (err != 0) {
		return refuse(err, "partition");
	}
	err = flash_area_erase(fa, (off_t)slot * cap, cap);
	if (err == 0) {
		err = stream_flash_init(&up.stream, flash_area_get_device(fa), up_buf,
					sizeof(up_buf), fa->fa_off + (size_t)slot * cap, cap, NULL);
	}
	flash_area_close(fa);
	if (err != 0) {
		return refuse(err, "flash");
	}
	up.slot = slot;
	up.len = len;
	up.off = 0;
	LOG_INF("model upload: %u B into slot %d", (unsigned int)len, slot);
	return 0;
}

int vmon_model_update_write(size_t off, const uint8_t *data, size_t n)
{
	int err;

	if (up.slot < 0) {
		return refuse(-EINVAL, "no upload started");
	}
	if (off != up.off) {
		return refuse(-ERANGE, "out of order");
	}
	if (n > up.len - up.off) {
		return refuse(-EMSGSIZE, "past the announced length");
	}
	err = vmon_battery_flash_gate();
	if (err != 0) {
		return refuse(err, "battery low"); /* the sender starts over later */
	}
	err = stream_flash_buffered_write(&up.stream, data, n, up.off + n == up.len);
	if (err != 0) {
		return refuse(err, "flash write");
	}
	up.off += n;
	return 0;
}

int vmon_model_update_finish(uint32_t *version)
{
	struct vmon_model_store_status st;
	struct vmon_container c;
	int err;

	if (up.slot < 0 || up.off != up.len) {
		return refuse(-EINVAL, "upload incomplete");
	}
	err = vmon_model_store_check_slot(up.slot, &c);
	if (err == 0 && vmon_model_store_status_get(&st) == 0 &&
	    st.source == VMON_MODEL_SOURCE_PARTITION && c.model_version <= st.version) {
		err = -EPERM;
	}
	if (err != 0) {
		const struct flash_area *fa;
		size_t cap;

		/* Nothing of a refused model stays to be looked at again at boot (unless the
		 * battery forbids the erase: boot refuses it again, as now). */
		(void)vmon_model_store_slot(0, &cap);
		if (vmon_battery_flash_gate() == 0 && flash_area_open(PARTITION_ID, &fa) == 0) {
			(void)flash_area_erase(fa, (off_t)up.slot * cap, cap);
			flash_area_close(fa);
		}
		return refuse(err, err == -EPERM ? "not newer than the running model" : "verdict");
	}
	LOG_INF("model upload: version %u verified in slot %d", (unsigned int)c.model_version,
		up.slot);
	*version = c.model_version;
	vmon_model_store_count_update(true);
	up.slot = -1;
	return 0;
}

size_t vmon_model_update_offset(void)
{
	return up.slot < 0 ? 0 : up.off;
}

bool vmon_model_update_complete(void)
{
	return up.slot >= 0 && up.off == up.len;
}
