/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Version strings of the vmon application, from app/VERSION and `git describe`.
 */

#ifndef VMON_VERSION_H_
#define VMON_VERSION_H_

#include <zephyr/sys/util.h>

#include <app_version.h>

/* git describe of the application, or "unknown" when built outside a git checkout
 * (Zephyr then leaves APP_BUILD_VERSION empty).
 */
#define VMON_BUILD_VERSION                                                                         \
	(sizeof(STRINGIFY(APP_BUILD_VERSION)) > 1 ? STRINGIFY(APP_BUILD_VERSION) : "unknown")

#define VMON_VERSION_STRING APP_VERSION_STRING

#endif /* VMON_VERSION_H_ */
