/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Image confirmation (CONFIG_VMON_FOTA): a firmware image that MCUboot booted on trial is
 * confirmed only after its self-test passes (CONFIG_VMON_FOTA_SELFTEST_WINDOWS windows in a
 * row that ran the model, read from VMON_WINDOW_CHAN); one that does not pass within
 * CONFIG_VMON_FOTA_SELFTEST_TIMEOUT_S resets the node and MCUboot swaps the previous image
 * back. A small state machine (SMF) on the system work queue:
 *
 *   start: confirmed ──▶ CONFIRMED
 *          on trial  ──▶ TRIAL ──self-test passed, confirm written──▶ CONFIRMED
 *                              │ deadline
 *                              ▼
 *                            REVERT (reset)
 *
 * A backend that cannot say which image runs leaves the node in ERROR: it keeps measuring,
 * and MCUboot reverts an unconfirmed image at the next reset.
 */

#ifndef VMON_FOTA_H_
#define VMON_FOTA_H_

#include <errno.h>
#include <stdint.h>

enum vmon_fota_status {
	VMON_FOTA_IDLE,      /**< not started */
	VMON_FOTA_CONFIRMED, /**< the running image is confirmed (now or before this boot) */
	VMON_FOTA_TRIAL,     /**< on trial: the self-test is running */
	VMON_FOTA_REVERTING, /**< the self-test failed: resetting into the previous image */
	VMON_FOTA_ERROR,     /**< the image state could not be read */
};

#if defined(CONFIG_VMON_FOTA)

/** Read the image state and, on trial, start the self-test: 0, or -EALREADY. */
int vmon_fota_start(void);

enum vmon_fota_status vmon_fota_status(void);

/** The status's name ("?" out of range). */
const char *vmon_fota_status_str(enum vmon_fota_status status);

/**
 * Screen the image in a flash area (an upload's slot) for this board: 0 if its vendor and
 * class TLVs are this build's (image_id.h); otherwise its header is erased, the refusal
 * counted and logged in one line, and the check's negative errno returned.
 * CONFIG_VMON_FOTA_IMAGE_CHECK runs it on slot 1 when an SMP upload completes.
 */
int vmon_fota_image_screen(uint8_t area_id);

/** Uploaded images refused since boot. */
uint32_t vmon_fota_images_refused(void);

#else

static inline int vmon_fota_start(void)
{
	return 0;
}

#endif

#endif /* VMON_FOTA_H_ */
