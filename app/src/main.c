/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * main() only wires the product modules together; each module lives in its own
 * folder under src/modules/ and is chosen in Kconfig. The measurement cycle
 * (processing) starts sampling and publishes on zbus; the reporting modules subscribe, and
 * the main thread then runs the reporting loop.
 */

#include <zephyr/kernel.h>
#include <zephyr/logging/log.h>

#include <vmon/version.h>

#include "fota.h"
#include "health.h"
#include "processing.h"
#include "reporting.h"
#include "vmon_model_config.h"

LOG_MODULE_REGISTER(vmon_main, CONFIG_VMON_LOG_LEVEL);

int main(void)
{
	/* One line a host can parse: firmware version, git describe, model name and sha. */
	LOG_INF("vmon %s build %s model %s@%.12s", VMON_VERSION_STRING, VMON_BUILD_VERSION,
		VMON_MODEL_NAME, VMON_MODEL_SHA256);

	/* Before anything can fail: an image on trial that never gets to measure is reverted. */
	(void)vmon_fota_start();

	int err = vmon_processing_start();

	if (err != 0) {
		LOG_ERR("processing did not start (%d)", err);
		return err;
	}
	/* The subscribers are up: the last reset goes out once (event and crash record). */
	(void)vmon_health_start();
	LOG_INF("vmon: ready");
	if (IS_ENABLED(CONFIG_VMON_REPORTING)) {
		/* The main thread's stack does the reporting: encoding, flash, transports. */
		vmon_reporting_run();
	}
	return 0;
}
