/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * vmon model API: the int8 classifier embedded from the model directory
 * (models/<name>/model.tflite + model.json, generated into vmon_model_config.h and
 * vmon_model_data.c at CMake configure time) and run by TensorFlow Lite Micro.
 *
 * Enabled by CONFIG_VMON_TFLM. The API is C; the implementation is C++ (TFLM).
 * All functions are thread-safe (one internal mutex) and must not be called from ISRs.
 * vmon_model_init*() runs TFLM's AllocateTensors(): call it from a thread with about
 * 2 KB of stack (not from main with Zephyr's default 1 KB).
 *
 * Error codes (negative errno; every error path logs exactly one line):
 *   -EAGAIN    vmon_model_run()/vmon_model_get_info() before a successful init
 *   -EINVAL    bad argument or size; model tensors are not int8 [1, N] with the
 *              build's VMON_MODEL_N_INPUTS / VMON_MODEL_N_OUTPUTS and zero points;
 *              feature-hash mismatch
 *   -EBADMSG   SHA-256 of the model bytes differs from the expected digest
 *   -ENOTSUP   the model uses an op the generated op resolver does not register
 *              (VMON_MODEL_OPS), a custom op, another flatbuffer schema version, or
 *              more than one subgraph
 *   -ENOMEM    the tensor arena is too small (below the measured need, or TFLM's
 *              AllocateTensors() failed)
 *   -EIO       TFLM Invoke() failed
 */

#ifndef VMON_MODEL_H_
#define VMON_MODEL_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** What is loaded (valid after a successful vmon_model_init*()). */
struct vmon_model_info {
	const char *name;          /**< model name (model.json), or the init_ext caller's */
	uint32_t version;          /**< 0 for the built-in model, else the caller's (container) */
	const char *sha256;        /**< SHA-256 (hex) the model bytes were verified against */
	const char *feature_hash;  /**< hash of the feature configuration the model expects */
	size_t model_bytes;        /**< flatbuffer size */
	size_t arena_bytes;        /**< tensor arena size given to TFLM */
	size_t arena_used;         /**< bytes in use after init (TFLM arena_used_bytes()) */
	size_t arena_min;          /**< smallest arena this model initializes in: the peak
				    *   during AllocateTensors(), measured; >= arena_used */
	size_t n_inputs;           /**< int8 inputs (features) */
	size_t n_outputs;          /**< int8 outputs (classes) */
	const char *const *labels; /**< n_outputs class names */
	int32_t output_zero_point; /**< dequantize: p = (q - output_zero_point) * output_scale */
	float output_scale;
};

/**
 * Load the embedded model into the static tensor arena
 * (VMON_MODEL_ARENA_BYTES + CONFIG_VMON_TFLM_ARENA_MARGIN bytes, rounded up to 16).
 * Verifies the SHA-256 of the model bytes against VMON_MODEL_SHA256 (-EBADMSG).
 * Calling it again re-initializes (and returns to the embedded model).
 */
int vmon_model_init(void);

/** 0 if @p feature_hash equals the model's VMON_MODEL_FEATURE_HASH, else -EINVAL. */
int vmon_model_check_feature_hash(const char *feature_hash);

/**
 * Integer features -> int8 model input, bit-exact with vmon.model.InputQuant.apply:
 * q[i] = clamp(zp + (((f[i] - mean[i]) * mult[i] + (1 << (shift - 1))) >> shift), -128, 127)
 * in 64-bit arithmetic. Uses the build-time model's parameters (vmon_model_config.h);
 * needs no init. -EINVAL unless n == q_len == VMON_MODEL_N_INPUTS (and non-NULL).
 */
int vmon_model_quantize(const int32_t *features, size_t n, int8_t *q, size_t q_len);

/**
 * One inference: @p in (n_in == n_inputs int8) -> @p out (n_out == n_outputs int8).
 * -EAGAIN if not initialized, -EINVAL on NULL pointers or sizes, -EIO if Invoke() fails.
 */
int vmon_model_run(const int8_t *in, size_t n_in, int8_t *out, size_t n_out);

/** The static tensor arena's size: the largest arena need a model may declare. */
size_t vmon_model_arena_capacity(void);

/** Fill @p info; -EAGAIN if not initialized, -EINVAL if @p info is NULL. */
int vmon_model_get_info(struct vmon_model_info *info);

/* ---- for tests and model swaps ---- */

/**
 * Another model, with the same input/output shapes, zero points and labels as the build's
 * model (it is fed by the build's feature pipeline and vmon_model_quantize()).
 * @p data must stay valid while the model is in use and should be 16-byte aligned (TFLM
 * reads it in place; at least 4-byte alignment is enforced, -EINVAL otherwise).
 * @p sha256 (64 hex digits, required) is checked against the bytes (-EBADMSG).
 * @p arena NULL selects the internal static arena (then @p arena_size is ignored).
 * A caller arena smaller than the static one is measured in the static arena first and
 * refused (-ENOMEM) below the model's peak need: this TFLM aborts instead of failing in an
 * arena a few bytes short. A model that does not fit the static arena must therefore come
 * with a caller arena at least as large as it needs.
 * The op resolver is the build's (VMON_MODEL_OPS): other ops give -ENOTSUP.
 * On any error the module is left uninitialized (vmon_model_run() -> -EAGAIN).
 */
struct vmon_model_params {
	const uint8_t *data;
	size_t len;
	const char *sha256;
	uint8_t *arena;
	size_t arena_size;
	const char *name; /**< shown in vmon_model_info (NULL: "external"); must stay valid */
	uint32_t version; /**< shown in vmon_model_info (a signed container's model version) */
};

int vmon_model_init_ext(const struct vmon_model_params *p);

/**
 * Cycles (k_cycle_get_32) spent in the op kernels during the last vmon_model_run(), for the
 * cost benchmark. -ENOTSUP unless CONFIG_VMON_TFLM_PROFILE; -EINVAL on NULL.
 */
int vmon_model_profile_cycles(uint32_t *cycles);

/** Drop the loaded model; vmon_model_run() returns -EAGAIN until the next init. */
void vmon_model_deinit(void);

#ifdef __cplusplus
}
#endif

#endif /* VMON_MODEL_H_ */
