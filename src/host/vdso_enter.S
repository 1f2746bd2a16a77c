/* SPDX-License-Identifier: MIT */
/*
 * EENTER from the substitute vDSO without a trap.  __vdso_sgx_enter_enclave jumps here (through
 * its slot) with the registers ENCLU would see: RAX = EENTER, RBX = TCS, RCX = AEP, the
 * arguments in RDI/RSI/RDX/R8/R9.  The registers are pushed as a struct vdso_frame just below
 * the caller's RSP, with the RIP slot topmost; softsgx_vdso_eenter_c() runs the leaf and
 * rewrites the frame into the enclave's entry state (or into the vDSO's exception path when
 * EENTER faults).  Popping it and `ret` then lands on the new RIP with RSP back where the
 * caller had it, which is what EENTER leaves in RSP.  The words below the caller's RSP are dead
 * (the caller is our vDSO, which keeps nothing there).
 */
	.text
	.globl	softsgx_vdso_eenter
	.hidden	softsgx_vdso_eenter
	.type	softsgx_vdso_eenter, @function
softsgx_vdso_eenter:
	lea	-8(%rsp), %rsp		/* the RIP slot */
	pushfq
	push	%rax
	push	%rbx
	push	%rcx
	push	%rdx
	push	%rsi
	push	%rdi
	push	%rbp
	push	%r8
	push	%r9
	push	%r10
	push	%r11
	push	%r12
	push	%r13
	push	%r14
	push	%r15

	mov	%rsp, %rdi
	mov	%rsp, %rbx
	and	$-16, %rsp
	cld
	call	softsgx_vdso_eenter_c
	mov	%rbx, %rsp

	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%r11
	pop	%r10
	pop	%r9
	pop	%r8
	pop	%rbp
	pop	%rdi
	pop	%rsi
	pop	%rdx
	pop	%rcx
	pop	%rbx
	pop	%rax
	popfq
	ret
	.size	softsgx_vdso_eenter, . - softsgx_vdso_eenter

	.section .note.GNU-stack, "", @progbits
