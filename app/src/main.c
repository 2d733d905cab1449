/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * main() only wires the product modules together; each module lives in its own
 * folder under src/modules/ and starts itself through Kconfig.
 */

#include <zephyr/kernel.h>
#include <zephyr/logging/log.h>

#include <vmon/version.h>

LOG_MODULE_REGISTER(vmon_main, CONFIG_VMON_LOG_LEVEL);

int main(void)
{
	/* One line a host can parse: firmware version, git describe, model id. */
	LOG_INF("vmon %s build %s model %s", VMON_VERSION_STRING, VMON_BUILD_VERSION,
		CONFIG_VMON_MODEL_ID);
	LOG_INF("vmon: ready");
	return 0;
}
