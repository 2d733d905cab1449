/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Settings partition in RAM (the flash simulator on the QEMU boards, see their overlays), and
 * the reporting queue's partition beside it when the board has one: after a power-on their
 * content is whatever the RAM held, which NVS reads as a partition of closed sectors and
 * refuses (-EDEADLK). A marker in no-init RAM tells a cold boot from a warm reboot; on a cold
 * boot the partitions are erased before anything mounts them, so there is nothing stored yet
 * to lose. Real flash never needs this (the option is off by default).
 */

#include <zephyr/devicetree.h>
#include <zephyr/init.h>
#include <zephyr/logging/log.h>
#include <zephyr/storage/flash_map.h>
#include <zephyr/sys/util.h>
#include <zephyr/toolchain.h>

LOG_MODULE_REGISTER(vmon_ram_storage, CONFIG_VMON_DECISION_LOG_LEVEL);

#define COLD_BOOT_MARKER 0x564d4f4eU /* "VMON" */

static uint32_t marker __noinit;

static const uint8_t ram_partitions[] = {
	FIXED_PARTITION_ID(storage_partition),
#if DT_NODE_EXISTS(DT_CHOSEN(vmon_report_queue))
	DT_FIXED_PARTITION_ID(DT_CHOSEN(vmon_report_queue)),
#endif
};

static int ram_storage_init(void)
{
	const struct flash_area *fa;
	int err;

	if (marker == COLD_BOOT_MARKER) {
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(ram_partitions); i++) {
		err = flash_area_open(ram_partitions[i], &fa);
		if (err == 0) {
			err = flash_area_erase(fa, 0, fa->fa_size);
			flash_area_close(fa);
		}
		if (err != 0) {
			LOG_ERR("cannot erase RAM partition %u (%d)", ram_partitions[i], err);
			return 0; /* their users report the storage error */
		}
	}
	marker = COLD_BOOT_MARKER;
	return 0;
}

/* After the flash drivers, before anything reads settings. */
SYS_INIT(ram_storage_init, POST_KERNEL, CONFIG_APPLICATION_INIT_PRIORITY);
