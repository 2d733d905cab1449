/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Model store: the signed model in its own flash partition (devicetree: chosen
 * vmon,model-partition), and which model the node runs.
 *
 * The partition is two equal slots. At boot vmon_model_store_activate() verifies each slot's
 * container (include/vmon/container.h) against the build's public key
 * (CONFIG_VMON_MODEL_PUBKEY_FILE), feature pipeline, model interface, op resolver and tensor
 * arena, and runs the model of highest version in place (read where it is mapped: no RAM
 * copy). Slots that hold no container are not a fault; a refused one is, unless the other
 * slot's model runs: the node runs the built-in model instead and the caller reports the
 * refusal (a model_fault event). Should the built-in model fail too, the caller decides on the
 * velocity zones alone.
 *
 * Updates (vmon_model_update_*) write the slot the running model is not in, so that a power
 * loss or a refused upload leaves the running model as it was. TFLM keeps reading a slot's
 * model while it runs: the update never writes that slot, and whoever rewrites the
 * partition otherwise stops the model first (vmon_model_deinit()).
 */

#ifndef VMON_MODEL_STORE_H_
#define VMON_MODEL_STORE_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Which model runs. */
enum vmon_model_source {
	VMON_MODEL_SOURCE_NONE,      /**< no model: the zones alone decide */
	VMON_MODEL_SOURCE_BUILTIN,   /**< the model compiled into the image */
	VMON_MODEL_SOURCE_PARTITION, /**< the signed model in the model partition */
};

struct vmon_model_store_status {
	enum vmon_model_source source;
	/** The partition's verdict: 0 (runs), -ENOENT (holds no container), or the refusal:
	 *  a container.h error, or the model's own (vmon_model_init_ext()) when TFLM refuses
	 *  a signed, compatible container. */
	int partition_err;
	/** 0, or why the built-in model did not start (only tried when the partition's did not). */
	int builtin_err;
	uint32_t version; /**< the partition model's version when it runs, else 0 */
	int slot;         /**< the slot it runs from, else -1 */
	size_t capacity;  /**< a slot's size in bytes: the largest container it takes */
	uint32_t updates; /**< updates completed since boot */
	uint32_t refused; /**< uploads refused since boot (each logged with its reason) */
};

/** Slots in the model partition. */
#define VMON_MODEL_STORE_SLOTS 2

/**
 * Verify the partition and start its model, else the built-in one. Fills @p st (may be
 * NULL) and keeps a copy for vmon_model_store_status_get().
 * @return 0 when a model runs (either), else the built-in model's error.
 */
int vmon_model_store_activate(struct vmon_model_store_status *st);

/** The last activation's outcome; -EAGAIN before the first. */
int vmon_model_store_status_get(struct vmon_model_store_status *st);

/** Map the partition (backend: model_map_*.c). NULL and @p len 0 when it cannot be. */
const uint8_t *vmon_model_store_map(size_t *len);

/**
 * Start an upload of a @p len byte container into the slot the running model is not in
 * (erased first). Restarts an unfinished upload.
 * @return 0, -EINVAL (len 0), -ENOSPC (larger than a slot), or a flash error.
 */
int vmon_model_update_begin(size_t len);

/**
 * Write the upload's bytes at @p off, which must be where the last write ended.
 * @return 0, -EINVAL (no upload started), -ERANGE (out of order), -EMSGSIZE (past the
 *         announced length), or a flash error. On an error the upload is abandoned.
 */
int vmon_model_update_write(size_t off, const uint8_t *data, size_t n);

/**
 * Verify the completed upload as the boot path would, and that its version is newer than the
 * partition model that runs. Activation is the caller's (stop the model, then
 * vmon_model_store_activate(): the newest valid slot wins).
 * @return 0 and the model's @p version, -EINVAL (no complete upload), -EPERM (not newer:
 *         no rollback), or the verdict's refusal; a refused upload is erased.
 */
int vmon_model_update_finish(uint32_t *version);

/** Bytes of the upload in progress received so far (0 when none). */
size_t vmon_model_update_offset(void);

/** Whether an upload has received all its announced bytes (vmon_model_update_finish()). */
bool vmon_model_update_complete(void);

#ifdef __cplusplus
}
#endif

#endif /* VMON_MODEL_STORE_H_ */
