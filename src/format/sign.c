/* SPDX-License-Identifier: MIT */
/*
 * Signing SIGSTRUCTs with an RSA-3072, e = 3 private key (PEM).  Tooling, not CPU behaviour:
 * the emulated CPU only verifies (src/arch/sigstruct.c).  Keys of any other shape are refused,
 * because EINIT accepts nothing else.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "softsgx/sigstruct.h"

#define KEY_BITS     3072
#define KEY_EXPONENT 3
#define KEY_HOWTO    "generate one with: openssl genrsa -3 -out key.pem 3072"

struct sgx_signing_key {
	EVP_PKEY *pkey;
};

/* The first OpenSSL error, for messages; the queue is cleared so it cannot leak into later. */
static const char *openssl_reason(char *buf, size_t len)
{
	unsigned long e = ERR_get_error();

	ERR_clear_error();
	if (!e)
		return "no OpenSSL detail";
	ERR_error_string_n(e, buf, len);
	return buf;
}

static int key_check_shape(EVP_PKEY *pkey, const char *what, struct softsgx_err *err)
{
	BIGNUM *e = NULL;
	int bits, ret = 0;

	if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA)
		return softsgx_fail(err, -EINVAL,
				    "%s: not an RSA key (SGX needs RSA-3072, e = 3); " KEY_HOWTO,
				    what);
	bits = EVP_PKEY_get_bits(pkey);
	if (bits != KEY_BITS)
		return softsgx_fail(
		    err, -EINVAL, "%s: RSA key is %d bits, SGX needs 3072; " KEY_HOWTO, what, bits);
	if (!EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e))
		return softsgx_fail(err, -EINVAL, "%s: RSA key has no public exponent; " KEY_HOWTO,
				    what);
	if (!BN_is_word(e, KEY_EXPONENT)) {
		char *dec = BN_bn2dec(e);

		ret = softsgx_fail(err, -EINVAL,
				   "%s: RSA public exponent is %s, SGX needs 3; " KEY_HOWTO, what,
				   dec ? dec : "?");
		OPENSSL_free(dec);
	}
	BN_free(e);
	return ret;
}

static int key_wrap(EVP_PKEY *pkey, struct sgx_signing_key **key, struct softsgx_err *err)
{
	*key = calloc(1, sizeof(**key));
	if (!*key) {
		EVP_PKEY_free(pkey);
		return softsgx_fail(err, -ENOMEM, "out of memory for a signing key");
	}
	(*key)->pkey = pkey;
	return 0;
}

int sgx_signing_key_load(const char *pem_path, struct sgx_signing_key **key,
			 struct softsgx_err *err)
{
	char reason[256];
	EVP_PKEY *pkey;
	BIO *bio;
	int ret;

	*key = NULL;
	errno = 0;
	bio = BIO_new_file(pem_path, "r");
	if (!bio) {
		int e = errno ? errno : ENOENT;

		ERR_clear_error();
		return softsgx_fail(err, -e, "%s: cannot open: %s", pem_path, strerror(e));
	}
	/* A PEM protected by a pass phrase is refused rather than prompted for on the tty. */
	pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, (void *)"");
	BIO_free(bio);
	if (!pkey)
		return softsgx_fail(err, -EINVAL,
				    "%s: no unencrypted PEM private key found (%s); " KEY_HOWTO,
				    pem_path, openssl_reason(reason, sizeof(reason)));
	ret = key_check_shape(pkey, pem_path, err);
	if (ret) {
		EVP_PKEY_free(pkey);
		return ret;
	}
	return key_wrap(pkey, key, err);
}

int sgx_signing_key_generate(struct sgx_signing_key **key, struct softsgx_err *err)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	BIGNUM *e = BN_new();
	EVP_PKEY *pkey = NULL;
	char reason[256];
	int ok;

	*key = NULL;
	ok = ctx && e && BN_set_word(e, KEY_EXPONENT) && EVP_PKEY_keygen_init(ctx) > 0 &&
	     EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, KEY_BITS) > 0 &&
	     EVP_PKEY_CTX_set1_rsa_keygen_pubexp(ctx, e) > 0 && EVP_PKEY_generate(ctx, &pkey) > 0;
	EVP_PKEY_CTX_free(ctx);
	BN_free(e);
	if (!ok) {
		EVP_PKEY_free(pkey);
		return softsgx_fail(err, -EIO, "generating an RSA-3072 e = 3 key failed: %s",
				    openssl_reason(reason, sizeof(reason)));
	}
	return key_wrap(pkey, key, err);
}

int sgx_signing_key_save(const struct sgx_signing_key *key, const char *pem_path,
			 struct softsgx_err *err)
{
	char reason[256];
	FILE *f;
	int fd, ok;

	/* Never overwrite a key: losing a signing key changes MRSIGNER for good. */
	fd = open(pem_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return softsgx_fail(err, -errno, "%s: cannot create: %s%s", pem_path,
				    strerror(errno),
				    errno == EEXIST ? " (refusing to overwrite a key)" : "");
	f = fdopen(fd, "w");
	if (!f) {
		int e = errno;

		close(fd);
		unlink(pem_path);
		return softsgx_fail(err, -e, "%s: %s", pem_path, strerror(e));
	}
	ok = PEM_write_PrivateKey(f, key->pkey, NULL, NULL, 0, NULL, NULL);
	if (fclose(f) != 0)
		ok = 0;
	if (!ok) {
		unlink(pem_path);
		return softsgx_fail(err, -EIO, "%s: writing the key failed: %s", pem_path,
				    openssl_reason(reason, sizeof(reason)));
	}
	return 0;
}

void sgx_signing_key_free(struct sgx_signing_key *key)
{
	if (!key)
		return;
	EVP_PKEY_free(key->pkey);
	free(key);
}

int sgx_signing_key_modulus(const struct sgx_signing_key *key, uint8_t mod_le[384],
			    struct softsgx_err *err)
{
	BIGNUM *n = NULL;
	int ok;

	ok = EVP_PKEY_get_bn_param(key->pkey, OSSL_PKEY_PARAM_RSA_N, &n) &&
	     BN_bn2lebinpad(n, mod_le, SGX_MODULUS_SIZE) == SGX_MODULUS_SIZE;
	BN_free(n);
	if (!ok)
		return softsgx_fail(err, -EINVAL, "signing key: cannot read a 3072-bit modulus");
	return 0;
}

static void reverse(uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len / 2; i++) {
		uint8_t t = p[i];

		p[i] = p[len - 1 - i];
		p[len - 1 - i] = t;
	}
}

int sgx_signing_key_sign_digest(const struct sgx_signing_key *key, const uint8_t digest[32],
				uint8_t sig_le[384], struct softsgx_err *err)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key->pkey, NULL);
	size_t len = SGX_MODULUS_SIZE;
	char reason[256];
	int ok;

	ok = ctx && EVP_PKEY_sign_init(ctx) > 0 &&
	     EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) > 0 &&
	     EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) > 0 &&
	     EVP_PKEY_sign(ctx, sig_le, &len, digest, 32) > 0 && len == SGX_MODULUS_SIZE;
	EVP_PKEY_CTX_free(ctx);
	if (!ok)
		return softsgx_fail(err, -EIO, "RSA signing failed: %s",
				    openssl_reason(reason, sizeof(reason)));
	/* OpenSSL writes big-endian; SIGSTRUCT holds little-endian. */
	reverse(sig_le, SGX_MODULUS_SIZE);
	return 0;
}

int sgx_sigstruct_sign(struct sgx_sigstruct *s, const struct sgx_signing_key *key,
		       struct softsgx_err *err)
{
	uint8_t data[256], digest[32];
	unsigned int dlen = sizeof(digest);
	int ret;

	ret = sgx_signing_key_modulus(key, s->modulus, err);
	if (ret)
		return ret;
	s->exponent = KEY_EXPONENT;
	/* Refuse to sign what EINIT would refuse anyway, naming the field. */
	ret = sgx_sigstruct_check_format(s, err);
	if (ret)
		return softsgx_err_prefix(err, "refusing to sign: ");
	sgx_sigstruct_signed_data(s, data);
	if (!EVP_Digest(data, sizeof(data), digest, &dlen, EVP_sha256(), NULL))
		return softsgx_fail(err, -EIO, "SHA-256 of the signed data failed");
	ret = sgx_signing_key_sign_digest(key, digest, s->signature, err);
	if (ret)
		return ret;
	ret = sgx_sigstruct_compute_q(s->signature, s->modulus, s->q1, s->q2, err);
	if (ret)
		return ret;
	/* A fault in signing must not produce a SIGSTRUCT that looks valid: check the result. */
	ret = sgx_sigstruct_verify_signature(s, err);
	if (ret)
		return softsgx_err_prefix(err, "signing produced a bad SIGSTRUCT: ");
	return 0;
}
