/* SPDX-License-Identifier: MIT */
/*
 * An enclave that calls out to the host (OCALL) in a loop, in plain assembly so that every
 * register crossing the boundary is visible.  Same layout and linker script as the example
 * enclave (examples/enclave/encl.lds: two TCSs at offset 0, code, data; its .note.softsgx).
 *
 * ECALL with RDI = struct ocall_op (ocall_ops.h) in untrusted memory:
 *   type OCALL_OP_LOOP: for i < count: request = 3i + 1, state = PENDING, OCALL (EEXIT to the
 *     host's return address with its RSP/RBP); when resumed, check response == 2 * request and
 *     add it to sum; at the end state = DONE (or ERROR) and EEXIT.
 *   type OCALL_OP_RETURN: the host's answer to a pending OCALL on this TCS: resume it.
 * Each TCS keeps its own context (the host's RSP, RBP and return address of the latest entry,
 * and the enclave RSP of a pending OCALL), so two threads in two TCSs run independent loops.
 */
#include "ocall_ops.h"

#define SSA_FRAME_SIZE	1
#define NSSA		1
#define STACK_SHIFT	13		/* 8 KiB of stack per TCS */
#define NR_TCS		2
#define EEXIT		4

/* struct ocall_ctx, one per TCS */
#define CTX_URSP	0
#define CTX_URBP	8
#define CTX_RET		16
#define CTX_ERSP	24		/* enclave RSP of the pending OCALL, 0 when none */
#define CTX_SHIFT	5

	.macro	TCS ssa
	.quad	0, 0, \ssa
	.long	0, NSSA
	.quad	encl_entry_off, 0, 0, 0
	.long	0xFFFFFFFF, 0xFFFFFFFF
	.fill	4024, 1, 0
	.endm

	.section ".tcs", "aw"
	.balign	4096
	.global	encl_tcs
encl_tcs:
	TCS	encl_ssa_tcs0_off
	TCS	encl_ssa_tcs1_off

	/* Leave to the host: RBX = where to, host RSP/RBP from the context in %r15. */
	.macro	LEAVE
	mov	CTX_RET(%r15), %rbx
	mov	CTX_URSP(%r15), %rsp
	mov	CTX_URBP(%r15), %rbp
	xor	%ecx, %ecx
	xor	%edx, %edx
	xor	%esi, %esi
	xor	%edi, %edi
	xor	%r8d, %r8d
	xor	%r9d, %r9d
	xor	%r10d, %r10d
	xor	%r11d, %r11d
	xor	%r12d, %r12d
	xor	%r13d, %r13d
	xor	%r14d, %r14d
	xor	%r15d, %r15d
	mov	$EEXIT, %eax
	.byte	0x0f, 0x01, 0xd7	/* ENCLU */
	ud2
	.endm

	.text
	.global	encl_entry
	.type	encl_entry, @function
encl_entry:
	lea	encl_tcs(%rip), %rax
	sub	%rax, %rbx
	shr	$12, %rbx			/* TCS index */
	cmp	$NR_TCS, %rbx
	jae	.Lbad_tcs
	mov	%rbx, %r14
	shl	$CTX_SHIFT, %rbx
	lea	ocall_ctx(%rip), %r15
	add	%rbx, %r15			/* this TCS's context */
	mov	%rsp, CTX_URSP(%r15)
	mov	%rbp, CTX_URBP(%r15)
	mov	%rcx, CTX_RET(%r15)
	cmpq	$OCALL_OP_RETURN, (%rdi)
	je	.Lresume
	cmpq	$OCALL_OP_XMM_ACROSS_AEX, (%rdi)
	je	.Lxmm
	cmpq	$OCALL_OP_LOOP, (%rdi)
	jne	.Lout
	inc	%r14
	shl	$STACK_SHIFT, %r14
	lea	ocall_stacks(%rip), %rsp
	add	%r14, %rsp			/* top of this TCS's stack */
	mov	%rdi, %r12			/* the operation */
	xor	%r13d, %r13d			/* i */
	xor	%r14d, %r14d			/* sum */
.Lloop:
	cmp	OCALL_OFF_COUNT(%r12), %r13
	jae	.Ldone
	lea	1(%r13, %r13, 2), %rax
	mov	%rax, OCALL_OFF_REQUEST(%r12)
	movq	$OCALL_STATE_PENDING, OCALL_OFF_STATE(%r12)
	call	ocall
	mov	OCALL_OFF_RESPONSE(%r12), %rax
	lea	1(%r13, %r13, 2), %rdx
	add	%rdx, %rdx
	cmp	%rdx, %rax
	jne	.Lerror
	add	%rax, %r14
	inc	%r13
	jmp	.Lloop
.Ldone:
	mov	%r14, OCALL_OFF_SUM(%r12)
	movq	$OCALL_STATE_DONE, OCALL_OFF_STATE(%r12)
	jmp	.Lout
.Lerror:
	movq	$OCALL_STATE_ERROR, OCALL_OFF_STATE(%r12)
.Lout:
	LEAVE

	/*
	 * OCALL_OP_XMM_ACROSS_AEX: the XSAVE state is part of what an AEX saves in the SSA and
	 * ERESUME restores; the host runs (and clobbers the registers) in between.
	 */
.Lxmm:
	mov	%rdi, %r12
	.irp	i, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
	movabs	$(0x0101010101010101 * (\i + 1)), %rax
	movq	%rax, %xmm\i
	punpcklqdq %xmm\i, %xmm\i
	.endr
	mov	OCALL_OFF_REQUEST(%r12), %rax
	mov	(%rax), %rax			/* the host made this fault */
	.irp	i, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
	movabs	$(0x0101010101010101 * (\i + 1)), %rdx
	movq	%xmm\i, %rax
	cmp	%rdx, %rax
	jne	.Lerror_op
	pextrq	$1, %xmm\i, %rax
	cmp	%rdx, %rax
	jne	.Lerror_op
	.endr
	movq	$OCALL_STATE_DONE, OCALL_OFF_STATE(%r12)
	jmp	.Lout
.Lerror_op:
	movq	$OCALL_STATE_ERROR, OCALL_OFF_STATE(%r12)
	jmp	.Lout

	/* OCALL_OP_RETURN: back onto the stack of the pending OCALL, if there is one. */
.Lresume:
	mov	CTX_ERSP(%r15), %rsp
	test	%rsp, %rsp
	jz	.Lout
	movq	$0, CTX_ERSP(%r15)
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	ret

.Lbad_tcs:
	ud2
	.size	encl_entry, . - encl_entry

	/* OCALL: keep the loop's registers on the enclave stack and leave to the host. */
	.type	ocall, @function
ocall:
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	mov	%rsp, CTX_ERSP(%r15)
	LEAVE
	.size	ocall, . - ocall

	/* Something in .rodata: the linker script gives it a segment of its own. */
	.section .rodata
	.quad	0x6c6c61636f

	.section ".data", "aw"
	.balign	64
ocall_ctx:
	.fill	NR_TCS << CTX_SHIFT, 1, 0

	.section ".bss.encl_ssa", "aw", @nobits
	.balign	4096
	.global	encl_ssa_tcs0, encl_ssa_tcs1
encl_ssa_tcs0:
	.space	4096 * SSA_FRAME_SIZE * NSSA
encl_ssa_tcs1:
	.space	4096 * SSA_FRAME_SIZE * NSSA

	.section ".bss.encl_stack", "aw", @nobits
	.balign	4096
ocall_stacks:
	.space	(1 << STACK_SHIFT) * NR_TCS

	.section ".note.softsgx", "", @note
	.balign	4
	.long	8, 96, 1
	.asciz	"softsgx"
	.long	1			/*  0 version */
	.long	SSA_FRAME_SIZE		/*  4 SSAFRAMESIZE */
	.long	NSSA			/*  8 NSSA */
	.long	0			/* 12 MISCSELECT */
	.long	0xFFFFFFFF		/* 16 MISCMASK */
	.long	0			/* 20 flags */
	.quad	0x4			/* 24 ATTRIBUTES.FLAGS: MODE64BIT */
	.quad	0x3			/* 32 ATTRIBUTES.XFRM: x87, SSE */
	.quad	0xFFFFFFFFFFFFFFFD	/* 40 ATTRIBUTEMASK.FLAGS: all but DEBUG */
	.quad	0xFFFFFFFFFFFFFF1B	/* 48 ATTRIBUTEMASK.XFRM */
	.quad	encl_heap_off		/* 56 heap offset */
	.quad	0			/* 64 heap size */
	.quad	0			/* 72 enclave size: the smallest power of two */
	.short	0, 0			/* 80 ISVPRODID, 82 ISVSVN */
	.fill	12, 1, 0		/* 84 reserved */

	.section .note.GNU-stack, "", @progbits
