/* SPDX-License-Identifier: MIT */
/*
 * The program's own process behaviour under `softsgx run`: its signal handlers get their
 * signals exactly as without softsgx (chained behind the emulator's), fork keeps the emulation
 * working in the child, and exec with an emptied environment still runs emulated.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../examples/enclave/encl_ops.h"
#include "host_test.h"

struct host_test_args host_test_args;
static char *self_path;

static sigjmp_buf jump;
static volatile uintptr_t bad_address = 16; /* unmapped: page 0 */
static struct {
	int sig;
	void *addr;
	int code;
} got;

static void on_fault(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	got.sig = sig;
	got.addr = si->si_addr;
	got.code = si->si_code;
	siglongjmp(jump, 1);
}

static void install(int sig, void (*fn)(int, siginfo_t *, void *), struct sigaction *old)
{
	struct sigaction sa = {.sa_sigaction = fn, .sa_flags = SA_SIGINFO};

	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(sig, &sa, old), 0);
}

static void programs_sigsegv_handler_gets_its_own_faults(void **state)
{
	struct sigaction old;

	(void)state;
	memset(&got, 0, sizeof(got));
	install(SIGSEGV, on_fault, &old);
	if (!sigsetjmp(jump, 1))
		*(volatile int *)bad_address = 1;
	assert_int_equal(got.sig, SIGSEGV);
	assert_ptr_equal(got.addr, (void *)16);
	assert_int_equal(got.code, SEGV_MAPERR);
	assert_int_equal(sigaction(SIGSEGV, &old, NULL), 0);
}

static void programs_sigsegv_handler_gets_a_jump_to_nowhere(void **state)
{
	struct sigaction old;
	void (*nowhere)(void) = (void (*)(void))bad_address;

	(void)state;
	memset(&got, 0, sizeof(got));
	install(SIGSEGV, on_fault, &old);
	if (!sigsetjmp(jump, 1))
		nowhere();
	assert_int_equal(got.sig, SIGSEGV);
	assert_ptr_equal(got.addr, (void *)bad_address);
	assert_int_equal(sigaction(SIGSEGV, &old, NULL), 0);
}

static void programs_sigill_handler_gets_ud2(void **state)
{
	struct sigaction old;

	(void)state;
	memset(&got, 0, sizeof(got));
	install(SIGILL, on_fault, &old);
	if (!sigsetjmp(jump, 1))
		asm volatile("ud2");
	assert_int_equal(got.sig, SIGILL);
	assert_int_equal(got.code, ILL_ILLOPN);
	assert_int_equal(sigaction(SIGILL, &old, NULL), 0);
}

static void other(int sig, siginfo_t *si, void *uc)
{
	(void)si, (void)uc;
	got.sig = sig;
}

static void sigaction_reports_the_programs_previous_handler(void **state)
{
	struct sigaction old, prev;

	(void)state;
	install(SIGSEGV, on_fault, &old);
	install(SIGSEGV, other, &prev);
	assert_ptr_equal(prev.sa_sigaction, on_fault);
	assert_int_equal(sigaction(SIGSEGV, NULL, &prev), 0);
	assert_ptr_equal(prev.sa_sigaction, other);
	assert_int_equal(sigaction(SIGSEGV, &old, NULL), 0);
}

static void asynchronous_signal_reaches_the_program(void **state)
{
	struct sigaction old;

	(void)state;
	memset(&got, 0, sizeof(got));
	install(SIGUSR1, other, &old);
	assert_int_equal(raise(SIGUSR1), 0);
	assert_int_equal(got.sig, SIGUSR1);
	assert_int_equal(sigaction(SIGUSR1, &old, NULL), 0);
}

/* Load the enclave and put/get a value: 0 when it worked. */
static int run_enclave(uint64_t value)
{
	struct encl_op_put_to_buf put = {{ENCL_OP_PUT_TO_BUFFER}, value};
	struct encl_op_get_from_buf get = {{ENCL_OP_GET_FROM_BUFFER}, 0};
	vdso_sgx_enter_enclave_t enter = vdso_find_by_dynamic();
	struct sgx_enclave_run run;
	struct encl_call c;
	char msg[256];
	struct encl e;
	int ret = 1;

	if (!enter || encl_load(&e, host_test_args.sgxs, host_test_args.sig, msg, sizeof(msg)) ||
	    encl_build(&e, msg, sizeof(msg)))
		goto out;
	memset(&run, 0, sizeof(run));
	run.tcs = (uint64_t)(uintptr_t)encl_addr(&e, 0);
	c = (struct encl_call){.rdi = (uint64_t)(uintptr_t)&put, .function = 2, .run = &run};
	if (encl_vdso_call(enter, &c) || run.function != 4)
		goto out;
	c.rdi = (uint64_t)(uintptr_t)&get;
	ret = encl_vdso_call(enter, &c) || run.function != 4 || get.value != value;
out:
	encl_delete(&e);
	return ret;
}

static void *blocked_thread(void *arg)
{
	sigset_t all;

	(void)arg;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	return (void *)(intptr_t)run_enclave(4);
}

static void thread_that_blocks_every_signal_still_enters(void **state)
{
	pthread_t t;
	void *ret;

	(void)state;
	assert_int_equal(pthread_create(&t, NULL, blocked_thread, NULL), 0);
	assert_int_equal(pthread_join(t, &ret), 0);
	assert_int_equal((intptr_t)ret, 0);
}

static void forked_child_builds_and_enters_its_own_enclave(void **state)
{
	int status;
	pid_t pid;

	(void)state;
	assert_int_equal(run_enclave(1), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid)
		_exit(run_enclave(2));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void exec_with_an_empty_environment_stays_emulated(void **state)
{
	char *argv[] = {self_path,
			"--exec-child",
			(char *)host_test_args.sgxs,
			(char *)host_test_args.sig,
			(char *)host_test_args.elf,
			NULL};
	char *envp[] = {NULL};
	int status;
	pid_t pid;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		execve(self_path, argv, envp);
		_exit(126);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(programs_sigsegv_handler_gets_its_own_faults),
	    cmocka_unit_test(programs_sigsegv_handler_gets_a_jump_to_nowhere),
	    cmocka_unit_test(programs_sigill_handler_gets_ud2),
	    cmocka_unit_test(sigaction_reports_the_programs_previous_handler),
	    cmocka_unit_test(asynchronous_signal_reaches_the_program),
	    cmocka_unit_test(thread_that_blocks_every_signal_still_enters),
	    cmocka_unit_test(forked_child_builds_and_enters_its_own_enclave),
	    cmocka_unit_test(exec_with_an_empty_environment_stays_emulated),
	};

	self_path = argv[0];
	if (argc > 1 && !strcmp(argv[1], "--exec-child")) {
		host_test_parse_args(argc - 1, argv + 1);
		/* The real vDSO here has no SGX entry: finding one means the emulation is on. */
		return run_enclave(3);
	}
	host_test_parse_args(argc, argv);
	host_test_require_emulation();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
