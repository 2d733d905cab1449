/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Signed model containers (CONFIG_VMON_MODEL_CONTAINER): the model a node accepts from
 * outside its image (a model partition, an update). Layout: vmon.dsp.container (the Python
 * side writes and checks the same bytes); `invoke sign-model` writes one.
 *
 *   header (160 B, signed) | signature (64 B: ECDSA P-256 over SHA-256(header), r || s) | model
 *
 * Checks, in this order; the first that fails is the result (negative errno):
 *   -EMSGSIZE  shorter than header + signature, empty model, or a length that is not
 *              header + signature + payload_len exactly
 *   -EBADMSG   wrong magic, reserved flags set, name without a NUL, or (after the
 *              signature) a model whose SHA-256 differs from the header's
 *   -ENOTSUP   another format version or header length; (after the signature) an op the
 *              node's resolver does not register
 *   -EPERM     signed with another key (key id)
 *   -EACCES    the signature does not verify
 *   -ENOEXEC   for another feature pipeline or model interface (quantization, outputs,
 *              labels, input/output counts)
 *   -ENOMEM    needs a larger tensor arena than the node has
 *   -EINVAL    NULL arguments
 * The functions are pure (no kernel objects, no allocation): any context, any thread.
 */

#ifndef VMON_CONTAINER_H_
#define VMON_CONTAINER_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VMON_CONTAINER_FORMAT     1
#define VMON_CONTAINER_HEADER_LEN 160
#define VMON_CONTAINER_SIG_LEN    64
#define VMON_CONTAINER_PREFIX_LEN (VMON_CONTAINER_HEADER_LEN + VMON_CONTAINER_SIG_LEN)
#define VMON_CONTAINER_HASH_LEN   32
#define VMON_CONTAINER_KEY_ID_LEN 8
#define VMON_CONTAINER_KEY_LEN    64 /* X || Y of a P-256 public key */

/** A parsed container: pointers into the caller's buffer. */
struct vmon_container {
	uint32_t model_version;
	uint32_t payload_len;
	uint32_t arena_bytes;
	uint32_t ops; /**< bit i: the i-th op of vmon.dsp.spec.SUPPORTED_OPS */
	uint16_t n_inputs;
	uint16_t n_outputs;
	const uint8_t *header; /**< VMON_CONTAINER_HEADER_LEN bytes: what the signature covers */
	const uint8_t *feature_hash;
	const uint8_t *interface_hash;
	const uint8_t *payload_sha256;
	const uint8_t *key_id;
	const uint8_t *signature;
	const char *name; /**< NUL-terminated inside the header */
	const uint8_t *payload;
};

/** What this node accepts. */
struct vmon_container_expect {
	const uint8_t *public_key;     /**< VMON_CONTAINER_KEY_LEN bytes */
	const uint8_t *feature_hash;   /**< VMON_CONTAINER_HASH_LEN bytes */
	const uint8_t *interface_hash; /**< VMON_CONTAINER_HASH_LEN bytes */
	uint16_t n_inputs;
	uint16_t n_outputs;
	uint32_t ops;       /**< the ops the node's resolver registers */
	uint32_t arena_max; /**< the tensor arena the node has for it */
};

/** Structure only (lengths, magic, format, reserved fields): 0 and @p out filled, or why not. */
int vmon_container_parse(const uint8_t *buf, size_t len, struct vmon_container *out);

/** Key, signature, model digest, then compatibility (vmon_container_compatible()). */
int vmon_container_verify(const struct vmon_container *c, const struct vmon_container_expect *e);

/** Compatibility alone: feature pipeline, interface, counts, ops, arena. */
int vmon_container_compatible(const struct vmon_container *c,
			      const struct vmon_container_expect *e);

/** vmon_container_parse() then vmon_container_verify(): 0 only for a model to run. */
int vmon_container_check(const uint8_t *buf, size_t len, const struct vmon_container_expect *e,
			 struct vmon_container *out);

/**
 * The verdict on a model partition's content (@p cap bytes, erased to 0xff where unwritten),
 * as vmon.dsp.container.check_stored: -ENOENT when it holds no container (its first word
 * erased: not a fault), else vmon_container_check() on the bytes its header's payload length
 * says are the container (the whole partition when that runs past it, so that the length
 * check refuses it).
 */
int vmon_container_check_stored(const uint8_t *buf, size_t cap,
				const struct vmon_container_expect *e, struct vmon_container *out);

#ifdef __cplusplus
}
#endif

#endif /* VMON_CONTAINER_H_ */
