/* SPDX-License-Identifier: MIT */
/* The platform model and the CPUID leaves it reports (sgx-architecture.md, "CPUID"). */
#include <cpuid.h>

#include "cpu_test_util.h"

static uint64_t xcr0(void)
{
	uint32_t lo, hi;

	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return (uint64_t)hi << 32 | lo;
}

static void default_platform_is_128mib_sgx2_flc_exinfo(void **state)
{
	struct sgx_platform p;

	(void)state;
	sgx_platform_default(&p);
	assert_int_equal(p.epc_size, 128ull << 20);
	assert_true(p.sgx2);
	assert_true(p.flexible_launch_control);
	assert_int_equal(p.miscselect, SGX_MISC_EXINFO);
	assert_int_equal(p.attributes, SGX_ATTR_DEBUG | SGX_ATTR_MODE64BIT | SGX_ATTR_PROVISIONKEY |
					   SGX_ATTR_EINITTOKENKEY | SGX_ATTR_KSS);
	assert_int_equal(p.max_enclave_size_64, 64);
	assert_int_equal(p.max_enclave_size_32, 31);
}

static void default_xfrm_is_legacy_plus_host_xcr0_subset_without_pkru_or_amx(void **state)
{
	struct sgx_platform p;

	(void)state;
	sgx_platform_default(&p);
	assert_int_equal(p.xfrm & SGX_XFRM_LEGACY, SGX_XFRM_LEGACY);
	assert_int_equal(p.xfrm & ~xcr0(), 0);
	assert_int_equal(p.xfrm & (1ull << 9), 0);
	assert_int_equal(p.xfrm & (3ull << 17), 0);
	/* BNDREGS and BNDCSR come together or not at all. */
	assert_int_equal((p.xfrm >> 3) & 1, (p.xfrm >> 4) & 1);
}

static void leaf7_reports_sgx_and_launch_control_only(void **state)
{
	struct sgx_platform p;
	uint32_t r[4];

	(void)state;
	sgx_platform_default(&p);
	sgx_platform_cpuid(&p, 7, 0, r);
	assert_int_equal(r[0], 0);
	assert_int_equal(r[1], 1u << 2);
	assert_int_equal(r[2], 1u << 30);
	assert_int_equal(r[3], 0);
	p.flexible_launch_control = false;
	sgx_platform_cpuid(&p, 7, 0, r);
	assert_int_equal(r[2], 0);
	sgx_platform_cpuid(&p, 7, 1, r);
	assert_int_equal(r[1], 0);
}

static void leaf12_subleaf0_reports_sgx1_sgx2_misc_and_sizes(void **state)
{
	struct sgx_platform p;
	uint32_t r[4];

	(void)state;
	sgx_platform_default(&p);
	sgx_platform_cpuid(&p, 0x12, 0, r);
	assert_int_equal(r[0], 0x3);
	assert_int_equal(r[1], SGX_MISC_EXINFO);
	assert_int_equal(r[2], 0);
	assert_int_equal(r[3], 64u << 8 | 31u);
	p.sgx2 = false;
	sgx_platform_cpuid(&p, 0x12, 0, r);
	assert_int_equal(r[0], 0x1);
}

static void leaf12_subleaf1_reports_attributes_and_xfrm(void **state)
{
	struct sgx_platform p;
	uint32_t r[4];

	(void)state;
	sgx_platform_default(&p);
	p.xfrm = 0x1000000E7ull; /* a value with high bits, to check the split */
	p.attributes = 0xB6;
	sgx_platform_cpuid(&p, 0x12, 1, r);
	assert_int_equal(r[0], 0xB6);
	assert_int_equal(r[1], 0);
	assert_int_equal(r[2], 0xE7);
	assert_int_equal(r[3], 0x1);
}

static void leaf12_subleaf2_is_the_epc_section_and_subleaf3_ends_the_list(void **state)
{
	struct sgx_platform p;
	uint32_t r[4];
	uint64_t base, size;

	(void)state;
	sgx_platform_default(&p);
	p.epc_base = 0x1234567000ull;
	p.epc_size = 0x3456789000ull;
	sgx_platform_cpuid(&p, 0x12, 2, r);
	assert_int_equal(r[0] & 0xF, 1);
	assert_int_equal(r[2] & 0xF, 1);
	base = (uint64_t)(r[0] & 0xFFFFF000u) | (uint64_t)(r[1] & 0xFFFFFu) << 32;
	size = (uint64_t)(r[2] & 0xFFFFF000u) | (uint64_t)(r[3] & 0xFFFFFu) << 32;
	assert_int_equal(base, p.epc_base);
	assert_int_equal(size, p.epc_size);
	sgx_platform_cpuid(&p, 0x12, 3, r);
	assert_int_equal(r[0] & 0xF, 0);
	assert_int_equal(r[0] | r[1] | r[2] | r[3], 0);
}

static void xsave_size_matches_host_cpuid_0xd_layout(void **state)
{
	unsigned int a, b, c, d;

	(void)state;
	assert_int_equal(sgx_xsave_size(SGX_XFRM_LEGACY), 576);
	if (!(xcr0() & 0x4)) {
		print_message("host has no AVX in XCR0: only the legacy size is checked\n");
		return;
	}
	__cpuid_count(0xD, 2, a, b, c, d);
	(void)c;
	(void)d;
	assert_int_equal(sgx_xsave_size(0x7), a + b);
	/* CPUID(0xD,0).EBX: the size XCR0's current features need, standard format. */
	__cpuid_count(0xD, 0, a, b, c, d);
	assert_int_equal(sgx_xsave_size(xcr0()), b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(default_platform_is_128mib_sgx2_flc_exinfo),
	    cmocka_unit_test(default_xfrm_is_legacy_plus_host_xcr0_subset_without_pkru_or_amx),
	    cmocka_unit_test(leaf7_reports_sgx_and_launch_control_only),
	    cmocka_unit_test(leaf12_subleaf0_reports_sgx1_sgx2_misc_and_sizes),
	    cmocka_unit_test(leaf12_subleaf1_reports_attributes_and_xfrm),
	    cmocka_unit_test(leaf12_subleaf2_is_the_epc_section_and_subleaf3_ends_the_list),
	    cmocka_unit_test(xsave_size_matches_host_cpuid_0xd_layout),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
