/* SPDX-License-Identifier: MIT */
/*
 * Instructions that are illegal in enclave mode raise #UD, as on SGX hardware, instead of
 * running: SYSCALL and INT 0x80 (which Syscall User Dispatch stops) and INT n (a #GP on the
 * host).  The #UD is an AEX: through the vDSO the ECALL returns with exception_vector 6, with
 * raw ENCLU the program gets SIGILL at its AEP.  The untrusted side then does what Gramine's
 * does: EENTER with CSSA 1, where the enclave's handler skips the instruction in the SSA, and
 * ERESUME, which finishes the operation.  Each case checks that the host never executed the
 * system call (the pipe stays empty, no SIGUSR2 arrives) and that host code still makes system
 * calls right afterwards.  Runs the enclave-nssa2 image (two SSA frames per TCS).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../examples/enclave/encl_ops.h"
#include "host_encl.h"

#ifndef PR_SET_SYSCALL_USER_DISPATCH
#define PR_SET_SYSCALL_USER_DISPATCH 59
#define PR_SYS_DISPATCH_OFF	     0
#define PR_SYS_DISPATCH_ON	     1
#endif

#define X86_TRAP_UD	 6
#define I386_KILL	 37 /* kill in the i386 system call table, which INT 0x80 uses */
#define SYS_SECCOMP_CODE 1

struct host_test_args host_test_args;

/* raw_enclu.S of examples/loader-raw: EENTER with a raw ENCLU whose AEP is itself. */
void raw_eenter(void *tcs, void *op);
extern const char raw_aep[];

/* What the system call would have done, had it run on the host. */
enum effect {
	EFFECT_WRITE, /* write(pipe, "x", 1) */
	EFFECT_KILL,  /* kill(getpid(), SIGUSR2) */
	EFFECT_NONE,
};

struct illegal_case {
	const char *what;
	uint64_t insn;
	uint64_t nr;
	enum effect effect;
};

static const struct illegal_case cases[] = {
    {"SYSCALL write(pipe)", ENCL_INSN_SYSCALL, SYS_write, EFFECT_WRITE},
    {"SYSCALL kill(getpid(), SIGUSR2)", ENCL_INSN_SYSCALL, SYS_kill, EFFECT_KILL},
    {"SYSCALL getpid()", ENCL_INSN_SYSCALL, SYS_getpid, EFFECT_NONE},
    {"INT 0x80 kill(getpid(), SIGUSR2)", ENCL_INSN_INT80, I386_KILL, EFFECT_KILL},
    {"INT 0x21", ENCL_INSN_INT21, 0, EFFECT_NONE},
    {"IN AL, DX", ENCL_INSN_IN, 0, EFFECT_NONE},
    {"OUT DX, AL", ENCL_INSN_OUT, 0, EFFECT_NONE},
};

static int pipe_fd[2];
static volatile sig_atomic_t usr2_seen;
static const char byte = 'x';

static void on_usr2(int sig)
{
	(void)sig;
	usr2_seen++;
}

static int setup(void **state)
{
	struct sigaction sa = {.sa_handler = on_usr2};

	if (pipe2(pipe_fd, O_NONBLOCK) || sigaction(SIGUSR2, &sa, NULL))
		return -1;
	return host_encl_setup(state);
}

static int teardown(void **state)
{
	close(pipe_fd[0]);
	close(pipe_fd[1]);
	return host_encl_teardown(state);
}

static struct encl_op_illegal make_op(const struct illegal_case *c)
{
	struct encl_op_illegal op = {{ENCL_OP_ILLEGAL}, c->insn, c->nr, {0}, 0, 0};

	if (c->effect == EFFECT_WRITE) {
		op.args[0] = (uint64_t)pipe_fd[1];
		op.args[1] = (uint64_t)(uintptr_t)&byte;
		op.args[2] = 1;
	} else if (c->effect == EFFECT_KILL) {
		op.args[0] = (uint64_t)getpid();
		op.args[1] = SIGUSR2;
	}
	return op;
}

/* The system call never ran on the host: nothing in the pipe, no SIGUSR2. */
static void assert_no_effect(const struct illegal_case *c)
{
	char got;

	assert_int_equal(syscall(SYS_getpid), getpid()); /* a pending signal arrives here */
	assert_int_equal(usr2_seen, 0);
	assert_int_equal(read(pipe_fd[0], &got, 1), -1);
	assert_int_equal(errno, EAGAIN);
	(void)c;
}

/* Host code makes system calls again: the selector is ALLOW after the enclave's exit. */
static void assert_host_syscalls_work(void)
{
	char got = 0;

	assert_int_equal(syscall(SYS_getppid), getppid());
	assert_int_equal(write(pipe_fd[1], "h", 1), 1);
	assert_int_equal(read(pipe_fd[0], &got, 1), 1);
	assert_int_equal(got, 'h');
}

/* One vDSO call (the vDSO keeps only RBX and RBP: encl_vdso_call saves the rest). */
static int enter(struct host_encl_fixture *f, struct sgx_enclave_run *run, void *op,
		 unsigned int function)
{
	struct encl_call c = {.rdi = (uint64_t)(uintptr_t)op, .function = function, .run = run};

	return encl_vdso_call(f->enter, &c);
}

/* Through the vDSO: #UD, EENTER with CSSA 1 (the enclave skips it), ERESUME finishes. */
static void run_case_vdso(struct host_encl_fixture *f, struct sgx_enclave_run *run, int tcs,
			  const struct illegal_case *c)
{
	struct encl_op_illegal op = make_op(c);

	print_message("%s, TCS %d\n", c->what, tcs);
	memset(run, 0, sizeof(*run));
	run->tcs = (uint64_t)(uintptr_t)encl_addr(&f->encl, (uint64_t)tcs * 4096);
	assert_int_equal(enter(f, run, &op, EENTER), 0);
	assert_int_equal(run->function, ERESUME);
	assert_int_equal(run->exception_vector, X86_TRAP_UD);
	assert_int_equal(run->exception_error_code, 0);
	assert_int_equal(run->exception_addr, 0);
	assert_no_effect(c);
	assert_host_syscalls_work();
	assert_int_equal(enter(f, run, NULL, EENTER), 0);
	assert_int_equal(run->function, EEXIT);
	assert_int_equal(enter(f, run, NULL, ERESUME), 0);
	assert_int_equal(run->function, EEXIT);
	assert_int_equal(op.ret, ENCL_UD_SKIPPED);
	assert_int_equal(op.skipped, 1);
	assert_no_effect(c);
	assert_host_syscalls_work();
}

static void illegal_instructions_raise_ud_through_the_vdso_and_never_run(void **state)
{
	struct host_encl_fixture *f = *state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case_vdso(f, &f->run[0], 0, &cases[i]);
}

static void *second_thread(void *arg)
{
	struct host_encl_fixture *f = arg;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case_vdso(f, &f->run[1], 1, &cases[i]);
	return NULL;
}

/* Syscall User Dispatch is per thread: a thread's first ECALL turns it on for that thread. */
static void a_second_thread_gets_ud_too(void **state)
{
	pthread_t thread;

	assert_int_equal(pthread_create(&thread, NULL, second_thread, *state), 0);
	assert_int_equal(pthread_join(thread, NULL), 0);
}

/* ---- raw ENCLU: SIGILL at the AEP, whose handler makes the nested EENTER ---- */

static struct {
	int count;
	int code;
	void *addr;
	long trapno;
	bool at_aep;
	void *tcs;
} ill;

static void on_sigill(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	struct encl_op_header nop = {ENCL_OP_NOP};

	(void)sig;
	ill.count++;
	ill.code = si->si_code;
	ill.addr = si->si_addr;
	ill.trapno = uc->uc_mcontext.gregs[REG_TRAPNO];
	ill.at_aep = uc->uc_mcontext.gregs[REG_RIP] == (greg_t)raw_aep;
	/* CSSA 1: the enclave's handler skips the instruction; returning to the AEP resumes. */
	raw_eenter(ill.tcs, &nop);
}

static void illegal_instructions_with_raw_enclu_are_sigill_at_the_aep(void **state)
{
	struct host_encl_fixture *f = *state;
	struct sigaction sa = {.sa_sigaction = on_sigill, .sa_flags = SA_SIGINFO}, old;

	assert_int_equal(sigaction(SIGILL, &sa, &old), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct encl_op_illegal op = make_op(&cases[i]);

		print_message("%s, raw ENCLU\n", cases[i].what);
		memset(&ill, 0, sizeof(ill));
		ill.tcs = encl_addr(&f->encl, 0);
		raw_eenter(ill.tcs, &op);
		assert_int_equal(ill.count, 1);
		assert_int_equal(ill.code, ILL_ILLOPN);
		assert_ptr_equal(ill.addr, raw_aep);
		assert_int_equal(ill.trapno, X86_TRAP_UD);
		assert_true(ill.at_aep);
		assert_int_equal(op.ret, ENCL_UD_SKIPPED);
		assert_int_equal(op.skipped, 1);
		assert_no_effect(&cases[i]);
		assert_host_syscalls_work();
	}
	assert_int_equal(sigaction(SIGILL, &old, NULL), 0);
}

/* ---- SIGSYS that is not the emulation's, and the program's own dispatch ---- */

static volatile sig_atomic_t sys_code, sys_nr;

static void on_sigsys(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;

	(void)sig;
	sys_code = si->si_code;
	sys_nr = si->si_syscall;
	uc->uc_mcontext.gregs[REG_RAX] = 4242; /* the trapped call's return value */
}

/* In a child: a seccomp filter cannot be taken back.  Exit status 0: the handler ran. */
static int seccomp_child(void)
{
	struct sock_filter insns[] = {
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {.len = sizeof(insns) / sizeof(insns[0]), .filter = insns};
	struct sigaction sa = {.sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO};

	if (sigaction(SIGSYS, &sa, NULL) || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0))
		return 2;
	if (syscall(SYS_getppid) != 4242)
		return 3;
	return sys_code == SYS_SECCOMP_CODE && sys_nr == SYS_getppid ? 0 : 4;
}

static void seccomp_trap_sigsys_still_reaches_the_program_handler(void **state)
{
	struct host_encl_fixture *f = *state;
	int status;
	pid_t pid;

	/* This thread has made ECALLs: its dispatch is on, and the child inherits it. */
	run_case_vdso(f, &f->run[0], 0, &cases[0]);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(seccomp_child());
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* The program's own Syscall User Dispatch is refused as by a kernel without it (docs/host.md). */
static void program_syscall_user_dispatch_is_refused(void **state)
{
	struct host_encl_fixture *f = *state;
	static volatile char selector = 1; /* BLOCK, had the call been accepted */

	errno = 0;
	assert_int_equal(prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON, 0, 0, &selector),
			 -1);
	assert_int_equal(errno, EINVAL);
	assert_host_syscalls_work();
	run_case_vdso(f, &f->run[0], 0, &cases[0]);
}

/* Whether this kernel has Syscall User Dispatch: asked on a thread that never turned it on. */
static void *probe_sud(void *arg)
{
	long ret = syscall(SYS_prctl, PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_OFF, 0, 0, 0);

	*(int *)arg = ret ? errno : 0;
	return NULL;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(illegal_instructions_raise_ud_through_the_vdso_and_never_run),
	    cmocka_unit_test(a_second_thread_gets_ud_too),
	    cmocka_unit_test(illegal_instructions_with_raw_enclu_are_sigill_at_the_aep),
	    cmocka_unit_test(seccomp_trap_sigsys_still_reaches_the_program_handler),
	    cmocka_unit_test(program_syscall_user_dispatch_is_refused),
	};
	pthread_t thread;
	int err = -1;

	host_test_parse_args(argc, argv);
	host_test_require_emulation();
	if (pthread_create(&thread, NULL, probe_sud, &err) || pthread_join(thread, NULL))
		return 1;
	if (err) {
		printf("skipped: Syscall User Dispatch is not available (prctl: %s): system calls "
		       "in enclave mode run as host system calls here\n",
		       strerror(err));
		return SKIP_EXIT;
	}
	return cmocka_run_group_tests(tests, setup, teardown);
}
