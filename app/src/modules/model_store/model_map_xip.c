/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Model partition in memory-mapped internal flash (CONFIG_VMON_MODEL_STORE_MAP_XIP): the
 * model runs from where it is stored.
 */

#include <zephyr/devicetree.h>
#include <zephyr/toolchain.h>
#include <zephyr/storage/flash_map.h>

#include "model_store.h"

#define PARTITION DT_CHOSEN(vmon_model_partition)

/* TFLM reads the model in place: the payload, 224 B into the partition, must be aligned. */
BUILD_ASSERT(DT_FIXED_PARTITION_ADDR(PARTITION) % 16 == 0, "model partition alignment");

const uint8_t *vmon_model_store_map(size_t *len)
{
	*len = DT_REG_SIZE(PARTITION);
	return (const uint8_t *)DT_FIXED_PARTITION_ADDR(PARTITION);
}
