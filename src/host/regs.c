/* SPDX-License-Identifier: MIT */
/*
 * The interrupted thread's registers as ENCLU and AEX see them: the signal frame's gregs and
 * XSAVE image.  FS/GS bases are not in the frame (the kernel does not save them); callers fill
 * them from the live registers.
 */
#include <string.h>

#include "host.h"

/* struct _fpx_sw_bytes at offset 464 of the FXSAVE area (the kernel's sigcontext.h). */
#define FP_SW_OFFSET 464

struct fpx_sw_bytes {
	uint32_t magic1;
	uint32_t extended_size;
	uint64_t xfeatures;
	uint32_t xstate_size;
	uint32_t padding[7];
};

void *ucontext_xsave(const ucontext_t *uc, uint32_t *size)
{
	const struct fpx_sw_bytes *sw;
	uint8_t *fp = (uint8_t *)uc->uc_mcontext.fpregs;

	*size = 0;
	if (!fp)
		return NULL;
	sw = (const struct fpx_sw_bytes *)(fp + FP_SW_OFFSET);
	*size = sw->magic1 == FP_XSTATE_MAGIC1 ? sw->xstate_size : 512;
	return fp;
}

void regs_from_ucontext(struct sgx_regs *r, const ucontext_t *uc)
{
	const greg_t *g = uc->uc_mcontext.gregs;

	memset(r, 0, sizeof(*r));
	r->rax = g[REG_RAX];
	r->rcx = g[REG_RCX];
	r->rdx = g[REG_RDX];
	r->rbx = g[REG_RBX];
	r->rsp = g[REG_RSP];
	r->rbp = g[REG_RBP];
	r->rsi = g[REG_RSI];
	r->rdi = g[REG_RDI];
	r->r8 = g[REG_R8];
	r->r9 = g[REG_R9];
	r->r10 = g[REG_R10];
	r->r11 = g[REG_R11];
	r->r12 = g[REG_R12];
	r->r13 = g[REG_R13];
	r->r14 = g[REG_R14];
	r->r15 = g[REG_R15];
	r->rflags = g[REG_EFL];
	r->rip = g[REG_RIP];
	r->xsave = ucontext_xsave(uc, &r->xsave_size);
}

void regs_to_ucontext(const struct sgx_regs *r, ucontext_t *uc)
{
	greg_t *g = uc->uc_mcontext.gregs;

	g[REG_RAX] = r->rax;
	g[REG_RCX] = r->rcx;
	g[REG_RDX] = r->rdx;
	g[REG_RBX] = r->rbx;
	g[REG_RSP] = r->rsp;
	g[REG_RBP] = r->rbp;
	g[REG_RSI] = r->rsi;
	g[REG_RDI] = r->rdi;
	g[REG_R8] = r->r8;
	g[REG_R9] = r->r9;
	g[REG_R10] = r->r10;
	g[REG_R11] = r->r11;
	g[REG_R12] = r->r12;
	g[REG_R13] = r->r13;
	g[REG_R14] = r->r14;
	g[REG_R15] = r->r15;
	g[REG_EFL] = r->rflags;
	g[REG_RIP] = r->rip;
}
