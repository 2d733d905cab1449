/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The model store's boot path (app/src/modules/model_store) on partition images signed with
 * this build's throw-away key (store_vectors.h, generated at configure time): which model
 * runs, and why a partition's model was refused.
 */

#include <errno.h>
#include <string.h>

#include <zephyr/kernel.h>
#include <zephyr/storage/flash_map.h>
#include <zephyr/ztest.h>

#include <vmon/model.h>

#include "model_store.h"
#include "store_vectors.h"
#include "vmon_model_config.h"

#define PARTITION_ID DT_FIXED_PARTITION_ID(DT_CHOSEN(vmon_model_partition))
/* The application's processing thread, where the node activates its model. */
#define PROCESSING_STACK 2048

static uint8_t image[sizeof(v_good) + 4] __aligned(4);

/* The partition holding @p data and nothing else (erased after it). */
static void store(const uint8_t *data, size_t len)
{
	const struct flash_area *fa;
	size_t padded = ROUND_UP(len, 4);

	zassert_true(padded <= sizeof(image));
	/* TFLM reads a partition's model in place: never rewrite it under a running model. */
	vmon_model_deinit();
	memset(image, 0xff, padded);
	memcpy(image, data, len);
	zassert_ok(flash_area_open(PARTITION_ID, &fa));
	zassert_ok(flash_area_erase(fa, 0, fa->fa_size));
	if (padded > 0) {
		zassert_ok(flash_area_write(fa, 0, image, padded));
	}
	flash_area_close(fa);
}

/* Activate, and check that some model decides afterwards. */
static struct vmon_model_store_status activate(void)
{
	struct vmon_model_store_status st;
	int8_t in[VMON_MODEL_N_INPUTS] = {0};
	int8_t out[VMON_MODEL_N_OUTPUTS];

	zassert_ok(vmon_model_store_activate(&st));
	zassert_ok(vmon_model_run(in, sizeof(in), out, sizeof(out)));
	return st;
}

/* The built-in model runs and the partition's was refused for @p err. */
static void assert_refused(const struct vmon_model_store_status *st, int err, const char *what)
{
	struct vmon_model_info info;

	zassert_equal(st->partition_err, err, "%s: %d, expected %d", what, st->partition_err, err);
	zassert_equal(st->source, VMON_MODEL_SOURCE_BUILTIN, "%s", what);
	zassert_equal(st->version, 0);
	zassert_ok(vmon_model_get_info(&info));
	zassert_equal(info.version, 0, "%s: the built-in model runs", what);
}

ZTEST(vmon_model_store, test_empty_partition_runs_the_builtin_model)
{
	struct vmon_model_store_status st, again;

	store(NULL, 0);
	st = activate();
	assert_refused(&st, -ENOENT, "empty");
	zassert_equal(st.capacity, DT_REG_SIZE(DT_CHOSEN(vmon_model_partition)) / 2);
	zassert_equal(st.slot, -1);
	zassert_ok(vmon_model_store_status_get(&again));
	zassert_equal(again.partition_err, -ENOENT);
}

ZTEST(vmon_model_store, test_signed_model_runs_from_the_partition)
{
	int8_t in[VMON_MODEL_N_INPUTS];
	int8_t builtin_out[VMON_MODEL_N_OUTPUTS], out[VMON_MODEL_N_OUTPUTS];
	struct vmon_model_store_status st;
	struct vmon_model_info info;

	for (size_t i = 0; i < sizeof(in); i++) {
		in[i] = (int8_t)(i * 37 - 100);
	}
	zassert_ok(vmon_model_init());
	zassert_ok(vmon_model_run(in, sizeof(in), builtin_out, sizeof(builtin_out)));

	store(v_good, sizeof(v_good));
	st = activate();
	zassert_ok(st.partition_err);
	zassert_equal(st.source, VMON_MODEL_SOURCE_PARTITION);
	zassert_equal(st.version, V_VERSION);
	zassert_ok(vmon_model_get_info(&info));
	zassert_str_equal(info.name, VMON_MODEL_NAME);
	zassert_equal(info.version, V_VERSION);
	zassert_equal(info.model_bytes, sizeof(v_good) - VMON_CONTAINER_PREFIX_LEN);
	/* The shipped model, signed: the partition's copy decides as the built-in one does. */
	zassert_ok(vmon_model_run(in, sizeof(in), out, sizeof(out)));
	zassert_mem_equal(out, builtin_out, sizeof(out));
}

ZTEST(vmon_model_store, test_arena_capacity_is_the_vectors)
{
	zassert_equal(vmon_model_arena_capacity(), V_ARENA_MAX);
}

ZTEST(vmon_model_store, test_each_bad_model_is_refused_for_its_reason)
{
	for (size_t i = 0; i < ARRAY_SIZE(v_cases); i++) {
		struct vmon_model_store_status st;

		store(v_cases[i].data, v_cases[i].len);
		st = activate();
		assert_refused(&st, v_cases[i].err, v_cases[i].what);
	}
}

ZTEST(vmon_model_store, test_bit_flips_are_refused)
{
	static uint8_t bad[sizeof(v_good)];

	for (size_t i = 0; i < ARRAY_SIZE(v_flips); i++) {
		struct vmon_model_store_status st;

		memcpy(bad, v_good, sizeof(bad));
		bad[v_flips[i].pos] ^= (uint8_t)(1U << v_flips[i].bit);
		store(bad, sizeof(bad));
		st = activate();
		assert_refused(&st, v_flips[i].err, "bit flip");
	}
	TC_PRINT("%zu bit flips refused, the built-in model running after each\n",
		 ARRAY_SIZE(v_flips));
}

ZTEST(vmon_model_store, test_truncations_are_refused)
{
	for (size_t i = 0; i < ARRAY_SIZE(v_truncations); i++) {
		struct vmon_model_store_status st;

		store(v_good, v_truncations[i].len);
		st = activate();
		assert_refused(&st, v_truncations[i].err, "truncation");
	}
	TC_PRINT("%zu truncations refused\n", ARRAY_SIZE(v_truncations));
}

static K_THREAD_STACK_DEFINE(proc_stack, PROCESSING_STACK);
static struct k_thread proc_thread;
static int proc_result;

static void activate_in_thread(void *a, void *b, void *c)
{
	ARG_UNUSED(a);
	ARG_UNUSED(b);
	ARG_UNUSED(c);
	struct vmon_model_store_status st;

	proc_result = vmon_model_store_activate(&st);
	if (proc_result == 0 && st.source != VMON_MODEL_SOURCE_PARTITION) {
		proc_result = -ENOENT;
	}
}

ZTEST(vmon_model_store, test_activation_fits_the_processing_stack)
{
	size_t unused;

	store(v_good, sizeof(v_good));
	k_thread_create(&proc_thread, proc_stack, K_THREAD_STACK_SIZEOF(proc_stack),
			activate_in_thread, NULL, NULL, NULL, K_PRIO_PREEMPT(1), 0, K_NO_WAIT);
	zassert_ok(k_thread_join(&proc_thread, K_FOREVER));
	zassert_ok(proc_result);
	zassert_ok(k_thread_stack_space_get(&proc_thread, &unused));
	TC_PRINT("activation (signature, digest, TFLM) left %zu of %d B of stack\n", unused,
		 PROCESSING_STACK);
	/* The processing thread goes on to compute features in the same stack afterwards,
	 * but not from inside the activation: a quarter of it spare is the margin. */
	zassert_true(unused >= PROCESSING_STACK / 4, "%zu B left", unused);
}

/* --- updates (vmon_model_update_*): into the free slot, verified before activation ----- */

/* Upload @p data in chunks of @p chunk bytes; the first error, or finish's result. */
static int upload(const uint8_t *data, size_t len, size_t chunk, uint32_t *version)
{
	int err = vmon_model_update_begin(len);

	for (size_t off = 0; err == 0 && off < len; off += chunk) {
		err = vmon_model_update_write(off, data + off, MIN(chunk, len - off));
	}
	return err != 0 ? err : vmon_model_update_finish(version);
}

static uint32_t refused(void)
{
	struct vmon_model_store_status st;

	zassert_ok(vmon_model_store_status_get(&st));
	return st.refused;
}

/* The partition's model v_good (V_VERSION) running from slot 0. */
static void run_good_from_slot0(void)
{
	struct vmon_model_store_status st;

	store(v_good, sizeof(v_good));
	st = activate();
	zassert_equal(st.source, VMON_MODEL_SOURCE_PARTITION);
	zassert_equal(st.slot, 0);
}

ZTEST(vmon_model_store, test_update_goes_to_the_free_slot_and_the_newest_runs)
{
	struct vmon_model_store_status st;
	uint32_t version = 0;

	run_good_from_slot0();
	/* Odd chunks: the flash is written in whole blocks all the same. */
	zassert_ok(upload(v_newer, sizeof(v_newer), 77, &version));
	zassert_equal(version, V_VERSION + 1);
	/* Verified, not yet switched to: the running model was never touched. */
	zassert_ok(vmon_model_store_status_get(&st));
	zassert_equal(st.slot, 0);
	zassert_equal(st.updates, 1);
	vmon_model_deinit();
	st = activate();
	zassert_equal(st.source, VMON_MODEL_SOURCE_PARTITION);
	zassert_equal(st.slot, 1);
	zassert_equal(st.version, V_VERSION + 1);
}

ZTEST(vmon_model_store, test_update_that_is_not_newer_is_refused)
{
	uint32_t version;
	uint32_t before;

	run_good_from_slot0();
	before = refused();
	/* No rollback: the running partition model's own version again. */
	zassert_equal(upload(v_good, sizeof(v_good), 128, &version), -EPERM);
	zassert_equal(refused(), before + 1);
}

ZTEST(vmon_model_store, test_bad_updates_are_refused_and_the_model_runs_on)
{
	static uint8_t big[sizeof(v_good)];
	struct vmon_model_store_status st;
	size_t cap = DT_REG_SIZE(DT_CHOSEN(vmon_model_partition)) / 2;
	uint32_t version;
	uint32_t before;

	run_good_from_slot0();
	before = refused();
	/* Each bad model for its reason (the boot path's verdicts). */
	for (size_t i = 0; i < ARRAY_SIZE(v_cases); i++) {
		if (v_cases[i].len == 0) {
			zassert_equal(vmon_model_update_begin(0), -EINVAL);
			continue;
		}
		zassert_equal(upload(v_cases[i].data, v_cases[i].len, 200, &version),
			      v_cases[i].err, "%s", v_cases[i].what);
	}
	/* A full partition: larger than a slot. */
	zassert_equal(vmon_model_update_begin(cap + 1), -ENOSPC);
	/* Out of order, and past the announced length. */
	zassert_ok(vmon_model_update_begin(sizeof(v_newer)));
	zassert_ok(vmon_model_update_write(0, v_newer, 100));
	zassert_equal(vmon_model_update_write(200, v_newer + 200, 100), -ERANGE);
	zassert_equal(vmon_model_update_write(100, v_newer + 100, 100), -EINVAL, "abandoned");
	zassert_ok(vmon_model_update_begin(16));
	zassert_equal(vmon_model_update_write(0, big, 17), -EMSGSIZE);
	/* Finishing what was never completed. */
	zassert_ok(vmon_model_update_begin(sizeof(v_newer)));
	zassert_ok(vmon_model_update_write(0, v_newer, 64));
	zassert_equal(vmon_model_update_finish(&version), -EINVAL);
	zassert_equal(refused(), before + ARRAY_SIZE(v_cases) + 5);
	/* The running model was never touched: slot 0 still decides. */
	zassert_ok(vmon_model_store_status_get(&st));
	zassert_equal(st.slot, 0);
	int8_t in[VMON_MODEL_N_INPUTS] = {0};
	int8_t out[VMON_MODEL_N_OUTPUTS];

	zassert_ok(vmon_model_run(in, sizeof(in), out, sizeof(out)));
	/* And a restart (a power loss) picks it again: nothing refused stayed in slot 1. */
	vmon_model_deinit();
	st = activate();
	zassert_equal(st.slot, 0);
	zassert_equal(st.version, V_VERSION);
}

ZTEST(vmon_model_store, test_interrupted_update_leaves_the_old_model)
{
	struct vmon_model_store_status st;

	run_good_from_slot0();
	/* Half of the newer model written, then the power goes (the next boot activates). */
	zassert_ok(vmon_model_update_begin(sizeof(v_newer)));
	zassert_ok(vmon_model_update_write(0, v_newer, sizeof(v_newer) / 2));
	vmon_model_deinit();
	st = activate();
	zassert_equal(st.source, VMON_MODEL_SOURCE_PARTITION);
	zassert_equal(st.slot, 0);
	zassert_equal(st.version, V_VERSION);
	zassert_ok(st.partition_err, "a partial upload is not a fault");
}

ZTEST_SUITE(vmon_model_store, NULL, NULL, NULL, NULL, NULL);
