/* SPDX-License-Identifier: MIT */
/*
 * AEX: an exception in enclave mode saves the enclave's state into the current SSA frame
 * (GPRs, XSAVE image, EXITINFO and EXINFO), CSSA += 1, and leaves the enclave with the
 * synthetic state the hardware loads.  Also the XSAVE movements ERESUME uses.  Runs inside
 * the host layer's fault handlers: async-signal-safe, no allocation, no TLS.
 */
#include <string.h>

#include "arch_internal.h"

#define XSAVE_MXCSR    24
#define XSAVE_SW_BYTES 464 /* 464..511: software-available (the kernel's fpx_sw_bytes) */
#define XSAVE_BV       512
#define XSAVE_EXT      (SGX_XSAVE_LEGACY + SGX_XSAVE_HEADER)
#define MXCSR_DEFAULT  0x1F80u
#define FCW_DEFAULT    0x037Fu
#define RFLAGS_RF      (1ull << 16)

/* XSAVE_BV of an image, in memory we own. */
static uint64_t image_bv(const struct sgx_regs *r)
{
	uint64_t bv;

	memcpy(&bv, (const uint8_t *)r->xsave + XSAVE_BV, sizeof(bv));
	return bv;
}

static int xsave_save(const struct sgx_access *a, uint64_t frame, const struct sgx_regs *r,
		      uint64_t xfrm, uint32_t size)
{
	uint32_t n = r->xsave_size < size ? r->xsave_size : size;
	uint64_t bv;
	int ret;

	if (!r->xsave || n < XSAVE_EXT)
		return 0;
	ret = sgx_lin_write(a, frame, r->xsave, n);
	if (ret)
		return ret;
	/* The SSA holds the enclave's components only. */
	bv = image_bv(r) & xfrm;
	return sgx_lin_write(a, frame + XSAVE_BV, &bv, sizeof(bv));
}

/* The SSA image ERESUME would load: XCOMP_BV 0, XSTATE_BV within XFRM, MXCSR valid. */
int sgx_xsave_check(const struct sgx_access *a, uint64_t frame, uint64_t xfrm)
{
	uint64_t hdr[8];
	uint32_t mxcsr;
	int ret;

	ret = sgx_lin_read(a, frame + XSAVE_BV, hdr, sizeof(hdr));
	if (!ret)
		ret = sgx_lin_read(a, frame + XSAVE_MXCSR, &mxcsr, sizeof(mxcsr));
	if (ret)
		return ret;
	if ((hdr[0] & ~xfrm) || hdr[1] || (mxcsr & ~0xFFFFu))
		return sgx_gp(a->fault);
	for (int i = 2; i < 8; i++)
		if (hdr[i])
			return sgx_gp(a->fault);
	return 0;
}

/*
 * Load the SSA image into the thread's image: the legacy area and the XFRM components from
 * the SSA, the thread's own software bytes and non-enclave components (PKRU) kept.
 */
int sgx_xsave_restore(const struct sgx_access *a, uint64_t frame, struct sgx_regs *r, uint64_t xfrm,
		      uint32_t size)
{
	uint32_t n = r->xsave_size < size ? r->xsave_size : size;
	uint8_t *img = r->xsave;
	uint64_t bv, cur;
	int ret;

	if (!img || n < XSAVE_EXT)
		return 0;
	ret = sgx_lin_read(a, frame, img, XSAVE_SW_BYTES);
	if (!ret)
		ret = sgx_lin_read(a, frame + XSAVE_BV, &bv, sizeof(bv));
	if (!ret && n > XSAVE_EXT)
		ret = sgx_lin_read(a, frame + XSAVE_EXT, img + XSAVE_EXT, n - XSAVE_EXT);
	if (ret)
		return ret;
	cur = image_bv(r);
	cur = (cur & ~xfrm) | (bv & xfrm);
	memcpy(img + XSAVE_BV, &cur, sizeof(cur));
	return 0;
}

/* The synthetic state AEX leaves in the enclave's components: x87/SSE defaults, rest init. */
static void xsave_synthetic(struct sgx_regs *r, uint64_t xfrm)
{
	uint8_t *img = r->xsave;
	uint16_t fcw = FCW_DEFAULT;
	uint32_t mxcsr = MXCSR_DEFAULT;
	uint64_t bv;

	if (!img || r->xsave_size < XSAVE_EXT)
		return;
	memset(img, 0, 24);
	memcpy(img, &fcw, sizeof(fcw));
	memcpy(img + XSAVE_MXCSR, &mxcsr, sizeof(mxcsr));
	memset(img + 32, 0, 416 - 32); /* ST0-7 and XMM0-15 */
	bv = image_bv(r) & ~xfrm;
	memcpy(img + XSAVE_BV, &bv, sizeof(bv));
}

/* EXITINFO for @ex: which vectors the hardware reports, and as which type. */
static uint32_t exit_info(const struct sgx_exception *ex, uint32_t miscselect)
{
	uint32_t type = SGX_EXITINFO_TYPE_HW;

	switch (ex->vector) {
	case 3: /* #BP (INT3) and #OF (INTO) are software exceptions */
	case 4:
		type = SGX_EXITINFO_TYPE_SW;
		break;
	case 0:
	case 1:
	case 5:
	case 6:
	case 16:
	case 17:
	case 19:
		break;
	case 13:
	case 14:
		if (miscselect & SGX_MISC_EXINFO)
			break;
		return 0;
	default:
		return 0; /* interrupts and unreported exceptions: VALID = 0 */
	}
	return SGX_EXITINFO_VALID | type << SGX_EXITINFO_TYPE_SHIFT | ex->vector;
}

static void regs_to_gpr(const struct sgx_regs *r, struct sgx_ssa_gpr *g)
{
	g->rax = r->rax, g->rcx = r->rcx, g->rdx = r->rdx, g->rbx = r->rbx;
	g->rsp = r->rsp, g->rbp = r->rbp, g->rsi = r->rsi, g->rdi = r->rdi;
	g->r8 = r->r8, g->r9 = r->r9, g->r10 = r->r10, g->r11 = r->r11;
	g->r12 = r->r12, g->r13 = r->r13, g->r14 = r->r14, g->r15 = r->r15;
	g->rflags = r->rflags;
	g->rip = r->rip;
	g->fsbase = r->fsbase;
	g->gsbase = r->gsbase;
}

/* Save the state into SSA[CSSA] and advance CSSA (lock held).  0 or a fault. */
static int aex_save(const struct sgx_access *a, const struct sgx_regs *r,
		    const struct sgx_exception *ex, struct sgx_ssa_gpr *g)
{
	struct sgx_epcm_entry *e = &a->cpu->epcm[a->lp->tcs_index];
	const struct sgx_secs *secs = sgx_secs_page(a->cpu, a->lp->secs_index);
	const struct sgx_encl *encl = a->cpu->epcm[a->lp->secs_index].encl;
	struct sgx_tcs *tcs = sgx_epc_addr(a->cpu, a->lp->tcs_index);
	uint64_t gpr_lin;
	int ret;

	if (e->cssa >= tcs->nr_ssa_frames || !sgx_tcs_layout_ok(secs, tcs))
		return SGX_FAULT_GP;
	gpr_lin = sgx_ssa_gpr_addr(secs, tcs, e->cssa);
	ret = sgx_lin_read(a, gpr_lin, g, sizeof(*g));
	if (ret)
		return ret;
	regs_to_gpr(r, g);
	g->exit_info = exit_info(ex, secs->miscselect);
	ret = sgx_lin_write(a, gpr_lin, g, sizeof(*g));
	if (!ret && (g->exit_info & SGX_EXITINFO_VALID) && (ex->vector == 13 || ex->vector == 14)) {
		struct sgx_exinfo xi = {
		    .maddr = ex->vector == 14 ? ex->addr : 0,
		    .errcd = ex->error_code,
		};

		ret = sgx_lin_write(a, gpr_lin - sizeof(xi), &xi, sizeof(xi));
	}
	if (!ret)
		ret = xsave_save(a, sgx_ssa_frame_addr(secs, tcs, e->cssa), r,
				 secs->attributes.xfrm, encl->xsave_size);
	if (ret)
		return ret;
	e->cssa++;
	tcs->ssa_index = e->cssa;
	return 0;
}

int sgx_aex(struct sgx_cpu *cpu, const struct sgx_mmu *mmu, struct sgx_lp *lp, struct sgx_regs *r,
	    const struct sgx_exception *ex)
{
	struct sgx_exception fault;
	struct sgx_access a = {.cpu = cpu, .mmu = mmu, .lp = lp, .fault = &fault};
	struct sgx_ssa_gpr g = {.ursp = r->rsp, .urbp = r->rbp};
	uint64_t xfrm;
	int ret;

	struct sgx_ssa_geom geom;
	bool ok;

	if (!lp->in_enclave)
		return SGX_FAULT_GP;
	sgx_epcm_lock(cpu);
	ok = sgx_ssa_geometry(cpu, lp->tcs_index, 0, &geom);
	sgx_epcm_unlock(cpu);
	if (ok)
		sgx_ssa_tlb_fill(&a, &geom);
	sgx_epcm_lock(cpu);
	xfrm = sgx_secs_page(cpu, lp->secs_index)->attributes.xfrm;
	ret = aex_save(&a, r, ex, &g);
	cpu->epcm[lp->tcs_index].busy = false;
	cpu->epcm[lp->secs_index].encl->nr_active--;
	sgx_epcm_unlock(cpu);

	lp->in_enclave = false;
	memset(&r->rdx, 0, offsetof(struct sgx_regs, rflags) - offsetof(struct sgx_regs, rdx));
	r->rax = SGX_ERESUME;
	r->rbx = lp->tcs;
	r->rcx = lp->aep;
	r->rip = lp->aep;
	r->rsp = g.ursp;
	r->rbp = g.urbp;
	r->rflags &= ~(SGX_RFLAGS_ARITH | RFLAGS_RF);
	r->fsbase = lp->host_fsbase;
	r->gsbase = lp->host_gsbase;
	xsave_synthetic(r, xfrm);
	/* A frame that could not be written loses the enclave's state, as a triple fault would. */
	return ret;
}
