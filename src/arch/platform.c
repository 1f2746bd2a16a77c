/* SPDX-License-Identifier: MIT */
/*
 * The platform model: what this emulated CPU supports, and the CPUID leaves that report it.
 * The driver (ECREATE's checks, the EPC size) and the host layer (CPUID faulting) both read
 * the same struct sgx_platform, so what software probes is what the leaves enforce.
 */
#include <cpuid.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>

#include "softsgx/cpu.h"

#define DEFAULT_EPC_SIZE (128ull << 20)
#define DEFAULT_EPC_BASE 0x70200000ull

/*
 * XSAVE components an enclave may use: x87, SSE, AVX, MPX (BNDREGS+BNDCSR), AVX-512 (opmask,
 * ZMM_Hi256, Hi16_ZMM).  The host layer saves and restores enclave state through the signal
 * frame's XSAVE image, which holds these whenever XCR0 enables them.  PKRU (bit 9) is left
 * out because the host layer uses protection keys to isolate enclave memory; AMX (bits 17-18)
 * is left out because its tile data appears in a signal frame only after a per-process
 * permission request.
 */
#define XFRM_EMULATABLE 0xFFull

#define CPUID7_EBX_SGX	   (1u << 2)
#define CPUID7_ECX_SGX_LC  (1u << 30)
#define CPUID1_ECX_OSXSAVE (1u << 27)

static uint64_t host_xcr0(void)
{
	unsigned int a, b, c, d;
	uint32_t lo, hi;

	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & CPUID1_ECX_OSXSAVE))
		return SGX_XFRM_LEGACY;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return (uint64_t)hi << 32 | lo;
}

/* XFRM the platform offers: the host's XCR0 restricted to what can be saved and restored. */
static uint64_t platform_xfrm(void)
{
	uint64_t xfrm = host_xcr0() & XFRM_EMULATABLE;

	/* BNDREGS and BNDCSR only together; AVX-512 needs all three of its components. */
	if ((xfrm & SGX_XFRM_MPX) != SGX_XFRM_MPX)
		xfrm &= ~SGX_XFRM_MPX;
	if ((xfrm & 0xE0) != 0xE0 || !(xfrm & 0x4))
		xfrm &= ~0xE0ull;
	return xfrm | SGX_XFRM_LEGACY;
}

void sgx_platform_default(struct sgx_platform *p)
{
	memset(p, 0, sizeof(*p));
	p->epc_size = DEFAULT_EPC_SIZE;
	p->epc_base = DEFAULT_EPC_BASE;
	p->sgx2 = true;
	p->flexible_launch_control = true;
	p->miscselect = SGX_MISC_EXINFO;
	/*
	 * AEXNOTIFY is not advertised: it needs EDECCSSA, TCS.FLAGS bit 1 and SSA byte 167,
	 * which this CPU does not implement.  CET is not advertised either.
	 */
	p->attributes = SGX_ATTR_DEBUG | SGX_ATTR_MODE64BIT | SGX_ATTR_PROVISIONKEY |
			SGX_ATTR_EINITTOKENKEY | SGX_ATTR_KSS;
	p->xfrm = platform_xfrm();
	(void)sgx_xsave_size(p->xfrm); /* read CPUID 0xD now, before any CPUID faulting */
	p->max_enclave_size_64 = 64;
	p->max_enclave_size_32 = 31;
	/* CPUSVN of the emulated microcode: non-zero so that "below current" requests exist. */
	for (int i = 0; i < 16; i++)
		p->cpu_svn[i] = 2;
}

static void cpuid_epc_section(const struct sgx_platform *p, uint32_t regs[4])
{
	regs[0] = (uint32_t)(p->epc_base & 0xFFFFF000u) | 1u;
	regs[1] = (uint32_t)(p->epc_base >> 32) & 0xFFFFFu;
	regs[2] = (uint32_t)(p->epc_size & 0xFFFFF000u) | 1u;
	regs[3] = (uint32_t)(p->epc_size >> 32) & 0xFFFFFu;
}

static void cpuid_leaf12(const struct sgx_platform *p, uint32_t subleaf, uint32_t regs[4])
{
	switch (subleaf) {
	case 0:
		regs[0] = 1u | (p->sgx2 ? 2u : 0u);
		regs[1] = p->miscselect;
		regs[3] = (uint32_t)p->max_enclave_size_64 << 8 | p->max_enclave_size_32;
		break;
	case 1:
		regs[0] = (uint32_t)p->attributes;
		regs[1] = (uint32_t)(p->attributes >> 32);
		regs[2] = (uint32_t)p->xfrm;
		regs[3] = (uint32_t)(p->xfrm >> 32);
		break;
	case 2:
		if (p->epc_size)
			cpuid_epc_section(p, regs);
		break;
	default:
		/* Subleaf 3 and beyond: EAX[3:0] = 0, the end of the section list. */
		break;
	}
}

void sgx_platform_cpuid(const struct sgx_platform *p, uint32_t leaf, uint32_t subleaf,
			uint32_t regs[4])
{
	memset(regs, 0, 4 * sizeof(regs[0]));
	if (leaf == 7 && subleaf == 0) {
		regs[1] = CPUID7_EBX_SGX;
		regs[2] = p->flexible_launch_control ? CPUID7_ECX_SGX_LC : 0;
	} else if (leaf == 0x12) {
		cpuid_leaf12(p, subleaf, regs);
	}
}

/*
 * End offset of every XSAVE component (CPUID 0xD, standard format), read once: the AEX path
 * needs sizes inside signal handlers, where executing CPUID may itself fault (the host layer
 * enables CPUID faulting to emulate leaf 0x12).
 */
static uint32_t xsave_comp_end[64];
static atomic_bool xsave_table_ready;

static void xsave_table_fill(void)
{
	unsigned int a, b, c, d;

	if (atomic_load_explicit(&xsave_table_ready, memory_order_acquire))
		return;
	for (unsigned int i = 2; i < 63; i++) {
		__cpuid_count(0xD, i, a, b, c, d);
		(void)c;
		(void)d;
		xsave_comp_end[i] = a ? a + b : 0;
	}
	atomic_store_explicit(&xsave_table_ready, true, memory_order_release);
}

/* Standard (non-compacted) layout: every enabled component at its CPUID 0xD offset. */
uint32_t sgx_xsave_size(uint64_t xfrm)
{
	uint32_t size = 512 + 64;

	xsave_table_fill();
	for (unsigned int i = 2; i < 63; i++)
		if ((xfrm & (1ull << i)) && xsave_comp_end[i] > size)
			size = xsave_comp_end[i];
	return size;
}
