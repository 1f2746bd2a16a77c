/* SPDX-License-Identifier: MIT */
/*
 * EENTER for the substitute vDSO, without a trap: the vDSO is our code, so instead of executing
 * ENCLU and taking SIGILL it hands its registers here (vdso_enter.S).  An ECALL through the
 * vDSO then costs one trap, the enclave's EEXIT.
 */
#include <stdatomic.h>

#include "host.h"

#define X86_TRAP_GP 13

static void frame_to_regs(struct sgx_regs *r, const struct vdso_frame *f)
{
	*r = (struct sgx_regs){
	    .rax = f->rax,
	    .rcx = f->rcx,
	    .rdx = f->rdx,
	    .rbx = f->rbx,
	    .rsp = (uint64_t)(f + 1),
	    .rbp = f->rbp,
	    .rsi = f->rsi,
	    .rdi = f->rdi,
	    .r8 = f->r8,
	    .r9 = f->r9,
	    .r10 = f->r10,
	    .r11 = f->r11,
	    .r12 = f->r12,
	    .r13 = f->r13,
	    .r14 = f->r14,
	    .r15 = f->r15,
	    .rflags = f->rflags,
	    /* Where the ENCLU would be: RCX after EENTER is the instruction after it. */
	    .rip = host_vdso.aep,
	};
}

static void regs_to_frame(struct vdso_frame *f, const struct sgx_regs *r)
{
	f->rax = r->rax;
	f->rcx = r->rcx;
	f->rdx = r->rdx;
	f->rbx = r->rbx;
	f->rbp = r->rbp;
	f->rsi = r->rsi;
	f->rdi = r->rdi;
	f->r8 = r->r8;
	f->r9 = r->r9;
	f->r10 = r->r10;
	f->r11 = r->r11;
	f->r12 = r->r12;
	f->r13 = r->r13;
	f->r14 = r->r14;
	f->r15 = r->r15;
	f->rflags = r->rflags;
	f->rip = r->rip;
}

/* EENTER faulted: continue in the vDSO's exception path with RAX still the leaf. */
static void to_exception_path(struct vdso_frame *f, const struct sgx_exception *ex)
{
	f->rip = host_vdso.handle_exception;
	f->rdi = ex->vector;
	f->rsi = ex->error_code;
	f->rdx = ex->addr;
}

/*
 * The leaf, as one instruction: a signal arriving meanwhile waits (trap.c's defer_signal), from
 * here until the enclave's next exit when the entry succeeds.  Only EENTER comes this way (the
 * vDSO's ERESUME is a real ENCLU and traps, which gives the leaf the XSAVE image to restore),
 * so r->xsave stays NULL.
 */
static bool enter_cpu(struct host_thread *t, struct sgxk *k, struct sgx_regs *r,
		      struct sgx_exception *fault)
{
	int ret;

	if ((uint32_t)r->rax != SGX_EENTER) {
		*fault = (struct sgx_exception){.vector = X86_TRAP_GP};
		return false;
	}
	t->in_cpu = HOST_IN_CPU_VDSO;
	atomic_signal_fence(memory_order_seq_cst);
	ret = sgx_enclu(sgxk_cpu(k), sgxk_mmu(k), &t->lp, r, fault);
	atomic_signal_fence(memory_order_seq_cst);
	t->in_cpu = 0;
	return ret == 0;
}

__attribute__((visibility("hidden"))) void softsgx_vdso_eenter_c(struct vdso_frame *f)
{
	struct sgx_exception fault = {.vector = X86_TRAP_GP};
	struct host_thread *t = thread_current();
	struct sgxk *k = host_kernel();
	struct sgx_regs r;

	frame_to_regs(&r, f);
	r.fsbase = host_rdfsbase();
	r.gsbase = host_rdgsbase();
	/* Without a kernel there is no enclave and no valid TCS: #GP, as on hardware. */
	if (!t || !k || !enter_cpu(t, k, &r, &fault)) {
		to_exception_path(f, &fault);
		if (t)
			trap_release_deferred(t);
		return;
	}
	regs_to_frame(f, &r);
	pkeys_live_allow(t->lp.in_enclave);
	host_wrgsbase(r.gsbase);
	host_wrfsbase(r.fsbase); /* from here on %fs is the enclave's */
	/*
	 * Last, after the system call host_wrfsbase makes without FSGSBASE: what remains is
	 * vdso_enter.S's pops and ret into the enclave, none a system call.
	 */
	sud_set(t, SUD_BLOCK);
}
