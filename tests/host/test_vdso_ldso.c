/* SPDX-License-Identifier: MIT */
/*
 * The ld.so lookup style of the vDSO entry, as Fortanix's loaders use it: this program is
 * linked against a stand-in linux-vdso.so.1 (vdso_stub.c) and calls __vdso_sgx_enter_enclave
 * as an ordinary versioned (LINUX_2.6) symbol, which ld.so binds to the vDSO it mapped from
 * AT_SYSINFO_EHDR.  Under `softsgx run` that is the substitute vDSO, written and advertised by
 * the launcher at exec: ld.so, dlsym and the getauxval-based lookups must all find the same
 * entry, it must enter the example enclave, the time functions ld.so and libc took from it must
 * agree with the system calls, and the program must run untraced after the launcher let go.
 */
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <link.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../examples/enclave/encl_ops.h"
#include "host_test.h"

#define EENTER 2
#define EEXIT  4

/* Resolved by ld.so against linux-vdso.so.1 (version LINUX_2.6), never looked up by hand. */
extern int __vdso_sgx_enter_enclave(unsigned long rdi, unsigned long rsi, unsigned long rdx,
				    unsigned int function, unsigned long r8, unsigned long r9,
				    struct sgx_enclave_run *run);

struct host_test_args host_test_args;

static void *linux_vdso(void)
{
	void *h = dlopen("linux-vdso.so.1", RTLD_LAZY | RTLD_NOLOAD);

	assert_non_null(h);
	return h;
}

static void ldso_binds_the_entry_that_getauxval_lookups_find(void **state)
{
	void *entry = (void *)__vdso_sgx_enter_enclave;

	(void)state;
	assert_ptr_equal(entry, (void *)vdso_find_by_dynamic());
	assert_ptr_equal(entry, (void *)vdso_find_by_sections());
}

static void linux_vdso_of_ldso_is_the_advertised_image(void **state)
{
	void *h = linux_vdso();
	struct link_map *lm = NULL;

	(void)state;
	assert_int_equal(dlinfo(h, RTLD_DI_LINKMAP, &lm), 0);
	assert_string_equal(lm->l_name, "linux-vdso.so.1");
	assert_int_equal(lm->l_addr, getauxval(AT_SYSINFO_EHDR));
	assert_ptr_equal(dlvsym(h, "__vdso_sgx_enter_enclave", "LINUX_2.6"),
			 (void *)__vdso_sgx_enter_enclave);
	assert_ptr_equal(dlsym(h, "__vdso_sgx_enter_enclave"), (void *)__vdso_sgx_enter_enclave);
	assert_ptr_equal(dlsym(RTLD_DEFAULT, "__vdso_sgx_enter_enclave"),
			 (void *)__vdso_sgx_enter_enclave);
	dlclose(h);
}

/* [vdso] in /proc/self/maps, and AT_SYSINFO_EHDR as the kernel keeps it in /proc/self/auxv. */
static void kernel_vdso(unsigned long *lo, unsigned long *hi, unsigned long *auxv_ehdr)
{
	FILE *f = fopen("/proc/self/maps", "r");
	unsigned long v[2];
	char line[512];

	assert_non_null(f);
	*lo = *hi = 0;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "[vdso]"))
			assert_int_equal(sscanf(line, "%lx-%lx", lo, hi), 2);
	fclose(f);
	f = fopen("/proc/self/auxv", "r");
	assert_non_null(f);
	*auxv_ehdr = 0;
	while (fread(v, sizeof(v), 1, f) == 1 && v[0] != AT_NULL)
		if (v[0] == AT_SYSINFO_EHDR)
			*auxv_ehdr = v[1];
	fclose(f);
}

static void kernel_vdso_stays_mapped_but_is_not_advertised(void **state)
{
	unsigned long lo, hi, kept, base = getauxval(AT_SYSINFO_EHDR);

	(void)state;
	kernel_vdso(&lo, &hi, &kept);
	assert_true(lo != 0 && lo < hi);
	assert_true(base < lo || base >= hi);
	assert_int_equal(kept, lo);
}

static void ecall_through_the_ldso_bound_entry_puts_and_gets(void **state)
{
	uint64_t value = ((uint64_t)getpid() << 32) ^ (uint64_t)time(NULL);
	struct encl_op_put_to_buf put = {{ENCL_OP_PUT_TO_BUFFER}, value};
	struct encl_op_get_from_buf get = {{ENCL_OP_GET_FROM_BUFFER}, 0};
	struct sgx_enclave_run run;
	struct encl_call c;
	struct encl e;
	char msg[256];

	(void)state;
	if (encl_load(&e, host_test_args.sgxs, host_test_args.sig, msg, sizeof(msg)) ||
	    encl_build(&e, msg, sizeof(msg)))
		fail_msg("building the example enclave: %s", msg);
	for (int i = 0; i < 2; i++) {
		memset(&run, 0, sizeof(run));
		run.tcs = (uint64_t)(uintptr_t)encl_addr(&e, 0);
		memset(&c, 0, sizeof(c));
		c.rdi = (uint64_t)(uintptr_t)(i ? (void *)&get : (void *)&put);
		c.function = EENTER;
		c.run = &run;
		assert_int_equal(encl_vdso_call(__vdso_sgx_enter_enclave, &c), 0);
		assert_int_equal(run.function, EEXIT);
	}
	assert_int_equal(get.value, value);
	encl_delete(&e);
}

static void ldso_bound_entry_refuses_bad_leaves_like_the_kernels(void **state)
{
	struct sgx_enclave_run run;

	(void)state;
	memset(&run, 0, sizeof(run));
	assert_int_equal(__vdso_sgx_enter_enclave(0, 0, 0, EEXIT, 0, 0, &run), -EINVAL);
	run.reserved[0] = 1;
	assert_int_equal(__vdso_sgx_enter_enclave(0, 0, 0, EENTER, 0, 0, &run), -EINVAL);
}

static int64_t ns(const struct timespec *t)
{
	return t->tv_sec * 1000000000ll + t->tv_nsec;
}

/*
 * The vDSO ld.so took (so libc's clock_gettime too) agrees with the system call: each reading
 * lies between two system-call readings taken around it.
 */
static void time_functions_of_the_ldso_vdso_agree_with_the_system_calls(void **state)
{
	void *h = linux_vdso();
	int (*vgettime)(clockid_t, struct timespec *) =
	    dlvsym(h, "__vdso_clock_gettime", "LINUX_2.6");
	int (*vgetres)(clockid_t, struct timespec *) =
	    dlvsym(h, "__vdso_clock_getres", "LINUX_2.6");
	int (*vgettimeofday)(struct timeval *, void *) =
	    dlvsym(h, "__vdso_gettimeofday", "LINUX_2.6");
	time_t (*vtime)(time_t *) = dlvsym(h, "__vdso_time", "LINUX_2.6");
	long (*vgetcpu)(unsigned *, unsigned *, void *) = dlvsym(h, "__vdso_getcpu", "LINUX_2.6");
	struct timespec a, b, c, d, r1, r2;
	struct timeval tv;
	time_t t0, t1, t2;
	unsigned cpu = ~0u, node = ~0u, scpu = ~0u, snode = ~0u;
	cpu_set_t old, one;

	(void)state;
	assert_non_null(vgettime);
	assert_non_null(vgetres);
	assert_non_null(vgettimeofday);
	assert_non_null(vtime);
	assert_non_null(vgetcpu);
	assert_int_equal(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &a), 0);
	assert_int_equal(vgettime(CLOCK_MONOTONIC, &b), 0);
	assert_int_equal(clock_gettime(CLOCK_MONOTONIC, &c), 0);
	assert_int_equal(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &d), 0);
	assert_true(ns(&a) <= ns(&b) && ns(&b) <= ns(&c) && ns(&c) <= ns(&d));
	assert_int_equal(vgetres(CLOCK_MONOTONIC, &r1), 0);
	assert_int_equal(syscall(SYS_clock_getres, CLOCK_MONOTONIC, &r2), 0);
	assert_int_equal(ns(&r1), ns(&r2));
	t0 = syscall(SYS_time, NULL);
	assert_int_equal(vgettimeofday(&tv, NULL), 0);
	t1 = vtime(NULL);
	t2 = syscall(SYS_time, NULL);
	assert_true(t0 <= tv.tv_sec && tv.tv_sec <= t2);
	assert_true(t0 <= t1 && t1 <= t2);

	/* Pinned to one CPU, the vDSO and the system call must name it. */
	assert_int_equal(sched_getaffinity(0, sizeof(old), &old), 0);
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu(), &one);
	assert_int_equal(sched_setaffinity(0, sizeof(one), &one), 0);
	assert_int_equal(vgetcpu(&cpu, &node, NULL), 0);
	assert_int_equal(syscall(SYS_getcpu, &scpu, &snode, NULL), 0);
	assert_int_equal(sched_setaffinity(0, sizeof(old), &old), 0);
	assert_int_equal(cpu, scpu);
	assert_int_equal(node, snode);
	dlclose(h);
}

static void program_runs_untraced_after_the_launcher_let_go(void **state)
{
	FILE *f = fopen("/proc/self/status", "r");
	pid_t self = getpid(), child;
	int tracer = -1, st;
	char line[256];

	(void)state;
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		sscanf(line, "TracerPid: %d", &tracer);
	fclose(f);
	assert_int_equal(tracer, 0);
	/* A debugger can attach (Yama permitting: allow any tracer for the moment). */
	prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0)
		_exit(ptrace(PTRACE_SEIZE, self, NULL, NULL) ? 1 : 0); /* exit detaches */
	assert_int_equal(waitpid(child, &st, 0), child);
	prctl(PR_SET_PTRACER, 0, 0, 0, 0);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

/* gdb -batch -p attaches, reads this process's state and detaches; skipped without gdb. */
static void gdb_attaches_after_the_launcher_let_go(void **state)
{
	char pid[32], out[4096] = "", want[64];
	int pipefd[2], st;
	size_t len = 0;
	ssize_t n;
	pid_t child;

	(void)state;
	if (access("/usr/bin/gdb", X_OK)) {
		fprintf(stderr, "skipped: /usr/bin/gdb is not installed\n");
		skip();
	}
	snprintf(pid, sizeof(pid), "%d", getpid());
	assert_int_equal(pipe(pipefd), 0);
	prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		dup2(pipefd[1], 1);
		dup2(pipefd[1], 2);
		close(pipefd[0]);
		/* gdb must not run under the preload library (it would trace itself otherwise). */
		unsetenv("LD_PRELOAD");
		execl("/usr/bin/gdb", "gdb", "-nx", "-batch", "-p", pid, "-ex", "info inferiors",
		      (char *)NULL);
		_exit(127);
	}
	close(pipefd[1]);
	while (len < sizeof(out) - 1 && (n = read(pipefd[0], out + len, sizeof(out) - 1 - len)) > 0)
		len += (size_t)n;
	out[len] = '\0';
	close(pipefd[0]);
	assert_int_equal(waitpid(child, &st, 0), child);
	prctl(PR_SET_PTRACER, 0, 0, 0, 0);
	snprintf(want, sizeof(want), "process %s", pid);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || !strstr(out, want))
		fail_msg("gdb -p %s: status %#x, output:\n%s", pid, st, out);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(ldso_binds_the_entry_that_getauxval_lookups_find),
	    cmocka_unit_test(linux_vdso_of_ldso_is_the_advertised_image),
	    cmocka_unit_test(kernel_vdso_stays_mapped_but_is_not_advertised),
	    cmocka_unit_test(ecall_through_the_ldso_bound_entry_puts_and_gets),
	    cmocka_unit_test(ldso_bound_entry_refuses_bad_leaves_like_the_kernels),
	    cmocka_unit_test(time_functions_of_the_ldso_vdso_agree_with_the_system_calls),
	    cmocka_unit_test(program_runs_untraced_after_the_launcher_let_go),
	    cmocka_unit_test(gdb_attaches_after_the_launcher_let_go),
	};

	host_test_parse_args(argc, argv);
	host_test_require_emulation();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
