/*
 * SPDX-License-Identifier: Apache-2.0
 */

#ifndef VMON_CONSOLE_REPORT_H_
#define VMON_CONSOLE_REPORT_H_

#include <zephyr/kernel.h>

/* Held while a record line ("@vmon ...") is printed. printk emits a line character by
 * character, and records come from several threads (processing listeners, the reporting
 * loop): without it a preempting thread's line lands inside another's. */
extern struct k_mutex vmon_console_lock;

#endif /* VMON_CONSOLE_REPORT_H_ */
