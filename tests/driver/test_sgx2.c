/* SPDX-License-Identifier: MIT */
/*
 * The SGX2 ioctls: RESTRICT_PERMISSIONS, MODIFY_TYPES and REMOVE_PAGES, every errno row of
 * the spec, count/result written back, the EPCM and the page's max protections after each,
 * and REMOVE_PAGES of a trimmed page only once the enclave has EACCEPTed it (driven through
 * the emulated CPU's ENCLU: EENTER, EACCEPT, EEXIT).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "drvtest.h"

#define ESIZE	 0x10000ull
#define REG(p)	 (SGX_SECINFO_TYPE(SGX_PT_REG) | (p))
#define RW	 (SGX_SECINFO_R | SGX_SECINFO_W)
#define RWX	 (RW | SGX_SECINFO_X)
#define TCS	 SGX_SECINFO_TYPE(SGX_PT_TCS)
#define UNMAPPED 0x10ul
/* Layout: TCS, its SSA frame, a page holding SECINFOs for EACCEPT, RWX targets, an R page. */
#define OFF_SSA	    0x1000
#define OFF_SECINFO 0x2000
#define OFF_TARGET  0x3000 /* four RWX pages */
#define OFF_RONLY   0x7000

struct sgx2 {
	struct dt d;
	struct dt_encl e;
};

static void setup(struct sgx2 *s, bool init)
{
	struct sgx_sigstruct *sig = calloc(1, sizeof(*sig));
	struct sgx_secinfo *si;
	int err = 0;

	dt_init(&s->d, 16ull << 20, true);
	dt_encl_build(&s->d, &s->e, ESIZE, 0);
	dt_encl_add(&s->d, &s->e, 0, 1, TCS, true);
	dt_encl_add(&s->d, &s->e, OFF_SSA, 1, REG(RW), true);
	/* SECINFO for EACCEPT of a trimmed page at offset 0, of a TCS at 64. */
	memset(s->e.page, 0, 4096);
	si = (struct sgx_secinfo *)s->e.page;
	si[0].flags = SGX_SECINFO_TYPE(SGX_PT_TRIM) | SGX_SECINFO_MODIFIED;
	si[1].flags = SGX_SECINFO_TYPE(SGX_PT_TCS) | SGX_SECINFO_MODIFIED;
	dt_encl_add(&s->d, &s->e, OFF_SECINFO, 1, REG(SGX_SECINFO_R), true);
	dt_encl_add(&s->d, &s->e, OFF_TARGET, 4, REG(RWX), true);
	dt_encl_add(&s->d, &s->e, OFF_RONLY, 1, REG(SGX_SECINFO_R), true);
	{
		static const struct {
			uint64_t off, len;
			int prot;
		} maps[] = {
		    {0, OFF_SECINFO, PROT_READ | PROT_WRITE},
		    {OFF_SECINFO, 0x1000, PROT_READ},
		    {OFF_TARGET, OFF_RONLY - OFF_TARGET, PROT_READ | PROT_WRITE},
		    {OFF_RONLY, ESIZE - OFF_RONLY, PROT_READ},
		};

		for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++)
			assert_true(sgxk_mmap(s->d.k, s->e.f,
					      (void *)(uintptr_t)(s->e.base + maps[i].off),
					      maps[i].len, maps[i].prot, MAP_SHARED | MAP_FIXED, 0,
					      &err) != MAP_FAILED);
	}
	if (init) {
		dt_encl_finish_measure(&s->e);
		dt_sign(sig, s->e.mrenclave, SGX_ATTR_MODE64BIT, ~0ull, SGX_XFRM_LEGACY);
		assert_int_equal(dt_init_encl(&s->d, s->e.f, sig), 0);
	}
	free(sig);
}

static void teardown(struct sgx2 *s)
{
	dt_encl_free(&s->d, &s->e);
	assert_int_equal(sgxk_epc_free_pages(s->d.k), sgx_epc_nr_pages(sgxk_cpu(s->d.k)));
	dt_fini(&s->d);
}

static struct sgx_epcm_view epcm_at(struct sgx2 *s, uint64_t off)
{
	const struct sgx_mmu *mmu = sgxk_mmu(s->d.k);
	void *p = mmu->translate(mmu->ctx, s->e.base + off, PROT_NONE);
	struct sgx_epcm_view v = {0};

	assert_non_null(p);
	assert_int_equal(sgx_epcm_read(sgxk_cpu(s->d.k), sgx_epc_index(sgxk_cpu(s->d.k), p), &v),
			 0);
	return v;
}

static long restrict_perm(struct sgx2 *s, uint64_t off, uint64_t len, uint64_t perm,
			  struct sgx_enclave_restrict_permissions *p)
{
	memset(p, 0, sizeof(*p));
	p->offset = off;
	p->length = len;
	p->permissions = perm;
	return sgxk_ioctl(s->d.k, s->e.f, SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS, (unsigned long)p);
}

static long modify(struct sgx2 *s, uint64_t off, uint64_t len, uint64_t type,
		   struct sgx_enclave_modify_types *p)
{
	memset(p, 0, sizeof(*p));
	p->offset = off;
	p->length = len;
	p->page_type = type;
	return sgxk_ioctl(s->d.k, s->e.f, SGX_IOC_ENCLAVE_MODIFY_TYPES, (unsigned long)p);
}

static long remove_pages(struct sgx2 *s, uint64_t off, uint64_t len,
			 struct sgx_enclave_remove_pages *p)
{
	memset(p, 0, sizeof(*p));
	p->offset = off;
	p->length = len;
	return sgxk_ioctl(s->d.k, s->e.f, SGX_IOC_ENCLAVE_REMOVE_PAGES, (unsigned long)p);
}

static void test_sgx2_ioctls_need_an_initialized_enclave(void **state)
{
	struct sgx_enclave_restrict_permissions rp;
	struct sgx_enclave_modify_types mt;
	struct sgx_enclave_remove_pages rm;
	struct sgx2 s;

	(void)state;
	setup(&s, false);
	assert_int_equal(restrict_perm(&s, OFF_TARGET, 4096, SGX_SECINFO_R, &rp), -EINVAL);
	assert_int_equal(modify(&s, OFF_TARGET, 4096, SGX_PT_TRIM, &mt), -EINVAL);
	assert_int_equal(remove_pages(&s, OFF_TARGET, 4096, &rm), -EINVAL);
	teardown(&s);
}

static void test_restrict_permissions_rows(void **state)
{
	struct sgx_enclave_restrict_permissions p;
	struct sgx_epcm_view v;
	struct sgx2 s;

	(void)state;
	setup(&s, true);
	assert_int_equal(sgxk_ioctl(s.d.k, s.e.f, SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS, UNMAPPED),
			 -EFAULT);
	assert_int_equal(restrict_perm(&s, OFF_TARGET + 8, 4096, SGX_SECINFO_R, &p), -EINVAL);
	assert_int_equal(restrict_perm(&s, OFF_TARGET, 0, SGX_SECINFO_R, &p), -EINVAL);
	assert_int_equal(restrict_perm(&s, ESIZE, 4096, SGX_SECINFO_R, &p), -EINVAL);
	assert_int_equal(restrict_perm(&s, OFF_TARGET, 4096, 0x8, &p), -EINVAL);
	assert_int_equal(restrict_perm(&s, OFF_TARGET, 4096, SGX_SECINFO_W, &p), -EINVAL);
	p = (struct sgx_enclave_restrict_permissions){OFF_TARGET, 4096, SGX_SECINFO_R, 1, 0};
	assert_int_equal(
	    sgxk_ioctl(s.d.k, s.e.f, SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS, (unsigned long)&p),
	    -EINVAL);
	p = (struct sgx_enclave_restrict_permissions){OFF_TARGET, 4096, SGX_SECINFO_R, 0, 4096};
	assert_int_equal(
	    sgxk_ioctl(s.d.k, s.e.f, SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS, (unsigned long)&p),
	    -EINVAL);
	/* Not a regular page. */
	assert_int_equal(restrict_perm(&s, 0, 4096, SGX_SECINFO_R, &p), -EINVAL);
	assert_int_equal(p.count, 0);
	/* Two pages restricted, then a hole: EFAULT with the progress in count. */
	assert_int_equal(restrict_perm(&s, OFF_TARGET + 0x3000, 0x3000, SGX_SECINFO_R, &p),
			 -EFAULT);
	assert_int_equal(p.count, 0x2000);
	assert_int_equal(p.result, 0);
	v = epcm_at(&s, OFF_TARGET + 0x3000);
	assert_true(v.pr);
	assert_int_equal(v.rwx, SGX_SECINFO_R);
	/* An EAUG page not yet accepted (PENDING): EMODPR's code in result, EFAULT. */
	assert_int_equal(sgxk_fault(s.d.k, s.e.base + 0x9000, PROT_READ), 0);
	assert_int_equal(restrict_perm(&s, 0x9000, 0x1000, SGX_SECINFO_R, &p), -EFAULT);
	assert_int_equal(p.count, 0);
	assert_int_equal(p.result, SGX_PAGE_NOT_MODIFIABLE);
	/* A trimmed page is no longer regular: EINVAL. */
	{
		struct sgx_enclave_modify_types mt;

		assert_int_equal(modify(&s, OFF_TARGET, 4096, SGX_PT_TRIM, &mt), 0);
	}
	assert_int_equal(restrict_perm(&s, OFF_TARGET, 0x2000, SGX_SECINFO_R, &p), -EINVAL);
	assert_int_equal(p.count, 0);
	/* The whole RWX range down to R: count covers it all. */
	assert_int_equal(restrict_perm(&s, OFF_TARGET + 0x1000, 0x3000, SGX_SECINFO_R, &p), 0);
	assert_int_equal(p.count, 0x3000);
	teardown(&s);
}

static void test_modify_types_rows(void **state)
{
	struct sgx_enclave_modify_types p;
	struct sgx_epcm_view v;
	struct sgx2 s;
	int err = 0;

	(void)state;
	setup(&s, true);
	assert_int_equal(sgxk_ioctl(s.d.k, s.e.f, SGX_IOC_ENCLAVE_MODIFY_TYPES, UNMAPPED), -EFAULT);
	assert_int_equal(modify(&s, OFF_TARGET, 4096, 0x101, &p), -EINVAL);
	assert_int_equal(modify(&s, OFF_TARGET, 4096, SGX_PT_REG, &p), -EINVAL);
	assert_int_equal(p.count, 0);
	assert_int_equal(modify(&s, OFF_TARGET, 4096, SGX_PT_SECS, &p), -EINVAL);
	p = (struct sgx_enclave_modify_types){OFF_TARGET, 4096, SGX_PT_TRIM, 0, 8};
	assert_int_equal(sgxk_ioctl(s.d.k, s.e.f, SGX_IOC_ENCLAVE_MODIFY_TYPES, (unsigned long)&p),
			 -EINVAL);
	/* REG -> TCS needs R|W in the page's max: an R page is EPERM, unchanged. */
	assert_int_equal(modify(&s, OFF_RONLY, 4096, SGX_PT_TCS, &p), -EPERM);
	assert_int_equal(p.count, 0);
	v = epcm_at(&s, OFF_RONLY);
	assert_int_equal(v.page_type, SGX_PT_REG);
	/* RWX REG -> TCS: its max becomes RW, so an executable mapping of it is refused. */
	assert_int_equal(modify(&s, OFF_TARGET, 4096, SGX_PT_TCS, &p), 0);
	assert_int_equal(p.count, 4096);
	v = epcm_at(&s, OFF_TARGET);
	assert_int_equal(v.page_type, SGX_PT_TCS);
	assert_true(v.modified);
	assert_true(sgxk_mmap(s.d.k, s.e.f, (void *)(uintptr_t)(s.e.base + OFF_TARGET), 4096,
			      PROT_READ | PROT_EXEC, MAP_SHARED | MAP_FIXED, 0,
			      &err) == MAP_FAILED);
	assert_int_equal(err, -EACCES);
	/* TCS -> TRIM before the enclave accepted: EMODT refuses, result carries the code. */
	assert_int_equal(modify(&s, OFF_TARGET, 4096, SGX_PT_TRIM, &p), -EFAULT);
	assert_int_equal(p.result, SGX_PAGE_NOT_MODIFIABLE);
	assert_int_equal(p.count, 0);
	/* REG -> TRIM on two pages, then a hole: EFAULT with count. */
	assert_int_equal(modify(&s, OFF_TARGET + 0x3000, 0x3000, SGX_PT_TRIM, &p), -EFAULT);
	assert_int_equal(p.count, 0x2000);
	assert_int_equal(p.result, 0);
	assert_int_equal(epcm_at(&s, OFF_RONLY).page_type, SGX_PT_TRIM);
	/* A trimmed page cannot become anything else. */
	assert_int_equal(modify(&s, OFF_TARGET + 0x3000, 4096, SGX_PT_TCS, &p), -EINVAL);
	teardown(&s);
}

/* Enter the enclave on its TCS, EACCEPT the page at @target with SECINFO at @si, exit. */
static uint64_t eaccept(struct sgx2 *s, uint64_t si, uint64_t target)
{
	const struct sgx_mmu *mmu = sgxk_mmu(s->d.k);
	struct sgx_cpu *cpu = sgxk_cpu(s->d.k);
	struct sgx_exception ex = {0};
	struct sgx_regs r = {0};
	struct sgx_lp lp = {0};
	uint64_t status;

	r.rax = SGX_EENTER;
	r.rbx = s->e.base;
	r.rcx = 0x401000; /* AEP */
	r.rip = 0x400000;
	r.rsp = 0x7ff000;
	if (sgx_enclu(cpu, mmu, &lp, &r, &ex))
		fail_msg("EENTER: vector %u error 0x%x at 0x%llx (base 0x%llx)", ex.vector,
			 ex.error_code, (unsigned long long)ex.addr, (unsigned long long)s->e.base);
	assert_true(lp.in_enclave);
	r.rax = SGX_EACCEPT;
	r.rbx = s->e.base + si;
	r.rcx = s->e.base + target;
	assert_int_equal(sgx_enclu(cpu, mmu, &lp, &r, &ex), 0);
	status = r.rax;
	r.rax = SGX_EEXIT;
	r.rbx = 0x400003;
	assert_int_equal(sgx_enclu(cpu, mmu, &lp, &r, &ex), 0);
	assert_false(lp.in_enclave);
	return status;
}

static void test_remove_pages_only_takes_accepted_trimmed_pages(void **state)
{
	struct sgx_enclave_remove_pages p;
	struct sgx_enclave_modify_types mt;
	struct sgxk_enclave_info info;
	const struct sgx_mmu *mmu;
	struct sgx2 s;
	size_t free_before;

	(void)state;
	setup(&s, true);
	mmu = sgxk_mmu(s.d.k);
	assert_int_equal(sgxk_ioctl(s.d.k, s.e.f, SGX_IOC_ENCLAVE_REMOVE_PAGES, UNMAPPED), -EFAULT);
	p = (struct sgx_enclave_remove_pages){OFF_TARGET, 4096, 4096};
	assert_int_equal(sgxk_ioctl(s.d.k, s.e.f, SGX_IOC_ENCLAVE_REMOVE_PAGES, (unsigned long)&p),
			 -EINVAL);
	assert_int_equal(remove_pages(&s, OFF_TARGET + 4, 4096, &p), -EINVAL);
	/* A regular page: EPERM. */
	assert_int_equal(remove_pages(&s, OFF_TARGET, 4096, &p), -EPERM);
	assert_int_equal(p.count, 0);
	/* Trimmed but not yet accepted by the enclave: EPERM. */
	assert_int_equal(modify(&s, OFF_TARGET, 4096, SGX_PT_TRIM, &mt), 0);
	assert_int_equal(remove_pages(&s, OFF_TARGET, 4096, &p), -EPERM);
	assert_int_equal(p.count, 0);
	/* Accepted: it goes, its EPC page is free again, the address is a hole. */
	assert_int_equal(eaccept(&s, OFF_SECINFO, OFF_TARGET), 0);
	assert_int_equal(sgxk_enclave_info(s.e.f, &info), 0);
	free_before = sgxk_epc_free_pages(s.d.k);
	/*
	 * The driver learns "accepted" the upstream way: EMODPR on an accepted trimmed page
	 * faults (#PF), on one not yet accepted it returns SGX_PAGE_NOT_MODIFIABLE.
	 */
	assert_int_equal(remove_pages(&s, OFF_TARGET, 4096, &p), 0);
	assert_int_equal(p.count, 4096);
	assert_int_equal(sgxk_epc_free_pages(s.d.k), free_before + 1);
	{
		struct sgxk_enclave_info after;

		assert_int_equal(sgxk_enclave_info(s.e.f, &after), 0);
		assert_int_equal(after.nr_pages, info.nr_pages - 1);
	}
	assert_null(mmu->translate(mmu->ctx, s.e.base + OFF_TARGET, PROT_READ));
	/* Removed twice: the page is missing now. */
	assert_int_equal(remove_pages(&s, OFF_TARGET, 4096, &p), -EFAULT);
	/* A touch of the new hole adds a fresh page (EAUG). */
	assert_int_equal(sgxk_fault(s.d.k, s.e.base + OFF_TARGET, PROT_READ), 0);
	assert_non_null(mmu->translate(mmu->ctx, s.e.base + OFF_TARGET, PROT_READ));
	teardown(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sgx2_ioctls_need_an_initialized_enclave),
	    cmocka_unit_test(test_restrict_permissions_rows),
	    cmocka_unit_test(test_modify_types_rows),
	    cmocka_unit_test(test_remove_pages_only_takes_accepted_trimmed_pages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
