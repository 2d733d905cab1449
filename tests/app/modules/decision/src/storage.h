/*
 * SPDX-License-Identifier: Apache-2.0
 */

#ifndef VMON_TEST_DECISION_STORAGE_H_
#define VMON_TEST_DECISION_STORAGE_H_

#include <stdint.h>

/* Boots since power-on (kept in noinit RAM across sys_reboot()). */
uint32_t t_boot_count(void);
void t_boot_next(void);

#endif /* VMON_TEST_DECISION_STORAGE_H_ */
