/* SPDX-License-Identifier: MIT */
/*
 * ADD_PAGES reads the sources of a run of pages with one system call straight into their EPC
 * pages (src/driver/ioctl.c, uaccess.c).  These tests hold it to the per-page semantics of
 * upstream: a run that reaches a page unmapped (or PROT_NONE) since the source snapshot adds
 * the pages before it and fails with EFAULT, count saying how far it got; the enclave then
 * measures exactly the source bytes (INIT accepts a SIGSTRUCT computed from them); runs stop at
 * source-mapping boundaries; the EPC pages taken ahead of use all go back.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "softsgx/cpu.h"
#include "softsgx/measure.h"
#include "drvtest.h"

#define ESIZE	      (1ull << 20) /* 256 pages of ELRANGE */
#define NR_SRC	      40	   /* more than two runs of the driver's staging */
#define REG_RW	      (SGX_SECINFO_TYPE(SGX_PT_REG) | SGX_SECINFO_R | SGX_SECINFO_W)
#define PAGE_AT(p, i) ((p) + (size_t)(i)*4096)

/*
 * A stale source snapshot: one anonymous RW mapping over the whole source buffer, whatever
 * the test unmapped or protected since, as /proc read before another thread's munmap says.
 */
static uint64_t snap_start, snap_end;

static int stale_lookup(void *ctx, uint64_t addr, struct sgxk_vma *vma)
{
	(void)ctx;
	if (addr < snap_start || addr >= snap_end)
		return -EFAULT;
	memset(vma, 0, sizeof(*vma));
	vma->start = snap_start;
	vma->end = snap_end;
	vma->prot = PROT_READ | PROT_WRITE;
	vma->anonymous = true;
	return 0;
}

static uint8_t *source_pages(size_t nr)
{
	uint8_t *src =
	    mmap(NULL, nr * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	assert_true(src != MAP_FAILED);
	for (size_t i = 0; i < nr * 4096; i++)
		src[i] = (uint8_t)(i * 131 + i / 4096);
	return src;
}

/* The pages [0, nr) of @src measured at offsets 0.. into the model; INIT must accept it. */
static void expect_init_accepts(struct dt *d, struct dt_encl *e, const uint8_t *src, size_t nr)
{
	struct sgx_sigstruct *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	for (size_t i = 0; i < nr; i++) {
		sgx_measure_eadd(e->measure, i * 4096, REG_RW);
		sgx_measure_eextend_page(e->measure, i * 4096, PAGE_AT(src, i));
	}
	dt_encl_finish_measure(e);
	dt_sign(s, e->mrenclave, SGX_ATTR_MODE64BIT, ~0ull, SGX_XFRM_LEGACY);
	assert_int_equal(dt_init_encl(d, e->f, s), 0);
	free(s);
}

/* No EPC page holds any of the source pages [from, to) of @copy (none was added). */
static void expect_no_epc_page_holds(struct dt *d, const uint8_t *copy, size_t from, size_t to)
{
	struct sgx_cpu *cpu = sgxk_cpu(d->k);

	for (size_t i = 0; i < sgx_epc_nr_pages(cpu); i++)
		for (size_t j = from; j < to; j++)
			if (!memcmp(sgx_epc_page(cpu, i), PAGE_AT(copy, j), 4096))
				fail_msg("EPC page %zu holds source page %zu, which was not added",
					 i, j);
}

enum damage { UNMAP, PROT_NONE_PAGE };

static const struct {
	const char *name;
	enum damage how;
	size_t page; /* the first unreadable page of the run */
} faults[] = {
    {"first page unmapped", UNMAP, 0},
    {"page in the first run unmapped", UNMAP, 5},
    {"first page of the second run unmapped", UNMAP, 16},
    {"page in the second run PROT_NONE", PROT_NONE_PAGE, 21},
    {"last page PROT_NONE", PROT_NONE_PAGE, NR_SRC - 1},
};

static void test_run_into_an_unreadable_page_adds_the_pages_before_it_then_efault(void **state)
{
	(void)state;
	for (size_t t = 0; t < sizeof(faults) / sizeof(faults[0]); t++) {
		uint8_t *src = source_pages(NR_SRC), *bad, *copy = malloc(NR_SRC * 4096);
		struct sgxk_enclave_info info;
		struct dt d;
		struct dt_encl e;
		uint64_t count = 0;
		size_t free_before;
		long ret;

		dt_setup(&d, 16ull << 20, false, true);
		d.prov.ops.lookup = stale_lookup;
		dt_start(&d);
		dt_encl_build(&d, &e, ESIZE, 0);
		snap_start = (uint64_t)(uintptr_t)src;
		snap_end = snap_start + NR_SRC * 4096;
		memcpy(copy, src, NR_SRC * 4096);
		bad = PAGE_AT(src, faults[t].page);
		if (faults[t].how == UNMAP)
			assert_int_equal(munmap(bad, 4096), 0);
		else
			assert_int_equal(mprotect(bad, 4096, PROT_NONE), 0);
		free_before = sgxk_epc_free_pages(d.k);

		ret = dt_add(&d, e.f, src, 0, NR_SRC * 4096, REG_RW, SGX_PAGE_MEASURE, &count);
		if (ret != -EFAULT || count != faults[t].page * 4096)
			fail_msg("%s: ADD_PAGES returned %ld with count 0x%llx, expected -EFAULT "
				 "with 0x%zx",
				 faults[t].name, ret, (unsigned long long)count,
				 faults[t].page * 4096);
		assert_int_equal(sgxk_enclave_info(e.f, &info), 0);
		assert_int_equal(info.nr_pages, faults[t].page);
		/* The EPC pages staged for the pages not added went back, keeping nothing. */
		assert_int_equal(sgxk_epc_free_pages(d.k), free_before - faults[t].page);
		expect_no_epc_page_holds(&d, copy, faults[t].page, NR_SRC);
		expect_init_accepts(&d, &e, src, faults[t].page);

		dt_encl_free(&d, &e);
		dt_fini(&d);
		munmap(src, NR_SRC * 4096);
		free(copy);
	}
}

/* Stopped inside a run (EBUSY at a page already there): the staged rest goes back zeroed. */
static void test_add_pages_stopped_mid_run_gives_back_its_staged_pages_zeroed(void **state)
{
	uint8_t *src = source_pages(NR_SRC);
	struct dt d;
	struct dt_encl e;
	uint64_t count = 0;
	size_t free_before;

	(void)state;
	dt_setup(&d, 16ull << 20, false, true);
	d.prov.ops.lookup = stale_lookup;
	dt_start(&d);
	dt_encl_build(&d, &e, ESIZE, 0);
	/* Page 5 is there already, from other bytes. */
	snap_start = (uint64_t)(uintptr_t)e.page;
	snap_end = snap_start + 4096;
	assert_int_equal(dt_add(&d, e.f, e.page, 5 * 4096, 4096, REG_RW, 0, &count), 0);
	snap_start = (uint64_t)(uintptr_t)src;
	snap_end = snap_start + NR_SRC * 4096;
	free_before = sgxk_epc_free_pages(d.k);
	assert_int_equal(dt_add(&d, e.f, src, 0, NR_SRC * 4096, REG_RW, SGX_PAGE_MEASURE, &count),
			 -EBUSY);
	assert_int_equal(count, 5 * 4096);
	assert_int_equal(sgxk_epc_free_pages(d.k), free_before - 5);
	expect_no_epc_page_holds(&d, src, 5, NR_SRC);
	dt_encl_free(&d, &e);
	dt_fini(&d);
	munmap(src, NR_SRC * 4096);
}

/*
 * Through the /proc reader: sources in three mappings (RW, R, RW again) are read run by run,
 * each run within one mapping, and the enclave measures every byte where it belongs.
 */
static void test_runs_across_source_mappings_measure_every_page(void **state)
{
	uint8_t *src = source_pages(NR_SRC);
	struct sgxk_enclave_info info;
	struct dt d;
	struct dt_encl e;
	uint64_t count = 0;
	size_t free_before;

	(void)state;
	/* Different protections keep the three parts separate VMAs. */
	assert_int_equal(mprotect(PAGE_AT(src, 7), 11 * 4096, PROT_READ), 0);
	dt_init(&d, 16ull << 20, false);
	dt_encl_build(&d, &e, ESIZE, 0);
	free_before = sgxk_epc_free_pages(d.k);
	assert_int_equal(dt_add(&d, e.f, src, 0, NR_SRC * 4096, REG_RW, SGX_PAGE_MEASURE, &count),
			 0);
	assert_int_equal(count, NR_SRC * 4096);
	assert_int_equal(sgxk_enclave_info(e.f, &info), 0);
	assert_int_equal(info.nr_pages, NR_SRC);
	assert_int_equal(sgxk_epc_free_pages(d.k), free_before - NR_SRC);
	expect_init_accepts(&d, &e, src, NR_SRC);
	dt_encl_free(&d, &e);
	dt_fini(&d);
	munmap(src, NR_SRC * 4096);
}

/* Fewer free EPC pages than the call asks for: the free ones are used, then ENOMEM. */
static void test_add_pages_with_few_free_epc_pages_uses_them_then_enomem(void **state)
{
	uint8_t *src = source_pages(NR_SRC);
	struct dt d;
	struct dt_encl e;
	uint64_t count = 0;
	size_t nr_free;

	(void)state;
	dt_setup(&d, 16ull << 20, false, true);
	d.prov.ops.lookup = stale_lookup;
	dt_start(&d);
	snap_start = (uint64_t)(uintptr_t)src;
	snap_end = snap_start + NR_SRC * 4096;
	dt_encl_build(&d, &e, ESIZE, 0);
	nr_free = sgxk_epc_free_pages(d.k);
	/* Use up all but 3 pages of the EPC with a second enclave's pages. */
	{
		struct dt_encl filler;
		uint64_t n = 0, off = 0;

		dt_encl_build(&d, &filler, 16ull << 20, 0);
		nr_free = sgxk_epc_free_pages(d.k);
		for (; nr_free - n / 4096 > 3; off += 4096, n += 4096)
			assert_int_equal(dt_add(&d, filler.f, src, off, 4096, REG_RW, 0, &count),
					 0);
		assert_int_equal(sgxk_epc_free_pages(d.k), 3);
		assert_int_equal(
		    dt_add(&d, e.f, src, 0, 8 * 4096, REG_RW, SGX_PAGE_MEASURE, &count), -ENOMEM);
		assert_int_equal(count, 3 * 4096);
		assert_int_equal(sgxk_epc_free_pages(d.k), 0);
		expect_init_accepts(&d, &e, src, 3);
		dt_encl_free(&d, &filler);
	}
	dt_encl_free(&d, &e);
	dt_fini(&d);
	munmap(src, NR_SRC * 4096);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_run_into_an_unreadable_page_adds_the_pages_before_it_then_efault),
	    cmocka_unit_test(test_add_pages_stopped_mid_run_gives_back_its_staged_pages_zeroed),
	    cmocka_unit_test(test_runs_across_source_mappings_measure_every_page),
	    cmocka_unit_test(test_add_pages_with_few_free_epc_pages_uses_them_then_enomem),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
