/* Vector table and reset handler: the image's entry point. */
#include <stdint.h>

extern int main(void);
extern uint32_t asm_blob[];

void reset_handler(void)
{
	(void)asm_blob;
	main();
	for (;;) {
	}
}

__attribute__((section(".vectors"), used)) const void *const vector_table[16] = {
	(void *)0x20010000, (void *)reset_handler,
};

/* Writable (no const) but placed in flash with no RAM copy: the Zephyr ISR table pattern. */
__attribute__((section(".sw_isr_table"), used)) void *sw_isr_table[4] = {(void *)reset_handler};
