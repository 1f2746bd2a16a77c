/* SPDX-License-Identifier: MIT */
/*
 * The page tables the emulated CPU walks (the kernel model's struct sgx_mmu, src/driver/
 * pgtable.c), as the host layer's handlers use them: a translation needs no lock, so a handler
 * that interrupted its own thread while that thread held the kernel model's locks still gets
 * its answer; and the answer follows every mapping change (mmap, mprotect, munmap, MAP_FIXED
 * over the enclave) exactly as the VMAs and pages say.
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "driver.h"
#include "drvtest.h"

#define ESIZE  0x10000ull
#define REG(p) (SGX_SECINFO_TYPE(SGX_PT_REG) | (p))
#define RW     (SGX_SECINFO_R | SGX_SECINFO_W)
#define RWX    (SGX_SECINFO_R | SGX_SECINFO_W | SGX_SECINFO_X)
#define TCS    SGX_SECINFO_TYPE(SGX_PT_TCS)

static struct dt d;
static struct dt_encl e;

/* An initialized enclave: TCS at 0, RW pages at 0x1000-0x2fff, RWX at 0x3000, mapped RW. */
static int setup(void **state)
{
	struct sgx_sigstruct *s = calloc(1, sizeof(*s));
	int err = 0;

	(void)state;
	assert_non_null(s);
	dt_init(&d, 1 << 20, false);
	dt_encl_build(&d, &e, ESIZE, 0);
	dt_encl_add(&d, &e, 0, 1, TCS, true);
	dt_encl_add(&d, &e, 0x1000, 2, REG(RW), true);
	dt_encl_add(&d, &e, 0x3000, 1, REG(RWX), true);
	dt_encl_finish_measure(&e);
	dt_sign(s, e.mrenclave, SGX_ATTR_MODE64BIT, ~0ull, SGX_XFRM_LEGACY);
	assert_int_equal(dt_init_encl(&d, e.f, s), 0);
	free(s);
	assert_int_equal((uint64_t)(uintptr_t)sgxk_mmap(d.k, e.f, (void *)(uintptr_t)e.base, ESIZE,
							PROT_READ | PROT_WRITE,
							MAP_SHARED | MAP_FIXED, 0, &err),
			 e.base);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	sgxk_munmap(d.k, (void *)(uintptr_t)e.base, ESIZE);
	dt_encl_free(&d, &e);
	dt_fini(&d);
	return 0;
}

static void *translate(uint64_t off, int prot)
{
	const struct sgx_mmu *mmu = sgxk_mmu(d.k);

	return mmu->translate(mmu->ctx, e.base + off, prot);
}

/* The EPC page the driver keeps for the enclave page at @off (NULL: none). */
static void *epc_page(uint64_t off)
{
	struct sgxk_page *p = sgxk_page_lookup(d.k->encls, e.base + off);

	return p ? sgxk_epc_addr(d.k, p->epc) : NULL;
}

static void on_alarm(int sig)
{
	(void)sig;
	fail_msg("translate waited for a lock its own thread holds");
}

static void translate_needs_no_lock_its_thread_holds(void **state)
{
	struct sgxk_encl *encl = e.f->encl;
	void *expect = epc_page(0x1000);

	(void)state;
	assert_non_null(expect);
	signal(SIGALRM, on_alarm);
	alarm(10);
	/* As a signal handler finds them after interrupting sgxk_mprotect's populate. */
	pthread_rwlock_wrlock(&d.k->mm_lock);
	pthread_mutex_lock(&encl->lock);
	assert_ptr_equal(translate(0x1000, PROT_READ | PROT_WRITE), expect);
	assert_ptr_equal(translate(0x1fff, PROT_READ), expect);
	pthread_mutex_unlock(&encl->lock);
	pthread_rwlock_unlock(&d.k->mm_lock);
	alarm(0);
	signal(SIGALRM, SIG_DFL);
}

struct change {
	const char *what;
	int (*apply)(void);
	uint64_t off;
	int prot;
	bool mapped; /* translate(off, prot) gives the page */
};

static int map_rw(void)
{
	int err = 0;

	return sgxk_mmap(d.k, e.f, (void *)(uintptr_t)e.base, ESIZE, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_FIXED, 0, &err) == MAP_FAILED
		   ? err
		   : 0;
}

static int protect_read(void)
{
	return sgxk_mprotect(d.k, (void *)(uintptr_t)(e.base + 0x1000), 0x1000, PROT_READ);
}

static int protect_rwx_page(void)
{
	return sgxk_mprotect(d.k, (void *)(uintptr_t)(e.base + 0x3000), 0x1000,
			     PROT_READ | PROT_WRITE | PROT_EXEC);
}

static int unmap_second(void)
{
	return sgxk_munmap(d.k, (void *)(uintptr_t)(e.base + 0x2000), 0x1000);
}

/* Anonymous memory over the enclave's mapping, as a program's MAP_FIXED would put there. */
static int anonymous_over(void)
{
	if (sgxk_munmap(d.k, (void *)(uintptr_t)e.base, ESIZE))
		return -1;
	return mmap((void *)(uintptr_t)e.base, ESIZE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED
		   ? -1
		   : 0;
}

static int none(void)
{
	return 0;
}

static void translation_follows_the_mappings(void **state)
{
	static const struct change table[] = {
	    {"mapped RW: a RW page for RW", none, 0x1000, PROT_READ | PROT_WRITE, true},
	    {"mapped RW: the TCS page", none, 0x0, PROT_READ, true},
	    {"mapped RW: no execute", none, 0x3000, PROT_EXEC, false},
	    {"mapped RW: a hole (no page added)", none, 0x8000, PROT_READ, false},
	    {"mprotect R: read", protect_read, 0x1000, PROT_READ, true},
	    {"mprotect R: no write", none, 0x1000, PROT_WRITE, false},
	    {"mprotect R: its neighbour keeps RW", none, 0x2000, PROT_WRITE, true},
	    {"mprotect RWX on an RWX page: execute", protect_rwx_page, 0x3000, PROT_EXEC, true},
	    {"munmap of one page: gone", unmap_second, 0x2000, PROT_READ, false},
	    {"munmap of one page: the one before stays", none, 0x1000, PROT_READ, true},
	    {"mmap over all of it again", map_rw, 0x2000, PROT_READ | PROT_WRITE, true},
	    {"anonymous MAP_FIXED over the enclave", anonymous_over, 0x1000, PROT_READ, false},
	    {"anonymous MAP_FIXED over the enclave: TCS", none, 0x0, PROT_READ, false},
	    {"mapped again", map_rw, 0x1000, PROT_READ | PROT_WRITE, true},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		const struct change *c = &table[i];
		void *got;

		if (c->apply() != 0)
			fail_msg("%s: the change failed", c->what);
		got = translate(c->off, c->prot);
		if (c->mapped && got != epc_page(c->off))
			fail_msg("%s: translate gave %p, the page is %p", c->what, got,
				 epc_page(c->off));
		if (!c->mapped && got)
			fail_msg("%s: translate gave %p, expected nothing", c->what, got);
	}
}

/* Addresses no mapping can have: beyond 57 bits, the top of the 47-bit space, zero. */
static void translation_of_unmappable_addresses_is_nothing(void **state)
{
	static const uint64_t addrs[] = {0,	     4096,	 (1ull << 47) - 4096,
					 1ull << 47, 1ull << 57, ~0ull & ~4095ull};
	const struct sgx_mmu *mmu = sgxk_mmu(d.k);

	(void)state;
	for (size_t i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++)
		assert_null(mmu->translate(mmu->ctx, addrs[i], PROT_READ));
}

/*
 * An enclave of 1 GiB with three pages: mmap populates it the sparse way (holes first, then
 * the pages), which must leave no stale entry behind and find the pages at both ends.
 */
static void translation_of_a_large_sparse_enclave(void **state)
{
	const uint64_t size = 1ull << 30;
	struct sgx_sigstruct *s = calloc(1, sizeof(*s));
	const struct sgx_mmu *mmu = sgxk_mmu(d.k);
	struct dt_encl big;
	int err = 0;

	(void)state;
	assert_non_null(s);
	dt_encl_build(&d, &big, size, 0);
	dt_encl_add(&d, &big, 0, 1, TCS, true);
	dt_encl_add(&d, &big, 0x1000, 1, REG(RW), true);
	dt_encl_add(&d, &big, size - 0x1000, 1, REG(RW), true);
	dt_encl_finish_measure(&big);
	dt_sign(s, big.mrenclave, SGX_ATTR_MODE64BIT, ~0ull, SGX_XFRM_LEGACY);
	assert_int_equal(dt_init_encl(&d, big.f, s), 0);
	free(s);
	assert_int_equal((uint64_t)(uintptr_t)sgxk_mmap(d.k, big.f, (void *)(uintptr_t)big.base,
							size, PROT_READ | PROT_WRITE,
							MAP_SHARED | MAP_FIXED, 0, &err),
			 big.base);
	assert_non_null(mmu->translate(mmu->ctx, big.base + 0x1000, PROT_WRITE));
	assert_null(mmu->translate(mmu->ctx, big.base + 0x2000, PROT_READ));
	assert_null(mmu->translate(mmu->ctx, big.base + size / 2, PROT_READ));
	assert_non_null(mmu->translate(mmu->ctx, big.base + size - 0x1000, PROT_WRITE));
	assert_int_equal(sgxk_munmap(d.k, (void *)(uintptr_t)big.base, size), 0);
	assert_null(mmu->translate(mmu->ctx, big.base + 0x1000, PROT_READ));
	assert_null(mmu->translate(mmu->ctx, big.base + size - 0x1000, PROT_READ));
	dt_encl_free(&d, &big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(translate_needs_no_lock_its_thread_holds),
	    cmocka_unit_test(translation_follows_the_mappings),
	    cmocka_unit_test(translation_of_unmappable_addresses_is_nothing),
	    cmocka_unit_test(translation_of_a_large_sparse_enclave),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
