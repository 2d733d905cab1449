/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The libFuzzer targets' checks (reporting_fuzz, decision_fuzz, sampling_fuzz): a failed
 * check prints why and calls abort(), so libFuzzer records the input as a crash.
 */

#ifndef VMON_TEST_FUZZ_CHECK_H_
#define VMON_TEST_FUZZ_CHECK_H_

#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond, ...)                                                                      \
	do {                                                                                  \
		if (!(cond)) {                                                                \
			printf("vmon fuzz: check failed: " __VA_ARGS__);                      \
			printf("\n");                                                         \
			abort();                                                              \
		}                                                                             \
	} while (0)

#endif /* VMON_TEST_FUZZ_CHECK_H_ */
