/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The signed model container's verifier (include/vmon/container.h) against the verdicts of
 * vmon.dsp.container (container_vectors.h, generated at configure time with fresh keys).
 */

#include <errno.h>
#include <string.h>

#include <zephyr/kernel.h>
#include <zephyr/ztest.h>

#include <vmon/container.h>

#include "container_vectors.h"

static uint8_t work[sizeof(v_good) + 1] __aligned(4);

ZTEST(vmon_container, test_shipped_model_is_accepted)
{
	struct vmon_container c;
	uint32_t t0 = k_cycle_get_32();

	zassert_ok(vmon_container_check(v_good, sizeof(v_good), &v_expect, &c));
	uint32_t cycles = k_cycle_get_32() - t0;

	zassert_equal(c.payload_len, sizeof(v_good) - VMON_CONTAINER_PREFIX_LEN);
	zassert_equal_ptr(c.payload, v_good + VMON_CONTAINER_PREFIX_LEN);
	zassert_equal(c.model_version, 1);
	zassert_str_equal(c.name, "bearing-fault-12k");
	zassert_equal(c.n_inputs, V_N_INPUTS);
	TC_PRINT("verified %zu B in %u cycles of the system timer\n", sizeof(v_good), cycles);
}

ZTEST(vmon_container, test_each_bad_container_is_refused_for_its_reason)
{
	struct vmon_container c;

	for (size_t i = 0; i < ARRAY_SIZE(v_cases); i++) {
		const struct v_case *v = &v_cases[i];

		zassert_equal(vmon_container_check(v->data, v->len, &v_expect, &c), v->err,
			      "%s: expected %d", v->what, v->err);
	}
}

ZTEST(vmon_container, test_bit_flips_are_refused)
{
	struct vmon_container c;

	for (size_t i = 0; i < ARRAY_SIZE(v_flips); i++) {
		memcpy(work, v_good, sizeof(v_good));
		work[v_flips[i].pos] ^= (uint8_t)(1U << v_flips[i].bit);
		zassert_equal(vmon_container_check(work, sizeof(v_good), &v_expect, &c),
			      v_flips[i].err, "flip %zu at byte %u bit %u", i, v_flips[i].pos,
			      v_flips[i].bit);
	}
	TC_PRINT("%zu bit flips refused, each for the Python verifier's reason\n",
		 ARRAY_SIZE(v_flips));
}

ZTEST(vmon_container, test_truncations_are_refused)
{
	struct vmon_container c;

	for (size_t i = 0; i < ARRAY_SIZE(v_truncations); i++) {
		zassert_equal(vmon_container_check(v_good, v_truncations[i].len, &v_expect, &c),
			      v_truncations[i].err, "truncated to %u", v_truncations[i].len);
	}
}

ZTEST(vmon_container, test_bad_arguments)
{
	struct vmon_container c;

	zassert_equal(vmon_container_parse(NULL, 10, &c), -EINVAL);
	zassert_equal(vmon_container_parse(v_good, sizeof(v_good), NULL), -EINVAL);
	zassert_ok(vmon_container_parse(v_good, sizeof(v_good), &c));
	zassert_equal(vmon_container_verify(&c, NULL), -EINVAL);
	zassert_equal(vmon_container_compatible(NULL, &v_expect), -EINVAL);
}

/* A model partition's content: the container, then erased flash. */
ZTEST(vmon_container, test_stored_container_is_read_out_of_its_partition)
{
	static uint8_t part[sizeof(v_good) + 64] __aligned(4);
	struct vmon_container c;

	memset(part, 0xff, sizeof(part));
	zassert_equal(vmon_container_check_stored(part, sizeof(part), &v_expect, &c), -ENOENT);
	memcpy(part, v_good, sizeof(v_good));
	zassert_ok(vmon_container_check_stored(part, sizeof(part), &v_expect, &c));
	zassert_equal(c.payload_len, sizeof(v_good) - VMON_CONTAINER_PREFIX_LEN);
	/* A partition too small for what the header claims. */
	zassert_equal(vmon_container_check_stored(part, sizeof(v_good) - 1, &v_expect, &c),
		      -EMSGSIZE);
	zassert_equal(vmon_container_check_stored(NULL, sizeof(part), &v_expect, &c), -EINVAL);
}

ZTEST_SUITE(vmon_container, NULL, NULL, NULL, NULL, NULL);
