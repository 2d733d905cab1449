/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The image backend of the fota module: MCUboot (fota_mcuboot.c), or a test's fake
 * (CONFIG_VMON_FOTA_TEST_BACKEND).
 */

#ifndef VMON_FOTA_BACKEND_H_
#define VMON_FOTA_BACKEND_H_

/** 1: the running image is confirmed, 0: it runs on trial, negative errno: unknown. */
int vmon_fota_backend_confirmed(void);

/** Mark the running image confirmed: 0 or negative errno. */
int vmon_fota_backend_confirm(void);

/** Reset the node so that the bootloader reverts to the previous image. */
void vmon_fota_backend_revert(void);

#if defined(CONFIG_VMON_FOTA_TEST_BACKEND)
/** Tests: back to IDLE, as after a reset. */
void vmon_fota_test_reset(void);
#endif

#endif /* VMON_FOTA_BACKEND_H_ */
