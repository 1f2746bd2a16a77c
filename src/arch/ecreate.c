/* SPDX-License-Identifier: MIT */
/*
 * ECREATE: validate a SECS exactly as the hardware does (#GP for anything it refuses), copy it
 * into the EPC, create the hidden enclave state and start the measurement.
 */
#include <stdlib.h>
#include <string.h>

#include "arch_internal.h"

/* SECINFO.FLAGS bits no leaf defines (bits 6-7 and 16-63). */
#define SECINFO_RESERVED_FLAGS                                                                     \
	(~(SGX_SECINFO_PERMISSION_MASK | SGX_SECINFO_PENDING | SGX_SECINFO_MODIFIED |              \
	   SGX_SECINFO_PR | SGX_SECINFO_PAGE_TYPE_MASK))

uint64_t sgx_ssa_frame_need(uint64_t xfrm, uint32_t miscselect)
{
	uint64_t need = sgx_xsave_size(xfrm) + SGX_GPR_SIZE;

	if (miscselect & SGX_MISC_EXINFO)
		need += SGX_MISC_EXINFO_SIZE;
	return need;
}

static bool is_canonical(uint64_t a)
{
	return (uint64_t)((int64_t)(a << 16) >> 16) == a;
}

static bool size_ok(const struct sgx_platform *p, const struct sgx_secs *s)
{
	bool mode64 = s->attributes.flags & SGX_ATTR_MODE64BIT;
	unsigned int max = mode64 ? p->max_enclave_size_64 : p->max_enclave_size_32;

	if (s->size < 2 * SGX_PAGE_SIZE || (s->size & (s->size - 1)))
		return false;
	if (max < 64 && s->size > (1ull << max))
		return false;
	if (s->base & (s->size - 1))
		return false;
	if (mode64)
		return is_canonical(s->base) && is_canonical(s->base + s->size - 1);
	return s->base + s->size <= (1ull << 32);
}

static bool xfrm_ok(const struct sgx_platform *p, uint64_t xfrm)
{
	if ((xfrm & SGX_XFRM_LEGACY) != SGX_XFRM_LEGACY)
		return false;
	if (((xfrm >> 3) & 1) != ((xfrm >> 4) & 1))
		return false;
	return !(xfrm & ~p->xfrm);
}

static bool attributes_ok(const struct sgx_platform *p, const struct sgx_secs *s)
{
	uint64_t flags = s->attributes.flags;

	if (flags & (SGX_ATTR_INIT | SGX_ATTR_RESERVED_MASK))
		return false;
	if (flags & ~p->attributes)
		return false;
	if (s->miscselect & ~p->miscselect)
		return false;
	return xfrm_ok(p, s->attributes.xfrm);
}

static bool reserved_ok(const struct sgx_secs *s)
{
	if (!sgx_all_zero(s->reserved1, sizeof(s->reserved1)) ||
	    !sgx_all_zero(s->reserved2, sizeof(s->reserved2)) ||
	    !sgx_all_zero(s->reserved3, sizeof(s->reserved3)) ||
	    !sgx_all_zero(s->reserved4, sizeof(s->reserved4)))
		return false;
	/* CONFIGID and CONFIGSVN belong to Key Separation and Sharing. */
	if (!(s->attributes.flags & SGX_ATTR_KSS) &&
	    (!sgx_all_zero(s->config_id, sizeof(s->config_id)) || s->config_svn))
		return false;
	return true;
}

/* Every check ECREATE makes on the SECS; false means #GP(0). */
static bool secs_ok(const struct sgx_platform *p, const struct sgx_secs *s)
{
	if (!size_ok(p, s) || !attributes_ok(p, s) || !reserved_ok(s))
		return false;
	if (s->ssa_frame_size == 0 || (uint64_t)s->ssa_frame_size * SGX_PAGE_SIZE <
					  sgx_ssa_frame_need(s->attributes.xfrm, s->miscselect))
		return false;
	return true;
}

static bool secinfo_ok_for_ecreate(const struct sgx_secinfo *si)
{
	if (si->flags & SECINFO_RESERVED_FLAGS)
		return false;
	if (!sgx_all_zero(si->reserved, sizeof(si->reserved)))
		return false;
	return ((si->flags & SGX_SECINFO_PAGE_TYPE_MASK) >> SGX_SECINFO_PAGE_TYPE_SHIFT) ==
	       SGX_PT_SECS;
}

static struct sgx_encl *encl_new(struct sgx_cpu *cpu, const struct sgx_secs *s)
{
	struct sgx_encl *encl = calloc(1, sizeof(*encl));

	if (!encl)
		return NULL;
	if (sgx_measure_init(&encl->measure, NULL) ||
	    sgx_measure_ecreate(&encl->measure, s->ssa_frame_size, s->size)) {
		sgx_encl_free(encl);
		return NULL;
	}
	encl->eid = cpu->next_eid++;
	encl->xsave_size = sgx_xsave_size(s->attributes.xfrm);
	return encl;
}

static int ecreate_locked(struct sgx_cpu *cpu, const struct sgx_pageinfo *pi, void *epc_secs)
{
	const struct sgx_secinfo *si = (const void *)(uintptr_t)pi->metadata;
	const struct sgx_secs *src = (const void *)(uintptr_t)pi->contents;
	struct sgx_secs *dst;
	struct sgx_encl *encl;
	size_t idx = sgx_epc_page_index(cpu, epc_secs);
	sigset_t old;

	if ((uintptr_t)pi % 32 || !si || (uintptr_t)si % 64 || !src ||
	    (uintptr_t)src % SGX_PAGE_SIZE || idx == SIZE_MAX)
		return SGX_FAULT_GP;
	if (!secinfo_ok_for_ecreate(si) || !secs_ok(&cpu->platform, src))
		return SGX_FAULT_GP;
	if (cpu->epcm[idx].valid)
		return SGX_FAULT_PF;
	encl = encl_new(cpu, src);
	if (!encl)
		return SGX_FAULT_GP; /* no memory for the hidden state: refuse like a fault */
	dst = sgx_secs_page(cpu, idx);
	memcpy(dst, src, sizeof(*dst));
	memset(dst->mrenclave, 0, sizeof(dst->mrenclave));
	memset(dst->mrsigner, 0, sizeof(dst->mrsigner));
	dst->isv_prod_id = 0;
	dst->isv_svn = 0;

	sgx_epcm_lock_signals(cpu, &old);
	cpu->epcm[idx] = (struct sgx_epcm_entry){
	    .valid = true,
	    .type = SGX_PT_SECS,
	    .secs = idx,
	    .encl = encl,
	};
	sgx_epcm_unlock_signals(cpu, &old);
	return 0;
}

int sgx_encls_ecreate(struct sgx_cpu *cpu, const struct sgx_pageinfo *pageinfo, void *epc_secs)
{
	int ret;

	if (!pageinfo)
		return SGX_FAULT_GP;
	sgx_encls_enter(cpu);
	ret = ecreate_locked(cpu, pageinfo, epc_secs);
	sgx_encls_leave(cpu);
	return ret;
}
