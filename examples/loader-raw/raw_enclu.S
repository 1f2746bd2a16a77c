/* SPDX-License-Identifier: MIT */
/*
 * void raw_eenter(void *tcs, void *op): EENTER with a raw ENCLU, as Gramine does, no vDSO.
 * The AEP is the ENCLU itself: after an AEX the CPU leaves RAX = ERESUME, RBX = TCS and
 * RCX = AEP, so when the signal handler returns to the AEP the same instruction resumes the
 * enclave.  The enclave's EEXIT returns to the instruction after it (RCX at entry).  All
 * callee-saved registers are kept here: the enclave owes the caller nothing.
 */
	.text
	.globl	raw_eenter, raw_aep
	.type	raw_eenter, @function
raw_eenter:
	push	%rbp
	mov	%rsp, %rbp
	push	%rbx
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	mov	%rdi, %rbx		/* TCS */
	mov	%rsi, %rdi		/* the operation, for the enclave */
	lea	raw_aep(%rip), %rcx
	mov	$2, %eax		/* EENTER */
raw_aep:
	.byte	0x0f, 0x01, 0xd7	/* ENCLU */
	lea	-40(%rbp), %rsp		/* the enclave restored RSP; be sure of it anyway */
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbx
	pop	%rbp
	ret
	.size	raw_eenter, . - raw_eenter

	.section .note.GNU-stack, "", @progbits
