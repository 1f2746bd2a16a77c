/* SPDX-License-Identifier: MIT */
/*
 * ADD_PAGES looks for a pending signal before each run of pages (one process_vm_readv: at most
 * 16 pages, within one source mapping), not before each page: a signal raised while a run is
 * added stops the call at the end of that run, with count the pages added so far, and the
 * enclave holds exactly those pages; a source mapping boundary ends a run early.  The source
 * mappings come from a provider that cuts the real source buffer into mappings of N pages and
 * raises SIGUSR1 from its Nth lookup (the lookup of the run's first page).
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "drvtest.h"

#define SRC_PAGES 40
#define ESIZE	  0x100000ull
#define ADD_AT	  0x40000ull
#define REG_RW	  (SGX_SECINFO_TYPE(SGX_PT_REG) | SGX_SECINFO_R | SGX_SECINFO_W)

struct runs {
	struct sgxk_vma_provider ops;
	uint64_t start, end; /* the source buffer */
	uint64_t vma_pages;  /* mappings of that many pages inside it */
	int lookups, raise_at;
};

static int runs_refresh(void *ctx)
{
	(void)ctx;
	return 0;
}

static int runs_lookup(void *ctx, uint64_t addr, struct sgxk_vma *vma)
{
	struct runs *r = ctx;
	uint64_t span = r->vma_pages * 4096;

	r->lookups++;
	if (r->raise_at && r->lookups == r->raise_at)
		raise(SIGUSR1);
	memset(vma, 0, sizeof(*vma));
	if (addr >= r->start && addr < r->end) {
		vma->start = r->start + (addr - r->start) / span * span;
		vma->end = vma->start + span < r->end ? vma->start + span : r->end;
	} else {
		vma->start = addr & ~4095ull;
		vma->end = vma->start + 4096;
	}
	vma->prot = PROT_READ | PROT_WRITE;
	vma->anonymous = true;
	return 0;
}

static volatile sig_atomic_t delivered;

static void on_usr1(int sig)
{
	(void)sig;
	delivered++;
}

static void test_a_signal_during_a_run_stops_add_pages_at_the_end_of_the_run(void **state)
{
	static const struct {
		uint64_t vma_pages;
		int raise_at; /* 0: no signal */
		uint64_t count_pages;
	} cases[] = {
	    {64, 0, SRC_PAGES}, /* no signal: everything */
	    {64, 1, 16},	/* raised at page 0's lookup: the first run of 16 completes */
	    {3, 1, 3},		/* mappings of 3 pages: a run ends at the mapping's end */
	    {3, 2, 6},		/* raised at the second mapping's lookup: its run completes */
	    {20, 2, 36},	/* runs 0-15, 16-19, 20-35: raised at page 20 */
	};
	struct sigaction sa = {.sa_handler = on_usr1};
	uint8_t *src;

	(void)state;
	sigaction(SIGUSR1, &sa, NULL);
	src = mmap(NULL, SRC_PAGES * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		   0);
	assert_ptr_not_equal(src, MAP_FAILED);
	for (size_t i = 0; i < SRC_PAGES * 4096; i++)
		src[i] = (uint8_t)(i * 11 + i / 4096);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct runs r = {
		    .ops = {.refresh = runs_refresh, .lookup = runs_lookup},
		    .start = (uint64_t)(uintptr_t)src,
		    .end = (uint64_t)(uintptr_t)src + SRC_PAGES * 4096,
		    .vma_pages = cases[i].vma_pages,
		};
		struct sgxk_enclave_info before, after;
		struct dt d;
		struct dt_encl e;
		uint64_t count = 0;

		r.ops.ctx = &r;
		dt_setup(&d, 16ull << 20, false, true);
		d.opts.vmas = &r.ops;
		dt_start(&d);
		dt_encl_build(&d, &e, ESIZE, 0);
		assert_int_equal(sgxk_enclave_info(e.f, &before), 0);
		r.lookups = 0;
		r.raise_at = cases[i].raise_at;
		delivered = 0;
		assert_int_equal(dt_add(&d, e.f, src, ADD_AT, SRC_PAGES * 4096, REG_RW,
					SGX_PAGE_MEASURE, &count),
				 0);
		if (count != cases[i].count_pages * 4096)
			fail_msg("case %zu: count %llu pages, expected %llu", i,
				 (unsigned long long)(count / 4096),
				 (unsigned long long)cases[i].count_pages);
		/* Blocked during the call, delivered once it returned. */
		assert_int_equal(delivered, cases[i].raise_at ? 1 : 0);
		assert_int_equal(sgxk_enclave_info(e.f, &after), 0);
		assert_int_equal(after.nr_pages - before.nr_pages, cases[i].count_pages);
		dt_encl_free(&d, &e);
		dt_fini(&d);
	}
	munmap(src, SRC_PAGES * 4096);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_a_signal_during_a_run_stops_add_pages_at_the_end_of_the_run),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
