/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The test's fakes: Zephyr's LoRaWAN API (fake_lorawan.c) and the processing module's event
 * channel and status (../common/fake_processing.c).
 */

#ifndef VMON_TEST_FAKES_H_
#define VMON_TEST_FAKES_H_

#include <stdbool.h>
#include <stdint.h>

#include "fake_processing.h"

#define FAKE_MAX_UPLINKS 64
#define FAKE_MAX_JOINS   8
/* Joins at boot fail this often (-ETIMEDOUT), then succeed. */
#define FAKE_JOIN_FAILURES 2

struct fake_uplink {
	uint8_t port;
	uint8_t len;
	bool confirmed;
	uint8_t data[51];
	int result;
};

struct fake_join {
	int64_t t_ms;
	uint16_t dev_nonce;
	int result;
};

/* Results of the next lorawan_send() calls (after them: 0). */
void fake_lw_script_send(const int *results, int n);
void fake_lw_set_max_payload(uint8_t n);
int fake_lw_uplinks(const struct fake_uplink **out);
int fake_lw_joins(const struct fake_join **out);
bool fake_lw_adr(void);
void fake_lw_downlink(uint8_t port, const uint8_t *data, uint8_t len);

#endif /* VMON_TEST_FAKES_H_ */
