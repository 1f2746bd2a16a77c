/* SPDX-License-Identifier: MIT */
/*
 * EINIT: the checks in the order of sgx-architecture.md ("EINIT checks, in order"), each with
 * its SGX error code, then the SECS identity fields and ATTRIBUTES.INIT.
 *
 * Launch control (step 8): with flexible launch control the kernel writes the enclave's own
 * MRSIGNER into IA32_SGXLEPUBKEYHASH before EINIT, so an enclave needs no token; an enclave
 * whose MRSIGNER differs from the programmed hash needs a valid EINITTOKEN, MACed with the
 * EINITTOKEN key of a launch enclave signed by that hash (SDM EINIT pseudo-code).
 */
#include <stdatomic.h>
#include <string.h>

#include <openssl/crypto.h>

#include "arch_internal.h"
#include "softsgx/sigstruct.h"

struct sgx_einittoken {
	uint32_t valid;
	uint8_t reserved1[44];
	struct sgx_attributes attributes;
	uint8_t mrenclave[32];
	uint8_t reserved2[32];
	uint8_t mrsigner[32];
	uint8_t reserved3[32];
	uint8_t cpu_svn_le[16];
	uint16_t isv_prod_id_le;
	uint16_t isv_svn_le;
	uint8_t reserved4[24];
	uint32_t masked_miscselect_le;
	struct sgx_attributes masked_attributes_le;
	uint8_t key_id[32];
	uint8_t mac[16];
} __attribute__((packed));

_Static_assert(sizeof(struct sgx_einittoken) == 304, "EINITTOKEN size");
_Static_assert(offsetof(struct sgx_einittoken, cpu_svn_le) == 192, "EINITTOKEN.CPUSVNLE");
_Static_assert(offsetof(struct sgx_einittoken, key_id) == 256, "EINITTOKEN.KEYID");

/* The MAC covers the token's first 192 bytes (VALID through the reserved block after MRSIGNER). */
#define EINITTOKEN_MACED_BYTES 192

static bool cpusvn_le(const uint8_t a[16], const uint8_t b[16])
{
	for (int i = 0; i < 16; i++)
		if (a[i] > b[i])
			return false;
	return true;
}

/* Step 8 with a token: 0 or SGX_INVALID_EINITTOKEN / SGX_INVALID_CPUSVN. */
static int check_token(const struct sgx_cpu *cpu, const struct sgx_einittoken *t,
		       const struct sgx_secs *secs, const uint8_t mrenclave[32],
		       const uint8_t mrsigner[32])
{
	struct sgx_key_deps deps = {.key_name = SGX_KEYNAME_EINITTOKEN};
	uint8_t key[16], mac[16];
	bool ok;

	if (memcmp(t->mrenclave, mrenclave, 32) || memcmp(t->mrsigner, mrsigner, 32) ||
	    t->attributes.flags != secs->attributes.flags ||
	    t->attributes.xfrm != secs->attributes.xfrm)
		return SGX_INVALID_EINITTOKEN;
	if (!cpusvn_le(t->cpu_svn_le, cpu->platform.cpu_svn))
		return SGX_INVALID_CPUSVN;
	deps.isv_prod_id = t->isv_prod_id_le;
	deps.isv_svn = t->isv_svn_le;
	deps.miscselect = t->masked_miscselect_le;
	deps.attributes = t->masked_attributes_le;
	memcpy(deps.cpu_svn, t->cpu_svn_le, 16);
	memcpy(deps.mrsigner, sgx_cpu_lepubkeyhash(cpu), 32);
	memcpy(deps.key_id, t->key_id, 32);
	sgx_keys_einittoken_key(cpu, &deps, key);
	sgx_cmac_aes128(key, t, EINITTOKEN_MACED_BYTES, mac);
	ok = CRYPTO_memcmp(mac, t->mac, sizeof(mac)) == 0;
	OPENSSL_cleanse(key, sizeof(key));
	return ok ? 0 : SGX_INVALID_EINITTOKEN;
}

static int check_attributes(const struct sgx_sigstruct *sig, const struct sgx_secs *secs)
{
	const struct sgx_sigstruct_body *b = &sig->body;

	if ((b->attributes.flags & b->attributes_mask.flags) !=
		(secs->attributes.flags & b->attributes_mask.flags) ||
	    (b->attributes.xfrm & b->attributes_mask.xfrm) !=
		(secs->attributes.xfrm & b->attributes_mask.xfrm))
		return SGX_INVALID_ATTRIBUTE;
	if ((b->miscselect & b->misc_mask) != (secs->miscselect & b->misc_mask))
		return SGX_INVALID_ATTRIBUTE;
	return 0;
}

static int final_measurement(struct sgx_encl *encl, uint8_t mrenclave[32])
{
	struct sgx_measure copy;
	int ret;

	if (sgx_measure_copy(&copy, &encl->measure, NULL))
		return -1;
	ret = sgx_measure_final(&copy, mrenclave);
	sgx_measure_free(&copy);
	return ret ? -1 : 0;
}

/* Steps 1 to 8; 0, an SGX code, or a negative fault. */
static int einit_checks(struct sgx_cpu *cpu, const struct sgx_sigstruct *sig,
			struct sgx_epcm_entry *se, const struct sgx_secs *secs,
			const struct sgx_einittoken *token, uint8_t mrenclave[32],
			uint8_t mrsigner[32])
{
	unsigned int events;
	int ret;

	if (sgx_sigstruct_check_format(sig, NULL))
		return SGX_INVALID_SIG_STRUCT;
	events = atomic_load(&cpu->pending_interrupts);
	while (events &&
	       !atomic_compare_exchange_weak(&cpu->pending_interrupts, &events, events - 1))
		;
	if (events)
		return SGX_UNMASKED_EVENT;
	if (sgx_sigstruct_verify_signature(sig, NULL))
		return SGX_INVALID_SIGNATURE;
	if (!(secs->attributes.flags & SGX_ATTR_KSS) &&
	    !sgx_all_zero(sig->body.isv_family_id, sizeof(sig->body.isv_family_id)))
		return SGX_INVALID_SIG_STRUCT;
	if (final_measurement(se->encl, mrenclave))
		return SGX_FAULT_GP;
	if (memcmp(mrenclave, sig->body.mrenclave, 32))
		return SGX_INVALID_MEASUREMENT;
	sgx_sigstruct_mrsigner(sig, mrsigner);
	if ((secs->attributes.flags & SGX_ATTR_EINITTOKENKEY) &&
	    memcmp(mrsigner, sgx_cpu_lepubkeyhash(cpu), 32))
		return SGX_INVALID_ATTRIBUTE;
	ret = check_attributes(sig, secs);
	if (ret)
		return ret;
	if (token && (token->valid & 1))
		return check_token(cpu, token, secs, mrenclave, mrsigner);
	if (memcmp(mrsigner, sgx_cpu_lepubkeyhash(cpu), 32))
		return SGX_INVALID_EINITTOKEN;
	return 0;
}

static void einit_commit(struct sgx_cpu *cpu, const struct sgx_sigstruct *sig,
			 struct sgx_epcm_entry *se, struct sgx_secs *secs,
			 const uint8_t mrenclave[32], const uint8_t mrsigner[32])
{
	struct sgx_encl *encl = se->encl;
	sigset_t old;

	memcpy(secs->mrenclave, mrenclave, 32);
	memcpy(secs->mrsigner, mrsigner, 32);
	secs->isv_prod_id = sig->body.isv_prod_id;
	secs->isv_svn = sig->body.isv_svn;
	if (secs->attributes.flags & SGX_ATTR_KSS) {
		memcpy(encl->isv_family_id, sig->body.isv_family_id, 16);
		memcpy(encl->isv_ext_prod_id, sig->body.isv_ext_prod_id, 16);
	}
	sgx_epcm_lock_signals(cpu, &old);
	secs->attributes.flags |= SGX_ATTR_INIT;
	encl->initialized = true;
	sgx_epcm_unlock_signals(cpu, &old);
}

static int einit_locked(struct sgx_cpu *cpu, const struct sgx_sigstruct *sig, void *epc_secs,
			const void *einittoken)
{
	uint8_t mrenclave[32], mrsigner[32];
	struct sgx_epcm_entry *se;
	struct sgx_secs *secs;
	size_t sidx;
	int ret;

	if (!sig || (uintptr_t)sig % SGX_PAGE_SIZE || (uintptr_t)einittoken % 512 ||
	    sgx_epc_page_index(cpu, epc_secs) == SIZE_MAX)
		return SGX_FAULT_GP;
	se = sgx_secs_entry(cpu, epc_secs, &sidx);
	if (!se)
		return SGX_FAULT_PF;
	if (se->encl->initialized)
		return SGX_FAULT_GP;
	secs = sgx_secs_page(cpu, sidx);
	ret = einit_checks(cpu, sig, se, secs, einittoken, mrenclave, mrsigner);
	if (ret)
		return ret;
	einit_commit(cpu, sig, se, secs, mrenclave, mrsigner);
	return 0;
}

int sgx_encls_einit(struct sgx_cpu *cpu, const struct sgx_sigstruct *sigstruct, void *epc_secs,
		    const void *einittoken)
{
	int ret;

	sgx_encls_enter(cpu);
	ret = einit_locked(cpu, sigstruct, epc_secs, einittoken);
	sgx_encls_leave(cpu);
	return ret;
}
