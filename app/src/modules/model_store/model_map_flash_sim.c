/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Model partition on the flash simulator (CONFIG_VMON_MODEL_STORE_MAP_FLASH_SIM): the QEMU
 * boards have no flash driver, so the partition is in the simulator's RAM, read in place.
 */

/* flash_simulator.h needs struct device declared first. */
#include <zephyr/device.h>
#include <zephyr/devicetree.h>
#include <zephyr/drivers/flash.h>
#include <zephyr/drivers/flash/flash_simulator.h>
#include <zephyr/storage/flash_map.h>

#include "model_store.h"

#define PARTITION DT_CHOSEN(vmon_model_partition)
/* The zephyr,sim-flash controller (the MTD of a partition of a soc-nv-flash child). */
#define SIM_FLASH DT_MTD_FROM_FIXED_PARTITION(PARTITION)

/* TFLM reads the model in place: the payload, 224 B into the partition, must be aligned. */
BUILD_ASSERT(DT_NODE_HAS_PROP(SIM_FLASH, memory_region) &&
		     (DT_REG_ADDR(DT_PHANDLE(SIM_FLASH, memory_region)) +
		      FIXED_PARTITION_NODE_OFFSET(PARTITION)) % 16 == 0,
	     "the model partition needs a 16-byte aligned flash simulator memory-region");

/* QEMU starts with zeroed RAM where real flash would be erased: a partition that is all
 * zeros has never been written since, and is made to read as erased flash. */
static void erase_if_blank_ram(const struct device *dev, const uint8_t *part, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (part[i] != 0U) {
			return;
		}
	}
	(void)flash_erase(dev, FIXED_PARTITION_NODE_OFFSET(PARTITION), len);
}

const uint8_t *vmon_model_store_map(size_t *len)
{
	const struct device *dev = FIXED_PARTITION_NODE_DEVICE(PARTITION);
	size_t mock_size;
	uint8_t *base;

	*len = 0;
	if (!device_is_ready(dev)) {
		return NULL;
	}
	base = flash_simulator_get_memory(dev, &mock_size);
	if (base == NULL || FIXED_PARTITION_NODE_OFFSET(PARTITION) + DT_REG_SIZE(PARTITION) >
				    mock_size) {
		return NULL;
	}
	erase_if_blank_ram(dev, base + FIXED_PARTITION_NODE_OFFSET(PARTITION),
			   DT_REG_SIZE(PARTITION));
	*len = DT_REG_SIZE(PARTITION);
	return base + FIXED_PARTITION_NODE_OFFSET(PARTITION);
}
