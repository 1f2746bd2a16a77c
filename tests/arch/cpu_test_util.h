/* SPDX-License-Identifier: MIT */
/*
 * Shared fixture for the emulated-CPU tests: a small EPC, a processor over it, a test MMU that
 * maps enclave linear addresses straight to the EPC pages the tests added (the "page tables"),
 * and builders for SECS, SECINFO, TCS and PAGEINFO.  Static inline so each test stays one file.
 */
#ifndef SOFTSGX_TESTS_CPU_TEST_UTIL_H
#define SOFTSGX_TESTS_CPU_TEST_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "softsgx/arch.h"
#include "softsgx/cpu.h"

#include "../../src/arch/arch_internal.h"

#define T_EPC_PAGES 256
#define T_BASE	    0x7f0000000000ull
#define T_SIZE	    0x40000ull /* 64 pages */
#define T_MAX_MAPS  256

struct t_map {
	uint64_t lin;
	void *page;
	int prot;
};

struct t_cpu {
	struct sgx_platform platform;
	void *epc;
	struct sgx_cpu *cpu;
	size_t next_page;
	struct t_map maps[T_MAX_MAPS];
	size_t nr_maps;
	struct sgx_mmu mmu;
	unsigned int translations_under_lock;
	bool threaded; /* several threads: a held lock may be another thread's */
};

static inline void *t_translate(void *ctx, uint64_t lin, int prot)
{
	struct t_cpu *t = ctx;

	/*
	 * The kernel model's page-table walk takes its own locks and may run ENCLS under them:
	 * the CPU must never walk while holding the EPCM lock (single-threaded tests: a held
	 * lock here can only be the caller's).
	 */
	if (!t->threaded) {
		if (atomic_flag_test_and_set(&t->cpu->epcm_lock))
			t->translations_under_lock++;
		else
			atomic_flag_clear(&t->cpu->epcm_lock);
	}
	for (size_t i = 0; i < t->nr_maps; i++)
		if (t->maps[i].lin == (lin & ~(uint64_t)(SGX_PAGE_SIZE - 1)))
			return (t->maps[i].prot & prot) == prot ? t->maps[i].page : NULL;
	return NULL;
}

static inline void t_map(struct t_cpu *t, uint64_t lin, void *page, int prot)
{
	for (size_t i = 0; i < t->nr_maps; i++)
		if (t->maps[i].lin == lin) {
			t->maps[i].page = page;
			t->maps[i].prot = prot;
			return;
		}
	assert_true(t->nr_maps < T_MAX_MAPS);
	t->maps[t->nr_maps++] = (struct t_map){lin, page, prot};
}

static inline void t_root_secret(uint8_t secret[32], uint8_t seed)
{
	for (int i = 0; i < 32; i++)
		secret[i] = (uint8_t)(seed + 7 * i);
}

static inline struct t_cpu *t_cpu_new_secret(uint8_t seed)
{
	struct t_cpu *t = calloc(1, sizeof(*t));
	struct softsgx_err err = {0};
	uint8_t secret[32];

	assert_non_null(t);
	sgx_platform_default(&t->platform);
	t->platform.epc_size = T_EPC_PAGES * SGX_PAGE_SIZE;
	t->epc = aligned_alloc(SGX_PAGE_SIZE, T_EPC_PAGES * SGX_PAGE_SIZE);
	assert_non_null(t->epc);
	memset(t->epc, 0, T_EPC_PAGES * SGX_PAGE_SIZE);
	t_root_secret(secret, seed);
	assert_int_equal(sgx_cpu_create(&t->cpu, &t->platform, t->epc, secret, &err), 0);
	t->mmu.ctx = t;
	t->mmu.translate = t_translate;
	return t;
}

static inline struct t_cpu *t_cpu_new(void)
{
	return t_cpu_new_secret(1);
}

static inline void t_cpu_free(struct t_cpu *t)
{
	assert_int_equal(t->translations_under_lock, 0);
	sgx_cpu_destroy(t->cpu);
	free(t->epc);
	free(t);
}

static inline void *t_page(struct t_cpu *t)
{
	assert_true(t->next_page < T_EPC_PAGES);
	return sgx_epc_page(t->cpu, t->next_page++);
}

/* A SECS an ECREATE accepts: 64 pages, one SSA page, 64-bit, XFRM x87|SSE. */
static inline void t_secs(struct sgx_secs *s)
{
	memset(s, 0, sizeof(*s));
	s->size = T_SIZE;
	s->base = T_BASE;
	s->ssa_frame_size = 1;
	s->attributes.flags = SGX_ATTR_MODE64BIT;
	s->attributes.xfrm = SGX_XFRM_LEGACY;
}

static inline int t_ecreate(struct t_cpu *t, const struct sgx_secs *params, void **epc_secs)
{
	static struct sgx_secs src __attribute__((aligned(4096)));
	struct sgx_secinfo si = {0};
	struct sgx_pageinfo pi = {0};

	src = *params;
	pi.contents = (uintptr_t)&src;
	pi.metadata = (uintptr_t)&si;
	*epc_secs = t_page(t);
	return sgx_encls_ecreate(t->cpu, &pi, *epc_secs);
}

/* EADD @data (or zeros) at BASE + @off with @flags; maps it in the test MMU; returns the code. */
static inline int t_eadd_at(struct t_cpu *t, void *epc_secs, uint64_t lin, uint64_t flags,
			    const void *data, void **epc_page)
{
	static uint8_t src[4096] __attribute__((aligned(4096)));
	struct sgx_secinfo si = {.flags = flags};
	struct sgx_pageinfo pi = {0};
	int ret, prot = 0;

	if (data)
		memcpy(src, data, sizeof(src));
	else
		memset(src, 0, sizeof(src));
	pi.addr = lin;
	pi.contents = (uintptr_t)src;
	pi.metadata = (uintptr_t)&si;
	pi.secs = (uintptr_t)epc_secs;
	*epc_page = t_page(t);
	ret = sgx_encls_eadd(t->cpu, &pi, *epc_page);
	if (ret == 0) {
		if (flags & SGX_SECINFO_R)
			prot |= PROT_READ;
		if (flags & SGX_SECINFO_W)
			prot |= PROT_WRITE;
		if (flags & SGX_SECINFO_X)
			prot |= PROT_EXEC;
		if (((flags & SGX_SECINFO_PAGE_TYPE_MASK) >> 8) == SGX_PT_TCS)
			prot = PROT_READ | PROT_WRITE;
		t_map(t, lin, *epc_page, prot);
	}
	return ret;
}

#define T_REG_RW (SGX_SECINFO_TYPE(SGX_PT_REG) | SGX_SECINFO_R | SGX_SECINFO_W)
#define T_REG_RX (SGX_SECINFO_TYPE(SGX_PT_REG) | SGX_SECINFO_R | SGX_SECINFO_X)
#define T_TCS	 SGX_SECINFO_TYPE(SGX_PT_TCS)

/* Layout of the standard test enclave: TCS at page 0, SSA frames at pages 1-2, code page 3. */
#define T_TCS_OFF  0x0000ull
#define T_SSA_OFF  0x1000ull
#define T_CODE_OFF 0x3000ull
#define T_DATA_OFF 0x4000ull

static inline void t_tcs(struct sgx_tcs *tcs)
{
	memset(tcs, 0, sizeof(*tcs));
	tcs->ssa_offset = T_SSA_OFF;
	tcs->nr_ssa_frames = 2;
	tcs->entry_offset = T_CODE_OFF + 0x10;
	tcs->fs_offset = T_DATA_OFF;
	tcs->gs_offset = T_DATA_OFF;
	tcs->fs_limit = 0xFFFFFFFF;
	tcs->gs_limit = 0xFFFFFFFF;
}

#endif
