/* SPDX-License-Identifier: MIT */
/*
 * Isolation of enclave memory with protection keys.  Enclave pages carry one key; host code
 * runs with it access-disabled, so touching enclave memory from outside faults (on hardware it
 * would read the abort page).  Entering the enclave allows the key, leaving denies it again.
 * In a signal handler the live PKRU is the kernel's default and a WRPKRU does not survive
 * sigreturn: the PKRU saved in the frame's XSAVE image is what must be edited.
 *
 * Detected at run time (CPUID.7.0:ECX.OSPKE and a working pkey_alloc); without protection
 * keys every function here does nothing and runtime.c warns that isolation is off.  Tested in
 * a QEMU guest whose CPU has them (tests/vm/).
 */
#include <cpuid.h>
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "host.h"

#define CPUID7_ECX_OSPKE (1u << 4)
#define XFEATURE_PKRU	 9

static int enclave_pkey = -1;

/* AD (access disable) bit of @key in PKRU. */
static uint32_t pkru_ad(int key)
{
	return 1u << (2 * key);
}

static uint32_t rdpkru(void)
{
	uint32_t eax, edx;

	asm volatile(".byte 0x0f, 0x01, 0xee" : "=a"(eax), "=d"(edx) : "c"(0));
	return eax;
}

static void wrpkru(uint32_t pkru)
{
	asm volatile(".byte 0x0f, 0x01, 0xef" ::"a"(pkru), "c"(0), "d"(0) : "memory");
}

void pkeys_init(void)
{
	unsigned int a, b, c, d;
	long key;

	host_features.pku = false;
	/* Leaf 7 is read before CPUID faulting is turned on. */
	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) || !(c & CPUID7_ECX_OSPKE))
		return;
	key = raw_syscall(SYS_pkey_alloc, 0, 0, 0);
	if (key < 0)
		return;
	__cpuid_count(0xD, XFEATURE_PKRU, a, b, c, d);
	host_features.xsave_pkru_offset = b;
	enclave_pkey = (int)key;
	host_features.pku = true;
	/* Host code runs with enclave pages denied. */
	wrpkru(rdpkru() | pkru_ad(enclave_pkey));
}

/*
 * The kernel model keys every mapping it makes of EPC pages (struct sgxk_options.pkey), with
 * the protections it chose for each page (the VMA's as far as the EPCM grants them): keying
 * the range here afterwards with the caller's protections would widen pages the EPCM narrows
 * and make SGX2 holes readable zero pages, and would miss pages it remaps later.
 */
int pkeys_key(void)
{
	return host_features.pku ? enclave_pkey : 0;
}

void pkeys_live_allow(bool allow)
{
	uint32_t pkru;

	if (!host_features.pku)
		return;
	pkru = rdpkru();
	wrpkru(allow ? pkru & ~pkru_ad(enclave_pkey) : pkru | pkru_ad(enclave_pkey));
}

void pkeys_frame_allow(ucontext_t *uc, bool allow)
{
	uint8_t *fp = (uint8_t *)uc->uc_mcontext.fpregs;
	uint32_t *pkru;

	if (!host_features.pku || !fp || *(uint32_t *)(fp + 464) != FP_XSTATE_MAGIC1)
		return;
	/* XSTATE_BV bit 9 clear means "PKRU in its init state (0)": make it explicit. */
	*(uint64_t *)(fp + 512) |= 1ull << XFEATURE_PKRU;
	pkru = (uint32_t *)(fp + host_features.xsave_pkru_offset);
	*pkru = allow ? *pkru & ~pkru_ad(enclave_pkey) : *pkru | pkru_ad(enclave_pkey);
}

/*
 * A signal handler runs with the kernel's default PKRU, which denies every key but 0, so host
 * code reading enclave memory there (the instruction at an enclave RIP) must allow the key for
 * the read; the PKRU it found is restored before returning.
 */
void pkeys_read(void *dst, const void *src, size_t len)
{
	uint32_t pkru;

	if (!host_features.pku) {
		memcpy(dst, src, len);
		return;
	}
	pkru = rdpkru();
	wrpkru(pkru & ~pkru_ad(enclave_pkey));
	memcpy(dst, src, len);
	wrpkru(pkru);
}
