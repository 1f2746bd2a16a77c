/* SPDX-License-Identifier: MIT */
/*
 * Mappings, faults, teardown and the ioctl discipline: what the process sees at enclave
 * addresses, EAUG on a touch of an SGX2 hole, SIGBUS cases, the page tables the CPU walks,
 * mprotect splitting a mapping, the enclave outliving its fd while mapped, every EPC page back
 * after teardown, concurrent ioctls (EBUSY) and signals during ADD_PAGES.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cmocka.h>

#include "drvtest.h"

#define ESIZE  0x10000ull
#define REG(p) (SGX_SECINFO_TYPE(SGX_PT_REG) | (p))
#define RW     (SGX_SECINFO_R | SGX_SECINFO_W)
#define TCS    SGX_SECINFO_TYPE(SGX_PT_TCS)

static void *at(const struct dt_encl *e, uint64_t off)
{
	return (void *)(uintptr_t)(e->base + off);
}

static void *map(struct dt *d, struct dt_encl *e, uint64_t off, size_t len, int prot)
{
	int err = 0;
	void *p = sgxk_mmap(d->k, e->f, at(e, off), len, prot, MAP_SHARED | MAP_FIXED, 0, &err);

	if (p == MAP_FAILED)
		fail_msg("mmap at +0x%llx: %d", (unsigned long long)off, err);
	assert_ptr_equal(p, at(e, off));
	return p;
}

static void init_encl(struct dt *d, struct dt_encl *e)
{
	struct sgx_sigstruct *s = calloc(1, sizeof(*s));

	dt_encl_finish_measure(e);
	dt_sign(s, e->mrenclave, SGX_ATTR_MODE64BIT, ~0ull, SGX_XFRM_LEGACY);
	assert_int_equal(dt_init_encl(d, e->f, s), 0);
	free(s);
}

/* A kernel without SGX2 and an ESIZE enclave created (ECREATE only) on it. */
static void start_encl(struct dt *d, struct dt_encl *e)
{
	dt_init(d, 16ull << 20, false);
	dt_encl_build(d, e, ESIZE, 0);
}

static void test_mapped_pages_show_what_eadd_copied(void **state)
{
	struct dt d;
	struct dt_encl e;
	const uint8_t *p;

	(void)state;
	start_encl(&d, &e);
	dt_encl_add(&d, &e, 0x2000, 2, REG(RW), true);
	p = map(&d, &e, 0, ESIZE, PROT_READ | PROT_WRITE);
	assert_memory_equal(p + 0x2000, e.page, 4096);
	assert_memory_equal(p + 0x3000, e.page, 4096);
	/* Writes land in the EPC page itself. */
	((uint8_t *)p)[0x2010] = 0xAB;
	{
		struct sgxk_enclave_info info;
		const uint8_t *kv = NULL;

		assert_int_equal(sgxk_enclave_info(e.f, &info), 0);
		for (size_t i = 0; i < sgx_epc_nr_pages(sgxk_cpu(d.k)); i++) {
			struct sgx_epcm_view v;

			if (!sgx_epcm_read(sgxk_cpu(d.k), i, &v) && v.valid &&
			    v.enclave_addr == e.base + 0x2000)
				kv = sgx_epc_page(sgxk_cpu(d.k), i);
		}
		assert_non_null(kv);
		assert_int_equal(kv[0x10], 0xAB);
	}
	/* A hole of an enclave without SGX2 is SIGBUS. */
	assert_int_equal(sgxk_fault(d.k, e.base + 0x5000, PROT_READ), -EIO);
	dt_encl_free(&d, &e);
	dt_fini(&d);
}

static void test_pages_added_after_mmap_appear_in_the_mapping(void **state)
{
	struct dt d;
	struct dt_encl e;
	const uint8_t *p;

	(void)state;
	start_encl(&d, &e);
	p = map(&d, &e, 0, ESIZE, PROT_READ);
	dt_encl_add(&d, &e, 0x4000, 1, REG(SGX_SECINFO_R), true);
	assert_memory_equal(p + 0x4000, e.page, 4096);
	/* A page whose max is below the mapping's prot stays inaccessible: SIGBUS. */
	map(&d, &e, 0x6000, 0x1000, PROT_READ | PROT_WRITE);
	dt_encl_add(&d, &e, 0x6000, 1, REG(SGX_SECINFO_R), true);
	assert_int_equal(sgxk_fault(d.k, e.base + 0x6000, PROT_READ), -EIO);
	assert_null(sgxk_mmu(d.k)->translate(sgxk_mmu(d.k)->ctx, e.base + 0x6000, PROT_READ));
	dt_encl_free(&d, &e);
	dt_fini(&d);
}

static void test_touching_a_hole_of_an_initialized_sgx2_enclave_eaugs_a_page(void **state)
{
	struct dt d;
	struct dt_encl e;
	struct sgxk_enclave_info before, after;
	struct sgx_epcm_view v;
	const struct sgx_mmu *mmu;
	uint8_t *page;
	size_t free_before;

	(void)state;
	dt_init(&d, 16ull << 20, true);
	dt_encl_build(&d, &e, ESIZE, 0);
	dt_encl_add(&d, &e, 0, 1, TCS, true);
	map(&d, &e, 0, ESIZE, PROT_READ | PROT_WRITE);
	/* Before INIT a hole is SIGBUS even with SGX2. */
	assert_int_equal(sgxk_fault(d.k, e.base + 0x8000, PROT_READ), -EIO);
	init_encl(&d, &e);
	assert_int_equal(sgxk_enclave_info(e.f, &before), 0);
	free_before = sgxk_epc_free_pages(d.k);
	assert_int_equal(sgxk_fault(d.k, e.base + 0x8123, PROT_WRITE), 0);
	assert_int_equal(sgxk_enclave_info(e.f, &after), 0);
	assert_int_equal(after.nr_pages, before.nr_pages + 1);
	assert_int_equal(sgxk_epc_free_pages(d.k), free_before - 1);
	mmu = sgxk_mmu(d.k);
	page = mmu->translate(mmu->ctx, e.base + 0x8000, PROT_READ | PROT_WRITE);
	assert_non_null(page);
	assert_int_equal(sgx_epcm_read(sgxk_cpu(d.k), sgx_epc_index(sgxk_cpu(d.k), page), &v), 0);
	assert_true(v.valid && v.pending);
	assert_int_equal(v.page_type, SGX_PT_REG);
	assert_int_equal(v.enclave_addr, e.base + 0x8000);
	/*
	 * The page is mapped at its address, but PENDING until the enclave accepts it: the
	 * mapping is what the EPCM grants, nothing (process_vm_readv probes without faulting).
	 */
	{
		uint8_t byte;
		struct iovec local = {&byte, 1}, remote = {at(&e, 0x8000), 1};

		assert_int_equal(process_vm_readv(getpid(), &local, 1, &remote, 1, 0), -1);
		assert_int_equal(errno, EFAULT);
	}
	/* A second fault there is no longer a hole: the EPCM (PENDING) is what refuses. */
	assert_int_equal(sgxk_fault(d.k, e.base + 0x8000, PROT_READ), -EFAULT);
	/* Outside BASE..BASE+SIZE nothing can be added: the mapping cannot exist after INIT. */
	dt_encl_free(&d, &e);
	assert_int_equal(sgxk_epc_free_pages(d.k), sgx_epc_nr_pages(sgxk_cpu(d.k)));
	dt_fini(&d);
}

static void test_faults_outside_the_mapping_prot_are_access_errors(void **state)
{
	struct dt d;
	struct dt_encl e;

	(void)state;
	dt_init(&d, 16ull << 20, true);
	dt_encl_build(&d, &e, ESIZE, 0);
	dt_encl_add(&d, &e, 0x1000, 1, REG(RW), true);
	map(&d, &e, 0x1000, 0x1000, PROT_READ);
	assert_int_equal(sgxk_fault(d.k, e.base + 0x1000, PROT_WRITE), -EFAULT);
	assert_int_equal(sgxk_fault(d.k, e.base + 0x3000, PROT_READ), SGXK_NOT_ENCLAVE);
	assert_int_equal(sgxk_fault(d.k, 0x1000, PROT_READ), SGXK_NOT_ENCLAVE);
	dt_encl_free(&d, &e);
	dt_fini(&d);
}

static void test_page_tables_follow_mprotect_per_page(void **state)
{
	struct dt d;
	struct dt_encl e;
	const struct sgx_mmu *mmu;

	(void)state;
	start_encl(&d, &e);
	dt_encl_add(&d, &e, 0x1000, 3, REG(RW | SGX_SECINFO_X), true);
	mmu = sgxk_mmu(d.k);
	map(&d, &e, 0x1000, 0x3000, PROT_READ | PROT_WRITE);
	assert_int_equal(sgxk_mprotect(d.k, at(&e, 0x2000), 0x1000, PROT_READ | PROT_EXEC), 0);
	assert_non_null(mmu->translate(mmu->ctx, e.base + 0x1000, PROT_WRITE));
	assert_null(mmu->translate(mmu->ctx, e.base + 0x2000, PROT_WRITE));
	assert_non_null(mmu->translate(mmu->ctx, e.base + 0x2000, PROT_EXEC));
	assert_non_null(mmu->translate(mmu->ctx, e.base + 0x3fff, PROT_WRITE));
	assert_null(mmu->translate(mmu->ctx, e.base + 0x4000, PROT_READ));
	/* Back to RW: the pieces merge and behave as one mapping again. */
	assert_int_equal(sgxk_mprotect(d.k, at(&e, 0x2000), 0x1000, PROT_READ | PROT_WRITE), 0);
	assert_non_null(mmu->translate(mmu->ctx, e.base + 0x2000, PROT_WRITE));
	/* mprotect of memory that is no enclave mapping is not ours. */
	assert_int_equal(sgxk_mprotect(d.k, at(&e, 0x8000), 0x1000, PROT_READ), SGXK_NOT_ENCLAVE);
	/* Partly enclave, partly a hole in the address space: ENOMEM after the enclave part. */
	dt_unreserve(e.base + 0x4000, 0x1000);
	assert_int_equal(sgxk_mprotect(d.k, at(&e, 0x3000), 0x2000, PROT_READ), -ENOMEM);
	assert_null(mmu->translate(mmu->ctx, e.base + 0x3000, PROT_WRITE));
	dt_encl_free(&d, &e);
	dt_fini(&d);
}

static void test_enclave_outlives_close_while_mapped(void **state)
{
	struct dt d;
	struct dt_encl e;
	size_t start;

	(void)state;
	dt_init(&d, 16ull << 20, false);
	start = sgxk_epc_free_pages(d.k);
	dt_encl_build(&d, &e, ESIZE, 0);
	dt_encl_add(&d, &e, 0, 1, TCS, true);
	dt_encl_add(&d, &e, 0x1000, 4, REG(RW), true);
	map(&d, &e, 0, 0x4000, PROT_READ | PROT_WRITE);
	map(&d, &e, 0x4000, 0x1000, PROT_READ);
	sgxk_file_put(d.k, e.f);
	e.f = NULL;
	assert_int_equal(sgxk_epc_free_pages(d.k), start - 6);
	assert_memory_equal(at(&e, 0x1000), e.page, 4096);
	assert_int_equal(sgxk_munmap(d.k, at(&e, 0), 0x2000), 0);
	assert_int_equal(sgxk_epc_free_pages(d.k), start - 6);
	assert_int_equal(sgxk_munmap(d.k, at(&e, 0x2000), 0x3000), 0);
	assert_int_equal(sgxk_epc_free_pages(d.k), start);
	assert_int_equal(sgxk_munmap(d.k, at(&e, 0x2000), 0x3000), SGXK_NOT_ENCLAVE);
	dt_encl_free(&d, &e);
	dt_fini(&d);
}

static void test_teardown_returns_every_epc_page_across_enclaves(void **state)
{
	struct dt d;
	struct dt_encl a, b;
	size_t start;

	(void)state;
	dt_init(&d, 16ull << 20, true);
	start = sgxk_epc_free_pages(d.k);
	assert_int_equal(start, sgx_epc_nr_pages(sgxk_cpu(d.k)));
	for (int round = 0; round < 3; round++) {
		dt_encl_build(&d, &a, ESIZE, 0);
		dt_encl_build(&d, &b, 2 * ESIZE, SGX_ATTR_DEBUG);
		dt_encl_add(&d, &a, 0, 1, TCS, true);
		dt_encl_add(&d, &a, 0x1000, 7, REG(RW), round & 1);
		dt_encl_add(&d, &b, 0, 1, TCS, true);
		dt_encl_add(&d, &b, 0x8000, 9, REG(SGX_SECINFO_R | SGX_SECINFO_X), true);
		init_encl(&d, &a);
		map(&d, &b, 0, 2 * ESIZE, PROT_READ);
		assert_int_equal(sgxk_epc_free_pages(d.k), start - 8 - 10 - 2);
		dt_encl_free(&d, &a);
		assert_int_equal(sgxk_epc_free_pages(d.k), start - 10 - 1);
		assert_int_equal(sgxk_munmap(d.k, at(&b, 0), 2 * ESIZE), 0);
		dt_encl_free(&d, &b);
		assert_int_equal(sgxk_epc_free_pages(d.k), start);
	}
	/* Destroying the kernel with enclaves still open and mapped frees them too (ASan). */
	dt_encl_build(&d, &a, ESIZE, 0);
	dt_encl_add(&d, &a, 0x1000, 2, REG(RW), true);
	map(&d, &a, 0, ESIZE, PROT_READ);
	dt_fini(&d);
	a.f = NULL;
	dt_encl_free(&d, &a);
}

static void test_epc_exhaustion_is_enomem_and_nothing_leaks(void **state)
{
	struct dt d;
	struct dt_encl e;
	uint64_t count = 0;
	void *src;
	long ret;

	(void)state;
	/* 16 pages of EPC: the SECS and 15 more. */
	dt_init(&d, 16 * 4096, false);
	dt_encl_build(&d, &e, 0x20000, 0);
	src = mmap(NULL, 0x20000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ret = dt_add(&d, e.f, src, 0, 0x20000, REG(RW), SGX_PAGE_MEASURE, &count);
	assert_int_equal(ret, -ENOMEM);
	assert_int_equal(count, 15 * 4096);
	assert_int_equal(sgxk_epc_free_pages(d.k), 0);
	dt_encl_free(&d, &e);
	assert_int_equal(sgxk_epc_free_pages(d.k), 16);
	munmap(src, 0x20000);
	dt_fini(&d);
}

/* ---- one ioctl at a time ---- */

struct race {
	struct dt *d;
	struct dt_encl *e;
	struct dt_gate gate; /* phase 1: the ADD_PAGES ioctl is inside; 2: the other tried */
	long other;
};

static void *second_thread(void *arg)
{
	struct race *r = arg;
	struct sgx_sigstruct *s = calloc(1, sizeof(*s));

	dt_gate_wait_parked(&r->gate);
	r->other = dt_init_encl(r->d, r->e->f, s);
	dt_gate_release(&r->gate);
	free(s);
	return NULL;
}

static void test_two_threads_ioctl_on_one_enclave_one_gets_ebusy(void **state)
{
	struct dt d;
	struct dt_encl e;
	struct race r = {.d = &d, .e = &e};
	uint64_t count = 0;
	pthread_t t;

	(void)state;
	dt_setup(&d, 16ull << 20, false, true);
	d.prov.on_lookup = dt_gate_park;
	d.prov.on_lookup_ctx = &r.gate;
	dt_start(&d);
	dt_gate_init(&r.gate);
	dt_encl_build(&d, &e, ESIZE, 0);
	pthread_create(&t, NULL, second_thread, &r);
	assert_int_equal(dt_add(&d, e.f, e.page, 0x1000, 0x2000, REG(RW), 0, &count), 0);
	pthread_join(t, NULL);
	assert_int_equal(r.other, -EBUSY);
	assert_int_equal(count, 0x2000);
	/* Once the first ioctl returned, the enclave takes ioctls again. */
	assert_int_equal(dt_add(&d, e.f, e.page, 0x4000, 0x1000, REG(RW), 0, &count), 0);
	dt_encl_free(&d, &e);
	dt_fini(&d);
	dt_gate_destroy(&r.gate);
}

/* ---- signals ---- */

static volatile sig_atomic_t delivered;

static void on_usr1(int sig)
{
	(void)sig;
	delivered++;
}

static void test_signal_during_add_pages_stops_early_or_restarts(void **state)
{
	struct sigaction sa = {.sa_handler = on_usr1};
	struct sgxk_enclave_info info;
	struct dt d;
	struct dt_encl e;
	uint64_t count = 0;
	uint8_t *src;
	sigset_t block;

	(void)state;
	sigaction(SIGUSR1, &sa, NULL);
	src = mmap(NULL, 0x8000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	dt_setup(&d, 16ull << 20, false, true);
	dt_start(&d);
	dt_encl_build(&d, &e, ESIZE, 0);

	/* Arrives while the third page is added: two pages done, stop, 0, count < length. */
	d.prov.raise_on_lookup = SIGUSR1;
	d.prov.raise_at = d.prov.lookups + 2;
	delivered = 0;
	assert_int_equal(dt_add(&d, e.f, src, 0, 0x8000, REG(RW), SGX_PAGE_MEASURE, &count), 0);
	assert_int_equal(delivered, 1); /* delivered once the ioctl returned */
	assert_int_equal(count, 0x2000);
	assert_int_equal(sgxk_enclave_info(e.f, &info), 0);
	assert_int_equal(info.nr_pages, 2);

	/* A signal the caller blocks does not interrupt, and waits for the caller. */
	d.prov.raise_on_lookup = 0;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &block, NULL);
	delivered = 0;
	raise(SIGUSR1);
	assert_int_equal(dt_add(&d, e.f, src, 0x4000, 0x2000, REG(RW), 0, &count), 0);
	assert_int_equal(count, 0x2000);
	assert_int_equal(delivered, 0);
	pthread_sigmask(SIG_UNBLOCK, &block, NULL);
	assert_int_equal(delivered, 1);

	d.prov.raise_on_lookup = SIGUSR1;
	d.prov.raise_at = d.prov.lookups + 1;
	delivered = 0;
	/* Raised by the first page's lookup, but that page completes: progress, then stop. */
	assert_int_equal(dt_add(&d, e.f, src, 0x6000, 0x2000, REG(RW), 0, &count), 0);
	assert_int_equal(count, 0x1000);
	assert_int_equal(delivered, 1);
	dt_encl_free(&d, &e);
	munmap(src, 0x8000);
	dt_fini(&d);
}

static void test_signal_before_the_first_page_is_eintr_with_count_zero(void **state)
{
	struct sigaction sa = {.sa_handler = on_usr1};
	struct sgxk_enclave_info info;
	struct dt d;
	struct dt_encl e;
	uint64_t count = 1;
	size_t free_before;

	(void)state;
	sigaction(SIGUSR1, &sa, NULL);
	dt_setup(&d, 16ull << 20, false, true);
	dt_start(&d);
	dt_encl_build(&d, &e, ESIZE, 0);
	free_before = sgxk_epc_free_pages(d.k);
	/* The scripted provider's refresh runs inside the ioctl, before the first page. */
	d.prov.raise_on_refresh = SIGUSR1;
	delivered = 0;
	assert_int_equal(dt_add(&d, e.f, e.page, 0, 0x2000, REG(RW), 0, &count), -EINTR);
	assert_int_equal(count, 0);
	assert_int_equal(delivered, 1);
	assert_int_equal(sgxk_enclave_info(e.f, &info), 0);
	assert_int_equal(info.nr_pages, 0);
	assert_int_equal(sgxk_epc_free_pages(d.k), free_before);
	dt_encl_free(&d, &e);
	dt_fini(&d);
}

/* A handler with SA_RESTART: the interrupted ADD_PAGES starts again and completes. */
static void test_signal_with_sa_restart_restarts_add_pages(void **state)
{
	struct sigaction sa = {.sa_handler = on_usr1, .sa_flags = SA_RESTART};
	struct sgxk_enclave_info info;
	struct dt d;
	struct dt_encl e;
	uint64_t count = 1;

	(void)state;
	sigaction(SIGUSR1, &sa, NULL);
	dt_setup(&d, 16ull << 20, false, true);
	dt_start(&d);
	dt_encl_build(&d, &e, ESIZE, 0);
	d.prov.raise_on_refresh = SIGUSR1;
	delivered = 0;
	assert_int_equal(dt_add(&d, e.f, e.page, 0, 0x2000, REG(RW), 0, &count), 0);
	assert_int_equal(count, 0x2000);
	assert_int_equal(delivered, 1);
	assert_int_equal(sgxk_enclave_info(e.f, &info), 0);
	assert_int_equal(info.nr_pages, 2);
	sa.sa_flags = 0;
	sigaction(SIGUSR1, &sa, NULL);
	dt_encl_free(&d, &e);
	dt_fini(&d);
}

static void test_device_paths_are_normalised(void **state)
{
	static const struct {
		const char *path;
		bool device;
	} paths[] = {
	    {"/dev/sgx_enclave", true},	       {"/dev//sgx_enclave", true},
	    {"/dev/./sgx_enclave", true},      {"/dev/sgx/../sgx_enclave", true},
	    {"/dev/sgx/enclave", true},	       {"/dev/sgx_provision", true},
	    {"//dev/sgx_provision/", true},    {"/dev/sgx_enclave2", false},
	    {"dev/sgx_enclave", false},	       {"/dev/sgx", false},
	    {"/tmp/../dev/sgx_enclave", true}, {"/dev/sgx_vepc", false},
	};
	struct sgxk_file *f = NULL;
	struct dt d;

	(void)state;
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (sgxk_is_device(paths[i].path) != paths[i].device)
			fail_msg("%s: device %d", paths[i].path, !paths[i].device);
	dt_init(&d, 16ull << 20, false);
	assert_int_equal(sgxk_open(d.k, "/dev/sgx_vepc", O_RDWR, &f), -ENOENT);
	assert_int_equal(sgxk_open(d.k, "/dev/sgx/enclave", O_RDWR, &f), 0);
	assert_non_null(sgxk_file_get(f));
	sgxk_file_put(d.k, f);
	sgxk_file_put(d.k, f);
	dt_fini(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_mapped_pages_show_what_eadd_copied),
	    cmocka_unit_test(test_pages_added_after_mmap_appear_in_the_mapping),
	    cmocka_unit_test(test_touching_a_hole_of_an_initialized_sgx2_enclave_eaugs_a_page),
	    cmocka_unit_test(test_faults_outside_the_mapping_prot_are_access_errors),
	    cmocka_unit_test(test_page_tables_follow_mprotect_per_page),
	    cmocka_unit_test(test_enclave_outlives_close_while_mapped),
	    cmocka_unit_test(test_teardown_returns_every_epc_page_across_enclaves),
	    cmocka_unit_test(test_epc_exhaustion_is_enomem_and_nothing_leaks),
	    cmocka_unit_test(test_two_threads_ioctl_on_one_enclave_one_gets_ebusy),
	    cmocka_unit_test(test_signal_during_add_pages_stops_early_or_restarts),
	    cmocka_unit_test(test_signal_before_the_first_page_is_eintr_with_count_zero),
	    cmocka_unit_test(test_signal_with_sa_restart_restarts_add_pages),
	    cmocka_unit_test(test_device_paths_are_normalised),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
