/* SPDX-License-Identifier: MIT */
/*
 * One logical processor per host thread.  A thread gets its state on its first ENCLU, in one
 * mapping: the state, then ALTSTACK_LEVELS alternate signal stacks.  Signal handlers entered
 * from enclave code (FS = the enclave's, glibc TLS unusable) find the state from the
 * interrupted thread's sigaltstack (ucontext uc_stack) and a registry scan, never from TLS; the
 * altstack also keeps handlers off the enclave's stack, as an AEX switches to the untrusted one.
 *
 * The levels: the kernel puts a signal that interrupts code running off the alternate stack
 * (enclave code, whose RSP is the enclave's) at the top of the armed one.  A program handler
 * runs on that stack, and when it enters an enclave whose code then faults, the fault would land
 * on the handler's own live frames.  So before a program handler runs, the next level is armed
 * (thread_altstack_next): whatever the handler's enclaves raise lands there, and the sigreturn
 * of the handler's frame re-arms the level it was delivered on (uc_stack).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "host.h"

#define ALTSTACK_MIN (64 * 1024)
/* Program handlers nested this deep still get a free stack; deeper ones wrap around. */
#define ALTSTACK_LEVELS 8

/* initial-exec: a preloaded library is in the static TLS block; no __tls_get_addr call. */
static __thread struct host_thread *self __attribute__((tls_model("initial-exec")));
static struct host_thread *_Atomic registry[HOST_MAX_THREADS];
static atomic_size_t registry_top; /* one past the highest slot ever used */
static pthread_key_t exit_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

static void thread_release(void *arg)
{
	struct host_thread *t = arg;
	stack_t off = {.ss_flags = SS_DISABLE};
	uint64_t all = ~0ull, mask;

	if (!t || t->lp.in_enclave)
		return; /* a thread leaving from inside an enclave keeps its TCS busy, as on
			   hardware */
	/*
	 * No handler between disarming our stack and unmapping it: a handler's
	 * thread_keep_altstack (trap.c) finds @t through self and puts its stack back in the
	 * frame, the sigreturn re-arms it, and the next signal's frame goes to unmapped memory:
	 * a SIGSEGV the kernel forces (seen with test_threads in the PKU guest, tests/vm/).
	 */
	raw_syscall4(SYS_rt_sigprocmask, SIG_BLOCK, (long)&all, (long)&mask, 8);
	raw_syscall(SYS_sigaltstack, (long)(t->program_altstack_set ? &t->program_altstack : &off),
		    0, 0);
	for (size_t i = 0; i < atomic_load(&registry_top); i++)
		if (atomic_load(&registry[i]) == t)
			atomic_store(&registry[i], NULL);
	self = NULL;
	sud_thread_off(t); /* the kernel would read the selector from unmapped memory */
	munmap(t, t->map_size);
	raw_syscall4(SYS_rt_sigprocmask, SIG_SETMASK, (long)&mask, 0, 8);
}

static void make_key(void)
{
	pthread_key_create(&exit_key, thread_release);
}

static size_t altstack_size(void)
{
	size_t min = getauxval(AT_MINSIGSTKSZ);
	long sys = sysconf(_SC_MINSIGSTKSZ);

	if (sys > 0 && (size_t)sys > min)
		min = (size_t)sys;
	/* Our handler, the emulated leaf and possibly the program's handler run on it. */
	min = 4 * min + ALTSTACK_MIN;
	return (min + 4095) & ~(size_t)4095;
}

static int register_thread(struct host_thread *t)
{
	for (size_t i = 0; i < HOST_MAX_THREADS; i++) {
		struct host_thread *expected = NULL;

		if (atomic_compare_exchange_strong(&registry[i], &expected, t)) {
			size_t top = atomic_load(&registry_top);

			while (top < i + 1 &&
			       !atomic_compare_exchange_weak(&registry_top, &top, i + 1))
				;
			return 0;
		}
	}
	return -EAGAIN;
}

struct host_thread *thread_peek(void)
{
	return self;
}

static void *level_base(const struct host_thread *t, unsigned int level)
{
	return (char *)t->altstack + (size_t)level * t->altstack_size;
}

/* Whether @sp lies on one of the levels (one compare: the trap path asks this). */
static bool on_levels(const struct host_thread *t, const void *sp)
{
	return (uintptr_t)sp - (uintptr_t)t->altstack < t->altstack_size * ALTSTACK_LEVELS;
}

/* The level @sp lies in, or -1 when it is on none of them. */
static int level_of(const struct host_thread *t, const void *sp)
{
	if (!on_levels(t, sp))
		return -1;
	return (int)(((uintptr_t)sp - (uintptr_t)t->altstack) / t->altstack_size);
}

/*
 * Arm @level, whatever stack this code runs on.  The kernel refuses (EPERM) to change the
 * alternate stack while RSP is on the armed one, for fear of a handler landing on live frames;
 * the levels exist to avoid exactly that, so the call is made with RSP at the top of the level
 * being armed (the check reads the user RSP; SYSCALL itself pushes nothing).  A signal arriving
 * as the call returns is delivered on that level, which is free.  0 or -errno.
 */
static long arm_level(const struct host_thread *t, unsigned int level, stack_t *old)
{
	stack_t ss = {.ss_sp = level_base(t, level), .ss_size = t->altstack_size};
	void *top = (char *)ss.ss_sp + ss.ss_size;
	long ret;

	asm volatile("mov %%rsp, %%r12\n\t"
		     "mov %[top], %%rsp\n\t"
		     "syscall\n\t"
		     "mov %%r12, %%rsp"
		     : "=a"(ret)
		     : "a"((long)SYS_sigaltstack), "D"(&ss), "S"(old), [top] "r"(top)
		     : "rcx", "r11", "r12", "memory");
	return ret;
}

struct host_thread *thread_current(void)
{
	struct host_thread *t;
	size_t stack;
	stack_t old;

	if (self)
		return self;
	stack = altstack_size();
	t = mmap(NULL, 4096 + ALTSTACK_LEVELS * stack, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (t == MAP_FAILED)
		return NULL;
	t->magic = HOST_THREAD_MAGIC;
	t->altstack = (char *)t + 4096;
	t->altstack_size = stack;
	t->map_size = 4096 + ALTSTACK_LEVELS * stack;
	t->tid = (pid_t)syscall(SYS_gettid);
	/*
	 * In a handler running on the program's (or a sanitizer's) alternate stack, the plain
	 * call is refused: arm ours anyway, that stack's frames stay where they are.  The
	 * handler's sigreturn would re-arm it: trap.c rewrites its uc_stack
	 * (thread_keep_altstack).
	 */
	if (arm_level(t, 0, &old) < 0 || register_thread(t) < 0) {
		munmap(t, t->map_size);
		return NULL;
	}
	if (!(old.ss_flags & SS_DISABLE)) {
		t->program_altstack = old;
		t->program_altstack_set = true;
	}
	/* From now on a system call of enclave code on this thread is a #UD (sud.c). */
	sud_thread_on(t);
	pthread_once(&key_once, make_key);
	pthread_setspecific(exit_key, t);
	self = t;
	return t;
}

struct host_thread *thread_from_ucontext(const ucontext_t *uc)
{
	void *sp = uc->uc_stack.ss_sp;

	if (!sp || (uc->uc_stack.ss_flags & SS_DISABLE))
		return NULL;
	size_t top = atomic_load_explicit(&registry_top, memory_order_acquire);

	for (size_t i = 0; i < top; i++) {
		struct host_thread *t = atomic_load_explicit(&registry[i], memory_order_acquire);

		if (t && on_levels(t, sp) && t->magic == HOST_THREAD_MAGIC)
			return t;
	}
	return NULL;
}

void thread_altstack_next(struct host_thread *t)
{
	int level;

	if (!t)
		return;
	level = level_of(t, __builtin_frame_address(0));
	/*
	 * Off our stacks (the thread got its state in this very handler): the armed level is
	 * free anyway.  From the last level, wrap around: only handlers nested that deep could
	 * still have frames on the first.
	 */
	if (level >= 0)
		arm_level(t, (unsigned int)(level + 1) % ALTSTACK_LEVELS, NULL);
}

void thread_keep_altstack(const struct host_thread *t, ucontext_t *uc)
{
	if (t && !on_levels(t, uc->uc_stack.ss_sp))
		uc->uc_stack = (stack_t){.ss_sp = t->altstack, .ss_size = t->altstack_size};
}

/*
 * The program's sigaltstack() while ours is installed: remember its stack and report it back,
 * keep ours (handlers entered from enclave code need it).  Its SA_ONSTACK handlers then run on
 * ours, which is at least as large as the minimum the kernel asks for.
 */
int thread_sigaltstack(const stack_t *ss, stack_t *old)
{
	struct host_thread *t = self;

	if (!t)
		return -ENOSYS;
	if (old) {
		if (t->program_altstack_set)
			*old = t->program_altstack;
		else
			*old = (stack_t){.ss_flags = SS_DISABLE};
	}
	if (ss) {
		if (!(ss->ss_flags & SS_DISABLE) && ss->ss_size < (size_t)sysconf(_SC_MINSIGSTKSZ))
			return -ENOMEM;
		t->program_altstack = *ss;
		t->program_altstack_set = !(ss->ss_flags & SS_DISABLE);
	}
	return 0;
}
