/* SPDX-License-Identifier: MIT */
/*
 * FS and GS bases.  With FSGSBASE (HWCAP2) the instructions are used directly (about 5 ns);
 * without it arch_prctl does the same through the kernel (about 140 ns).  Both are
 * async-signal-safe and neither touches TLS, so handlers entered with the enclave's FS can use
 * them.  A signal frame does not save the bases: what a handler writes stays after sigreturn.
 */
#include <asm/prctl.h>
#include <sys/syscall.h>

#include "host.h"

static uint64_t prctl_get(int code)
{
	uint64_t base = 0;

	raw_syscall(SYS_arch_prctl, code, (long)&base, 0);
	return base;
}

uint64_t host_rdfsbase(void)
{
	uint64_t v;

	if (!host_features.fsgsbase)
		return prctl_get(ARCH_GET_FS);
	asm volatile("rdfsbase %0" : "=r"(v));
	return v;
}

uint64_t host_rdgsbase(void)
{
	uint64_t v;

	if (!host_features.fsgsbase)
		return prctl_get(ARCH_GET_GS);
	asm volatile("rdgsbase %0" : "=r"(v));
	return v;
}

void host_wrfsbase(uint64_t base)
{
	if (!host_features.fsgsbase) {
		raw_syscall(SYS_arch_prctl, ARCH_SET_FS, (long)base, 0);
		return;
	}
	asm volatile("wrfsbase %0" ::"r"(base) : "memory");
}

void host_wrgsbase(uint64_t base)
{
	if (!host_features.fsgsbase) {
		raw_syscall(SYS_arch_prctl, ARCH_SET_GS, (long)base, 0);
		return;
	}
	asm volatile("wrgsbase %0" ::"r"(base) : "memory");
}
