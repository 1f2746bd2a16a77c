/* SPDX-License-Identifier: MIT */
/*
 * ENCLU: EENTER/EEXIT register semantics, busy TCS and CSSA == NSSA, AEX with EXITINFO/EXINFO
 * and the synthetic state, ERESUME restoring GPRs and the XSAVE image, EREMOVE while a thread
 * is inside, and the EPCM access verdicts the host layer asks for.  Driven through a test MMU
 * over the EPC: no enclave code runs.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "encl_test_util.h"

static const struct t_encl_opts default_opts;

/* Each test's CPU with an initialised default enclave, and one thread's state to drive it. */
struct fx {
	struct t_cpu *t;
	struct sgx_lp lp;
	struct sgx_exception f;
	struct sgx_regs r;
	struct t_encl e;
};

static struct fx *fx_new(void)
{
	struct fx *x = calloc(1, sizeof(*x));

	assert_non_null(x);
	x->t = t_cpu_new();
	t_encl_init(x->t, &default_opts, &x->e);
	return x;
}

static void fx_free(struct fx *x)
{
	t_cpu_free(x->t);
	free(x);
}

static int fx_setup(void **state)
{
	*state = fx_new();
	return 0;
}

static int fx_teardown(void **state)
{
	fx_free(*state);
	return 0;
}

static struct sgx_ssa_gpr *ssa_gpr(const struct t_encl *e, uint32_t frame)
{
	return (void *)((uint8_t *)t_encl_page(e, E_SSA + 4096ull * frame) + 4096 - 184);
}

static void eenter_loads_the_entry_state_and_eexit_returns(void **state)
{
	struct fx *x = *state;

	t_regs_eenter(&x->r, &x->e);
	x->r.rdi = 0x1111, x->r.rsi = 0x2222, x->r.rdx = 0x3333, x->r.r8 = 0x8888,
	x->r.r12 = 0xCCCC;
	assert_int_equal(t_enclu(x->t, &x->lp, &x->r, &x->f), 0);
	assert_true(x->lp.in_enclave);
	assert_int_equal(x->lp.tcs, x->e.base + E_TCS);
	assert_int_equal(x->lp.aep, T_AEP);
	assert_int_equal(x->r.rip, x->e.base + E_ENTRY);
	assert_int_equal(x->r.rax, 0); /* CSSA */
	assert_int_equal(x->r.rcx, T_HOST_RIP + 3);
	assert_int_equal(x->r.fsbase, x->e.base + E_FSBASE);
	assert_int_equal(x->r.gsbase, x->e.base + E_GSBASE);
	assert_int_equal(x->r.rdi, 0x1111);
	assert_int_equal(x->r.rsi, 0x2222);
	assert_int_equal(x->r.rdx, 0x3333);
	assert_int_equal(x->r.r8, 0x8888);
	assert_int_equal(x->r.r12, 0xCCCC);
	assert_int_equal(x->r.rsp, 0x7ffc00001000ull);
	assert_int_equal(ssa_gpr(&x->e, 0)->ursp, 0x7ffc00001000ull);
	assert_int_equal(ssa_gpr(&x->e, 0)->urbp, 0x7ffc00002000ull);
	assert_int_equal(((struct sgx_tcs *)t_encl_page(&x->e, E_TCS))->exit_addr, T_AEP);

	x->r.rip = x->e.base + E_CODE + 0x80;
	x->r.rax = SGX_EEXIT;
	x->r.rbx = 0x401234;
	x->r.r13 = 0xDDDD;
	assert_int_equal(t_enclu(x->t, &x->lp, &x->r, &x->f), 0);
	assert_false(x->lp.in_enclave);
	assert_int_equal(x->r.rip, 0x401234);
	assert_int_equal(x->r.rcx, x->e.base + E_CODE + 0x83);
	assert_int_equal(x->r.fsbase, T_HOST_FS);
	assert_int_equal(x->r.gsbase, T_HOST_GS);
	assert_int_equal(x->r.r13, 0xDDDD); /* EEXIT does not scrub */
}

static void eenter_on_a_busy_tcs_is_gp(void **state)
{
	struct fx *x = *state;
	struct sgx_lp lp2 = {0};
	struct sgx_regs r2;

	t_enter(x->t, &x->lp, &x->e, &x->r);
	t_regs_eenter(&r2, &x->e);
	assert_int_equal(t_enclu(x->t, &lp2, &r2, &x->f), SGX_FAULT_GP);
	assert_int_equal(x->f.vector, 13);
	assert_false(lp2.in_enclave);
	assert_int_equal(r2.rip, T_HOST_RIP); /* a faulting leaf changes nothing */
	t_exit(x->t, &x->lp, &x->r);
	t_enter(x->t, &lp2, &x->e, &r2);
}

static void aex(struct t_cpu *t, struct sgx_lp *lp, struct sgx_regs *r, uint8_t vector)
{
	struct sgx_exception ex = {.vector = vector};

	assert_int_equal(sgx_aex(t->cpu, &t->mmu, lp, r, &ex), 0);
	assert_false(lp->in_enclave);
}

static void eenter_with_cssa_equal_to_nssa_is_gp(void **state)
{
	struct fx *x = *state;

	/* The fixture's enclave has NSSA 2. */
	t_enter(x->t, &x->lp, &x->e, &x->r);
	aex(x->t, &x->lp, &x->r, 6);
	t_enter(x->t, &x->lp, &x->e, &x->r);
	assert_int_equal(x->r.rax, 1); /* CSSA as seen by the entry point */
	aex(x->t, &x->lp, &x->r, 6);
	assert_int_equal(((struct sgx_tcs *)t_encl_page(&x->e, E_TCS))->ssa_index, 2);
	t_regs_eenter(&x->r, &x->e);
	assert_int_equal(t_enclu(x->t, &x->lp, &x->r, &x->f), SGX_FAULT_GP);
	/* ERESUME is still possible and brings CSSA back to 1. */
	t_regs_eenter(&x->r, &x->e);
	x->r.rax = SGX_ERESUME;
	assert_int_equal(t_enclu(x->t, &x->lp, &x->r, &x->f), 0);
	assert_int_equal(((struct sgx_tcs *)t_encl_page(&x->e, E_TCS))->ssa_index, 1);
}

static void eresume_with_cssa_zero_is_gp(void **state)
{
	struct fx *x = *state;

	t_regs_eenter(&x->r, &x->e);
	x->r.rax = SGX_ERESUME;
	assert_int_equal(t_enclu(x->t, &x->lp, &x->r, &x->f), SGX_FAULT_GP);
}

struct bad_entry {
	const char *name;
	uint64_t rax;
	uint64_t tcs_off; /* from base; ~0: unmapped address */
	int expect;
	uint8_t vector;
};

static const struct bad_entry bad_entries[] = {
    {"TCS address not page-aligned", SGX_EENTER, E_TCS + 8, SGX_FAULT_GP, 13},
    {"TCS address unmapped", SGX_EENTER, E_HOLE, SGX_FAULT_PF, 14},
    {"RBX names a REG page", SGX_EENTER, E_DATA, SGX_FAULT_GP, 13},
    {"EEXIT outside enclave mode", SGX_EEXIT, E_TCS, SGX_FAULT_GP, 13},
    {"EREPORT outside enclave mode", SGX_EREPORT, E_TCS, SGX_FAULT_GP, 13},
    {"EGETKEY outside enclave mode", SGX_EGETKEY, E_TCS, SGX_FAULT_GP, 13},
    {"EACCEPT outside enclave mode", SGX_EACCEPT, E_TCS, SGX_FAULT_GP, 13},
    {"unknown leaf 9", 9, E_TCS, SGX_FAULT_GP, 13},
    {"unknown leaf 2^32+2 (EAX only counts)", (1ull << 32) | SGX_EENTER, E_TCS, 0, 0},
};

static void eenter_refuses_bad_tcs_and_non_entry_leaves(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_entries) / sizeof(bad_entries[0]); i++) {
		const struct bad_entry *c = &bad_entries[i];
		struct fx *x = fx_new();
		int ret;

		t_regs_eenter(&x->r, &x->e);
		x->r.rax = c->rax;
		x->r.rbx = x->e.base + c->tcs_off;
		ret = t_enclu(x->t, &x->lp, &x->r, &x->f);
		if (ret != c->expect || (ret && x->f.vector != c->vector))
			fail_msg("%s: ENCLU returned %d vector %u, expected %d vector %u", c->name,
				 ret, x->f.vector, c->expect, c->vector);
		if (ret == SGX_FAULT_PF)
			assert_int_equal(x->f.addr, x->r.rbx);
		assert_int_equal(x->lp.in_enclave, ret == 0);
		fx_free(x);
	}
}

static void eenter_of_an_uninitialised_enclave_is_gp(void **state)
{
	struct t_cpu *t = t_cpu_new();
	struct t_encl_opts o = {.code_seed = 1};
	struct sgx_lp lp = {0};
	struct sgx_exception f;
	struct sgx_regs r;
	struct t_encl e;

	(void)state;
	sgx_cpu_inject_unmasked_events(t->cpu,
				       1); /* EINIT fails: the enclave stays uninitialised */
	assert_int_equal(t_encl_build(t, &o, &e), SGX_UNMASKED_EVENT);
	t_regs_eenter(&r, &e);
	assert_int_equal(t_enclu(t, &lp, &r, &f), SGX_FAULT_GP);
	t_cpu_free(t);
}

static void eenter_inside_the_enclave_is_gp(void **state)
{
	struct fx *x = *state;

	t_enter(x->t, &x->lp, &x->e, &x->r);
	x->r.rax = SGX_EENTER;
	x->r.rbx = x->e.base + E_TCS;
	assert_int_equal(t_enclu(x->t, &x->lp, &x->r, &x->f), SGX_FAULT_GP);
	x->r.rax = SGX_ERESUME;
	assert_int_equal(t_enclu(x->t, &x->lp, &x->r, &x->f), SGX_FAULT_GP);
	assert_true(x->lp.in_enclave);
}

/* ---- AEX and ERESUME -------------------------------------------------------------------- */

static void fill_enclave_regs(struct sgx_regs *r, uint64_t base)
{
	uint64_t *g = &r->rax;

	for (int i = 0; i < 16; i++)
		g[i] = 0x1000 * (uint64_t)(i + 1) + 0xA5;
	r->rflags = 0x8D7; /* arithmetic flags set */
	r->rip = base + E_CODE + 0x222;
	r->fsbase = base + E_FSBASE + 0x10;
	r->gsbase = base + E_GSBASE + 0x20;
}

static void aex_loads_the_synthetic_state(void **state)
{
	struct fx *x = *state;

	t_enter(x->t, &x->lp, &x->e, &x->r);
	fill_enclave_regs(&x->r, x->e.base);
	aex(x->t, &x->lp, &x->r, 14);
	assert_int_equal(x->r.rax, SGX_ERESUME);
	assert_int_equal(x->r.rbx, x->e.base + E_TCS);
	assert_int_equal(x->r.rcx, T_AEP);
	assert_int_equal(x->r.rip, T_AEP);
	assert_int_equal(x->r.rsp, 0x7ffc00001000ull);
	assert_int_equal(x->r.rbp, 0x7ffc00002000ull);
	assert_int_equal(x->r.rdx | x->r.rsi | x->r.rdi | x->r.r8 | x->r.r9 | x->r.r10 | x->r.r11,
			 0);
	assert_int_equal(x->r.r12 | x->r.r13 | x->r.r14 | x->r.r15, 0);
	assert_int_equal(x->r.rflags & 0x8D5, 0);
	assert_int_equal(x->r.fsbase, T_HOST_FS);
	assert_int_equal(x->r.gsbase, T_HOST_GS);
	assert_int_equal(((struct sgx_tcs *)t_encl_page(&x->e, E_TCS))->ssa_index, 1);
}

struct exit_case {
	const char *name;
	uint32_t miscselect;
	struct sgx_exception ex;
	uint32_t exit_info;
	bool exinfo;
};

#define HW(v) (SGX_EXITINFO_VALID | SGX_EXITINFO_TYPE_HW << 8 | (v))
#define SW(v) (SGX_EXITINFO_VALID | SGX_EXITINFO_TYPE_SW << 8 | (v))

static const struct exit_case exit_cases[] = {
    {"#PF with EXINFO", SGX_MISC_EXINFO, {14, 0x8007, 0x7f0000006123ull}, HW(14), true},
    {"#GP with EXINFO", SGX_MISC_EXINFO, {13, 0, 0}, HW(13), true},
    {"#PF without EXINFO", 0, {14, 0x7, 0x1234}, 0, false},
    {"#GP without EXINFO", 0, {13, 0, 0}, 0, false},
    {"#DE", 0, {0, 0, 0}, HW(0), false},
    {"#DB", 0, {1, 0, 0}, HW(1), false},
    {"#BP (software)", 0, {3, 0, 0}, SW(3), false},
    {"#UD", SGX_MISC_EXINFO, {6, 0, 0}, HW(6), false},
    {"#MF", 0, {16, 0, 0}, HW(16), false},
    {"#AC", 0, {17, 0, 0}, HW(17), false},
    {"#XM", 0, {19, 0, 0}, HW(19), false},
    {"#NM is not reported", 0, {7, 0, 0}, 0, false},
    {"an interrupt (vector 32)", SGX_MISC_EXINFO, {32, 0, 0}, 0, false},
};

static void aex_writes_exitinfo_and_exinfo(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(exit_cases) / sizeof(exit_cases[0]); i++) {
		const struct exit_case *c = &exit_cases[i];
		struct t_encl_opts o = {.miscselect = c->miscselect};
		struct t_cpu *t = t_cpu_new();
		struct sgx_lp lp = {0};
		const struct sgx_exinfo *xi;
		struct sgx_regs r;
		struct t_encl e;

		t_encl_init(t, &o, &e);
		xi = (const void *)((const uint8_t *)ssa_gpr(&e, 0) - 16);
		memset((void *)xi, 0xEE, 16);
		t_enter(t, &lp, &e, &r);
		assert_int_equal(sgx_aex(t->cpu, &t->mmu, &lp, &r, &c->ex), 0);
		if (ssa_gpr(&e, 0)->exit_info != c->exit_info)
			fail_msg("%s: EXITINFO 0x%x, expected 0x%x", c->name,
				 ssa_gpr(&e, 0)->exit_info, c->exit_info);
		if (c->exinfo) {
			assert_int_equal(xi->maddr, c->ex.addr);
			assert_int_equal(xi->errcd, c->ex.error_code);
		} else {
			assert_int_equal(xi->maddr, 0xEEEEEEEEEEEEEEEEull);
		}
		t_cpu_free(t);
	}
}

static void set_u64(uint8_t *img, size_t off, uint64_t v)
{
	memcpy(img + off, &v, sizeof(v));
}

static uint64_t get_u64(const uint8_t *img, size_t off)
{
	uint64_t v;

	memcpy(&v, img + off, sizeof(v));
	return v;
}

/* An XSAVE image of @size bytes: pattern data, valid MXCSR, XSTATE_BV = @bv, standard form. */
static void make_image(uint8_t *img, uint32_t size, uint8_t seed, uint64_t bv)
{
	uint32_t mxcsr = 0x1F80 | (seed & 0x3F);

	for (uint32_t i = 0; i < size; i++)
		img[i] = (uint8_t)(i * 31 + seed);
	memcpy(img + 24, &mxcsr, 4);
	memset(img + 512, 0, 64);
	set_u64(img, 512, bv);
}

static void aex_then_eresume_restores_gprs_and_the_xsave_image(void **state)
{
	struct t_cpu *t = t_cpu_new();
	uint64_t xfrm = t->platform.xfrm;
	struct t_encl_opts o = {.xfrm = xfrm};
	uint32_t size = sgx_xsave_size(xfrm);
	uint8_t *img = malloc(size), *orig = malloc(size), *ssa;
	struct sgx_regs r, saved, host;
	struct sgx_lp lp = {0};
	struct sgx_exception f;
	struct t_encl e;

	(void)state;
	t_encl_init(t, &o, &e);
	t_enter(t, &lp, &e, &r);
	fill_enclave_regs(&r, e.base);
	make_image(img, size, 7, xfrm);
	memcpy(orig, img, size);
	r.xsave = img;
	r.xsave_size = size;
	saved = r;
	aex(t, &lp, &r, 14);

	/* The SSA frame holds the image; the thread now holds the synthetic state. */
	ssa = t_encl_page(&e, E_SSA);
	assert_memory_equal(ssa, orig, 512);
	assert_int_equal(get_u64(ssa, 512), xfrm);
	assert_memory_equal(ssa + 576, orig + 576, size - 576);
	assert_int_equal(get_u64(img, 512) & xfrm, 0);
	assert_int_equal(*(uint16_t *)img, 0x37F);
	assert_int_equal(*(uint32_t *)(img + 24), 0x1F80);
	assert_memory_equal(img + 464, orig + 464, 48); /* software bytes untouched */

	/* Host code runs and clobbers everything, then ERESUME. */
	make_image(img, size, 99, xfrm);
	memset(img + 464, 0x5C, 48);
	host = r;
	host.r12 = 0xBAD;
	host.fsbase = T_HOST_FS + 0x1000;
	host.rax = SGX_ERESUME;
	host.rip = T_AEP;
	host.rbx = e.base + E_TCS;
	host.rcx = T_AEP;
	assert_int_equal(t_enclu(t, &lp, &host, &f), 0);
	assert_true(lp.in_enclave);
	assert_int_equal(lp.host_fsbase, T_HOST_FS + 0x1000);
	assert_memory_equal(&host.rax, &saved.rax, 16 * sizeof(uint64_t));
	assert_int_equal(host.rip, saved.rip);
	assert_int_equal(host.rflags, saved.rflags);
	assert_int_equal(host.fsbase, saved.fsbase);
	assert_int_equal(host.gsbase, saved.gsbase);
	assert_memory_equal(img, orig, 464);
	assert_int_equal(get_u64(img, 512), xfrm);
	assert_memory_equal(img + 576, orig + 576, size - 576);
	for (int i = 464; i < 512; i++)
		assert_int_equal(img[i], 0x5C);
	assert_int_equal(((struct sgx_tcs *)t_encl_page(&e, E_TCS))->ssa_index, 0);
	free(img);
	free(orig);
	t_cpu_free(t);
}

static void eresume_of_a_corrupt_ssa_xsave_header_is_gp(void **state)
{
	struct fx *x = *state;
	uint8_t img[576];

	t_enter(x->t, &x->lp, &x->e, &x->r);
	make_image(img, sizeof(img), 1, 3);
	x->r.xsave = img;
	x->r.xsave_size = sizeof(img);
	aex(x->t, &x->lp, &x->r, 6);
	set_u64(t_encl_page(&x->e, E_SSA), 512, 0x3 | (1ull << 9)); /* PKRU: not in XFRM */
	x->r.rax = SGX_ERESUME;
	x->r.rip = T_AEP;
	assert_int_equal(t_enclu(x->t, &x->lp, &x->r, &x->f), SGX_FAULT_GP);
	assert_false(x->lp.in_enclave);
	set_u64(t_encl_page(&x->e, E_SSA), 512, 0x3);
	assert_int_equal(t_enclu(x->t, &x->lp, &x->r, &x->f), 0);
}

static void eremove_while_a_thread_is_inside_is_enclave_act(void **state)
{
	struct fx *x = *state;

	t_enter(x->t, &x->lp, &x->e, &x->r);
	assert_int_equal(sgx_encls_eremove(x->t->cpu, t_encl_page(&x->e, E_DATA)), SGX_ENCLAVE_ACT);
	assert_int_equal(sgx_encls_eremove(x->t->cpu, t_encl_page(&x->e, E_TCS)), SGX_ENCLAVE_ACT);
	assert_int_equal(sgx_encls_eremove(x->t->cpu, x->e.secs), SGX_CHILD_PRESENT);
	aex(x->t, &x->lp, &x->r, 14);
	assert_int_equal(sgx_encls_eremove(x->t->cpu, t_encl_page(&x->e, E_DATA)), 0);
	assert_int_equal(sgx_encls_eremove(x->t->cpu, t_encl_page(&x->e, E_TCS)), 0);
}

/* ---- EPCM verdicts for the host layer --------------------------------------------------- */

struct access_case {
	const char *name;
	bool inside;
	uint64_t off; /* from base; ~0ull: an address outside ELRANGE */
	int access;
	int expect;
	uint32_t code;
};

static const struct access_case access_cases[] = {
    {"execute the code page", true, E_CODE + 8, PROT_EXEC, 0, 0},
    {"read the code page", true, E_CODE, PROT_READ, 0, 0},
    {"write the data page", true, E_DATA + 100, PROT_WRITE, 0, 0},
    {"write the read-only page", true, E_RO, PROT_WRITE, SGX_FAULT_PF, 0x8007},
    {"execute the data page", true, E_DATA, PROT_EXEC, SGX_FAULT_PF, 0x8015},
    {"read the TCS", true, E_TCS, PROT_READ, SGX_FAULT_PF, 0x8005},
    {"read a hole in ELRANGE", true, E_HOLE, PROT_READ, SGX_FAULT_PF, 0x4},
    {"read untrusted memory", true, ~0ull, PROT_READ, 0, 0},
    {"host reads enclave data", false, E_DATA, PROT_READ, SGX_ACCESS_ABORT_PAGE, 0},
};

static uint8_t untrusted[4096] __attribute__((aligned(4096)));

static void epcm_access_gives_the_hardware_verdict(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(access_cases) / sizeof(access_cases[0]); i++) {
		const struct access_case *c = &access_cases[i];
		struct fx *x = fx_new();
		struct t_cpu *t = x->t;
		uint32_t code = 0xFFFF;
		uint64_t addr;
		int ret;

		t_map(t, 0x10000, untrusted, PROT_READ | PROT_WRITE);
		/* Page tables allow everything the test asks about, so the EPCM decides. */
		for (size_t m = 0; m < t->nr_maps; m++)
			t->maps[m].prot = PROT_READ | PROT_WRITE | PROT_EXEC;
		if (c->inside)
			t_enter(t, &x->lp, &x->e, &x->r);
		addr = c->off == ~0ull ? 0x10000 : x->e.base + c->off;
		ret = sgx_epcm_access(t->cpu, &t->mmu, &x->lp, addr, c->access, &code);
		if (ret != c->expect || (ret == SGX_FAULT_PF && code != c->code))
			fail_msg("%s: verdict %d code 0x%x, expected %d code 0x%x", c->name, ret,
				 code, c->expect, c->code);
		fx_free(x);
	}
}

/* ---- threads ---------------------------------------------------------------------------- */

struct race {
	struct t_cpu *t;
	const struct t_encl *e;
	atomic_int inside, max_inside, entered, refused, errors;
};

/* Many threads hammer EENTER/EEXIT on one TCS: the busy flag admits one at a time. */
static void *race_thread(void *arg)
{
	struct race *rc = arg;

	for (int i = 0; i < 20000; i++) {
		struct sgx_lp lp = {0};
		struct sgx_exception f;
		struct sgx_regs r;
		int now, ret;

		t_regs_eenter(&r, rc->e);
		ret = sgx_enclu(rc->t->cpu, &rc->t->mmu, &lp, &r, &f);
		if (ret == SGX_FAULT_GP) {
			atomic_fetch_add(&rc->refused, 1);
			continue;
		}
		if (ret) {
			atomic_fetch_add(&rc->errors, 1);
			continue;
		}
		now = atomic_fetch_add(&rc->inside, 1) + 1;
		if (now > atomic_load(&rc->max_inside))
			atomic_store(&rc->max_inside, now);
		atomic_fetch_add(&rc->entered, 1);
		atomic_fetch_sub(&rc->inside, 1);
		r.rax = SGX_EEXIT;
		r.rbx = T_HOST_RIP;
		if (sgx_enclu(rc->t->cpu, &rc->t->mmu, &lp, &r, &f))
			atomic_fetch_add(&rc->errors, 1);
	}
	return NULL;
}

static void a_tcs_admits_one_thread_at_a_time_under_contention(void **state)
{
	struct fx *x = *state;
	struct race rc = {.t = x->t, .e = &x->e};
	pthread_t th[4];

	x->t->threaded = true;
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&th[i], NULL, race_thread, &rc), 0);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(atomic_load(&rc.errors), 0);
	assert_int_equal(atomic_load(&rc.max_inside), 1);
	assert_int_equal(atomic_load(&rc.entered) + atomic_load(&rc.refused), 4 * 20000);
	assert_true(atomic_load(&rc.entered) > 0);
	/* Everyone left: the enclave's pages can be removed. */
	assert_int_equal(sgx_encls_eremove(x->t->cpu, t_encl_page(&x->e, E_DATA)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(eenter_loads_the_entry_state_and_eexit_returns,
					    fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(eenter_on_a_busy_tcs_is_gp, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(eenter_with_cssa_equal_to_nssa_is_gp, fx_setup,
					    fx_teardown),
	    cmocka_unit_test_setup_teardown(eresume_with_cssa_zero_is_gp, fx_setup, fx_teardown),
	    cmocka_unit_test(eenter_refuses_bad_tcs_and_non_entry_leaves),
	    cmocka_unit_test(eenter_of_an_uninitialised_enclave_is_gp),
	    cmocka_unit_test_setup_teardown(eenter_inside_the_enclave_is_gp, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(aex_loads_the_synthetic_state, fx_setup, fx_teardown),
	    cmocka_unit_test(aex_writes_exitinfo_and_exinfo),
	    cmocka_unit_test(aex_then_eresume_restores_gprs_and_the_xsave_image),
	    cmocka_unit_test_setup_teardown(eresume_of_a_corrupt_ssa_xsave_header_is_gp, fx_setup,
					    fx_teardown),
	    cmocka_unit_test_setup_teardown(eremove_while_a_thread_is_inside_is_enclave_act,
					    fx_setup, fx_teardown),
	    cmocka_unit_test(epcm_access_gives_the_hardware_verdict),
	    cmocka_unit_test_setup_teardown(a_tcs_admits_one_thread_at_a_time_under_contention,
					    fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, t_encl_teardown);
}
