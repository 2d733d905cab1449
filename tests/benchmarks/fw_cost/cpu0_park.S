/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * cpu0 image for `invoke bench --suite fw` on mps2/an521/cpu1 (QEMU only).
 *
 * Under -icount QEMU's virtual clock advances with the instructions of *both* cores, and
 * the board's usual cpu0 image (Zephyr's empty_cpu0) spins in a busy loop after waking
 * cpu1: its instructions would land in cpu1's measurements in slices of ~10^5. This image
 * does what empty_cpu0 does (SSE-200 INITSVTOR1 = cpu1's vector table, CPU_WAIT = 0) and
 * then sleeps in WFI with no interrupt enabled, so the clock counts cpu1 alone.
 *
 * vmon.workflows.bench assembles it with the build's compiler, CPU1_VECTORS set to the benchmark
 * image's _vector_start, and loads it in place of empty_cpu0. It uses no stack and takes
 * no exception.
 */

	.syntax unified
	.cpu cortex-m33
	.thumb

	.equ SSE200_INITSVTOR1, 0x50021114 /* CPU_WAIT follows at +4 */

	.section .vectors, "a"
	.word 0x30000400 /* initial SP: unused */
	.word park + 1   /* reset handler (Thumb) */

	.text
	.thumb_func
park:
	ldr r0, =SSE200_INITSVTOR1
	ldr r1, =CPU1_VECTORS
	str r1, [r0]
	movs r1, #0
	str r1, [r0, #4]
1:	wfi
	b 1b
	.ltorg
