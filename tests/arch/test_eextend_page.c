/* SPDX-License-Identifier: MIT */
/*
 * sgx_encls_eextend_page against sixteen sgx_encls_eextend calls: two CPUs built the same way,
 * one measuring pages chunk by chunk and the other a page at a time, reach the same MRENCLAVE,
 * which is also recomputed here with OpenSSL from records written out by hand (the record
 * layout of sgx-architecture.md, "Measurement"); every failure gives the code each of the
 * sixteen leaves gives, and measures nothing, including a page of an initialised enclave.
 */
#include <openssl/evp.h>

#include "encl_test_util.h"

#define B_BASE (T_BASE + 0x1000000ull) /* a second enclave */

/* One CPU with enclave A (TCS at 0, REG pages at 0x1000 and 0x2000) and enclave B. */
struct rig {
	struct t_cpu *t;
	void *secs_a, *secs_b, *tcs, *reg, *reg2, *page_b, *free_page;
	uint8_t data[SGX_PAGE_SIZE];
};

static void rig_init(struct rig *r)
{
	struct sgx_secs s;
	struct sgx_tcs tcs;

	for (unsigned int i = 0; i < SGX_PAGE_SIZE; i++)
		r->data[i] = (uint8_t)(i * 7 + i / 256 * 31 + 5);
	r->t = t_cpu_new();
	t_secs(&s);
	assert_int_equal(t_ecreate(r->t, &s, &r->secs_a), 0);
	t_tcs(&tcs);
	assert_int_equal(t_eadd_at(r->t, r->secs_a, T_BASE, T_TCS, &tcs, &r->tcs), 0);
	assert_int_equal(t_eadd_at(r->t, r->secs_a, T_BASE + 0x1000, T_REG_RW, r->data, &r->reg),
			 0);
	assert_int_equal(t_eadd_at(r->t, r->secs_a, T_BASE + 0x2000, T_REG_RX, NULL, &r->reg2), 0);
	s.base = B_BASE;
	assert_int_equal(t_ecreate(r->t, &s, &r->secs_b), 0);
	assert_int_equal(t_eadd_at(r->t, r->secs_b, B_BASE, T_REG_RW, r->data, &r->page_b), 0);
	r->free_page = t_page(r->t);
}

static void mrenclave_of(struct rig *r, void *secs, uint8_t out[32])
{
	struct sgx_measure m;
	size_t sidx;

	assert_non_null(sgx_secs_entry(r->t->cpu, secs, &sidx));
	assert_int_equal(sgx_measure_copy(&m, &r->t->cpu->epcm[sidx].encl->measure, NULL), 0);
	assert_int_equal(sgx_measure_final(&m, out), 0);
}

/* The sixteen leaves: every chunk must give the same code; returns it. */
static int sixteen(struct rig *r, void *secs, uint8_t *page)
{
	int first = sgx_encls_eextend(r->t->cpu, secs, page);

	for (unsigned int c = 256; c < SGX_PAGE_SIZE; c += 256)
		assert_int_equal(sgx_encls_eextend(r->t->cpu, secs, page + c), first);
	return first;
}

static int whole(struct rig *r, void *secs, uint8_t *page)
{
	/* Prefetch hints have no architectural effect, even unmapped or NULL. */
	const void *ahead[3] = {r->data, NULL, (const void *)(uintptr_t)0x1000};

	return sgx_encls_eextend_page(r->t->cpu, secs, page, ahead, 3);
}

/* MRENCLAVE of enclave A as the records say, hashed here with OpenSSL. */
static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void expected_a(const uint8_t *data, const uint8_t *tcs_page, uint8_t out[32])
{
	static const struct {
		uint64_t off, flags;
		int extend; /* 0: none, 1: data, 2: the TCS page */
	} pages[] = {{0, T_TCS, 2}, {0x1000, T_REG_RW, 1}, {0x2000, T_REG_RX, 0}};
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t rec[64];

	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	memset(rec, 0, 64);
	memcpy(rec, "ECREATE", 8);
	rec[8] = 1; /* SSAFRAMESIZE */
	put64(rec + 12, T_SIZE);
	EVP_DigestUpdate(ctx, rec, 64);
	for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
		memset(rec, 0, 64);
		memcpy(rec, "EADD\0\0\0", 8);
		put64(rec + 8, pages[i].off);
		put64(rec + 16, pages[i].flags);
		EVP_DigestUpdate(ctx, rec, 64);
	}
	for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
		const uint8_t *src = pages[i].extend == 1 ? data : tcs_page;

		for (unsigned int c = 0; pages[i].extend && c < SGX_PAGE_SIZE; c += 256) {
			memset(rec, 0, 64);
			memcpy(rec, "EEXTEND", 8);
			put64(rec + 8, pages[i].off + c);
			EVP_DigestUpdate(ctx, rec, 64);
			EVP_DigestUpdate(ctx, src + c, 256);
		}
	}
	EVP_DigestFinal_ex(ctx, out, NULL);
	EVP_MD_CTX_free(ctx);
}

static void test_eextend_page_measures_as_sixteen_eextends(void **state)
{
	struct rig a, b;
	uint8_t ma[32], mb[32], want[32], mba[32], mbb[32];

	(void)state;
	rig_init(&a);
	rig_init(&b);
	/* Pages added first, then measured: the EADD records all come before the EEXTENDs. */
	assert_int_equal(sixteen(&a, a.secs_a, a.tcs), 0);
	assert_int_equal(sixteen(&a, a.secs_a, a.reg), 0);
	assert_int_equal(whole(&b, b.secs_a, b.tcs), 0);
	assert_int_equal(whole(&b, b.secs_a, b.reg), 0);
	mrenclave_of(&a, a.secs_a, ma);
	mrenclave_of(&b, b.secs_a, mb);
	expected_a(a.data, a.tcs, want);
	assert_memory_equal(ma, want, 32);
	assert_memory_equal(mb, want, 32);
	/* The other enclave was not touched. */
	mrenclave_of(&a, a.secs_b, mba);
	mrenclave_of(&b, b.secs_b, mbb);
	assert_memory_equal(mba, mbb, 32);
	t_cpu_free(a.t);
	t_cpu_free(b.t);
}

enum which { W_SECS_A, W_SECS_B, W_REG, W_PAGE_B, W_FREE, W_HEAP };

static void *pick(struct rig *r, enum which w)
{
	static uint8_t heap[SGX_PAGE_SIZE] __attribute__((aligned(4096)));

	switch (w) {
	case W_SECS_A:
		return r->secs_a;
	case W_SECS_B:
		return r->secs_b;
	case W_REG:
		return r->reg;
	case W_PAGE_B:
		return r->page_b;
	case W_FREE:
		return r->free_page;
	case W_HEAP:
		return heap;
	}
	return NULL;
}

static void test_eextend_page_fails_as_each_of_the_sixteen_and_measures_nothing(void **state)
{
	static const struct {
		const char *what;
		enum which secs, page;
		int code;
	} cases[] = {
	    {"page outside the EPC", W_SECS_A, W_HEAP, SGX_FAULT_GP},
	    {"SECS argument outside the EPC", W_HEAP, W_REG, SGX_FAULT_GP},
	    {"page not valid (free EPC page)", W_SECS_A, W_FREE, SGX_FAULT_PF},
	    {"page is a SECS", W_SECS_A, W_SECS_A, SGX_FAULT_PF},
	    {"SECS argument is a REG page", W_REG, W_REG, SGX_FAULT_PF},
	    {"SECS argument is a free EPC page", W_FREE, W_REG, SGX_FAULT_PF},
	    {"page of another enclave", W_SECS_A, W_PAGE_B, SGX_FAULT_GP},
	    {"SECS of another enclave", W_SECS_B, W_REG, SGX_FAULT_GP},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rig a, b;
		uint8_t a0[32], a1[32], b0[32], b1[32], x0[32], x1[32];

		rig_init(&a);
		rig_init(&b);
		mrenclave_of(&a, a.secs_a, a0);
		mrenclave_of(&a, a.secs_b, b0);
		mrenclave_of(&b, b.secs_a, x0);
		assert_memory_equal(a0, x0, 32);
		if (sixteen(&a, pick(&a, cases[i].secs), pick(&a, cases[i].page)) != cases[i].code)
			fail_msg("%s: sixteen EEXTENDs do not give %d", cases[i].what,
				 cases[i].code);
		if (whole(&b, pick(&b, cases[i].secs), pick(&b, cases[i].page)) != cases[i].code)
			fail_msg("%s: EEXTEND of the page does not give %d", cases[i].what,
				 cases[i].code);
		mrenclave_of(&a, a.secs_a, a1);
		mrenclave_of(&a, a.secs_b, b1);
		mrenclave_of(&b, b.secs_a, x1);
		assert_memory_equal(a0, a1, 32);
		assert_memory_equal(b0, b1, 32);
		assert_memory_equal(x0, x1, 32);
		mrenclave_of(&b, b.secs_b, x1);
		assert_memory_equal(b0, x1, 32);
		t_cpu_free(a.t);
		t_cpu_free(b.t);
	}
}

static void test_eextend_page_of_a_misaligned_address_is_gp_and_measures_nothing(void **state)
{
	struct rig r;
	uint8_t before[32], after[32];

	(void)state;
	rig_init(&r);
	mrenclave_of(&r, r.secs_a, before);
	assert_int_equal(whole(&r, r.secs_a, (uint8_t *)r.reg + 256), SGX_FAULT_GP);
	assert_int_equal(whole(&r, r.secs_a, (uint8_t *)r.reg + 1), SGX_FAULT_GP);
	mrenclave_of(&r, r.secs_a, after);
	assert_memory_equal(before, after, 32);
	t_cpu_free(r.t);
}

static void test_eextend_page_of_an_initialised_enclave_is_gp(void **state)
{
	struct t_encl_opts o = {0};
	struct t_cpu *t = t_cpu_new();
	struct t_encl e;
	uint8_t *page;

	(void)state;
	assert_int_equal(t_encl_build(t, &o, &e), 0);
	page = e.pages[E_DATA / SGX_PAGE_SIZE];
	assert_int_equal(sgx_encls_eextend(t->cpu, e.secs, page), SGX_FAULT_GP);
	assert_int_equal(sgx_encls_eextend_page(t->cpu, e.secs, page, NULL, 0), SGX_FAULT_GP);
	t_cpu_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_eextend_page_measures_as_sixteen_eextends),
	    cmocka_unit_test(test_eextend_page_fails_as_each_of_the_sixteen_and_measures_nothing),
	    cmocka_unit_test(test_eextend_page_of_a_misaligned_address_is_gp_and_measures_nothing),
	    cmocka_unit_test(test_eextend_page_of_an_initialised_enclave_is_gp),
	};

	return cmocka_run_group_tests(tests, NULL, t_encl_teardown);
}
