/* SPDX-License-Identifier: MIT */
/*
 * EINIT: the matrix of checks in the order of sgx-architecture.md with their SGX codes, the
 * identity it records, and a real enclave (Fortanix's test_enclave.sgxs) reaching INIT with the
 * MRENCLAVE its vectors publish.  SIGSTRUCTs are signed with the vector key sig1.key.pem.
 */
#include <pthread.h>
#include <stdatomic.h>

#include <openssl/evp.h>

#include "cpu_test_util.h"

#include "softsgx/measure.h"
#include "softsgx/sigstruct.h"

static struct sgx_signing_key *key;
static uint8_t key_mrsigner[32]; /* SHA-256 of the vector's modulus file, computed here */

static void read_vector(const char *name, uint8_t **buf, size_t *len)
{
	const char *dir = getenv("SOFTSGX_VECTORS");
	char path[4096];
	FILE *f;
	long n;

	assert_non_null(dir);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open vector %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	*buf = malloc((size_t)n);
	assert_non_null(*buf);
	assert_int_equal(fread(*buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
}

static int setup(void **state)
{
	struct softsgx_err err = {0};
	char path[4096];
	uint8_t *mod;
	size_t len;

	(void)state;
	snprintf(path, sizeof(path), "%s/sig1.key.pem", getenv("SOFTSGX_VECTORS"));
	if (sgx_signing_key_load(path, &key, &err)) {
		fprintf(stderr, "cannot load %s: %s\n", path, err.msg);
		return -1;
	}
	read_vector("sig1.key_n.bin", &mod, &len);
	assert_int_equal(len, 384);
	EVP_Digest(mod, len, key_mrsigner, NULL, EVP_sha256(), NULL);
	free(mod);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	sgx_signing_key_free(key);
	return 0;
}

/* ---- the small test enclave ------------------------------------------------------------- */

static uint8_t code_page[4096];

/* ECREATE + TCS + two SSA pages + a measured code page + an unmeasured data page. */
static void build(struct t_cpu *t, const struct sgx_secs *params, void **secs,
		  uint8_t mrenclave[32])
{
	struct sgx_measure m;
	struct sgx_tcs tcs;
	void *page;

	for (size_t i = 0; i < sizeof(code_page); i++)
		code_page[i] = (uint8_t)(i * 7 + 3);
	assert_int_equal(t_ecreate(t, params, secs), 0);
	assert_int_equal(sgx_measure_init(&m, NULL), 0);
	sgx_measure_ecreate(&m, params->ssa_frame_size, params->size);

	t_tcs(&tcs);
	assert_int_equal(t_eadd_at(t, *secs, T_BASE + T_TCS_OFF, T_TCS, &tcs, &page), 0);
	sgx_measure_eadd(&m, T_TCS_OFF, T_TCS);
	for (int c = 0; c < 16; c++)
		assert_int_equal(sgx_encls_eextend(t->cpu, *secs, (uint8_t *)page + 256 * c), 0);
	sgx_measure_eextend_page(&m, T_TCS_OFF, (const uint8_t *)&tcs);
	for (uint64_t off = T_SSA_OFF; off < T_CODE_OFF; off += 4096) {
		assert_int_equal(t_eadd_at(t, *secs, T_BASE + off, T_REG_RW, NULL, &page), 0);
		sgx_measure_eadd(&m, off, T_REG_RW);
	}
	assert_int_equal(t_eadd_at(t, *secs, T_BASE + T_CODE_OFF, T_REG_RX, code_page, &page), 0);
	sgx_measure_eadd(&m, T_CODE_OFF, T_REG_RX);
	for (int c = 0; c < 16; c++)
		assert_int_equal(sgx_encls_eextend(t->cpu, *secs, (uint8_t *)page + 256 * c), 0);
	sgx_measure_eextend_page(&m, T_CODE_OFF, code_page);
	assert_int_equal(t_eadd_at(t, *secs, T_BASE + T_DATA_OFF, T_REG_RW, NULL, &page), 0);
	sgx_measure_eadd(&m, T_DATA_OFF, T_REG_RW);
	assert_int_equal(sgx_measure_final(&m, mrenclave), 0);
	sgx_measure_free(&m);
}

static uint64_t sgx_secs_page_attributes(const void *epc_secs)
{
	return ((const struct sgx_secs *)epc_secs)->attributes.flags;
}

static void sign(struct sgx_sigstruct *s)
{
	struct softsgx_err err = {0};

	if (sgx_sigstruct_sign(s, key, &err))
		fail_msg("signing failed: %s", err.msg);
}

static void sigstruct_for(struct sgx_sigstruct *s, const struct sgx_secs *params,
			  const uint8_t mrenclave[32])
{
	sgx_sigstruct_init(s);
	s->body.attributes = params->attributes;
	s->body.attributes_mask.flags = ~0ull;
	s->body.attributes_mask.xfrm = ~0ull;
	s->body.miscselect = params->miscselect;
	s->body.misc_mask = ~0u;
	memcpy(s->body.mrenclave, mrenclave, 32);
	s->body.isv_prod_id = 0x1234;
	s->body.isv_svn = 7;
}

/* ---- the matrix ------------------------------------------------------------------------- */

enum lehash { LE_MRSIGNER, LE_OTHER };

struct einit_case {
	const char *name;
	void (*secs)(struct sgx_secs *s);
	void (*before)(struct sgx_sigstruct *s); /* changes that get signed */
	void (*after)(struct sgx_sigstruct *s);	 /* changes after signing */
	enum lehash le;
	unsigned int events;
	int expect;
};

static void s_debug(struct sgx_secs *s)
{
	s->attributes.flags |= SGX_ATTR_DEBUG;
}
static void s_kss(struct sgx_secs *s)
{
	s->attributes.flags |= SGX_ATTR_KSS;
}
static void s_einittokenkey(struct sgx_secs *s)
{
	s->attributes.flags |= SGX_ATTR_EINITTOKENKEY;
}

static void b_vendor_intel(struct sgx_sigstruct *s)
{
	s->header.vendor = SGX_SIGSTRUCT_VENDOR_INTEL;
}
static void b_family(struct sgx_sigstruct *s)
{
	s->body.isv_family_id[3] = 9;
}
static void b_family_kss(struct sgx_sigstruct *s)
{
	s->body.isv_family_id[3] = 9;
	s->body.attributes.flags |= SGX_ATTR_KSS;
}
static void b_kss(struct sgx_sigstruct *s)
{
	s->body.attributes.flags |= SGX_ATTR_KSS;
}
static void b_wrong_hash(struct sgx_sigstruct *s)
{
	s->body.mrenclave[31] ^= 1;
}
static void b_einittokenkey(struct sgx_sigstruct *s)
{
	s->body.attributes.flags |= SGX_ATTR_EINITTOKENKEY;
}
static void b_debug_masked(struct sgx_sigstruct *s)
{
	s->body.attributes.flags |= SGX_ATTR_DEBUG;
}
static void b_no_debug(struct sgx_sigstruct *s)
{
	s->body.attributes.flags &= ~SGX_ATTR_DEBUG;
}
static void b_debug_unmasked(struct sgx_sigstruct *s)
{
	s->body.attributes.flags |= SGX_ATTR_DEBUG;
	s->body.attributes_mask.flags &= ~SGX_ATTR_DEBUG;
}
static void b_xfrm_masked(struct sgx_sigstruct *s)
{
	s->body.attributes.xfrm |= 0x4;
}
static void b_xfrm_unmasked(struct sgx_sigstruct *s)
{
	s->body.attributes.xfrm |= 0x4;
	s->body.attributes_mask.xfrm = SGX_XFRM_LEGACY;
}
static void b_misc_masked(struct sgx_sigstruct *s)
{
	s->body.miscselect = SGX_MISC_EXINFO;
}
static void b_misc_unmasked(struct sgx_sigstruct *s)
{
	s->body.miscselect = SGX_MISC_EXINFO;
	s->body.misc_mask = 0;
}
static void b_wrong_hash_and_attr(struct sgx_sigstruct *s)
{
	b_wrong_hash(s);
	b_debug_masked(s);
}

static void a_header(struct sgx_sigstruct *s)
{
	s->header.header[0] ^= 1;
}
static void a_header2(struct sgx_sigstruct *s)
{
	s->header.header2[15] ^= 1;
}
static void a_exponent(struct sgx_sigstruct *s)
{
	s->exponent = 65537;
}
static void a_reserved(struct sgx_sigstruct *s)
{
	s->reserved[0] = 1;
}
static void a_signature(struct sgx_sigstruct *s)
{
	s->signature[100] ^= 0x10;
}
static void a_body(struct sgx_sigstruct *s)
{
	s->body.isv_svn++;
}
static void a_q1(struct sgx_sigstruct *s)
{
	s->q1[0] ^= 1;
}
static void a_q2(struct sgx_sigstruct *s)
{
	s->q2[5] ^= 1;
}
static void a_header_and_signature(struct sgx_sigstruct *s)
{
	a_header(s);
	a_signature(s);
}
static void a_modulus(struct sgx_sigstruct *s)
{
	/* Another key's modulus: the signature no longer verifies. */
	s->modulus[383] ^= 0x40;
}

static const struct einit_case cases[] = {
    {"a valid enclave", NULL, NULL, NULL, LE_MRSIGNER, 0, SGX_SUCCESS},
    {"VENDOR 0x8086", NULL, b_vendor_intel, NULL, LE_MRSIGNER, 0, SGX_SUCCESS},
    {"HEADER byte 0 wrong", NULL, NULL, a_header, LE_MRSIGNER, 0, SGX_INVALID_SIG_STRUCT},
    {"HEADER2 byte 15 wrong", NULL, NULL, a_header2, LE_MRSIGNER, 0, SGX_INVALID_SIG_STRUCT},
    {"EXPONENT 65537", NULL, NULL, a_exponent, LE_MRSIGNER, 0, SGX_INVALID_SIG_STRUCT},
    {"reserved byte 1028 set", NULL, NULL, a_reserved, LE_MRSIGNER, 0, SGX_INVALID_SIG_STRUCT},
    {"an unmasked event", NULL, NULL, NULL, LE_MRSIGNER, 1, SGX_UNMASKED_EVENT},
    {"SIGNATURE byte flipped", NULL, NULL, a_signature, LE_MRSIGNER, 0, SGX_INVALID_SIGNATURE},
    {"signed body changed after signing", NULL, NULL, a_body, LE_MRSIGNER, 0,
     SGX_INVALID_SIGNATURE},
    {"MODULUS of another key", NULL, NULL, a_modulus, LE_MRSIGNER, 0, SGX_INVALID_SIGNATURE},
    {"Q1 wrong", NULL, NULL, a_q1, LE_MRSIGNER, 0, SGX_INVALID_SIGNATURE},
    {"Q2 wrong", NULL, NULL, a_q2, LE_MRSIGNER, 0, SGX_INVALID_SIGNATURE},
    {"ISVFAMILYID without KSS", NULL, b_family, NULL, LE_MRSIGNER, 0, SGX_INVALID_SIG_STRUCT},
    {"ISVFAMILYID with KSS", s_kss, b_family_kss, NULL, LE_MRSIGNER, 0, SGX_SUCCESS},
    {"KSS signed but not in SECS, under the mask", NULL, b_kss, NULL, LE_MRSIGNER, 0,
     SGX_INVALID_ATTRIBUTE},
    {"ENCLAVEHASH not the measurement", NULL, b_wrong_hash, NULL, LE_MRSIGNER, 0,
     SGX_INVALID_MEASUREMENT},
    {"EINITTOKENKEY signed by the launch key", s_einittokenkey, b_einittokenkey, NULL, LE_MRSIGNER,
     0, SGX_SUCCESS},
    {"EINITTOKENKEY signed by another key", s_einittokenkey, b_einittokenkey, NULL, LE_OTHER, 0,
     SGX_INVALID_ATTRIBUTE},
    {"DEBUG signed, not in SECS, under the mask", NULL, b_debug_masked, NULL, LE_MRSIGNER, 0,
     SGX_INVALID_ATTRIBUTE},
    {"DEBUG signed, not in SECS, outside the mask", NULL, b_debug_unmasked, NULL, LE_MRSIGNER, 0,
     SGX_SUCCESS},
    {"DEBUG in SECS, not signed, under the mask", s_debug, b_no_debug, NULL, LE_MRSIGNER, 0,
     SGX_INVALID_ATTRIBUTE},
    {"XFRM differs under the mask", NULL, b_xfrm_masked, NULL, LE_MRSIGNER, 0,
     SGX_INVALID_ATTRIBUTE},
    {"XFRM differs outside the mask", NULL, b_xfrm_unmasked, NULL, LE_MRSIGNER, 0, SGX_SUCCESS},
    {"MISCSELECT differs under the mask", NULL, b_misc_masked, NULL, LE_MRSIGNER, 0,
     SGX_INVALID_ATTRIBUTE},
    {"MISCSELECT differs outside the mask", NULL, b_misc_unmasked, NULL, LE_MRSIGNER, 0,
     SGX_SUCCESS},
    {"launch key hash is another signer's, no token", NULL, NULL, NULL, LE_OTHER, 0,
     SGX_INVALID_EINITTOKEN},
    /* Order: the earlier check wins when two fail. */
    {"bad HEADER and bad SIGNATURE: format first", NULL, NULL, a_header_and_signature, LE_MRSIGNER,
     0, SGX_INVALID_SIG_STRUCT},
    {"bad HEADER and an event: format first", NULL, NULL, a_header, LE_MRSIGNER, 1,
     SGX_INVALID_SIG_STRUCT},
    {"an event and a bad SIGNATURE: event first", NULL, NULL, a_signature, LE_MRSIGNER, 1,
     SGX_UNMASKED_EVENT},
    {"bad SIGNATURE and wrong hash: signature first", NULL, b_wrong_hash, a_signature, LE_MRSIGNER,
     0, SGX_INVALID_SIGNATURE},
    {"family without KSS and wrong hash: family first", NULL, b_family, NULL, LE_MRSIGNER, 0,
     SGX_INVALID_SIG_STRUCT},
    {"wrong hash and attribute mismatch: measurement first", NULL, b_wrong_hash_and_attr, NULL,
     LE_MRSIGNER, 0, SGX_INVALID_MEASUREMENT},
    {"attribute mismatch and foreign launch key: attributes first", NULL, b_debug_masked, NULL,
     LE_OTHER, 0, SGX_INVALID_ATTRIBUTE},
};

static struct sgx_sigstruct sig __attribute__((aligned(4096)));

/* The default enclave built on @t up to EINIT, and `sig` signed for it by the vector key. */
static void build_signed(struct t_cpu *t, struct sgx_secs *params, void **secs,
			 uint8_t mrenclave[32])
{
	t_secs(params);
	build(t, params, secs, mrenclave);
	sigstruct_for(&sig, params, mrenclave);
	sign(&sig);
}

static void einit_matrix_gives_the_documented_code_for_each_check(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct einit_case *c = &cases[i];
		struct t_cpu *t = t_cpu_new();
		uint8_t mrenclave[32], other[32];
		struct sgx_secs params;
		void *secs;
		int ret;

		t_secs(&params);
		if (c->secs)
			c->secs(&params);
		build(t, &params, &secs, mrenclave);
		sigstruct_for(&sig, &params, mrenclave);
		if (c->before)
			c->before(&sig);
		sign(&sig);
		if (c->after)
			c->after(&sig);
		memcpy(other, key_mrsigner, 32);
		other[0] ^= 0xFF;
		sgx_cpu_set_lepubkeyhash(t->cpu, c->le == LE_MRSIGNER ? key_mrsigner : other);
		sgx_cpu_inject_unmasked_events(t->cpu, c->events);
		ret = sgx_encls_einit(t->cpu, &sig, secs, NULL);
		if (ret != c->expect)
			fail_msg("%s: EINIT returned %d (%s), expected %d (%s)", c->name, ret,
				 sgx_return_code_name(ret), c->expect,
				 sgx_return_code_name(c->expect));
		assert_int_equal(!!(sgx_secs_page_attributes(secs) & SGX_ATTR_INIT), ret == 0);
		t_cpu_free(t);
	}
}

static void einit_records_identity_and_ends_the_build(void **state)
{
	struct t_cpu *t = t_cpu_new();
	uint8_t mrenclave[32];
	struct sgx_secs params;
	const struct sgx_secs *secs;
	void *epc_secs, *page;

	(void)state;
	build_signed(t, &params, &epc_secs, mrenclave);
	sgx_cpu_set_lepubkeyhash(t->cpu, key_mrsigner);
	assert_int_equal(sgx_encls_einit(t->cpu, &sig, epc_secs, NULL), 0);
	secs = epc_secs;
	assert_memory_equal(secs->mrenclave, mrenclave, 32);
	assert_memory_equal(secs->mrsigner, key_mrsigner, 32);
	assert_int_equal(secs->isv_prod_id, 0x1234);
	assert_int_equal(secs->isv_svn, 7);
	assert_int_equal(secs->attributes.flags, SGX_ATTR_MODE64BIT | SGX_ATTR_INIT);
	/* No more EADD, EEXTEND or EINIT. */
	assert_int_equal(t_eadd_at(t, epc_secs, T_BASE + 0x9000, T_REG_RW, NULL, &page),
			 SGX_FAULT_GP);
	assert_int_equal(
	    sgx_encls_eextend(t->cpu, epc_secs,
			      sgx_epc_page(t->cpu, sgx_epc_index(t->cpu, epc_secs) + 5)),
	    SGX_FAULT_GP);
	assert_int_equal(sgx_encls_einit(t->cpu, &sig, epc_secs, NULL), SGX_FAULT_GP);
	t_cpu_free(t);
}

static void einit_after_an_unmasked_event_succeeds_on_retry(void **state)
{
	struct t_cpu *t = t_cpu_new();
	uint8_t mrenclave[32];
	struct sgx_secs params;
	void *secs;

	(void)state;
	build_signed(t, &params, &secs, mrenclave);
	sgx_cpu_set_lepubkeyhash(t->cpu, key_mrsigner);
	sgx_cpu_inject_unmasked_events(t->cpu, 2);
	assert_int_equal(sgx_encls_einit(t->cpu, &sig, secs, NULL), SGX_UNMASKED_EVENT);
	assert_int_equal(sgx_encls_einit(t->cpu, &sig, secs, NULL), SGX_UNMASKED_EVENT);
	assert_int_equal(sgx_encls_einit(t->cpu, &sig, secs, NULL), SGX_SUCCESS);
	t_cpu_free(t);
}

static void einit_faults_on_misaligned_sigstruct_or_non_secs(void **state)
{
	static uint8_t buf[8192] __attribute__((aligned(4096)));
	struct t_cpu *t = t_cpu_new();
	uint8_t mrenclave[32];
	struct sgx_secs params;
	void *secs;

	(void)state;
	build_signed(t, &params, &secs, mrenclave);
	memcpy(buf + 64, &sig, sizeof(sig));
	sgx_cpu_set_lepubkeyhash(t->cpu, key_mrsigner);
	assert_int_equal(sgx_encls_einit(t->cpu, (void *)(buf + 64), secs, NULL), SGX_FAULT_GP);
	assert_int_equal(sgx_encls_einit(t->cpu, &sig, buf, NULL), SGX_FAULT_GP);
	assert_int_equal(sgx_encls_einit(t->cpu, &sig, sgx_epc_page(t->cpu, 200), NULL),
			 SGX_FAULT_PF);
	assert_int_equal(sgx_encls_einit(t->cpu, &sig, secs, buf + 512), SGX_SUCCESS);
	t_cpu_free(t);
}

static void einit_with_an_invalid_token_mac_is_invalid_einittoken(void **state)
{
	static uint8_t token[512] __attribute__((aligned(512)));
	struct t_cpu *t = t_cpu_new();
	uint8_t mrenclave[32], other[32];
	struct sgx_secs params;
	struct sgx_secs *secs;
	void *epc_secs;

	(void)state;
	build_signed(t, &params, &epc_secs, mrenclave);
	memcpy(other, key_mrsigner, 32);
	other[1] ^= 1;
	sgx_cpu_set_lepubkeyhash(t->cpu, other);
	secs = epc_secs;
	/* VALID token naming this enclave, but MACed with nothing. */
	memset(token, 0, sizeof(token));
	token[0] = 1;
	memcpy(token + 48, &secs->attributes, 16);
	memcpy(token + 64, mrenclave, 32);
	memcpy(token + 128, key_mrsigner, 32);
	assert_int_equal(sgx_encls_einit(t->cpu, &sig, epc_secs, token), SGX_INVALID_EINITTOKEN);
	t_cpu_free(t);
}

/* ---- a real enclave: Fortanix's test_enclave.sgxs ----------------------------------------- */

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void hex32(const char *hex, uint8_t out[32])
{
	for (int i = 0; i < 32; i++) {
		unsigned int b;

		sscanf(hex + 2 * i, "%2x", &b);
		out[i] = (uint8_t)b;
	}
}

struct sgxs_page {
	uint64_t off, flags;
	uint8_t data[4096];
	void *epc;
};

/* Replay the .sgxs stream through ECREATE/EADD/EEXTEND (a minimal reader written here). */
static void replay_sgxs(struct t_cpu *t, const uint8_t *d, size_t len, void **secs,
			struct sgx_secs *params)
{
	static struct sgxs_page pages[64];
	size_t n = 0;

	t_secs(params);
	for (size_t i = 0; i < len;) {
		if (!memcmp(d + i, "ECREATE", 8)) {
			params->ssa_frame_size = (uint32_t)le64(d + i + 8);
			params->size = le64(d + i + 12);
			i += 64;
		} else if (!memcmp(d + i, "EADD\0\0\0", 8)) {
			assert_true(n < 64);
			pages[n].off = le64(d + i + 8);
			pages[n].flags = le64(d + i + 16);
			memset(pages[n].data, 0, 4096);
			n++;
			i += 64;
		} else {
			uint64_t off = le64(d + i + 8);

			assert_memory_equal(d + i, "EEXTEND", 8);
			assert_true(n > 0 && off - pages[n - 1].off < 4096);
			memcpy(pages[n - 1].data + (off - pages[n - 1].off), d + i + 64, 256);
			i += 320;
		}
	}
	params->base = 0x7e0000000000ull;
	assert_int_equal(t_ecreate(t, params, secs), 0);
	/* Second pass, in stream order: the measurement follows the order of the leaves. */
	n = 0;
	for (size_t i = 0; i < len;) {
		if (!memcmp(d + i, "EADD\0\0\0", 8)) {
			assert_int_equal(t_eadd_at(t, *secs, params->base + pages[n].off,
						   pages[n].flags, pages[n].data, &pages[n].epc),
					 0);
			n++;
			i += 64;
		} else if (!memcmp(d + i, "EEXTEND", 8)) {
			uint64_t off = le64(d + i + 8) - pages[n - 1].off;

			assert_int_equal(
			    sgx_encls_eextend(t->cpu, *secs, (uint8_t *)pages[n - 1].epc + off), 0);
			i += 320;
		} else {
			i += 64;
		}
	}
}

static void fortanix_test_enclave_reaches_init_with_its_published_mrenclave(void **state)
{
	struct t_cpu *t = t_cpu_new();
	struct sgx_secs params;
	const struct sgx_secs *secs;
	uint8_t expect[32], *sgxs;
	void *epc_secs;
	size_t len;

	(void)state;
	/* From the vectors' README, measured by Fortanix's tools. */
	hex32("784acfd7d5096a8f0fbd3265760bff21b120f62407a9a9e5ba31aa3c8ed198fc", expect);
	read_vector("test_enclave.sgxs", &sgxs, &len);
	replay_sgxs(t, sgxs, len, &epc_secs, &params);
	free(sgxs);
	sigstruct_for(&sig, &params, expect);
	sign(&sig);
	sgx_cpu_set_lepubkeyhash(t->cpu, key_mrsigner);
	assert_int_equal(sgx_encls_einit(t->cpu, &sig, epc_secs, NULL), SGX_SUCCESS);
	secs = epc_secs;
	assert_memory_equal(secs->mrenclave, expect, 32);
	assert_memory_equal(secs->mrsigner, key_mrsigner, 32);
	t_cpu_free(t);
}

/* ---- concurrent EINITs ------------------------------------------------------------------ */

struct einit_thread {
	struct t_cpu *t;
	size_t first_page; /* this thread's two EPC pages */
	uint64_t base;
	const struct sgx_signing_key *key;
	atomic_int *failures;
};

/* One enclave (SECS + one measured page), built, initialised and removed, 100 times. */
static void *einit_loop(void *arg)
{
	struct einit_thread *et = arg;
	struct sgx_secs *params = aligned_alloc(4096, sizeof(*params));
	struct sgx_sigstruct *s = aligned_alloc(4096, 4096); /* size: a multiple of the alignment */
	uint8_t *page_src = aligned_alloc(4096, 4096), mrsigner[32];
	struct sgx_secinfo si = {.flags = T_REG_RX};
	struct sgx_measure m;
	void *secs = sgx_epc_page(et->t->cpu, et->first_page);
	void *page = sgx_epc_page(et->t->cpu, et->first_page + 1);

	t_secs(params);
	params->base = et->base;
	memset(page_src, 0x3C, 4096);
	sgx_measure_init(&m, NULL);
	sgx_measure_ecreate(&m, 1, T_SIZE);
	sgx_measure_eadd(&m, 0, T_REG_RX);
	sgx_measure_eextend_page(&m, 0, page_src);
	sgx_sigstruct_init(s);
	s->body.attributes = params->attributes;
	sgx_measure_final(&m, s->body.mrenclave);
	sgx_measure_free(&m);
	if (sgx_sigstruct_sign(s, et->key, NULL))
		atomic_fetch_add(et->failures, 1000);
	sgx_sigstruct_mrsigner(s, mrsigner);
	for (int i = 0; i < 100; i++) {
		struct sgx_secinfo ssi = {0};
		struct sgx_pageinfo pi = {.contents = (uintptr_t)params,
					  .metadata = (uintptr_t)&ssi};
		int ret = sgx_encls_ecreate(et->t->cpu, &pi, secs);

		pi = (struct sgx_pageinfo){.addr = et->base,
					   .contents = (uintptr_t)page_src,
					   .metadata = (uintptr_t)&si,
					   .secs = (uintptr_t)secs};
		ret = ret ? ret : sgx_encls_eadd(et->t->cpu, &pi, page);
		for (int c = 0; c < 16 && !ret; c++)
			ret = sgx_encls_eextend(et->t->cpu, secs, (uint8_t *)page + 256 * c);
		sgx_cpu_set_lepubkeyhash(et->t->cpu, mrsigner);
		ret = ret ? ret : sgx_encls_einit(et->t->cpu, s, secs, NULL);
		if (ret)
			atomic_fetch_add(et->failures, 1);
		sgx_encls_eremove(et->t->cpu, page);
		sgx_encls_eremove(et->t->cpu, secs);
	}
	free(params);
	free(s);
	free(page_src);
	return NULL;
}

static void concurrent_einits_of_different_signers_each_see_their_own_launch_hash(void **state)
{
	struct t_cpu *t = t_cpu_new();
	struct softsgx_err err = {0};
	struct sgx_signing_key *other;
	atomic_int failures = 0;
	struct einit_thread et[2] = {
	    {.t = t, .first_page = 10, .base = T_BASE, .key = key, .failures = &failures},
	    {.t = t, .first_page = 20, .base = T_BASE + 0x100000, .failures = &failures},
	};
	pthread_t th[2];

	(void)state;
	assert_int_equal(sgx_signing_key_generate(&other, &err), 0);
	et[1].key = other;
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&th[i], NULL, einit_loop, &et[i]), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(atomic_load(&failures), 0);
	sgx_signing_key_free(other);
	t_cpu_free(t);
}

static void *write_other_hash(void *arg)
{
	struct t_cpu *t = arg;
	uint8_t other[32];

	memset(other, 0xAB, sizeof(other));
	sgx_cpu_set_lepubkeyhash(t->cpu, other);
	return NULL;
}

/* IA32_SGXLEPUBKEYHASH is per logical processor: another thread's write does not reach ours. */
static void another_threads_launch_hash_write_does_not_reach_this_thread(void **state)
{
	struct t_cpu *t = t_cpu_new();
	uint8_t mrenclave[32];
	struct sgx_secs params;
	pthread_t th;
	void *secs;

	(void)state;
	build_signed(t, &params, &secs, mrenclave);
	sgx_cpu_set_lepubkeyhash(t->cpu, key_mrsigner);
	assert_int_equal(pthread_create(&th, NULL, write_other_hash, t), 0);
	pthread_join(th, NULL);
	assert_int_equal(sgx_encls_einit(t->cpu, &sig, secs, NULL), SGX_SUCCESS);
	t_cpu_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(einit_matrix_gives_the_documented_code_for_each_check),
	    cmocka_unit_test(einit_records_identity_and_ends_the_build),
	    cmocka_unit_test(einit_after_an_unmasked_event_succeeds_on_retry),
	    cmocka_unit_test(einit_faults_on_misaligned_sigstruct_or_non_secs),
	    cmocka_unit_test(einit_with_an_invalid_token_mac_is_invalid_einittoken),
	    cmocka_unit_test(fortanix_test_enclave_reaches_init_with_its_published_mrenclave),
	    cmocka_unit_test(concurrent_einits_of_different_signers_each_see_their_own_launch_hash),
	    cmocka_unit_test(another_threads_launch_hash_write_does_not_reach_this_thread),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
