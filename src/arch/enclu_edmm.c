/* SPDX-License-Identifier: MIT */
/*
 * SGX2 leaves in enclave mode: EACCEPT, EMODPE and EACCEPTCOPY.  The enclave confirms (or
 * extends) what the kernel did with EAUG, EMODPR and EMODT.  Async-signal-safe.
 *
 * Not modelled: the ETRACK epoch the hardware checks before accepting EMODPR/EMODT changes
 * (SGX_NOT_TRACKED); this CPU has no TLBs to shoot down, so every change is tracked at once.
 */
#include <string.h>
#include <sys/mman.h>

#include "arch_internal.h"

#define ENCLU_LEN     3
#define STATE_FLAGS   (SGX_SECINFO_PENDING | SGX_SECINFO_MODIFIED | SGX_SECINFO_PR)
#define DEFINED_FLAGS (SGX_SECINFO_PERMISSION_MASK | STATE_FLAGS | SGX_SECINFO_PAGE_TYPE_MASK)

static unsigned int secinfo_type(uint64_t flags)
{
	return (unsigned int)((flags & SGX_SECINFO_PAGE_TYPE_MASK) >> SGX_SECINFO_PAGE_TYPE_SHIFT);
}

/* Read the SECINFO at RBX (64-aligned, a readable page of the enclave). */
static int read_secinfo(const struct sgx_access *a, uint64_t lin, struct sgx_secinfo *si)
{
	const uint8_t *page;

	if (lin % 64)
		return sgx_gp(a->fault);
	page = sgx_enclave_page(a, lin, PROT_READ, SGX_PT_REG, SGX_SECINFO_R, NULL);
	if (!page)
		return SGX_FAULT_PF;
	memcpy(si, page + lin % SGX_PAGE_SIZE, sizeof(*si));
	if ((si->flags & ~DEFINED_FLAGS) || !sgx_all_zero(si->reserved, sizeof(si->reserved)))
		return sgx_gp(a->fault);
	if ((si->flags & SGX_SECINFO_W) && !(si->flags & SGX_SECINFO_R))
		return sgx_gp(a->fault);
	return 0;
}

/* The EPCM entry of the enclave page at @lin, whatever its state (lock held); or the fault. */
static int target_entry(const struct sgx_access *a, uint64_t lin, struct sgx_epcm_entry **entry,
			size_t *index)
{
	void *p;
	size_t idx;
	struct sgx_epcm_entry *e;

	if (lin % SGX_PAGE_SIZE)
		return sgx_gp(a->fault);
	p = sgx_tlb_lookup(a, lin, PROT_NONE);
	if (!p)
		return sgx_pf(a->fault, lin, SGX_PF_U);
	idx = sgx_epc_index(a->cpu, p);
	e = idx == SIZE_MAX ? NULL : &a->cpu->epcm[idx];
	if (!e || !e->valid || e->secs != a->lp->secs_index || e->linaddr != lin)
		return sgx_pf(a->fault, lin, SGX_PF_U | SGX_PF_P | SGX_PF_SGX);
	*entry = e;
	*index = idx;
	return 0;
}

/* EACCEPT's comparison: the SECINFO must describe exactly the change being accepted. */
static int accept(const struct sgx_access *a, struct sgx_epcm_entry *e, size_t idx, uint64_t flags)
{
	uint64_t state = flags & STATE_FLAGS;
	uint8_t rwx = (uint8_t)(flags & SGX_SECINFO_PERMISSION_MASK);

	if (secinfo_type(flags) != e->type || rwx != e->rwx)
		return SGX_PAGE_ATTRIBUTES_MISMATCH;
	if (e->pending) {
		if (state != SGX_SECINFO_PENDING)
			return SGX_PAGE_ATTRIBUTES_MISMATCH;
		e->pending = false;
	} else if (e->modified) {
		if (state != SGX_SECINFO_MODIFIED)
			return SGX_PAGE_ATTRIBUTES_MISMATCH;
		if (e->type == SGX_PT_TCS &&
		    !sgx_tcs_ok(sgx_secs_page(a->cpu, e->secs), sgx_epc_addr(a->cpu, idx)))
			return sgx_gp(a->fault);
		e->modified = false;
	} else if (e->pr) {
		if (state != SGX_SECINFO_PR)
			return SGX_PAGE_ATTRIBUTES_MISMATCH;
		e->pr = false;
	} else {
		return SGX_PAGE_ATTRIBUTES_MISMATCH;
	}
	return 0;
}

/* The SECINFO at RBX and the EPCM entry of the target page at RCX; 0 or the fault. */
static int operands(const struct sgx_access *a, const struct sgx_regs *r, struct sgx_secinfo *si,
		    struct sgx_epcm_entry **e, size_t *idx)
{
	int ret = read_secinfo(a, r->rbx, si);

	return ret ? ret : target_entry(a, r->rcx, e, idx);
}

/*
 * One of these leaves with the EPCM lock held, after the translations it needs outside it:
 * the SECINFO (RBX), the target page (RCX) and, for EACCEPTCOPY, the source (RDX).
 */
static int edmm_leaf(struct sgx_access *a, struct sgx_regs *r, bool source,
		     int (*locked)(const struct sgx_access *a, struct sgx_regs *r))
{
	int ret;

	sgx_tlb_fill(a, r->rbx, PROT_READ);
	sgx_tlb_fill(a, r->rcx, PROT_NONE);
	if (source)
		sgx_tlb_fill(a, r->rdx, PROT_READ);
	sgx_epcm_lock(a->cpu);
	ret = locked(a, r);
	sgx_epcm_unlock(a->cpu);
	return ret;
}

static int eaccept_locked(const struct sgx_access *a, struct sgx_regs *r)
{
	struct sgx_epcm_entry *e;
	struct sgx_secinfo si;
	size_t idx;
	int ret = operands(a, r, &si, &e, &idx);

	if (ret)
		return ret;
	ret = accept(a, e, idx, si.flags);
	if (ret < 0)
		return ret;
	sgx_set_status(r, (uint64_t)ret);
	r->rip += ENCLU_LEN;
	return 0;
}

int sgx_enclu_eaccept(struct sgx_access *a, struct sgx_regs *r)
{
	return edmm_leaf(a, r, false, eaccept_locked);
}

static int emodpe_locked(const struct sgx_access *a, struct sgx_regs *r)
{
	struct sgx_epcm_entry *e;
	struct sgx_secinfo si;
	size_t idx;
	int ret = operands(a, r, &si, &e, &idx);

	if (ret)
		return ret;
	if (e->type != SGX_PT_REG || e->pending || e->modified)
		return sgx_pf(a->fault, r->rcx, SGX_PF_U | SGX_PF_P | SGX_PF_SGX);
	e->rwx |= (uint8_t)(si.flags & SGX_SECINFO_PERMISSION_MASK);
	r->rip += ENCLU_LEN;
	return 0;
}

int sgx_enclu_emodpe(struct sgx_access *a, struct sgx_regs *r)
{
	return edmm_leaf(a, r, false, emodpe_locked);
}

static int eacceptcopy_locked(const struct sgx_access *a, struct sgx_regs *r)
{
	struct sgx_epcm_entry *e;
	struct sgx_secinfo si;
	const uint8_t *src;
	size_t idx;
	int ret = read_secinfo(a, r->rbx, &si);

	if (ret)
		return ret;
	if (secinfo_type(si.flags) != SGX_PT_REG || r->rdx % SGX_PAGE_SIZE)
		return sgx_gp(a->fault);
	ret = target_entry(a, r->rcx, &e, &idx);
	if (ret)
		return ret;
	src = sgx_enclave_page(a, r->rdx, PROT_READ, SGX_PT_REG, SGX_SECINFO_R, NULL);
	if (!src)
		return SGX_FAULT_PF;
	if (e->type != SGX_PT_REG || !e->pending || e->modified ||
	    (si.flags & (SGX_SECINFO_MODIFIED | SGX_SECINFO_PR))) {
		sgx_set_status(r, SGX_PAGE_ATTRIBUTES_MISMATCH);
	} else {
		memcpy(sgx_epc_addr(a->cpu, idx), src, SGX_PAGE_SIZE);
		e->rwx = (uint8_t)(si.flags & SGX_SECINFO_PERMISSION_MASK);
		e->pending = false;
		sgx_set_status(r, 0);
	}
	r->rip += ENCLU_LEN;
	return 0;
}

int sgx_enclu_eacceptcopy(struct sgx_access *a, struct sgx_regs *r)
{
	return edmm_leaf(a, r, true, eacceptcopy_locked);
}
