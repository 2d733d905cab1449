/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The generated C payload codec against the Python codec (vmon.codec): the same random
 * records give the same bytes or the same refusal, the same byte strings (valid, truncated,
 * extended, bit-flipped, other versions and types, random) the same fields or the same error.
 */

#include <string.h>

#include <zephyr/ztest.h>

#include "vectors.h"

#define CHECK_ENCODE(name)                                                                   \
	do {                                                                                 \
		for (size_t i = 0; i < ARRAY_SIZE(name##_enc); i++) {                        \
			const struct name##_enc *v = &name##_enc[i];                         \
			uint8_t buf[VMON_PL_MAX_BYTES];                                      \
			int ret = vmon_pl_##name##_encode(&v->in, buf, sizeof(buf));         \
                                                                                             \
			if (v->err != 0) {                                                   \
				zassert_equal(ret, v->err, #name " enc %zu: %d", i, ret);    \
				continue;                                                    \
			}                                                                    \
			zassert_equal(ret, (int)v->len, #name " enc %zu: length %d", i, ret); \
			zassert_mem_equal(buf, v->bytes, v->len, #name " enc %zu: bytes", i); \
			zassert_true(v->len <= VMON_PL_##name##_MAX_BYTES_CHECK, "size");    \
			/* One byte short of the record: refused, nothing written past cap. */ \
			zassert_equal(vmon_pl_##name##_encode(&v->in, buf, v->len - 1U),     \
				      -ENOBUFS, #name " enc %zu: small buffer", i);          \
		}                                                                            \
	} while (0)

#define CHECK_DECODE(name)                                                                   \
	do {                                                                                 \
		for (size_t i = 0; i < ARRAY_SIZE(name##_dec); i++) {                        \
			const struct name##_dec *v = &name##_dec[i];                         \
			struct vmon_pl_##name out;                                           \
			int ret = vmon_pl_##name##_decode(v->bytes, v->len, &out);           \
                                                                                             \
			zassert_equal(ret, v->err, #name " dec %zu: %d, expected %d", i,     \
				      ret, v->err);                                          \
			if (ret == 0) {                                                      \
				zassert_true(eq_##name(&out, &v->out), #name " dec %zu", i); \
			}                                                                    \
		}                                                                            \
	} while (0)

/* The size limits of the smallest LoRaWAN payloads: US915 DR0 for events, EU868 DR0 else. */
#define VMON_PL_event_MAX_BYTES_CHECK     11U
#define VMON_PL_status_MAX_BYTES_CHECK    51U
#define VMON_PL_telemetry_MAX_BYTES_CHECK 51U
#define VMON_PL_crash_MAX_BYTES_CHECK     51U
#define VMON_PL_config_MAX_BYTES_CHECK    51U

BUILD_ASSERT(VMON_PL_EVENT_MAX_BYTES <= 11U, "an event must fit a US915 DR0 uplink");
BUILD_ASSERT(VMON_PL_MAX_BYTES <= 51U, "every record must fit an EU868 DR0 uplink");

ZTEST(vmon_payload, test_encode_as_python)
{
	CHECK_ENCODE(event);
	CHECK_ENCODE(status);
	CHECK_ENCODE(telemetry);
	CHECK_ENCODE(crash);
	CHECK_ENCODE(config);
}

ZTEST(vmon_payload, test_decode_as_python)
{
	CHECK_DECODE(event);
	CHECK_DECODE(status);
	CHECK_DECODE(telemetry);
	CHECK_DECODE(crash);
	CHECK_DECODE(config);
}

ZTEST(vmon_payload, test_bad_arguments)
{
	struct vmon_pl_event ev = {0};
	uint8_t buf[VMON_PL_MAX_BYTES];

	zassert_equal(vmon_pl_event_encode(NULL, buf, sizeof(buf)), -EINVAL);
	zassert_equal(vmon_pl_event_encode(&ev, NULL, sizeof(buf)), -EINVAL);
	zassert_equal(vmon_pl_event_decode(NULL, 11, &ev), -EMSGSIZE);
	zassert_equal(vmon_pl_event_decode(buf, 0, &ev), -EMSGSIZE);
	zassert_equal(vmon_pl_record_type(NULL, 0), -EMSGSIZE);
	zassert_true(vmon_pl_event_encode(&ev, buf, sizeof(buf)) > 0);
	zassert_equal(vmon_pl_record_type(buf, 1), (int)VMON_PL_EVENT_TYPE);
	zassert_equal(vmon_pl_event_decode(buf, VMON_PL_EVENT_MAX_BYTES, NULL), -EINVAL);
}

ZTEST_SUITE(vmon_payload, NULL, NULL, NULL, NULL, NULL);
