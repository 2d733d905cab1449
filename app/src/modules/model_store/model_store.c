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
#include "model_store_internal.h"
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

const uint8_t *vmon_model_store_slot(int slot, size_t *cap)
{
	size_t len;
	const uint8_t *buf = vmon_model_store_map(&len);

	*cap = len / VMON_MODEL_STORE_SLOTS;
	return buf == NULL ? NULL : buf + (size_t)slot * *cap;
}

int vmon_model_store_check_slot(int slot, struct vmon_container *c)
{
	/* What the container must match: this build's key, pipeline, interface and runtime. */
	uint8_t feature_hash[VMON_CONTAINER_HASH_LEN];
	uint8_t interface_hash[VMON_CONTAINER_HASH_LEN];
	size_t cap;
	const uint8_t *buf = vmon_model_store_slot(slot, &cap);

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

	return vmon_container_check_stored(buf, cap, &expect, c);
}

/* Start a verified container's model. */
static int start_container(const struct vmon_container *c)
{
	/* The sha256 vmon_model_init_ext() checks the payload against; kept while it runs. */
	static char sha_hex[2 * VMON_CONTAINER_HASH_LEN + 1];

	if (bin2hex(c->payload_sha256, VMON_CONTAINER_HASH_LEN, sha_hex, sizeof(sha_hex)) !=
	    2 * VMON_CONTAINER_HASH_LEN) {
		return -EINVAL;
	}
	const struct vmon_model_params params = {
		.data = c->payload,
		.len = c->payload_len,
		.sha256 = sha_hex,
		.name = c->name,
		.version = c->model_version,
	};

	return vmon_model_init_ext(&params);
}

/* Start the newest model the slots hold: 0 (s->slot, s->version), -ENOENT when they hold
 * none, else the first refusal. */
static int start_partition(struct vmon_model_store_status *s)
{
	struct vmon_container c[VMON_MODEL_STORE_SLOTS];
	int err[VMON_MODEL_STORE_SLOTS];
	int refusal = -ENOENT;

	for (int i = 0; i < VMON_MODEL_STORE_SLOTS; i++) {
		err[i] = vmon_model_store_check_slot(i, &c[i]);
		if (err[i] != 0 && err[i] != -ENOENT) {
			LOG_WRN("model slot %d refused (%d)", i, err[i]);
			refusal = refusal == -ENOENT ? err[i] : refusal;
		}
	}
	/* Newest first; a valid container TFLM will not start gives way to the other. */
	for (int n = 0; n < VMON_MODEL_STORE_SLOTS; n++) {
		int best = -1;

		for (int i = 0; i < VMON_MODEL_STORE_SLOTS; i++) {
			if (err[i] == 0 && (best < 0 || c[i].model_version > c[best].model_version)) {
				best = i;
			}
		}
		if (best < 0) {
			break;
		}
		err[best] = start_container(&c[best]);
		if (err[best] == 0) {
			s->slot = best;
			s->version = c[best].model_version;
			return 0;
		}
		refusal = err[best];
	}
	return refusal;
}

int vmon_model_store_activate(struct vmon_model_store_status *st)
{
	struct vmon_model_store_status s = {.slot = -1};

	s.partition_err = start_partition(&s);
	(void)vmon_model_store_slot(0, &s.capacity);
	if (s.partition_err == 0) {
		s.source = VMON_MODEL_SOURCE_PARTITION;
		LOG_INF("model slot %d: model version %u runs", s.slot, (unsigned int)s.version);
	} else {
		if (s.partition_err != -ENOENT) {
			LOG_ERR("model partition refused (%d): running the built-in model",
				s.partition_err);
		}
		s.builtin_err = vmon_model_init();
		s.source = s.builtin_err == 0 ? VMON_MODEL_SOURCE_BUILTIN : VMON_MODEL_SOURCE_NONE;
	}
	s.updates = last.updates;
	s.refused = last.refused;
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

void vmon_model_store_count_update(bool done)
{
	if (done) {
		last.updates++;
	} else {
		last.refused++;
	}
}
