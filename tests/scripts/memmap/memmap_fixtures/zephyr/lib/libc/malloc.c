/* Stands in for Zephyr's common libc malloc arena. */
#include <stdint.h>

__attribute__((section(".noinit.malloc"), aligned(8))) uint8_t z_malloc_heap_mem[384];

void *malloc_stub(unsigned int n)
{
	return &z_malloc_heap_mem[n & 383];
}
