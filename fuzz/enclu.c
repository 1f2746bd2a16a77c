/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the emulated CPU's enclave-mode surface (src/arch/): ENCLU leaves with
 * arbitrary registers, AEX with arbitrary exceptions and XSAVE images, the SGX2 ENCLS leaves,
 * and, between them, arbitrary writes into the enclave's own pages - its TCS and SSA frames
 * included, as enclave code (or host code without protection keys) could do.  Each input runs
 * against a fresh processor with one initialised enclave of two TCSs.
 *
 * Invariants checked (abort on violation):
 * - a leaf either completes or faults; a faulting leaf leaves the registers untouched;
 * - a logical processor is in enclave mode exactly when the EPCM says its TCS is busy;
 * - when every logical processor has left, every enclave page can be removed and then the SECS.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "softsgx/cpu.h"
#include "softsgx/measure.h"
#include "softsgx/sigstruct.h"

#define EPC_PAGES 32
#define BASE	  0x7f0000000000ull
#define SIZE	  0x20000ull /* 32 pages of ELRANGE */
#define NPAGES	  12	     /* added pages: see build() */
#define MAX_OPS	  48

struct input {
	const uint8_t *p;
	size_t n;
};

static uint8_t *epc;
static struct sgx_sigstruct sig __attribute__((aligned(4096)));
static struct sgx_cpu *cpu;
static void *secs;
static void *page_at[SIZE / 4096]; /* by ELRANGE page: the EPC page mapped there */
static int prot_at[SIZE / 4096];
static struct sgx_mmu mmu;
static uint8_t xsave[4096] __attribute__((aligned(64)));

static uint64_t take(struct input *in, unsigned int bytes)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < bytes && in->n; i++, in->p++, in->n--)
		v |= (uint64_t)in->p[0] << (8 * i);
	return v;
}

static void *translate(void *ctx, uint64_t lin, int prot)
{
	uint64_t i = (lin - BASE) / 4096;

	(void)ctx;
	if (lin < BASE || i >= SIZE / 4096 || !page_at[i] || (prot_at[i] & prot) != prot)
		return NULL;
	return page_at[i];
}

/* Pages: TCS 0 and 1; SSA 2-5 (two frames each); code 6; data 7-10; read-only 11. */
static const struct {
	uint64_t flags;
	int prot;
} layout[NPAGES] = {
    {0x100, PROT_READ | PROT_WRITE}, {0x100, PROT_READ | PROT_WRITE},
    {0x203, PROT_READ | PROT_WRITE}, {0x203, PROT_READ | PROT_WRITE},
    {0x203, PROT_READ | PROT_WRITE}, {0x203, PROT_READ | PROT_WRITE},
    {0x205, PROT_READ | PROT_EXEC},  {0x203, PROT_READ | PROT_WRITE},
    {0x203, PROT_READ | PROT_WRITE}, {0x203, PROT_READ | PROT_WRITE},
    {0x203, PROT_READ | PROT_WRITE}, {0x201, PROT_READ},
};

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_enclu: invariant violated: %s\n", what);
		abort();
	}
}

static void add_page(struct sgx_measure *m, unsigned int i)
{
	static uint8_t src[4096] __attribute__((aligned(4096)));
	static struct sgx_secinfo si;
	struct sgx_pageinfo pi = {0};
	struct sgx_tcs *tcs = (void *)src;

	memset(src, 0, sizeof(src));
	if (i < 2) {
		tcs->ssa_offset = (2 + 2ull * i) * 4096;
		tcs->nr_ssa_frames = 2;
		tcs->entry_offset = 6 * 4096;
		tcs->fs_offset = tcs->gs_offset = 7 * 4096;
	}
	si.flags = layout[i].flags;
	pi.addr = BASE + 4096ull * i;
	pi.contents = (uintptr_t)src;
	pi.metadata = (uintptr_t)&si;
	pi.secs = (uintptr_t)secs;
	page_at[i] = epc + 4096ull * (1 + i);
	prot_at[i] = layout[i].prot;
	check(sgx_encls_eadd(cpu, &pi, page_at[i]) == 0, "EADD of the fixed layout");
	if (m) {
		sgx_measure_eadd(m, 4096ull * i, si.flags);
		sgx_measure_eextend_page(m, 4096ull * i, page_at[i]);
	}
	for (int c = 0; c < 16; c++)
		check(sgx_encls_eextend(cpu, secs, (uint8_t *)page_at[i] + 256 * c) == 0,
		      "EEXTEND");
}

/* A fresh processor with the enclave initialised; with @m, also compute its MRENCLAVE. */
static void build(struct sgx_measure *m)
{
	static struct sgx_secs s __attribute__((aligned(4096)));
	struct sgx_secinfo si = {0};
	struct sgx_pageinfo pi = {0};
	struct sgx_platform p;
	uint8_t secret[32] = {7}, mrsigner[32];

	sgx_platform_default(&p);
	p.epc_size = EPC_PAGES * 4096;
	memset(epc, 0, EPC_PAGES * 4096);
	memset(page_at, 0, sizeof(page_at));
	check(sgx_cpu_create(&cpu, &p, epc, secret, NULL) == 0, "sgx_cpu_create");
	memset(&s, 0, sizeof(s));
	s.size = SIZE;
	s.base = BASE;
	s.ssa_frame_size = 1;
	s.miscselect = SGX_MISC_EXINFO;
	s.attributes.flags = SGX_ATTR_MODE64BIT;
	s.attributes.xfrm = 3;
	pi.contents = (uintptr_t)&s;
	pi.metadata = (uintptr_t)&si;
	secs = epc;
	check(sgx_encls_ecreate(cpu, &pi, secs) == 0, "ECREATE");
	if (m) {
		sgx_measure_ecreate(m, 1, SIZE);
	}
	for (unsigned int i = 0; i < NPAGES; i++)
		add_page(m, i);
	if (m)
		return;
	sgx_sigstruct_mrsigner(&sig, mrsigner);
	sgx_cpu_set_lepubkeyhash(cpu, mrsigner);
	check(sgx_encls_einit(cpu, &sig, secs, NULL) == 0, "EINIT");
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct sgx_signing_key *key;
	struct sgx_measure m;

	(void)argc;
	(void)argv;
	epc = aligned_alloc(4096, EPC_PAGES * 4096);
	sgx_measure_init(&m, NULL);
	build(&m);
	sgx_sigstruct_init(&sig);
	sig.body.attributes.flags = SGX_ATTR_MODE64BIT;
	sig.body.attributes.xfrm = 3;
	sig.body.miscselect = SGX_MISC_EXINFO;
	sgx_measure_final(&m, sig.body.mrenclave);
	sgx_measure_free(&m);
	check(sgx_signing_key_generate(&key, NULL) == 0 && sgx_sigstruct_sign(&sig, key, NULL) == 0,
	      "signing");
	sgx_signing_key_free(key);
	sgx_cpu_destroy(cpu);
	return 0;
}

/* An address: mostly inside the enclave (any byte), sometimes anything. */
static uint64_t address(struct input *in)
{
	uint64_t sel = take(in, 1);

	if (sel < 0xE0)
		return BASE + take(in, 2) % SIZE;
	return take(in, 8);
}

static void op_enclu(struct input *in, struct sgx_lp *lp, struct sgx_regs *r)
{
	struct sgx_exception f;
	struct sgx_regs before;
	int ret;

	r->rax = take(in, 1) % 10;
	r->rbx = address(in);
	r->rcx = address(in);
	r->rdx = address(in);
	if (take(in, 1) & 1)
		r->rbx &= ~0xFFFull;
	r->rip = lp->in_enclave ? BASE + 6 * 4096 : 0x400000;
	r->xsave = xsave;
	r->xsave_size = 576 + take(in, 2) % (sizeof(xsave) - 576);
	before = *r;
	ret = sgx_enclu(cpu, &mmu, lp, r, &f);
	check(ret == 0 || ret == SGX_FAULT_GP || ret == SGX_FAULT_PF, "ENCLU result");
	if (ret)
		check(!memcmp(&before, r, sizeof(*r)), "a faulting leaf changed registers");
}

static void op_aex(struct input *in, struct sgx_lp *lp, struct sgx_regs *r)
{
	struct sgx_exception ex;

	ex.vector = (uint8_t)take(in, 1);
	ex.error_code = (uint32_t)take(in, 4);
	ex.addr = take(in, 8);
	r->xsave = xsave;
	r->xsave_size = 576 + take(in, 2) % (sizeof(xsave) - 576);
	if (lp->in_enclave)
		sgx_aex(cpu, &mmu, lp, r, &ex);
	else
		check(sgx_aex(cpu, &mmu, lp, r, &ex) == SGX_FAULT_GP, "AEX outside enclave mode");
	check(!lp->in_enclave, "AEX leaves enclave mode");
}

static void op_scribble(struct input *in)
{
	unsigned int page = (unsigned int)(take(in, 1) % NPAGES);
	unsigned int off = (unsigned int)(take(in, 2) % 4096);
	unsigned int len = (unsigned int)(take(in, 1) % 64);

	if (!page_at[page])
		return;
	for (unsigned int i = 0; i < len && off + i < 4096; i++)
		((uint8_t *)page_at[page])[off + i] = (uint8_t)take(in, 1);
}

static void op_encls(struct input *in)
{
	unsigned int page = (unsigned int)(take(in, 1) % (SIZE / 4096));
	static struct sgx_secinfo si;
	struct sgx_pageinfo pi = {0};

	memset(&si, 0, sizeof(si));
	si.flags = take(in, 2);
	switch (take(in, 1) % 4) {
	case 0:
		if (page_at[page] || page >= EPC_PAGES - 1)
			return;
		pi.addr = BASE + 4096ull * page;
		pi.secs = (uintptr_t)secs;
		if (sgx_encls_eaug(cpu, &pi, epc + 4096ull * (1 + page)) == 0) {
			page_at[page] = epc + 4096ull * (1 + page);
			prot_at[page] = PROT_READ | PROT_WRITE | PROT_EXEC;
		}
		break;
	case 1:
		if (page_at[page])
			sgx_encls_emodpr(cpu, &si, page_at[page]);
		break;
	case 2:
		if (page_at[page])
			sgx_encls_emodt(cpu, &si, page_at[page]);
		break;
	default:
		if (page_at[page] && sgx_encls_eremove(cpu, page_at[page]) == 0)
			page_at[page] = NULL;
		break;
	}
}

static void lp_consistent(const struct sgx_lp *lp)
{
	struct sgx_epcm_view v;

	if (!lp->in_enclave)
		return;
	check(sgx_epcm_read(cpu, lp->tcs_index, &v) == 0 && v.valid && v.page_type == SGX_PT_TCS,
	      "the current TCS is a valid TCS");
}

static void teardown(struct sgx_lp lps[2], struct sgx_regs regs[2])
{
	for (int i = 0; i < 2; i++)
		if (lps[i].in_enclave) {
			struct sgx_exception ex = {.vector = 14};

			sgx_aex(cpu, &mmu, &lps[i], &regs[i], &ex);
		}
	for (unsigned int i = 0; i < SIZE / 4096; i++)
		if (page_at[i])
			check(sgx_encls_eremove(cpu, page_at[i]) == 0,
			      "EREMOVE after everyone left");
	check(sgx_encls_eremove(cpu, secs) == 0, "EREMOVE of the childless SECS");
	sgx_cpu_destroy(cpu);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = {data, size};
	struct sgx_lp lps[2] = {0};
	struct sgx_regs regs[2] = {0};

	build(NULL);
	mmu.translate = translate;
	for (int op = 0; op < MAX_OPS && in.n; op++) {
		unsigned int sel = (unsigned int)take(&in, 1), t = sel & 1;

		switch ((sel >> 1) % 4) {
		case 0:
			op_enclu(&in, &lps[t], &regs[t]);
			break;
		case 1:
			op_aex(&in, &lps[t], &regs[t]);
			break;
		case 2:
			op_scribble(&in);
			break;
		default:
			op_encls(&in);
			break;
		}
		lp_consistent(&lps[0]);
		lp_consistent(&lps[1]);
	}
	teardown(lps, regs);
	return 0;
}
