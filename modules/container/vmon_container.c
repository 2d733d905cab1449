/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The signed model container's verifier (include/vmon/container.h). Pure: fuzzed on
 * native_sim (tests/modules/container_fuzz) and checked against vmon.dsp.container's verdicts
 * (tests/modules/container).
 */

#include <errno.h>
#include <string.h>

#include <tinycrypt/constants.h>
#include <tinycrypt/ecc.h>
#include <tinycrypt/ecc_dsa.h>
#include <tinycrypt/sha256.h>
#include <zephyr/sys/byteorder.h>
#include <zephyr/sys/util.h>

#include <vmon/container.h>

/* Header offsets (vmon.dsp.container). */
#define OFF_FORMAT     4
#define OFF_HEADER_LEN 6
#define OFF_VERSION    8
#define OFF_PAYLOAD    12
#define OFF_ARENA      16
#define OFF_OPS        20
#define OFF_N_IN       24
#define OFF_N_OUT      26
#define OFF_FLAGS      28
#define OFF_FEATURE    32
#define OFF_INTERFACE  64
#define OFF_SHA        96
#define OFF_KEY_ID     128
#define OFF_NAME       136
#define NAME_LEN       24

BUILD_ASSERT(OFF_NAME + NAME_LEN == VMON_CONTAINER_HEADER_LEN, "header layout");

static const uint8_t magic[4] = {'V', 'M', 'D', 'L'};

static void sha256(const uint8_t *data, size_t len, uint8_t out[TC_SHA256_DIGEST_SIZE])
{
	struct tc_sha256_state_struct s;

	(void)tc_sha256_init(&s);
	(void)tc_sha256_update(&s, data, len);
	(void)tc_sha256_final(out, &s);
}

int vmon_container_parse(const uint8_t *buf, size_t len, struct vmon_container *out)
{
	if (buf == NULL || out == NULL) {
		return -EINVAL;
	}
	if (len < VMON_CONTAINER_PREFIX_LEN) {
		return -EMSGSIZE;
	}
	if (memcmp(buf, magic, sizeof(magic)) != 0) {
		return -EBADMSG;
	}
	if (sys_get_le16(&buf[OFF_FORMAT]) != VMON_CONTAINER_FORMAT ||
	    sys_get_le16(&buf[OFF_HEADER_LEN]) != VMON_CONTAINER_HEADER_LEN) {
		return -ENOTSUP;
	}
	uint32_t payload_len = sys_get_le32(&buf[OFF_PAYLOAD]);

	/* Subtracting keeps a huge payload_len from wrapping the sum. */
	if (payload_len == 0U || len - VMON_CONTAINER_PREFIX_LEN != payload_len) {
		return -EMSGSIZE;
	}
	if (sys_get_le32(&buf[OFF_FLAGS]) != 0U ||
	    memchr(&buf[OFF_NAME], '\0', NAME_LEN) == NULL) {
		return -EBADMSG;
	}
	*out = (struct vmon_container){
		.model_version = sys_get_le32(&buf[OFF_VERSION]),
		.payload_len = payload_len,
		.arena_bytes = sys_get_le32(&buf[OFF_ARENA]),
		.ops = sys_get_le32(&buf[OFF_OPS]),
		.n_inputs = sys_get_le16(&buf[OFF_N_IN]),
		.n_outputs = sys_get_le16(&buf[OFF_N_OUT]),
		.header = buf,
		.feature_hash = &buf[OFF_FEATURE],
		.interface_hash = &buf[OFF_INTERFACE],
		.payload_sha256 = &buf[OFF_SHA],
		.key_id = &buf[OFF_KEY_ID],
		.signature = &buf[VMON_CONTAINER_HEADER_LEN],
		.name = (const char *)&buf[OFF_NAME],
		.payload = &buf[VMON_CONTAINER_PREFIX_LEN],
	};
	return 0;
}

int vmon_container_compatible(const struct vmon_container *c,
			      const struct vmon_container_expect *e)
{
	if (c == NULL || e == NULL) {
		return -EINVAL;
	}
	if (memcmp(c->feature_hash, e->feature_hash, VMON_CONTAINER_HASH_LEN) != 0 ||
	    memcmp(c->interface_hash, e->interface_hash, VMON_CONTAINER_HASH_LEN) != 0 ||
	    c->n_inputs != e->n_inputs || c->n_outputs != e->n_outputs) {
		return -ENOEXEC;
	}
	if ((c->ops & ~e->ops) != 0U) {
		return -ENOTSUP;
	}
	if (c->arena_bytes > e->arena_max) {
		return -ENOMEM;
	}
	return 0;
}

int vmon_container_verify(const struct vmon_container *c, const struct vmon_container_expect *e)
{
	uint8_t digest[TC_SHA256_DIGEST_SIZE];

	if (c == NULL || e == NULL || e->public_key == NULL) {
		return -EINVAL;
	}
	sha256(e->public_key, VMON_CONTAINER_KEY_LEN, digest);
	if (memcmp(c->key_id, digest, VMON_CONTAINER_KEY_ID_LEN) != 0) {
		return -EPERM;
	}
	sha256(c->header, VMON_CONTAINER_HEADER_LEN, digest);
	if (uECC_verify(e->public_key, digest, sizeof(digest), c->signature, uECC_secp256r1()) !=
	    1) {
		return -EACCES;
	}
	/* The header is authentic from here on: its digest of the model is the one to meet. */
	sha256(c->payload, c->payload_len, digest);
	if (memcmp(digest, c->payload_sha256, sizeof(digest)) != 0) {
		return -EBADMSG;
	}
	return vmon_container_compatible(c, e);
}

int vmon_container_check(const uint8_t *buf, size_t len, const struct vmon_container_expect *e,
			 struct vmon_container *out)
{
	int err = vmon_container_parse(buf, len, out);

	return err != 0 ? err : vmon_container_verify(out, e);
}

int vmon_container_check_stored(const uint8_t *buf, size_t cap,
				const struct vmon_container_expect *e, struct vmon_container *out)
{
	static const uint8_t erased[4] = {0xff, 0xff, 0xff, 0xff};
	size_t len = cap;

	if (buf == NULL) {
		return -EINVAL;
	}
	if (cap < sizeof(erased) || memcmp(buf, erased, sizeof(erased)) == 0) {
		return -ENOENT;
	}
	if (cap >= VMON_CONTAINER_PREFIX_LEN) {
		uint32_t payload_len = sys_get_le32(&buf[OFF_PAYLOAD]);

		if (payload_len <= cap - VMON_CONTAINER_PREFIX_LEN) {
			len = VMON_CONTAINER_PREFIX_LEN + payload_len;
		}
	}
	return vmon_container_check(buf, len, e, out);
}
