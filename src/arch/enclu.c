/* SPDX-License-Identifier: MIT */
/*
 * ENCLU: the dispatcher and the leaves that move a logical processor in and out of enclave
 * mode (EENTER, ERESUME, EEXIT).  Runs inside the host layer's SIGILL handler, possibly with
 * the enclave's FS base loaded: async-signal-safe, no allocation, no TLS, no stack protector.
 */
#include <string.h>
#include <sys/mman.h>

#include "arch_internal.h"

#define ENCLU_LEN 3
#define GPR_URSP  offsetof(struct sgx_ssa_gpr, ursp)

uint64_t sgx_ssa_frame_addr(const struct sgx_secs *secs, const struct sgx_tcs *tcs, uint32_t frame)
{
	return secs->base + tcs->ssa_offset +
	       (uint64_t)frame * secs->ssa_frame_size * SGX_PAGE_SIZE;
}

uint64_t sgx_ssa_gpr_addr(const struct sgx_secs *secs, const struct sgx_tcs *tcs, uint32_t frame)
{
	return sgx_ssa_frame_addr(secs, tcs, frame + 1) - SGX_GPR_SIZE;
}

static bool is_canonical(uint64_t a)
{
	return (uint64_t)((int64_t)(a << 16) >> 16) == a;
}

/*
 * The TCS at RBX for EENTER/ERESUME (lock held): page-aligned, mapped, a valid TCS of an
 * initialised 64-bit enclave at that address, not busy, with a sane layout.
 */
static int tcs_lookup(const struct sgx_access *a, uint64_t lin, size_t *tcs_idx)
{
	struct sgx_epcm_entry *e, *se;
	const struct sgx_secs *secs;
	void *p;
	size_t idx;

	if (lin % SGX_PAGE_SIZE)
		return sgx_gp(a->fault);
	p = sgx_tlb_lookup(a, lin, PROT_READ);
	if (!p)
		return sgx_pf(a->fault, lin, SGX_PF_U);
	idx = sgx_epc_index(a->cpu, p);
	if (idx == SIZE_MAX)
		return sgx_pf(a->fault, lin, SGX_PF_U | SGX_PF_P | SGX_PF_SGX);
	e = &a->cpu->epcm[idx];
	if (!e->valid || e->type != SGX_PT_TCS || e->pending || e->modified || e->linaddr != lin)
		return sgx_gp(a->fault);
	se = &a->cpu->epcm[e->secs];
	secs = sgx_secs_page(a->cpu, e->secs);
	if (!se->encl->initialized || !(secs->attributes.flags & SGX_ATTR_MODE64BIT))
		return sgx_gp(a->fault);
	if (e->busy || !sgx_tcs_layout_ok(secs, sgx_epc_addr(a->cpu, idx)))
		return sgx_gp(a->fault);
	*tcs_idx = idx;
	return 0;
}

bool sgx_ssa_geometry(struct sgx_cpu *cpu, size_t idx, int delta, struct sgx_ssa_geom *g)
{
	const struct sgx_epcm_entry *e = &cpu->epcm[idx];
	const struct sgx_secs *secs;
	const struct sgx_tcs *tcs;
	uint32_t frame;

	if (!e->valid || e->type != SGX_PT_TCS || (delta < 0 && e->cssa == 0))
		return false;
	secs = sgx_secs_page(cpu, e->secs);
	tcs = sgx_epc_addr(cpu, idx);
	frame = e->cssa + (uint32_t)delta;
	if (!sgx_tcs_layout_ok(secs, tcs) || frame >= tcs->nr_ssa_frames)
		return false;
	g->frame = sgx_ssa_frame_addr(secs, tcs, frame);
	g->bytes = (uint64_t)secs->ssa_frame_size * SGX_PAGE_SIZE;
	g->xsave_size = cpu->epcm[e->secs].encl->xsave_size;
	return true;
}

#define SSA_TAIL (SGX_GPR_SIZE + SGX_MISC_EXINFO_SIZE)

void sgx_ssa_tlb_fill(struct sgx_access *a, const struct sgx_ssa_geom *g)
{
	sgx_tlb_fill_range(a, g->frame, g->xsave_size, PROT_READ | PROT_WRITE);
	sgx_tlb_fill_range(a, g->frame + g->bytes - SSA_TAIL, SSA_TAIL, PROT_READ | PROT_WRITE);
}

/*
 * The SSA frame's pages that AEX and ERESUME use (the XSAVE area and the GPR/EXINFO area)
 * must be writable REG pages of the enclave.
 */
static int ssa_frame_check(const struct sgx_access *a, const struct sgx_secs *secs,
			   const struct sgx_tcs *tcs, uint32_t frame)
{
	uint64_t lin = sgx_ssa_frame_addr(secs, tcs, frame);
	uint64_t end = sgx_ssa_frame_addr(secs, tcs, frame + 1);
	uint32_t xsave = a->cpu->epcm[a->lp->secs_index].encl->xsave_size;
	const uint8_t rw = SGX_SECINFO_R | SGX_SECINFO_W;

	for (uint64_t p = lin; p < lin + xsave; p += SGX_PAGE_SIZE)
		if (!sgx_enclave_page(a, p, PROT_READ | PROT_WRITE, SGX_PT_REG, rw, NULL))
			return SGX_FAULT_PF;
	if (!sgx_enclave_page(a, end - SSA_TAIL, PROT_READ | PROT_WRITE, SGX_PT_REG, rw, NULL))
		return SGX_FAULT_PF;
	return 0;
}

/* Enter (or resume on) the TCS: mark it busy and switch the logical processor in. */
static void lp_enter(const struct sgx_access *a, struct sgx_lp *lp, struct sgx_regs *r,
		     size_t tcs_idx)
{
	struct sgx_epcm_entry *e = &a->cpu->epcm[tcs_idx];
	struct sgx_tcs *tcs = sgx_epc_addr(a->cpu, tcs_idx);

	atomic_store_explicit(&e->busy, true, memory_order_relaxed);
	atomic_fetch_add_explicit(&a->cpu->epcm[e->secs].encl->nr_active, 1, memory_order_relaxed);
	tcs->exit_addr = r->rcx;
	lp->in_enclave = true;
	lp->tcs = e->linaddr;
	lp->tcs_index = tcs_idx;
	lp->secs_index = e->secs;
	lp->aep = r->rcx;
	lp->host_fsbase = r->fsbase;
	lp->host_gsbase = r->gsbase;
}

/* Checks shared by EENTER and ERESUME; *frame is the SSA frame the leaf uses. */
static int entry_checks(const struct sgx_access *a, struct sgx_lp *probe, uint64_t tcs_lin,
			bool resume, size_t *tcs_idx, uint32_t *frame)
{
	const struct sgx_secs *secs;
	const struct sgx_tcs *tcs;
	struct sgx_epcm_entry *e;
	int ret = tcs_lookup(a, tcs_lin, tcs_idx);

	if (ret)
		return ret;
	e = &a->cpu->epcm[*tcs_idx];
	tcs = sgx_epc_addr(a->cpu, *tcs_idx);
	secs = sgx_secs_page(a->cpu, e->secs);
	if (resume ? e->cssa == 0 : e->cssa >= tcs->nr_ssa_frames)
		return sgx_gp(a->fault);
	if (e->cssa > tcs->nr_ssa_frames)
		return sgx_gp(a->fault);
	*frame = resume ? e->cssa - 1 : e->cssa;
	probe->secs_index = e->secs;
	return ssa_frame_check(a, secs, tcs, *frame);
}

static int eenter_locked(const struct sgx_access *a, struct sgx_lp *lp, struct sgx_regs *r)
{
	struct sgx_lp probe = *lp;
	struct sgx_access pa = *a;
	const struct sgx_secs *secs;
	const struct sgx_tcs *tcs;
	uint64_t untrusted[2] = {r->rsp, r->rbp};
	size_t tcs_idx;
	uint32_t frame;
	int ret;

	pa.lp = &probe;
	ret = entry_checks(&pa, &probe, r->rbx, false, &tcs_idx, &frame);
	if (ret)
		return ret;
	tcs = sgx_epc_addr(a->cpu, tcs_idx);
	secs = sgx_secs_page(a->cpu, probe.secs_index);
	ret = sgx_lin_write(&pa, sgx_ssa_gpr_addr(secs, tcs, frame) + GPR_URSP, untrusted,
			    sizeof(untrusted));
	if (ret)
		return ret;
	lp_enter(a, lp, r, tcs_idx);
	r->fsbase = secs->base + tcs->fs_offset;
	r->gsbase = secs->base + tcs->gs_offset;
	r->rax = frame;
	r->rcx = r->rip + ENCLU_LEN;
	r->rip = secs->base + tcs->entry_offset;
	return 0;
}

static void gpr_to_regs(const struct sgx_ssa_gpr *g, struct sgx_regs *r)
{
	r->rax = g->rax, r->rcx = g->rcx, r->rdx = g->rdx, r->rbx = g->rbx;
	r->rsp = g->rsp, r->rbp = g->rbp, r->rsi = g->rsi, r->rdi = g->rdi;
	r->r8 = g->r8, r->r9 = g->r9, r->r10 = g->r10, r->r11 = g->r11;
	r->r12 = g->r12, r->r13 = g->r13, r->r14 = g->r14, r->r15 = g->r15;
	r->rflags = g->rflags;
	r->rip = g->rip;
	r->fsbase = g->fsbase;
	r->gsbase = g->gsbase;
}

static int eresume_locked(const struct sgx_access *a, struct sgx_lp *lp, struct sgx_regs *r)
{
	struct sgx_lp probe = *lp;
	struct sgx_access pa = *a;
	const struct sgx_secs *secs;
	struct sgx_tcs *tcs;
	struct sgx_ssa_gpr gpr;
	uint64_t gpr_lin, xfrm;
	size_t tcs_idx;
	uint32_t frame;
	int ret;

	pa.lp = &probe;
	ret = entry_checks(&pa, &probe, r->rbx, true, &tcs_idx, &frame);
	if (ret)
		return ret;
	tcs = sgx_epc_addr(a->cpu, tcs_idx);
	secs = sgx_secs_page(a->cpu, probe.secs_index);
	xfrm = secs->attributes.xfrm;
	gpr_lin = sgx_ssa_gpr_addr(secs, tcs, frame);
	ret = sgx_lin_read(&pa, gpr_lin, &gpr, sizeof(gpr));
	if (!ret &&
	    (!is_canonical(gpr.rip) || !is_canonical(gpr.fsbase) || !is_canonical(gpr.gsbase)))
		ret = sgx_gp(a->fault);
	if (!ret && r->xsave)
		ret = sgx_xsave_check(&pa, sgx_ssa_frame_addr(secs, tcs, frame), xfrm);
	if (ret)
		return ret;
	/* The untrusted stack of this resumption is where the next AEX or EEXIT returns. */
	gpr.ursp = r->rsp;
	gpr.urbp = r->rbp;
	ret = sgx_lin_write(&pa, gpr_lin + GPR_URSP, &gpr.ursp, 2 * sizeof(uint64_t));
	if (ret)
		return ret;
	if (r->xsave)
		sgx_xsave_restore(&pa, sgx_ssa_frame_addr(secs, tcs, frame), r, xfrm,
				  a->cpu->epcm[probe.secs_index].encl->xsave_size);
	lp_enter(a, lp, r, tcs_idx);
	a->cpu->epcm[tcs_idx].cssa = frame;
	tcs->ssa_index = frame;
	gpr_to_regs(&gpr, r);
	return 0;
}

/*
 * EEXIT takes no lock: it only clears what this processor's own entry set, and nothing can
 * take the TCS or the enclave away while the TCS is busy (EREMOVE refuses), so its two
 * release stores are ordered after everything the enclave did, as an unlock would be.
 */
static int eexit(const struct sgx_access *a, struct sgx_lp *lp, struct sgx_regs *r)
{
	if (!is_canonical(r->rbx))
		return sgx_gp(a->fault);
	atomic_fetch_sub_explicit(&a->cpu->epcm[lp->secs_index].encl->nr_active, 1,
				  memory_order_release);
	atomic_store_explicit(&a->cpu->epcm[lp->tcs_index].busy, false, memory_order_release);
	lp->in_enclave = false;
	r->rcx = r->rip + ENCLU_LEN;
	r->rip = r->rbx;
	r->fsbase = lp->host_fsbase;
	r->gsbase = lp->host_gsbase;
	return 0;
}

/*
 * Translate the TCS and the SSA frame the entry will use, before taking epcm_lock.  EENTER
 * remembers where the frame lay (it stays there until CSSA or the TCS changes).
 */
static void entry_tlb_fill(struct sgx_access *a, struct sgx_lp *lp, uint64_t tcs_lin, bool resume)
{
	struct sgx_ssa_geom g;
	size_t idx;
	void *p;
	bool ok;

	sgx_tlb_fill(a, tcs_lin, PROT_READ);
	p = sgx_tlb_lookup(a, tcs_lin, PROT_READ);
	idx = p ? sgx_epc_index(a->cpu, p) : SIZE_MAX;
	if (idx == SIZE_MAX)
		return;
	sgx_epcm_lock(a->cpu);
	ok = sgx_ssa_geometry(a->cpu, idx, resume ? -1 : 0, &g);
	sgx_epcm_unlock(a->cpu);
	if (!ok)
		return;
	sgx_ssa_tlb_fill(a, &g);
	if (!resume) {
		lp->entry_hint_tcs = tcs_lin;
		lp->entry_hint_frame = g.frame;
		lp->entry_hint_bytes = g.bytes;
		lp->entry_hint_xsave = g.xsave_size;
	}
}

/*
 * EENTER through the TCS of the last one: the pages of the frame it used, without computing
 * the frame under the lock first.  Fresh translations all the same; only which pages is
 * remembered.  A #PF may mean the frame moved: the caller starts over.
 */
static int eenter_hinted(struct sgx_access *a, struct sgx_lp *lp, struct sgx_regs *r)
{
	const struct sgx_ssa_geom g = {
	    .frame = lp->entry_hint_frame,
	    .bytes = lp->entry_hint_bytes,
	    .xsave_size = lp->entry_hint_xsave,
	};
	int ret;

	sgx_tlb_fill(a, r->rbx, PROT_READ);
	sgx_ssa_tlb_fill(a, &g);
	sgx_epcm_lock(a->cpu);
	ret = eenter_locked(a, lp, r);
	sgx_epcm_unlock(a->cpu);
	return ret;
}

static int outside_enclave(struct sgx_access *a, struct sgx_lp *lp, struct sgx_regs *r)
{
	uint32_t leaf = (uint32_t)r->rax;
	int ret;

	if (leaf != SGX_EENTER && leaf != SGX_ERESUME)
		return sgx_gp(a->fault);
	if (leaf == SGX_EENTER && lp->entry_hint_tcs && lp->entry_hint_tcs == r->rbx) {
		ret = eenter_hinted(a, lp, r);
		if (ret != SGX_FAULT_PF)
			return ret;
		/* A faulting leaf changed nothing: again, the long way. */
		a->nr_tlb = 0;
		if (a->fault)
			memset(a->fault, 0, sizeof(*a->fault));
		lp->entry_hint_tcs = 0;
	}
	entry_tlb_fill(a, lp, r->rbx, leaf == SGX_ERESUME);
	sgx_epcm_lock(a->cpu);
	ret = leaf == SGX_EENTER ? eenter_locked(a, lp, r) : eresume_locked(a, lp, r);
	sgx_epcm_unlock(a->cpu);
	return ret;
}

static int inside_enclave(struct sgx_access *a, struct sgx_lp *lp, struct sgx_regs *r)
{
	bool sgx2 = a->cpu->platform.sgx2;

	switch ((uint32_t)r->rax) {
	case SGX_EEXIT:
		return eexit(a, lp, r);
	case SGX_EREPORT:
		return sgx_enclu_ereport(a, r);
	case SGX_EGETKEY:
		return sgx_enclu_egetkey(a, r);
	case SGX_EACCEPT:
		return sgx2 ? sgx_enclu_eaccept(a, r) : sgx_gp(a->fault);
	case SGX_EMODPE:
		return sgx2 ? sgx_enclu_emodpe(a, r) : sgx_gp(a->fault);
	case SGX_EACCEPTCOPY:
		return sgx2 ? sgx_enclu_eacceptcopy(a, r) : sgx_gp(a->fault);
	default:
		/* EENTER/ERESUME in enclave mode, and unknown leaves. */
		return sgx_gp(a->fault);
	}
}

int sgx_enclu(struct sgx_cpu *cpu, const struct sgx_mmu *mmu, struct sgx_lp *lp, struct sgx_regs *r,
	      struct sgx_exception *fault)
{
	struct sgx_access a = {.cpu = cpu, .mmu = mmu, .lp = lp, .fault = fault};

	if (fault)
		memset(fault, 0, sizeof(*fault));

	return lp->in_enclave ? inside_enclave(&a, lp, r) : outside_enclave(&a, lp, r);
}
