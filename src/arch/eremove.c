/* SPDX-License-Identifier: MIT */
/*
 * EREMOVE: free an EPC page.  A SECS goes only when it has no children; an enclave page goes
 * only when no logical processor is inside its enclave.
 */
#include <string.h>

#include "arch_internal.h"

static int eremove_locked(struct sgx_cpu *cpu, void *epc_page)
{
	size_t idx = sgx_epc_page_index(cpu, epc_page);
	struct sgx_encl *to_free = NULL;
	struct sgx_epcm_entry *e, *se;
	int ret = 0;
	sigset_t old;

	if (idx == SIZE_MAX)
		return SGX_FAULT_GP;
	e = &cpu->epcm[idx];
	sgx_epcm_lock_signals(cpu, &old);
	if (!e->valid) {
		/* Removing a free page is allowed and does nothing. */
	} else if (e->type == SGX_PT_SECS) {
		if (e->encl->nr_children)
			ret = SGX_CHILD_PRESENT;
		else
			to_free = e->encl;
	} else if (e->type == SGX_PT_VA) {
		/* VA pages belong to no enclave. */
	} else {
		se = &cpu->epcm[e->secs];
		if (se->encl->nr_active || e->busy)
			ret = SGX_ENCLAVE_ACT;
		else
			se->encl->nr_children--;
	}
	if (!ret)
		memset(e, 0, sizeof(*e));
	sgx_epcm_unlock_signals(cpu, &old);
	if (!ret) {
		sgx_encl_free(to_free);
		memset(epc_page, 0, SGX_PAGE_SIZE);
	}
	return ret;
}

int sgx_encls_eremove(struct sgx_cpu *cpu, void *epc_page)
{
	int ret;

	sgx_encls_enter(cpu);
	ret = eremove_locked(cpu, epc_page);
	sgx_encls_leave(cpu);
	return ret;
}
