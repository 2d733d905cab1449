/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Settings partition in RAM (the flash simulator on the QEMU boards, see their overlays):
 * after a power-on its content is whatever the RAM held, which NVS reads as a partition of
 * closed sectors and refuses (-EDEADLK). A marker in no-init RAM tells a cold boot from a
 * warm reboot; on a cold boot the partition is erased before settings start, so there is
 * nothing stored yet to lose. Real flash never needs this (the option is off by default).
 */

#include <zephyr/init.h>
#include <zephyr/logging/log.h>
#include <zephyr/storage/flash_map.h>
#include <zephyr/toolchain.h>

LOG_MODULE_REGISTER(vmon_ram_storage, CONFIG_VMON_DECISION_LOG_LEVEL);

#define COLD_BOOT_MARKER 0x564d4f4eU /* "VMON" */

static uint32_t marker __noinit;

static int ram_storage_init(void)
{
	const struct flash_area *fa;
	int err;

	if (marker == COLD_BOOT_MARKER) {
		return 0;
	}
	err = flash_area_open(FIXED_PARTITION_ID(storage_partition), &fa);
	if (err == 0) {
		err = flash_area_erase(fa, 0, fa->fa_size);
		flash_area_close(fa);
	}
	if (err != 0) {
		LOG_ERR("cannot erase the RAM settings partition (%d)", err);
		return 0; /* the decision module reports the storage error */
	}
	marker = COLD_BOOT_MARKER;
	return 0;
}

/* After the flash drivers, before anything reads settings. */
SYS_INIT(ram_storage_init, POST_KERNEL, CONFIG_APPLICATION_INIT_PRIORITY);
