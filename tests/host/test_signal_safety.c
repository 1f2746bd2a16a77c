/* SPDX-License-Identifier: MIT */
/*
 * The emulator's fault paths are async-signal-safe: a signal handler may enter an enclave
 * while its thread was interrupted inside the kernel model.  The main thread changes the
 * protections of the enclave's data pages in a loop (sgxk_mprotect: mm_lock for writing, the
 * enclave's lock, a run of mmap calls), a second thread keeps sending it SIGUSR1, and the
 * handler makes an ECALL through another TCS, whose EENTER walks the page tables of that same
 * enclave.  A translate that took the kernel model's locks would wait forever for the lock its
 * own interrupted thread holds; alarm() turns such a hang into a failure.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../examples/enclave/encl_ops.h"
#include "host_test.h"

#define MPROTECTS	    3000
#define ECALLS		    20000
#define HANG_SECONDS	    30
#define SECINFO_TYPE(flags) (((flags) >> 8) & 0xff)
#define PAGE_TYPE_REG	    2

struct host_test_args host_test_args;
static vdso_sgx_enter_enclave_t enter;
static struct encl encl;
static volatile sig_atomic_t handler_calls, handler_failures;
static volatile int stop;

static int ecall_nop(int tcs)
{
	struct encl_op_header op = {ENCL_OP_NOP};
	struct sgx_enclave_run run;
	struct encl_call c = {.rdi = (uint64_t)(uintptr_t)&op, .function = 2, .run = &run};

	memset(&run, 0, sizeof(run));
	run.tcs = (uint64_t)(uintptr_t)encl_addr(&encl, 4096ull * tcs);
	return encl_vdso_call(enter, &c) || run.function != 4;
}

static void on_usr1(int sig)
{
	(void)sig;
	handler_calls++;
	if (ecall_nop(1))
		handler_failures++;
}

static void *signaller(void *arg)
{
	pthread_t target = *(pthread_t *)arg;
	struct timespec gap = {0, 20000};

	while (!stop) {
		pthread_kill(target, SIGUSR1);
		nanosleep(&gap, NULL);
	}
	return NULL;
}

/*
 * The enclave's last writable regular segment (its data and stack), which mprotect makes RW
 * again and again: the same protections, but every call re-populates the range (mm.c).
 */
static const struct encl_segment *data_segment(void)
{
	const struct encl_segment *found = NULL;

	for (int i = 0; i < encl.nr_segs; i++)
		if (encl.segs[i].prot == (PROT_READ | PROT_WRITE) &&
		    SECINFO_TYPE(encl.segs[i].secinfo_flags) == PAGE_TYPE_REG)
			found = &encl.segs[i];
	return found;
}

static void ecall_from_a_handler_that_interrupted_enclave_mprotect(void **state)
{
	const struct encl_segment *data = data_segment();
	pthread_t self = pthread_self(), thread;

	(void)state;
	assert_non_null(data);
	assert_int_equal(ecall_nop(0), 0);
	signal(SIGUSR1, on_usr1);
	alarm(HANG_SECONDS);
	assert_int_equal(pthread_create(&thread, NULL, signaller, &self), 0);
	while (!handler_calls) /* the signals are coming */
		sched_yield();
	for (int i = 0; i < MPROTECTS; i++)
		if (mprotect(encl_addr(&encl, data->offset), data->size, PROT_READ | PROT_WRITE))
			fail_msg("mprotect of the enclave's data: %s", strerror(errno));
	stop = 1;
	pthread_join(thread, NULL);
	alarm(0);
	signal(SIGUSR1, SIG_DFL);
	/* The handler ran (many times, mostly in the middle of an mprotect) and always got in. */
	assert_true(handler_calls > 0);
	assert_int_equal(handler_failures, 0);
	/* And the enclave still works from ordinary code through both TCSs. */
	assert_int_equal(ecall_nop(0), 0);
	assert_int_equal(ecall_nop(1), 0);
}

/*
 * The same with the main thread calling into the enclave in a loop: a signal lands in the
 * enclave (an AEX; the handler runs at the AEP), in the ENCLU trap handler, or in the middle
 * of the vDSO's trap-free EENTER, which holds the EPCM lock and may already have put the
 * logical processor in enclave mode.  Every ECALL of both must succeed.
 */
static void ecall_from_a_handler_that_interrupted_an_ecall(void **state)
{
	pthread_t self = pthread_self(), thread;

	(void)state;
	handler_calls = handler_failures = 0;
	stop = 0;
	signal(SIGUSR1, on_usr1);
	alarm(HANG_SECONDS);
	assert_int_equal(pthread_create(&thread, NULL, signaller, &self), 0);
	while (!handler_calls)
		sched_yield();
	for (int i = 0; i < ECALLS; i++)
		if (ecall_nop(0))
			fail_msg("ECALL %d through TCS 0 failed", i);
	stop = 1;
	pthread_join(thread, NULL);
	alarm(0);
	signal(SIGUSR1, SIG_DFL);
	assert_true(handler_calls > 0);
	assert_int_equal(handler_failures, 0);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(ecall_from_a_handler_that_interrupted_enclave_mprotect),
	    cmocka_unit_test(ecall_from_a_handler_that_interrupted_an_ecall),
	};
	char msg[256];

	host_test_parse_args(argc, argv);
	host_test_require_emulation();
	enter = vdso_find_by_dynamic();
	if (!enter)
		return 1;
	if (encl_load(&encl, host_test_args.sgxs, host_test_args.sig, msg, sizeof(msg)) ||
	    encl_build(&encl, msg, sizeof(msg))) {
		fprintf(stderr, "%s\n", msg);
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
