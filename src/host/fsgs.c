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

/* host_rd<seg>base and host_wr<seg>base: the same code for FS and GS. */
#define SEGMENT_BASE(seg, SEG)                                                                     \
	uint64_t host_rd##seg##base(void)                                                          \
	{                                                                                          \
		uint64_t v;                                                                        \
                                                                                                   \
		if (!host_features.fsgsbase)                                                       \
			return prctl_get(ARCH_GET_##SEG);                                          \
		asm volatile("rd" #seg "base %0" : "=r"(v));                                       \
		return v;                                                                          \
	}                                                                                          \
                                                                                                   \
	void host_wr##seg##base(uint64_t base)                                                     \
	{                                                                                          \
		if (!host_features.fsgsbase) {                                                     \
			raw_syscall(SYS_arch_prctl, ARCH_SET_##SEG, (long)base, 0);                \
			return;                                                                    \
		}                                                                                  \
		asm volatile("wr" #seg "base %0" ::"r"(base) : "memory");                          \
	}

SEGMENT_BASE(fs, FS)
SEGMENT_BASE(gs, GS)
