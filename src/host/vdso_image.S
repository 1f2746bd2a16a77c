/* SPDX-License-Identifier: MIT */
/*
 * The substitute vDSO image: __vdso_sgx_enter_enclave with the behaviour of the kernel's
 * arch/x86/entry/vdso/vsgx.S, and the time functions of the real vDSO.  The image is linked
 * without relocations (vdso.lds) and copied into memory by vdso.c, which fills the slots at the
 * end of this file before making the copy read-only and executable:
 *   - EENTER does not execute ENCLU: it jumps through softsgx_vdso_slot_eenter into the host
 *     layer (vdso_enter.S), which emulates the leaf and transfers into the enclave without a
 *     trap; ERESUME executes a real ENCLU and is emulated by the SIGILL handler.
 *   - The host layer's fault handling plays the kernel's exception-table fixup: an exception in
 *     an enclave entered with softsgx_vdso_aep as AEP resumes at softsgx_vdso_handle_exception
 *     with %rdi = vector, %rsi = error code, %rdx = address, %eax = the leaf.
 */

#define EENTER	2
#define ERESUME	3
#define EEXIT	4
#define EINVAL	22

#define RUN_TCS			0
#define RUN_LEAF		8
#define RUN_EXCEPTION_VECTOR	12
#define RUN_EXCEPTION_ERROR_CODE 14
#define RUN_EXCEPTION_ADDR	16
#define RUN_USER_HANDLER	24
#define RUN_RESERVED_START	40
#define RUN_RESERVED_END	256

/* The 7th argument (struct sgx_enclave_run *) sits above the return address. */
#define OFFSET_OF_RUN		16

	.text
	.globl	__vdso_sgx_enter_enclave
	.type	__vdso_sgx_enter_enclave, @function
__vdso_sgx_enter_enclave:
	.cfi_startproc
	push	%rbp
	.cfi_adjust_cfa_offset	8
	.cfi_rel_offset		%rbp, 0
	mov	%rsp, %rbp
	.cfi_def_cfa_register	%rbp
	push	%rbx
	.cfi_rel_offset		%rbx, -8

	mov	%ecx, %eax
.Lenter_enclave:
	/* EENTER <= function <= ERESUME */
	cmp	$EENTER, %eax
	jb	.Linvalid_input
	cmp	$ERESUME, %eax
	ja	.Linvalid_input

	mov	OFFSET_OF_RUN(%rbp), %rcx

	/* The reserved area must be zero. */
	mov	$RUN_RESERVED_START, %rbx
1:
	cmpq	$0, (%rcx, %rbx)
	jne	.Linvalid_input
	add	$8, %rbx
	cmpq	$RUN_RESERVED_END, %rbx
	jne	1b

	/* Load TCS and AEP */
	mov	RUN_TCS(%rcx), %rbx
	lea	softsgx_vdso_aep(%rip), %rcx

	/*
	 * EENTER is emulated without a trap; the host layer returns to the enclave entry.  An
	 * empty slot (an image `softsgx run` wrote before the host layer adopted it) executes
	 * ENCLU, as on hardware.
	 */
	cmp	$EENTER, %eax
	jne	softsgx_vdso_aep
	cmpq	$0, softsgx_vdso_slot_eenter(%rip)
	je	softsgx_vdso_aep
	jmp	*softsgx_vdso_slot_eenter(%rip)

	/* Single ENCLU serving as ERESUME and as the AEP (a trap emulates it). */
	.globl	softsgx_vdso_aep
softsgx_vdso_aep:
	.byte	0x0f, 0x01, 0xd7	/* enclu */

	/* EEXIT jumps here unless the enclave is doing something fancy. */
softsgx_vdso_eexit_return:
	mov	OFFSET_OF_RUN(%rbp), %rbx

	/* Set exit_reason. */
	movl	$EEXIT, RUN_LEAF(%rbx)

	/* Invoke userspace's exit handler if one was provided. */
.Lhandle_exit:
	cmpq	$0, RUN_USER_HANDLER(%rbx)
	jne	.Linvoke_userspace_handler

	/* Success, in the sense that ENCLU was attempted. */
	xor	%eax, %eax

.Lout:
	pop	%rbx
	leave
	.cfi_def_cfa		%rsp, 8
	ret

	/* The out-of-line code runs with the pre-leave stack frame. */
	.cfi_def_cfa		%rbp, 16

.Linvalid_input:
	mov	$(-EINVAL), %eax
	jmp	.Lout

softsgx_vdso_handle_exception:
	mov	OFFSET_OF_RUN(%rbp), %rbx

	/* Set the exception info. */
	mov	%eax, RUN_LEAF(%rbx)
	mov	%di,  RUN_EXCEPTION_VECTOR(%rbx)
	mov	%si,  RUN_EXCEPTION_ERROR_CODE(%rbx)
	mov	%rdx, RUN_EXCEPTION_ADDR(%rbx)
	jmp	.Lhandle_exit

.Linvoke_userspace_handler:
	/* Pass the untrusted RSP (at exit) to the callback via %rcx. */
	mov	%rsp, %rcx

	/* Save struct sgx_enclave_run: %rbx is about to be clobbered. */
	mov	%rbx, %rax

	/* Save the untrusted RSP offset in %rbx (non-volatile register). */
	mov	%rsp, %rbx
	and	$0xf, %rbx

	/*
	 * Align the stack per the x86_64 ABI: %rsp must be 16-byte aligned after pushing the
	 * parameter, hence the bonus push.
	 */
	and	$-0x10, %rsp
	push	%rax

	/* Push struct sgx_enclave_run as the 7th argument. */
	push	%rax

	/* Clear RFLAGS.DF per the x86_64 ABI. */
	cld

	/* Load the callback pointer; lfence against load value injection, as upstream. */
	mov	RUN_USER_HANDLER(%rax), %rax
	lfence
	call	*%rax

	/* Undo the post-exit %rsp adjustment. */
	lea	0x10(%rsp, %rbx), %rsp

	/*
	 * A return <= 0 is returned to the caller; a positive value is the ENCLU function to
	 * run next.
	 */
	cmp	$0, %eax
	jle	.Lout
	jmp	.Lenter_enclave
	.cfi_endproc
	.size	__vdso_sgx_enter_enclave, . - __vdso_sgx_enter_enclave

/*
 * The real vDSO's functions, forwarded to the kernel's vDSO (or libc) through their slots; an
 * empty slot makes the system call (the image `softsgx run` writes when the kernel's vDSO lacks
 * the function).  These run before any library is initialised: ld.so and libc call them.
 */
#define FORWARD(name, nr)				\
	.globl	name, __vdso_##name;			\
	.type	name, @function;			\
	.type	__vdso_##name, @function;		\
name:							\
__vdso_##name:						\
	mov	softsgx_vdso_slot_##name(%rip), %rax;	\
	test	%rax, %rax;				\
	jz	1f;					\
	jmp	*%rax;					\
1:	mov	$nr, %eax;				\
	syscall;					\
	ret;						\
	.size	name, . - name;				\
	.size	__vdso_##name, . - __vdso_##name

	.balign	16
FORWARD(clock_gettime, 228)
FORWARD(clock_getres, 229)
FORWARD(gettimeofday, 96)
FORWARD(time, 201)
FORWARD(getcpu, 309)

/*
 * Filled by vdso.c before the copy becomes read-only (or by `softsgx run`, launch.c, in the
 * image it writes into the program); all zero in the file.  softsgx_vdso_slots_end bounds them:
 * everything else in an image is the file's bytes, which is how vdso.c recognises one.
 */
	.balign	8
softsgx_vdso_slot_eenter:	.quad 0
softsgx_vdso_slot_clock_gettime: .quad 0
softsgx_vdso_slot_clock_getres:	.quad 0
softsgx_vdso_slot_gettimeofday:	.quad 0
softsgx_vdso_slot_time:		.quad 0
softsgx_vdso_slot_getcpu:	.quad 0
softsgx_vdso_slots_end:

	.section .note.GNU-stack, "", @progbits
