/* SPDX-License-Identifier: MIT */
/*
 * SIGSTRUCT: format checks and signature verification as EINIT does them (src/arch/
 * sigstruct.c), and building and signing for the tools (src/format/sign.c).
 */
#ifndef SOFTSGX_SIGSTRUCT_H
#define SOFTSGX_SIGSTRUCT_H

#include <stdbool.h>
#include <stdint.h>

#include "softsgx/arch.h"
#include "softsgx/err.h"

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

/* Fill MODULUS, EXPONENT, SIGNATURE, Q1 and Q2 of @s (header and body already set). */
int sgx_sigstruct_sign(struct sgx_sigstruct *s, const struct sgx_signing_key *key,
		       struct softsgx_err *err);

/* Set HEADER, HEADER2 and the defaults a signer starts from (vendor 0, today's date). */
void sgx_sigstruct_init(struct sgx_sigstruct *s);

#endif
