/* SPDX-License-Identifier: MIT */
/*
 * Initialised test enclaves for the ENCLU, key and SGX2 tests: built through ECREATE/EADD/
 * EEXTEND, signed with the vector key (or another key), brought to INIT; helpers to enter them
 * and to touch their pages the way enclave code would.
 */
#ifndef SOFTSGX_TESTS_ENCL_TEST_UTIL_H
#define SOFTSGX_TESTS_ENCL_TEST_UTIL_H

#include "cpu_test_util.h"

#include "softsgx/measure.h"
#include "softsgx/sigstruct.h"

/* Pages of every test enclave (offsets from BASEADDR). */
#define E_TCS	 0x0000ull
#define E_SSA	 0x1000ull /* NSSA frames of SSAFRAMESIZE pages each */
#define E_CODE	 0x5000ull /* R X, measured */
#define E_DATA	 0x6000ull /* R W */
#define E_DATA2	 0x7000ull /* R W */
#define E_RO	 0x8000ull /* R */
#define E_HOLE	 0x9000ull /* not added: room for EAUG */
#define E_FSBASE E_DATA
#define E_GSBASE E_DATA2
#define E_ENTRY	 (E_CODE + 0x40)

struct t_encl;

struct t_encl_opts {
	uint64_t base;	     /* 0: T_BASE */
	uint64_t attributes; /* 0: MODE64BIT */
	uint64_t xfrm;	     /* 0: x87|SSE */
	uint32_t miscselect;
	uint8_t code_seed; /* changes MRENCLAVE */
	uint16_t isv_prod_id, isv_svn;
	uint32_t nssa;			      /* 0: 2 */
	const struct sgx_signing_key *signer; /* NULL: the vector key */
	uint8_t isv_family_id[16], isv_ext_prod_id[16];
	/* Launch control: called after signing, before EINIT (may program the LE hash). */
	void (*before_einit)(struct t_cpu *t, const struct t_encl *e, void *ctx);
	void *ctx;
	const void *einittoken;
};

struct t_encl {
	uint64_t base;
	void *secs;
	void *pages[16]; /* by offset / 4096 */
	uint8_t mrenclave[32];
	uint8_t mrsigner[32];
};

static struct sgx_signing_key *t_vector_key;

static inline const struct sgx_signing_key *t_vector_signer(void)
{
	struct softsgx_err err = {0};
	char path[4096];

	if (!t_vector_key) {
		snprintf(path, sizeof(path), "%s/sig1.key.pem", getenv("SOFTSGX_VECTORS"));
		if (sgx_signing_key_load(path, &t_vector_key, &err))
			fail_msg("cannot load %s: %s", path, err.msg);
	}
	return t_vector_key;
}

/* cmocka group teardown: release the key. */
static inline int t_encl_teardown(void **state)
{
	(void)state;
	sgx_signing_key_free(t_vector_key);
	t_vector_key = NULL;
	return 0;
}

static inline void t_encl_add(struct t_cpu *t, struct t_encl *e, struct sgx_measure *m,
			      uint64_t off, uint64_t flags, const void *data, bool measure)
{
	void *page;

	assert_int_equal(t_eadd_at(t, e->secs, e->base + off, flags, data, &page), 0);
	e->pages[off / 4096] = page;
	sgx_measure_eadd(m, off, flags);
	if (!measure)
		return;
	for (int c = 0; c < 16; c++)
		assert_int_equal(sgx_encls_eextend(t->cpu, e->secs, (uint8_t *)page + 256 * c), 0);
	sgx_measure_eextend_page(m, off, page);
}

/* Build, sign and EINIT; returns EINIT's result (0 expected by most callers). */
static inline int t_encl_build(struct t_cpu *t, const struct t_encl_opts *o, struct t_encl *e)
{
	static struct sgx_sigstruct sig __attribute__((aligned(4096)));
	static uint8_t code[4096];
	struct softsgx_err err = {0};
	struct sgx_measure m;
	struct sgx_secs s;
	struct sgx_tcs tcs;

	memset(e, 0, sizeof(*e));
	e->base = o->base ? o->base : T_BASE;
	t_secs(&s);
	s.base = e->base;
	if (o->attributes)
		s.attributes.flags = o->attributes;
	if (o->xfrm)
		s.attributes.xfrm = o->xfrm;
	s.miscselect = o->miscselect;
	assert_int_equal(t_ecreate(t, &s, &e->secs), 0);
	assert_int_equal(sgx_measure_init(&m, NULL), 0);
	sgx_measure_ecreate(&m, s.ssa_frame_size, s.size);

	t_tcs(&tcs);
	tcs.ssa_offset = E_SSA;
	tcs.nr_ssa_frames = o->nssa ? o->nssa : 2;
	tcs.entry_offset = E_ENTRY;
	tcs.fs_offset = E_FSBASE;
	tcs.gs_offset = E_GSBASE;
	t_encl_add(t, e, &m, E_TCS, T_TCS, &tcs, true);
	for (uint32_t i = 0; i < tcs.nr_ssa_frames; i++)
		t_encl_add(t, e, &m, E_SSA + 4096ull * i, T_REG_RW, NULL, false);
	for (size_t i = 0; i < sizeof(code); i++)
		code[i] = (uint8_t)(i + o->code_seed);
	t_encl_add(t, e, &m, E_CODE, T_REG_RX, code, true);
	t_encl_add(t, e, &m, E_DATA, T_REG_RW, NULL, false);
	t_encl_add(t, e, &m, E_DATA2, T_REG_RW, NULL, false);
	t_encl_add(t, e, &m, E_RO, SGX_SECINFO_TYPE(SGX_PT_REG) | SGX_SECINFO_R, NULL, true);
	assert_int_equal(sgx_measure_final(&m, e->mrenclave), 0);
	sgx_measure_free(&m);

	sgx_sigstruct_init(&sig);
	sig.body.attributes = s.attributes;
	sig.body.attributes_mask.flags = ~0ull;
	sig.body.attributes_mask.xfrm = ~0ull;
	sig.body.miscselect = s.miscselect;
	sig.body.misc_mask = ~0u;
	memcpy(sig.body.mrenclave, e->mrenclave, 32);
	sig.body.isv_prod_id = o->isv_prod_id;
	sig.body.isv_svn = o->isv_svn;
	memcpy(sig.body.isv_family_id, o->isv_family_id, 16);
	memcpy(sig.body.isv_ext_prod_id, o->isv_ext_prod_id, 16);
	if (sgx_sigstruct_sign(&sig, o->signer ? o->signer : t_vector_signer(), &err))
		fail_msg("signing: %s", err.msg);
	sgx_sigstruct_mrsigner(&sig, e->mrsigner);
	sgx_cpu_set_lepubkeyhash(t->cpu, e->mrsigner);
	if (o->before_einit)
		o->before_einit(t, e, o->ctx);
	return sgx_encls_einit(t->cpu, &sig, e->secs, o->einittoken);
}

static inline void t_encl_init(struct t_cpu *t, const struct t_encl_opts *o, struct t_encl *e)
{
	int ret = t_encl_build(t, o, e);

	if (ret)
		fail_msg("EINIT of the test enclave failed: %d (%s)", ret,
			 sgx_return_code_name(ret));
}

static inline void *t_encl_page(const struct t_encl *e, uint64_t off)
{
	return e->pages[off / 4096];
}

#define T_HOST_RIP 0x400000ull
#define T_AEP	   0x400100ull
#define T_HOST_FS  0x7000aaaa0000ull
#define T_HOST_GS  0x7000bbbb0000ull

/* A host context about to EENTER the enclave's TCS. */
static inline void t_regs_eenter(struct sgx_regs *r, const struct t_encl *e)
{
	memset(r, 0, sizeof(*r));
	r->rax = SGX_EENTER;
	r->rbx = e->base + E_TCS;
	r->rcx = T_AEP;
	r->rip = T_HOST_RIP;
	r->rsp = 0x7ffc00001000ull;
	r->rbp = 0x7ffc00002000ull;
	r->rflags = 0x202;
	r->fsbase = T_HOST_FS;
	r->gsbase = T_HOST_GS;
}

static inline int t_enclu(struct t_cpu *t, struct sgx_lp *lp, struct sgx_regs *r,
			  struct sgx_exception *f)
{
	memset(f, 0, sizeof(*f));
	return sgx_enclu(t->cpu, &t->mmu, lp, r, f);
}

static inline void t_enter(struct t_cpu *t, struct sgx_lp *lp, const struct t_encl *e,
			   struct sgx_regs *r)
{
	struct sgx_exception f;

	t_regs_eenter(r, e);
	assert_int_equal(t_enclu(t, lp, r, &f), 0);
	assert_true(lp->in_enclave);
}

static inline void t_exit(struct t_cpu *t, struct sgx_lp *lp, struct sgx_regs *r)
{
	struct sgx_exception f;

	r->rax = SGX_EEXIT;
	r->rbx = T_HOST_RIP + 0x10;
	assert_int_equal(t_enclu(t, lp, r, &f), 0);
	assert_false(lp->in_enclave);
}

/* Run one in-enclave leaf with the given operands; RIP inside the code page. */
static inline int t_leaf(struct t_cpu *t, struct sgx_lp *lp, const struct t_encl *e,
			 struct sgx_regs *r, uint32_t leaf, uint64_t rbx, uint64_t rcx,
			 uint64_t rdx, struct sgx_exception *f)
{
	r->rax = leaf;
	r->rbx = rbx;
	r->rcx = rcx;
	r->rdx = rdx;
	r->rip = e->base + E_CODE + 0x100;
	return t_enclu(t, lp, r, f);
}

#endif
