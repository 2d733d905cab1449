/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Between the model store's boot path (model_store.c) and its update path (model_update.c).
 */

#ifndef VMON_MODEL_STORE_INTERNAL_H_
#define VMON_MODEL_STORE_INTERNAL_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vmon/container.h>

/** A slot of the mapped partition (NULL when unmapped) and its size in @p cap. */
const uint8_t *vmon_model_store_slot(int slot, size_t *cap);

/** A slot's verdict: 0, -ENOENT when it holds no container, or the refusal. */
int vmon_model_store_check_slot(int slot, struct vmon_container *c);

/** Count an update: completed (@p done) or refused. */
void vmon_model_store_count_update(bool done);

#endif /* VMON_MODEL_STORE_INTERNAL_H_ */
