/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * libFuzzer target: the commissioning baseline's settings record ("vmon/dec/bl", what the
 * node reads from flash at every boot: baseline_decode()), on native_sim with ASan and UBSan.
 *
 * Input: byte 0 is the mode, the rest the record. Mode bit 0 writes a correct CRC-32 over the
 * record first, so the fuzzer reaches the checks behind the CRC (a CRC only proves the bytes
 * are what was written; the values must still be ones a commissioning can produce).
 * Checks, besides crashes and sanitizer reports: a refusal is one of the documented errors;
 * an accepted record is the only encoding of its content (baseline_encode() writes the same
 * bytes back), and scoring the most extreme features against it is defined (UBSan).
 * A failed check calls abort(): libFuzzer records the input as a crash.
 *
 * baseline.c is pure (no kernel objects): inputs are decoded on libFuzzer's thread, without
 * the interrupt hand-off the configuration target needs.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nsi_cpu_if.h>
#include <zephyr/kernel.h>
#include <zephyr/sys/crc.h>

#include "baseline.h"
#include "fuzz_check.h"

/* The record's binding: gen_corpus.py writes the seeds with the same. */
#define N_FEATURES   8U
#define FEATURE_HASH 0x766d6f6eU

/* Longer inputs are refused for their length alone; no need to copy them. */
#define REC_MAX (BASELINE_REC_SIZE(VMON_DECISION_FEATURES_MAX) + 64U)

static void one_input(const uint8_t *rec, size_t len)
{
	static struct baseline b;
	static uint8_t again[REC_MAX];
	int32_t f[N_FEATURES];
	int rc = baseline_decode(rec, len, N_FEATURES, FEATURE_HASH, &b);

	if (rc != 0) {
		CHECK(rc == -EMSGSIZE || rc == -ENOTSUP || rc == -EBADMSG || rc == -ESTALE,
		      "undocumented refusal %d", rc);
		return;
	}
	CHECK(b.n_features == N_FEATURES && b.feature_hash == FEATURE_HASH, "binding");
	CHECK(b.n_windows >= VMON_DECISION_COMMISSION_MIN &&
		      b.n_windows <= VMON_DECISION_COMMISSION_MAX,
	      "windows %u", b.n_windows);
	CHECK(baseline_encode(&b, again, sizeof(again)) == len && memcmp(again, rec, len) == 0,
	      "accepted a non-canonical record (%zu bytes)", len);
	/* The extremes of features_in_range(): the novelty's integer arithmetic must hold. */
	for (size_t i = 0; i < N_FEATURES; i++) {
		f[i] = (i & 1U) ? VMON_DECISION_FEATURE_ABS_MAX : -VMON_DECISION_FEATURE_ABS_MAX;
	}
	CHECK(features_in_range(f, N_FEATURES), "the extremes are in range");
	(void)baseline_novelty_q8(&b, f);
	memset(f, 0, sizeof(f));
	(void)baseline_novelty_q8(&b, f);
}

int main(void)
{
	return 0;
}

NATIVE_SIMULATOR_IF int LLVMFuzzerTestOneInput(const uint8_t *data, size_t sz)
{
	if (sz < 1U) {
		return 0;
	}
	const uint8_t mode = data[0];
	const size_t len = sz - 1U;

	if ((mode & 1U) == 0U || len < sizeof(uint32_t) || len > REC_MAX) {
		one_input(data + 1, len);
		return 0;
	}
	/* An exact-size copy: ASan still sees a read past its end. */
	uint8_t *rec = malloc(len);
	uint32_t crc;

	CHECK(rec != NULL, "malloc");
	memcpy(rec, data + 1, len);
	crc = crc32_ieee(rec, len - sizeof(crc));
	memcpy(rec + len - sizeof(crc), &crc, sizeof(crc));
	one_input(rec, len);
	free(rec);
	return 0;
}
