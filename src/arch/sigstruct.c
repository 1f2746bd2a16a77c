/* SPDX-License-Identifier: MIT */
/*
 * SIGSTRUCT as EINIT sees it: the format checks of step 1 and the RSA-3072 signature and
 * Q1/Q2 checks of step 3 (sgx-architecture.md, "SIGSTRUCT" and "EINIT checks").  The
 * signature is checked the way the hardware does it: S^3 mod M is compared with the one
 * PKCS#1 v1.5 encoding of SHA-256(signed data) it may equal, never parsed.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "softsgx/sigstruct.h"

#define SIGSTRUCT_SIZE	 sizeof(struct sgx_sigstruct)
#define SIGNED_HALF	 128
#define BODY_OFFSET	 offsetof(struct sgx_sigstruct, body)
#define MODULUS_BITS	 (8 * SGX_MODULUS_SIZE)
#define SGX_RSA_EXPONENT 3

_Static_assert(SIGNED_HALF == sizeof(struct sgx_sigstruct_header), "signed header half");
_Static_assert(SIGNED_HALF == sizeof(struct sgx_sigstruct_body), "signed body half");

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

int sgx_sigstruct_from_bytes(struct sgx_sigstruct *s, const void *buf, size_t len,
			     struct softsgx_err *err)
{
	if (len < SIGSTRUCT_SIZE)
		return softsgx_fail(err, -EINVAL,
				    "SIGSTRUCT is truncated: %zu bytes, must be %zu (ends before "
				    "offset %zu)",
				    len, SIGSTRUCT_SIZE, len);
	if (len > SIGSTRUCT_SIZE)
		return softsgx_fail(err, -EINVAL,
				    "SIGSTRUCT is %zu bytes, must be %zu (%zu trailing bytes from "
				    "offset %zu)",
				    len, SIGSTRUCT_SIZE, len - SIGSTRUCT_SIZE, SIGSTRUCT_SIZE);
	memcpy(s, buf, SIGSTRUCT_SIZE);
	return 0;
}

uint32_t sgx_sigstruct_type(const struct sgx_sigstruct *s)
{
	return get_le32(s->header.header + SGX_SIGSTRUCT_TYPE_OFFSET);
}

void sgx_sigstruct_set_type_debug(struct sgx_sigstruct *s, bool debug)
{
	uint32_t type = sgx_sigstruct_type(s) & ~SGX_SIGSTRUCT_TYPE_DEBUG;

	put_le32(s->header.header + SGX_SIGSTRUCT_TYPE_OFFSET,
		 type | (debug ? SGX_SIGSTRUCT_TYPE_DEBUG : 0));
}

/* A run of bytes that must equal a constant; @name is the field the message names. */
static int check_bytes(const uint8_t *base, size_t off, const uint8_t *want, size_t len,
		       const char *name, struct softsgx_err *err)
{
	for (size_t i = 0; i < len; i++) {
		if (base[off + i] == want[i])
			continue;
		return softsgx_fail(err, -EINVAL,
				    "SIGSTRUCT offset %zu: %s byte %zu is 0x%02x, must be 0x%02x",
				    off + i, name, i, base[off + i], want[i]);
	}
	return 0;
}

/* The reserved ranges EINIT requires to be zero (CET fields included: no CET here). */
static const struct {
	size_t off, len;
	const char *name;
} sigstruct_reserved[] = {
    {offsetof(struct sgx_sigstruct, header.reserved), 84, "header reserved (44..127)"},
    {offsetof(struct sgx_sigstruct, body.reserved1), 4,
     "body reserved (908..911: CET_ATTRIBUTES, CET_ATTRIBUTES_MASK, not supported)"},
    {offsetof(struct sgx_sigstruct, body.reserved2), 16, "body reserved (992..1007)"},
    {offsetof(struct sgx_sigstruct, reserved), 12, "reserved (1028..1039)"},
};

static int check_reserved(const uint8_t *base, struct softsgx_err *err)
{
	for (size_t r = 0; r < sizeof(sigstruct_reserved) / sizeof(sigstruct_reserved[0]); r++) {
		size_t off = sigstruct_reserved[r].off;

		for (size_t i = off; i < off + sigstruct_reserved[r].len; i++)
			if (base[i])
				return softsgx_fail(err, -EINVAL,
						    "SIGSTRUCT offset %zu: %s byte is 0x%02x, "
						    "must be zero",
						    i, sigstruct_reserved[r].name, base[i]);
	}
	return 0;
}

static int check_header(const struct sgx_sigstruct *s, struct softsgx_err *err)
{
	const uint8_t *base = (const uint8_t *)s;
	uint32_t type = sgx_sigstruct_type(s);
	int ret;

	ret = check_bytes(base, 0, sgx_sigstruct_header, SGX_SIGSTRUCT_TYPE_OFFSET, "HEADER", err);
	if (ret)
		return ret;
	if (type & ~SGX_SIGSTRUCT_TYPE_DEBUG)
		return softsgx_fail(err, -EINVAL,
				    "SIGSTRUCT offset 12: HEADER TYPE is 0x%08x, only bit 31 "
				    "(debug) may be set",
				    type);
	if (s->header.vendor != 0 && s->header.vendor != SGX_SIGSTRUCT_VENDOR_INTEL)
		return softsgx_fail(err, -EINVAL,
				    "SIGSTRUCT offset 16: VENDOR is 0x%x, must be 0 or 0x8086",
				    s->header.vendor);
	return check_bytes(base, offsetof(struct sgx_sigstruct, header.header2),
			   sgx_sigstruct_header2, sizeof(s->header.header2), "HEADER2", err);
}

int sgx_sigstruct_check_format(const struct sgx_sigstruct *s, struct softsgx_err *err)
{
	int ret = check_header(s, err);

	if (ret)
		return ret;
	if (s->exponent != SGX_RSA_EXPONENT)
		return softsgx_fail(err, -EINVAL, "SIGSTRUCT offset 512: EXPONENT is %u, must be 3",
				    s->exponent);
	return check_reserved((const uint8_t *)s, err);
}

void sgx_sigstruct_signed_data(const struct sgx_sigstruct *s, uint8_t out[256])
{
	memcpy(out, &s->header, SIGNED_HALF);
	memcpy(out + SIGNED_HALF, &s->body, SIGNED_HALF);
}

void sgx_sigstruct_mrsigner(const struct sgx_sigstruct *s, uint8_t mrsigner[32])
{
	unsigned int len = 32;

	/* One-shot SHA-256 of a fixed buffer fails only if OpenSSL is broken: fail closed. */
	if (!EVP_Digest(s->modulus, SGX_MODULUS_SIZE, mrsigner, &len, EVP_sha256(), NULL))
		memset(mrsigner, 0, 32);
}

/* Big numbers for one check; all allocated or none. */
struct rsa_nums {
	BN_CTX *ctx;
	BIGNUM *s, *m, *t, *q1, *q2;
};

static void rsa_nums_free(struct rsa_nums *n)
{
	BN_free(n->s);
	BN_free(n->m);
	BN_free(n->t);
	BN_free(n->q1);
	BN_free(n->q2);
	BN_CTX_free(n->ctx);
}

static int rsa_nums_load(struct rsa_nums *n, const uint8_t sig_le[384], const uint8_t mod_le[384],
			 struct softsgx_err *err)
{
	n->ctx = BN_CTX_new();
	n->s = BN_lebin2bn(sig_le, SGX_MODULUS_SIZE, NULL);
	n->m = BN_lebin2bn(mod_le, SGX_MODULUS_SIZE, NULL);
	n->t = BN_new();
	n->q1 = BN_new();
	n->q2 = BN_new();
	if (!n->ctx || !n->s || !n->m || !n->t || !n->q1 || !n->q2) {
		rsa_nums_free(n);
		return softsgx_fail(err, -ENOMEM, "SIGSTRUCT: out of memory for RSA numbers");
	}
	return 0;
}

/* The modulus must be a 3072-bit odd number and the signature a residue below it. */
static int rsa_nums_check(const struct rsa_nums *n, struct softsgx_err *err)
{
	int bits = BN_num_bits(n->m);

	if (bits != MODULUS_BITS)
		return softsgx_fail(err, -EBADMSG,
				    "SIGSTRUCT offset 128: MODULUS is a %d-bit number, must be "
				    "3072-bit",
				    bits);
	if (!BN_is_odd(n->m))
		return softsgx_fail(err, -EBADMSG,
				    "SIGSTRUCT offset 128: MODULUS is even, not an RSA modulus");
	if (BN_cmp(n->s, n->m) >= 0)
		return softsgx_fail(err, -EBADMSG,
				    "SIGSTRUCT offset 516: SIGNATURE is not less than MODULUS");
	return 0;
}

/* Q1 = floor(S^2 / M), Q2 = floor(S * (S^2 mod M) / M) into n->q1, n->q2. */
static int rsa_nums_q(struct rsa_nums *n, struct softsgx_err *err)
{
	BIGNUM *r = n->t;

	if (!BN_sqr(r, n->s, n->ctx) || !BN_div(n->q1, r, r, n->m, n->ctx) ||
	    !BN_mul(r, r, n->s, n->ctx) || !BN_div(n->q2, NULL, r, n->m, n->ctx))
		return softsgx_fail(err, -ENOMEM, "SIGSTRUCT: OpenSSL failed computing Q1/Q2");
	return 0;
}

int sgx_sigstruct_compute_q(const uint8_t sig_le[384], const uint8_t mod_le[384], uint8_t q1[384],
			    uint8_t q2[384], struct softsgx_err *err)
{
	struct rsa_nums n;
	int ret = rsa_nums_load(&n, sig_le, mod_le, err);

	if (ret)
		return ret;
	ret = rsa_nums_check(&n, err);
	if (!ret)
		ret = rsa_nums_q(&n, err);
	if (!ret && (BN_bn2lebinpad(n.q1, q1, SGX_MODULUS_SIZE) != SGX_MODULUS_SIZE ||
		     BN_bn2lebinpad(n.q2, q2, SGX_MODULUS_SIZE) != SGX_MODULUS_SIZE))
		ret = softsgx_fail(err, -EOVERFLOW, "SIGSTRUCT: Q1/Q2 do not fit 384 bytes");
	rsa_nums_free(&n);
	return ret;
}

/* DER DigestInfo prefix for SHA-256 (RFC 8017, section 9.2, note 1). */
static const uint8_t sha256_digest_info[19] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60,
					       0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
					       0x01, 0x05, 0x00, 0x04, 0x20};

#define EM_HASH_OFFSET (SGX_MODULUS_SIZE - 32)
#define EM_INFO_OFFSET (EM_HASH_OFFSET - sizeof(sha256_digest_info))

/* EMSA-PKCS1-v1_5 encoding of @digest: 00 01 FF..FF 00 DigestInfo digest (big-endian). */
static void pkcs1_encode(uint8_t em[384], const uint8_t digest[32])
{
	em[0] = 0x00;
	em[1] = 0x01;
	memset(em + 2, 0xFF, EM_INFO_OFFSET - 3);
	em[EM_INFO_OFFSET - 1] = 0x00;
	memcpy(em + EM_INFO_OFFSET, sha256_digest_info, sizeof(sha256_digest_info));
	memcpy(em + EM_HASH_OFFSET, digest, 32);
}

static int signed_digest(const struct sgx_sigstruct *s, uint8_t digest[32], struct softsgx_err *err)
{
	uint8_t data[2 * SIGNED_HALF];
	unsigned int len = 32;

	sgx_sigstruct_signed_data(s, data);
	if (!EVP_Digest(data, sizeof(data), digest, &len, EVP_sha256(), NULL))
		return softsgx_fail(err, -EIO, "SIGSTRUCT: OpenSSL SHA-256 failed");
	return 0;
}

/* S^3 mod M must equal the encoding of SHA-256(signed data); say which part differs. */
static int check_rsa(const struct sgx_sigstruct *s, struct rsa_nums *n, struct softsgx_err *err)
{
	uint8_t digest[32], want[SGX_MODULUS_SIZE], got[SGX_MODULUS_SIZE], mrsigner[32];
	char hex[65];
	int ret = signed_digest(s, digest, err);

	if (ret)
		return ret;
	if (!BN_sqr(n->t, n->s, n->ctx) || !BN_mod_mul(n->t, n->t, n->s, n->m, n->ctx) ||
	    BN_bn2binpad(n->t, got, SGX_MODULUS_SIZE) != SGX_MODULUS_SIZE)
		return softsgx_fail(err, -ENOMEM, "SIGSTRUCT: OpenSSL failed computing S^3 mod M");
	pkcs1_encode(want, digest);
	if (!CRYPTO_memcmp(got, want, SGX_MODULUS_SIZE))
		return 0;
	sgx_sigstruct_mrsigner(s, mrsigner);
	softsgx_hex(hex, mrsigner, 32);
	if (!CRYPTO_memcmp(got, want, EM_HASH_OFFSET))
		return softsgx_fail(err, -EBADMSG,
				    "SIGSTRUCT offset 516: SIGNATURE is by this MODULUS (MRSIGNER "
				    "%s) but over other data: HEADER or body bytes changed after "
				    "signing",
				    hex);
	return softsgx_fail(err, -EBADMSG,
			    "SIGSTRUCT offset 516: SIGNATURE does not verify against MODULUS "
			    "(MRSIGNER %s): not a PKCS#1 v1.5 SHA-256 signature by this key",
			    hex);
}

static int check_q(const uint8_t *field, const BIGNUM *q, size_t off, const char *name,
		   const char *formula, struct softsgx_err *err)
{
	uint8_t want[SGX_MODULUS_SIZE];

	if (BN_bn2lebinpad(q, want, SGX_MODULUS_SIZE) != SGX_MODULUS_SIZE)
		return softsgx_fail(err, -EBADMSG, "SIGSTRUCT: %s does not fit 384 bytes", name);
	if (memcmp(field, want, SGX_MODULUS_SIZE))
		return softsgx_fail(err, -EBADMSG,
				    "SIGSTRUCT offset %zu: %s is inconsistent with SIGNATURE and "
				    "MODULUS (must be %s)",
				    off, name, formula);
	return 0;
}

int sgx_sigstruct_verify_signature(const struct sgx_sigstruct *s, struct softsgx_err *err)
{
	struct rsa_nums n;
	int ret;

	if (s->exponent != SGX_RSA_EXPONENT)
		return softsgx_fail(err, -EBADMSG,
				    "SIGSTRUCT offset 512: EXPONENT is %u, signatures are "
				    "verified with 3 only",
				    s->exponent);
	ret = rsa_nums_load(&n, s->signature, s->modulus, err);
	if (ret)
		return ret;
	ret = rsa_nums_check(&n, err);
	if (!ret)
		ret = check_rsa(s, &n, err);
	if (!ret)
		ret = rsa_nums_q(&n, err);
	if (!ret)
		ret = check_q(s->q1, n.q1, offsetof(struct sgx_sigstruct, q1), "Q1",
			      "floor(S^2 / M)", err);
	if (!ret)
		ret = check_q(s->q2, n.q2, offsetof(struct sgx_sigstruct, q2), "Q2",
			      "floor(S * (S^2 mod M) / M)", err);
	rsa_nums_free(&n);
	return ret;
}

static uint32_t bcd(unsigned int value, int digits)
{
	uint32_t r = 0;

	for (int i = 0; i < digits; i++, value /= 10)
		r |= (uint32_t)(value % 10) << (4 * i);
	return r;
}

/* DATE is yyyymmdd in BCD: 2023-04-14 is 0x20230414. */
static uint32_t bcd_date(time_t now)
{
	struct tm tm;

	if (!gmtime_r(&now, &tm))
		return 0;
	return bcd((unsigned int)tm.tm_year + 1900, 4) << 16 |
	       bcd((unsigned int)tm.tm_mon + 1, 2) << 8 | bcd((unsigned int)tm.tm_mday, 2);
}

void sgx_sigstruct_init(struct sgx_sigstruct *s)
{
	memset(s, 0, sizeof(*s));
	memcpy(s->header.header, sgx_sigstruct_header, sizeof(s->header.header));
	memcpy(s->header.header2, sgx_sigstruct_header2, sizeof(s->header.header2));
	s->header.vendor = 0;
	s->header.date = bcd_date(time(NULL));
	s->exponent = SGX_RSA_EXPONENT;
	s->body.misc_mask = UINT32_MAX;
	s->body.attributes.flags = SGX_ATTR_MODE64BIT;
	s->body.attributes.xfrm = SGX_XFRM_LEGACY;
	s->body.attributes_mask.flags = ~SGX_ATTR_DEBUG;
	s->body.attributes_mask.xfrm = ~0xE4ull;
}
