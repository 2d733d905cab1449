/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The processing module as the reporting module sees it (fake_processing.c): its event
 * channel and latest status, driven by a test.
 */

#ifndef VMON_TEST_FAKE_PROCESSING_H_
#define VMON_TEST_FAKE_PROCESSING_H_

#include <stdbool.h>
#include <stdint.h>

#include "processing.h"

/* vmon_processing_status_get() answers -EAGAIN until this is true. */
void fake_processing_status(bool ready);
int fake_publish_event(enum vmon_event_type type, enum vmon_decision_state state,
		       enum vmon_fault fault, int32_t detail);

#endif /* VMON_TEST_FAKE_PROCESSING_H_ */
