/* SPDX-License-Identifier: MIT */
/*
 * The host mapping of an enclave page follows the EPCM: the VMA's protections intersected
 * with what the EPCM grants, through a page's whole SGX2 life (EMODPR, EACCEPT, EMODPE, EMODT
 * to TRIM, REMOVE_PAGES, EAUG, EACCEPT), and EACCEPTCOPY.  The ENCLU leaves are driven through the
 * emulated CPU and followed by sgxk_epcm_changed, as the host's trap handler does.  The mapping is
 * probed with process_vm_readv/writev, which report EFAULT where an access would fault.
 */
#include <errno.h>
#include <setjmp.h>
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
#define RWX    (RW | SGX_SECINFO_X)
#define TCS    SGX_SECINFO_TYPE(SGX_PT_TCS)
/* Layout: TCS, its SSA frame, a page of SECINFOs (enclave memory, as EACCEPT needs), target. */
#define OFF_SSA	    0x1000
#define OFF_SECINFO 0x2000
#define OFF_TARGET  0x3000

/* The SECINFOs at OFF_SECINFO, by index. */
enum {
	SI_ACCEPT_PR_R, /* EACCEPT of EMODPR to R */
	SI_EXTEND_RW,	/* EMODPE to RW */
	SI_ACCEPT_TRIM, /* EACCEPT of EMODT to TRIM */
	SI_ACCEPT_AUG,	/* EACCEPT of an EAUG'd page, RW */
	SI_COPY_R,	/* EACCEPTCOPY into an EAUG'd page, R */
	NR_SI,
};

static const uint64_t secinfo_flags[NR_SI] = {
    [SI_ACCEPT_PR_R] = REG(SGX_SECINFO_R) | SGX_SECINFO_PR,
    [SI_EXTEND_RW] = RW,
    [SI_ACCEPT_TRIM] = SGX_SECINFO_TYPE(SGX_PT_TRIM) | SGX_SECINFO_MODIFIED,
    [SI_ACCEPT_AUG] = REG(RW) | SGX_SECINFO_PENDING,
    [SI_COPY_R] = REG(SGX_SECINFO_R),
};

struct fx {
	struct dt d;
	struct dt_encl e;
};

static int setup(void **state)
{
	struct sgx_sigstruct *sig = calloc(1, sizeof(*sig));
	struct fx *f = calloc(1, sizeof(*f));
	struct sgx_secinfo *si;
	int err = 0;

	assert_non_null(sig);
	assert_non_null(f);
	dt_init(&f->d, 16ull << 20, true);
	dt_encl_build(&f->d, &f->e, ESIZE, 0);
	dt_encl_add(&f->d, &f->e, 0, 1, TCS, true);
	dt_encl_add(&f->d, &f->e, OFF_SSA, 1, REG(RW), true);
	memset(f->e.page, 0, 4096);
	si = (struct sgx_secinfo *)f->e.page;
	for (int i = 0; i < NR_SI; i++)
		si[i].flags = secinfo_flags[i];
	dt_encl_add(&f->d, &f->e, OFF_SECINFO, 1, REG(SGX_SECINFO_R), true);
	memset(f->e.page, 0x77, 4096);
	dt_encl_add(&f->d, &f->e, OFF_TARGET, 1, REG(RWX), true);
	dt_encl_finish_measure(&f->e);
	dt_sign(sig, f->e.mrenclave, SGX_ATTR_MODE64BIT, ~0ull, SGX_XFRM_LEGACY);
	assert_int_equal(dt_init_encl(&f->d, f->e.f, sig), 0);
	free(sig);
	/* The SECINFO page is R (its max); everything else RW. */
	for (int i = 0; i < 3; i++) {
		static const uint64_t start[] = {0, OFF_SECINFO, OFF_TARGET};
		static const uint64_t end[] = {OFF_SECINFO, OFF_TARGET, ESIZE};

		assert_true(sgxk_mmap(f->d.k, f->e.f, (void *)(uintptr_t)(f->e.base + start[i]),
				      end[i] - start[i],
				      i == 1 ? PROT_READ : PROT_READ | PROT_WRITE,
				      MAP_SHARED | MAP_FIXED, 0, &err) != MAP_FAILED);
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	dt_encl_free(&f->d, &f->e);
	assert_int_equal(sgxk_epc_free_pages(f->d.k), sgx_epc_nr_pages(sgxk_cpu(f->d.k)));
	dt_fini(&f->d);
	free(f);
	return 0;
}

/* Whether this process can read (write) one byte at @addr through its page tables. */
static bool can_access(uint64_t addr, bool write)
{
	char byte = 0x42;
	struct iovec local = {&byte, 1}, remote = {(void *)(uintptr_t)addr, 1};

	if (write)
		return process_vm_writev(getpid(), &local, 1, &remote, 1, 0) == 1;
	return process_vm_readv(getpid(), &local, 1, &remote, 1, 0) == 1;
}

/*
 * ENCLU @leaf (EACCEPT, EMODPE, EACCEPTCOPY) on the page at @target with SECINFO @si (and the
 * source page at @src for EACCEPTCOPY), from inside the enclave.
 */
static uint64_t enclave_leaf_at(struct fx *f, uint64_t leaf, int si, uint64_t target, uint64_t src)
{
	const struct sgx_mmu *mmu = sgxk_mmu(f->d.k);
	struct sgx_cpu *cpu = sgxk_cpu(f->d.k);
	struct sgx_exception ex = {0};
	struct sgx_regs r = {0};
	struct sgx_lp lp = {0};
	uint64_t status;

	r.rax = SGX_EENTER;
	r.rbx = f->e.base;
	r.rcx = 0x401000;
	r.rip = 0x400000;
	r.rsp = 0x7ff000;
	assert_int_equal(sgx_enclu(cpu, mmu, &lp, &r, &ex), 0);
	r.rax = leaf;
	r.rbx = f->e.base + OFF_SECINFO + (uint64_t)si * sizeof(struct sgx_secinfo);
	r.rcx = f->e.base + target;
	r.rdx = f->e.base + src;
	if (sgx_enclu(cpu, mmu, &lp, &r, &ex))
		fail_msg("leaf %llu: vector %u error 0x%x", (unsigned long long)leaf, ex.vector,
			 ex.error_code);
	status = leaf == SGX_EMODPE ? 0 : r.rax;
	r.rax = SGX_EEXIT;
	r.rbx = 0x400003;
	assert_int_equal(sgx_enclu(cpu, mmu, &lp, &r, &ex), 0);
	/* What the host's ENCLU trap handler does after a leaf that changes the EPCM. */
	sgxk_epcm_changed(f->d.k, f->e.base + target);
	return status;
}

static uint64_t enclave_leaf(struct fx *f, uint64_t leaf, int si)
{
	return enclave_leaf_at(f, leaf, si, OFF_TARGET, 0);
}

enum step_kind {
	RESTRICT_R,
	ACCEPT_PR,
	EXTEND_RW,
	TRIM,
	ACCEPT_TRIM,
	REMOVE,
	TOUCH_HOLE,
	ACCEPT_AUG,
};

static void do_step(struct fx *f, enum step_kind kind)
{
	unsigned long arg;

	switch (kind) {
	case RESTRICT_R: {
		struct sgx_enclave_restrict_permissions p = {OFF_TARGET, 4096, SGX_SECINFO_R, 0, 0};

		arg = (unsigned long)&p;
		assert_int_equal(
		    sgxk_ioctl(f->d.k, f->e.f, SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS, arg), 0);
		break;
	}
	case ACCEPT_PR:
		assert_int_equal(enclave_leaf(f, SGX_EACCEPT, SI_ACCEPT_PR_R), 0);
		break;
	case EXTEND_RW:
		enclave_leaf(f, SGX_EMODPE, SI_EXTEND_RW);
		break;
	case TRIM: {
		struct sgx_enclave_modify_types p = {OFF_TARGET, 4096, SGX_PT_TRIM, 0, 0};

		arg = (unsigned long)&p;
		assert_int_equal(sgxk_ioctl(f->d.k, f->e.f, SGX_IOC_ENCLAVE_MODIFY_TYPES, arg), 0);
		break;
	}
	case ACCEPT_TRIM:
		assert_int_equal(enclave_leaf(f, SGX_EACCEPT, SI_ACCEPT_TRIM), 0);
		break;
	case REMOVE: {
		struct sgx_enclave_remove_pages p = {OFF_TARGET, 4096, 0};

		arg = (unsigned long)&p;
		assert_int_equal(sgxk_ioctl(f->d.k, f->e.f, SGX_IOC_ENCLAVE_REMOVE_PAGES, arg), 0);
		break;
	}
	case TOUCH_HOLE:
		assert_int_equal(sgxk_fault(f->d.k, f->e.base + OFF_TARGET, PROT_READ), 0);
		break;
	case ACCEPT_AUG:
		assert_int_equal(enclave_leaf(f, SGX_EACCEPT, SI_ACCEPT_AUG), 0);
		break;
	}
}

static void host_mapping_follows_the_epcm_through_a_pages_sgx2_life(void **state)
{
	static const struct {
		const char *what;
		enum step_kind kind;
		bool read, write;
	} steps[] = {
	    {"EMODPR to R: narrowed at once", RESTRICT_R, true, false},
	    {"EACCEPT of the restriction", ACCEPT_PR, true, false},
	    {"EMODPE back to RW: widened", EXTEND_RW, true, true},
	    {"EMODT to TRIM: MODIFIED, nothing", TRIM, false, false},
	    {"EACCEPT of the trim: a TRIM page, nothing", ACCEPT_TRIM, false, false},
	    {"REMOVE_PAGES: a hole", REMOVE, false, false},
	    {"a touch of the hole: EAUG, PENDING, nothing", TOUCH_HOLE, false, false},
	    {"EACCEPT of the EAUG'd page: RW", ACCEPT_AUG, true, true},
	};
	struct fx *f = *state;
	uint64_t target = f->e.base + OFF_TARGET;

	assert_true(can_access(target, false));
	assert_true(can_access(target, true));
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		do_step(f, steps[i].kind);
		if (can_access(target, false) != steps[i].read ||
		    can_access(target, true) != steps[i].write)
			fail_msg("after %s: read %d write %d, expected %d %d", steps[i].what,
				 can_access(target, false), can_access(target, true), steps[i].read,
				 steps[i].write);
	}
}

/* The mapping is narrower than the VMA but the page tables the CPU walks are not. */
static void the_cpu_still_sees_the_vmas_protections(void **state)
{
	struct fx *f = *state;
	const struct sgx_mmu *mmu = sgxk_mmu(f->d.k);
	uint64_t target = f->e.base + OFF_TARGET;

	do_step(f, RESTRICT_R);
	assert_false(can_access(target, true));
	assert_non_null(mmu->translate(mmu->ctx, target, PROT_READ | PROT_WRITE));
}

/* EACCEPTCOPY into an EAUG'd page: mapped with the SECINFO's R only, with the source's bytes. */
static void eacceptcopy_maps_the_copied_page_with_its_secinfo_permissions(void **state)
{
	struct fx *f = *state;
	uint64_t hole = OFF_TARGET + 0x1000;
	uint64_t addr = f->e.base + hole;

	assert_int_equal(sgxk_fault(f->d.k, addr, PROT_READ), 0);
	assert_false(can_access(addr, false));
	assert_int_equal(enclave_leaf_at(f, SGX_EACCEPTCOPY, SI_COPY_R, hole, OFF_SECINFO), 0);
	assert_true(can_access(addr, false));
	assert_false(can_access(addr, true));
	assert_memory_equal((void *)(uintptr_t)addr, (void *)(uintptr_t)(f->e.base + OFF_SECINFO),
			    4096);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(host_mapping_follows_the_epcm_through_a_pages_sgx2_life,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(the_cpu_still_sees_the_vmas_protections, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(
		eacceptcopy_maps_the_copied_page_with_its_secinfo_permissions, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
