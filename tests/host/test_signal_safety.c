/* SPDX-License-Identifier: MIT */
/*
 * The emulator's fault paths are async-signal-safe: a signal handler may enter an enclave
 * while its thread was interrupted inside the kernel model.  The main thread changes the
 * protections of the enclave's data pages in a loop (sgxk_mprotect: mm_lock for writing, the
 * enclave's lock, a run of mmap calls), a second thread keeps sending it SIGUSR1, and the
 * handler makes an ECALL through another TCS, whose EENTER walks the page tables of that same
 * enclave.  A translate that took the kernel model's locks would wait forever for the lock its
 * own interrupted thread holds; alarm() turns such a hang into a failure.
 *
 * The last test does the same with an SGX2 ioctl on the enclave and a handler that touches
 * one of its holes: the fault path EAUGs the page under the enclave's lock, which the
 * interrupted ioctl holds.  The
 * handler must wait until the ioctl returns, on a thread that has entered the enclave before and on
 * one that never has.
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
#include <sys/ioctl.h>
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
#define HOLE_TOUCHES	    5
#define RESTRICTS	    200000
#define SECINFO_X	    0x4ull

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

/* ---- a handler touching an SGX2 hole while its thread is inside an SGX2 ioctl ---- */

static uint8_t *hole;		      /* the unused pages at the end of ELRANGE, mapped RW */
static uint64_t hole_pages;	      /* how many */
static volatile sig_atomic_t touched; /* hole pages the handler touched so far */
static uint8_t *volatile hole_page;   /* the one being touched */
static volatile sig_atomic_t hole_faults;

/* A read of *p by the 2-byte instruction 8a 07 (movb (%rdi),%al), which on_segv steps over. */
static void touch(volatile uint8_t *p)
{
	uint8_t v;

	asm volatile("movb (%1), %0" : "=a"(v) : "D"(p) : "memory");
	(void)v;
}

/* The page the touch EAUG'd stays PENDING, out of the host's reach, until EACCEPT. */
static void on_segv(int sig, siginfo_t *info, void *ucv)
{
	ucontext_t *uc = ucv;

	if (info->si_addr != (void *)hole_page) {
		signal(sig, SIG_DFL);
		return; /* not the touch: fault again, fatally */
	}
	hole_faults++;
	uc->uc_mcontext.gregs[REG_RIP] += 2;
}

/* The program's handler touches the next hole page: the fault path EAUGs it. */
static void touch_next_hole_page(int sig)
{
	(void)sig;
	handler_calls++;
	if (touched >= HOLE_TOUCHES || (uint64_t)touched >= hole_pages)
		return;
	hole_page = hole + 4096 * (uint64_t)touched;
	touch(hole_page);
	touched++;
}

/* The enclave's code (RX): EMODPR with RX leaves its permissions as they are. */
static const struct encl_segment *code_segment(void)
{
	for (int i = 0; i < encl.nr_segs; i++)
		if (encl.segs[i].prot == (PROT_READ | PROT_EXEC) &&
		    SECINFO_TYPE(encl.segs[i].secinfo_flags) == PAGE_TYPE_REG)
			return &encl.segs[i];
	return NULL;
}

/* RESTRICT_PERMISSIONS over the code, again and again, until the handler touched its pages. */
static void *restrict_until_touched(void *arg)
{
	const struct encl_segment *code = code_segment();
	long failed = 0;

	(void)arg;
	for (int i = 0; i < RESTRICTS && touched < HOLE_TOUCHES && !failed; i++) {
		struct sgx_enclave_restrict_permissions rp = {.offset = code->offset,
							      .length = code->size,
							      .permissions = SECINFO_R | SECINFO_X};

		if (ioctl(encl.fd, SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS, &rp) ||
		    rp.count != code->size)
			failed = errno ? errno : -1;
	}
	return (void *)failed;
}

/* The first unused page at the end of ELRANGE: the image's segments end below it. */
static uint64_t hole_offset(void)
{
	uint64_t end = 0;

	for (int i = 0; i < encl.nr_segs; i++)
		if (encl.segs[i].offset + encl.segs[i].size > end)
			end = encl.segs[i].offset + encl.segs[i].size;
	return (end + 4095) & ~4095ull;
}

static void hole_touch_waits_for_sgx2_ioctl(bool fresh_thread)
{
	struct sigaction segv = {.sa_sigaction = on_segv, .sa_flags = SA_SIGINFO};
	pthread_t target, thread;
	void *failed = NULL;

	handler_calls = hole_faults = touched = 0;
	stop = 0;
	assert_int_equal(sigaction(SIGSEGV, &segv, NULL), 0);
	signal(SIGUSR1, touch_next_hole_page);
	alarm(HANG_SECONDS);
	if (fresh_thread) {
		/* A thread with no state of ours: its signals are blocked for the ioctl. */
		assert_int_equal(pthread_create(&target, NULL, restrict_until_touched, NULL), 0);
	} else {
		target = pthread_self();
	}
	assert_int_equal(pthread_create(&thread, NULL, signaller, &target), 0);
	if (fresh_thread)
		pthread_join(target, &failed);
	else
		failed = restrict_until_touched(NULL);
	stop = 1;
	pthread_join(thread, NULL);
	alarm(0);
	signal(SIGUSR1, SIG_DFL);
	signal(SIGSEGV, SIG_DFL);
	assert_null(failed);
	assert_int_equal(touched, HOLE_TOUCHES);
	/* Each touch faulted once: the page was EAUG'd and is PENDING. */
	assert_int_equal(hole_faults, HOLE_TOUCHES);
}

/* Each touched page was EAUG'd: the enclave accepts it (SECINFO RW, PENDING). */
static void assert_touched_pages_accepted(void)
{
	for (int i = 0; i < HOLE_TOUCHES; i++) {
		struct encl_op_eaccept acc = {{ENCL_OP_EACCEPT},
					      (uint64_t)(uintptr_t)(hole + 4096 * (uint64_t)i),
					      SECINFO_R | SECINFO_W | SECINFO_REG | SECINFO_PENDING,
					      ~0ull};
		struct sgx_enclave_run run;
		struct encl_call c = {.rdi = (uint64_t)(uintptr_t)&acc, .function = 2, .run = &run};

		memset(&run, 0, sizeof(run));
		run.tcs = (uint64_t)(uintptr_t)encl_addr(&encl, 4096);
		assert_int_equal(encl_vdso_call(enter, &c), 0);
		assert_int_equal(run.function, 4);
		assert_int_equal(acc.ret, 0);
	}
}

static void hole_touched_by_a_handler_that_interrupted_an_sgx2_ioctl(void **state)
{
	uint64_t off = hole_offset();

	(void)state;
	assert_non_null(code_segment());
	hole_pages = off < encl.size ? (encl.size - off) / 4096 : 0;
	if (hole_pages < 2 * HOLE_TOUCHES) {
		print_message("skip: the enclave leaves %llu pages of ELRANGE unused, %d needed\n",
			      (unsigned long long)hole_pages, 2 * HOLE_TOUCHES);
		skip();
	}
	hole = encl_addr(&encl, off);
	assert_ptr_equal(mmap(hole, 2 * HOLE_TOUCHES * 4096, PROT_READ | PROT_WRITE,
			      MAP_SHARED | MAP_FIXED, encl.fd, 0),
			 hole);
	/* This thread has run ENCLU (the tests before): the signal is deferred. */
	assert_int_equal(ecall_nop(0), 0);
	hole_touch_waits_for_sgx2_ioctl(false);
	assert_touched_pages_accepted();
	/* The next pages, from a thread that never entered the enclave. */
	hole += HOLE_TOUCHES * 4096;
	hole_touch_waits_for_sgx2_ioctl(true);
	assert_touched_pages_accepted();
	assert_int_equal(ecall_nop(0), 0);
	assert_int_equal(ecall_nop(1), 0);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(ecall_from_a_handler_that_interrupted_enclave_mprotect),
	    cmocka_unit_test(ecall_from_a_handler_that_interrupted_an_ecall),
	    cmocka_unit_test(hole_touched_by_a_handler_that_interrupted_an_sgx2_ioctl),
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
