/* SPDX-License-Identifier: MIT */
/*
 * Several threads in several TCSs of one enclave, and in two enclaves at once, calling in a
 * loop the enclave writes to and reads from the host's memory (ECALL/OCALL-style traffic),
 * while a timer interrupts them: a signal that lands inside the enclave is an AEX, the
 * program's handler runs at the AEP, and the vDSO's ERESUME continues the enclave.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdio.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../examples/enclave/encl_ops.h"
#include "host_test.h"

#define ITERATIONS 3000

struct host_test_args host_test_args;
static vdso_sgx_enter_enclave_t enter;
static volatile sig_atomic_t ticks;

struct job {
	struct encl *encl;
	int tcs;
	uint64_t tag;
	int failures;
	pthread_t thread;
};

static int ecall(struct encl *e, int tcs, void *op)
{
	struct sgx_enclave_run run;
	struct encl_call c = {.rdi = (uint64_t)(uintptr_t)op, .function = 2, .run = &run};

	memset(&run, 0, sizeof(run));
	run.tcs = (uint64_t)(uintptr_t)encl_addr(e, 4096ull * tcs);
	return encl_vdso_call(enter, &c) || run.function != 4;
}

/* The enclave writes a value into this thread's memory and reads it back from there. */
static void *loop(void *arg)
{
	struct job *j = arg;
	uint64_t host_slot = 0;

	for (uint64_t i = 0; i < ITERATIONS; i++) {
		uint64_t v = j->tag << 32 | i;
		struct encl_op_put_to_addr put = {
		    {ENCL_OP_PUT_TO_ADDRESS}, v, (uint64_t)(uintptr_t)&host_slot};
		struct encl_op_get_from_addr get = {
		    {ENCL_OP_GET_FROM_ADDRESS}, 0, (uint64_t)(uintptr_t)&host_slot};

		if (ecall(j->encl, j->tcs, &put) || host_slot != v) {
			j->failures++;
			continue;
		}
		host_slot = ~v;
		if (ecall(j->encl, j->tcs, &get) || get.value != ~v)
			j->failures++;
	}
	return NULL;
}

static void on_tick(int sig)
{
	(void)sig;
	ticks++;
}

static void start_timer(void)
{
	struct itimerval it = {{0, 200}, {0, 200}};

	signal(SIGALRM, on_tick);
	setitimer(ITIMER_REAL, &it, NULL);
}

static void stop_timer(void)
{
	struct itimerval it = {{0, 0}, {0, 0}};

	setitimer(ITIMER_REAL, &it, NULL);
	signal(SIGALRM, SIG_DFL);
}

static void build(struct encl *e)
{
	char msg[256];

	if (encl_load(e, host_test_args.sgxs, host_test_args.sig, msg, sizeof(msg)) ||
	    encl_build(e, msg, sizeof(msg)))
		fail_msg("loading the enclave: %s", msg);
}

static void run_jobs(struct job *jobs, int n)
{
	ticks = 0;
	start_timer();
	for (int i = 0; i < n; i++)
		assert_int_equal(pthread_create(&jobs[i].thread, NULL, loop, &jobs[i]), 0);
	for (int i = 0; i < n; i++)
		pthread_join(jobs[i].thread, NULL);
	stop_timer();
	for (int i = 0; i < n; i++)
		assert_int_equal(jobs[i].failures, 0);
	/* The timer did fire while the threads were calling in: signals were delivered. */
	assert_true(ticks > 0);
}

static void two_threads_in_two_tcs_of_one_enclave(void **state)
{
	struct encl e;
	struct job jobs[ENCL_NR_TCS];

	(void)state;
	build(&e);
	for (int i = 0; i < ENCL_NR_TCS; i++)
		jobs[i] = (struct job){.encl = &e, .tcs = i, .tag = 0x100 + i};
	run_jobs(jobs, ENCL_NR_TCS);
	encl_delete(&e);
}

static void four_threads_in_two_enclaves(void **state)
{
	struct encl e[2];
	struct job jobs[4];

	(void)state;
	build(&e[0]);
	build(&e[1]);
	for (int i = 0; i < 4; i++)
		jobs[i] = (struct job){.encl = &e[i / 2], .tcs = i % 2, .tag = 0x200 + i};
	run_jobs(jobs, 4);
	encl_delete(&e[0]);
	encl_delete(&e[1]);
}

static int count_mappings(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	int n = 0, c;

	assert_non_null(f);
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

static void exit_from_handler(int sig)
{
	(void)sig;
	pthread_exit((void *)0x5e);
}

/* An ECALL (the thread gets our state and alternate stacks), then SIGUSR1 ends the thread. */
static void *ecall_then_exit_in_handler(void *arg)
{
	struct encl_op_put_to_buf put = {{ENCL_OP_PUT_TO_BUFFER}, 0x77};

	if (ecall(arg, 0, &put))
		return NULL;
	raise(SIGUSR1);
	return NULL; /* not reached: the handler exits the thread */
}

/*
 * pthread_exit in a program handler that runs on our alternate stack (a thread that entered an
 * enclave): glibc's forced unwind steps through the signal frame (our restorer has the bytes
 * unwinders recognise) back to the thread's own stack before the thread-specific destructors
 * run, so the release of our state, stacks included, does not pull the stack from under
 * itself; the thread's exit value arrives and the states do not pile up.
 */
static void thread_exits_from_a_handler_on_our_stack(void **state)
{
	struct sigaction sa = {.sa_handler = exit_from_handler}, old;
	struct encl e;
	int before = 0;

	(void)state;
	build(&e);
	assert_int_equal(sigaction(SIGUSR1, &sa, &old), 0);
	for (int i = 0; i < 20; i++) {
		pthread_t t;
		void *ret = NULL;

		assert_int_equal(pthread_create(&t, NULL, ecall_then_exit_in_handler, &e), 0);
		assert_int_equal(pthread_join(t, &ret), 0);
		assert_ptr_equal(ret, (void *)0x5e);
		if (i == 4)
			before = count_mappings();
	}
	/* A thread's state is one mapping: fifteen more exits must not add fifteen. */
	assert_true(count_mappings() <= before + 3);
	sigaction(SIGUSR1, &old, NULL);
	encl_delete(&e);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(two_threads_in_two_tcs_of_one_enclave),
	    cmocka_unit_test(four_threads_in_two_enclaves),
	    cmocka_unit_test(thread_exits_from_a_handler_on_our_stack),
	};

	host_test_parse_args(argc, argv);
	host_test_require_emulation();
	enter = vdso_find_by_dynamic();
	if (!enter)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
