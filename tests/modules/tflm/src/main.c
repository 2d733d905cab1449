/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * vmon TFLM wrapper: golden parity with the TFLM Python interpreter (reference kernels on
 * qemu_cortex_m3, CMSIS-NN on mps2/an521/cpu1), input quantization parity, golden
 * staleness, and every error path of include/vmon/model.h.
 */

#include <errno.h>
#include <string.h>

#include <zephyr/kernel.h>
#include <zephyr/sys/printk.h>
#include <zephyr/ztest.h>

#include <vmon/model.h>

#include "unsupported_op_model.h"
#include "vmon_golden.h"
#include "vmon_model_config.h"

extern const uint8_t vmon_model_data[];
extern const unsigned int vmon_model_data_len;

BUILD_ASSERT(VMON_GOLDEN_N_FEATURES == VMON_MODEL_N_INPUTS, "golden vectors: input count");
BUILD_ASSERT(VMON_GOLDEN_N_OUTPUTS == VMON_MODEL_N_OUTPUTS, "golden vectors: output count");

static uint8_t model_copy[VMON_MODEL_BYTES] __aligned(16);
static uint8_t small_arena[256] __aligned(16);
static uint8_t tiny_arena[64] __aligned(16);
static uint8_t exact_arena[VMON_MODEL_ARENA_BYTES + 64] __aligned(16);

static void before(void *fixture)
{
	ARG_UNUSED(fixture);
	zassert_ok(vmon_model_init(), "vmon_model_init");
}

/* (a) int8 input -> int8 output, byte for byte with the TFLM Python interpreter. */
ZTEST(vmon_tflm, test_golden_parity)
{
	int8_t out[VMON_MODEL_N_OUTPUTS];

	for (int i = 0; i < VMON_GOLDEN_N; i++) {
		zassert_ok(vmon_model_run(vmon_golden_input[i], VMON_MODEL_N_INPUTS, out,
					  sizeof(out)));
		zassert_mem_equal(out, vmon_golden_output[i], sizeof(out),
				  "window %d (%s): got %d %d %d %d, want %d %d %d %d", i,
				  vmon_golden_names[i], out[0], out[1], out[2], out[3],
				  vmon_golden_output[i][0], vmon_golden_output[i][1],
				  vmon_golden_output[i][2], vmon_golden_output[i][3]);
	}
}

/* (b) integer features -> int8 input, as vmon.ml.model.InputQuant.apply. */
ZTEST(vmon_tflm, test_quantize_parity)
{
	int8_t q[VMON_MODEL_N_INPUTS];

	for (int i = 0; i < VMON_GOLDEN_N; i++) {
		zassert_ok(vmon_model_quantize(vmon_golden_features[i], VMON_MODEL_N_INPUTS, q,
					       sizeof(q)));
		for (int k = 0; k < VMON_MODEL_N_INPUTS; k++) {
			zassert_equal(q[k], vmon_golden_input[i][k],
				      "window %d (%s) feature %d: %d != %d", i,
				      vmon_golden_names[i], k, q[k], vmon_golden_input[i][k]);
		}
	}
}

/* (c) the golden vectors belong to the embedded model and feature configuration. */
ZTEST(vmon_tflm, test_golden_staleness)
{
	struct vmon_model_info info;

	zassert_str_equal(VMON_MODEL_SHA256, VMON_GOLDEN_MODEL_SHA256,
			  "golden vectors are stale for this model: run `invoke embed`");
	zassert_str_equal(VMON_MODEL_FEATURE_HASH, VMON_GOLDEN_FEATURE_HASH,
			  "golden vectors are stale for this feature configuration");
	zassert_ok(vmon_model_check_feature_hash(VMON_GOLDEN_FEATURE_HASH));
	zassert_ok(vmon_model_get_info(&info));
	zassert_str_equal(info.sha256, VMON_GOLDEN_MODEL_SHA256);
	zassert_str_equal(info.feature_hash, VMON_GOLDEN_FEATURE_HASH);
}

ZTEST(vmon_tflm, test_info)
{
	struct vmon_model_info info;

	zassert_ok(vmon_model_get_info(&info));
	zassert_str_equal(info.name, VMON_MODEL_NAME);
	zassert_equal(info.model_bytes, VMON_MODEL_BYTES);
	zassert_equal(info.n_inputs, VMON_MODEL_N_INPUTS);
	zassert_equal(info.n_outputs, VMON_MODEL_N_OUTPUTS);
	zassert_equal(info.output_zero_point, VMON_MODEL_OUTPUT_ZERO_POINT);
	zassert_true(info.output_scale == VMON_MODEL_OUTPUT_SCALE);
	zassert_str_equal(info.labels[0], ((const char *[])VMON_MODEL_LABELS)[0]);
	zassert_true(info.arena_used > 0 && info.arena_used <= info.arena_min);
	zassert_true(info.arena_min <= info.arena_bytes);
	zassert_true(info.arena_bytes >= VMON_MODEL_ARENA_BYTES);
	printk("vmon_tflm: tensor arena %u B (generated %u B, host-measured, + margin); "
	       "used after init %u B, peak need %u B\n",
	       (unsigned int)info.arena_bytes, (unsigned int)VMON_MODEL_ARENA_BYTES,
	       (unsigned int)info.arena_used, (unsigned int)info.arena_min);
}

/* (d) error paths: each returns its errno, logs one line, and leaves the module
 * uninitialized (run -> -EAGAIN) until the next successful init. */
ZTEST(vmon_tflm, test_err_bad_model_hash)
{
	int8_t out[VMON_MODEL_N_OUTPUTS];
	const struct vmon_model_params p = {
		.data = model_copy,
		.len = VMON_MODEL_BYTES,
		.sha256 = VMON_MODEL_SHA256,
	};

	memcpy(model_copy, vmon_model_data, VMON_MODEL_BYTES);
	model_copy[VMON_MODEL_BYTES / 2] ^= 0x01;
	zassert_equal(vmon_model_init_ext(&p), -EBADMSG);
	zassert_equal(vmon_model_run(vmon_golden_input[0], VMON_MODEL_N_INPUTS, out, sizeof(out)),
		      -EAGAIN);
	/* The intact copy (RAM, not the flash array) loads. */
	model_copy[VMON_MODEL_BYTES / 2] ^= 0x01;
	zassert_ok(vmon_model_init_ext(&p));
	zassert_ok(vmon_model_run(vmon_golden_input[0], VMON_MODEL_N_INPUTS, out, sizeof(out)));
	zassert_mem_equal(out, vmon_golden_output[0], sizeof(out));
}

ZTEST(vmon_tflm, test_err_feature_hash)
{
	zassert_equal(vmon_model_check_feature_hash("deadbeef"), -EINVAL);
	zassert_equal(vmon_model_check_feature_hash(NULL), -EINVAL);
	zassert_ok(vmon_model_check_feature_hash(VMON_MODEL_FEATURE_HASH));
}

ZTEST(vmon_tflm, test_err_arena_too_small)
{
	struct vmon_model_info info;
	int8_t out[VMON_MODEL_N_OUTPUTS];
	struct vmon_model_params p = {
		.data = vmon_model_data,
		.len = vmon_model_data_len,
		.sha256 = VMON_MODEL_SHA256,
		.arena = small_arena,
		.arena_size = sizeof(small_arena),
	};

	zassert_equal(vmon_model_init_ext(&p), -ENOMEM);
	p.arena = tiny_arena;
	p.arena_size = sizeof(tiny_arena);
	zassert_equal(vmon_model_init_ext(&p), -ENOMEM);

	zassert_ok(vmon_model_init());
	zassert_ok(vmon_model_get_info(&info));
	zassert_true(info.arena_min <= sizeof(exact_arena));
	p.arena = exact_arena;
	/* TFLM aborts in an arena of exactly arena_used_bytes() (its Prepare() peak is
	 * higher); the wrapper refuses it instead. */
	if (info.arena_used < info.arena_min) {
		p.arena_size = info.arena_used;
		zassert_equal(vmon_model_init_ext(&p), -ENOMEM);
	}
	p.arena_size = info.arena_min - 16;
	zassert_equal(vmon_model_init_ext(&p), -ENOMEM);
	/* The measured peak is enough, and the model runs in it. */
	p.arena_size = info.arena_min;
	zassert_ok(vmon_model_init_ext(&p), "arena of exactly arena_min (%u B)",
		   (unsigned int)info.arena_min);
	zassert_ok(vmon_model_run(vmon_golden_input[2], VMON_MODEL_N_INPUTS, out, sizeof(out)));
	zassert_mem_equal(out, vmon_golden_output[2], sizeof(out));
}

ZTEST(vmon_tflm, test_err_unsupported_op)
{
	const struct vmon_model_params p = {
		.data = vmon_test_unsupported_model,
		.len = VMON_TEST_UNSUPPORTED_LEN,
		.sha256 = VMON_TEST_UNSUPPORTED_SHA256,
	};

	zassert_equal(vmon_model_init_ext(&p), -ENOTSUP, "model with " VMON_TEST_UNSUPPORTED_OP);
}

ZTEST(vmon_tflm, test_err_not_initialized)
{
	int8_t out[VMON_MODEL_N_OUTPUTS];
	struct vmon_model_info info;

	vmon_model_deinit();
	zassert_equal(vmon_model_run(vmon_golden_input[0], VMON_MODEL_N_INPUTS, out, sizeof(out)),
		      -EAGAIN);
	zassert_equal(vmon_model_get_info(&info), -EAGAIN);
	/* Quantization needs no model. */
	int8_t q[VMON_MODEL_N_INPUTS];

	zassert_ok(vmon_model_quantize(vmon_golden_features[0], VMON_MODEL_N_INPUTS, q, sizeof(q)));
	zassert_mem_equal(q, vmon_golden_input[0], sizeof(q));
}

ZTEST(vmon_tflm, test_err_bad_sizes)
{
	int8_t in[VMON_MODEL_N_INPUTS] = {0};
	int8_t out[VMON_MODEL_N_OUTPUTS + 1];
	int32_t f[VMON_MODEL_N_INPUTS] = {0};
	struct vmon_model_params p = {
		.data = vmon_model_data,
		.len = vmon_model_data_len,
		.sha256 = VMON_MODEL_SHA256,
	};

	zassert_equal(vmon_model_run(in, VMON_MODEL_N_INPUTS - 1, out, VMON_MODEL_N_OUTPUTS),
		      -EINVAL);
	zassert_equal(vmon_model_run(in, VMON_MODEL_N_INPUTS, out, VMON_MODEL_N_OUTPUTS + 1),
		      -EINVAL);
	zassert_equal(vmon_model_run(NULL, VMON_MODEL_N_INPUTS, out, VMON_MODEL_N_OUTPUTS),
		      -EINVAL);
	zassert_equal(vmon_model_quantize(f, VMON_MODEL_N_INPUTS + 1, in, sizeof(in)), -EINVAL);
	zassert_equal(vmon_model_get_info(NULL), -EINVAL);
	/* The failed calls above left the model loaded. */
	zassert_ok(vmon_model_run(in, VMON_MODEL_N_INPUTS, out, VMON_MODEL_N_OUTPUTS));

	zassert_equal(vmon_model_init_ext(NULL), -EINVAL);
	p.sha256 = "not-a-digest";
	zassert_equal(vmon_model_init_ext(&p), -EINVAL);
	p.sha256 = VMON_MODEL_SHA256;
	p.data = model_copy + 1; /* misaligned */
	zassert_equal(vmon_model_init_ext(&p), -EINVAL);
}

/* (e) for information: cycles per inference. */
ZTEST(vmon_tflm, test_zz_cycles)
{
	int8_t out[VMON_MODEL_N_OUTPUTS];
	uint32_t min = UINT32_MAX, max = 0;
	uint64_t sum = 0;
	const int reps = 4;

	for (int r = 0; r < reps; r++) {
		for (int i = 0; i < VMON_GOLDEN_N; i++) {
			uint32_t t0 = k_cycle_get_32();

			zassert_ok(vmon_model_run(vmon_golden_input[i], VMON_MODEL_N_INPUTS, out,
						  sizeof(out)));
			uint32_t dt = k_cycle_get_32() - t0;

			min = MIN(min, dt);
			max = MAX(max, dt);
			sum += dt;
		}
	}
	uint32_t mean = (uint32_t)(sum / (reps * VMON_GOLDEN_N));

	printk("vmon_tflm: inference cycles min %u mean %u max %u (%u Hz cycle clock, "
	       "%u us mean)\n",
	       min, mean, max, (unsigned int)sys_clock_hw_cycles_per_sec(),
	       (unsigned int)k_cyc_to_us_near32(mean));

	size_t unused;

	if (k_thread_stack_space_get(k_current_get(), &unused) == 0) {
		printk("vmon_tflm: test thread stack (init + inference) used %u of %u B\n",
		       (unsigned int)(CONFIG_ZTEST_STACK_SIZE - unused),
		       (unsigned int)CONFIG_ZTEST_STACK_SIZE);
	}
}

ZTEST_SUITE(vmon_tflm, NULL, NULL, before, NULL, NULL);
