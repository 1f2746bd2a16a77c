/* SPDX-License-Identifier: MIT */
/*
 * The substitute vDSO seen from a program under `softsgx run`: found by both lookup styles,
 * laid out like the kernel's, its time functions working, and __vdso_sgx_enter_enclave
 * refusing bad input exactly like the kernel's vsgx.S.
 */
#include <elf.h>
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/auxv.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "host_test.h"

struct host_test_args host_test_args;

static const Elf64_Ehdr *vdso(void)
{
	return (const Elf64_Ehdr *)getauxval(AT_SYSINFO_EHDR);
}

static void enter_is_found_by_dynamic_and_by_sections(void **state)
{
	(void)state;
	vdso_sgx_enter_enclave_t a = vdso_find_by_dynamic(), b = vdso_find_by_sections();

	assert_non_null(a);
	assert_ptr_equal(a, b);
}

static void vdso_is_laid_out_like_the_kernels(void **state)
{
	const Elf64_Ehdr *eh = vdso();
	const Elf64_Phdr *ph = (const Elf64_Phdr *)((const char *)eh + eh->e_phoff);
	int loads = 0, dynamics = 0;

	(void)state;
	assert_memory_equal(eh->e_ident, ELFMAG, SELFMAG);
	assert_int_equal(eh->e_type, ET_DYN);
	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type == PT_LOAD) {
			loads++;
			assert_int_equal(ph[i].p_offset, ph[i].p_vaddr);
			assert_int_equal(ph[i].p_flags, PF_R | PF_X);
		} else if (ph[i].p_type == PT_DYNAMIC) {
			dynamics++;
			assert_int_equal(ph[i].p_flags, PF_R);
		}
	}
	assert_int_equal(loads, 1);
	assert_int_equal(dynamics, 1);
}

static void vdso_image_is_not_writable(void **state)
{
	FILE *f = fopen("/proc/self/maps", "r");
	unsigned long lo, hi, base = getauxval(AT_SYSINFO_EHDR);
	char perms[8], line[512];
	int found = 0;

	(void)state;
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) == 3 && base >= lo && base < hi) {
			assert_string_equal(perms, "r-xp");
			found = 1;
		}
	fclose(f);
	assert_true(found);
}

static void time_functions_of_the_vdso_work(void **state)
{
	int (*vgettime)(clockid_t, struct timespec *) = vdso_find_symbol("__vdso_clock_gettime");
	int (*vgettimeofday)(struct timeval *, void *) = vdso_find_symbol("__vdso_gettimeofday");
	time_t (*vtime)(time_t *) = vdso_find_symbol("__vdso_time");
	long (*vgetcpu)(unsigned *, unsigned *, void *) = vdso_find_symbol("__vdso_getcpu");
	int (*vgetres)(clockid_t, struct timespec *) = vdso_find_symbol("__vdso_clock_getres");
	struct timespec a, b, res;
	struct timeval tv;
	unsigned cpu = ~0u, node = ~0u;

	(void)state;
	assert_non_null(vgettime);
	assert_non_null(vgettimeofday);
	assert_non_null(vtime);
	assert_non_null(vgetcpu);
	assert_non_null(vgetres);
	assert_int_equal(vgettime(CLOCK_MONOTONIC, &a), 0);
	assert_int_equal(clock_gettime(CLOCK_MONOTONIC, &b), 0);
	assert_true(b.tv_sec - a.tv_sec <= 1 && b.tv_sec >= a.tv_sec);
	assert_int_equal(vgettimeofday(&tv, NULL), 0);
	assert_true(labs(tv.tv_sec - time(NULL)) <= 1);
	assert_true(labs(vtime(NULL) - time(NULL)) <= 1);
	assert_int_equal(vgetcpu(&cpu, &node, NULL), 0);
	assert_true(cpu < (unsigned)sysconf(_SC_NPROCESSORS_CONF));
	assert_int_equal(vgetres(CLOCK_MONOTONIC, &res), 0);
}

static void enter_refuses_functions_other_than_eenter_and_eresume(void **state)
{
	static const unsigned int bad[] = {0, 1, 4, 5, 0xffffffffu};
	vdso_sgx_enter_enclave_t enter = vdso_find_by_dynamic();
	struct sgx_enclave_run run;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&run, 0, sizeof(run));
		assert_int_equal(enter(0, 0, 0, bad[i], 0, 0, &run), -EINVAL);
	}
}

static void enter_refuses_nonzero_reserved_bytes(void **state)
{
	vdso_sgx_enter_enclave_t enter = vdso_find_by_dynamic();
	struct sgx_enclave_run run;

	(void)state;
	for (size_t i = 0; i < sizeof(run.reserved); i += 37) {
		memset(&run, 0, sizeof(run));
		run.reserved[i] = 1;
		assert_int_equal(enter(0, 0, 0, 2, 0, 0, &run), -EINVAL);
	}
}

static void eenter_of_a_page_that_is_no_tcs_reports_the_fault(void **state)
{
	vdso_sgx_enter_enclave_t enter = vdso_find_by_dynamic();
	static uint8_t not_a_tcs[4096] __attribute__((aligned(4096)));
	struct sgx_enclave_run run;

	(void)state;
	memset(&run, 0, sizeof(run));
	run.tcs = (uint64_t)(uintptr_t)not_a_tcs;
	/* EENTER faults (#GP or #PF): the vDSO returns 0 with the leaf and the vector. */
	assert_int_equal(enter(0, 0, 0, 2, 0, 0, &run), 0);
	assert_int_equal(run.function, 2);
	assert_true(run.exception_vector == 13 || run.exception_vector == 14);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(enter_is_found_by_dynamic_and_by_sections),
	    cmocka_unit_test(vdso_is_laid_out_like_the_kernels),
	    cmocka_unit_test(vdso_image_is_not_writable),
	    cmocka_unit_test(time_functions_of_the_vdso_work),
	    cmocka_unit_test(enter_refuses_functions_other_than_eenter_and_eresume),
	    cmocka_unit_test(enter_refuses_nonzero_reserved_bytes),
	    cmocka_unit_test(eenter_of_a_page_that_is_no_tcs_reports_the_fault),
	};

	host_test_parse_args(argc, argv);
	host_test_require_emulation();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
