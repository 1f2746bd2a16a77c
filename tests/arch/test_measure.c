/* SPDX-License-Identifier: MIT */
/*
 * Measurement: the records are the spec's bytes, and MRENCLAVE equals what an independent
 * implementation computes (python3 hashlib over the same stream; the Fortanix test enclave).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "softsgx/arch.h"
#include "softsgx/measure.h"
#include "testutil.h"

#define README_MRENCLAVE "784acfd7d5096a8f0fbd3265760bff21b120f62407a9a9e5ba31aa3c8ed198fc"

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void python_ref(char out[65], const char *args)
{
	char line[256];

	tu_need("python3");
	assert_int_equal(
	    tu_run(line, sizeof(line), "python3 '%s' %s", tu_source("sgx_ref.py"), args), 0);
	assert_int_equal(strlen(line), 64);
	memcpy(out, line, 65);
}

static void final_hex(struct sgx_measure *m, char out[65])
{
	uint8_t mr[32];

	assert_int_equal(sgx_measure_final(m, mr), 0);
	tu_hex(out, mr, 32);
}

/*
 * Replay an .sgxs stream record by record.  With @by_page, a page's sixteen EEXTENDs in order
 * go through sgx_measure_eextend_page, as the driver measures SGX_PAGE_MEASURE pages.
 */
static void replay_sgxs(struct sgx_measure *m, const uint8_t *d, size_t len, int by_page)
{
	size_t i = 0;

	while (i < len) {
		uint64_t tag = le64(d + i), off = le64(d + i + 8);

		assert_true(i + 64 <= len);
		if (tag == SGX_MEASURE_TAG_ECREATE) {
			assert_int_equal(sgx_measure_ecreate(m, le32(d + i + 8), le64(d + i + 12)),
					 0);
		} else if (tag == SGX_MEASURE_TAG_EADD) {
			assert_int_equal(sgx_measure_eadd(m, off, le64(d + i + 16)), 0);
		} else if (tag == SGX_MEASURE_TAG_EEXTEND && by_page && !(off & 4095) &&
			   i + 16 * 320 <= len) {
			uint8_t page[4096];

			for (int c = 0; c < 16; c++) {
				const uint8_t *r = d + i + c * 320;

				assert_int_equal(le64(r), SGX_MEASURE_TAG_EEXTEND);
				assert_int_equal(le64(r + 8), off + c * 256);
				memcpy(page + c * 256, r + 64, 256);
			}
			assert_int_equal(sgx_measure_eextend_page(m, off, page), 0);
			i += 16 * 320;
			continue;
		} else if (tag == SGX_MEASURE_TAG_EEXTEND) {
			assert_true(i + 320 <= len);
			assert_int_equal(sgx_measure_eextend(m, off, d + i + 64), 0);
			i += 256;
		} else {
			fail_msg("unexpected record tag 0x%016llx at offset %zu",
				 (unsigned long long)tag, i);
		}
		i += 64;
	}
}

static void test_enclave_sgxs_replayed_equals_python_hashlib_and_readme(void **state)
{
	const char *path = tu_vector("test_enclave.sgxs");
	char want[65], got[65], args[4200];
	struct sgx_measure m;
	size_t len;
	uint8_t *d = tu_read(path, &len);

	(void)state;
	snprintf(args, sizeof(args), "sha256 '%s'", path);
	python_ref(want, args);
	assert_string_equal(want, README_MRENCLAVE);
	for (int by_page = 0; by_page <= 1; by_page++) {
		assert_int_equal(sgx_measure_init(&m, NULL), 0);
		replay_sgxs(&m, d, len, by_page);
		final_hex(&m, got);
		assert_string_equal(got, want);
	}
	free(d);
}

static void records_are_the_spec_bytes(void **state)
{
	static const struct {
		const char *kind;
		uint64_t a, b;
	} cases[] = {
	    {"ecreate", 1, 0x400000}, {"ecreate", 0xFFFFFFFF, 0x8000000000000000ull},
	    {"eadd", 0, 0x201},	      {"eadd", 0x7FFFF000, 0x100},
	    {"eextend", 0x100, 0},    {"eextend", 0xFFFFFFFFFFFFFF00ull, 0},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t rec[64];
		char got[129], want[256], line[256];

		if (!strcmp(cases[i].kind, "ecreate"))
			sgx_measure_record_ecreate(rec, (uint32_t)cases[i].a, cases[i].b);
		else if (!strcmp(cases[i].kind, "eadd"))
			sgx_measure_record_eadd(rec, cases[i].a, cases[i].b);
		else
			sgx_measure_record_eextend(rec, cases[i].a);
		tu_need("python3");
		assert_int_equal(tu_run(line, sizeof(line), "python3 '%s' record %s %llu %llu",
					tu_source("sgx_ref.py"), cases[i].kind,
					(unsigned long long)cases[i].a,
					(unsigned long long)cases[i].b),
				 0);
		snprintf(want, sizeof(want), "%s", line);
		tu_hex(got, rec, 64);
		assert_string_equal(got, want);
	}
}

/* Same pattern as page() in sgx_ref.py. */
static void synthetic_page(uint8_t *p, unsigned int seed, unsigned int index)
{
	for (unsigned int i = 0; i < 4096; i++)
		p[i] = (uint8_t)(seed + index * 131 + i * 7 + (i >> 8));
}

static void synthetic_enclave_matches_python_reference(void **state)
{
	const unsigned int seed = 11, npages = 7;
	char want[65], got[65], args[64];
	struct sgx_measure m;
	uint8_t page[4096];

	(void)state;
	assert_int_equal(sgx_measure_init(&m, NULL), 0);
	assert_int_equal(sgx_measure_ecreate(&m, 2, 1 << 24), 0);
	for (unsigned int p = 0; p < npages; p++) {
		assert_int_equal(sgx_measure_eadd(&m, p * 4096ull, p ? 0x203 : 0x100), 0);
		if (p % 3 == 2)
			continue;
		synthetic_page(page, seed, p);
		assert_int_equal(sgx_measure_eextend_page(&m, p * 4096ull, page), 0);
	}
	final_hex(&m, got);
	snprintf(args, sizeof(args), "synthetic %u %u", seed, npages);
	python_ref(want, args);
	assert_string_equal(got, want);
}

static void eextend_page_equals_sixteen_eextends(void **state)
{
	struct sgx_measure a, b;
	uint8_t page[4096], ma[32], mb[32];

	(void)state;
	synthetic_page(page, 3, 9);
	assert_int_equal(sgx_measure_init(&a, NULL), 0);
	assert_int_equal(sgx_measure_init(&b, NULL), 0);
	assert_int_equal(sgx_measure_eextend_page(&a, 0x5000, page), 0);
	for (int c = 0; c < 16; c++)
		assert_int_equal(sgx_measure_eextend(&b, 0x5000 + c * 256, page + c * 256), 0);
	assert_int_equal(sgx_measure_final(&a, ma), 0);
	assert_int_equal(sgx_measure_final(&b, mb), 0);
	assert_memory_equal(ma, mb, 32);
}

static void finalising_a_copy_leaves_the_original_measuring(void **state)
{
	struct sgx_measure m, copy, ref;
	uint8_t page[4096], mc[32], mm[32], mr[32];

	(void)state;
	synthetic_page(page, 1, 1);
	assert_int_equal(sgx_measure_init(&m, NULL), 0);
	assert_int_equal(sgx_measure_init(&ref, NULL), 0);
	assert_int_equal(sgx_measure_ecreate(&m, 1, 8192), 0);
	assert_int_equal(sgx_measure_ecreate(&ref, 1, 8192), 0);
	assert_int_equal(sgx_measure_copy(&copy, &m, NULL), 0);
	assert_int_equal(sgx_measure_final(&copy, mc), 0);
	assert_int_equal(sgx_measure_eadd(&m, 0, 0x203), 0);
	assert_int_equal(sgx_measure_eadd(&ref, 0, 0x203), 0);
	assert_int_equal(sgx_measure_final(&m, mm), 0);
	assert_int_equal(sgx_measure_final(&ref, mr), 0);
	assert_memory_equal(mm, mr, 32);
	assert_memory_not_equal(mm, mc, 32);
}

static void misaligned_offsets_and_use_after_final_are_refused(void **state)
{
	struct sgx_measure m, copy;
	struct softsgx_err err = {0};
	uint8_t page[4096] = {0}, mr[32];

	(void)state;
	assert_int_equal(sgx_measure_init(&m, NULL), 0);
	assert_int_equal(sgx_measure_eadd(&m, 0x800, 0x203), -EINVAL);
	assert_int_equal(sgx_measure_eextend(&m, 0x80, page), -EINVAL);
	assert_int_equal(sgx_measure_eextend_page(&m, 0x100, page), -EINVAL);
	assert_int_equal(sgx_measure_final(&m, mr), 0);
	assert_int_equal(sgx_measure_ecreate(&m, 1, 8192), -EINVAL);
	assert_int_equal(sgx_measure_eadd(&m, 0, 0x203), -EINVAL);
	assert_int_equal(sgx_measure_final(&m, mr), -EINVAL);
	assert_int_equal(sgx_measure_copy(&copy, &m, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "not initialised"));
	sgx_measure_free(&m);
	sgx_measure_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_enclave_sgxs_replayed_equals_python_hashlib_and_readme),
	    cmocka_unit_test(records_are_the_spec_bytes),
	    cmocka_unit_test(synthetic_enclave_matches_python_reference),
	    cmocka_unit_test(eextend_page_equals_sixteen_eextends),
	    cmocka_unit_test(finalising_a_copy_leaves_the_original_measuring),
	    cmocka_unit_test(misaligned_offsets_and_use_after_final_are_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
