/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The fota module's backend on MCUboot (swap with revert): the image trailer's confirmed
 * flag, and a reset for the revert.
 */

#include <zephyr/dfu/mcuboot.h>
#include <zephyr/logging/log.h>
#include <zephyr/logging/log_ctrl.h>
#include <zephyr/sys/reboot.h>

#include "fota_backend.h"

LOG_MODULE_DECLARE(vmon_fota, CONFIG_VMON_FOTA_LOG_LEVEL);

int vmon_fota_backend_confirmed(void)
{
	return boot_is_img_confirmed() ? 1 : 0;
}

int vmon_fota_backend_confirm(void)
{
	return boot_write_img_confirmed();
}

void vmon_fota_backend_revert(void)
{
	LOG_PANIC();
	/* The image is not confirmed: MCUboot swaps the previous one back on this boot. */
	sys_reboot(SYS_REBOOT_COLD);
}
