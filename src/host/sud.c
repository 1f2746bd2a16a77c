/* SPDX-License-Identifier: MIT */
/*
 * Syscall User Dispatch (Linux 5.11+), so that SYSCALL and INT 0x80 executed by enclave code
 * raise #UD as on hardware instead of becoming host system calls.  Each thread with our state
 * turns it on with its selector byte in struct host_thread: SUD_BLOCK while the thread runs
 * enclave code (every path into the enclave stores it last), SUD_ALLOW as soon as one of our
 * handlers or the vDSO's exit path runs host code.  A system call made under BLOCK raises
 * SIGSYS (si_code SYS_USER_DISPATCH) instead of running, which trap.c turns into an AEX with
 * #UD.
 *
 * The one system call made under BLOCK on purpose is the rt_sigreturn of a handler that
 * returns into enclave code (an ERESUME, an in-enclave leaf such as EREPORT, an interrupt
 * that waited).  glibc's restorer is in libc's text like any other system call, so our
 * handlers are installed with softsgx_sigreturn (signals.c), and the dispatch exempts exactly
 * its instruction.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "host.h"

#ifndef PR_SET_SYSCALL_USER_DISPATCH
#define PR_SET_SYSCALL_USER_DISPATCH 59
#define PR_SYS_DISPATCH_OFF	     0
#define PR_SYS_DISPATCH_ON	     1
#endif

#define EXPORT __attribute__((visibility("default")))

/*
 * The restorer, byte for byte glibc's __restore_rt (48 c7 c0 0f 00 00 00 0f 05: unwinders
 * recognise a signal frame by it).  The kernel checks the address after the SYSCALL against
 * the exempt range, so the range is [softsgx_sigreturn, softsgx_sigreturn_end]: this SYSCALL
 * is the only one that ends inside it.
 */
asm(".pushsection .text.softsgx_sigreturn, \"ax\", @progbits\n"
    "	.balign	16\n"
    "	.globl	softsgx_sigreturn\n"
    "	.hidden	softsgx_sigreturn\n"
    "	.type	softsgx_sigreturn, @function\n"
    "softsgx_sigreturn:\n"
    "	movq	$15, %rax\n" /* __NR_rt_sigreturn */
    "	syscall\n"
    "softsgx_sigreturn_end:\n"
    "	ud2\n"
    "	.size	softsgx_sigreturn, . - softsgx_sigreturn\n"
    ".popsection\n");

extern const char softsgx_sigreturn_end[] __attribute__((visibility("hidden")));

static atomic_bool warned_thread, warned_prctl;

/* prctl(PR_SET_SYSCALL_USER_DISPATCH, ...) without errno (a handler may run it) and with
 * all five arguments: OFF insists on zeros. */
static long sud_prctl(long mode, long offset, long len, volatile char *selector)
{
	register long r10 asm("r10") = len;
	register long r8 asm("r8") = (long)selector;
	long ret;

	asm volatile("syscall"
		     : "=a"(ret)
		     : "a"((long)SYS_prctl), "D"((long)PR_SET_SYSCALL_USER_DISPATCH), "S"(mode),
		       "d"(offset), "r"(r10), "r"(r8)
		     : "rcx", "r11", "memory");
	return ret;
}

/*
 * OFF is accepted by any kernel that has the prctl and changes nothing on a thread that never
 * turned it on (the library's constructor runs before the program's code): EINVAL says no.
 */
void sud_init(void)
{
	long ret = sud_prctl(PR_SYS_DISPATCH_OFF, 0, 0, NULL);

	host_features.sud = ret == 0;
	host_features.sud_errno = ret < 0 ? (int)-ret : 0;
}

void sud_thread_on(struct host_thread *t)
{
	long ret;

	if (!host_features.sud)
		return;
	t->sud_selector = SUD_ALLOW;
	ret = sud_prctl(PR_SYS_DISPATCH_ON, (long)softsgx_sigreturn,
			softsgx_sigreturn_end - (const char *)softsgx_sigreturn + 1,
			&t->sud_selector);
	t->sud_on = ret == 0;
	if (ret < 0 && !atomic_exchange(&warned_thread, true))
		host_warn("Syscall User Dispatch could not be turned on for a thread: system calls "
			  "its enclave code makes run as host system calls instead of raising #UD");
}

void sud_thread_off(struct host_thread *t)
{
	if (!t->sud_on)
		return;
	sud_prctl(PR_SYS_DISPATCH_OFF, 0, 0, NULL);
	t->sud_on = false;
}

/*
 * A program that asks for Syscall User Dispatch itself (Wine does) would replace ours on that
 * thread, and our handlers' own system calls would be dispatched under its selector.  It is
 * told EINVAL, what a kernel without the feature says, so it takes the path it takes there.
 * Other options pass through.
 */
EXPORT int prctl(int option, ...)
{
	static int (*real)(int, ...);
	unsigned long a2, a3, a4, a5;
	const char *quiet;
	va_list ap;

	va_start(ap, option);
	a2 = va_arg(ap, unsigned long);
	a3 = va_arg(ap, unsigned long);
	a4 = va_arg(ap, unsigned long);
	a5 = va_arg(ap, unsigned long);
	va_end(ap);
	if (option == PR_SET_SYSCALL_USER_DISPATCH && host_features.sud) {
		quiet = getenv(SOFTSGX_ENV_QUIET);
		if (!(quiet && !strcmp(quiet, "1")) && !atomic_exchange(&warned_prctl, true))
			host_warn(
			    "the program's prctl(PR_SET_SYSCALL_USER_DISPATCH) is refused "
			    "(EINVAL): softsgx uses Syscall User Dispatch to make system calls "
			    "in enclave mode raise #UD");
		errno = EINVAL;
		return -1;
	}
	if (!real)
		real = (int (*)(int, ...))dlsym(RTLD_NEXT, "prctl");
	return real(option, a2, a3, a4, a5);
}
