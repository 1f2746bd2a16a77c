/* SPDX-License-Identifier: MIT */
/*
 * One logical processor per host thread.  A thread gets its state on its first ENCLU, in one
 * mapping: the state, then an alternate signal stack.  Signal handlers entered from enclave
 * code (FS = the enclave's, glibc TLS unusable) find the state from the interrupted thread's
 * sigaltstack (ucontext uc_stack) and a registry scan, never from TLS; the altstack also keeps
 * handlers off the enclave's stack, as an AEX switches to the untrusted one.
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

	if (!t || t->lp.in_enclave)
		return; /* a thread leaving from inside an enclave keeps its TCS busy, as on
			   hardware */
	if (!t->borrowed_altstack)
		raw_syscall(SYS_sigaltstack,
			    (long)(t->program_altstack_set ? &t->program_altstack : &off), 0, 0);
	for (size_t i = 0; i < atomic_load(&registry_top); i++)
		if (atomic_load(&registry[i]) == t)
			atomic_store(&registry[i], NULL);
	self = NULL;
	munmap(t, t->map_size);
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

/*
 * sigaltstack() fails (EPERM) on the alternate stack itself, i.e. when a thread's first ENCLU
 * is taken in a handler running there (a raw-ENCLU program, a sanitizer's altstack).  Then the
 * thread is known by that stack instead of ours, as long as its owner keeps it.
 */
static bool borrow_altstack(struct host_thread *t)
{
	stack_t cur;

	if (raw_syscall(SYS_sigaltstack, 0, (long)&cur, 0) < 0 || (cur.ss_flags & SS_DISABLE) ||
	    !cur.ss_sp)
		return false;
	t->altstack = cur.ss_sp;
	t->altstack_size = cur.ss_size;
	t->borrowed_altstack = true;
	return true;
}

struct host_thread *thread_current(void)
{
	struct host_thread *t;
	stack_t ss, old;
	size_t stack;

	if (self)
		return self;
	stack = altstack_size();
	t = mmap(NULL, 4096 + stack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (t == MAP_FAILED)
		return NULL;
	t->magic = HOST_THREAD_MAGIC;
	t->altstack = (char *)t + 4096;
	t->altstack_size = stack;
	t->map_size = 4096 + stack;
	t->tid = (pid_t)syscall(SYS_gettid);
	ss = (stack_t){.ss_sp = t->altstack, .ss_size = stack};
	if (raw_syscall(SYS_sigaltstack, (long)&ss, (long)&old, 0) < 0 && !borrow_altstack(t)) {
		munmap(t, t->map_size);
		return NULL;
	}
	if (register_thread(t) < 0) {
		munmap(t, t->map_size);
		return NULL;
	}
	if (!t->borrowed_altstack && !(old.ss_flags & SS_DISABLE)) {
		t->program_altstack = old;
		t->program_altstack_set = true;
	}
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

		if (t && t->altstack == sp && t->magic == HOST_THREAD_MAGIC)
			return t;
	}
	return NULL;
}

/*
 * The program's sigaltstack() while ours is installed: remember its stack and report it back,
 * keep ours (handlers entered from enclave code need it).  Its SA_ONSTACK handlers then run on
 * ours, which is at least as large as the minimum the kernel asks for.
 */
int thread_sigaltstack(const stack_t *ss, stack_t *old)
{
	struct host_thread *t = self;

	if (!t || t->borrowed_altstack)
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
