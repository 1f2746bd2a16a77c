/* SPDX-License-Identifier: MIT */
/*
 * The host layer's internal interfaces: the process-wide runtime (the lazily created kernel
 * model, detected host features, the substitute vDSO), the emulated-fd table, per-thread
 * logical-processor state and the signal machinery.  Nothing here is public: programs see only
 * the libc entry points preload.c interposes.
 *
 * Code reachable from a signal handler taken in enclave mode runs with the enclave's FS base:
 * it must not touch glibc TLS (errno, malloc, stdio) before thread_enter_host() restored the
 * host's, and the whole layer is built without the stack protector (the canary is %fs:0x28).
 */
#ifndef SOFTSGX_HOST_H
#define SOFTSGX_HOST_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <ucontext.h>

#include "softsgx/cpu.h"
#include "softsgx/err.h"
#include "softsgx/kernel.h"

/* Environment passed from `softsgx run` to the preload library (and to exec'd children). */
#define SOFTSGX_ENV_CONF    "SOFTSGX_CONF"
#define SOFTSGX_ENV_CONTEXT "SOFTSGX_CONTEXT"
#define SOFTSGX_ENV_QUIET   "SOFTSGX_QUIET"  /* "1": no feature warnings on stderr */
#define SOFTSGX_ENV_WARNED  "SOFTSGX_WARNED" /* "1": `softsgx run` already warned */

/* ---- runtime.c: process-wide state ---- */

struct host_features {
	bool fsgsbase;		    /* HWCAP2_FSGSBASE: rdfsbase/wrfsbase in user space */
	bool pku;		    /* protection keys usable (CPU + kernel) */
	bool cpuid_faulting;	    /* arch_prctl(ARCH_SET_CPUID, 0) succeeded */
	int cpuid_faulting_errno;   /* why not, when it did not */
	uint32_t xsave_pkru_offset; /* CPUID(0xD, 9).EBX: PKRU in the XSAVE image */
	bool sud;		    /* Syscall User Dispatch: system calls in enclave mode #UD */
	int sud_errno;		    /* why not, when it is not */
};

extern struct host_features host_features;

/* The kernel model, or NULL when no device was opened yet. */
struct sgxk *host_kernel(void);
/* The kernel model, created on first use from the configuration; 0 or -errno. */
int host_kernel_get(struct sgxk **k);
/* The reason the last host_kernel_get() failed ("" when it did not). */
const char *host_kernel_error(void);
/* Held across fork so that the child gets the kernel model whole or not at all. */
void host_kernel_lock(void);
void host_kernel_unlock(void);
/* The platform the configuration describes (before the kernel model exists). */
void host_platform_from_config(struct sgx_platform *p);
/* Write "softsgx: <message>\n" to stderr with write(2) only (async-signal-safe). */
void host_warn(const char *msg);
void host_warnf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- fdtable.c: process fds that stand for emulated device files ---- */

int fdtable_add(int fd, struct sgxk_file *file, bool provision);
/* A new reference to the file behind @fd (put it with sgxk_file_put), or NULL; @provision may
 * be NULL, else it says whether the fd is /dev/sgx_provision's. */
struct sgxk_file *fdtable_get(int fd, bool *provision);
/* Forget @fd; returns the reference the table held, or NULL when @fd was not emulated. */
struct sgxk_file *fdtable_remove(int fd);
/* Whether any emulated fd exists: a cheap test for the hot passthrough paths. */
bool fdtable_in_use(void);
/* For the kernel model's PROVISION lookup (struct sgxk_options.fdget). */
struct sgxk_file *fdtable_fdget(void *ctx, int fd);

/* A system call that never touches errno (TLS): for code that may run with the enclave's FS. */
static inline long raw_syscall(long nr, long a, long b, long c)
{
	long ret;

	asm volatile("syscall"
		     : "=a"(ret)
		     : "a"(nr), "D"(a), "S"(b), "d"(c)
		     : "rcx", "r11", "memory");
	return ret;
}

static inline long raw_syscall4(long nr, long a, long b, long c, long d)
{
	register long r10 asm("r10") = d;
	long ret;

	asm volatile("syscall"
		     : "=a"(ret)
		     : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10)
		     : "rcx", "r11", "memory");
	return ret;
}

/* ---- fsgs.c: FS/GS bases, with or without FSGSBASE ---- */

uint64_t host_rdfsbase(void);
uint64_t host_rdgsbase(void);
void host_wrfsbase(uint64_t base);
void host_wrgsbase(uint64_t base);

/* ---- thread.c: one logical processor per host thread ---- */

#define HOST_THREAD_MAGIC   0x5354485847535346ull /* "FSSGXHTS" */
#define HOST_IN_CPU_VDSO    1			  /* the vDSO's trap-free EENTER (enter.c) */
#define HOST_IN_CPU_HANDLER 2			  /* one of the handlers of trap.c */
#define HOST_IN_CPU_KERNEL  3 /* an interposed call in the kernel model (preload.c) */
#define HOST_MAX_THREADS    4096

struct host_thread {
	uint64_t magic;
	struct sgx_lp lp;
	void *altstack;	      /* our sigaltstacks, one per handler level: how a handler finds */
	size_t altstack_size; /* this without TLS (uc_stack is one of them); one level's size */
	size_t map_size;
	pid_t tid;
	/* The program's own sigaltstack request while ours is installed (sigaltstack()). */
	stack_t program_altstack;
	bool program_altstack_set;
	/*
	 * The thread runs the emulated CPU or the kernel model, which may hold locks a program
	 * handler entering an enclave would need: an asynchronous signal waits (trap.c).
	 */
	volatile sig_atomic_t in_cpu; /* 0 or HOST_IN_CPU_* */
	/* Signals (bit sig - 1) queued again and kept blocked until the enclave's next exit. */
	volatile uint64_t deferred;
	/*
	 * The Syscall User Dispatch selector (sud.c): SUD_BLOCK while the thread runs enclave
	 * code, so that a system call there raises SIGSYS (#UD) instead of running.
	 */
	volatile char sud_selector;
	bool sud_on; /* the kernel reads sud_selector for this thread */
};

/* This thread's state, created (with its alternate signal stack) on first use; NULL on ENOMEM. */
struct host_thread *thread_current(void);
/* This thread's state if it exists, without creating it (TLS: host FS only). */
struct host_thread *thread_peek(void);
/* The state of the thread a signal interrupted, found from uc_stack: no TLS. */
struct host_thread *thread_from_ucontext(const ucontext_t *uc);
/* sigaltstack() for a thread with our state: 0 or -errno; -ENOSYS: not ours, pass through. */
int thread_sigaltstack(const stack_t *ss, stack_t *old);
/*
 * Before a program handler runs (signals.c): arm the alternate stack level after the one this
 * code runs on, so that a fault of enclave code the handler enters never lands on its frames.
 * The sigreturn of the handler's frame re-arms its own level (uc_stack).  One system call.
 */
void thread_altstack_next(struct host_thread *t);
/*
 * At the end of a handler delivered before the thread had our state (it got it meanwhile):
 * point uc_stack at our first level, which the sigreturn would otherwise replace with what was
 * armed at delivery (nothing, or the program's stack).  No system call.
 */
void thread_keep_altstack(const struct host_thread *t, ucontext_t *uc);

/* ---- vdso.c: the substitute vDSO ---- */

struct host_vdso {
	uint64_t base, size;
	uint64_t aep, eexit_return, handle_exception;
};

/* The substitute vDSO's base, created on first use; 0 when it cannot be created. */
unsigned long host_vdso_base(void);
/* The instantiated image (zeros before host_vdso_base() created it). */
extern struct host_vdso host_vdso;
/* The real vDSO's symbol @name by PT_DYNAMIC + DT_HASH (NULL when absent). */
void *vdso_lookup(unsigned long base, const char *name);

/* ---- enter.c / vdso_enter.S: EENTER from the vDSO without a trap ---- */

/* The register frame vdso_enter.S pushes below the caller's RSP (lowest address first). */
struct vdso_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t rflags, rip;
};

void softsgx_vdso_eenter(void); /* the slot target: not a C function */
void softsgx_vdso_eenter_c(struct vdso_frame *f);

/* ---- regs.c: ucontext <-> struct sgx_regs ---- */

void regs_from_ucontext(struct sgx_regs *r, const ucontext_t *uc);
void regs_to_ucontext(const struct sgx_regs *r, ucontext_t *uc);
/* The XSAVE image of a signal frame and its size (0 when the frame has none). */
void *ucontext_xsave(const ucontext_t *uc, uint32_t *size);

/* ---- signals.c: the program's dispositions, chained behind ours ---- */

/* Install our handlers for the signals the emulation needs (SIGILL, SIGSEGV, SIGBUS, SIGFPE). */
int signals_init(void);
/*
 * Hand a signal to the program as the kernel would have: its handler (with its sa_mask and
 * flags), or the default action (which for a fault terminates the process with that signal).
 */
void signals_deliver(int sig, siginfo_t *info, ucontext_t *uc);
/* Whether the program installed a handler (not SIG_DFL/SIG_IGN) for @sig. */
bool signals_program_handles(int sig);

/* ---- trap.c: SIGILL/SIGSEGV/SIGBUS/SIGFPE ---- */

void trap_handler(int sig, siginfo_t *info, void *ucv);
/* Any other signal the program handles: AEX first when it interrupts enclave code. */
void trap_async_handler(int sig, siginfo_t *info, void *ucv);
/* Unblock the signals deferred while the trap-free EENTER ran (it did not enter after all). */
void trap_release_deferred(struct host_thread *t);
/*
 * The thread enters (begin) and leaves (end) the kernel model from ordinary code: a signal
 * arriving in between waits until end, which delivers it.  begin returns what end restores.
 */
sig_atomic_t trap_kernel_begin(struct host_thread *t);
void trap_kernel_end(struct host_thread *t, sig_atomic_t prev);

/* ---- sud.c: Syscall User Dispatch, so that system calls in enclave mode raise #UD ---- */

#define SUD_ALLOW 0 /* SYSCALL_DISPATCH_FILTER_ALLOW */
#define SUD_BLOCK 1 /* SYSCALL_DISPATCH_FILTER_BLOCK */

/* Whether this kernel has Syscall User Dispatch (records it in host_features). */
void sud_init(void);
/* Turn it on for the calling thread, whose state @t is: one prctl; warns once on failure. */
void sud_thread_on(struct host_thread *t);
/* Turn it off before @t's memory (the selector) goes away. */
void sud_thread_off(struct host_thread *t);
/* Our signal handlers' SA_RESTORER: its rt_sigreturn is the one system call SUD exempts. */
void softsgx_sigreturn(void);

/*
 * A handler's first step: host code, which makes system calls, runs with ALLOW.  Returns the
 * value the interrupted code had, for the handler's last step (trap.c).  Stores only.
 */
static inline char sud_handler_enter(struct host_thread *t)
{
	char was;

	if (!t)
		return SUD_ALLOW;
	was = t->sud_selector;
	t->sud_selector = SUD_ALLOW;
	return was;
}

/* Set the selector for the code the handler returns to (its last step; no system call after). */
static inline void sud_set(struct host_thread *t, char value)
{
	if (t)
		t->sud_selector = value;
}

/* ---- cpuid.c ---- */

/* Turn CPUID faulting on for this process (records the outcome in host_features). */
void cpuid_init(void);
/* Emulate a faulting CPUID at uc's RIP; true when it was one (and was emulated). */
bool cpuid_emulate(ucontext_t *uc);
/* The emulated CPUID: host values with the SGX leaves from the platform model. */
void cpuid_values(uint32_t leaf, uint32_t subleaf, uint32_t regs[4]);

/* ---- pkeys.c ---- */

void pkeys_init(void);
/* The key enclave pages carry (the kernel model maps them with it), or 0 without PKU. */
int pkeys_key(void);
/* Allow (entering) or deny (leaving) enclave pages in the PKRU a signal frame restores. */
void pkeys_frame_allow(ucontext_t *uc, bool allow);
/* The same for the live PKRU (the trap-free vDSO path). */
void pkeys_live_allow(bool allow);
/* Copy @len bytes from @src, which may be enclave memory (a handler runs with it denied). */
void pkeys_read(void *dst, const void *src, size_t len);

/* ---- state.c ---- */

/* The platform root secret in @state_dir (created 0600 on first use). */
int state_root_secret(const char *state_dir, uint8_t secret[32], struct softsgx_err *err);

#endif
