/* SPDX-License-Identifier: MIT */
/*
 * Key derivation for EGETKEY, EREPORT and EINIT's token check.
 *
 * KDF: key = AES-128-CMAC(K, KEYDEPENDENCIES), where KEYDEPENDENCIES is the canonical struct
 * sgx_key_deps (key name, policy, the identity the policy selects, SVNs, masked attributes and
 * MISCSELECT, KEYID, owner epoch, KSS fields) and K = the first 16 bytes of
 * HMAC-SHA256(root secret, "softsgx kdf v1"), computed once per processor.  The same shape as
 * the hardware's derivation (a CMAC over the key dependencies), keyed by the platform's root
 * secret instead of fuses.
 *
 * EGETKEY and EREPORT run inside signal handlers: no allocation, no locks, no TLS.  OpenSSL's
 * EVP_MAC allocates, so the CMAC (RFC 4493) is written here over the block cipher of aes.c
 * (AES-NI, or OpenSSL's allocation-free low-level AES), with the schedule of K precomputed at
 * sgx_cpu_create.  tests/arch/test_keys.c checks it against OpenSSL's EVP_MAC CMAC.
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "arch_internal.h"

static const char kdf_label[] = "softsgx kdf v1";
static const char epoch_label[] = "softsgx owner epoch v1";

/* CMAC subkey: shift left one bit, xor Rb = 0x87 when the top bit fell out. */
static void cmac_dbl(uint8_t out[16], const uint8_t in[16])
{
	uint8_t carry = in[0] >> 7;

	for (int i = 0; i < 15; i++)
		out[i] = (uint8_t)(in[i] << 1 | in[i + 1] >> 7);
	out[15] = (uint8_t)(in[15] << 1) ^ (uint8_t)(carry * 0x87);
}

static void cmac_schedule(const struct sgx_aes128 *ks, const void *msg, size_t len, uint8_t mac[16])
{
	const uint8_t *m = msg;
	uint8_t l[16] = {0}, k1[16], k2[16], x[16] = {0}, last[16];
	size_t nblocks = len ? (len + 15) / 16 : 1;
	bool complete = len && len % 16 == 0;

	sgx_aes128_encrypt(ks, l, l);
	cmac_dbl(k1, l);
	cmac_dbl(k2, k1);
	for (size_t b = 0; b + 1 < nblocks; b++) {
		for (int i = 0; i < 16; i++)
			x[i] ^= m[16 * b + i];
		sgx_aes128_encrypt(ks, x, x);
	}
	memset(last, 0, sizeof(last));
	if (complete) {
		memcpy(last, m + 16 * (nblocks - 1), 16);
		for (int i = 0; i < 16; i++)
			last[i] ^= k1[i];
	} else {
		size_t rest = len - 16 * (nblocks - 1);

		memcpy(last, m + 16 * (nblocks - 1), rest);
		last[rest] = 0x80;
		for (int i = 0; i < 16; i++)
			last[i] ^= k2[i];
	}
	for (int i = 0; i < 16; i++)
		x[i] ^= last[i];
	sgx_aes128_encrypt(ks, x, mac);
	OPENSSL_cleanse(l, sizeof(l));
	OPENSSL_cleanse(k1, sizeof(k1));
	OPENSSL_cleanse(k2, sizeof(k2));
}

void sgx_cmac_aes128(const uint8_t key[16], const void *msg, size_t len, uint8_t mac[16])
{
	struct sgx_aes128 ks;

	sgx_aes128_init(&ks, key);
	cmac_schedule(&ks, msg, len, mac);
	sgx_aes128_wipe(&ks);
}

int sgx_kdf_init(struct sgx_kdf *kdf, const uint8_t root_secret[32])
{
	uint8_t out[32];
	unsigned int len = sizeof(out);

	if (!HMAC(EVP_sha256(), root_secret, 32, (const uint8_t *)kdf_label, strlen(kdf_label), out,
		  &len))
		return -1;
	sgx_aes128_probe();
	sgx_aes128_init(&kdf->root, out);
	len = sizeof(out);
	if (!HMAC(EVP_sha256(), root_secret, 32, (const uint8_t *)epoch_label, strlen(epoch_label),
		  out, &len))
		return -1;
	memcpy(kdf->owner_epoch, out, sizeof(kdf->owner_epoch));
	OPENSSL_cleanse(out, sizeof(out));
	/* Like the hardware's per-boot CR_REPORT_KEYID: fresh for every processor instance. */
	if (RAND_bytes(kdf->report_key_id, sizeof(kdf->report_key_id)) != 1)
		return -1;
	return 0;
}

void sgx_kdf_derive(const struct sgx_kdf *kdf, const struct sgx_key_deps *deps, uint8_t key[16])
{
	cmac_schedule(&kdf->root, deps, sizeof(*deps), key);
}

static bool cpusvn_above(const uint8_t req[16], const uint8_t cur[16])
{
	for (int i = 0; i < 16; i++)
		if (req[i] > cur[i])
			return true;
	return false;
}

/* ATTRIBUTES the key binds: INIT and DEBUG always, the rest as the request's mask selects. */
static struct sgx_attributes masked_attributes(const struct sgx_secs *secs,
					       const struct sgx_keyrequest *req)
{
	struct sgx_attributes a;

	a.flags =
	    secs->attributes.flags & (req->attribute_mask.flags | SGX_ATTR_INIT | SGX_ATTR_DEBUG);
	a.xfrm = secs->attributes.xfrm & req->attribute_mask.xfrm;
	return a;
}

/* Fields common to the SVN-bound keys (seal, provision, einittoken). */
static void deps_svn_bound(struct sgx_key_deps *d, const struct sgx_secs *secs,
			   const struct sgx_keyrequest *req)
{
	d->isv_prod_id = secs->isv_prod_id;
	d->isv_svn = req->isv_svn;
	d->miscselect = secs->miscselect & req->misc_mask;
	d->attributes = masked_attributes(secs, req);
	memcpy(d->cpu_svn, req->cpu_svn, 16);
	memcpy(d->mrsigner, secs->mrsigner, 32);
}

static void deps_seal(struct sgx_key_deps *d, const struct sgx_cpu *cpu,
		      const struct sgx_secs *secs, const struct sgx_encl *encl,
		      const struct sgx_keyrequest *req)
{
	uint16_t policy = req->key_policy;

	deps_svn_bound(d, secs, req);
	d->key_policy = policy;
	if (!(policy & SGX_KEYPOLICY_MRSIGNER))
		memset(d->mrsigner, 0, 32);
	if (policy & SGX_KEYPOLICY_MRENCLAVE)
		memcpy(d->mrenclave, secs->mrenclave, 32);
	if (policy & SGX_KEYPOLICY_NOISVPRODID)
		d->isv_prod_id = 0;
	if (policy & SGX_KEYPOLICY_CONFIGID) {
		memcpy(d->config_id, secs->config_id, 64);
		d->config_svn = req->config_svn;
	}
	if (policy & SGX_KEYPOLICY_ISVFAMILYID)
		memcpy(d->isv_family_id, encl->isv_family_id, 16);
	if (policy & SGX_KEYPOLICY_ISVEXTPRODID)
		memcpy(d->isv_ext_prod_id, encl->isv_ext_prod_id, 16);
	memcpy(d->key_id, req->key_id, 32);
	memcpy(d->owner_epoch, cpu->kdf.owner_epoch, 16);
}

static int check_svns(const struct sgx_cpu *cpu, const struct sgx_secs *secs,
		      const struct sgx_keyrequest *req)
{
	if (req->isv_svn > secs->isv_svn || req->config_svn > secs->config_svn)
		return SGX_INVALID_ISVSVN;
	if (cpusvn_above(req->cpu_svn, cpu->platform.cpu_svn))
		return SGX_INVALID_CPUSVN;
	return 0;
}

static void deps_report(struct sgx_key_deps *d, const struct sgx_cpu *cpu,
			const uint8_t mrenclave[32], const struct sgx_attributes *attributes,
			uint32_t miscselect, const uint8_t config_id[64], uint16_t config_svn,
			const uint8_t key_id[32])
{
	d->key_name = SGX_KEYNAME_REPORT;
	memcpy(d->mrenclave, mrenclave, 32);
	d->attributes = *attributes;
	d->miscselect = miscselect;
	memcpy(d->config_id, config_id, 64);
	d->config_svn = config_svn;
	memcpy(d->cpu_svn, cpu->platform.cpu_svn, 16);
	memcpy(d->key_id, key_id, 32);
	memcpy(d->owner_epoch, cpu->kdf.owner_epoch, 16);
}

int sgx_keys_egetkey(const struct sgx_cpu *cpu, const struct sgx_secs *secs,
		     const struct sgx_encl *encl, const struct sgx_keyrequest *req, uint8_t key[16])
{
	struct sgx_key_deps d;
	int ret;

	memset(&d, 0, sizeof(d));
	d.key_name = req->key_name;
	switch (req->key_name) {
	case SGX_KEYNAME_REPORT:
		deps_report(&d, cpu, secs->mrenclave, &secs->attributes, secs->miscselect,
			    secs->config_id, secs->config_svn, req->key_id);
		break;
	case SGX_KEYNAME_SEAL:
		ret = check_svns(cpu, secs, req);
		if (ret)
			return ret;
		deps_seal(&d, cpu, secs, encl, req);
		break;
	case SGX_KEYNAME_EINITTOKEN:
		if (!(secs->attributes.flags & SGX_ATTR_EINITTOKENKEY))
			return SGX_INVALID_ATTRIBUTE;
		ret = check_svns(cpu, secs, req);
		if (ret)
			return ret;
		deps_svn_bound(&d, secs, req);
		memcpy(d.key_id, req->key_id, 32);
		memcpy(d.owner_epoch, cpu->kdf.owner_epoch, 16);
		break;
	case SGX_KEYNAME_PROVISION:
	case SGX_KEYNAME_PROVISION_SEAL:
		if (!(secs->attributes.flags & SGX_ATTR_PROVISIONKEY))
			return SGX_INVALID_ATTRIBUTE;
		ret = check_svns(cpu, secs, req);
		if (ret)
			return ret;
		/* Provisioning keys survive an owner change: no owner epoch, no KEYID. */
		deps_svn_bound(&d, secs, req);
		break;
	default:
		return SGX_INVALID_KEYNAME;
	}
	sgx_kdf_derive(&cpu->kdf, &d, key);
	OPENSSL_cleanse(&d, sizeof(d));
	return 0;
}

void sgx_keys_report_key(const struct sgx_cpu *cpu, const struct sgx_targetinfo *ti,
			 const uint8_t key_id[32], uint8_t key[16])
{
	struct sgx_key_deps d;

	memset(&d, 0, sizeof(d));
	deps_report(&d, cpu, ti->mrenclave, &ti->attributes, ti->miscselect, ti->config_id,
		    ti->config_svn, key_id);
	sgx_kdf_derive(&cpu->kdf, &d, key);
	OPENSSL_cleanse(&d, sizeof(d));
}

void sgx_keys_einittoken_key(const struct sgx_cpu *cpu, const struct sgx_key_deps *deps,
			     uint8_t key[16])
{
	struct sgx_key_deps d = *deps;

	d.key_name = SGX_KEYNAME_EINITTOKEN;
	memcpy(d.owner_epoch, cpu->kdf.owner_epoch, 16);
	sgx_kdf_derive(&cpu->kdf, &d, key);
	OPENSSL_cleanse(&d, sizeof(d));
}
