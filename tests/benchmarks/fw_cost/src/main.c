/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Cost of the inference core per window against its kernels called alone, in one run:
 *
 *   features   vmon_features_compute()               vs  arm_rfft_q31 + arm_cmplx_mag_q31
 *   inference  vmon_model_quantize() + _run()        vs  the op kernels' Eval (TFLM profiler)
 *   typing     per window: both demodulators + ring pushes  vs  inverse arm_cfft_q31
 *              (VMON_ENV_DECIM and VMON_ENV_SPEED_DECIM) + arm_cmplx_mag_q31 on the same data
 *              (the magnitude's cost depends on it); per period (a full envelope ring, every
 *              VMON_ENV_LEN / (VMON_ENV_DECIM / 2) windows): both spectra, the defect lines,
 *              the verdict and the speed estimate  vs  arm_rfft_q31 + arm_cmplx_mag_q31 on
 *              the two spectra's inputs
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

#include <arm_const_structs.h>

#include <vmon/envelope.h>
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
static uint64_t wparts[4];
static uint64_t kparts[3];

/* Typing state, as the processing module will hold it. */
#define TYPING_K1 150 /* a demodulation band around 1.8 kHz */
static struct vmon_env_demod demod;
static struct vmon_env_demod sdemod;
static int32_t tail[VMON_ENV_DECIM];
static int32_t speed_tail[VMON_ENV_SPEED_DECIM / 2];
static int16_t env_mant[VMON_ENV_LEN];
static uint8_t env_shift[VMON_ENV_LEN / (VMON_ENV_DECIM / 2)];
static int16_t speed_mant[VMON_ENV_SPEED_RING];
static uint8_t speed_shift[VMON_ENV_SPEED_RING / (VMON_ENV_SPEED_DECIM / 2)];
static struct vmon_env_ring ring;
static struct vmon_env_ring sring;
static int32_t env_mag[VMON_ENV_DECIM / 2];
static int32_t spec[VMON_ENV_LEN / 2];
static q31_t cbuf[2 * VMON_ENV_DECIM];
static q31_t env_done[VMON_ENV_DECIM]; /* the magnitude's input: DECIM/2 complex values */

BUILD_ASSERT(VMON_ENV_DECIM == 128 && VMON_ENV_SPEED_DECIM == 32, "the kernels timed alone");

/* The 6205-2RS at 1797 rpm: the CWRU rig's bearing and speed. */
static const struct vmon_env_bearing bearing = {9, 7940, 39040, 0};
#define NOMINAL_MHZ 29950

/* One period's work: spectra, lines, verdict and speed; returns its cycles. */
static uint32_t typing_period(struct vmon_env_verdict *v)
{
	struct vmon_env_line lines[VMON_ENV_LINES_MAX];
	uint32_t defects[VMON_ENV_N_TYPES];
	const uint32_t t0 = k_cycle_get_32();
	const uint32_t dev = NOMINAL_MHZ * 60U / 1000U;
	int err = vmon_env_spectrum(&sring, spec);
	const uint32_t ta = k_cycle_get_32();
	const int32_t b = vmon_env_estimate_speed_bin_q8(
		spec, ARRAY_SIZE(spec), (int32_t)vmon_env_speed_bin_q8(NOMINAL_MHZ - dev),
		(int32_t)vmon_env_speed_bin_q8(NOMINAL_MHZ + dev), out_buf);
	const uint32_t shaft = (b < 0) ? NOMINAL_MHZ : vmon_env_speed_mhz((uint32_t)b);

	const uint32_t tb = k_cycle_get_32();

	err = err ?: vmon_env_spectrum(&ring, spec);
	const uint32_t tc = k_cycle_get_32();

	err = err ?: vmon_env_defects_mhz(&bearing, shaft, defects);
	const size_t n = vmon_env_defect_lines(defects, shaft, lines);
	const uint32_t td = k_cycle_get_32();

	vmon_env_verdict(spec, ARRAY_SIZE(spec), lines, n, v);
	const uint32_t te = k_cycle_get_32();

	printk("vmon_cost: period parts speed_spectrum=%u speed_estimate=%u envelope_spectrum=%u "
	       "lines=%u verdict=%u n_lines=%u\n",
	       ta - t0, tb - ta, tc - tb, td - tc, te - td, (unsigned int)n);
	return (err == 0) ? k_cycle_get_32() - t0 : 0U;
}

int main(void)
{
	int32_t f[VMON_FEAT_N_FEATURES];
	int8_t q[VMON_MODEL_N_INPUTS];
	int8_t out[VMON_MODEL_N_OUTPUTS];
	uint64_t feat = 0, infer = 0, k_fft = 0, k_nn = 0, typ = 0, k_typ = 0;
	int err = vmon_features_init();

	err = err ?: vmon_env_demod_init(&demod, VMON_ENV_DECIM, VMON_ENV_BAND, tail,
					 ARRAY_SIZE(tail));
	err = err ?: vmon_env_demod_init(&sdemod, VMON_ENV_SPEED_DECIM, VMON_ENV_SPEED_BAND,
					 speed_tail, ARRAY_SIZE(speed_tail));
	err = err ?: vmon_env_ring_init(&ring, env_mant, env_shift, VMON_ENV_LEN,
					VMON_ENV_DECIM / 2);
	err = err ?: vmon_env_ring_init(&sring, speed_mant, speed_shift, VMON_ENV_SPEED_RING,
					VMON_ENV_SPEED_DECIM / 2);

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

		/* Typing per window, on this window's spectrum (the features just computed it). */
		const int32_t *s = vmon_features_spectrum();
		const int32_t *done;
		const uint32_t t5 = k_cycle_get_32();
		const bool primed = vmon_env_demod_push(&demod, s, TYPING_K1, &done) == 0;
		const uint32_t ta = k_cycle_get_32();
		uint32_t tb = ta;
		uint32_t tc = ta;

		if (primed) {
			arm_cmplx_mag_q31(done, env_mag, VMON_ENV_DECIM / 2);
			tb = k_cycle_get_32();
			vmon_env_ring_push(&ring, env_mag, 1);
			tc = k_cycle_get_32();
			/* Untimed: the magnitude's input, for the kernel alone below. */
			memcpy(env_done, done, sizeof(env_done));
		}
		const uint32_t td = k_cycle_get_32();

		if (vmon_env_demod_push(&sdemod, s, 0, &done) == 0) {
			vmon_env_ring_push(&sring, done, 2);
		}
		const uint32_t t6 = k_cycle_get_32();

		wparts[0] += ta - t5;
		wparts[1] += tb - ta;
		wparts[2] += tc - tb;
		wparts[3] += t6 - td;

		/* Kernels alone, on the data the typing gives them: the inverse complex FFTs of
		 * the two bands (shifted and zero-padded as vmon_env_demod_push() does, untimed)
		 * and the magnitude of the envelope band's output.
		 */
		arm_shift_q31(&s[2 * TYPING_K1], VMON_ENV_PRE_SHIFT, cbuf, 2 * VMON_ENV_BAND);
		arm_fill_q31(0, &cbuf[2 * VMON_ENV_BAND], 2 * (VMON_ENV_DECIM - VMON_ENV_BAND));
		const uint32_t t7 = k_cycle_get_32();

		arm_cfft_q31(&arm_cfft_sR_q31_len128, cbuf, 1U, 1U);
		const uint32_t tk1 = k_cycle_get_32();
		uint32_t tk2 = tk1;

		if (primed) {
			arm_cmplx_mag_q31(env_done, env_mag, VMON_ENV_DECIM / 2);
			tk2 = k_cycle_get_32();
		}
		arm_shift_q31(s, VMON_ENV_PRE_SHIFT, cbuf, 2 * VMON_ENV_SPEED_BAND);
		arm_fill_q31(0, &cbuf[2 * VMON_ENV_SPEED_BAND],
			     2 * (VMON_ENV_SPEED_DECIM - VMON_ENV_SPEED_BAND));
		const uint32_t tk3 = k_cycle_get_32();

		arm_cfft_q31(&arm_cfft_sR_q31_len32, cbuf, 1U, 1U);
		const uint32_t t8 = k_cycle_get_32();

		kparts[0] += tk1 - t7;
		kparts[1] += tk2 - tk1;
		kparts[2] += t8 - tk3;

		typ += (tc - t5) + (t6 - td);
		k_typ += (tk2 - t7) + (t8 - tk3);
	}
	/* Fill both rings (untimed: the windows repeat), then one period's work. */
	for (int i = 0; !vmon_env_ring_full(&ring) || !vmon_env_ring_full(&sring); i++) {
		const int32_t *done;

		err = vmon_features_compute(vmon_golden_raw[i % VMON_GOLDEN_N], N, f, ARRAY_SIZE(f));
		if (vmon_env_demod_push(&demod, vmon_features_spectrum(), TYPING_K1, &done) == 0) {
			arm_cmplx_mag_q31(done, env_mag, VMON_ENV_DECIM / 2);
			vmon_env_ring_push(&ring, env_mag, 1);
		}
		if (vmon_env_demod_push(&sdemod, vmon_features_spectrum(), 0, &done) == 0) {
			vmon_env_ring_push(&sring, done, 2);
		}
	}
	struct vmon_env_verdict v;
	const uint32_t period = typing_period(&v);

	uint32_t k_period = 0U;

	/* The kernels on the same two inputs (the magnitude's cost depends on the data); the
	 * preparation and the copy arm_rfft_q31 needs (it works in place) stay outside.
	 */
	for (int i = 0; i < 2; i++) {
		err = err ?: vmon_env_spectrum_input(i == 0 ? &sring : &ring, work);
		const uint32_t t9 = k_cycle_get_32();

		arm_rfft_q31(&rfft, work, out_buf);
		arm_cmplx_mag_q31(out_buf, mag, N / 2);
		k_period += k_cycle_get_32() - t9;
	}

	if (err != 0 || period == 0U) {
		printk("vmon_cost: typing failed (%d)\n", err);
		return -EIO;
	}
	printk("vmon_cost: windows=%d features=%llu inference=%llu kernels_fft=%llu "
	       "kernels_nn=%llu typing_window=%llu kernels_typing_window=%llu typing_period=%u "
	       "kernels_typing_period=%u period_windows=%d clock_hz=%u\n",
	       VMON_GOLDEN_N, feat, infer, k_fft, k_nn, typ, k_typ, period, k_period,
	       VMON_ENV_LEN / (VMON_ENV_DECIM / 2), (unsigned int)sys_clock_hw_cycles_per_sec());
	printk("vmon_cost: window parts env_demod=%llu env_mag=%llu env_ring=%llu speed=%llu\n",
	       wparts[0], wparts[1], wparts[2], wparts[3]);
	printk("vmon_cost: kernel parts cfft128=%llu mag64=%llu cfft32=%llu\n", kparts[0],
	       kparts[1], kparts[2]);
	printk("vmon_cost: done\n");
	return 0;
}
