/* SPDX-License-Identifier: MIT */
/*
 * SGX2 ENCLS leaves: EAUG (a PENDING page for an initialised enclave), EMODPR (restrict EPCM
 * permissions, sets PR) and EMODT (change the page type, sets MODIFIED).  The enclave completes
 * each with EACCEPT (enclu_edmm.c).
 */
#include <string.h>

#include "arch_internal.h"

static int eaug_locked(struct sgx_cpu *cpu, const struct sgx_pageinfo *pi, void *epc_page)
{
	size_t idx = sgx_epc_page_index(cpu, epc_page), sidx;
	struct sgx_epcm_entry *se;
	const struct sgx_secs *secs;
	sigset_t old;

	if ((uintptr_t)pi % 32 || idx == SIZE_MAX || pi->addr % SGX_PAGE_SIZE || pi->contents ||
	    pi->metadata || sgx_epc_page_index(cpu, (void *)(uintptr_t)pi->secs) == SIZE_MAX)
		return SGX_FAULT_GP;
	se = sgx_secs_entry(cpu, (void *)(uintptr_t)pi->secs, &sidx);
	if (!se || cpu->epcm[idx].valid)
		return SGX_FAULT_PF;
	secs = sgx_secs_page(cpu, sidx);
	if (!se->encl->initialized || pi->addr < secs->base || pi->addr - secs->base >= secs->size)
		return SGX_FAULT_GP;
	memset(epc_page, 0, SGX_PAGE_SIZE);
	sgx_epcm_lock_signals(cpu, &old);
	cpu->epcm[idx] = (struct sgx_epcm_entry){
	    .valid = true,
	    .type = SGX_PT_REG,
	    .rwx = SGX_SECINFO_R | SGX_SECINFO_W,
	    .pending = true,
	    .linaddr = pi->addr,
	    .secs = sidx,
	};
	se->encl->nr_children++;
	sgx_epcm_unlock_signals(cpu, &old);
	return 0;
}

int sgx_encls_eaug(struct sgx_cpu *cpu, const struct sgx_pageinfo *pageinfo, void *epc_page)
{
	int ret;

	if (!cpu->platform.sgx2)
		return SGX_FAULT_UD;
	if (!pageinfo)
		return SGX_FAULT_GP;
	sgx_encls_enter(cpu);
	ret = eaug_locked(cpu, pageinfo, epc_page);
	sgx_encls_leave(cpu);
	return ret;
}

/* The SECINFO EMODPR/EMODT take: 64-aligned, reserved bits and bytes zero. */
static int secinfo_check(const struct sgx_secinfo *si, uint64_t allowed)
{
	if (!si || (uintptr_t)si % 64)
		return SGX_FAULT_GP;
	if ((si->flags & ~allowed) || !sgx_all_zero(si->reserved, sizeof(si->reserved)))
		return SGX_FAULT_GP;
	return 0;
}

/* The target of EMODPR/EMODT: a valid page of an initialised enclave (lock held). */
static int modify_target(struct sgx_cpu *cpu, void *epc_page, struct sgx_epcm_entry **out)
{
	size_t idx = sgx_epc_page_index(cpu, epc_page);
	struct sgx_epcm_entry *e;

	if (idx == SIZE_MAX)
		return SGX_FAULT_GP;
	e = &cpu->epcm[idx];
	if (!e->valid || e->type == SGX_PT_SECS || e->type == SGX_PT_VA)
		return SGX_FAULT_PF;
	if (!cpu->epcm[e->secs].encl->initialized)
		return SGX_FAULT_GP;
	if (e->pending || e->modified)
		return SGX_PAGE_NOT_MODIFIABLE;
	*out = e;
	return 0;
}

static int emodpr_locked(struct sgx_cpu *cpu, const struct sgx_secinfo *si, void *epc_page)
{
	struct sgx_epcm_entry *e;
	sigset_t old;
	int ret = secinfo_check(si, SGX_SECINFO_PERMISSION_MASK);

	if (ret)
		return ret;
	if ((si->flags & SGX_SECINFO_W) && !(si->flags & SGX_SECINFO_R))
		return SGX_FAULT_GP;
	sgx_epcm_lock_signals(cpu, &old);
	ret = modify_target(cpu, epc_page, &e);
	/*
	 * After the PENDING/MODIFIED check: an unaccepted TRIM page is SGX_PAGE_NOT_MODIFIABLE,
	 * an accepted one faults, which is how Linux's REMOVE_PAGES tells them apart.
	 */
	if (!ret && e->type != SGX_PT_REG)
		ret = SGX_FAULT_PF;
	if (!ret) {
		e->rwx &= (uint8_t)(si->flags & SGX_SECINFO_PERMISSION_MASK);
		e->pr = true;
	}
	sgx_epcm_unlock_signals(cpu, &old);
	return ret;
}

int sgx_encls_emodpr(struct sgx_cpu *cpu, const struct sgx_secinfo *secinfo, void *epc_page)
{
	int ret;

	if (!cpu->platform.sgx2)
		return SGX_FAULT_UD;
	sgx_encls_enter(cpu);
	ret = emodpr_locked(cpu, secinfo, epc_page);
	sgx_encls_leave(cpu);
	return ret;
}

static int emodt_locked(struct sgx_cpu *cpu, const struct sgx_secinfo *si, void *epc_page)
{
	unsigned int to;
	struct sgx_epcm_entry *e;
	sigset_t old;
	int ret = secinfo_check(si, SGX_SECINFO_PAGE_TYPE_MASK);

	if (ret)
		return ret;
	to = (unsigned int)(si->flags >> SGX_SECINFO_PAGE_TYPE_SHIFT);
	if (to != SGX_PT_TCS && to != SGX_PT_TRIM)
		return SGX_FAULT_GP;
	sgx_epcm_lock_signals(cpu, &old);
	ret = modify_target(cpu, epc_page, &e);
	/* REG -> TCS, REG -> TRIM, TCS -> TRIM. */
	if (!ret && !(e->type == SGX_PT_REG || (e->type == SGX_PT_TCS && to == SGX_PT_TRIM)))
		ret = SGX_PAGE_NOT_MODIFIABLE;
	if (!ret && e->busy)
		ret = SGX_EPC_PAGE_CONFLICT;
	if (!ret) {
		e->type = (uint8_t)to;
		e->rwx = 0;
		e->pr = false;
		e->modified = true;
		e->cssa = 0;
	}
	sgx_epcm_unlock_signals(cpu, &old);
	return ret;
}

int sgx_encls_emodt(struct sgx_cpu *cpu, const struct sgx_secinfo *secinfo, void *epc_page)
{
	int ret;

	if (!cpu->platform.sgx2)
		return SGX_FAULT_UD;
	sgx_encls_enter(cpu);
	ret = emodt_locked(cpu, secinfo, epc_page);
	sgx_encls_leave(cpu);
	return ret;
}
