/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Model store: the signed model in its own flash partition (devicetree: chosen
 * vmon,model-partition), and which model the node runs.
 *
 * At boot vmon_model_store_activate() verifies the partition's container (include/vmon/
 * container.h) against the build's public key (CONFIG_VMON_MODEL_PUBKEY_FILE), feature
 * pipeline, model interface, op resolver and tensor arena, and runs its model in place (the
 * partition is read where it is mapped: no RAM copy). A partition that holds no container
 * is not a fault; one that is refused is: the node runs the built-in model instead and the
 * caller reports the refusal (a model_fault event). Should the built-in model fail too, the
 * caller decides on the velocity zones alone.
 *
 * TFLM keeps reading a partition's model while it runs: whoever rewrites the partition stops
 * the model first (vmon_model_deinit()) and activates again afterwards.
 */

#ifndef VMON_MODEL_STORE_H_
#define VMON_MODEL_STORE_H_

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
	size_t capacity;  /**< the partition's size in bytes */
};

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

#ifdef __cplusplus
}
#endif

#endif /* VMON_MODEL_STORE_H_ */
