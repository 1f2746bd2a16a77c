/* SPDX-License-Identifier: MIT */
/*
 * Trap-and-emulate.  ENCLU (0F 01 D7) raises SIGILL or SIGSEGV: the handler runs the leaf on the
 * emulated CPU over the signal frame's registers and returns into whatever the leaf transferred to.
 * A fault in enclave mode is an AEX: the state goes to the SSA, the thread leaves to the AEP, and
 * the exception is reported as hardware plus the kernel would report it: to the vDSO's
 * exception path when the enclave was entered through our vDSO (the kernel's fixup), else as a
 * signal to the program at the AEP.  A system call of enclave code, stopped by Syscall User
 * Dispatch (sud.c) as SIGSYS, is such a fault: #UD, as SYSCALL and INT 0x80 are illegal in
 * enclave mode.  Everything else reaches the program unchanged.
 *
 * Entered from enclave code these handlers run with the enclave's FS base: the first thing done
 * is to find the thread without TLS (thread_from_ucontext) and restore the host's FS/GS.
 */
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "host.h"

#define X86_TRAP_DE 0
#define X86_TRAP_UD 6
#define X86_TRAP_GP 13
#define X86_TRAP_PF 14

#define X86_PF_PROT  (1u << 0)
#define X86_PF_WRITE (1u << 1)
#define X86_PF_INSTR (1u << 4)
#define X86_PF_SGX   (1u << 15)

#define SIGSYS_USER_DISPATCH 2 /* si_code SYS_USER_DISPATCH (asm-generic/siginfo.h) */

/* The bases the interrupted code ran with, and a switch to the host's. */
struct saved_bases {
	uint64_t fs, gs;
};

/*
 * The @len bytes at the interrupted RIP, into @insn; false when the fault was the fetch of that
 * instruction itself (a jump to unmapped memory): reading there would fault again.
 */
static bool read_insn(const ucontext_t *uc, uint8_t *insn, size_t len)
{
	const greg_t *g = uc->uc_mcontext.gregs;

	if (g[REG_TRAPNO] == X86_TRAP_PF && (g[REG_ERR] & X86_PF_INSTR))
		return false;
	/* Enclave code's bytes: the handler's PKRU (the kernel's default) denies their key. */
	pkeys_read(insn, (const void *)g[REG_RIP], len);
	return true;
}

/* Whether the bytes at the interrupted RIP are @bytes. */
static bool insn_is(const ucontext_t *uc, const uint8_t *bytes, size_t len)
{
	uint8_t insn[16];

	return read_insn(uc, insn, len) && !memcmp(insn, bytes, len);
}

static bool is_enclu(const ucontext_t *uc)
{
	static const uint8_t enclu[3] = {0x0f, 0x01, 0xd7};

	return insn_is(uc, enclu, sizeof(enclu));
}

static bool is_cpuid(const ucontext_t *uc)
{
	static const uint8_t cpuid[2] = {0x0f, 0xa2};

	return insn_is(uc, cpuid, sizeof(cpuid));
}

/* INT n (CD ib), except CD 03 (#BP like INT3): illegal in enclave mode. */
static bool is_int_n(const ucontext_t *uc)
{
	uint8_t insn[2];

	return read_insn(uc, insn, sizeof(insn)) && insn[0] == 0xcd && insn[1] != 0x03;
}

/*
 * IN, INS, OUT, OUTS (after operand-size and REP prefixes): illegal in enclave mode; with IOPL 0
 * and no I/O bitmap the host raises #GP for them.
 */
static bool is_port_io(const ucontext_t *uc)
{
	uint8_t insn[4];
	size_t i = 0;

	if (!read_insn(uc, insn, sizeof(insn)))
		return false;
	while (i < sizeof(insn) - 1 && (insn[i] == 0x66 || insn[i] == 0xf2 || insn[i] == 0xf3))
		i++;
	return (insn[i] >= 0xe4 && insn[i] <= 0xe7) || (insn[i] >= 0xec && insn[i] <= 0xef) ||
	       (insn[i] >= 0x6c && insn[i] <= 0x6f);
}

/*
 * Enclave mode: this logical processor is inside an enclave and the interrupted RIP is in its
 * ELRANGE.  The RIP test tells a fault of the enclave from one in our own handler code (e.g. a
 * CPUID the emulated CPU executes while it handles an exit).
 */
static bool enclave_mode(const struct host_thread *t, const ucontext_t *uc)
{
	uint64_t rip = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
	const struct sgx_secs *secs;
	struct sgxk *k;

	if (!t || !t->lp.in_enclave || !(k = host_kernel()))
		return false;
	secs = sgx_epc_page(sgxk_cpu(k), t->lp.secs_index);
	return secs && rip >= secs->base && rip - secs->base < secs->size;
}

static int fault_access(uint32_t error_code)
{
	if (error_code & X86_PF_INSTR)
		return PROT_EXEC;
	return (error_code & X86_PF_WRITE) ? PROT_WRITE : PROT_READ;
}

/* What the CPU would have raised for this signal in enclave mode. */
static void exception_from_signal(int sig, const siginfo_t *info, const ucontext_t *uc,
				  struct sgx_exception *ex)
{
	const greg_t *g = uc->uc_mcontext.gregs;
	struct sgxk *k = host_kernel();

	memset(ex, 0, sizeof(*ex));
	ex->vector = (uint8_t)g[REG_TRAPNO];
	ex->error_code = (uint32_t)g[REG_ERR];
	if (sig == SIGILL) {
		ex->vector = X86_TRAP_UD;
		ex->error_code = 0;
	} else if (sig == SIGSEGV && ex->vector == X86_TRAP_GP &&
		   (is_cpuid(uc) || is_int_n(uc) || is_port_io(uc))) {
		/*
		 * CPUID, INT n and port I/O are illegal in enclave mode: #UD, whatever CPUID
		 * faulting says, where the host raised #GP (the IDT gate of vector n is not for
		 * user code; IOPL is 0).
		 */
		ex->vector = X86_TRAP_UD;
		ex->error_code = 0;
	} else if (sig == SIGSYS) {
		/* A system call Syscall User Dispatch stopped: SYSCALL and INT 0x80 are #UD. */
		ex->vector = X86_TRAP_UD;
		ex->error_code = 0;
	} else if ((sig == SIGSEGV || sig == SIGBUS) && ex->vector == X86_TRAP_PF) {
		uint64_t addr = (uint64_t)info->si_addr;
		const struct sgx_mmu *mmu = k ? sgxk_mmu(k) : NULL;
		const struct host_thread *t = thread_from_ucontext(uc);
		uint32_t epcm_code = 0;

		/*
		 * The kernel maps an enclave page on its first touch; the host's PTE for our
		 * shared mapping may be gone (a remap) where the kernel's would be present.  So:
		 * present (P) when an EPC page is mapped readable there, and when the page tables
		 * allow the access, the EPCM refused it: the SGX bit.
		 */
		if (mmu && mmu->translate(mmu->ctx, addr, PROT_READ))
			ex->error_code |= X86_PF_PROT;
		/* The page tables allowed it and the EPCM refused (sgx_epcm_access): bit 15. */
		if (mmu && t &&
		    sgx_epcm_access(sgxk_cpu(k), mmu, &t->lp, addr, fault_access(ex->error_code),
				    &epcm_code) == SGX_FAULT_PF &&
		    (epcm_code & SGX_PF_SGX))
			ex->error_code |= X86_PF_SGX | X86_PF_PROT;
		/* The full address for EXINFO.MADDR; what is reported outside is the page. */
		ex->addr = addr;
	} else if (sig == SIGFPE && ex->vector == 0 && info->si_code != FPE_INTDIV &&
		   info->si_code != FPE_INTOVF) {
		ex->vector = X86_TRAP_DE;
	}
}

/* An enclave #PF reports the page, not the byte (CR2 bits 11:0 cleared); others report 0. */
static uint64_t reported_addr(const struct sgx_exception *ex)
{
	return ex->vector == X86_TRAP_PF ? ex->addr & ~(uint64_t)4095 : 0;
}

/* Resume in the vDSO's exception path, as the kernel's exception-table fixup does. */
static bool vdso_fixup(ucontext_t *uc, const struct sgx_exception *ex)
{
	greg_t *g = uc->uc_mcontext.gregs;

	if (!host_vdso.base || (uint64_t)g[REG_RIP] != host_vdso.aep)
		return false;
	g[REG_RIP] = host_vdso.handle_exception;
	g[REG_RDI] = ex->vector;
	g[REG_RSI] = ex->error_code;
	g[REG_RDX] = reported_addr(ex);
	return true;
}

/* Hand an exception of an ENCLU outside enclave mode (EENTER on a busy TCS...) to its caller. */
static void enclu_fault(ucontext_t *uc, const struct sgx_exception *ex)
{
	siginfo_t si;

	if (vdso_fixup(uc, ex))
		return;
	memset(&si, 0, sizeof(si));
	si.si_signo = SIGSEGV;
	if (ex->vector == X86_TRAP_PF) {
		si.si_code = SEGV_MAPERR;
		si.si_addr = (void *)ex->addr;
	} else {
		si.si_code = 0x80; /* SI_KERNEL, as for a #GP */
	}
	uc->uc_mcontext.gregs[REG_TRAPNO] = ex->vector;
	uc->uc_mcontext.gregs[REG_ERR] = ex->error_code;
	signals_deliver(SIGSEGV, &si, uc);
}

/*
 * The signal interrupted the emulation: the emulated CPU or the kernel model, which may hold
 * the EPCM spin lock or the driver's locks (a program handler entering an enclave would wait
 * for them forever), or the end of the vDSO's trap-free EENTER, with the logical processor in
 * enclave mode but the thread still in our code (a program handler would run "inside" the
 * enclave).  An interrupt waits for the instruction to retire: the signal is queued again with
 * its siginfo and kept blocked.  Interrupting one of our handlers, it comes in when that
 * handler returns (its sigreturn restores the mask); interrupting the vDSO path, at the
 * enclave's next exit (its EEXIT or AEX, through the handlers here), which unblocks it;
 * interrupting an interposed call in the kernel model, when that call returns
 * (trap_kernel_end).
 */
static bool defer_signal(struct host_thread *t, int sig, siginfo_t *info, ucontext_t *uc)
{
	long tid = raw_syscall(SYS_gettid, 0, 0, 0);
	bool nested;

	if (!t || (!t->in_cpu && !t->lp.in_enclave))
		return false;
	nested = t->in_cpu == HOST_IN_CPU_HANDLER;
	if (raw_syscall4(SYS_rt_tgsigqueueinfo, raw_syscall(SYS_getpid, 0, 0, 0), tid, sig,
			 (long)info) < 0)
		return false; /* cannot queue it again (RLIMIT_SIGPENDING): deliver it now */
	sigaddset(&uc->uc_sigmask, sig);
	if (!nested)
		t->deferred |= 1ull << (sig - 1);
	return true;
}

/* This handler is about to run the emulated CPU or the kernel model: signals wait. */
static sig_atomic_t cpu_begin(struct host_thread *t)
{
	sig_atomic_t prev;

	if (!t)
		return 0;
	prev = t->in_cpu;
	t->in_cpu = HOST_IN_CPU_HANDLER;
	atomic_signal_fence(memory_order_seq_cst);
	return prev;
}

static void cpu_end(struct host_thread *t, sig_atomic_t prev)
{
	if (!t)
		return;
	atomic_signal_fence(memory_order_seq_cst);
	t->in_cpu = prev;
}

/* The enclave left (or was never entered): the deferred signals come in at sigreturn. */
static void release_deferred(struct host_thread *t, ucontext_t *uc)
{
	for (int sig = 1; t && t->deferred && sig <= 64; sig++)
		if (t->deferred & (1ull << (sig - 1))) {
			sigdelset(&uc->uc_sigmask, sig);
			t->deferred &= ~(1ull << (sig - 1));
		}
}

void trap_release_deferred(struct host_thread *t)
{
	uint64_t set = t->deferred;

	t->deferred = 0;
	if (set)
		raw_syscall4(SYS_rt_sigprocmask, SIG_UNBLOCK, (long)&set, 0, 8);
}

/*
 * An interposed call (preload.c) runs the kernel model, which holds the driver's locks, with
 * the program's signals unblocked: a signal arriving meanwhile is deferred like one that lands
 * in the vDSO's EENTER and comes in at trap_kernel_end, once the locks are free again.  Nested
 * (a program handler that runs on a thread already inside) it keeps the outer state.
 */
sig_atomic_t trap_kernel_begin(struct host_thread *t)
{
	sig_atomic_t prev = t->in_cpu;

	if (!prev)
		t->in_cpu = HOST_IN_CPU_KERNEL;
	atomic_signal_fence(memory_order_seq_cst);
	return prev;
}

void trap_kernel_end(struct host_thread *t, sig_atomic_t prev)
{
	atomic_signal_fence(memory_order_seq_cst);
	t->in_cpu = prev;
	if (!prev)
		trap_release_deferred(t);
}

static void leave_with(const struct sgx_regs *r, ucontext_t *uc, bool in_enclave)
{
	regs_to_ucontext(r, uc);
	pkeys_frame_allow(uc, in_enclave);
	host_wrgsbase(r->gsbase);
	host_wrfsbase(r->fsbase); /* last: TLS is the enclave's from here on when inside */
}

static void aex(struct host_thread *t, int sig, siginfo_t *info, ucontext_t *uc,
		const struct saved_bases *b, const struct sgx_exception *ex)
{
	struct sgxk *k = host_kernel();
	struct sgx_regs r;

	sig_atomic_t prev;
	int ret;

	regs_from_ucontext(&r, uc);
	r.fsbase = b->fs;
	r.gsbase = b->gs;
	prev = cpu_begin(t);
	ret = sgx_aex(sgxk_cpu(k), sgxk_mmu(k), &t->lp, &r, ex);
	cpu_end(t, prev);
	if (ret) {
		host_warn("AEX failed (SSA frame not usable): the enclave thread cannot continue");
		leave_with(&r, uc, false);
		signals_deliver(sig, info, uc);
		return;
	}
	leave_with(&r, uc, false);
	if (vdso_fixup(uc, ex))
		return;
	/* Raw ENCLU users (no vDSO) get the signal at the AEP, as from the kernel. */
	if (ex->vector == X86_TRAP_PF)
		info->si_addr = (void *)reported_addr(ex);
	if (ex->vector == X86_TRAP_UD) {
		/* The kernel's #UD: SIGILL at the faulting RIP, which after the AEX is the AEP. */
		sig = SIGILL;
		memset(info, 0, sizeof(*info));
		info->si_signo = SIGILL;
		info->si_code = ILL_ILLOPN;
		info->si_addr = (void *)uc->uc_mcontext.gregs[REG_RIP];
	}
	uc->uc_mcontext.gregs[REG_TRAPNO] = ex->vector;
	uc->uc_mcontext.gregs[REG_ERR] = ex->error_code;
	signals_deliver(sig, info, uc);
}

/* Emulate the ENCLU at uc's RIP; returns the thread's state (created here on its first). */
static struct host_thread *enclu(struct host_thread *t, ucontext_t *uc, const struct saved_bases *b,
				 bool was_inside, int sig, siginfo_t *info)
{
	struct sgx_exception fault = {0};
	struct sgxk *k = host_kernel();
	uint64_t leaf, page;
	struct sgx_regs r;
	sig_atomic_t prev;
	int ret;

	if (!t)
		t = thread_current(); /* outside enclave mode: host TLS is usable */
	if (!t) {
		signals_deliver(sig, info, uc);
		return NULL;
	}
	regs_from_ucontext(&r, uc);
	r.fsbase = b->fs;
	r.gsbase = b->gs;
	if (!k) {
		/* No enclave exists, so no TCS is valid: EENTER/ERESUME #GP, as on hardware. */
		fault.vector = X86_TRAP_GP;
		enclu_fault(uc, &fault);
		return t;
	}
	/* The leaf (EAX) and, for EACCEPT, EMODPE and EACCEPTCOPY, the target page (RCX). */
	leaf = (uint32_t)r.rax;
	page = r.rcx;
	prev = cpu_begin(t);
	ret = sgx_enclu(sgxk_cpu(k), sgxk_mmu(k), &t->lp, &r, &fault);
	/* The EPCM entry changed: the page's mapping follows it (kernel.h). */
	if (!ret && (leaf == SGX_EACCEPT || leaf == SGX_EMODPE || leaf == SGX_EACCEPTCOPY))
		sgxk_epcm_changed(k, page);
	cpu_end(t, prev);
	if (ret) {
		if (was_inside)
			aex(t, SIGSEGV, info, uc, b, &fault);
		else
			enclu_fault(uc, &fault);
		return t;
	}
	leave_with(&r, uc, t->lp.in_enclave);
	return t;
}

static int resolve_fault(int sig, const siginfo_t *info, const ucontext_t *uc)
{
	struct sgxk *k = host_kernel();
	uint32_t err = (uint32_t)uc->uc_mcontext.gregs[REG_ERR];

	if (!k || (sig != SIGSEGV && sig != SIGBUS) || info->si_code <= 0)
		return SGXK_NOT_ENCLAVE;
	return sgxk_fault(k, (uint64_t)info->si_addr, fault_access(err));
}

/*
 * A handler's last step: the Syscall User Dispatch selector for the code it returns to (sud.c).
 * Enclave code gets BLOCK; code the handler left an enclave for gets ALLOW; any other code gets
 * what it had, which is BLOCK only at the very end of a path into an enclave, after its own
 * store.  Only the restorer's rt_sigreturn follows (exempt).
 */
static void sud_leave(struct host_thread *t, const ucontext_t *uc, bool was_inside, char was)
{
	if (enclave_mode(t, uc))
		sud_set(t, SUD_BLOCK);
	else
		sud_set(t, was_inside ? SUD_ALLOW : was);
}

/* trap_handler's work; returns the thread's state, which an ENCLU may have just created. */
static struct host_thread *trap(int sig, siginfo_t *info, ucontext_t *uc, struct host_thread *t,
				bool inside)
{
	struct saved_bases b = {.fs = host_rdfsbase(), .gs = host_rdgsbase()};
	struct sgx_exception ex;
	sig_atomic_t prev;
	int resolved;

	if (inside) {
		host_wrfsbase(t->lp.host_fsbase);
		host_wrgsbase(t->lp.host_gsbase);
	}
	/* The kernel reports the address after the SYSCALL (INT 0x80); #UD is a fault, at it. */
	if (inside && sig == SIGSYS && info->si_code == SIGSYS_USER_DISPATCH)
		uc->uc_mcontext.gregs[REG_RIP] -= 2;
	/*
	 * ENCLU on a CPU without SGX: #UD (SIGILL) on most; #GP or even #PF (SIGSEGV) where the
	 * CPU knows the instruction but SGX is not enabled (measured on this project's hosts).
	 */
	if ((sig == SIGILL || sig == SIGSEGV) && is_enclu(uc)) {
		struct host_thread *now = enclu(t, uc, &b, inside, sig, info);

		if (t && !t->lp.in_enclave)
			release_deferred(t, uc);
		if (!t) /* the first ENCLU of this thread: FS may be the enclave's now */
			thread_keep_altstack(now, uc);
		return t ? t : now;
	}
	if (!inside && sig == SIGSEGV && cpuid_emulate(uc))
		return t;
	prev = cpu_begin(t);
	resolved = resolve_fault(sig, info, uc);
	cpu_end(t, prev);
	if (resolved == 0) {
		/* The kernel model fixed it (e.g. an SGX2 EAUG): retry the access. */
		if (inside) {
			host_wrgsbase(b.gs);
			host_wrfsbase(b.fs);
		}
		return t;
	}
	if (inside) {
		prev = cpu_begin(t);
		exception_from_signal(sig, info, uc, &ex);
		cpu_end(t, prev);
		release_deferred(t, uc);
		aex(t, sig, info, uc, &b, &ex);
		return t;
	}
	/* Sent, not raised (kill, tgkill, sigqueue): asynchronous like any other signal. */
	if (info->si_code <= 0 && defer_signal(t, sig, info, uc))
		return t;
	/* Not the emulation's (a SIGSYS of seccomp's SECCOMP_RET_TRAP, ...): the program's. */
	signals_deliver(sig, info, uc);
	if (!t) /* not in enclave mode: the host's TLS; the handler may have entered one */
		thread_keep_altstack(thread_peek(), uc);
	return t;
}

void trap_handler(int sig, siginfo_t *info, void *ucv)
{
	ucontext_t *uc = ucv;
	struct host_thread *t = thread_from_ucontext(uc);
	char was = sud_handler_enter(t); /* first: what follows makes system calls */
	bool inside = enclave_mode(t, uc);

	t = trap(sig, info, uc, t, inside);
	sud_leave(t, uc, inside, was);
}

/*
 * A signal the program handles arrived.  In enclave mode it is an interrupt: AEX (vector 32 and
 * up: no exception information) to the AEP, then the program's handler runs there; returning
 * resumes at the AEP, whose ERESUME goes back into the enclave.
 */
static void interrupt(int sig, siginfo_t *info, ucontext_t *uc, struct host_thread *t, bool inside)
{
	struct saved_bases b = {.fs = host_rdfsbase(), .gs = host_rdgsbase()};
	struct sgx_exception ex = {.vector = 32};
	struct sgxk *k;
	struct sgx_regs r;
	sig_atomic_t prev;
	int ret;

	if (!inside && defer_signal(t, sig, info, uc))
		return;
	if (inside) {
		host_wrfsbase(t->lp.host_fsbase);
		host_wrgsbase(t->lp.host_gsbase);
		k = host_kernel();
		regs_from_ucontext(&r, uc);
		r.fsbase = b.fs;
		r.gsbase = b.gs;
		prev = cpu_begin(t);
		ret = sgx_aex(sgxk_cpu(k), sgxk_mmu(k), &t->lp, &r, &ex);
		cpu_end(t, prev);
		if (ret) {
			host_warn("AEX failed (SSA frame not usable): the signal is taken inside "
				  "the enclave");
			host_wrgsbase(b.gs);
			host_wrfsbase(b.fs);
			return;
		}
		leave_with(&r, uc, false);
		release_deferred(t, uc);
	}
	signals_deliver(sig, info, uc);
	if (!t) /* not in enclave mode: the host's TLS; the handler may have entered one */
		thread_keep_altstack(thread_peek(), uc);
}

void trap_async_handler(int sig, siginfo_t *info, void *ucv)
{
	ucontext_t *uc = ucv;
	struct host_thread *t = thread_from_ucontext(uc);
	char was = sud_handler_enter(t); /* first: what follows makes system calls */
	bool inside = enclave_mode(t, uc);

	interrupt(sig, info, uc, t, inside);
	sud_leave(t, uc, inside, was);
}
