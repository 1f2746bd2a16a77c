/* SPDX-License-Identifier: MIT */
/*
 * SIGSTRUCT: format checks and signature verification as EINIT does them (src/arch/
 * sigstruct.c), and building and signing for the tools (src/format/sign.c).
 */
#ifndef SOFTSGX_SIGSTRUCT_H
#define SOFTSGX_SIGSTRUCT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "softsgx/arch.h"
#include "softsgx/err.h"

/*
 * HEADER bytes 12-15, which Intel's SDK calls TYPE: bit 31 is Intel's "debug" flag, bits 0-30
 * must be zero.  EINIT here accepts bit 31 either way (docs/sigstruct.md says why).
 */
#define SGX_SIGSTRUCT_TYPE_OFFSET 12
#define SGX_SIGSTRUCT_TYPE_DEBUG  (1u << 31)

/* The TYPE word (HEADER bytes 12-15), and setting/clearing its debug bit. */
uint32_t sgx_sigstruct_type(const struct sgx_sigstruct *s);
void sgx_sigstruct_set_type_debug(struct sgx_sigstruct *s, bool debug);

/*
 * Copy a SIGSTRUCT out of a buffer (a file, a user pointer), refusing any length but 1808
 * with a message saying whether it is truncated or has trailing bytes.  Checks nothing else:
 * call sgx_sigstruct_check_format and sgx_sigstruct_verify_signature next.
 */
int sgx_sigstruct_from_bytes(struct sgx_sigstruct *s, const void *buf, size_t len,
			     struct softsgx_err *err);

/*
 * EINIT step 1: HEADER/HEADER2 constants, EXPONENT == 3, reserved bytes zero.  Returns 0 or
 * -EINVAL with a message naming the offset and field.  See docs/ for the decision taken on
 * the TYPE bits (HEADER bytes 12-15).
 */
int sgx_sigstruct_check_format(const struct sgx_sigstruct *s, struct softsgx_err *err);

/*
 * EINIT step 3: the RSA-3072 e=3 PKCS#1 v1.5 SHA-256 signature over header||body verifies
 * against MODULUS, and Q1/Q2 are consistent with it.  Returns 0 or -EBADMSG with a message.
 */
int sgx_sigstruct_verify_signature(const struct sgx_sigstruct *s, struct softsgx_err *err);

/* SHA-256 of the 384 little-endian MODULUS bytes. */
void sgx_sigstruct_mrsigner(const struct sgx_sigstruct *s, uint8_t mrsigner[32]);

/* The 256 signed bytes: bytes 0..127 then 900..1027. */
void sgx_sigstruct_signed_data(const struct sgx_sigstruct *s, uint8_t out[256]);

/* Q1 = floor(S^2 / M), Q2 = floor(S * (S^2 mod M) / M), little-endian. */
int sgx_sigstruct_compute_q(const uint8_t sig_le[384], const uint8_t mod_le[384], uint8_t q1[384],
			    uint8_t q2[384], struct softsgx_err *err);

/* Signing (src/format/sign.c): a 3072-bit RSA key with public exponent 3. */
struct sgx_signing_key;
/* Refuses keys that are not 3072-bit with e = 3, saying how to make one. */
int sgx_signing_key_load(const char *pem_path, struct sgx_signing_key **key,
			 struct softsgx_err *err);
int sgx_signing_key_generate(struct sgx_signing_key **key, struct softsgx_err *err);
int sgx_signing_key_save(const struct sgx_signing_key *key, const char *pem_path,
			 struct softsgx_err *err);
void sgx_signing_key_free(struct sgx_signing_key *key);

/* The key's modulus, 384 bytes little-endian (what MODULUS holds; MRSIGNER is its SHA-256). */
int sgx_signing_key_modulus(const struct sgx_signing_key *key, uint8_t mod_le[384],
			    struct softsgx_err *err);

/*
 * The raw operation: RSA PKCS#1 v1.5 signature of a SHA-256 @digest, written little-endian
 * (as SIGNATURE holds it).  Deterministic, so known-answer vectors pin it down.
 */
int sgx_signing_key_sign_digest(const struct sgx_signing_key *key, const uint8_t digest[32],
				uint8_t sig_le[384], struct softsgx_err *err);

/*
 * Fill MODULUS, EXPONENT, SIGNATURE, Q1 and Q2 of @s (header and body already set).  The
 * result is checked with sgx_sigstruct_check_format and sgx_sigstruct_verify_signature
 * before returning, so a SIGSTRUCT this returns 0 for is one EINIT accepts.
 */
int sgx_sigstruct_sign(struct sgx_sigstruct *s, const struct sgx_signing_key *key,
		       struct softsgx_err *err);

/*
 * Set HEADER, HEADER2 and the defaults a signer starts from: vendor 0, today's date (UTC,
 * BCD), TYPE 0, and the body defaults of Fortanix's sgxs-sign (a tool used with real hardware):
 * ATTRIBUTES = MODE64BIT with XFRM x87|SSE, ATTRIBUTEMASK = all flags but DEBUG and XFRM
 * ~0xE4, MISCMASK all ones.  Everything else is zero; the caller sets ENCLAVEHASH and the rest.
 */
void sgx_sigstruct_init(struct sgx_sigstruct *s);

#endif
