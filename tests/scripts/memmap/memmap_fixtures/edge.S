/* Sections with unusual flags, to pin down how arm-none-eabi-size classifies them:
 * read-only NOBITS (text!), writable+exec (text), TLS data/bss, a note, and a
 * writable NOBITS section that is not allocated (counted nowhere). */
	.syntax unified
	.thumb

	.section .text.f, "ax", %progbits
	.global f
	.type f, %function
f:	bx lr
	.size f, . - f

	.section .robss, "a", %nobits
	.space 64
	.section .wexec, "awx", %progbits
	.word 1, 2, 3
	.section .tdata, "awT", %progbits
	.word 7
	.section .tbss, "awT", %nobits
	.space 32
	.section .rwnobits_noalloc, "w", %nobits
	.space 16
	.section .noinit, "aw", %nobits
	.space 128
	.section .plaindata, "aw", %progbits
	.word 9, 9
	.section .note.x, "a", %note
	.word 0, 0, 0
