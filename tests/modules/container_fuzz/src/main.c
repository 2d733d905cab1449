/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * libFuzzer target: the signed model container's verifier (vmon_container_check(): what a
 * node runs on a model partition or a model update before it runs the model), on native_sim
 * with ASan and UBSan.
 *
 * Input: byte 0 is the mode, the rest the container. Mode 0xff writes this build's key id
 * into the header first, so the fuzzer reaches the signature check (TinyCrypt's ECDSA, some
 * milliseconds a run under the sanitizers) instead of stopping at the key id; one mode value
 * of 256 keeps those runs a small share. The verifier is pure: inputs are checked on
 * libFuzzer's thread.
 * Checks, besides crashes and sanitizer reports: a refusal is one of the documented errors;
 * nothing is accepted but the one container this build's key signed (no input without a
 * valid signature passes); the compatibility check of any well-formed input is defined.
 * A failed check calls abort(): libFuzzer records the input as a crash.
 */

#include <errno.h>
#include <string.h>

#include <nsi_cpu_if.h>
#include <tinycrypt/sha256.h>
#include <zephyr/kernel.h>

#include <vmon/container.h>

#include "container_vectors.h"
#include "fuzz_check.h"

#define INPUT_MAX (sizeof(v_good) + 256U)
#define OFF_KEY_ID 128

static uint8_t key_id[TC_SHA256_DIGEST_SIZE];
static uint8_t buf[INPUT_MAX];

static bool documented(int rc)
{
	return rc == -EMSGSIZE || rc == -EBADMSG || rc == -ENOTSUP || rc == -EPERM ||
	       rc == -EACCES || rc == -ENOEXEC || rc == -ENOMEM;
}

/* TinyCrypt's ecc.c names a random generator for key making and signing, which native_sim
 * links in (the ARM builds drop it unused). Verifying draws no random numbers: this one
 * fails any caller. */
int default_CSPRNG(uint8_t *dest, unsigned int size)
{
	ARG_UNUSED(dest);
	ARG_UNUSED(size);
	return 0;
}

int main(void)
{
	return 0;
}

NATIVE_SIMULATOR_IF int LLVMFuzzerTestOneInput(const uint8_t *data, size_t sz)
{
	struct vmon_container c;
	static bool init;

	if (!init) {
		struct tc_sha256_state_struct s;

		(void)tc_sha256_init(&s);
		(void)tc_sha256_update(&s, v_public_key, sizeof(v_public_key));
		(void)tc_sha256_final(key_id, &s);
		init = true;
	}
	if (sz < 1U || sz - 1U > INPUT_MAX) {
		return 0;
	}
	size_t len = sz - 1U;

	memcpy(buf, data + 1, len);
	if (data[0] == 0xffU && len >= OFF_KEY_ID + VMON_CONTAINER_KEY_ID_LEN) {
		memcpy(&buf[OFF_KEY_ID], key_id, VMON_CONTAINER_KEY_ID_LEN);
	}
	int rc = vmon_container_check(buf, len, &v_expect, &c);

	if (rc == 0) {
		CHECK(len == sizeof(v_good) && memcmp(buf, v_good, len) == 0,
		      "accepted %zu bytes that are not the signed container", len);
		CHECK(c.payload == buf + VMON_CONTAINER_PREFIX_LEN &&
			      c.payload_len == len - VMON_CONTAINER_PREFIX_LEN,
		      "payload bounds");
		return 0;
	}
	CHECK(documented(rc), "undocumented refusal %d", rc);
	if (vmon_container_parse(buf, len, &c) == 0) {
		CHECK(c.payload + c.payload_len == buf + len, "payload past the input");
		rc = vmon_container_compatible(&c, &v_expect);
		CHECK(rc == 0 || rc == -ENOEXEC || rc == -ENOTSUP || rc == -ENOMEM,
		      "compatibility %d", rc);
	}
	return 0;
}
