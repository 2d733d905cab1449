/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * vmon TFLM wrapper: the C API of include/vmon/model.h around TensorFlow Lite Micro.
 *
 * Everything model specific comes from the generated vmon_model_config.h (op list, arena
 * size, input quantization, labels) and vmon_model_data.c (the flatbuffer). Init order and
 * the errno each step maps to:
 *   arguments, alignment            -EINVAL
 *   SHA-256 of the model bytes      -EBADMSG   (TinyCrypt)
 *   schema version, one subgraph    -ENOTSUP
 *   every op code in the resolver   -ENOTSUP   (checked here, before TFLM, because
 *                                              AllocateTensors() reports a missing op and
 *                                              an exhausted arena alike as kTfLiteError)
 *   arena below the measured need   -ENOMEM    (see "Arena sizing" below)
 *   AllocateTensors()               -ENOMEM    (arena too small; also a kernel Prepare()
 *                                              rejecting the model, e.g. per-channel FC:
 *                                              TFLM's own log line tells which)
 *   tensors int8 [1, N], zero point -EINVAL
 *
 * Arena sizing. This TFLM export does not fail cleanly on every arena that is too small:
 * kernels' Prepare() allocate temporary TfLiteTensors and AllocateTempTfLiteTensor() does
 * not check for NULL, so an arena a few bytes short aborts (TFLITE_DCHECK -> abort()). And
 * interpreter.arena_used_bytes() is not a safe size: it is the state after
 * AllocateTensors(), below the peak reached during Prepare() (an arena of exactly
 * arena_used_bytes() aborts). The wrapper therefore gives TFLM its own arena allocator,
 * PeakArena, which records the peak of persistent + non-persistent bytes over the whole of
 * AllocateTensors() (plus what the memory planner needs for its buffer list). That peak is
 * the smallest arena the model initializes in, reproducibly, because head and tail of the
 * arena are both 16-byte aligned. A caller arena smaller than the static one is first
 * measured in the static arena and refused with -ENOMEM if it is below the peak, before
 * TFLM touches it. The embedded model's static arena (VMON_MODEL_ARENA_BYTES, measured on a
 * 64-bit host, plus CONFIG_VMON_TFLM_ARENA_MARGIN) is above the device's peak.
 */

#include <errno.h>
#include <string.h>

#include <new>

#include <zephyr/kernel.h>
#include <zephyr/logging/log.h>
#include <zephyr/sys/util.h>

#include <tinycrypt/constants.h>
#include <tinycrypt/sha256.h>

#include "tensorflow/lite/micro/arena_allocator/single_arena_buffer_allocator.h"
#include "tensorflow/lite/micro/memory_planner/greedy_memory_planner.h"
#include "tensorflow/lite/micro/micro_allocator.h"
#include "tensorflow/lite/micro/micro_arena_constants.h"
#include "tensorflow/lite/micro/micro_interpreter.h"
#include "tensorflow/lite/micro/micro_mutable_op_resolver.h"
#include "tensorflow/lite/micro/micro_profiler_interface.h"
#include "tensorflow/lite/schema/schema_generated.h"
#include "tensorflow/lite/schema/schema_utils.h"

#include <vmon/model.h>

#include "vmon_model_config.h"

LOG_MODULE_REGISTER(vmon_model, CONFIG_VMON_TFLM_LOG_LEVEL);

extern "C" {
extern const uint8_t vmon_model_data[];
extern const unsigned int vmon_model_data_len;
}

/* ------------------------------------------------------------------ build-time checks */

#define VMON_ARENA_SIZE                                                                  \
	ROUND_UP(VMON_MODEL_ARENA_BYTES + CONFIG_VMON_TFLM_ARENA_MARGIN,                   \
		 tflite::MicroArenaBufferAlignment())

namespace
{

constexpr const char *const labels[] = VMON_MODEL_LABELS;
/* Narrowing in a C++ brace initializer is an error: a mean or multiplier that does not
 * fit in int32 stops the build here. */
constexpr int32_t input_mean[] = VMON_MODEL_INPUT_MEAN;
constexpr int32_t input_mult[] = VMON_MODEL_INPUT_MULT;

} /* namespace */

BUILD_ASSERT(VMON_MODEL_ARENA_BYTES > 0 && VMON_MODEL_ARENA_BYTES <= 256 * 1024,
	     "vmon: implausible generated tensor arena size");
BUILD_ASSERT(VMON_ARENA_SIZE >= VMON_MODEL_ARENA_BYTES && VMON_ARENA_SIZE % 16 == 0,
	     "vmon: tensor arena must cover the generated size and be a multiple of 16");
BUILD_ASSERT(VMON_MODEL_BYTES > 0, "vmon: empty model");
BUILD_ASSERT(VMON_MODEL_N_OPS > 0, "vmon: model without ops");
BUILD_ASSERT(VMON_MODEL_N_INPUTS > 0 && VMON_MODEL_N_OUTPUTS > 0, "vmon: empty tensors");
BUILD_ASSERT(ARRAY_SIZE(labels) == VMON_MODEL_N_OUTPUTS, "vmon: one label per output");
BUILD_ASSERT(ARRAY_SIZE(input_mean) == VMON_MODEL_N_INPUTS &&
		     ARRAY_SIZE(input_mult) == VMON_MODEL_N_INPUTS,
	     "vmon: one mean and multiplier per input");
BUILD_ASSERT(VMON_MODEL_INPUT_SHIFT >= 1 && VMON_MODEL_INPUT_SHIFT <= 32,
	     "vmon: input shift out of range");
BUILD_ASSERT(VMON_MODEL_INPUT_ZERO_POINT >= -128 && VMON_MODEL_INPUT_ZERO_POINT <= 127 &&
		     VMON_MODEL_OUTPUT_ZERO_POINT >= -128 && VMON_MODEL_OUTPUT_ZERO_POINT <= 127,
	     "vmon: int8 zero points");
BUILD_ASSERT(sizeof(VMON_MODEL_SHA256) == 2 * TC_SHA256_DIGEST_SIZE + 1,
	     "vmon: VMON_MODEL_SHA256 must be 64 hex digits");

/* ------------------------------------------------------------------ state */

namespace
{

using Resolver = tflite::MicroMutableOpResolver<VMON_MODEL_N_OPS>;
constexpr size_t arena_align = tflite::MicroArenaBufferAlignment();

/*
 * TFLM's single-arena allocator that also records the peak bytes in use (see "Arena
 * sizing" above). The memory planner's request for all remaining memory is not counted
 * as such; what the planner needs for its buffer list is added after AllocateTensors().
 */
class PeakArena : public tflite::SingleArenaBufferAllocator {
public:
	PeakArena(uint8_t *buf, size_t size) : tflite::SingleArenaBufferAllocator(buf, size)
	{
	}

	uint8_t *AllocatePersistentBuffer(size_t size, size_t alignment) override
	{
		return note(tflite::SingleArenaBufferAllocator::AllocatePersistentBuffer(
			size, alignment));
	}

	uint8_t *AllocateTemp(size_t size, size_t alignment) override
	{
		if (size > 0 && size == GetAvailableMemory(alignment)) {
			/* The memory planner's scratch: everything that is left. */
			planner_base_ = in_use();
			return tflite::SingleArenaBufferAllocator::AllocateTemp(size, alignment);
		}
		return note(tflite::SingleArenaBufferAllocator::AllocateTemp(size, alignment));
	}

	TfLiteStatus ResizeBuffer(uint8_t *buf, size_t size, size_t alignment) override
	{
		TfLiteStatus ret =
			tflite::SingleArenaBufferAllocator::ResizeBuffer(buf, size, alignment);

		if (ret == kTfLiteOk) {
			note(buf);
		}
		return ret;
	}

	TfLiteStatus ReserveNonPersistentOverlayMemory(size_t size, size_t alignment) override
	{
		TfLiteStatus ret =
			tflite::SingleArenaBufferAllocator::ReserveNonPersistentOverlayMemory(
				size, alignment);

		if (ret == kTfLiteOk) {
			peak_ = MAX(peak_, in_use());
		}
		return ret;
	}

	/* Smallest arena (bytes, multiple of 16) this allocation sequence fits in. */
	size_t peak(size_t planner_bytes) const
	{
		size_t p = peak_;

		if (planner_base_ != 0) {
			p = MAX(p, planner_base_ + arena_align + planner_bytes);
		}
		return ROUND_UP(p, arena_align);
	}

private:
	size_t in_use() const { return GetNonPersistentUsedBytes() + GetPersistentUsedBytes(); }

	uint8_t *note(uint8_t *ret)
	{
		if (ret != nullptr) {
			peak_ = MAX(peak_, in_use());
		}
		return ret;
	}

	size_t peak_ = 0;
	size_t planner_base_ = 0;
};

/* The arena must hold the MicroAllocator object, which TFLM places in it unchecked. */
constexpr size_t arena_floor =
	ROUND_UP(sizeof(tflite::MicroAllocator) + alignof(tflite::MicroAllocator), arena_align);

alignas(16) uint8_t tensor_arena[VMON_ARENA_SIZE];

/* Cycles spent in the op kernels (Eval) of the last Invoke(): the "kernels alone" side of
 * the cost benchmark. TFLM wraps each op's Init/Prepare/Eval in one event; never nested. */
class CycleProfiler : public tflite::MicroProfilerInterface {
public:
	uint32_t BeginEvent(const char *tag) override
	{
		ARG_UNUSED(tag);
		start_ = k_cycle_get_32();
		return 0;
	}

	void EndEvent(uint32_t event_handle) override
	{
		ARG_UNUSED(event_handle);
		total_ += k_cycle_get_32() - start_;
	}

	void Reset() { total_ = 0; }
	uint32_t Total() const { return total_; }

private:
	uint32_t start_ = 0;
	uint32_t total_ = 0;
};

alignas(CycleProfiler) uint8_t profiler_buf[sizeof(CycleProfiler)];
CycleProfiler *profiler;

/* Constructed in place at init (no static constructors, re-init without a heap). */
alignas(Resolver) uint8_t resolver_buf[sizeof(Resolver)];
alignas(PeakArena) uint8_t mem_buf[sizeof(PeakArena)];
alignas(tflite::GreedyMemoryPlanner) uint8_t planner_buf[sizeof(tflite::GreedyMemoryPlanner)];
alignas(tflite::MicroInterpreter) uint8_t interp_buf[sizeof(tflite::MicroInterpreter)];
Resolver *resolver;
PeakArena *mem;
tflite::GreedyMemoryPlanner *planner;
tflite::MicroInterpreter *interp;

struct state {
	bool ready;
	const char *name;
	uint32_t version;
	const char *sha256;
	const char *feature_hash;
	size_t model_bytes;
	size_t arena_bytes;
	size_t arena_used;
	size_t arena_min;
	TfLiteTensor *in;
	TfLiteTensor *out;
} st;

} /* namespace */

K_MUTEX_DEFINE(vmon_model_lock);

namespace
{

class Lock {
public:
	Lock() { (void)k_mutex_lock(&vmon_model_lock, K_FOREVER); }
	~Lock() { (void)k_mutex_unlock(&vmon_model_lock); }
	Lock(const Lock &) = delete;
	Lock &operator=(const Lock &) = delete;
};

void drop_interpreter()
{
	if (interp != nullptr) {
		interp->~MicroInterpreter();
		interp = nullptr;
	}
	if (planner != nullptr) {
		planner->~GreedyMemoryPlanner();
		planner = nullptr;
	}
	if (mem != nullptr) {
		mem->~PeakArena();
		mem = nullptr;
	}
}

void teardown()
{
	drop_interpreter();
	st = {};
}

int build_resolver()
{
	if (resolver != nullptr) {
		return 0;
	}
	Resolver *r = new (resolver_buf) Resolver();

#define VMON_ADD_OP(name, method)                                                          \
	if (r->method() != kTfLiteOk) {                                                    \
		LOG_ERR("op resolver: cannot register %s", #name);                         \
		return -EINVAL;                                                            \
	}
	VMON_MODEL_OPS(VMON_ADD_OP)
#undef VMON_ADD_OP

	resolver = r;
	return 0;
}

int hex_nibble(char c)
{
	if (c >= '0' && c <= '9') {
		return c - '0';
	}
	if (c >= 'a' && c <= 'f') {
		return c - 'a' + 10;
	}
	if (c >= 'A' && c <= 'F') {
		return c - 'A' + 10;
	}
	return -1;
}

int check_sha256(const uint8_t *data, size_t len, const char *hex)
{
	uint8_t want[TC_SHA256_DIGEST_SIZE];
	uint8_t got[TC_SHA256_DIGEST_SIZE];
	struct tc_sha256_state_struct s;

	if (strlen(hex) != 2 * sizeof(want)) {
		LOG_ERR("expected sha256 is not 64 hex digits");
		return -EINVAL;
	}
	for (size_t i = 0; i < sizeof(want); i++) {
		int hi = hex_nibble(hex[2 * i]);
		int lo = hex_nibble(hex[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			LOG_ERR("expected sha256 is not 64 hex digits");
			return -EINVAL;
		}
		want[i] = (uint8_t)((hi << 4) | lo);
	}
	if (tc_sha256_init(&s) != TC_CRYPTO_SUCCESS ||
	    tc_sha256_update(&s, data, len) != TC_CRYPTO_SUCCESS ||
	    tc_sha256_final(got, &s) != TC_CRYPTO_SUCCESS) {
		LOG_ERR("sha256 failed");
		return -EIO;
	}
	if (memcmp(got, want, sizeof(want)) != 0) {
		LOG_ERR("model sha256 mismatch: %02x%02x%02x%02x... (%u B), expected %.8s...",
			got[0], got[1], got[2], got[3], (unsigned int)len, hex);
		return -EBADMSG;
	}
	return 0;
}

/* Every op code the model declares must be in the resolver (TFLM would only say
 * kTfLiteError from AllocateTensors()). */
int check_ops(const tflite::Model *model)
{
	const auto *codes = model->operator_codes();

	if (codes == nullptr) {
		LOG_ERR("model has no operator codes");
		return -ENOTSUP;
	}
	for (const tflite::OperatorCode *code : *codes) {
		tflite::BuiltinOperator op = tflite::GetBuiltinCode(code);

		if (op == tflite::BuiltinOperator_CUSTOM) {
			const char *name =
				code->custom_code() != nullptr ? code->custom_code()->c_str() : "?";

			if (resolver->FindOp(name) == nullptr) {
				LOG_ERR("model uses custom op %s, not in the op resolver", name);
				return -ENOTSUP;
			}
		} else if (resolver->FindOp(op) == nullptr) {
			/* The code, not the name: EnumNameBuiltinOperator() links every op name
			 * (~3.5 KB); `invoke embed` names the op on the host. */
			LOG_ERR("model uses builtin op %d, not in the op resolver (VMON_MODEL_OPS)",
				(int)op);
			return -ENOTSUP;
		}
	}
	return 0;
}

int check_tensor(const TfLiteTensor *t, const char *what, int expect_n, int expect_zp)
{
	if (t == nullptr || t->type != kTfLiteInt8 || t->data.int8 == nullptr ||
	    t->dims == nullptr || t->dims->size != 2 || t->dims->data[0] != 1 ||
	    t->dims->data[1] != expect_n || t->bytes != (size_t)expect_n) {
		LOG_ERR("%s tensor is not int8 [1, %d]", what, expect_n);
		return -EINVAL;
	}
	if (t->params.zero_point != expect_zp) {
		LOG_ERR("%s zero point %d, the build's quantization has %d", what,
			(int)t->params.zero_point, expect_zp);
		return -EINVAL;
	}
	return 0;
}

/* A 16-byte aligned window of [buf, buf + size) whose size is a multiple of 16. */
void align_arena(uint8_t *buf, size_t size, uint8_t **base, size_t *usable)
{
	uintptr_t b = ROUND_UP((uintptr_t)buf, arena_align);
	size_t skip = b - (uintptr_t)buf;

	*base = (uint8_t *)b;
	*usable = size > skip ? ROUND_DOWN(size - skip, arena_align) : 0;
}

/* Interpreter in [base, base + usable): AllocateTensors(), peak and used bytes. */
int start(const tflite::Model *model, uint8_t *base, size_t usable, size_t *used, size_t *peak)
{
	if (usable < arena_floor) {
		LOG_ERR("tensor arena of %u B is below TFLM's %u B of bookkeeping",
			(unsigned int)usable, (unsigned int)arena_floor);
		return -ENOMEM;
	}
	/* A clean arena: if AllocateTensors() stops half way, the interpreter's destructor
	 * sees null registrations instead of a previous model's. */
	memset(base, 0, usable);
	mem = new (mem_buf) PeakArena(base, usable);
	planner = new (planner_buf) tflite::GreedyMemoryPlanner();
	tflite::MicroAllocator *alloc = tflite::MicroAllocator::Create(mem, planner);

	if (IS_ENABLED(CONFIG_VMON_TFLM_PROFILE) && profiler == nullptr) {
		profiler = new (profiler_buf) CycleProfiler();
	}
	interp = new (interp_buf) tflite::MicroInterpreter(model, *resolver, alloc, nullptr,
							   profiler);
	if (interp->initialization_status() != kTfLiteOk) {
		LOG_ERR("TFLM interpreter initialization failed");
		return -EIO;
	}
	if (interp->AllocateTensors() != kTfLiteOk) {
		LOG_ERR("AllocateTensors failed: tensor arena of %u B too small, or a kernel "
			"rejected the model (TFLM's message above)",
			(unsigned int)usable);
		return -ENOMEM;
	}
	*used = interp->arena_used_bytes();
	*peak = mem->peak(tflite::GreedyMemoryPlanner::per_buffer_size() *
			  (size_t)planner->GetBufferCount());
	if (*used > usable) {
		LOG_ERR("TFLM reports %u B used of a %u B arena", (unsigned int)*used,
			(unsigned int)usable);
		return -ENOMEM;
	}
	return 0;
}

int load(const struct vmon_model_params *p, const char *name, const char *feature_hash)
{
	int err;

	if (p == nullptr || p->data == nullptr || p->len == 0 || p->sha256 == nullptr) {
		LOG_ERR("model params: data, len and sha256 are required");
		return -EINVAL;
	}
	if (((uintptr_t)p->data & 3U) != 0) {
		LOG_ERR("model data at %p is not 4-byte aligned", (const void *)p->data);
		return -EINVAL;
	}
	err = build_resolver();
	if (err != 0) {
		return err;
	}
	err = check_sha256(p->data, p->len, p->sha256);
	if (err != 0) {
		return err;
	}

	const tflite::Model *model = tflite::GetModel(p->data);

	if (model->version() != TFLITE_SCHEMA_VERSION) {
		LOG_ERR("model schema version %u, TFLM supports %d", (unsigned int)model->version(),
			TFLITE_SCHEMA_VERSION);
		return -ENOTSUP;
	}
	if (model->subgraphs() == nullptr || model->subgraphs()->size() != 1) {
		LOG_ERR("model must have exactly one subgraph");
		return -ENOTSUP;
	}
	err = check_ops(model);
	if (err != 0) {
		return err;
	}

	uint8_t *static_base, *base;
	size_t static_usable, usable, used, peak;
	size_t arena_size = p->arena != nullptr ? p->arena_size : sizeof(tensor_arena);

	align_arena(tensor_arena, sizeof(tensor_arena), &static_base, &static_usable);
	if (p->arena != nullptr) {
		align_arena(p->arena, p->arena_size, &base, &usable);
	} else {
		base = static_base;
		usable = static_usable;
	}
	if (usable < static_usable) {
		/* Measure in the static arena first: TFLM may abort in a short arena. */
		err = start(model, static_base, static_usable, &used, &peak);
		drop_interpreter();
		if (err != 0) {
			return err;
		}
		if (usable < peak) {
			LOG_ERR("tensor arena of %u B (%u B usable) too small: the model needs %u B",
				(unsigned int)arena_size, (unsigned int)usable, (unsigned int)peak);
			return -ENOMEM;
		}
	}
	err = start(model, base, usable, &used, &peak);
	if (err != 0) {
		return err;
	}
	if (interp->inputs_size() != 1 || interp->outputs_size() != 1) {
		LOG_ERR("model has %u inputs and %u outputs, expected 1 and 1",
			(unsigned int)interp->inputs_size(), (unsigned int)interp->outputs_size());
		return -EINVAL;
	}
	TfLiteTensor *in = interp->input(0);
	TfLiteTensor *out = interp->output(0);

	err = check_tensor(in, "input", VMON_MODEL_N_INPUTS, VMON_MODEL_INPUT_ZERO_POINT);
	if (err != 0) {
		return err;
	}
	err = check_tensor(out, "output", VMON_MODEL_N_OUTPUTS, VMON_MODEL_OUTPUT_ZERO_POINT);
	if (err != 0) {
		return err;
	}

	st.name = name;
	st.version = p->version;
	st.sha256 = p->sha256;
	st.feature_hash = feature_hash;
	st.model_bytes = p->len;
	st.arena_bytes = arena_size;
	st.arena_used = used;
	st.arena_min = peak;
	st.in = in;
	st.out = out;
	st.ready = true;
	LOG_INF("model %s: %u B, %u ops; tensor arena %u B, TFLM uses %u B, needs %u B at peak",
		name, (unsigned int)p->len, (unsigned int)VMON_MODEL_N_OPS,
		(unsigned int)arena_size, (unsigned int)used, (unsigned int)peak);
	return 0;
}

int init_locked(const struct vmon_model_params *p, const char *name, const char *feature_hash)
{
	teardown();
	int err = load(p, name, feature_hash);

	if (err != 0) {
		teardown();
	}
	return err;
}

} /* namespace */

/* ------------------------------------------------------------------ C API */

extern "C" int vmon_model_init(void)
{
	const struct vmon_model_params p = {
		.data = vmon_model_data,
		.len = vmon_model_data_len,
		.sha256 = VMON_MODEL_SHA256,
		.arena = tensor_arena,
		.arena_size = sizeof(tensor_arena),
	};
	Lock lock;

	return init_locked(&p, VMON_MODEL_NAME, VMON_MODEL_FEATURE_HASH);
}

extern "C" int vmon_model_init_ext(const struct vmon_model_params *p)
{
	Lock lock;

	/* External models feed on the build's feature pipeline and quantization. */
	return init_locked(p, p != nullptr && p->name != nullptr ? p->name : "external",
			   VMON_MODEL_FEATURE_HASH);
}

extern "C" size_t vmon_model_arena_capacity(void)
{
	return sizeof(tensor_arena);
}

extern "C" void vmon_model_deinit(void)
{
	Lock lock;

	teardown();
}

extern "C" int vmon_model_check_feature_hash(const char *feature_hash)
{
	if (feature_hash == nullptr || strcmp(feature_hash, VMON_MODEL_FEATURE_HASH) != 0) {
		LOG_ERR("feature configuration %.12s... does not match the model's %.12s...",
			feature_hash != nullptr ? feature_hash : "(null)", VMON_MODEL_FEATURE_HASH);
		return -EINVAL;
	}
	return 0;
}

extern "C" int vmon_model_quantize(const int32_t *features, size_t n, int8_t *q, size_t q_len)
{
	if (features == nullptr || q == nullptr || n != VMON_MODEL_N_INPUTS ||
	    q_len != VMON_MODEL_N_INPUTS) {
		LOG_ERR("quantize: need %d features and outputs, got %u and %u",
			VMON_MODEL_N_INPUTS, (unsigned int)n, (unsigned int)q_len);
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		/* |f - mean| < 2^32 and mult < 2^31: the product fits in int64. >> on a
		 * negative int64 is arithmetic (floor), as numpy's. */
		int64_t acc = ((int64_t)features[i] - input_mean[i]) * input_mult[i];
		int64_t v = ((acc + ((int64_t)1 << (VMON_MODEL_INPUT_SHIFT - 1))) >>
			     VMON_MODEL_INPUT_SHIFT) +
			    VMON_MODEL_INPUT_ZERO_POINT;

		q[i] = (int8_t)CLAMP(v, INT8_MIN, INT8_MAX);
	}
	return 0;
}

extern "C" int vmon_model_run(const int8_t *in, size_t n_in, int8_t *out, size_t n_out)
{
	Lock lock;

	if (!st.ready) {
		LOG_ERR("run: model not initialized");
		return -EAGAIN;
	}
	if (in == nullptr || out == nullptr || n_in != st.in->bytes || n_out != st.out->bytes) {
		LOG_ERR("run: need %u inputs and %u outputs, got %u and %u",
			(unsigned int)st.in->bytes, (unsigned int)st.out->bytes,
			(unsigned int)n_in, (unsigned int)n_out);
		return -EINVAL;
	}
	memcpy(st.in->data.int8, in, n_in);
	if (profiler != nullptr) {
		profiler->Reset();
	}
	if (interp->Invoke() != kTfLiteOk) {
		LOG_ERR("run: TFLM Invoke failed");
		return -EIO;
	}
	memcpy(out, st.out->data.int8, n_out);
	return 0;
}

extern "C" int vmon_model_profile_cycles(uint32_t *cycles)
{
	Lock lock;

	if (cycles == nullptr || profiler == nullptr) {
		return profiler == nullptr ? -ENOTSUP : -EINVAL;
	}
	*cycles = profiler->Total();
	return 0;
}

extern "C" int vmon_model_get_info(struct vmon_model_info *info)
{
	Lock lock;

	if (info == nullptr) {
		LOG_ERR("get_info: NULL");
		return -EINVAL;
	}
	if (!st.ready) {
		LOG_ERR("get_info: model not initialized");
		return -EAGAIN;
	}
	*info = {};
	info->name = st.name;
	info->version = st.version;
	info->sha256 = st.sha256;
	info->feature_hash = st.feature_hash;
	info->model_bytes = st.model_bytes;
	info->arena_bytes = st.arena_bytes;
	info->arena_used = st.arena_used;
	info->arena_min = st.arena_min;
	info->n_inputs = st.in->bytes;
	info->n_outputs = st.out->bytes;
	info->labels = labels;
	info->output_zero_point = st.out->params.zero_point;
	info->output_scale = st.out->params.scale;
	return 0;
}
