/* SPDX-License-Identifier: MIT */
/*
 * EREPORT and EGETKEY: the REPORT's MAC verifies with the target's REPORT key (obtained by the
 * target itself with EGETKEY) and with no other; seal keys follow identity and policy; the
 * root secret and the SVN checks matter; EINIT accepts a token MACed with a launch enclave's
 * EINITTOKEN key.  The CMAC is checked against OpenSSL's EVP_MAC implementation.
 */
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "encl_test_util.h"

#include "../../src/arch/arch_internal.h"

/* Operand places inside the test enclave's data pages. */
#define TI_OFF	(E_DATA + 0)
#define RD_OFF	(E_DATA + 512)
#define REP_OFF (E_DATA + 1024)
#define KR_OFF	(E_DATA2 + 0)
#define KEY_OFF (E_DATA2 + 512)

static void *at(const struct t_encl *e, uint64_t off)
{
	return (uint8_t *)t_encl_page(e, off & ~0xFFFull) + (off & 0xFFF);
}

static void openssl_cmac(const uint8_t key[16], const void *msg, size_t len, uint8_t out[16])
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "CMAC", NULL);
	EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(mac);
	OSSL_PARAM params[] = {
	    OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, "AES-128-CBC", 0),
	    OSSL_PARAM_construct_end(),
	};
	size_t n = 0;

	assert_non_null(ctx);
	assert_int_equal(EVP_MAC_init(ctx, key, 16, params), 1);
	assert_int_equal(EVP_MAC_update(ctx, msg, len), 1);
	assert_int_equal(EVP_MAC_final(ctx, out, &n, 16), 1);
	assert_int_equal(n, 16);
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
}

static void cmac_matches_openssl_for_every_length_class(void **state)
{
	static const size_t lens[] = {0, 1, 15, 16, 17, 31, 32, 64, 100, 192, 384, 416};
	uint8_t key[16], msg[416], a[16], b[16];

	(void)state;
	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)(0x2b + 17 * i);
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 7 + 1);
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		sgx_cmac_aes128(key, msg, lens[i], a);
		openssl_cmac(key, msg, lens[i], b);
		if (memcmp(a, b, 16))
			fail_msg("CMAC differs from OpenSSL for %zu bytes", lens[i]);
	}
}

/* Both block-cipher paths (AES-NI when the host has it, OpenSSL's table code) against EVP. */
static void aes_block_matches_openssl_on_both_paths(void **state)
{
	uint8_t key[16], in[16], want[16], got[16];
	struct sgx_aes128 ni, soft;
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n;

	(void)state;
	assert_non_null(ctx);
	for (int round = 0; round < 64; round++) {
		for (int i = 0; i < 16; i++) {
			key[i] = (uint8_t)(round * 37 + i * 11);
			in[i] = (uint8_t)(round * 5 + i * 29 + 3);
		}
		assert_int_equal(EVP_EncryptInit_ex(ctx, EVP_aes_128_ecb(), NULL, key, NULL), 1);
		EVP_CIPHER_CTX_set_padding(ctx, 0);
		assert_int_equal(EVP_EncryptUpdate(ctx, want, &n, in, 16), 1);
		sgx_aes128_probe();
		sgx_aes128_init(&ni, key);
		sgx_aes128_init_soft(&soft, key);
		sgx_aes128_encrypt(&ni, in, got);
		assert_memory_equal(got, want, 16);
		sgx_aes128_encrypt(&soft, in, got);
		assert_memory_equal(got, want, 16);
	}
	if (!ni.ni)
		print_message("host without AES-NI: only the OpenSSL path was exercised\n");
	EVP_CIPHER_CTX_free(ctx);
}

/* ---- EREPORT ---------------------------------------------------------------------------- */

static int ereport(struct t_cpu *t, const struct t_encl *e, const struct sgx_targetinfo *ti,
		   const uint8_t data[64], struct sgx_report *out)
{
	struct sgx_lp lp = {0};
	struct sgx_exception f;
	struct sgx_regs r;
	int ret;

	memcpy(at(e, TI_OFF), ti, sizeof(*ti));
	memcpy(at(e, RD_OFF), data, 64);
	t_enter(t, &lp, e, &r);
	ret = t_leaf(t, &lp, e, &r, SGX_EREPORT, e->base + TI_OFF, e->base + RD_OFF,
		     e->base + REP_OFF, &f);
	if (!ret) {
		assert_int_equal(r.rip, e->base + E_CODE + 0x103);
		memcpy(out, at(e, REP_OFF), sizeof(*out));
	}
	t_exit(t, &lp, &r);
	return ret;
}

/* EGETKEY in @e: the SGX code (RAX), the key in @key on success. */
static int egetkey(struct t_cpu *t, const struct t_encl *e, const struct sgx_keyrequest *req,
		   uint8_t key[16], uint64_t *rflags)
{
	struct sgx_lp lp = {0};
	struct sgx_exception f;
	struct sgx_regs r;
	int ret;

	memcpy(at(e, KR_OFF), req, sizeof(*req));
	memset(at(e, KEY_OFF), 0xCC, 16);
	t_enter(t, &lp, e, &r);
	r.rflags = 0x8D5 | 0x202; /* arithmetic flags set before the leaf */
	ret = t_leaf(t, &lp, e, &r, SGX_EGETKEY, e->base + KR_OFF, e->base + KEY_OFF, 0, &f);
	assert_int_equal(ret, 0);
	memcpy(key, at(e, KEY_OFF), 16);
	if (rflags)
		*rflags = r.rflags;
	ret = (int)r.rax;
	t_exit(t, &lp, &r);
	return ret;
}

static void targetinfo_of(const struct sgx_report *rep, struct sgx_targetinfo *ti)
{
	memset(ti, 0, sizeof(*ti));
	memcpy(ti->mrenclave, rep->body.mrenclave, 32);
	ti->attributes = rep->body.attributes;
	ti->miscselect = rep->body.miscselect;
	ti->config_svn = rep->body.config_svn;
	memcpy(ti->config_id, rep->body.config_id, 64);
}

static void self_report(struct t_cpu *t, const struct t_encl *e, struct sgx_report *rep)
{
	struct sgx_targetinfo ti = {0};
	uint8_t data[64] = {0};

	assert_int_equal(ereport(t, e, &ti, data, rep), 0);
}

static void report_key(struct t_cpu *t, const struct t_encl *e, const uint8_t key_id[32],
		       uint8_t key[16])
{
	struct sgx_keyrequest req = {.key_name = SGX_KEYNAME_REPORT};

	memcpy(req.key_id, key_id, 32);
	assert_int_equal(egetkey(t, e, &req, key, NULL), 0);
}

static void ereport_mac_verifies_with_the_targets_report_key_only(void **state)
{
	struct t_cpu *t = t_cpu_new();
	struct t_encl_opts oa = {.code_seed = 1, .base = T_BASE};
	struct t_encl_opts ob = {
	    .code_seed = 2, .base = T_BASE + 0x100000, .isv_prod_id = 5, .isv_svn = 3};
	struct t_encl_opts oc = {.code_seed = 3, .base = T_BASE + 0x200000};
	struct sgx_report rep_a, rep;
	struct sgx_targetinfo ti;
	struct t_encl a, b, c;
	uint8_t data[64], key[16], mac[16];

	(void)state;
	t_encl_init(t, &oa, &a);
	t_encl_init(t, &ob, &b);
	t_encl_init(t, &oc, &c);
	self_report(t, &a, &rep_a);
	targetinfo_of(&rep_a, &ti);
	for (int i = 0; i < 64; i++)
		data[i] = (uint8_t)(200 - i);
	assert_int_equal(ereport(t, &b, &ti, data, &rep), 0);

	/* The body describes B. */
	assert_memory_equal(rep.body.mrenclave, b.mrenclave, 32);
	assert_memory_equal(rep.body.mrsigner, b.mrsigner, 32);
	assert_int_equal(rep.body.isv_prod_id, 5);
	assert_int_equal(rep.body.isv_svn, 3);
	assert_int_equal(rep.body.attributes.flags, SGX_ATTR_MODE64BIT | SGX_ATTR_INIT);
	assert_int_equal(rep.body.attributes.xfrm, 3);
	assert_memory_equal(rep.body.report_data, data, 64);
	assert_memory_equal(rep.body.cpu_svn, t->platform.cpu_svn, 16);

	/* A verifies it with its own REPORT key (OpenSSL computes the CMAC). */
	report_key(t, &a, rep.key_id, key);
	openssl_cmac(key, &rep.body, sizeof(rep.body), mac);
	assert_memory_equal(mac, rep.mac, 16);
	/* C's REPORT key does not verify it; nor does a tampered body. */
	report_key(t, &c, rep.key_id, key);
	openssl_cmac(key, &rep.body, sizeof(rep.body), mac);
	assert_memory_not_equal(mac, rep.mac, 16);
	report_key(t, &a, rep.key_id, key);
	rep.body.isv_svn++;
	openssl_cmac(key, &rep.body, sizeof(rep.body), mac);
	assert_memory_not_equal(mac, rep.mac, 16);
	t_cpu_free(t);
}

static void ereport_with_misaligned_operands_is_gp(void **state)
{
	static const uint64_t bad[][3] = {
	    {TI_OFF + 64, RD_OFF, REP_OFF},
	    {TI_OFF, RD_OFF + 64, REP_OFF},
	    {TI_OFF, RD_OFF, REP_OFF + 16},
	};
	struct t_cpu *t = t_cpu_new();
	struct t_encl e;
	struct t_encl_opts o = {0};

	(void)state;
	t_encl_init(t, &o, &e);
	for (size_t i = 0; i < 3; i++) {
		struct sgx_lp lp = {0};
		struct sgx_exception f;
		struct sgx_regs r;

		t_enter(t, &lp, &e, &r);
		assert_int_equal(t_leaf(t, &lp, &e, &r, SGX_EREPORT, e.base + bad[i][0],
					e.base + bad[i][1], e.base + bad[i][2], &f),
				 SGX_FAULT_GP);
		t_exit(t, &lp, &r);
	}
	/* The output on a page the EPCM makes read-only (the page tables allow writes). */
	t_map(t, e.base + E_RO, t_encl_page(&e, E_RO), PROT_READ | PROT_WRITE);
	{
		struct sgx_lp lp = {0};
		struct sgx_exception f;
		struct sgx_regs r;

		t_enter(t, &lp, &e, &r);
		assert_int_equal(t_leaf(t, &lp, &e, &r, SGX_EREPORT, e.base + TI_OFF,
					e.base + RD_OFF, e.base + E_RO, &f),
				 SGX_FAULT_PF);
		assert_int_equal(f.error_code & 0x8000, 0x8000);
		assert_int_equal(f.addr, e.base + E_RO);
		t_exit(t, &lp, &r);
	}
	t_cpu_free(t);
}

/* ---- EGETKEY ---------------------------------------------------------------------------- */

static void seal_request(struct sgx_keyrequest *req, uint16_t policy, uint16_t svn)
{
	memset(req, 0, sizeof(*req));
	req->key_name = SGX_KEYNAME_SEAL;
	req->key_policy = policy;
	req->isv_svn = svn;
	req->attribute_mask.flags = ~0ull;
	req->attribute_mask.xfrm = 0;
	memset(req->key_id, 0x42, 32);
}

static void seal_key(struct t_cpu *t, const struct t_encl *e, uint16_t policy, uint8_t key[16])
{
	struct sgx_keyrequest req;

	seal_request(&req, policy, 0);
	assert_int_equal(egetkey(t, e, &req, key, NULL), 0);
}

static void seal_keys_follow_identity_and_policy(void **state)
{
	struct t_cpu *t = t_cpu_new();
	struct t_encl_opts o1 = {.code_seed = 1};
	struct t_encl_opts o1b = {.code_seed = 1, .base = T_BASE + 0x100000};
	struct t_encl_opts o2 = {.code_seed = 2, .base = T_BASE + 0x200000};
	struct t_encl e1, e1b, e2;
	uint8_t k1[16], k1again[16], k1b[16], k2[16], s1[16], s2[16];

	(void)state;
	t_encl_init(t, &o1, &e1);
	t_encl_init(t, &o1b, &e1b);
	t_encl_init(t, &o2, &e2);
	assert_memory_equal(e1.mrenclave, e1b.mrenclave, 32);
	assert_memory_not_equal(e1.mrenclave, e2.mrenclave, 32);

	seal_key(t, &e1, SGX_KEYPOLICY_MRENCLAVE, k1);
	seal_key(t, &e1, SGX_KEYPOLICY_MRENCLAVE, k1again);
	seal_key(t, &e1b, SGX_KEYPOLICY_MRENCLAVE, k1b);
	seal_key(t, &e2, SGX_KEYPOLICY_MRENCLAVE, k2);
	assert_memory_equal(k1, k1again, 16);
	assert_memory_equal(k1, k1b, 16); /* another instance of the same enclave */
	assert_memory_not_equal(k1, k2, 16);

	seal_key(t, &e1, SGX_KEYPOLICY_MRSIGNER, s1);
	seal_key(t, &e2, SGX_KEYPOLICY_MRSIGNER, s2);
	assert_memory_equal(s1, s2, 16); /* same signer, product and SVN */
	assert_memory_not_equal(s1, k1, 16);
	t_cpu_free(t);
}

static void seal_keys_survive_a_restart_and_differ_between_platforms(void **state)
{
	struct t_encl_opts o = {.code_seed = 1};
	struct t_cpu *t1 = t_cpu_new_secret(1), *t1again = t_cpu_new_secret(1);
	struct t_cpu *t2 = t_cpu_new_secret(2);
	struct t_encl e1, e1again, e2;
	uint8_t k1[16], k1again[16], k2[16];

	(void)state;
	t_encl_init(t1, &o, &e1);
	t_encl_init(t1again, &o, &e1again);
	t_encl_init(t2, &o, &e2);
	seal_key(t1, &e1, SGX_KEYPOLICY_MRENCLAVE, k1);
	seal_key(t1again, &e1again, SGX_KEYPOLICY_MRENCLAVE, k1again);
	seal_key(t2, &e2, SGX_KEYPOLICY_MRENCLAVE, k2);
	assert_memory_equal(k1, k1again, 16);
	assert_memory_not_equal(k1, k2, 16);
	t_cpu_free(t1);
	t_cpu_free(t1again);
	t_cpu_free(t2);
}

static void seal_keys_depend_on_svn_prodid_and_keyid(void **state)
{
	struct t_cpu *t = t_cpu_new();
	struct t_encl_opts o = {.isv_svn = 4, .isv_prod_id = 9};
	struct t_encl_opts other_prod = {
	    .isv_svn = 4, .isv_prod_id = 10, .base = T_BASE + 0x100000};
	struct sgx_keyrequest req;
	struct t_encl e, f;
	uint8_t k4[16], k3[16], kid[16], kf[16], knp[16], knpf[16];

	(void)state;
	t_encl_init(t, &o, &e);
	t_encl_init(t, &other_prod, &f);
	seal_request(&req, SGX_KEYPOLICY_MRSIGNER, 4);
	assert_int_equal(egetkey(t, &e, &req, k4, NULL), 0);
	req.isv_svn = 3;
	assert_int_equal(egetkey(t, &e, &req, k3, NULL), 0);
	assert_memory_not_equal(k4, k3, 16);
	req.isv_svn = 4;
	req.key_id[0] ^= 1;
	assert_int_equal(egetkey(t, &e, &req, kid, NULL), 0);
	assert_memory_not_equal(k4, kid, 16);
	req.key_id[0] ^= 1;
	assert_int_equal(egetkey(t, &f, &req, kf, NULL), 0);
	assert_memory_not_equal(k4, kf, 16); /* ISVPRODID is part of the key */
	req.key_policy |= SGX_KEYPOLICY_NOISVPRODID;
	assert_int_equal(egetkey(t, &e, &req, knp, NULL), 0);
	assert_int_equal(egetkey(t, &f, &req, knpf, NULL), 0);
	assert_memory_equal(knp, knpf, 16);
	t_cpu_free(t);
}

struct key_error {
	const char *name;
	uint64_t attributes;
	void (*mutate)(struct sgx_keyrequest *req, const struct t_cpu *t);
	int expect;
};

static void k_svn_above(struct sgx_keyrequest *r, const struct t_cpu *t)
{
	(void)t;
	r->isv_svn = 5;
}
static void k_cpusvn_above(struct sgx_keyrequest *r, const struct t_cpu *t)
{
	memcpy(r->cpu_svn, t->platform.cpu_svn, 16);
	r->cpu_svn[15]++;
}
static void k_cpusvn_current(struct sgx_keyrequest *r, const struct t_cpu *t)
{
	memcpy(r->cpu_svn, t->platform.cpu_svn, 16);
}
static void k_provision(struct sgx_keyrequest *r, const struct t_cpu *t)
{
	(void)t;
	r->key_name = SGX_KEYNAME_PROVISION;
}
static void k_provision_seal(struct sgx_keyrequest *r, const struct t_cpu *t)
{
	(void)t;
	r->key_name = SGX_KEYNAME_PROVISION_SEAL;
}
static void k_einittoken(struct sgx_keyrequest *r, const struct t_cpu *t)
{
	(void)t;
	r->key_name = SGX_KEYNAME_EINITTOKEN;
}
static void k_unknown_name(struct sgx_keyrequest *r, const struct t_cpu *t)
{
	(void)t;
	r->key_name = 5;
}
static void k_report_svn_ignored(struct sgx_keyrequest *r, const struct t_cpu *t)
{
	(void)t;
	r->key_name = SGX_KEYNAME_REPORT;
	r->isv_svn = 999;
}
static void k_reserved1(struct sgx_keyrequest *r, const struct t_cpu *t)
{
	(void)t;
	r->reserved1[1] = 1;
}
static void k_reserved2(struct sgx_keyrequest *r, const struct t_cpu *t)
{
	(void)t;
	r->reserved2[433] = 1;
}
static void k_policy_reserved(struct sgx_keyrequest *r, const struct t_cpu *t)
{
	(void)t;
	r->key_policy |= 1u << 6;
}
static void k_policy_kss(struct sgx_keyrequest *r, const struct t_cpu *t)
{
	(void)t;
	r->key_policy |= SGX_KEYPOLICY_ISVFAMILYID;
}

#define GP SGX_FAULT_GP

static const struct key_error key_errors[] = {
    {"ISVSVN above the enclave's", 0, k_svn_above, SGX_INVALID_ISVSVN},
    {"CPUSVN above the platform's", 0, k_cpusvn_above, SGX_INVALID_CPUSVN},
    {"CPUSVN equal to the platform's", 0, k_cpusvn_current, SGX_SUCCESS},
    {"PROVISION key without PROVISIONKEY", 0, k_provision, SGX_INVALID_ATTRIBUTE},
    {"PROVISION key with PROVISIONKEY", SGX_ATTR_PROVISIONKEY, k_provision, SGX_SUCCESS},
    {"PROVISION_SEAL without PROVISIONKEY", 0, k_provision_seal, SGX_INVALID_ATTRIBUTE},
    {"EINITTOKEN key without EINITTOKENKEY", 0, k_einittoken, SGX_INVALID_ATTRIBUTE},
    {"EINITTOKEN key with EINITTOKENKEY", SGX_ATTR_EINITTOKENKEY, k_einittoken, SGX_SUCCESS},
    {"KEYNAME 5", 0, k_unknown_name, SGX_INVALID_KEYNAME},
    {"REPORT key ignores ISVSVN", 0, k_report_svn_ignored, SGX_SUCCESS},
    {"reserved bytes 6..7", 0, k_reserved1, GP},
    {"reserved byte 511", 0, k_reserved2, GP},
    {"KEYPOLICY bit 6", 0, k_policy_reserved, GP},
    {"ISVFAMILYID policy without KSS", 0, k_policy_kss, GP},
    {"ISVFAMILYID policy with KSS", SGX_ATTR_KSS, k_policy_kss, SGX_SUCCESS},
};

static void egetkey_checks_and_error_codes(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(key_errors) / sizeof(key_errors[0]); i++) {
		const struct key_error *c = &key_errors[i];
		struct t_encl_opts o = {.isv_svn = 4};
		struct t_cpu *t = t_cpu_new();
		struct sgx_keyrequest req;
		struct sgx_lp lp = {0};
		struct sgx_exception f;
		struct sgx_regs r;
		struct t_encl e;
		int ret;

		o.attributes = SGX_ATTR_MODE64BIT | c->attributes;
		t_encl_init(t, &o, &e);
		seal_request(&req, SGX_KEYPOLICY_MRENCLAVE, 4);
		c->mutate(&req, t);
		memcpy(at(&e, KR_OFF), &req, sizeof(req));
		memset(at(&e, KEY_OFF), 0xCC, 16);
		t_enter(t, &lp, &e, &r);
		r.rflags = 0x202 | 0x8D5;
		ret = t_leaf(t, &lp, &e, &r, SGX_EGETKEY, e.base + KR_OFF, e.base + KEY_OFF, 0, &f);
		if (c->expect == GP) {
			if (ret != SGX_FAULT_GP)
				fail_msg("%s: EGETKEY returned %d, expected #GP", c->name, ret);
			t_cpu_free(t);
			continue;
		}
		assert_int_equal(ret, 0);
		if ((int)r.rax != c->expect)
			fail_msg("%s: RAX %d, expected %d", c->name, (int)r.rax, c->expect);
		/* ZF reports failure; the other arithmetic flags are cleared. */
		assert_int_equal(r.rflags & 0x8D5, c->expect ? 0x40 : 0);
		assert_int_equal(r.rflags & 0x202, 0x202);
		{
			static const uint8_t untouched[16] = {0xCC, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC,
							      0xCC, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC,
							      0xCC, 0xCC, 0xCC, 0xCC};

			/* The key is written on success only. */
			if (c->expect)
				assert_memory_equal(at(&e, KEY_OFF), untouched, 16);
			else
				assert_memory_not_equal(at(&e, KEY_OFF), untouched, 16);
		}
		t_cpu_free(t);
	}
}

static void debug_enclaves_never_share_seal_keys_with_production(void **state)
{
	struct t_cpu *t = t_cpu_new();
	struct t_encl_opts prod = {.code_seed = 1};
	struct t_encl_opts dbg = {.code_seed = 1,
				  .base = T_BASE + 0x100000,
				  .attributes = SGX_ATTR_MODE64BIT | SGX_ATTR_DEBUG};
	struct sgx_keyrequest req;
	struct t_encl p, d;
	uint8_t kp[16], kd[16];

	(void)state;
	t_encl_init(t, &prod, &p);
	t_encl_init(t, &dbg, &d);
	/* Even with an attribute mask of zero, DEBUG (and INIT) stay in the key. */
	seal_request(&req, SGX_KEYPOLICY_MRSIGNER, 0);
	req.attribute_mask.flags = 0;
	assert_int_equal(egetkey(t, &p, &req, kp, NULL), 0);
	assert_int_equal(egetkey(t, &d, &req, kd, NULL), 0);
	assert_memory_not_equal(kp, kd, 16);
	t_cpu_free(t);
}

/* ---- launch tokens ---------------------------------------------------------------------- */

struct token_ctx {
	uint8_t le_hash[32];
	uint8_t key[16]; /* the LE's EINITTOKEN key */
	uint8_t *token;
	bool corrupt;
	const struct t_cpu *t;
};

/* What a launch enclave writes: the token for the app, MACed with its EINITTOKEN key. */
static void make_token(struct t_cpu *t, const struct t_encl *app, void *arg)
{
	struct token_ctx *c = arg;
	uint8_t *tk = c->token;
	uint64_t flags = SGX_ATTR_MODE64BIT, xfrm = 3,
		 le_flags = SGX_ATTR_MODE64BIT | SGX_ATTR_INIT;
	uint16_t prod = 0x20, svn = 1;

	memset(tk, 0, 512);
	tk[0] = 1; /* VALID */
	memcpy(tk + 48, &flags, 8);
	memcpy(tk + 56, &xfrm, 8);
	memcpy(tk + 64, app->mrenclave, 32);
	memcpy(tk + 128, app->mrsigner, 32);
	memcpy(tk + 192, t->platform.cpu_svn, 16);
	memcpy(tk + 208, &prod, 2);
	memcpy(tk + 210, &svn, 2);
	memcpy(tk + 240, &le_flags, 8); /* MASKEDATTRIBUTESLE, XFRM masked to 0 */
	memset(tk + 256, 0x77, 32);
	openssl_cmac(c->key, tk, 192, tk + 288);
	if (c->corrupt)
		tk[288] ^= 1;
	sgx_cpu_set_lepubkeyhash(t->cpu, c->le_hash);
}

static void einit_checks_tokens_macd_with_a_launch_enclaves_key(void **state)
{
	static uint8_t token[512] __attribute__((aligned(512)));
	struct t_cpu *t = t_cpu_new();
	struct t_encl_opts le_opts = {.attributes = SGX_ATTR_MODE64BIT | SGX_ATTR_EINITTOKENKEY,
				      .isv_prod_id = 0x20,
				      .isv_svn = 1};
	struct softsgx_err err = {0};
	struct sgx_signing_key *other;
	struct token_ctx ctx = {.token = token, .t = t};
	struct sgx_keyrequest req;
	struct t_encl le, app;

	(void)state;
	t_encl_init(t, &le_opts, &le);
	memcpy(ctx.le_hash, le.mrsigner, 32);
	memset(&req, 0, sizeof(req));
	req.key_name = SGX_KEYNAME_EINITTOKEN;
	req.isv_svn = 1;
	memcpy(req.cpu_svn, t->platform.cpu_svn, 16);
	req.attribute_mask.flags = SGX_ATTR_MODE64BIT;
	memset(req.key_id, 0x77, 32);
	assert_int_equal(egetkey(t, &le, &req, ctx.key, NULL), 0);

	assert_int_equal(sgx_signing_key_generate(&other, &err), 0);
	{
		struct t_encl_opts app_opts = {.code_seed = 9,
					       .base = T_BASE + 0x100000,
					       .signer = other,
					       .before_einit = make_token,
					       .ctx = &ctx,
					       .einittoken = token};
		struct t_encl_opts bad_opts = app_opts;
		struct t_encl_opts no_token = app_opts;

		bad_opts.base = T_BASE + 0x200000;
		no_token.base = T_BASE + 0x300000;
		no_token.einittoken = NULL;
		assert_int_equal(t_encl_build(t, &app_opts, &app), SGX_SUCCESS);
		ctx.corrupt = true;
		assert_int_equal(t_encl_build(t, &bad_opts, &app), SGX_INVALID_EINITTOKEN);
		ctx.corrupt = false;
		assert_int_equal(t_encl_build(t, &no_token, &app), SGX_INVALID_EINITTOKEN);
	}
	sgx_signing_key_free(other);
	t_cpu_free(t);
}

static void kss_identity_reaches_the_report_and_the_isvfamilyid_seal_policy(void **state)
{
	struct t_cpu *t = t_cpu_new();
	struct t_encl_opts a = {.attributes = SGX_ATTR_MODE64BIT | SGX_ATTR_KSS, .code_seed = 1};
	struct t_encl_opts b = a, c = a;
	struct sgx_keyrequest req;
	struct sgx_report rep;
	struct t_encl ea, eb, ec;
	uint8_t ka[16], kb[16], kc[16];

	(void)state;
	memset(a.isv_family_id, 0x11, 16);
	memset(a.isv_ext_prod_id, 0x22, 16);
	memcpy(b.isv_family_id, a.isv_family_id, 16);
	b.code_seed = 2;
	b.base = T_BASE + 0x100000;
	memset(c.isv_family_id, 0x33, 16);
	c.base = T_BASE + 0x200000;
	t_encl_init(t, &a, &ea);
	t_encl_init(t, &b, &eb);
	t_encl_init(t, &c, &ec);
	self_report(t, &ea, &rep);
	assert_memory_equal(rep.body.isv_family_id, a.isv_family_id, 16);
	assert_memory_equal(rep.body.isv_ext_prod_id, a.isv_ext_prod_id, 16);
	/* Keyed by family (and signer): A and B share it, C's family differs. */
	seal_request(&req, SGX_KEYPOLICY_MRSIGNER | SGX_KEYPOLICY_ISVFAMILYID, 0);
	assert_int_equal(egetkey(t, &ea, &req, ka, NULL), 0);
	assert_int_equal(egetkey(t, &eb, &req, kb, NULL), 0);
	assert_int_equal(egetkey(t, &ec, &req, kc, NULL), 0);
	assert_memory_equal(ka, kb, 16);
	assert_memory_not_equal(ka, kc, 16);
	t_cpu_free(t);
}

static void a_report_without_kss_carries_no_kss_identity(void **state)
{
	struct t_cpu *t = t_cpu_new();
	struct t_encl_opts o = {0};
	struct sgx_report rep;
	static const uint8_t zero[16];
	struct t_encl e;

	(void)state;
	memset(o.isv_ext_prod_id, 0x44, 16); /* signed, but without KSS it is not recorded */
	t_encl_init(t, &o, &e);
	self_report(t, &e, &rep);
	assert_memory_equal(rep.body.isv_family_id, zero, 16);
	assert_memory_equal(rep.body.isv_ext_prod_id, zero, 16);
	t_cpu_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(aes_block_matches_openssl_on_both_paths),
	    cmocka_unit_test(cmac_matches_openssl_for_every_length_class),
	    cmocka_unit_test(ereport_mac_verifies_with_the_targets_report_key_only),
	    cmocka_unit_test(ereport_with_misaligned_operands_is_gp),
	    cmocka_unit_test(seal_keys_follow_identity_and_policy),
	    cmocka_unit_test(seal_keys_survive_a_restart_and_differ_between_platforms),
	    cmocka_unit_test(seal_keys_depend_on_svn_prodid_and_keyid),
	    cmocka_unit_test(egetkey_checks_and_error_codes),
	    cmocka_unit_test(debug_enclaves_never_share_seal_keys_with_production),
	    cmocka_unit_test(kss_identity_reaches_the_report_and_the_isvfamilyid_seal_policy),
	    cmocka_unit_test(a_report_without_kss_carries_no_kss_identity),
	    cmocka_unit_test(einit_checks_tokens_macd_with_a_launch_enclaves_key),
	};

	return cmocka_run_group_tests(tests, NULL, t_encl_teardown);
}
