/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Image confirmation after a self-test (fota.h). The window listener runs in the processing
 * thread and only counts; the state machine runs on the system work queue (watched by the
 * health module), so a confirm that writes flash never delays a measurement.
 */

#include <string.h>

#include <zephyr/kernel.h>
#include <zephyr/logging/log.h>
#include <zephyr/smf.h>
#include <zephyr/sys/atomic.h>
#include <zephyr/zbus/zbus.h>

#include "battery.h"
#include "fota.h"
#include "fota_backend.h"
#include "processing.h"

LOG_MODULE_REGISTER(vmon_fota, CONFIG_VMON_FOTA_LOG_LEVEL);

enum fota_state {
	FOTA_TRIAL,
	FOTA_CONFIRMED,
	FOTA_REVERT,
	FOTA_ERROR,
};

static struct {
	struct smf_ctx ctx; /* first: SMF_CTX() casts the object */
	struct k_work step;
	struct k_work_delayable deadline;
	atomic_t started;
	atomic_t passed;   /* windows in a row that ran the model */
	atomic_t expired;  /* the deadline passed */
	atomic_t status;   /* enum vmon_fota_status */
} f;

static const struct smf_state states[];

static void trial_entry(void *o)
{
	ARG_UNUSED(o);
	atomic_set(&f.status, VMON_FOTA_TRIAL);
	LOG_WRN("image on trial: confirmed after %d windows in a row that run the model, "
		"reverted if not within %d s",
		CONFIG_VMON_FOTA_SELFTEST_WINDOWS, CONFIG_VMON_FOTA_SELFTEST_TIMEOUT_S);
	(void)k_work_schedule(&f.deadline, K_SECONDS(CONFIG_VMON_FOTA_SELFTEST_TIMEOUT_S));
}

static void trial_run(void *o)
{
	ARG_UNUSED(o);
	if (atomic_get(&f.passed) >= CONFIG_VMON_FOTA_SELFTEST_WINDOWS) {
		/* The confirm writes the image trailer: not below a safe battery voltage. A passed
		 * image is not reverted for that either (MCUboot's swap back writes far more): it
		 * stays on trial, past the deadline, and is confirmed once writes are allowed. */
		if (vmon_battery_flash_gate() != 0) {
			return;
		}
		int err = vmon_fota_backend_confirm();

		if (err == 0) {
			smf_set_state(SMF_CTX(&f), &states[FOTA_CONFIRMED]);
			return;
		}
		/* A flash write that failed: try again at the next window; the deadline still
		 * stands. */
		LOG_ERR("self-test passed, confirm failed (%d): retrying", err);
	}
	if (atomic_get(&f.expired) != 0) {
		smf_set_state(SMF_CTX(&f), &states[FOTA_REVERT]);
	}
}

static void trial_exit(void *o)
{
	ARG_UNUSED(o);
	(void)k_work_cancel_delayable(&f.deadline);
}

static void confirmed_entry(void *o)
{
	ARG_UNUSED(o);
	bool was_trial = atomic_get(&f.status) == VMON_FOTA_TRIAL;

	atomic_set(&f.status, VMON_FOTA_CONFIRMED);
	if (was_trial) {
		LOG_INF("self-test passed: image confirmed");
	} else {
		LOG_INF("running a confirmed image");
	}
}

static void revert_entry(void *o)
{
	ARG_UNUSED(o);
	atomic_set(&f.status, VMON_FOTA_REVERTING);
	LOG_ERR("self-test not passed in %d s (%ld windows in a row ran the model): reverting",
		CONFIG_VMON_FOTA_SELFTEST_TIMEOUT_S, (long)atomic_get(&f.passed));
	vmon_fota_backend_revert();
}

static void error_entry(void *o)
{
	ARG_UNUSED(o);
	atomic_set(&f.status, VMON_FOTA_ERROR);
}

static const struct smf_state states[] = {
	[FOTA_TRIAL] = SMF_CREATE_STATE(trial_entry, trial_run, trial_exit, NULL, NULL),
	[FOTA_CONFIRMED] = SMF_CREATE_STATE(confirmed_entry, NULL, NULL, NULL, NULL),
	[FOTA_REVERT] = SMF_CREATE_STATE(revert_entry, NULL, NULL, NULL, NULL),
	[FOTA_ERROR] = SMF_CREATE_STATE(error_entry, NULL, NULL, NULL, NULL),
};

static void step_fn(struct k_work *work)
{
	ARG_UNUSED(work);
	(void)smf_run_state(SMF_CTX(&f));
}

static void deadline_fn(struct k_work *work)
{
	ARG_UNUSED(work);
	atomic_set(&f.expired, 1);
	(void)smf_run_state(SMF_CTX(&f));
}

/* Processing thread: count and hand over, never block. */
static void window_cb(const struct zbus_channel *chan)
{
	const struct vmon_window_msg *w = zbus_chan_const_msg(chan);

	if (atomic_get(&f.status) != VMON_FOTA_TRIAL) {
		return;
	}
	if (w->model_ran) {
		(void)atomic_inc(&f.passed);
		(void)k_work_submit(&f.step);
	} else {
		atomic_set(&f.passed, 0);
	}
}

ZBUS_LISTENER_DEFINE(vmon_fota_window_listener, window_cb);
ZBUS_CHAN_ADD_OBS(VMON_WINDOW_CHAN, vmon_fota_window_listener, 0);

int vmon_fota_start(void)
{
	if (!atomic_cas(&f.started, 0, 1)) {
		return -EALREADY;
	}
	k_work_init(&f.step, step_fn);
	k_work_init_delayable(&f.deadline, deadline_fn);

	int c = vmon_fota_backend_confirmed();
	enum fota_state initial = c > 0 ? FOTA_CONFIRMED : c == 0 ? FOTA_TRIAL : FOTA_ERROR;

	if (c < 0) {
		LOG_ERR("image state unknown (%d): not confirmed; the bootloader decides at the "
			"next reset",
			c);
	}
	smf_set_initial(SMF_CTX(&f), &states[initial]);
	return 0;
}

enum vmon_fota_status vmon_fota_status(void)
{
	return (enum vmon_fota_status)atomic_get(&f.status);
}

const char *vmon_fota_status_str(enum vmon_fota_status status)
{
	static const char *const names[] = {"idle", "confirmed", "trial", "reverting", "error"};

	return (unsigned int)status < ARRAY_SIZE(names) ? names[status] : "?";
}

#if defined(CONFIG_VMON_FOTA_TEST_BACKEND)
void vmon_fota_test_reset(void)
{
	struct k_work_sync sync;

	if (atomic_get(&f.started) != 0) {
		(void)k_work_cancel_delayable_sync(&f.deadline, &sync);
		(void)k_work_cancel_sync(&f.step, &sync);
	}
	memset(&f, 0, sizeof(f));
}
#endif
