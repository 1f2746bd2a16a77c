/* SPDX-License-Identifier: MIT */
/*
 * EADD and EEXTEND: add a page to an uninitialised enclave and measure it.
 */
#include <string.h>

#include "arch_internal.h"

#define SECINFO_EADD_FLAGS (SGX_SECINFO_PERMISSION_MASK | SGX_SECINFO_PAGE_TYPE_MASK)
#define TCS_FLAGS_DEFINED  SGX_TCS_DBGOPTIN

static unsigned int secinfo_type(uint64_t flags)
{
	return (unsigned int)((flags & SGX_SECINFO_PAGE_TYPE_MASK) >> SGX_SECINFO_PAGE_TYPE_SHIFT);
}

static bool secinfo_ok_for_eadd(const struct sgx_secinfo *si)
{
	unsigned int type = secinfo_type(si->flags);

	if (si->flags & ~SECINFO_EADD_FLAGS)
		return false;
	if (!sgx_all_zero(si->reserved, sizeof(si->reserved)))
		return false;
	if (type != SGX_PT_REG && type != SGX_PT_TCS)
		return false;
	/* W without R is a misconfiguration the hardware refuses. */
	return !((si->flags & SGX_SECINFO_W) && !(si->flags & SGX_SECINFO_R));
}

/* The TCS layout: the SSA frames and the entry point inside the enclave, aligned bases. */
bool sgx_tcs_layout_ok(const struct sgx_secs *secs, const struct sgx_tcs *tcs)
{
	uint64_t frames = tcs->nr_ssa_frames, ssa_bytes;

	if (tcs->ssa_offset % SGX_PAGE_SIZE || tcs->fs_offset % SGX_PAGE_SIZE ||
	    tcs->gs_offset % SGX_PAGE_SIZE)
		return false;
	if (frames == 0)
		return false;
	ssa_bytes = frames * secs->ssa_frame_size * (uint64_t)SGX_PAGE_SIZE;
	if (tcs->ssa_offset >= secs->size || ssa_bytes > secs->size - tcs->ssa_offset)
		return false;
	if (tcs->entry_offset >= secs->size)
		return false;
	if (!(secs->attributes.flags & SGX_ATTR_MODE64BIT) &&
	    ((tcs->fs_limit & 0xFFF) != 0xFFF || (tcs->gs_limit & 0xFFF) != 0xFFF))
		return false;
	return true;
}

/*
 * The TCS fields EADD (and EACCEPT of a page EMODT made a TCS) check: reserved bytes and flags
 * zero, CSSA 0, and the layout.
 */
bool sgx_tcs_ok(const struct sgx_secs *secs, const struct sgx_tcs *tcs)
{
	if (!sgx_all_zero(tcs->reserved, sizeof(tcs->reserved)))
		return false;
	if (tcs->flags & ~(uint64_t)TCS_FLAGS_DEFINED || tcs->ssa_index != 0)
		return false;
	return sgx_tcs_layout_ok(secs, tcs);
}

static int eadd_check(struct sgx_cpu *cpu, const struct sgx_pageinfo *pi, void *epc_page,
		      size_t *page_idx, size_t *secs_idx)
{
	const struct sgx_secinfo *si = (const void *)(uintptr_t)pi->metadata;
	const void *src = (const void *)(uintptr_t)pi->contents;
	struct sgx_epcm_entry *se;
	const struct sgx_secs *secs;

	*page_idx = sgx_epc_page_index(cpu, epc_page);
	if ((uintptr_t)pi % 32 || !si || (uintptr_t)si % 64 || !src ||
	    (uintptr_t)src % SGX_PAGE_SIZE || *page_idx == SIZE_MAX || pi->addr % SGX_PAGE_SIZE)
		return SGX_FAULT_GP;
	/* Contents staged in the target page itself, or in ordinary memory (see cpu.h). */
	if (src != epc_page && sgx_epc_index(cpu, src) != SIZE_MAX)
		return SGX_FAULT_GP;
	if (sgx_epc_page_index(cpu, (void *)(uintptr_t)pi->secs) == SIZE_MAX)
		return SGX_FAULT_GP;
	se = sgx_secs_entry(cpu, (void *)(uintptr_t)pi->secs, secs_idx);
	if (!se)
		return SGX_FAULT_PF;
	if (cpu->epcm[*page_idx].valid)
		return SGX_FAULT_PF;
	if (!secinfo_ok_for_eadd(si))
		return SGX_FAULT_GP;
	secs = sgx_secs_page(cpu, *secs_idx);
	if (se->encl->initialized)
		return SGX_FAULT_GP;
	if (pi->addr < secs->base || pi->addr - secs->base >= secs->size)
		return SGX_FAULT_GP;
	if (secinfo_type(si->flags) == SGX_PT_TCS && !sgx_tcs_ok(secs, src))
		return SGX_FAULT_GP;
	return 0;
}

static int eadd_locked(struct sgx_cpu *cpu, const struct sgx_pageinfo *pi, void *epc_page)
{
	const struct sgx_secinfo *si;
	const struct sgx_secs *secs;
	struct sgx_encl *encl;
	size_t idx, sidx;
	uint8_t type, rwx;
	sigset_t old;
	int ret;

	ret = eadd_check(cpu, pi, epc_page, &idx, &sidx);
	if (ret)
		return ret;
	si = (const void *)(uintptr_t)pi->metadata;
	secs = sgx_secs_page(cpu, sidx);
	encl = cpu->epcm[sidx].encl;
	type = (uint8_t)secinfo_type(si->flags);
	/* TCS pages carry no permissions in the EPCM whatever SECINFO says. */
	rwx = type == SGX_PT_TCS ? 0 : (uint8_t)(si->flags & SGX_SECINFO_PERMISSION_MASK);
	if (sgx_measure_eadd(&encl->measure, pi->addr - secs->base, si->flags))
		return SGX_FAULT_GP;
	/* Staged in place by the kernel model: a page copied onto itself is unchanged. */
	if ((const void *)(uintptr_t)pi->contents != epc_page)
		memcpy(epc_page, (const void *)(uintptr_t)pi->contents, SGX_PAGE_SIZE);
	if (type == SGX_PT_TCS)
		((struct sgx_tcs *)epc_page)->state = 0;

	sgx_epcm_lock_signals(cpu, &old);
	cpu->epcm[idx] = (struct sgx_epcm_entry){
	    .valid = true,
	    .type = type,
	    .rwx = rwx,
	    .linaddr = pi->addr,
	    .secs = sidx,
	};
	encl->nr_children++;
	sgx_epcm_unlock_signals(cpu, &old);
	return 0;
}

int sgx_encls_eadd(struct sgx_cpu *cpu, const struct sgx_pageinfo *pageinfo, void *epc_page)
{
	int ret;

	if (!pageinfo)
		return SGX_FAULT_GP;
	sgx_encls_enter(cpu);
	ret = eadd_locked(cpu, pageinfo, epc_page);
	sgx_encls_leave(cpu);
	return ret;
}

/*
 * EEXTEND's checks, in the hardware's order, for a chunk at @epc_chunk: the enclave whose
 * measurement it extends and the chunk's offset in the enclave.
 */
static int eextend_check(struct sgx_cpu *cpu, void *epc_secs, void *epc_chunk,
			 struct sgx_encl **encl, uint64_t *offset)
{
	size_t sidx, idx = sgx_epc_index(cpu, epc_chunk);
	struct sgx_epcm_entry *se, *pe;
	const struct sgx_secs *secs;

	if (idx == SIZE_MAX || (uintptr_t)epc_chunk % SGX_EEXTEND_CHUNK ||
	    sgx_epc_page_index(cpu, epc_secs) == SIZE_MAX)
		return SGX_FAULT_GP;
	pe = &cpu->epcm[idx];
	if (!pe->valid || (pe->type != SGX_PT_REG && pe->type != SGX_PT_TCS))
		return SGX_FAULT_PF;
	se = sgx_secs_entry(cpu, epc_secs, &sidx);
	if (!se)
		return SGX_FAULT_PF;
	if (pe->secs != sidx || se->encl->initialized)
		return SGX_FAULT_GP;
	secs = sgx_secs_page(cpu, sidx);
	*encl = se->encl;
	*offset = pe->linaddr - secs->base + ((uintptr_t)epc_chunk % SGX_PAGE_SIZE);
	return 0;
}

static int eextend_locked(struct sgx_cpu *cpu, void *epc_secs, void *epc_chunk)
{
	struct sgx_encl *encl;
	uint64_t offset;
	int ret;

	ret = eextend_check(cpu, epc_secs, epc_chunk, &encl, &offset);
	if (ret)
		return ret;
	if (sgx_measure_eextend(&encl->measure, offset, epc_chunk))
		return SGX_FAULT_GP;
	return 0;
}

/* The sixteen leaves: one check stands for all (same EPCM entry, same SECS), one update. */
static int eextend_page_locked(struct sgx_cpu *cpu, void *epc_secs, void *epc_page,
			       void (*between)(void *ctx, unsigned int offset), void *ctx)
{
	struct sgx_encl *encl;
	uint64_t offset;
	int ret;

	if ((uintptr_t)epc_page % SGX_PAGE_SIZE)
		return SGX_FAULT_GP;
	ret = eextend_check(cpu, epc_secs, epc_page, &encl, &offset);
	if (ret)
		return ret;
	for (unsigned int i = 0; i < SGX_PAGE_SIZE; i += SGX_EEXTEND_CHUNK) {
		if (sgx_measure_eextend(&encl->measure, offset + i, (uint8_t *)epc_page + i))
			return SGX_FAULT_GP;
		if (between)
			between(ctx, i);
	}
	return 0;
}

int sgx_encls_eextend_page(struct sgx_cpu *cpu, void *epc_secs, void *epc_page,
			   void (*between)(void *ctx, unsigned int offset), void *ctx)
{
	int ret;

	sgx_encls_enter(cpu);
	ret = eextend_page_locked(cpu, epc_secs, epc_page, between, ctx);
	sgx_encls_leave(cpu);
	return ret;
}

int sgx_encls_eextend(struct sgx_cpu *cpu, void *epc_secs, void *epc_chunk)
{
	int ret;

	sgx_encls_enter(cpu);
	ret = eextend_locked(cpu, epc_secs, epc_chunk);
	sgx_encls_leave(cpu);
	return ret;
}
