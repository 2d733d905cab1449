/* An app module with one object in each of .rodata, .data and .bss. */
#include <stdint.h>

#ifndef SENSOR_TABLE_LEN
#define SENSOR_TABLE_LEN 300
#endif

const uint8_t sensor_table[SENSOR_TABLE_LEN] = {1, 2, 3};
int32_t sensor_state[10] = {1};
static uint8_t sensor_buf[128];
/* A thread stack as K_THREAD_STACK_DEFINE places it: no-init RAM. */
__attribute__((section(".noinit.sensor"), aligned(8))) uint8_t sensor_stack_area[256];

#ifdef WITH_OLD_FEATURE
int32_t old_feature[16] = {5};
#else
int32_t new_feature_buf[32];
#endif

int sensor_read(int i)
{
	sensor_buf[i & 127] = (uint8_t)i;
	sensor_stack_area[i & 255] = 1;
#ifdef WITH_OLD_FEATURE
	old_feature[i & 15] += i;
#else
	new_feature_buf[i & 31] += i;
#endif
	return sensor_table[i % SENSOR_TABLE_LEN] + sensor_state[i % 10] + sensor_buf[(i + 1) & 127];
}
