/* SPDX-License-Identifier: MIT */
/*
 * A program that probes the CPU with CPUID sees SGX under `softsgx run`: leaf 7 with SGX and
 * SGX_LC, leaf 0x12 with SGX1 (and SGX2 as configured), MISCSELECT/ATTRIBUTES/XFRM and an EPC
 * section of the configured size.  Skipped, saying so, when the host cannot fault CPUID.
 */
#include <asm/prctl.h>
#include <cpuid.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmocka.h>

#ifndef ARCH_GET_CPUID
#define ARCH_GET_CPUID 0x1011
#endif

/* The test configuration's platform (tests/host/softsgx-test.conf.in). */
#define TEST_EPC_SIZE (16ull << 20)

static void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__cpuid_count(leaf, sub, r[0], r[1], r[2], r[3]);
}

static void leaf7_reports_sgx_and_launch_control(void **state)
{
	uint32_t r[4];

	(void)state;
	cpuid(7, 0, r);
	assert_true(r[1] & (1u << 2));	/* EBX.SGX */
	assert_true(r[2] & (1u << 30)); /* ECX.SGX_LC */
}

static void leaf12_reports_sgx1_sgx2_and_sizes(void **state)
{
	uint32_t r[4];

	(void)state;
	cpuid(0, 0, r);
	assert_true(r[0] >= 0x12);
	cpuid(0x12, 0, r);
	assert_true(r[0] & 1);			 /* SGX1 */
	assert_true(r[0] & 2);			 /* SGX2: platform.sgx2 = yes */
	assert_true(((r[3] >> 8) & 0xff) >= 36); /* log2 max enclave size, 64-bit */
	cpuid(0x12, 1, r);
	assert_true(r[0] & (1u << 2)); /* ATTRIBUTES: MODE64BIT supported */
	assert_int_equal(r[2] & 3, 3); /* XFRM: x87 and SSE */
}

static void leaf12_lists_one_epc_section_of_the_configured_size(void **state)
{
	uint32_t r[4];
	uint64_t size;

	(void)state;
	cpuid(0x12, 2, r);
	assert_int_equal(r[0] & 0xf, 1);
	size = (uint64_t)(r[2] & 0xfffff000u) | ((uint64_t)(r[3] & 0xfffff) << 32);
	assert_int_equal(size, TEST_EPC_SIZE);
	cpuid(0x12, 3, r);
	assert_int_equal(r[0] & 0xf, 0); /* end of the list */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(leaf7_reports_sgx_and_launch_control),
	    cmocka_unit_test(leaf12_reports_sgx1_sgx2_and_sizes),
	    cmocka_unit_test(leaf12_lists_one_epc_section_of_the_configured_size),
	};

	/* ARCH_GET_CPUID: 1 = CPUID runs natively, 0 = it faults (our emulation is on). */
	if (syscall(SYS_arch_prctl, ARCH_GET_CPUID, 0) != 0) {
		printf("SKIP: CPUID faulting is not available on this host (arch_prctl "
		       "ARCH_SET_CPUID refused), so CPUID cannot be emulated\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
