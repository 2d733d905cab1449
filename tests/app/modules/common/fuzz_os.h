/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The libFuzzer targets whose code needs the kernel (reporting_fuzz, sampling_fuzz): each
 * input reaches the OS as in Zephyr's samples/subsys/debug/fuzz. LLVMFuzzerTestOneInput
 * (fuzz_os.c) raises an otherwise unused interrupt; main() handles the input on its thread
 * in vmon_fuzz_os_run(); the simulator runs until it has.
 */

#ifndef VMON_TEST_FUZZ_OS_H_
#define VMON_TEST_FUZZ_OS_H_

#include <stddef.h>
#include <stdint.h>

/** Handle inputs forever on the calling thread (main()); @p name goes in the ready line. */
void vmon_fuzz_os_run(const char *name, void (*one_input)(const uint8_t *data, size_t sz));

#endif /* VMON_TEST_FUZZ_OS_H_ */
