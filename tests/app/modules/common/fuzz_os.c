/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * fuzz_os.h: the interrupt hand-off of each libFuzzer input to the OS.
 */

#include <stdio.h>

#include <irq_ctrl.h>
#include <nsi_cpu_if.h>
#include <nsi_main_semipublic.h>
#include <zephyr/irq.h>
#include <zephyr/kernel.h>

#include "fuzz_os.h"

static const uint8_t *fuzz_buf;
static size_t fuzz_sz;
static K_SEM_DEFINE(fuzz_sem, 0, 1);
/* Set when an input is handled; read outside the OS (native_sim runs one at a time). */
static volatile bool handled;

static void fuzz_isr(const void *arg)
{
	ARG_UNUSED(arg);
	k_sem_give(&fuzz_sem);
}

void vmon_fuzz_os_run(const char *name, void (*one_input)(const uint8_t *data, size_t sz))
{
	IRQ_CONNECT(CONFIG_VMON_FUZZ_IRQ, 0, fuzz_isr, NULL, 0);
	irq_enable(CONFIG_VMON_FUZZ_IRQ);
	printf("vmon fuzz: %s ready\n", name);
	while (true) {
		k_sem_take(&fuzz_sem, K_FOREVER);
		one_input(fuzz_buf, fuzz_sz);
		handled = true;
	}
}

NATIVE_SIMULATOR_IF int LLVMFuzzerTestOneInput(const uint8_t *data, size_t sz)
{
	static bool runner_initialized;

	if (!runner_initialized) {
		nsi_init(0, NULL);
		runner_initialized = true;
	}
	fuzz_buf = data;
	fuzz_sz = sz;
	handled = false;
	hw_irq_ctrl_set_irq(CONFIG_VMON_FUZZ_IRQ);
	/* Run simulated time until main() has handled this input (a flash write may sleep). */
	while (!handled) {
		nsi_exec_for(k_ticks_to_us_ceil64(CONFIG_VMON_FUZZ_TICKS));
	}
	return 0;
}
