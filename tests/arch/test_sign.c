/* SPDX-License-Identifier: MIT */
/*
 * Signing: the rust-sgx known answers are reproduced exactly from sig1.key.pem, the openssl
 * CLI agrees with every signature (after byte reversal), keys of the wrong shape are refused
 * with the command that makes a right one, and nothing EINIT would refuse gets signed.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "softsgx/arch.h"
#include "softsgx/sigstruct.h"
#include "testutil.h"

#define HOWTO "generate one with: openssl genrsa -3 -out key.pem 3072"

static void assert_msg(const struct softsgx_err *err, const char *needle)
{
	if (!strstr(err->msg, needle))
		fail_msg("message \"%s\" does not contain \"%s\"", err->msg, needle);
}

static struct sgx_signing_key *load_sig1(void)
{
	struct sgx_signing_key *key = NULL;
	struct softsgx_err err = {0};

	if (sgx_signing_key_load(tu_vector("sig1.key.pem"), &key, &err))
		fail_msg("%s", err.msg);
	return key;
}

static void reverse(uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len / 2; i++) {
		uint8_t t = p[i];

		p[i] = p[len - 1 - i];
		p[len - 1 - i] = t;
	}
}

static void sig1_key_reproduces_signature_q1_q2_and_modulus(void **state)
{
	struct sgx_signing_key *key = load_sig1();
	uint8_t sig[384], mod[384], q1[384], q2[384];
	size_t len;
	uint8_t *digest = tu_read(tu_vector("sig1.data.bin"), &len);
	uint8_t *want_sig = tu_read(tu_vector("sig1.sig.bin"), &len);
	uint8_t *want_n = tu_read(tu_vector("sig1.key_n.bin"), &len);
	uint8_t *want_q1 = tu_read(tu_vector("sig1.q1.bin"), &len);
	uint8_t *want_q2 = tu_read(tu_vector("sig1.q2.bin"), &len);

	(void)state;
	/* rust-sgx's test signs sig1.data.bin as a SHA-256 digest (32 bytes). */
	assert_int_equal(sgx_signing_key_sign_digest(key, digest, sig, NULL), 0);
	assert_memory_equal(sig, want_sig, 384);
	assert_int_equal(sgx_signing_key_modulus(key, mod, NULL), 0);
	assert_memory_equal(mod, want_n, 384);
	assert_int_equal(sgx_sigstruct_compute_q(sig, mod, q1, q2, NULL), 0);
	assert_memory_equal(q1, want_q1, 384);
	assert_memory_equal(q2, want_q2, 384);
	sgx_signing_key_free(key);
	free(digest);
	free(want_sig);
	free(want_n);
	free(want_q1);
	free(want_q2);
}

static void signature_equals_openssl_pkeyutl_reversed(void **state)
{
	struct sgx_signing_key *key = load_sig1();
	char out[4096], sigpath[4096];
	uint8_t sig[384];
	size_t len;
	uint8_t *digest = tu_read(tu_vector("sig1.data.bin"), &len), *cli;

	(void)state;
	tu_need("openssl");
	snprintf(sigpath, sizeof(sigpath), "%s/pkeyutl.sig", tu_tmpdir());
	assert_int_equal(tu_run(out, sizeof(out),
				"openssl pkeyutl -sign -inkey '%s' -pkeyopt digest:sha256 -in '%s' "
				"-out '%s' 2>&1",
				tu_vector("sig1.key.pem"), tu_vector("sig1.data.bin"), sigpath),
			 0);
	cli = tu_read(sigpath, &len);
	assert_int_equal(len, 384);
	assert_int_equal(sgx_signing_key_sign_digest(key, digest, sig, NULL), 0);
	reverse(sig, sizeof(sig));
	assert_memory_equal(sig, cli, 384);
	sgx_signing_key_free(key);
	free(digest);
	free(cli);
}

static void resigning_sig1_sigstruct_reproduces_the_file(void **state)
{
	struct sgx_signing_key *key = load_sig1();
	struct softsgx_err err = {0};
	struct sgx_sigstruct s;
	size_t len;
	uint8_t *want = tu_read(tu_vector("sig1.sigstruct.bin"), &len);

	(void)state;
	assert_int_equal(sgx_sigstruct_from_bytes(&s, want, len, NULL), 0);
	memset(s.modulus, 0, sizeof(s.modulus));
	memset(s.signature, 0, sizeof(s.signature));
	memset(s.q1, 0, sizeof(s.q1));
	memset(s.q2, 0, sizeof(s.q2));
	s.exponent = 0;
	if (sgx_sigstruct_sign(&s, key, &err))
		fail_msg("%s", err.msg);
	assert_memory_equal(&s, want, sizeof(s));
	sgx_signing_key_free(key);
	free(want);
}

/* Write the signed data and the big-endian signature, and ask the openssl CLI. */
static int openssl_verifies(const struct sgx_sigstruct *s, const char *key_path)
{
	char data_path[4096], sig_path[4096], out[4096];
	uint8_t data[256], sig[384];

	snprintf(data_path, sizeof(data_path), "%s/signed.bin", tu_tmpdir());
	snprintf(sig_path, sizeof(sig_path), "%s/signature.be", tu_tmpdir());
	sgx_sigstruct_signed_data(s, data);
	memcpy(sig, s->signature, sizeof(sig));
	reverse(sig, sizeof(sig));
	tu_write(data_path, data, sizeof(data));
	tu_write(sig_path, sig, sizeof(sig));
	return tu_run(out, sizeof(out), "openssl dgst -sha256 -prverify '%s' -signature '%s' '%s'",
		      key_path, sig_path, data_path) == 0 &&
	       !strcmp(out, "Verified OK");
}

static void make_sigstruct(struct sgx_sigstruct *s)
{
	sgx_sigstruct_init(s);
	for (int i = 0; i < 32; i++)
		s->body.mrenclave[i] = (uint8_t)(i * 37 + 1);
	s->body.isv_prod_id = 7;
	s->body.isv_svn = 3;
	s->header.date = 0x20260101;
}

static void signed_sigstruct_verifies_with_openssl_cli_and_tampering_does_not(void **state)
{
	struct sgx_signing_key *key = load_sig1();
	struct sgx_sigstruct s;

	(void)state;
	tu_need("openssl");
	make_sigstruct(&s);
	assert_int_equal(sgx_sigstruct_sign(&s, key, NULL), 0);
	assert_int_equal(sgx_sigstruct_check_format(&s, NULL), 0);
	assert_int_equal(sgx_sigstruct_verify_signature(&s, NULL), 0);
	assert_true(openssl_verifies(&s, tu_vector("sig1.key.pem")));
	s.body.isv_svn = 4;
	assert_false(openssl_verifies(&s, tu_vector("sig1.key.pem")));
	sgx_signing_key_free(key);
}

static void generated_key_is_rsa3072_e3_saved_0600_and_never_overwritten(void **state)
{
	struct sgx_signing_key *key = NULL, *again = NULL;
	struct softsgx_err err = {0};
	struct sgx_sigstruct s;
	char path[4096], out[4096];
	uint8_t m1[384], m2[384];
	struct stat st;

	(void)state;
	tu_need("openssl");
	snprintf(path, sizeof(path), "%s/generated.pem", tu_tmpdir());
	assert_int_equal(sgx_signing_key_generate(&key, NULL), 0);
	if (sgx_signing_key_save(key, path, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(tu_run(out, sizeof(out),
				"openssl rsa -in '%s' -noout -text | grep -c "
				"-e 'Private-Key: (3072 bit' -e 'publicExponent: 3 (0x3)'",
				path),
			 0);
	assert_string_equal(out, "2");
	assert_int_equal(sgx_signing_key_save(key, path, &err), -EEXIST);
	assert_msg(&err, "refusing to overwrite a key");
	assert_int_equal(sgx_signing_key_load(path, &again, NULL), 0);
	assert_int_equal(sgx_signing_key_modulus(key, m1, NULL), 0);
	assert_int_equal(sgx_signing_key_modulus(again, m2, NULL), 0);
	assert_memory_equal(m1, m2, 384);
	make_sigstruct(&s);
	assert_int_equal(sgx_sigstruct_sign(&s, again, NULL), 0);
	assert_true(openssl_verifies(&s, path));
	sgx_signing_key_free(key);
	sgx_signing_key_free(again);
}

static void keys_of_the_wrong_shape_are_refused_saying_how_to_make_one(void **state)
{
	/* @make gets the key path as %1$s and sig1.key.pem as %2$s. */
	static const struct {
		const char *name, *make, *msg;
	} cases[] = {
	    {"rsa2048e3.pem", "openssl genrsa -3 -out '%1$s' 2048",
	     "RSA key is 2048 bits, SGX needs 3072"},
	    {"rsa3072f4.pem", "openssl genrsa -out '%1$s' 3072",
	     "RSA public exponent is 65537, SGX needs 3"},
	    {"ed25519.pem", "openssl genpkey -algorithm ed25519 -out '%1$s'", "not an RSA key"},
	    {"encrypted.pem", "openssl genrsa -3 -aes128 -passout pass:secret -out '%1$s' 3072",
	     "no unencrypted PEM private key found"},
	    {"garbage.pem", "echo 'not a key' > '%1$s'", "no unencrypted PEM private key found"},
	    {"public.pem", "openssl rsa -in '%2$s' -pubout -out '%1$s'",
	     "no unencrypted PEM private key found"},
	};
	(void)state;
	tu_need("openssl");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sgx_signing_key *key = (struct sgx_signing_key *)&cases; /* must be reset */
		struct softsgx_err err = {0};
		char path[1024], cmd[4096];

		snprintf(path, sizeof(path), "%s/%s", tu_tmpdir(), cases[i].name);
		snprintf(cmd, sizeof(cmd), cases[i].make, path, tu_vector("sig1.key.pem"));
		assert_int_equal(tu_run(NULL, 0, "%s 2>/dev/null", cmd), 0);
		assert_int_equal(sgx_signing_key_load(path, &key, &err), -EINVAL);
		assert_null(key);
		assert_msg(&err, path);
		assert_msg(&err, cases[i].msg);
		assert_msg(&err, HOWTO);
	}
}

static void missing_key_file_is_named(void **state)
{
	struct sgx_signing_key *key = NULL;
	struct softsgx_err err = {0};

	(void)state;
	assert_int_equal(sgx_signing_key_load("/nonexistent/key.pem", &key, &err), -ENOENT);
	assert_msg(&err, "/nonexistent/key.pem: cannot open: No such file or directory");
	assert_null(key);
}

static void signing_refuses_what_einit_would_refuse(void **state)
{
	static const struct {
		size_t off;
		uint8_t value;
		const char *msg;
	} cases[] = {
	    {0, 0x07, "refusing to sign: SIGSTRUCT offset 0: HEADER byte 0"},
	    {12, 0x01, "refusing to sign: SIGSTRUCT offset 12: HEADER TYPE"},
	    {17, 0x01, "refusing to sign: SIGSTRUCT offset 16: VENDOR"},
	    {30, 0x01, "refusing to sign: SIGSTRUCT offset 30: HEADER2 byte 6"},
	    {100, 0x01, "refusing to sign: SIGSTRUCT offset 100: header reserved"},
	    {1030, 0x01, "refusing to sign: SIGSTRUCT offset 1030: reserved"},
	};
	struct sgx_signing_key *key = load_sig1();

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct softsgx_err err = {0};
		struct sgx_sigstruct s;

		make_sigstruct(&s);
		((uint8_t *)&s)[cases[i].off] = cases[i].value;
		assert_int_equal(sgx_sigstruct_sign(&s, key, &err), -EINVAL);
		assert_msg(&err, cases[i].msg);
	}
	sgx_signing_key_free(key);
}

/* docs/sigstruct.md: TYPE bit 31 is accepted (and signed); bits 0-30 are refused. */
static void signing_with_type_debug_bit_verifies_and_other_type_bits_are_refused(void **state)
{
	struct sgx_signing_key *key = load_sig1();
	struct softsgx_err err = {0};
	struct sgx_sigstruct s;

	(void)state;
	tu_need("openssl");
	make_sigstruct(&s);
	sgx_sigstruct_set_type_debug(&s, true);
	if (sgx_sigstruct_sign(&s, key, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(sgx_sigstruct_check_format(&s, NULL), 0);
	assert_int_equal(sgx_sigstruct_verify_signature(&s, NULL), 0);
	assert_true(openssl_verifies(&s, tu_vector("sig1.key.pem")));
	s.header.header[15] |= 0x40;
	assert_int_equal(sgx_sigstruct_sign(&s, key, &err), -EINVAL);
	assert_msg(&err, "HEADER TYPE is 0xc0000000, only bit 31 (debug) may be set");
	sgx_signing_key_free(key);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(sig1_key_reproduces_signature_q1_q2_and_modulus),
	    cmocka_unit_test(signature_equals_openssl_pkeyutl_reversed),
	    cmocka_unit_test(resigning_sig1_sigstruct_reproduces_the_file),
	    cmocka_unit_test(signed_sigstruct_verifies_with_openssl_cli_and_tampering_does_not),
	    cmocka_unit_test(generated_key_is_rsa3072_e3_saved_0600_and_never_overwritten),
	    cmocka_unit_test(keys_of_the_wrong_shape_are_refused_saying_how_to_make_one),
	    cmocka_unit_test(missing_key_file_is_named),
	    cmocka_unit_test(signing_refuses_what_einit_would_refuse),
	    cmocka_unit_test(signing_with_type_debug_bit_verifies_and_other_type_bits_are_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
