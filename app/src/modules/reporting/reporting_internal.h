/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Between the reporting module's files: the configuration side (config.c).
 */

#ifndef VMON_REPORTING_INTERNAL_H_
#define VMON_REPORTING_INTERNAL_H_

#include <stdint.h>

/** Load the stored reporting settings (status period); 0 or the settings error. */
int vmon_reporting_config_init(void);

/** The last configuration downlink handled: its seq, its result, the refusals so far. */
void vmon_reporting_config_status(uint8_t *seq, int *err, uint32_t *refused);

#endif /* VMON_REPORTING_INTERNAL_H_ */
