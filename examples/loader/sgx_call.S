/* SPDX-License-Identifier: MIT */
/*
 * int encl_vdso_call(vdso_sgx_enter_enclave_t fn, struct encl_call *c)
 *
 * __vdso_sgx_enter_enclave preserves only RBX and RBP: the enclave may return with R12-R15
 * changed.  This wrapper saves every callee-saved register itself, loads the arguments from
 * @c (the 7th, struct sgx_enclave_run *, goes on the stack), and stores R12-R15, RBX and RBP
 * as the vDSO left them so that callers can check what was (not) preserved.
 */
#define C_RDI	0
#define C_RSI	8
#define C_RDX	16
#define C_FUNC	24
#define C_R8	32
#define C_R9	40
#define C_RUN	48
#define C_R12	56
#define C_R13	64
#define C_R14	72
#define C_R15	80
#define C_RBX	88
#define C_RBP	96
#define C_RBX0	104
#define C_RBP0	112

	.text
	.globl	encl_vdso_call
	.type	encl_vdso_call, @function
encl_vdso_call:
	push	%rbp
	mov	%rsp, %rbp
	push	%rbx
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	push	%rsi			/* struct encl_call *, found again after the call */

	mov	%rdi, %rax
	mov	%rsi, %r11
	/* Recognisable values in the callee-saved registers the vDSO must keep. */
	movabs	$0x0b0b0b0b0b0b0b0b, %rbx
	mov	%rbx, C_RBX0(%r11)
	mov	%rbp, C_RBP0(%r11)
	mov	C_RDI(%r11), %rdi
	mov	C_RSI(%r11), %rsi
	mov	C_RDX(%r11), %rdx
	mov	C_FUNC(%r11), %rcx
	mov	C_R8(%r11), %r8
	mov	C_R9(%r11), %r9
	/* 6 pushes + return address + saved rbp: the stack is 16-aligned here; keep it so. */
	sub	$8, %rsp
	push	C_RUN(%r11)
	call	*%rax
	add	$16, %rsp

	pop	%r11			/* struct encl_call * */
	mov	%r12, C_R12(%r11)
	mov	%r13, C_R13(%r11)
	mov	%r14, C_R14(%r11)
	mov	%r15, C_R15(%r11)
	mov	%rbx, C_RBX(%r11)
	mov	%rbp, C_RBP(%r11)

	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbx
	pop	%rbp
	ret
	.size	encl_vdso_call, . - encl_vdso_call

	.section .note.GNU-stack, "", @progbits
