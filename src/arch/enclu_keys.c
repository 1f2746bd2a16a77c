/* SPDX-License-Identifier: MIT */
/*
 * EREPORT and EGETKEY: operand checks and the REPORT structure; the keys come from keys.c.
 * Run inside the host layer's SIGILL handler: async-signal-safe, no allocation, no TLS.
 */
#include <string.h>
#include <sys/mman.h>

#include <openssl/crypto.h>

#include "arch_internal.h"

#define ENCLU_LEN 3
#define KSS_POLICIES                                                                               \
	(SGX_KEYPOLICY_CONFIGID | SGX_KEYPOLICY_ISVFAMILYID | SGX_KEYPOLICY_ISVEXTPRODID)

static const struct sgx_secs *current_secs(const struct sgx_access *a)
{
	return sgx_secs_page(a->cpu, a->lp->secs_index);
}

static const struct sgx_encl *current_encl(const struct sgx_access *a)
{
	return a->cpu->epcm[a->lp->secs_index].encl;
}

static void report_body(const struct sgx_access *a, struct sgx_report *rep,
			const uint8_t report_data[64])
{
	const struct sgx_secs *secs = current_secs(a);
	const struct sgx_encl *encl = current_encl(a);
	struct sgx_report_body *b = &rep->body;

	memset(rep, 0, sizeof(*rep));
	memcpy(b->cpu_svn, a->cpu->platform.cpu_svn, 16);
	b->miscselect = secs->miscselect;
	memcpy(b->isv_ext_prod_id, encl->isv_ext_prod_id, 16);
	b->attributes = secs->attributes;
	memcpy(b->mrenclave, secs->mrenclave, 32);
	memcpy(b->mrsigner, secs->mrsigner, 32);
	memcpy(b->config_id, secs->config_id, 64);
	b->isv_prod_id = secs->isv_prod_id;
	b->isv_svn = secs->isv_svn;
	b->config_svn = secs->config_svn;
	memcpy(b->isv_family_id, encl->isv_family_id, 16);
	memcpy(b->report_data, report_data, 64);
	memcpy(rep->key_id, a->cpu->kdf.report_key_id, 32);
}

static int ereport_locked(const struct sgx_access *a, struct sgx_regs *r)
{
	const uint8_t *ti_page, *rd_page;
	uint8_t *out_page, key[16];
	struct sgx_targetinfo ti;
	struct sgx_report rep;

	if (r->rbx % 512 || r->rcx % 128 || r->rdx % 512)
		return sgx_gp(a->fault);
	ti_page = sgx_enclave_page(a, r->rbx, PROT_READ, SGX_PT_REG, SGX_SECINFO_R, NULL);
	if (!ti_page)
		return SGX_FAULT_PF;
	rd_page = sgx_enclave_page(a, r->rcx, PROT_READ, SGX_PT_REG, SGX_SECINFO_R, NULL);
	if (!rd_page)
		return SGX_FAULT_PF;
	out_page = sgx_enclave_page(a, r->rdx, PROT_READ | PROT_WRITE, SGX_PT_REG,
				    SGX_SECINFO_R | SGX_SECINFO_W, NULL);
	if (!out_page)
		return SGX_FAULT_PF;
	memcpy(&ti, ti_page + r->rbx % SGX_PAGE_SIZE, sizeof(ti));
	report_body(a, &rep, rd_page + r->rcx % SGX_PAGE_SIZE);
	sgx_keys_report_key(a->cpu, &ti, rep.key_id, key);
	sgx_cmac_aes128(key, &rep.body, sizeof(rep.body), rep.mac);
	OPENSSL_cleanse(key, sizeof(key));
	memcpy(out_page + r->rdx % SGX_PAGE_SIZE, &rep, sizeof(rep));
	r->rip += ENCLU_LEN;
	return 0;
}

int sgx_enclu_ereport(struct sgx_access *a, struct sgx_regs *r)
{
	int ret;

	sgx_tlb_fill(a, r->rbx, PROT_READ);
	sgx_tlb_fill(a, r->rcx, PROT_READ);
	sgx_tlb_fill(a, r->rdx, PROT_READ | PROT_WRITE);
	sgx_epcm_lock(a->cpu);
	ret = ereport_locked(a, r);
	sgx_epcm_unlock(a->cpu);
	return ret;
}

/* KEYREQUEST fields the hardware refuses with #GP. */
static bool keyrequest_ok(const struct sgx_keyrequest *req, const struct sgx_secs *secs)
{
	if (req->key_policy & SGX_KEYPOLICY_RESERVED_MASK)
		return false;
	if ((req->key_policy & KSS_POLICIES) && !(secs->attributes.flags & SGX_ATTR_KSS))
		return false;
	return sgx_all_zero(req->reserved1, sizeof(req->reserved1)) &&
	       sgx_all_zero(req->reserved2, sizeof(req->reserved2));
}

static int egetkey_locked(const struct sgx_access *a, struct sgx_regs *r)
{
	const uint8_t *req_page;
	struct sgx_keyrequest req;
	uint8_t *out_page, key[16];
	int code;

	if (r->rbx % 512 || r->rcx % 16)
		return sgx_gp(a->fault);
	req_page = sgx_enclave_page(a, r->rbx, PROT_READ, SGX_PT_REG, SGX_SECINFO_R, NULL);
	if (!req_page)
		return SGX_FAULT_PF;
	out_page = sgx_enclave_page(a, r->rcx, PROT_READ | PROT_WRITE, SGX_PT_REG,
				    SGX_SECINFO_R | SGX_SECINFO_W, NULL);
	if (!out_page)
		return SGX_FAULT_PF;
	memcpy(&req, req_page + r->rbx % SGX_PAGE_SIZE, sizeof(req));
	if (!keyrequest_ok(&req, current_secs(a)))
		return sgx_gp(a->fault);
	code = sgx_keys_egetkey(a->cpu, current_secs(a), current_encl(a), &req, key);
	if (!code)
		memcpy(out_page + r->rcx % SGX_PAGE_SIZE, key, sizeof(key));
	OPENSSL_cleanse(key, sizeof(key));
	sgx_set_status(r, (uint64_t)code);
	r->rip += ENCLU_LEN;
	return 0;
}

int sgx_enclu_egetkey(struct sgx_access *a, struct sgx_regs *r)
{
	int ret;

	sgx_tlb_fill(a, r->rbx, PROT_READ);
	sgx_tlb_fill(a, r->rcx, PROT_READ | PROT_WRITE);
	sgx_epcm_lock(a->cpu);
	ret = egetkey_locked(a, r);
	sgx_epcm_unlock(a->cpu);
	return ret;
}
