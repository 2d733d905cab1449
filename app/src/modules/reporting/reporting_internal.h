/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Between the reporting module's files: the configuration side (config.c) and the health
 * module's listener (reset_listener.c).
 */

#ifndef VMON_REPORTING_INTERNAL_H_
#define VMON_REPORTING_INTERNAL_H_

#include <stdint.h>

#include "health.h"

/** Load the stored reporting settings (status period); 0 or the settings error. */
int vmon_reporting_config_init(void);

/** The health module's last reset (reset_listener.c): stored once as event and crash record. */
void vmon_reporting_reset_put(const struct vmon_reset_msg *m);

/** The last configuration downlink handled: its seq, its result, the refusals so far. */
void vmon_reporting_config_status(uint8_t *seq, int *err, uint32_t *refused);

#endif /* VMON_REPORTING_INTERNAL_H_ */
