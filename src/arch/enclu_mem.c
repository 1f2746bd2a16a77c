/* SPDX-License-Identifier: MIT */
/*
 * Enclave-mode memory accesses: an enclave linear address goes through the OS page tables
 * (struct sgx_mmu) and then the EPCM, as on hardware.  Used by the ENCLU leaves for their
 * operands and the SSA frames, and by the host layer's fault handler (sgx_epcm_access).
 * Async-signal-safe: no allocation, no locks but the EPCM spin lock, no TLS.
 */
#include <string.h>
#include <sys/mman.h>

#include "arch_internal.h"

int sgx_pf(struct sgx_exception *fault, uint64_t addr, uint32_t code)
{
	if (fault) {
		fault->vector = 14;
		fault->error_code = code;
		fault->addr = addr;
	}
	return SGX_FAULT_PF;
}

int sgx_gp(struct sgx_exception *fault)
{
	if (fault) {
		fault->vector = 13;
		fault->error_code = 0;
		fault->addr = 0;
	}
	return SGX_FAULT_GP;
}

static uint32_t pf_access_bits(int prot)
{
	uint32_t code = SGX_PF_U;

	if (prot & PROT_WRITE)
		code |= SGX_PF_W;
	if (prot & PROT_EXEC)
		code |= SGX_PF_I;
	return code;
}

static uint8_t prot_to_rwx(int prot)
{
	uint8_t rwx = 0;

	if (prot & PROT_READ)
		rwx |= SGX_SECINFO_R;
	if (prot & PROT_WRITE)
		rwx |= SGX_SECINFO_W;
	if (prot & PROT_EXEC)
		rwx |= SGX_SECINFO_X;
	return rwx;
}

void sgx_tlb_fill(struct sgx_access *a, uint64_t lin, int prot)
{
	uint64_t page = lin & ~(uint64_t)(SGX_PAGE_SIZE - 1);

	for (unsigned int i = 0; i < a->nr_tlb; i++)
		if (a->tlb[i].page == page && a->tlb[i].prot == prot)
			return;
	if (a->nr_tlb == SGX_TLB_SIZE)
		return;
	a->tlb[a->nr_tlb++] = (struct sgx_tlb_entry){
	    .page = page,
	    .prot = prot,
	    .epc = a->mmu->translate(a->mmu->ctx, page, prot),
	};
}

void sgx_tlb_fill_range(struct sgx_access *a, uint64_t lin, uint64_t len, int prot)
{
	uint64_t end = lin + len;

	if (!len || end < lin)
		return;
	for (uint64_t p = lin & ~(uint64_t)(SGX_PAGE_SIZE - 1); p < end; p += SGX_PAGE_SIZE)
		sgx_tlb_fill(a, p, prot);
}

void *sgx_tlb_lookup(const struct sgx_access *a, uint64_t lin, int prot)
{
	uint64_t page = lin & ~(uint64_t)(SGX_PAGE_SIZE - 1);

	for (unsigned int i = 0; i < a->nr_tlb; i++)
		if (a->tlb[i].page == page && a->tlb[i].epc && (a->tlb[i].prot & prot) == prot)
			return a->tlb[i].epc;
	return NULL;
}

/* The EPCM allows the current enclave this access to the page at @lin (lock held). */
static bool epcm_allows(const struct sgx_cpu *cpu, const struct sgx_epcm_entry *e, size_t secs,
			uint64_t lin, uint8_t type, uint8_t rwx)
{
	(void)cpu;
	return e->valid && e->secs == secs &&
	       e->linaddr == (lin & ~(uint64_t)(SGX_PAGE_SIZE - 1)) && e->type == type &&
	       !e->pending && !e->modified && (e->rwx & rwx) == rwx;
}

void *sgx_enclave_page(const struct sgx_access *a, uint64_t lin, int prot, uint8_t type,
		       uint8_t rwx, size_t *index)
{
	void *p = sgx_tlb_lookup(a, lin, prot);
	size_t idx;

	if (!p) {
		sgx_pf(a->fault, lin, pf_access_bits(prot));
		return NULL;
	}
	idx = sgx_epc_index(a->cpu, p);
	if (idx == SIZE_MAX ||
	    !epcm_allows(a->cpu, &a->cpu->epcm[idx], a->lp->secs_index, lin, type, rwx)) {
		sgx_pf(a->fault, lin, pf_access_bits(prot) | SGX_PF_P | SGX_PF_SGX);
		return NULL;
	}
	if (index)
		*index = idx;
	return sgx_epc_addr(a->cpu, idx);
}

static int lin_copy(const struct sgx_access *a, uint64_t lin, void *buf, size_t len, bool write)
{
	uint8_t *b = buf;

	while (len) {
		size_t in_page = SGX_PAGE_SIZE - (lin % SGX_PAGE_SIZE);
		size_t n = len < in_page ? len : in_page;
		uint8_t *page =
		    sgx_enclave_page(a, lin, write ? PROT_READ | PROT_WRITE : PROT_READ, SGX_PT_REG,
				     write ? SGX_SECINFO_R | SGX_SECINFO_W : SGX_SECINFO_R, NULL);

		if (!page)
			return SGX_FAULT_PF;
		if (write)
			memcpy(page + lin % SGX_PAGE_SIZE, b, n);
		else
			memcpy(b, page + lin % SGX_PAGE_SIZE, n);
		lin += n;
		b += n;
		len -= n;
	}
	return 0;
}

int sgx_lin_write(const struct sgx_access *a, uint64_t lin, const void *src, size_t len)
{
	return lin_copy(a, lin, (void *)src, len, true);
}

int sgx_lin_read(const struct sgx_access *a, uint64_t lin, void *dst, size_t len)
{
	return lin_copy(a, lin, dst, len, false);
}

static int enclave_access(struct sgx_cpu *cpu, const struct sgx_lp *lp, uint64_t addr, int access,
			  void *p, uint32_t *code)
{
	const struct sgx_secs *secs = sgx_secs_page(cpu, lp->secs_index);
	bool in_elrange = addr >= secs->base && addr - secs->base < secs->size;
	size_t idx;

	*code = pf_access_bits(access);
	if (!p)
		return SGX_FAULT_PF;
	idx = sgx_epc_index(cpu, p);
	if (idx == SIZE_MAX && !in_elrange)
		return 0; /* ordinary memory outside the enclave */
	*code |= SGX_PF_P | SGX_PF_SGX;
	if (idx == SIZE_MAX || !in_elrange)
		return SGX_FAULT_PF;
	if (!epcm_allows(cpu, &cpu->epcm[idx], lp->secs_index, addr, SGX_PT_REG,
			 prot_to_rwx(access)))
		return SGX_FAULT_PF;
	*code = 0;
	return 0;
}

int sgx_epcm_access(struct sgx_cpu *cpu, const struct sgx_mmu *mmu, const struct sgx_lp *lp,
		    uint64_t addr, int access, uint32_t *error_code)
{
	uint32_t code = 0;
	void *p;
	int ret;

	if (!lp || !lp->in_enclave) {
		p = mmu->translate(mmu->ctx, addr, 0);
		if (error_code)
			*error_code = 0;
		return p && sgx_epc_index(cpu, p) != SIZE_MAX ? SGX_ACCESS_ABORT_PAGE : 0;
	}
	/* The page-table walk first, then the EPCM under its lock (see arch_internal.h). */
	p = mmu->translate(mmu->ctx, addr, access);
	sgx_epcm_lock(cpu);
	ret = enclave_access(cpu, lp, addr, access, p, &code);
	sgx_epcm_unlock(cpu);
	if (error_code)
		*error_code = code;
	return ret;
}

void sgx_set_status(struct sgx_regs *r, uint64_t code)
{
	r->rax = code;
	r->rflags &= ~SGX_RFLAGS_ARITH;
	if (code)
		r->rflags |= SGX_RFLAGS_ZF;
}
