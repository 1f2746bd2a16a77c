/* SPDX-License-Identifier: MIT */
/*
 * The example enclave's TCS pages, entry point, SSA frames, stacks and .note.softsgx
 * (docs/elf-enclave.md).  Every TCS field is an offset from the enclave base; the enclave is
 * linked at address 0, so the offsets are the link-time addresses, taken through absolute
 * symbols (encl.lds) so that no relocation is needed.
 */
#include "encl_ops.h"

#define ENCL_STACK_SHIFT    14 /* 16 KiB of stack per TCS */
#define ENCL_STACK_SIZE	    (1 << ENCL_STACK_SHIFT)
#define ENCL_HEAP_SIZE	    (4 * 4096)

#define SGX_ATTR_MODE64BIT 0x4
#define SGX_XFRM_LEGACY	   0x3
#define SGX_EEXIT	   4

	.macro	TCS ssa
	.quad	0			/* STATE (CPU-owned) */
	.quad	0			/* FLAGS */
	.quad	\ssa			/* OSSA */
	.long	0			/* CSSA (CPU-owned) */
	.long	ENCL_NSSA		/* NSSA */
	.quad	encl_entry_off		/* OENTRY */
	.quad	0			/* AEP (CPU-owned) */
	.quad	0			/* OFSBASE: FS = enclave base (no TLS is used) */
	.quad	0			/* OGSBASE */
	.long	0xFFFFFFFF		/* FSLIMIT */
	.long	0xFFFFFFFF		/* GSLIMIT */
	.fill	4024, 1, 0
	.endm

	.section ".tcs", "aw"
	.balign	4096
	.global	encl_tcs
encl_tcs:
	TCS	encl_ssa_tcs0_off
	TCS	encl_ssa_tcs1_off

/*
 * EENTER: RAX = CSSA, RBX = this TCS, RCX = the address after the caller's ENCLU, RDI/RSI =
 * the caller's arguments, RSP/RBP untrusted.  Each TCS has a stack per SSA frame, found from
 * the TCS's index and CSSA: an entry with CSSA 1 handles the exception the AEX of the entry
 * with CSSA 0 saved, whose frames stay on that entry's stack.
 */
	.text
	.global	encl_entry
	.type	encl_entry, @function
encl_entry:
#if ENCL_NSSA > 1
	mov	%rax, %r11		/* CSSA */
#else
	xor	%r11d, %r11d		/* one SSA frame: CSSA is 0 at every EENTER */
#endif
	lea	encl_tcs(%rip), %rax
	sub	%rax, %rbx
	shr	$12, %rbx
	cmp	$ENCL_NR_TCS, %rbx
	jae	1f
	mov	%rbx, %r10		/* the TCS index */
	imul	$ENCL_NSSA, %rbx, %rbx
	add	%r11, %rbx
	inc	%rbx
	shl	$ENCL_STACK_SHIFT, %rbx
	lea	encl_stacks(%rip), %rax
	add	%rbx, %rax
	xchg	%rsp, %rax
	push	%rax			/* the untrusted RSP */
	push	%rcx			/* where EEXIT returns to */
	cld				/* the C ABI needs DF clear; the caller may have set it */
	test	%r11, %r11
	jnz	3f
	call	encl_body

4:	mov	%rax, %r11
	pop	%rbx
	pop	%rsp
	/* Leave nothing of the enclave's state in the caller-saved registers. */
	xor	%ecx, %ecx
	xor	%edx, %edx
	xor	%esi, %esi
	xor	%edi, %edi
	xor	%r8d, %r8d
	xor	%r9d, %r9d
	xor	%r10d, %r10d
	test	%r11, %r11
	jz	2f
	movabs	$ENCL_CLOBBER_R12, %r12
	movabs	$ENCL_CLOBBER_R13, %r13
	movabs	$ENCL_CLOBBER_R14, %r14
	movabs	$ENCL_CLOBBER_R15, %r15
2:	xor	%r11d, %r11d
	mov	$SGX_EEXIT, %eax
	.byte	0x0f, 0x01, 0xd7	/* ENCLU */
1:	ud2				/* not one of our TCS pages: cannot happen on hardware */
3:	mov	%r10, %rdi
	mov	%r11, %rsi
	call	encl_exception
	xor	%eax, %eax		/* leave without clobbering R12..R15 */
	jmp	4b
	.size	encl_entry, . - encl_entry

	.section ".bss.encl_ssa", "aw", @nobits
	.balign	4096
	.global	encl_ssa_tcs0, encl_ssa_tcs1
encl_ssa_tcs0:
	.space	4096 * ENCL_SSA_FRAME_SIZE * ENCL_NSSA
encl_ssa_tcs1:
	.space	4096 * ENCL_SSA_FRAME_SIZE * ENCL_NSSA

	.section ".bss.encl_stack", "aw", @nobits
	.balign	4096
encl_stacks:
	.space	ENCL_STACK_SIZE * ENCL_NR_TCS * ENCL_NSSA

/* The loader's parameters (docs/elf-enclave.md): not loaded, not measured. */
	.section ".note.softsgx", "", @note
	.balign	4
	.long	8			/* namesz */
	.long	96			/* descsz */
	.long	1			/* type: NT_SOFTSGX_ENCLAVE */
	.asciz	"softsgx"
	.long	1			/*  0 version */
	.long	ENCL_SSA_FRAME_SIZE	/*  4 SSAFRAMESIZE */
	.long	ENCL_NSSA		/*  8 NSSA */
	.long	0			/* 12 MISCSELECT */
	.long	0xFFFFFFFF		/* 16 MISCMASK */
	.long	0			/* 20 flags */
	.quad	SGX_ATTR_MODE64BIT	/* 24 ATTRIBUTES.FLAGS */
	.quad	SGX_XFRM_LEGACY		/* 32 ATTRIBUTES.XFRM */
	.quad	0xFFFFFFFFFFFFFFFD	/* 40 ATTRIBUTEMASK.FLAGS: all but DEBUG */
	.quad	0xFFFFFFFFFFFFFF1B	/* 48 ATTRIBUTEMASK.XFRM: AVX and AVX-512 may vary */
	.quad	encl_heap_off		/* 56 heap offset */
	.quad	ENCL_HEAP_SIZE		/* 64 heap size */
	.quad	0			/* 72 enclave size: the smallest power of two */
	.short	0			/* 80 ISVPRODID */
	.short	0			/* 82 ISVSVN */
	.fill	12, 1, 0		/* 84 reserved */

	.section .note.GNU-stack, "", @progbits
