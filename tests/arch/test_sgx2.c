/* SPDX-License-Identifier: MIT */
/*
 * SGX2: EAUG + EACCEPT, EMODPR + EACCEPT, EMODT (TRIM, TCS) + EACCEPT (+ EREMOVE), EMODPE,
 * EACCEPTCOPY, and the #PF with bit 15 for PENDING/MODIFIED pages.
 */
#include "encl_test_util.h"

#define SI_OFF (E_DATA2 + 0) /* SECINFO operand, 64-aligned */
#define RWX    (PROT_READ | PROT_WRITE | PROT_EXEC)

static const struct t_encl_opts default_opts;

static void *eaug(struct t_cpu *t, struct t_encl *e, uint64_t off, int *ret)
{
	struct sgx_pageinfo pi = {.addr = e->base + off, .secs = (uintptr_t)e->secs};
	void *page = t_page(t);

	*ret = sgx_encls_eaug(t->cpu, &pi, page);
	if (*ret == 0) {
		t_map(t, e->base + off, page, RWX);
		e->pages[off / 4096] = page;
	}
	return page;
}

/* EACCEPT-family leaf in the enclave with SECINFO flags @flags; returns the fault or RAX. */
static int in_enclave(struct t_cpu *t, struct t_encl *e, uint32_t leaf, uint64_t flags,
		      uint64_t target_off, uint64_t src_off, struct sgx_exception *f)
{
	struct sgx_secinfo *si = (void *)((uint8_t *)t_encl_page(e, E_DATA2) + (SI_OFF & 0xFFF));
	struct sgx_lp lp = {0};
	struct sgx_regs r;
	int ret;

	memset(si, 0, sizeof(*si));
	si->flags = flags;
	t_enter(t, &lp, e, &r);
	ret = t_leaf(t, &lp, e, &r, leaf, e->base + SI_OFF, e->base + target_off, e->base + src_off,
		     f);
	if (ret == 0) {
		assert_int_equal(r.rip, e->base + E_CODE + 0x103);
		if (leaf != SGX_EMODPE) {
			assert_int_equal(!!(r.rflags & 0x40), r.rax != 0);
			ret = (int)r.rax;
		}
	}
	t_exit(t, &lp, &r);
	return ret;
}

static int access_in_enclave(struct t_cpu *t, const struct t_encl *e, uint64_t off, int prot,
			     uint32_t *code)
{
	struct sgx_lp lp = {0};
	struct sgx_regs r;
	int ret;

	t_enter(t, &lp, e, &r);
	ret = sgx_epcm_access(t->cpu, &t->mmu, &lp, e->base + off, prot, code);
	t_exit(t, &lp, &r);
	return ret;
}

static struct sgx_epcm_view view(struct t_cpu *t, const struct t_encl *e, uint64_t off)
{
	struct sgx_epcm_view v;

	assert_int_equal(sgx_epcm_read(t->cpu, sgx_epc_index(t->cpu, t_encl_page(e, off)), &v), 0);
	return v;
}

#define REG(f) (SGX_SECINFO_TYPE(SGX_PT_REG) | (f))

static void eaug_then_eaccept_makes_a_usable_page(void **state)
{
	struct t_cpu *t = t_cpu_new();
	struct sgx_exception f;
	struct t_encl e;
	uint32_t code;
	int ret;

	(void)state;
	t_encl_init(t, &default_opts, &e);
	eaug(t, &e, E_HOLE, &ret);
	assert_int_equal(ret, 0);
	assert_true(view(t, &e, E_HOLE).pending);
	assert_int_equal(view(t, &e, E_HOLE).rwx, SGX_SECINFO_R | SGX_SECINFO_W);
	/* Touching a PENDING page: #PF with bit 15. */
	assert_int_equal(access_in_enclave(t, &e, E_HOLE, PROT_WRITE, &code), SGX_FAULT_PF);
	assert_int_equal(code, 0x8007);
	/* Wrong SECINFO: mismatch, the page stays pending. */
	assert_int_equal(
	    in_enclave(t, &e, SGX_EACCEPT, REG(SGX_SECINFO_R | SGX_SECINFO_PENDING), E_HOLE, 0, &f),
	    SGX_PAGE_ATTRIBUTES_MISMATCH);
	assert_int_equal(
	    in_enclave(t, &e, SGX_EACCEPT, REG(SGX_SECINFO_R | SGX_SECINFO_W), E_HOLE, 0, &f),
	    SGX_PAGE_ATTRIBUTES_MISMATCH);
	assert_true(view(t, &e, E_HOLE).pending);
	assert_int_equal(in_enclave(t, &e, SGX_EACCEPT,
				    REG(SGX_SECINFO_R | SGX_SECINFO_W | SGX_SECINFO_PENDING),
				    E_HOLE, 0, &f),
			 0);
	assert_false(view(t, &e, E_HOLE).pending);
	assert_int_equal(access_in_enclave(t, &e, E_HOLE, PROT_WRITE, &code), 0);
	/* Accepting again: nothing pending any more. */
	assert_int_equal(in_enclave(t, &e, SGX_EACCEPT,
				    REG(SGX_SECINFO_R | SGX_SECINFO_W | SGX_SECINFO_PENDING),
				    E_HOLE, 0, &f),
			 SGX_PAGE_ATTRIBUTES_MISMATCH);
	t_cpu_free(t);
}

static void eaug_refuses_uninitialised_enclaves_busy_pages_and_bad_operands(void **state)
{
	struct t_cpu *t = t_cpu_new();
	struct t_encl_opts o = {.code_seed = 5};
	static struct sgx_secinfo si;
	struct sgx_pageinfo pi;
	struct t_encl e;
	int ret;

	(void)state;
	sgx_cpu_inject_unmasked_events(t->cpu, 1);
	assert_int_equal(t_encl_build(t, &o, &e), SGX_UNMASKED_EVENT);
	eaug(t, &e, E_HOLE, &ret);
	assert_int_equal(ret, SGX_FAULT_GP);
	t_cpu_free(t);

	t = t_cpu_new();
	t_encl_init(t, &default_opts, &e);
	pi = (struct sgx_pageinfo){.addr = e.base + E_HOLE, .secs = (uintptr_t)e.secs};
	assert_int_equal(sgx_encls_eaug(t->cpu, &pi, t_encl_page(&e, E_DATA)), SGX_FAULT_PF);
	pi.metadata = (uintptr_t)&si;
	assert_int_equal(sgx_encls_eaug(t->cpu, &pi, t_page(t)), SGX_FAULT_GP);
	pi.metadata = 0;
	pi.addr = e.base + T_SIZE;
	assert_int_equal(sgx_encls_eaug(t->cpu, &pi, t_page(t)), SGX_FAULT_GP);
	t_cpu_free(t);

	t = t_cpu_new();
	t->platform.sgx2 = false;
	sgx_cpu_destroy(t->cpu);
	{
		uint8_t secret[32];

		t_root_secret(secret, 1);
		assert_int_equal(sgx_cpu_create(&t->cpu, &t->platform, t->epc, secret, NULL), 0);
	}
	t_encl_init(t, &default_opts, &e);
	eaug(t, &e, E_HOLE, &ret);
	assert_int_equal(ret, SGX_FAULT_UD);
	{
		struct sgx_exception f;

		assert_int_equal(in_enclave(t, &e, SGX_EACCEPT, REG(SGX_SECINFO_R), E_DATA, 0, &f),
				 SGX_FAULT_GP);
	}
	t_cpu_free(t);
}

static void emodpr_then_eaccept_restricts_permissions(void **state)
{
	struct t_cpu *t = t_cpu_new();
	struct sgx_secinfo si = {.flags = SGX_SECINFO_R};
	struct sgx_exception f;
	struct t_encl e;
	uint32_t code;

	(void)state;
	t_encl_init(t, &default_opts, &e);
	assert_int_equal(sgx_encls_emodpr(t->cpu, &si, t_encl_page(&e, E_DATA)), 0);
	assert_true(view(t, &e, E_DATA).pr);
	assert_int_equal(view(t, &e, E_DATA).rwx, SGX_SECINFO_R);
	assert_int_equal(access_in_enclave(t, &e, E_DATA, PROT_WRITE, &code), SGX_FAULT_PF);
	assert_int_equal(code, 0x8007);
	assert_int_equal(in_enclave(t, &e, SGX_EACCEPT,
				    REG(SGX_SECINFO_R | SGX_SECINFO_W | SGX_SECINFO_PR), E_DATA, 0,
				    &f),
			 SGX_PAGE_ATTRIBUTES_MISMATCH);
	assert_int_equal(
	    in_enclave(t, &e, SGX_EACCEPT, REG(SGX_SECINFO_R | SGX_SECINFO_PR), E_DATA, 0, &f), 0);
	assert_false(view(t, &e, E_DATA).pr);
	/* EMODPR never adds: R|W|X on an R page leaves R. */
	si.flags = SGX_SECINFO_R | SGX_SECINFO_W | SGX_SECINFO_X;
	assert_int_equal(sgx_encls_emodpr(t->cpu, &si, t_encl_page(&e, E_DATA)), 0);
	assert_int_equal(view(t, &e, E_DATA).rwx, SGX_SECINFO_R);
	t_cpu_free(t);
}

static void emodpr_refuses_pending_pages_tcs_and_bad_secinfo(void **state)
{
	struct t_cpu *t = t_cpu_new();
	struct sgx_secinfo si = {.flags = SGX_SECINFO_R};
	struct t_encl e;
	int ret;

	(void)state;
	t_encl_init(t, &default_opts, &e);
	eaug(t, &e, E_HOLE, &ret);
	assert_int_equal(sgx_encls_emodpr(t->cpu, &si, t_encl_page(&e, E_HOLE)),
			 SGX_PAGE_NOT_MODIFIABLE);
	assert_int_equal(sgx_encls_emodpr(t->cpu, &si, t_encl_page(&e, E_TCS)), SGX_FAULT_PF);
	si.flags = SGX_SECINFO_W;
	assert_int_equal(sgx_encls_emodpr(t->cpu, &si, t_encl_page(&e, E_DATA)), SGX_FAULT_GP);
	si.flags = SGX_SECINFO_R | SGX_SECINFO_TYPE(SGX_PT_TCS);
	assert_int_equal(sgx_encls_emodpr(t->cpu, &si, t_encl_page(&e, E_DATA)), SGX_FAULT_GP);
	si.flags = SGX_SECINFO_R;
	assert_int_equal(sgx_encls_emodpr(t->cpu, &si, t_page(t)), SGX_FAULT_PF);
	assert_int_equal(sgx_encls_emodpr(t->cpu, &si, e.secs), SGX_FAULT_PF);
	t_cpu_free(t);
}

static void emodt_trim_then_eaccept_then_eremove(void **state)
{
	struct t_cpu *t = t_cpu_new();
	struct sgx_secinfo si = {.flags = SGX_SECINFO_TYPE(SGX_PT_TRIM)};
	struct sgx_secinfo rwx = {.flags = SGX_SECINFO_PERMISSION_MASK};
	struct sgx_exception f;
	struct t_encl e;
	uint32_t code;

	(void)state;
	t_encl_init(t, &default_opts, &e);
	assert_int_equal(sgx_encls_emodt(t->cpu, &si, t_encl_page(&e, E_DATA)), 0);
	assert_true(view(t, &e, E_DATA).modified);
	assert_int_equal(view(t, &e, E_DATA).page_type, SGX_PT_TRIM);
	assert_int_equal(access_in_enclave(t, &e, E_DATA, PROT_READ, &code), SGX_FAULT_PF);
	assert_int_equal(code, 0x8005);
	/* ... and before the enclave accepts it, EMODPR says it is not modifiable. */
	assert_int_equal(sgx_encls_emodpr(t->cpu, &rwx, t_encl_page(&e, E_DATA)),
			 SGX_PAGE_NOT_MODIFIABLE);
	/* A second EMODT of a MODIFIED page is refused. */
	assert_int_equal(sgx_encls_emodt(t->cpu, &si, t_encl_page(&e, E_DATA)),
			 SGX_PAGE_NOT_MODIFIABLE);
	assert_int_equal(in_enclave(t, &e, SGX_EACCEPT,
				    SGX_SECINFO_TYPE(SGX_PT_REG) | SGX_SECINFO_MODIFIED, E_DATA, 0,
				    &f),
			 SGX_PAGE_ATTRIBUTES_MISMATCH);
	assert_int_equal(in_enclave(t, &e, SGX_EACCEPT,
				    SGX_SECINFO_TYPE(SGX_PT_TRIM) | SGX_SECINFO_MODIFIED, E_DATA, 0,
				    &f),
			 0);
	assert_false(view(t, &e, E_DATA).modified);
	/* Linux's REMOVE_PAGES probe: EMODPR faults on an accepted TRIM page. */
	assert_int_equal(sgx_encls_emodpr(t->cpu, &rwx, t_encl_page(&e, E_DATA)), SGX_FAULT_PF);
	assert_int_equal(sgx_encls_eremove(t->cpu, t_encl_page(&e, E_DATA)), 0);
	assert_false(view(t, &e, E_DATA).valid);
	t_cpu_free(t);
}

static void emodt_allows_only_reg_to_tcs_or_trim_and_tcs_to_trim(void **state)
{
	struct t_cpu *t = t_cpu_new();
	struct sgx_secinfo si = {0};
	struct sgx_exception f;
	struct t_encl e;

	(void)state;
	t_encl_init(t, &default_opts, &e);
	si.flags = SGX_SECINFO_TYPE(SGX_PT_REG);
	assert_int_equal(sgx_encls_emodt(t->cpu, &si, t_encl_page(&e, E_DATA)), SGX_FAULT_GP);
	si.flags = SGX_SECINFO_TYPE(SGX_PT_TRIM) | SGX_SECINFO_R;
	assert_int_equal(sgx_encls_emodt(t->cpu, &si, t_encl_page(&e, E_DATA)), SGX_FAULT_GP);
	si.flags = SGX_SECINFO_TYPE(SGX_PT_TCS);
	assert_int_equal(sgx_encls_emodt(t->cpu, &si, t_encl_page(&e, E_TCS)),
			 SGX_PAGE_NOT_MODIFIABLE);
	si.flags = SGX_SECINFO_TYPE(SGX_PT_TRIM);
	assert_int_equal(sgx_encls_emodt(t->cpu, &si, t_encl_page(&e, E_TCS)), 0);
	assert_int_equal(view(t, &e, E_TCS).page_type, SGX_PT_TRIM);
	assert_true(view(t, &e, E_TCS).modified);
	/* A TCS being trimmed can no longer be entered. */
	{
		struct sgx_lp lp = {0};
		struct sgx_regs r;

		t_regs_eenter(&r, &e);
		assert_int_equal(t_enclu(t, &lp, &r, &f), SGX_FAULT_GP);
	}
	/* TRIM is final: no way back to TCS. */
	si.flags = SGX_SECINFO_TYPE(SGX_PT_TCS);
	assert_int_equal(sgx_encls_emodt(t->cpu, &si, t_encl_page(&e, E_TCS)),
			 SGX_PAGE_NOT_MODIFIABLE);
	t_cpu_free(t);
}

static void emodt_reg_to_tcs_then_eaccept_gives_an_enterable_tcs(void **state)
{
	struct t_cpu *t = t_cpu_new();
	struct sgx_secinfo si = {.flags = SGX_SECINFO_TYPE(SGX_PT_TCS)};
	struct sgx_lp lp = {0}, lp2 = {0};
	struct sgx_exception f;
	struct sgx_regs r, r2;
	struct sgx_tcs *tcs;
	struct t_encl e;
	int ret;

	(void)state;
	t_encl_init(t, &default_opts, &e);
	/* The new TCS lives at the EAUGed page; its SSA is the data page 2... use DATA. */
	eaug(t, &e, E_HOLE, &ret);
	assert_int_equal(ret, 0);
	assert_int_equal(in_enclave(t, &e, SGX_EACCEPT,
				    REG(SGX_SECINFO_R | SGX_SECINFO_W | SGX_SECINFO_PENDING),
				    E_HOLE, 0, &f),
			 0);
	tcs = t_encl_page(&e, E_HOLE);
	memset(tcs, 0, sizeof(*tcs));
	tcs->ssa_offset = E_DATA;
	tcs->nr_ssa_frames = 1;
	tcs->entry_offset = E_ENTRY;
	assert_int_equal(sgx_encls_emodt(t->cpu, &si, t_encl_page(&e, E_HOLE)), 0);
	/* Not enterable until accepted. */
	t_regs_eenter(&r2, &e);
	r2.rbx = e.base + E_HOLE;
	assert_int_equal(t_enclu(t, &lp2, &r2, &f), SGX_FAULT_GP);
	assert_int_equal(in_enclave(t, &e, SGX_EACCEPT,
				    SGX_SECINFO_TYPE(SGX_PT_TCS) | SGX_SECINFO_MODIFIED, E_HOLE, 0,
				    &f),
			 0);
	/* Enter by the original TCS and the new one at the same time. */
	t_enter(t, &lp, &e, &r);
	t_regs_eenter(&r2, &e);
	r2.rbx = e.base + E_HOLE;
	assert_int_equal(t_enclu(t, &lp2, &r2, &f), 0);
	assert_int_equal(r2.rip, e.base + E_ENTRY);
	t_exit(t, &lp2, &r2);
	t_exit(t, &lp, &r);
	t_cpu_free(t);
}

static void emodpe_extends_permissions(void **state)
{
	struct t_cpu *t = t_cpu_new();
	struct sgx_exception f;
	struct t_encl e;
	uint32_t code;

	(void)state;
	t_encl_init(t, &default_opts, &e);
	t_map(t, e.base + E_RO, t_encl_page(&e, E_RO), RWX);
	assert_int_equal(access_in_enclave(t, &e, E_RO, PROT_WRITE, &code), SGX_FAULT_PF);
	assert_int_equal(
	    in_enclave(t, &e, SGX_EMODPE, REG(SGX_SECINFO_R | SGX_SECINFO_W), E_RO, 0, &f), 0);
	assert_int_equal(view(t, &e, E_RO).rwx, SGX_SECINFO_R | SGX_SECINFO_W);
	assert_int_equal(access_in_enclave(t, &e, E_RO, PROT_WRITE, &code), 0);
	/* W without R in the SECINFO: #GP; on the TCS: #PF. */
	assert_int_equal(in_enclave(t, &e, SGX_EMODPE, REG(SGX_SECINFO_W), E_RO, 0, &f),
			 SGX_FAULT_GP);
	assert_int_equal(in_enclave(t, &e, SGX_EMODPE, REG(SGX_SECINFO_X), E_TCS, 0, &f),
			 SGX_FAULT_PF);
	assert_int_equal(f.error_code & 0x8000, 0x8000);
	t_cpu_free(t);
}

static void eacceptcopy_fills_a_pending_page_with_given_permissions(void **state)
{
	struct t_cpu *t = t_cpu_new();
	struct sgx_exception f;
	struct t_encl e;
	uint8_t *src;
	int ret;

	(void)state;
	t_encl_init(t, &default_opts, &e);
	src = t_encl_page(&e, E_DATA);
	for (int i = 0; i < 4096; i++)
		src[i] = (uint8_t)(i ^ 0x5A);
	eaug(t, &e, E_HOLE, &ret);
	assert_int_equal(ret, 0);
	assert_int_equal(in_enclave(t, &e, SGX_EACCEPTCOPY, REG(SGX_SECINFO_R | SGX_SECINFO_X),
				    E_HOLE, E_DATA, &f),
			 0);
	assert_memory_equal(t_encl_page(&e, E_HOLE), src, 4096);
	assert_false(view(t, &e, E_HOLE).pending);
	assert_int_equal(view(t, &e, E_HOLE).rwx, SGX_SECINFO_R | SGX_SECINFO_X);
	/* Not pending any more: a second copy is a mismatch. */
	assert_int_equal(in_enclave(t, &e, SGX_EACCEPTCOPY, REG(SGX_SECINFO_R), E_HOLE, E_DATA, &f),
			 SGX_PAGE_ATTRIBUTES_MISMATCH);
	t_cpu_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(eaug_then_eaccept_makes_a_usable_page),
	    cmocka_unit_test(eaug_refuses_uninitialised_enclaves_busy_pages_and_bad_operands),
	    cmocka_unit_test(emodpr_then_eaccept_restricts_permissions),
	    cmocka_unit_test(emodpr_refuses_pending_pages_tcs_and_bad_secinfo),
	    cmocka_unit_test(emodt_trim_then_eaccept_then_eremove),
	    cmocka_unit_test(emodt_allows_only_reg_to_tcs_or_trim_and_tcs_to_trim),
	    cmocka_unit_test(emodt_reg_to_tcs_then_eaccept_gives_an_enterable_tcs),
	    cmocka_unit_test(emodpe_extends_permissions),
	    cmocka_unit_test(eacceptcopy_fills_a_pending_page_with_given_permissions),
	};

	return cmocka_run_group_tests(tests, NULL, t_encl_teardown);
}
