/* SPDX-License-Identifier: MIT */
/*
 * bench_ecall: what an ECALL costs on the emulated platform, against the trap it is built on.
 *
 *   - an empty ECALL round trip (ENCL_OP_NOP) through __vdso_sgx_enter_enclave: EENTER is
 *     trap-free (the vDSO is ours), EEXIT is one ENCLU trap;
 *   - beside it, one bare trap round trip: ENCLU -> SIGSEGV handler that skips it ->
 *     sigreturn (the trap an EEXIT takes on this host, where ENCLU raises #GP), and the same
 *     for ud2 -> SIGILL, both with a minimal handler of libc's own sigaction;
 *   - the rounds alternate (ECALLs, ENCLU traps, ud2 traps, ECALLs, ...), so that other load
 *     on the machine weighs on both sides alike; the ratio is the median of the rounds' ratios;
 *   - ECALL throughput from one thread and from two threads (two TCSs) at once.
 *
 * Goals (issue 4): ECALL <= 1.2x one trap (the ENCLU trap: one trap per ECALL); two threads
 * >= 1.8x one thread.  Beside the two-thread figure: the same two threads doing arithmetic and
 * system calls only, which show how far the machine itself scales apart from signal delivery.  Run it directly (it re-executes itself under `softsgx run`) or with
 * `make bench`.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "../examples/enclave/encl_ops.h"
#include "sgx_loader.h"

#define ROUNDS	  15
#define ITERS	  10000
#define TP_MILLIS 1000

static struct encl encl;
static vdso_sgx_enter_enclave_t enter;

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[n / 2];
}

static int ecall(int tcs)
{
	struct encl_op_header op = {ENCL_OP_NOP};
	struct sgx_enclave_run run;

	memset(&run, 0, sizeof(run));
	run.tcs = (uint64_t)(uintptr_t)encl_addr(&encl, 4096ull * tcs);
	if (enter((uint64_t)(uintptr_t)&op, 0, 0, 2, 0, 0, &run) || run.function != 4)
		return -1;
	return 0;
}

static double ecall_batch(void)
{
	double t0 = now_ns();

	for (int i = 0; i < ITERS; i++)
		if (ecall(0)) {
			fprintf(stderr, "bench_ecall: ECALL failed\n");
			exit(1);
		}
	return (now_ns() - t0) / ITERS;
}

/* ---- the bare trap, with a minimal handler of libc's own sigaction ---- */

typedef int (*sigaction_fn)(int, const struct sigaction *, struct sigaction *);

static int trap_len;

static void skip_insn(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;

	(void)sig, (void)si;
	uc->uc_mcontext.gregs[REG_RIP] += trap_len;
}

/* One trap round trip of @which (0: ud2, 1: ENCLU), averaged over a batch. */
static double trap_batch(int which)
{
	double t0 = now_ns();

	trap_len = which == 0 ? 2 : 3;
	for (int i = 0; i < ITERS; i++) {
		if (which == 0)
			asm volatile("ud2" ::: "memory");
		else
			asm volatile(".byte 0x0f, 0x01, 0xd7" ::"a"(4) : "memory");
	}
	return (now_ns() - t0) / ITERS;
}

static sigaction_fn libc_sigaction(void)
{
	void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
	sigaction_fn fn = libc ? (sigaction_fn)dlsym(libc, "sigaction") : NULL;

	if (!fn) {
		fprintf(stderr, "bench_ecall: no libc sigaction\n");
		exit(1);
	}
	return fn;
}

/*
 * The emulator's handlers are swapped out for the minimal one while the traps are timed
 * (libc's sigaction, not the emulator's interposed one), and back in for the ECALLs.
 */
static void time_rounds(double *ecall_t, double *ud2_t, double *enclu_t, double *ratio)
{
	struct sigaction minimal = {.sa_sigaction = skip_insn, .sa_flags = SA_SIGINFO};
	sigaction_fn sa = libc_sigaction();
	struct sigaction ill, segv;
	double e[ROUNDS], u[ROUNDS], n[ROUNDS], q[ROUNDS];

	for (int r = 0; r < ROUNDS; r++) {
		e[r] = ecall_batch();
		sa(SIGILL, &minimal, &ill);
		sa(SIGSEGV, &minimal, &segv);
		n[r] = trap_batch(1);
		u[r] = trap_batch(0);
		sa(SIGILL, &ill, NULL);
		sa(SIGSEGV, &segv, NULL);
		q[r] = e[r] / n[r];
	}
	*ecall_t = median(e, ROUNDS);
	*ud2_t = median(u, ROUNDS);
	*enclu_t = median(n, ROUNDS);
	*ratio = median(q, ROUNDS);
}

/* ---- throughput ---- */

enum work {
	WORK_ECALL,
	WORK_TRAP,    /* bare ENCLU traps (minimal handler installed) */
	WORK_COMPUTE, /* arithmetic only: how the machine's CPUs scale */
	WORK_SYSCALL, /* getppid: how the kernel's entry and exit scale */
};

/* One cache line each: the counters of two workers side by side would bounce between CPUs. */
struct worker {
	pthread_t thread;
	int tcs;
	enum work work;
	volatile int *stop;
	long calls;
} __attribute__((aligned(64)));

static void *worker(void *arg)
{
	struct worker *w = arg;
	volatile unsigned int x = 1;

	while (!*w->stop) {
		if (w->work == WORK_TRAP) {
			asm volatile(".byte 0x0f, 0x01, 0xd7" ::"a"(4) : "memory");
		} else if (w->work == WORK_COMPUTE) {
			for (int i = 0; i < 1000; i++)
				x = x * 1103515245u + 12345u;
		} else if (w->work == WORK_SYSCALL) {
			getppid();
		} else if (ecall(w->tcs)) {
			fprintf(stderr, "bench_ecall: ECALL through TCS %d failed\n", w->tcs);
			exit(1);
		}
		w->calls++;
	}
	return NULL;
}

static double cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* ECALLs (or units of @work) per second of wall time; *per_cpu: per second of CPU time got. */
static double throughput(int threads, enum work work, double *per_cpu)
{
	struct worker w[ENCL_NR_TCS];
	volatile int stop = 0;
	struct timespec d = {TP_MILLIS / 1000, (TP_MILLIS % 1000) * 1000000L};
	double t0, c0, secs;
	long total = 0;

	for (int i = 0; i < threads; i++) {
		w[i] = (struct worker){.tcs = i, .work = work, .stop = &stop};
		pthread_create(&w[i].thread, NULL, worker, &w[i]);
	}
	t0 = now_ns();
	c0 = cpu_ns();
	nanosleep(&d, NULL);
	stop = 1;
	for (int i = 0; i < threads; i++) {
		pthread_join(w[i].thread, NULL);
		total += w[i].calls;
	}
	secs = (now_ns() - t0) / 1e9;
	*per_cpu = total / ((cpu_ns() - c0) / 1e9);
	return total / secs;
}

/*
 * The same two-thread measurement for bare ENCLU traps with the minimal handler: the kernel
 * takes the process's signal lock on every delivery, so this is what any ECALL that costs one
 * trap can reach.
 */
static void trap_throughput(double *one, double *two)
{
	struct sigaction minimal = {.sa_sigaction = skip_insn, .sa_flags = SA_SIGINFO};
	sigaction_fn sa = libc_sigaction();
	struct sigaction segv;
	double cpu;

	trap_len = 3;
	sa(SIGSEGV, &minimal, &segv);
	*one = throughput(1, WORK_TRAP, &cpu);
	*two = throughput(2, WORK_TRAP, &cpu);
	sa(SIGSEGV, &segv, NULL);
}

/* Other work on the machine skews the throughput ratio: say how busy it was. */
static void print_load(void)
{
	char buf[128] = "";
	FILE *f = fopen("/proc/loadavg", "r");

	if (f && fgets(buf, sizeof(buf), f))
		printf("load average during the run: %s", buf);
	if (f)
		fclose(f);
}

/* Not under softsgx yet: run this same binary under the tool next to it. */
static void reexec_under_softsgx(char **argv)
{
	char self[4096], tool[4200], sgxs[4200], sig[4200];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (n < 0)
		return;
	self[n] = '\0';
	slash = strrchr(self, '/');
	*slash = '\0';
	snprintf(tool, sizeof(tool), "%s/../tools/softsgx", self);
	snprintf(sgxs, sizeof(sgxs), "%s/../examples/enclave/enclave.sgxs", self);
	snprintf(sig, sizeof(sig), "%s/../examples/enclave/enclave.sig", self);
	*slash = '/';
	if (!argv[1]) {
		char *args[] = {tool, "run", "--", self, sgxs, sig, NULL};

		setenv("SOFTSGX_QUIET", "1", 0);
		execv(tool, args);
	} else {
		char *args[] = {tool, "run", "--", self, argv[1], argv[2], NULL};

		execv(tool, args);
	}
	fprintf(stderr, "bench_ecall: cannot run %s: %s\n", tool, strerror(errno));
	exit(1);
}

int main(int argc, char **argv)
{
	const char *preload = getenv("LD_PRELOAD");
	double ecall_t, ud2_t, enclu_t, ratio, tp1, tp2, cpu1, cpu2, trap1, trap2, cmp1, cmp2, sys1,
	    sys2, cpu;
	char msg[256];

	if (!preload || !strstr(preload, "libsoftsgx-preload"))
		reexec_under_softsgx(argv);
	if (argc != 3) {
		fprintf(stderr, "usage: bench_ecall [ENCLAVE.sgxs ENCLAVE.sig]\n");
		return 2;
	}
	enter = vdso_find_by_dynamic();
	if (!enter || encl_load(&encl, argv[1], argv[2], msg, sizeof(msg)) ||
	    encl_build(&encl, msg, sizeof(msg))) {
		fprintf(stderr, "bench_ecall: %s\n", enter ? msg : "no vDSO entry");
		return 1;
	}
	ecall(0);
	ecall(1);
	time_rounds(&ecall_t, &ud2_t, &enclu_t, &ratio);
	tp1 = throughput(1, WORK_ECALL, &cpu1);
	tp2 = throughput(2, WORK_ECALL, &cpu2);
	trap_throughput(&trap1, &trap2);
	cmp1 = throughput(1, WORK_COMPUTE, &cpu);
	cmp2 = throughput(2, WORK_COMPUTE, &cpu);
	sys1 = throughput(1, WORK_SYSCALL, &cpu);
	sys2 = throughput(2, WORK_SYSCALL, &cpu);

	printf("empty ECALL through the vDSO:       %8.0f ns (median of %d rounds x %d)\n", ecall_t,
	       ROUNDS, ITERS);
	printf(
	    "one ENCLU trap (SIGSEGV) round trip: %8.0f ns (minimal handler, rounds alternating)\n",
	    enclu_t);
	printf(
	    "one ud2 trap (SIGILL) round trip:    %8.0f ns (minimal handler, rounds alternating)\n",
	    ud2_t);
	printf("ratio ECALL / ENCLU trap: %.2f (median of the rounds' ratios; goal <= 1.20: %s)\n",
	       ratio, ratio <= 1.2 ? "met" : "NOT met");
	printf("ratio ECALL / ud2 trap:   %.2f\n", ecall_t / ud2_t);
	printf("ECALL throughput: 1 thread %.0f/s, 2 threads %.0f/s (%ld CPUs online)\n", tp1, tp2,
	       sysconf(_SC_NPROCESSORS_ONLN));
	printf("bare ENCLU trap throughput: 1 thread %.0f/s, 2 threads %.0f/s (ratio %.2f: the "
	       "ceiling for one trap per ECALL)\n",
	       trap1, trap2, trap2 / trap1);
	printf("2 threads / 1 thread doing arithmetic only: %.2f; system calls (getppid): %.2f; "
	       "bare traps: %.2f\n",
	       cmp2 / cmp1, sys2 / sys1, trap2 / trap1);
	if (cmp2 / cmp1 < 1.9)
		printf("  the machine was busy (arithmetic did not scale): the two-thread ratios of "
		       "this run say little\n");
	else if (trap2 / trap1 < 1.8)
		printf("  the CPUs and system calls scale, signal delivery does not: one trap per "
		       "ECALL is held below 1.8 by the host kernel\n");
	printf("ratio 2 threads / 1 thread: %.2f (goal >= 1.80: %s)\n", tp2 / tp1,
	       tp2 / tp1 >= 1.8 ? "met" : "NOT met");
	/* Equal per-CPU rates mean the threads did not slow each other: the CPUs were busy. */
	printf("per CPU-second: 1 thread %.0f, 2 threads %.0f (ratio %.2f); CPUs the process got: "
	       "%.2f and %.2f\n",
	       cpu1, cpu2, cpu2 / cpu1, tp1 / cpu1, tp2 / cpu2);
	print_load();
	printf("command: softsgx run -- %s %s %s\n", argv[0], argv[1], argv[2]);
	encl_delete(&encl);
	return 0;
}
