/* Stands in for the Zephyr kernel: a main stack and the system heap pool. */
#include <stdint.h>

__attribute__((section(".noinit.kernel"), aligned(8))) uint8_t z_main_stack[512];
__attribute__((section(".noinit.kernel"), aligned(8))) uint8_t kheap__system_heap[256];
static int sched_ticks;

int k_sched_tick(void)
{
	z_main_stack[sched_ticks & 511] = 0;
	kheap__system_heap[sched_ticks & 255] = 0;
	return ++sched_ticks;
}
