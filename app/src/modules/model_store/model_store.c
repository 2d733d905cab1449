/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Model store (model_store.h): the boot-time choice between the partition's signed model and
 * the built-in one.
 */

#include <errno.h>
#include <string.h>

#include <zephyr/kernel.h>
#include <zephyr/logging/log.h>
#include <zephyr/sys/util.h>

#include <vmon/container.h>
#include <vmon/features.h>
#include <vmon/model.h>

#include "model_store.h"
#include "vmon_model_config.h"
#include "vmon_model_pubkey.h"

LOG_MODULE_REGISTER(vmon_model_store, CONFIG_VMON_MODEL_STORE_LOG_LEVEL);

static struct vmon_model_store_status last;
static bool activated;

static int hex_to_bytes(const char *hex, uint8_t *out, size_t n)
{
	if (hex == NULL || strlen(hex) != 2 * n || hex2bin(hex, 2 * n, out, n) != n) {
		return -EINVAL;
	}
	return 0;
}

/* Verify the partition and start its model: 0, -ENOENT (empty) or why not. */
static int start_partition(uint32_t *version, size_t *cap)
{
	/* What the container must match: this build's key, pipeline, interface and runtime. */
	uint8_t feature_hash[VMON_CONTAINER_HASH_LEN];
	uint8_t interface_hash[VMON_CONTAINER_HASH_LEN];
	/* The sha256 vmon_model_init_ext() checks the payload against; kept while it runs. */
	static char sha_hex[2 * VMON_CONTAINER_HASH_LEN + 1];
	struct vmon_container c;
	const uint8_t *buf = vmon_model_store_map(cap);

	if (buf == NULL) {
		LOG_ERR("model partition cannot be mapped");
		return -ENODEV;
	}
	if (hex_to_bytes(vmon_features_hash(), feature_hash, sizeof(feature_hash)) != 0 ||
	    hex_to_bytes(VMON_MODEL_INTERFACE_HASH, interface_hash, sizeof(interface_hash)) != 0) {
		return -EINVAL; /* a build error: the generated hashes are 64 hex digits */
	}
	const struct vmon_container_expect expect = {
		.public_key = vmon_model_pubkey,
		.feature_hash = feature_hash,
		.interface_hash = interface_hash,
		.n_inputs = VMON_MODEL_N_INPUTS,
		.n_outputs = VMON_MODEL_N_OUTPUTS,
		.ops = VMON_MODEL_OPS_MASK,
		.arena_max = (uint32_t)vmon_model_arena_capacity(),
	};
	int err = vmon_container_check_stored(buf, *cap, &expect, &c);

	if (err != 0) {
		return err;
	}
	if (bin2hex(c.payload_sha256, VMON_CONTAINER_HASH_LEN, sha_hex, sizeof(sha_hex)) !=
	    2 * VMON_CONTAINER_HASH_LEN) {
		return -EINVAL;
	}
	const struct vmon_model_params params = {
		.data = c.payload,
		.len = c.payload_len,
		.sha256 = sha_hex,
		.name = c.name,
		.version = c.model_version,
	};

	err = vmon_model_init_ext(&params);
	if (err == 0) {
		*version = c.model_version;
	}
	return err;
}

int vmon_model_store_activate(struct vmon_model_store_status *st)
{
	struct vmon_model_store_status s = {0};

	s.partition_err = start_partition(&s.version, &s.capacity);
	if (s.partition_err == 0) {
		s.source = VMON_MODEL_SOURCE_PARTITION;
		LOG_INF("model partition: %u B, model version %u runs", (unsigned int)s.capacity,
			(unsigned int)s.version);
	} else {
		if (s.partition_err != -ENOENT) {
			LOG_ERR("model partition refused (%d): running the built-in model",
				s.partition_err);
		}
		s.builtin_err = vmon_model_init();
		s.source = s.builtin_err == 0 ? VMON_MODEL_SOURCE_BUILTIN : VMON_MODEL_SOURCE_NONE;
	}
	last = s;
	activated = true;
	if (st != NULL) {
		*st = s;
	}
	return s.builtin_err;
}

int vmon_model_store_status_get(struct vmon_model_store_status *st)
{
	if (st == NULL) {
		return -EINVAL;
	}
	if (!activated) {
		return -EAGAIN;
	}
	*st = last;
	return 0;
}
