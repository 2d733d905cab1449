/* Assembly without debug info: sized symbols with no source file. */
	.syntax unified
	.thumb

	.section .text.asm_helper, "ax", %progbits
	.global asm_helper
	.type asm_helper, %function
	.align 2
asm_helper:
	adds r0, r0, #1
	bx lr
	.size asm_helper, . - asm_helper

	.section .rodata.asm_blob, "a", %progbits
	.global asm_blob
	.type asm_blob, %object
	.align 2
asm_blob:
	.space 64
	.size asm_blob, . - asm_blob
