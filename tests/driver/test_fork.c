/* SPDX-License-Identifier: MIT */
/*
 * fork support of the kernel model (sgxk_fork_prepare/parent/child), driven as the host layer
 * drives it from pthread_atfork: in the child the inherited enclave is unmapped (upstream's
 * VM_DONTCOPY), its file refuses ioctl and mmap with EINVAL and a log line, the EPC is a fresh
 * one of the child's own, and nothing the child does reaches the parent's enclave.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "drvtest.h"

#define ESIZE  0x10000ull
#define REG(p) (SGX_SECINFO_TYPE(SGX_PT_REG) | (p))
#define RW     (SGX_SECINFO_R | SGX_SECINFO_W)
#define TCS    SGX_SECINFO_TYPE(SGX_PT_TCS)
#define MARK   0x5a

static void *at(const struct dt_encl *e, uint64_t off)
{
	return (void *)(uintptr_t)(e->base + off);
}

/* An initialized enclave: TCS, two RW pages at 0x1000, mapped RW over its whole range. */
static void build(struct dt *d, struct dt_encl *e)
{
	struct sgx_sigstruct *s = calloc(1, sizeof(*s));
	int err = 0;

	assert_non_null(s);
	dt_encl_build(d, e, ESIZE, 0);
	dt_encl_add(d, e, 0, 1, TCS, true);
	dt_encl_add(d, e, 0x1000, 2, REG(RW), true);
	dt_encl_finish_measure(e);
	dt_sign(s, e->mrenclave, SGX_ATTR_MODE64BIT, ~0ull, SGX_XFRM_LEGACY);
	assert_int_equal(dt_init_encl(d, e->f, s), 0);
	free(s);
	assert_ptr_equal(sgxk_mmap(d->k, e->f, at(e, 0), ESIZE, PROT_READ | PROT_WRITE,
				   MAP_SHARED | MAP_FIXED, 0, &err),
			 at(e, 0));
}

/* The child's checks, each failure its own exit status. */
enum {
	CHILD_OK,
	CHILD_FORK_FAILED = 10,
	CHILD_EPC_NOT_FRESH,
	CHILD_RANGE_STILL_MAPPED,
	CHILD_RANGE_IN_PAGE_TABLES,
	CHILD_IOCTL_NOT_EINVAL,
	CHILD_NO_LOG_LINE,
	CHILD_MMAP_NOT_EINVAL,
	CHILD_INFO_STILL_CREATED,
	CHILD_CLOSE_FREED_PAGES,
	CHILD_OWN_ENCLAVE_WRONG,
};

static int child(struct dt *d, struct dt_encl *a, size_t parent_secs)
{
	struct sgx_enclave_init init = {0};
	struct sgxk_enclave_info info;
	struct softsgx_err err = {0};
	size_t nr = sgx_epc_nr_pages(sgxk_cpu(d->k));
	const struct sgx_mmu *mmu = sgxk_mmu(d->k);
	struct dt_encl b;
	int e = 0;

	if (sgxk_fork_child(d->k, &err))
		return CHILD_FORK_FAILED;
	if (sgxk_epc_free_pages(d->k) != nr)
		return CHILD_EPC_NOT_FRESH;
	/* msync of an unmapped range is ENOMEM: the range is gone, as VM_DONTCOPY leaves it. */
	if (msync(at(a, 0x1000), 4096, MS_ASYNC) != -1 || errno != ENOMEM)
		return CHILD_RANGE_STILL_MAPPED;
	/* Nor does the CPU see it: EENTER on the old TCS address cannot reach any EPC page. */
	for (uint64_t off = 0; off < ESIZE; off += 4096)
		if (mmu->translate(mmu->ctx, a->base + off, PROT_NONE))
			return CHILD_RANGE_IN_PAGE_TABLES;
	if (sgxk_ioctl(d->k, a->f, SGX_IOC_ENCLAVE_INIT, (unsigned long)&init) != -EINVAL)
		return CHILD_IOCTL_NOT_EINVAL;
	if (!dt_log_has(d, "inherited across fork"))
		return CHILD_NO_LOG_LINE;
	if (sgxk_mmap(d->k, a->f, NULL, 4096, PROT_READ, MAP_SHARED, 0, &e) != MAP_FAILED ||
	    e != -EINVAL)
		return CHILD_MMAP_NOT_EINVAL;
	if (sgxk_enclave_info(a->f, &info) || info.created)
		return CHILD_INFO_STILL_CREATED;
	/* Closing the inherited file EREMOVEs nothing: the pages are the parent's. */
	sgxk_file_put(d->k, a->f);
	if (sgxk_epc_free_pages(d->k) != nr)
		return CHILD_CLOSE_FREED_PAGES;
	/* Its own enclave starts at the bottom of its own EPC: where the parent's SECS is. */
	build(d, &b);
	memset(at(&b, 0x1000), ~MARK & 0xff, 4096);
	if (sgxk_enclave_info(b.f, &info) || !info.initialized || info.secs_index != parent_secs)
		return CHILD_OWN_ENCLAVE_WRONG;
	dt_encl_free(d, &b);
	return sgxk_epc_free_pages(d->k) == nr ? CHILD_OK : CHILD_CLOSE_FREED_PAGES;
}

static void fork_child_gets_its_own_epc_and_none_of_the_parents_enclaves(void **state)
{
	struct sgxk_enclave_info info;
	struct dt_encl a;
	size_t free_before;
	struct dt d;
	int status;
	pid_t pid;

	(void)state;
	dt_init(&d, 16ull << 20, true);
	build(&d, &a);
	memset(at(&a, 0x1000), MARK, 4096);
	assert_int_equal(sgxk_enclave_info(a.f, &info), 0);
	free_before = sgxk_epc_free_pages(d.k);

	sgxk_fork_prepare(d.k);
	pid = fork();
	if (!pid)
		_exit(child(&d, &a, info.secs_index));
	sgxk_fork_parent(d.k);
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), CHILD_OK);

	/* The parent's enclave is as it was: its pages, its EPC accounting, its ioctls. */
	for (size_t i = 0; i < 4096; i++)
		if (((volatile uint8_t *)at(&a, 0x1000))[i] != MARK)
			fail_msg("byte %zu of the parent's page changed", i);
	assert_int_equal(sgxk_epc_free_pages(d.k), free_before);
	assert_int_equal(sgxk_enclave_info(a.f, &info), 0);
	assert_true(info.initialized);
	assert_false(dt_log_has(&d, "inherited across fork"));
	dt_encl_free(&d, &a);
	assert_int_equal(sgxk_epc_free_pages(d.k), sgx_epc_nr_pages(sgxk_cpu(d.k)));
	dt_fini(&d);
}

/* prepare/parent leave the model working in the parent (its locks released). */
static void fork_parent_keeps_a_working_kernel(void **state)
{
	struct dt_encl a, b;
	struct dt d;
	pid_t pid;

	(void)state;
	dt_init(&d, 16ull << 20, true);
	build(&d, &a);
	sgxk_fork_prepare(d.k);
	pid = fork();
	if (!pid)
		_exit(0);
	sgxk_fork_parent(d.k);
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	build(&d, &b);
	assert_int_equal(sgxk_mprotect(d.k, at(&a, 0x1000), 4096, PROT_READ), 0);
	dt_encl_free(&d, &b);
	dt_encl_free(&d, &a);
	assert_int_equal(sgxk_epc_free_pages(d.k), sgx_epc_nr_pages(sgxk_cpu(d.k)));
	dt_fini(&d);
}

/* ---- fork while another thread is inside an ioctl ---- */

struct race {
	struct dt_gate gate; /* phase 1: the ADD_PAGES thread is inside; 2: it may go on */
	struct dt *d;
	struct dt_encl *e;
	long ret;
	uint64_t count;
};

static void *adder(void *arg)
{
	struct race *r = arg;

	r->ret = dt_add(r->d, r->e->f, r->e->page, 0x1000, 0x2000, REG(RW), 0, &r->count);
	return NULL;
}

/* Lets the parked ioctl go on a little later, while the main thread is in fork's prepare. */
static void *releaser(void *arg)
{
	struct race *r = arg;

	usleep(50 * 1000);
	dt_gate_release(&r->gate);
	return NULL;
}

/* The child, with the parent's ADD_PAGES thread gone: every lock it needs must be free. */
static int child_after_race(struct dt *d)
{
	struct dt_encl own;

	dt_encl_build(d, &own, ESIZE, 0);
	dt_encl_add(d, &own, 0, 1, TCS, true);
	dt_encl_add(d, &own, 0x1000, 2, REG(RW), true);
	dt_encl_free(d, &own);
	return 0;
}

static void fork_during_an_ioctl_leaves_no_lock_held_in_the_child(void **state)
{
	struct race r = {0};
	struct dt_encl e;
	pthread_t add, rel;
	struct dt d;
	int status;
	pid_t pid;

	(void)state;
	dt_gate_init(&r.gate);
	dt_setup(&d, 16ull << 20, true, true);
	d.prov.on_lookup = dt_gate_park;
	d.prov.on_lookup_ctx = &r.gate;
	dt_start(&d);
	dt_encl_build(&d, &e, ESIZE, 0);
	r.d = &d;
	r.e = &e;
	pthread_create(&add, NULL, adder, &r);
	dt_gate_wait_parked(&r.gate);
	pthread_create(&rel, NULL, releaser, &r);

	sgxk_fork_prepare(d.k);
	pid = fork();
	if (!pid) {
		struct softsgx_err err = {0};

		alarm(20); /* a lock inherited held would hang: SIGALRM fails the child instead */
		_exit(sgxk_fork_child(d.k, &err) ? 1 : child_after_race(&d));
	}
	sgxk_fork_parent(d.k);
	assert_true(pid > 0);
	pthread_join(rel, NULL);
	pthread_join(add, NULL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	/* The parent's ioctl finished as if nothing had happened. */
	assert_int_equal(r.ret, 0);
	assert_int_equal(r.count, 0x2000);
	dt_encl_free(&d, &e);
	assert_int_equal(sgxk_epc_free_pages(d.k), sgx_epc_nr_pages(sgxk_cpu(d.k)));
	dt_fini(&d);
	dt_gate_destroy(&r.gate);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(fork_child_gets_its_own_epc_and_none_of_the_parents_enclaves),
	    cmocka_unit_test(fork_parent_keeps_a_working_kernel),
	    cmocka_unit_test(fork_during_an_ioctl_leaves_no_lock_held_in_the_child),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
