/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The fota module's state machine against a fake image backend: the windows come from the
 * test on VMON_WINDOW_CHAN, as the processing module publishes them.
 */

#include <string.h>

#include <zephyr/kernel.h>
#include <zephyr/zbus/zbus.h>
#include <zephyr/ztest.h>

#include "fota.h"
#include "fota_backend.h"
#include "processing.h"

ZBUS_CHAN_DEFINE(VMON_WINDOW_CHAN, struct vmon_window_msg, NULL, NULL, ZBUS_OBSERVERS_EMPTY,
		 ZBUS_MSG_INIT(0));

static struct {
	int confirmed;   /* what vmon_fota_backend_confirmed() returns */
	int confirm_rc[2]; /* what the first two confirms return, then 0 */
	int confirms;    /* calls */
	int reverts;
} fake;

int vmon_fota_backend_confirmed(void)
{
	return fake.confirmed;
}

int vmon_fota_backend_confirm(void)
{
	int rc = fake.confirms < 2 ? fake.confirm_rc[fake.confirms] : 0;

	fake.confirms++;
	if (rc == 0) {
		fake.confirmed = 1;
	}
	return rc;
}

void vmon_fota_backend_revert(void)
{
	fake.reverts++;
}

static uint32_t window_no;

/* A window, and time for the work queue to run the state machine. */
static void window(bool model_ran)
{
	struct vmon_window_msg w = {.window = window_no++, .model_ran = model_ran};

	zassert_ok(zbus_chan_pub(&VMON_WINDOW_CHAN, &w, K_MSEC(100)));
	k_msleep(10);
}

static void before(void *f)
{
	ARG_UNUSED(f);
	vmon_fota_test_reset();
	memset(&fake, 0, sizeof(fake));
}

ZTEST_SUITE(fota, NULL, NULL, before, NULL, NULL);

ZTEST(fota, test_confirmed_image_is_left_alone)
{
	fake.confirmed = 1;
	zassert_equal(vmon_fota_status(), VMON_FOTA_IDLE);
	zassert_ok(vmon_fota_start());
	zassert_equal(vmon_fota_start(), -EALREADY);
	zassert_equal(vmon_fota_status(), VMON_FOTA_CONFIRMED);
	for (int i = 0; i < 5; i++) {
		window(true);
	}
	k_msleep(1500); /* past the deadline a trial would have */
	zassert_equal(fake.confirms, 0);
	zassert_equal(fake.reverts, 0);
	zassert_equal(vmon_fota_status(), VMON_FOTA_CONFIRMED);
}

ZTEST(fota, test_trial_confirmed_after_windows_in_a_row)
{
	zassert_ok(vmon_fota_start());
	zassert_equal(vmon_fota_status(), VMON_FOTA_TRIAL);
	window(true);
	window(true);
	window(false); /* the model did not run: the count starts again */
	window(true);
	window(true);
	zassert_equal(fake.confirms, 0, "confirmed before 3 windows in a row ran the model");
	zassert_equal(vmon_fota_status(), VMON_FOTA_TRIAL);
	window(true);
	zassert_equal(fake.confirms, 1);
	zassert_equal(fake.confirmed, 1);
	zassert_equal(vmon_fota_status(), VMON_FOTA_CONFIRMED);
	k_msleep(1500); /* the deadline was cancelled */
	zassert_equal(fake.reverts, 0);
	window(true);
	zassert_equal(fake.confirms, 1, "confirmed once");
	zassert_str_equal(vmon_fota_status_str(vmon_fota_status()), "confirmed");
}

ZTEST(fota, test_failed_confirm_is_retried)
{
	fake.confirm_rc[0] = -EIO;
	zassert_ok(vmon_fota_start());
	for (int i = 0; i < 3; i++) {
		window(true);
	}
	zassert_equal(fake.confirms, 1);
	zassert_equal(vmon_fota_status(), VMON_FOTA_TRIAL, "still on trial after a failed write");
	window(true);
	zassert_equal(fake.confirms, 2);
	zassert_equal(vmon_fota_status(), VMON_FOTA_CONFIRMED);
}

ZTEST(fota, test_trial_not_passed_is_reverted)
{
	zassert_ok(vmon_fota_start());
	window(true);
	window(true);
	window(false);
	zassert_equal(fake.reverts, 0);
	k_msleep(1200); /* CONFIG_VMON_FOTA_SELFTEST_TIMEOUT_S = 1 */
	zassert_equal(fake.reverts, 1);
	zassert_equal(fake.confirms, 0);
	zassert_equal(vmon_fota_status(), VMON_FOTA_REVERTING);
	/* Windows after the decision change nothing (the real backend has reset by now). */
	for (int i = 0; i < 4; i++) {
		window(true);
	}
	zassert_equal(fake.confirms, 0);
	zassert_equal(fake.reverts, 1);
}

ZTEST(fota, test_unknown_image_state_is_left_to_the_bootloader)
{
	fake.confirmed = -EIO;
	zassert_ok(vmon_fota_start());
	zassert_equal(vmon_fota_status(), VMON_FOTA_ERROR);
	for (int i = 0; i < 4; i++) {
		window(true);
	}
	k_msleep(1200);
	zassert_equal(fake.confirms, 0);
	zassert_equal(fake.reverts, 0);
	zassert_str_equal(vmon_fota_status_str(VMON_FOTA_ERROR), "error");
	zassert_str_equal(vmon_fota_status_str((enum vmon_fota_status)99), "?");
}
