/* The model flatbuffer and the tensor arena. */
#include <stdint.h>

const unsigned char vmon_model_data[1024] = {0x1c, 0, 0, 0, 'T', 'F', 'L', '3'};
__attribute__((aligned(16))) uint8_t tensor_arena[2048];

unsigned long long ml_scale(unsigned long long x, unsigned long long y)
{
	tensor_arena[x & 2047] = (uint8_t)y;
	/* 64-bit division: a call into libgcc (__aeabi_uldivmod) on Cortex-M3. */
	return x / (y | 1) + vmon_model_data[x & 1023];
}
