/* SPDX-License-Identifier: MIT */
/*
 * enclave_call(tcs, entry, op, r12_to_r15): what EENTER does to the registers, without SGX.
 * RBX = the TCS, RCX = the return address, RDI = the operation, R12..R15 = a known pattern;
 * then a jump to OENTRY.  The enclave's EEXIT (ENCLU, which raises SIGILL without SGX) is
 * completed by the test's signal handler: RIP = RBX.  The registers the vDSO would preserve
 * (RBX, RBP) and the callee-saved ones are restored here from the stack.
 */
	.text
	.global	enclave_call
	.type	enclave_call, @function
enclave_call:
	push	%rbx
	push	%rbp
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	mov	%rsp, enclave_call_rsp(%rip)
	mov	%rdi, %rbx
	mov	%rsi, %rax
	mov	%rdx, %rdi
	mov	%rcx, %r12
	mov	%rcx, %r13
	mov	%rcx, %r14
	mov	%rcx, %r15
	lea	1f(%rip), %rcx
	jmp	*%rax
1:	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbp
	pop	%rbx
	ret
	.size	enclave_call, . - enclave_call

	.bss
	.global	enclave_call_rsp
enclave_call_rsp:
	.quad	0

	.section .note.GNU-stack, "", @progbits
