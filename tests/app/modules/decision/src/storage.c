/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The simulated flash lives in a noinit RAM region that survives sys_reboot(); at power-on
 * QEMU hands it over zero-filled, not erased. The first boot erases it, as a factory would.
 */

#include <zephyr/init.h>
#include <zephyr/logging/log.h>
#include <zephyr/storage/flash_map.h>
#include <zephyr/toolchain.h>

#include "storage.h"

LOG_MODULE_REGISTER(test_decision_storage, LOG_LEVEL_INF);

#define BOOT_MAGIC 0x564d4f4eU /* "VMON" */

static struct {
	uint32_t magic;
	uint32_t count;
} boot __noinit;

uint32_t t_boot_count(void)
{
	return boot.count;
}

void t_boot_next(void)
{
	boot.count++;
}

static int erase_storage(void)
{
	const struct flash_area *fa;
	int rc;

	if (boot.magic == BOOT_MAGIC) {
		LOG_INF("boot %u: storage kept", boot.count);
		return 0;
	}
	boot.magic = BOOT_MAGIC;
	boot.count = 0;
	rc = flash_area_open(FIXED_PARTITION_ID(storage_partition), &fa);
	if (rc == 0) {
		rc = flash_area_erase(fa, 0, fa->fa_size);
		flash_area_close(fa);
	}
	LOG_INF("power-on: storage erased (%d)", rc);
	return rc;
}

/* Before anything opens the settings backend. */
SYS_INIT(erase_storage, APPLICATION, 0);
