/* SPDX-License-Identifier: MIT */
/*
 * EENTER remembers, per logical processor, where the SSA frame of its TCS lay, and translates
 * those pages before taking the EPCM lock the next time (enclu.c: eenter_hinted).  The hint is
 * never trusted: when the frame moved (an AEX raised CSSA) or the TCS went away, the entry is
 * decided exactly as without it.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "encl_test_util.h"

static const struct t_encl_opts default_opts;

static struct sgx_ssa_gpr *ssa_gpr(const struct t_encl *e, uint32_t frame)
{
	return (void *)((uint8_t *)t_encl_page(e, E_SSA + 4096ull * frame) + 4096 - 184);
}

/* An AEX moves CSSA to 1: the next EENTER uses frame 1, not the remembered frame 0. */
static void eenter_after_an_aex_uses_the_next_frame_not_the_hint(void **state)
{
	struct t_cpu *t = t_cpu_new();
	struct sgx_exception ex = {.vector = 6};
	struct sgx_lp lp = {0};
	struct sgx_regs r;
	struct t_encl e;

	(void)state;
	t_encl_init(t, &default_opts, &e);
	t_enter(t, &lp, &e, &r);
	t_exit(t, &lp, &r);
	assert_int_equal(lp.entry_hint_tcs, e.base + E_TCS);
	t_enter(t, &lp, &e, &r); /* through the hint */
	assert_int_equal(r.rax, 0);
	assert_int_equal(sgx_aex(t->cpu, &t->mmu, &lp, &r, &ex), 0);
	t_regs_eenter(&r, &e);
	r.rsp = 0x7ffc00005000ull;
	assert_int_equal(t_enclu(t, &lp, &r, &(struct sgx_exception){0}), 0);
	assert_int_equal(r.rax, 1); /* CSSA */
	/* The untrusted stack went into frame 1's GPR area, frame 0 kept the AEX's. */
	assert_int_equal(ssa_gpr(&e, 1)->ursp, 0x7ffc00005000ull);
	assert_int_equal(ssa_gpr(&e, 0)->ursp, 0x7ffc00001000ull);
	t_cpu_free(t);
}

/* A hinted EENTER that faults changes nothing, and faults as an unhinted one would. */
static void hinted_eenter_on_a_busy_tcs_is_gp_and_changes_nothing(void **state)
{
	struct t_cpu *t = t_cpu_new();
	struct sgx_lp lp1 = {0}, lp2 = {0};
	struct sgx_regs r1, r2, before;
	struct sgx_exception f;
	struct t_encl e;

	(void)state;
	t_encl_init(t, &default_opts, &e);
	t_enter(t, &lp2, &e, &r2);
	t_exit(t, &lp2, &r2);	   /* lp2 now holds a hint for the TCS */
	t_enter(t, &lp1, &e, &r1); /* lp1 is inside: the TCS is busy */
	t_regs_eenter(&r2, &e);
	before = r2;
	assert_int_equal(t_enclu(t, &lp2, &r2, &f), SGX_FAULT_GP);
	assert_int_equal(f.vector, 13);
	assert_memory_equal(&before, &r2, sizeof(r2));
	assert_false(lp2.in_enclave);
	t_exit(t, &lp1, &r1);
	t_cpu_free(t);
}

/* The TCS page removed after the hint was taken: #PF on the TCS address, as without a hint. */
static void hinted_eenter_after_the_tcs_was_removed_faults_on_the_tcs(void **state)
{
	struct t_cpu *t = t_cpu_new();
	struct sgx_lp lp = {0}, fresh = {0};
	struct sgx_exception f, f_fresh;
	struct sgx_regs r;
	struct t_encl e;
	int ret;

	(void)state;
	t_encl_init(t, &default_opts, &e);
	t_enter(t, &lp, &e, &r);
	t_exit(t, &lp, &r);
	assert_int_equal(sgx_encls_eremove(t->cpu, t_encl_page(&e, E_TCS)), 0);
	t_regs_eenter(&r, &e);
	ret = t_enclu(t, &lp, &r, &f);
	assert_int_not_equal(ret, 0);
	assert_false(lp.in_enclave);
	/* The same fault a processor without a hint gets. */
	t_regs_eenter(&r, &e);
	assert_int_equal(t_enclu(t, &fresh, &r, &f_fresh), ret);
	assert_memory_equal(&f, &f_fresh, sizeof(f));
	t_cpu_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(eenter_after_an_aex_uses_the_next_frame_not_the_hint),
	    cmocka_unit_test(hinted_eenter_on_a_busy_tcs_is_gp_and_changes_nothing),
	    cmocka_unit_test(hinted_eenter_after_the_tcs_was_removed_faults_on_the_tcs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
