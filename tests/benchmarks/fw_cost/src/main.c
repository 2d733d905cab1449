/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Cost of the inference core per window against its kernels called alone, in one run:
 *
 *   features   vmon_features_compute()               vs  arm_rfft_q31 + arm_cmplx_mag_q31
 *   inference  vmon_model_quantize() + _run()        vs  the op kernels' Eval (TFLM profiler)
 *
 * on the golden windows (tests/modules/golden). Under QEMU -icount the cycle counter is the
 * virtual clock, which advances by instructions (2^shift ns each), so the figures are
 * instruction counts times a constant. The clock counts the instructions of every core:
 * vmon.workflows.bench parks cpu0 in WFI (../cpu0_park.S) so they are this core's alone. One line
 * per result for vmon.workflows.bench.
 */

#include <string.h>

#include <zephyr/kernel.h>
#include <zephyr/sys/printk.h>

#include <arm_math.h>

#include <vmon/features.h>
#include <vmon/model.h>

#include "vmon_golden.h"
#include "vmon_model_config.h"

#define N VMON_FEAT_WINDOW

static q31_t in_buf[N];
static q31_t work[N];
static q31_t out_buf[2 * N];
static q31_t mag[N / 2];
static arm_rfft_instance_q31 rfft;

int main(void)
{
	int32_t f[VMON_FEAT_N_FEATURES];
	int8_t q[VMON_MODEL_N_INPUTS];
	int8_t out[VMON_MODEL_N_OUTPUTS];
	uint64_t feat = 0, infer = 0, k_fft = 0, k_nn = 0;
	int err = vmon_features_init();

	err = err ?: vmon_model_init();
	err = err ?: (arm_rfft_init_q31(&rfft, N, 0U, 1U) == ARM_MATH_SUCCESS ? 0 : -EINVAL);
	if (err != 0) {
		printk("vmon_cost: init failed (%d)\n", err);
		return err;
	}
	for (int i = 0; i < VMON_GOLDEN_N; i++) {
		const int16_t *x = vmon_golden_raw[i];
		uint32_t nn_cycles;

		/* The kernels' input: the same window as q31 (prepared outside the timing). */
		for (int k = 0; k < N; k++) {
			in_buf[k] = (q31_t)x[k] << 16;
		}

		uint32_t t0 = k_cycle_get_32();

		err = vmon_features_compute(x, N, f, ARRAY_SIZE(f));
		uint32_t t1 = k_cycle_get_32();

		err = err ?: vmon_model_quantize(f, ARRAY_SIZE(f), q, sizeof(q));
		err = err ?: vmon_model_run(q, sizeof(q), out, sizeof(out));
		uint32_t t2 = k_cycle_get_32();

		err = err ?: vmon_model_profile_cycles(&nn_cycles);

		/* arm_rfft_q31 works in place on its input: a fresh copy each time. */
		memcpy(work, in_buf, sizeof(work));
		uint32_t t3 = k_cycle_get_32();

		arm_rfft_q31(&rfft, work, out_buf);
		arm_cmplx_mag_q31(out_buf, mag, N / 2);
		uint32_t t4 = k_cycle_get_32();

		if (err != 0 || memcmp(out, vmon_golden_output[i], sizeof(out)) != 0) {
			printk("vmon_cost: window %d failed (%d)\n", i, err);
			return -EIO;
		}
		feat += t1 - t0;
		infer += t2 - t1;
		k_fft += t4 - t3;
		k_nn += nn_cycles;
	}
	printk("vmon_cost: windows=%d features=%llu inference=%llu kernels_fft=%llu "
	       "kernels_nn=%llu clock_hz=%u\n",
	       VMON_GOLDEN_N, feat, infer, k_fft, k_nn, (unsigned int)sys_clock_hw_cycles_per_sec());
	printk("vmon_cost: done\n");
	return 0;
}
