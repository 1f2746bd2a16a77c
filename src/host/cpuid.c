/* SPDX-License-Identifier: MIT */
/*
 * CPUID emulation through CPUID faulting: with arch_prctl(ARCH_SET_CPUID, 0) every CPUID of
 * this process raises SIGSEGV (#GP) at its 0F A2, and the handler answers with the host's
 * values except for the SGX bits: leaf 7 (SGX, SGX_LC) and leaf 0x12 (SGX1/SGX2, MISCSELECT,
 * ATTRIBUTES, XFRM, EPC sections), both from the platform model.  Faulting is inherited by
 * fork and threads and cleared by execve, where the preloaded library turns it on again.
 */
#include <asm/prctl.h>
#include <cpuid.h>
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>

#include "host.h"

#ifndef ARCH_SET_CPUID
#define ARCH_SET_CPUID 0x1012
#endif

static struct sgx_platform fallback_platform;
static bool fallback_ready;

void cpuid_init(void)
{
	long ret = raw_syscall(SYS_arch_prctl, ARCH_SET_CPUID, 0, 0);

	host_features.cpuid_faulting = ret == 0;
	host_features.cpuid_faulting_errno = ret == 0 ? 0 : (int)-ret;
}

/*
 * The platform CPUID reports: the kernel model's once it exists, else the one the
 * configuration describes (what the kernel model will be created with).
 */
static const struct sgx_platform *platform(void)
{
	struct sgxk *k = host_kernel();

	if (k)
		return sgx_cpu_platform(sgxk_cpu(k));
	if (!fallback_ready) {
		host_platform_from_config(&fallback_platform);
		fallback_ready = true;
	}
	return &fallback_platform;
}

static void host_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t regs[4])
{
	if (host_features.cpuid_faulting)
		raw_syscall(SYS_arch_prctl, ARCH_SET_CPUID, 1, 0);
	__cpuid_count(leaf, subleaf, regs[0], regs[1], regs[2], regs[3]);
	if (host_features.cpuid_faulting)
		raw_syscall(SYS_arch_prctl, ARCH_SET_CPUID, 0, 0);
}

void cpuid_values(uint32_t leaf, uint32_t subleaf, uint32_t regs[4])
{
	uint32_t sgx[4];

	host_cpuid(leaf, subleaf, regs);
	if (leaf == 0 && regs[0] < 0x12) {
		regs[0] = 0x12; /* so that software probing leaf 0x12 looks for it */
	} else if (leaf == 7 && subleaf == 0) {
		sgx_platform_cpuid(platform(), 7, 0, sgx);
		regs[1] |= sgx[1];
		regs[2] |= sgx[2];
	} else if (leaf == 0x12) {
		sgx_platform_cpuid(platform(), 0x12, subleaf, regs);
	}
}

bool cpuid_emulate(ucontext_t *uc)
{
	static const uint8_t insn[2] = {0x0f, 0xa2};
	greg_t *g = uc->uc_mcontext.gregs;
	uint32_t regs[4];

	if (!host_features.cpuid_faulting || g[REG_TRAPNO] != 13 ||
	    memcmp((const void *)g[REG_RIP], insn, sizeof(insn)))
		return false;
	cpuid_values((uint32_t)g[REG_RAX], (uint32_t)g[REG_RCX], regs);
	g[REG_RAX] = regs[0];
	g[REG_RBX] = regs[1];
	g[REG_RCX] = regs[2];
	g[REG_RDX] = regs[3];
	g[REG_RIP] += 2;
	return true;
}
