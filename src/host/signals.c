/* SPDX-License-Identifier: MIT */
/*
 * The program's signal dispositions, chained behind ours.  The emulation needs SIGILL (ENCLU),
 * SIGSEGV (enclave faults, CPUID faulting), SIGBUS and SIGFPE (enclave faults) for itself; any
 * other signal the program handles may interrupt enclave code and must AEX first.  So
 * sigaction()/signal() record what the program asks for and install our handler in its place;
 * whatever is not ours is handed to the program's handler exactly as the kernel would have
 * (its sa_mask, SA_NODEFER, SA_RESETHAND, SA_SIGINFO), or to the default action.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "host.h"

#define EXPORT __attribute__((visibility("default")))

typedef int (*sigaction_fn)(int, const struct sigaction *, struct sigaction *);

static struct sigaction program[NSIG];
static bool trapped[NSIG]; /* our handler is installed for this signal */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static sigaction_fn real_sigaction(void)
{
	static sigaction_fn fn;

	if (!fn)
		fn = (sigaction_fn)dlsym(RTLD_NEXT, "sigaction");
	return fn;
}

/* Synchronous signals the emulation raises for itself: SIGSYS is a system call in enclave mode. */
static bool is_fault_signal(int sig)
{
	return sig == SIGILL || sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE ||
	       (sig == SIGSYS && host_features.sud);
}

/* The kernel's struct sigaction for rt_sigaction (sa_restorer before the 64-bit mask). */
struct kernel_sigaction {
	void (*handler)(int, siginfo_t *, void *);
	unsigned long flags;
	void (*restorer)(void);
	uint64_t mask;
};

#define KERNEL_SA_RESTORER 0x04000000

/*
 * rt_sigaction with our own restorer (sud.c): a handler that returns into enclave code makes
 * its rt_sigreturn with the Syscall User Dispatch selector at BLOCK, which only that
 * restorer's instruction is exempt from.  glibc's would put its __restore_rt there.
 */
static int sigaction_own_restorer(int sig, const struct sigaction *sa)
{
	struct kernel_sigaction k = {
	    .handler = sa->sa_sigaction,
	    .flags = (unsigned long)sa->sa_flags | KERNEL_SA_RESTORER,
	    .restorer = softsgx_sigreturn,
	};
	long ret;

	memcpy(&k.mask, &sa->sa_mask, sizeof(k.mask));
	ret = raw_syscall4(SYS_rt_sigaction, sig, (long)&k, 0, sizeof(k.mask));
	if (ret < 0) {
		errno = (int)-ret;
		return -1;
	}
	return 0;
}

/* Remove the emulation's signals from @set: blocked, the kernel would kill when it forces one. */
static void unblock_ours(sigset_t *set)
{
	static const int sigs[] = {SIGILL, SIGSEGV, SIGBUS, SIGFPE, SIGSYS};

	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (is_fault_signal(sigs[i]))
			sigdelset(set, sigs[i]);
}

static int install(int sig, void (*handler)(int, siginfo_t *, void *), int flags,
		   const sigset_t *mask)
{
	struct sigaction sa = {0};

	sa.sa_sigaction = handler;
	/*
	 * SA_NODEFER: the emulated CPU may itself fault inside our handler (a CPUID under CPUID
	 * faulting) and that nested fault must be handled, not kill the process.
	 */
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER |
		      (flags & (SA_RESTART | SA_NOCLDSTOP | SA_NOCLDWAIT));
	/*
	 * No mask of our own: changing the mask at delivery and sigreturn costs two trips through
	 * the kernel's signal lock on every trap.  A signal arriving while a handler runs the
	 * emulated CPU waits instead (trap.c: defer_signal).
	 */
	if (mask)
		sa.sa_mask = *mask;
	else
		sigemptyset(&sa.sa_mask);
	unblock_ours(&sa.sa_mask);
	return sigaction_own_restorer(sig, &sa);
}

int signals_init(void)
{
	static const int sigs[] = {SIGILL, SIGSEGV, SIGBUS, SIGFPE, SIGSYS};

	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		int sig = sigs[i];

		if (!is_fault_signal(sig))
			continue; /* SIGSYS without Syscall User Dispatch: the program's alone */

		/* Whatever was there before us (usually SIG_DFL) is the program's. */
		if (real_sigaction()(sig, NULL, &program[sig]) < 0 ||
		    install(sig, trap_handler, 0, NULL) < 0)
			return -errno;
		trapped[sig] = true;
	}
	return 0;
}

bool signals_program_handles(int sig)
{
	return sig > 0 && sig < NSIG && program[sig].sa_handler != SIG_DFL &&
	       program[sig].sa_handler != SIG_IGN;
}

static int record(int sig, const struct sigaction *act)
{
	bool handler = act->sa_handler != SIG_DFL && act->sa_handler != SIG_IGN;
	int ret = 0;

	if (is_fault_signal(sig)) {
		program[sig] = *act;
		return 0;
	}
	if (handler) {
		ret = install(sig, trap_async_handler, act->sa_flags, &act->sa_mask);
		if (!ret) {
			program[sig] = *act;
			trapped[sig] = true;
		}
		return ret;
	}
	ret = real_sigaction()(sig, act, NULL);
	if (!ret) {
		program[sig] = *act;
		trapped[sig] = false;
	}
	return ret;
}

EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	struct sigaction prev;
	int ret;

	if (sig <= 0 || sig >= NSIG || sig == SIGKILL || sig == SIGSTOP)
		return real_sigaction()(sig, act, old);
	pthread_mutex_lock(&lock);
	if (trapped[sig]) {
		prev = program[sig];
		ret = 0;
	} else {
		ret = real_sigaction()(sig, NULL, &prev);
	}
	if (!ret && act)
		ret = record(sig, act);
	pthread_mutex_unlock(&lock);
	if (!ret && old)
		*old = prev;
	return ret;
}

int __sigaction(int sig, const struct sigaction *act, struct sigaction *old);

EXPORT int __sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	return sigaction(sig, act, old);
}

EXPORT sighandler_t signal(int sig, sighandler_t handler)
{
	struct sigaction sa = {0}, old;

	/* glibc's signal() has BSD semantics: restart, handler stays installed. */
	sa.sa_handler = handler;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sig > 0 && sig < NSIG)
		sigaddset(&sa.sa_mask, sig);
	if (sigaction(sig, &sa, &old) < 0)
		return SIG_ERR;
	return old.sa_handler;
}

/* The default action of a fault or of a terminating signal: make it happen to this thread. */
static void default_action(int sig, ucontext_t *uc)
{
	struct sigaction dfl = {0};

	dfl.sa_handler = SIG_DFL;
	real_sigaction()(sig, &dfl, NULL);
	trapped[sig] = false;
	/* Pending and unblocked at sigreturn: delivered with the default action right then. */
	sigdelset(&uc->uc_sigmask, sig);
	raw_syscall(SYS_tgkill, getpid(), raw_syscall(SYS_gettid, 0, 0, 0), sig);
}

void signals_deliver(int sig, siginfo_t *info, ucontext_t *uc)
{
	struct sigaction *a = &program[sig];
	sigset_t mask;

	/* A fault the kernel raised is forced past SIG_IGN; one that was sent is not. */
	if (a->sa_handler == SIG_IGN && (!is_fault_signal(sig) || info->si_code <= 0))
		return;
	if (a->sa_handler == SIG_DFL || a->sa_handler == SIG_IGN) {
		/* The kernel forces synchronous faults on an ignoring process, too. */
		if (sig == SIGCHLD || sig == SIGURG || sig == SIGWINCH || sig == SIGCONT)
			return;
		default_action(sig, uc);
		return;
	}
	/* The mask the kernel would have set for the program's handler. */
	mask = uc->uc_sigmask;
	for (int s = 1; s < NSIG; s++)
		if (sigismember(&a->sa_mask, s))
			sigaddset(&mask, s);
	if (!(a->sa_flags & SA_NODEFER))
		sigaddset(&mask, sig);
	/* The handler may enter an enclave: its exits and faults must find our handlers. */
	unblock_ours(&mask);
	raw_syscall4(SYS_rt_sigprocmask, SIG_SETMASK, (long)&mask, 0, 8);
	/* Enclave code the handler enters faults onto a free alternate stack, not onto ours. */
	thread_altstack_next(thread_from_ucontext(uc));
	if (a->sa_flags & SA_SIGINFO) {
		void (*fn)(int, siginfo_t *, void *) = a->sa_sigaction;

		if (a->sa_flags & SA_RESETHAND)
			a->sa_handler = SIG_DFL;
		fn(sig, info, uc);
	} else {
		void (*fn)(int) = a->sa_handler;

		if (a->sa_flags & SA_RESETHAND)
			a->sa_handler = SIG_DFL;
		fn(sig);
	}
}

/*
 * The emulation's own signals cannot be blocked: a blocked synchronous fault kills the process
 * (the kernel forces the default action), and an ENCLU in a thread that blocked everything
 * would do exactly that.  The kernel delivers these faults whatever the mask says anyway, so
 * leaving them out of the program's masks changes nothing else it could observe.
 */
static const sigset_t *without_ours(int how, const sigset_t *set, sigset_t *copy)
{
	if (!set || how == SIG_UNBLOCK)
		return set;
	*copy = *set;
	unblock_ours(copy);
	return copy;
}

EXPORT int sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
	static int (*real)(int, const sigset_t *, sigset_t *);
	sigset_t copy;

	if (!real)
		real = (int (*)(int, const sigset_t *, sigset_t *))dlsym(RTLD_NEXT, "sigprocmask");
	return real(how, without_ours(how, set, &copy), old);
}

EXPORT int pthread_sigmask(int how, const sigset_t *set, sigset_t *old)
{
	static int (*real)(int, const sigset_t *, sigset_t *);
	sigset_t copy;

	if (!real)
		real =
		    (int (*)(int, const sigset_t *, sigset_t *))dlsym(RTLD_NEXT, "pthread_sigmask");
	return real(how, without_ours(how, set, &copy), old);
}
