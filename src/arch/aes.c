/* SPDX-License-Identifier: MIT */
/*
 * AES-128 block encryption for the CMAC of keys.c, usable inside signal handlers: no
 * allocation, no TLS.  With AES-NI (CPUID.1:ECX[25], probed once when a processor is created)
 * the round keys are expanded and applied with the AES instructions; otherwise OpenSSL's
 * low-level AES_set_encrypt_key/AES_encrypt (deprecated in OpenSSL 3 but allocation-free) do
 * the work.  Both are checked against OpenSSL's EVP CMAC by tests/arch/test_keys.c.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <cpuid.h>
#include <stdatomic.h>
#include <string.h>
#include <wmmintrin.h>

#include <openssl/crypto.h>

#include "arch_internal.h"

#define CPUID1_ECX_AES (1u << 25)

static atomic_bool have_aesni;

void sgx_aes128_probe(void)
{
	unsigned int a, b, c, d;

	if (__get_cpuid(1, &a, &b, &c, &d))
		atomic_store_explicit(&have_aesni, (c & CPUID1_ECX_AES) != 0, memory_order_relaxed);
}

__attribute__((target("aes,sse2"))) static __m128i expand(__m128i key, __m128i assist)
{
	assist = _mm_shuffle_epi32(assist, 0xFF);
	key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
	key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
	key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
	return _mm_xor_si128(key, assist);
}

#define ROUND_KEY(i, rcon) (rk[i] = expand(rk[(i)-1], _mm_aeskeygenassist_si128(rk[(i)-1], (rcon))))

__attribute__((target("aes,sse2"))) static void ni_init(struct sgx_aes128 *k, const uint8_t key[16])
{
	__m128i rk[11];

	rk[0] = _mm_loadu_si128((const __m128i *)key);
	ROUND_KEY(1, 0x01);
	ROUND_KEY(2, 0x02);
	ROUND_KEY(3, 0x04);
	ROUND_KEY(4, 0x08);
	ROUND_KEY(5, 0x10);
	ROUND_KEY(6, 0x20);
	ROUND_KEY(7, 0x40);
	ROUND_KEY(8, 0x80);
	ROUND_KEY(9, 0x1B);
	ROUND_KEY(10, 0x36);
	for (int i = 0; i < 11; i++)
		_mm_store_si128((__m128i *)k->rk[i], rk[i]);
}

__attribute__((target("aes,sse2"))) static void ni_encrypt(const struct sgx_aes128 *k,
							   const uint8_t in[16], uint8_t out[16])
{
	__m128i m = _mm_loadu_si128((const __m128i *)in);

	m = _mm_xor_si128(m, _mm_load_si128((const __m128i *)k->rk[0]));
	for (int i = 1; i < 10; i++)
		m = _mm_aesenc_si128(m, _mm_load_si128((const __m128i *)k->rk[i]));
	m = _mm_aesenclast_si128(m, _mm_load_si128((const __m128i *)k->rk[10]));
	_mm_storeu_si128((__m128i *)out, m);
}

void sgx_aes128_init_soft(struct sgx_aes128 *k, const uint8_t key[16])
{
	k->ni = false;
	AES_set_encrypt_key(key, 128, &k->soft);
}

void sgx_aes128_init(struct sgx_aes128 *k, const uint8_t key[16])
{
	if (!atomic_load_explicit(&have_aesni, memory_order_relaxed)) {
		sgx_aes128_init_soft(k, key);
		return;
	}
	k->ni = true;
	ni_init(k, key);
}

void sgx_aes128_encrypt(const struct sgx_aes128 *k, const uint8_t in[16], uint8_t out[16])
{
	if (k->ni)
		ni_encrypt(k, in, out);
	else
		AES_encrypt(in, out, &k->soft);
}

void sgx_aes128_wipe(struct sgx_aes128 *k)
{
	OPENSSL_cleanse(k, sizeof(*k));
}
