/* SPDX-License-Identifier: MIT */
/*
 * The emulated CPU's share of an enclave transition: an EENTER+EEXIT leaf pair, an AEX+ERESUME
 * pair (with the XSAVE image of the platform's XFRM), EGETKEY and EREPORT, each executed by
 * sgx_enclu/sgx_aex, beside one SIGILL trap round trip (ud2, a handler that skips it, sigreturn)
 * measured in the same run: the trap every emulated ENCLU rides on.
 * Goal: the EENTER+EEXIT pair costs <= 0.10 of one trap (the leaves are not what an ECALL
 * pays for).
 *
 *   usage: bench_enclu [iterations]     (default 200000)
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <ucontext.h>

#include "softsgx/cpu.h"
#include "softsgx/measure.h"
#include "softsgx/sigstruct.h"

#define EPC_PAGES 16
#define BASE	  0x7f0000000000ull
#define SIZE	  0x10000ull
#define GOAL	  0.10

enum { TCS, SSA0, SSA1, CODE, DATA, NPAGES };

static struct {
	void *epc;
	struct sgx_cpu *cpu;
	void *secs, *page[NPAGES];
	struct sgx_mmu mmu;
} b;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, int code)
{
	fprintf(stderr, "bench_enclu: %s failed (%d)\n", what, code);
	exit(1);
}

static void *translate(void *ctx, uint64_t lin, int prot)
{
	uint64_t off = (lin & ~0xFFFull) - BASE;

	(void)ctx;
	(void)prot;
	return lin >= BASE && off / 4096 < NPAGES ? b.page[off / 4096] : NULL;
}

static void add(struct sgx_measure *m, int idx, uint64_t flags, const void *data)
{
	static uint8_t src[4096] __attribute__((aligned(4096)));
	static struct sgx_secinfo si;
	struct sgx_pageinfo pi = {0};
	int ret;

	memset(src, 0, sizeof(src));
	if (data)
		memcpy(src, data, sizeof(src));
	si.flags = flags;
	pi.addr = BASE + 4096ull * idx;
	pi.contents = (uintptr_t)src;
	pi.metadata = (uintptr_t)&si;
	pi.secs = (uintptr_t)b.secs;
	b.page[idx] = sgx_epc_page(b.cpu, 1 + idx);
	ret = sgx_encls_eadd(b.cpu, &pi, b.page[idx]);
	if (ret)
		die("EADD", ret);
	sgx_measure_eadd(m, 4096ull * idx, flags);
}

/* A small initialised enclave: TCS, two SSA frames, a code page, a data page. */
static void build(uint64_t xfrm)
{
	static struct sgx_secs secs __attribute__((aligned(4096)));
	static struct sgx_sigstruct sig __attribute__((aligned(4096)));
	const uint64_t rw = SGX_SECINFO_TYPE(SGX_PT_REG) | SGX_SECINFO_R | SGX_SECINFO_W;
	struct sgx_pageinfo pi = {0};
	struct sgx_secinfo si = {0};
	struct sgx_signing_key *key;
	struct softsgx_err err = {0};
	struct sgx_platform p;
	struct sgx_measure m;
	struct sgx_tcs tcs = {0};
	uint8_t secret[32] = {1}, mrsigner[32];
	int ret;

	sgx_platform_default(&p);
	p.epc_size = EPC_PAGES * 4096;
	b.epc = aligned_alloc(4096, EPC_PAGES * 4096);
	if (!b.epc || sgx_cpu_create(&b.cpu, &p, b.epc, secret, &err))
		die("sgx_cpu_create", 0);
	secs.size = SIZE;
	secs.base = BASE;
	secs.ssa_frame_size = 1;
	secs.attributes.flags = SGX_ATTR_MODE64BIT;
	secs.attributes.xfrm = xfrm;
	pi.contents = (uintptr_t)&secs;
	pi.metadata = (uintptr_t)&si;
	b.secs = sgx_epc_page(b.cpu, 0);
	ret = sgx_encls_ecreate(b.cpu, &pi, b.secs);
	if (ret)
		die("ECREATE", ret);
	sgx_measure_init(&m, NULL);
	sgx_measure_ecreate(&m, 1, SIZE);
	tcs.ssa_offset = 4096ull * SSA0;
	tcs.nr_ssa_frames = 2;
	tcs.entry_offset = 4096ull * CODE;
	add(&m, TCS, SGX_SECINFO_TYPE(SGX_PT_TCS), &tcs);
	add(&m, SSA0, rw, NULL);
	add(&m, SSA1, rw, NULL);
	add(&m, CODE, SGX_SECINFO_TYPE(SGX_PT_REG) | SGX_SECINFO_R | SGX_SECINFO_X, NULL);
	add(&m, DATA, rw, NULL);

	sgx_sigstruct_init(&sig);
	sig.body.attributes = secs.attributes;
	sgx_measure_final(&m, sig.body.mrenclave);
	sgx_measure_free(&m);
	if (sgx_signing_key_generate(&key, &err) || sgx_sigstruct_sign(&sig, key, &err))
		die(err.msg, 0);
	sgx_signing_key_free(key);
	sgx_sigstruct_mrsigner(&sig, mrsigner);
	sgx_cpu_set_lepubkeyhash(b.cpu, mrsigner);
	ret = sgx_encls_einit(b.cpu, &sig, b.secs, NULL);
	if (ret)
		die("EINIT", ret);
	b.mmu.translate = translate;
}

static void enter(struct sgx_lp *lp, struct sgx_regs *r)
{
	struct sgx_exception f;
	int ret;

	r->rax = SGX_EENTER;
	r->rbx = BASE;
	r->rcx = 0x400100;
	r->rip = 0x400000;
	ret = sgx_enclu(b.cpu, &b.mmu, lp, r, &f);
	if (ret)
		die("EENTER", ret);
}

static void leaf(struct sgx_lp *lp, struct sgx_regs *r, uint32_t rax, uint64_t rbx, uint64_t rcx,
		 uint64_t rdx)
{
	struct sgx_exception f;
	int ret;

	r->rax = rax;
	r->rbx = rbx;
	r->rcx = rcx;
	r->rdx = rdx;
	r->rip = BASE + 4096ull * CODE;
	ret = sgx_enclu(b.cpu, &b.mmu, lp, r, &f);
	if (ret)
		die("ENCLU", ret);
}

static double per_op(double t, long n)
{
	return t / (double)n * 1e9;
}

static double bench_eenter_eexit(long n)
{
	struct sgx_lp lp = {0};
	struct sgx_regs r = {0};
	double t0 = now();

	for (long i = 0; i < n; i++) {
		enter(&lp, &r);
		leaf(&lp, &r, SGX_EEXIT, 0x400000, 0, 0);
	}
	return per_op(now() - t0, n);
}

static double bench_aex_eresume(long n, uint64_t xfrm)
{
	uint32_t size = sgx_xsave_size(xfrm);
	uint8_t *img = aligned_alloc(64, (size + 63) & ~63u);
	struct sgx_exception ex = {.vector = 14, .error_code = 0x8007, .addr = BASE};
	struct sgx_lp lp = {0};
	struct sgx_regs r = {0};
	double t0;

	memset(img, 0, size);
	memcpy(img + 512, &xfrm, 8);
	r.xsave = img;
	r.xsave_size = size;
	enter(&lp, &r);
	t0 = now();
	for (long i = 0; i < n; i++) {
		struct sgx_exception f;

		if (sgx_aex(b.cpu, &b.mmu, &lp, &r, &ex))
			die("AEX", 0);
		r.rax = SGX_ERESUME;
		if (sgx_enclu(b.cpu, &b.mmu, &lp, &r, &f))
			die("ERESUME", 0);
	}
	t0 = now() - t0;
	leaf(&lp, &r, SGX_EEXIT, 0x400000, 0, 0);
	free(img);
	return per_op(t0, n);
}

static double bench_key_leaf(long n, uint32_t which)
{
	struct sgx_keyrequest *req = (void *)((uint8_t *)b.page[DATA] + 0);
	struct sgx_lp lp = {0};
	struct sgx_regs r = {0};
	uint64_t d = BASE + 4096ull * DATA;
	double t0;

	memset(b.page[DATA], 0, 4096);
	req->key_name = SGX_KEYNAME_SEAL;
	req->key_policy = SGX_KEYPOLICY_MRENCLAVE;
	enter(&lp, &r);
	t0 = now();
	for (long i = 0; i < n; i++) {
		if (which == SGX_EGETKEY)
			leaf(&lp, &r, SGX_EGETKEY, d, d + 1024, 0);
		else
			leaf(&lp, &r, SGX_EREPORT, d + 2048, d + 512, d + 1536);
	}
	t0 = now() - t0;
	leaf(&lp, &r, SGX_EEXIT, 0x400000, 0, 0);
	return per_op(t0, n);
}

static void skip_ud2(int sig, siginfo_t *info, void *ctx)
{
	ucontext_t *uc = ctx;

	(void)sig;
	(void)info;
	uc->uc_mcontext.gregs[REG_RIP] += 2;
}

static double bench_trap(long n)
{
	struct sigaction sa = {0};
	double t0;

	sa.sa_sigaction = skip_ud2;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGILL, &sa, NULL);
	t0 = now();
	for (long i = 0; i < n; i++)
		__asm__ volatile("ud2" ::: "memory");
	return per_op(now() - t0, n);
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 200000;
	uint64_t xfrm;
	struct sgx_platform p;
	double trap, pair, aex, key, rep;

	if (n <= 0)
		n = 200000;
	sgx_platform_default(&p);
	xfrm = p.xfrm;
	build(xfrm);
	trap = bench_trap(n / 10 ? n / 10 : 1);
	pair = bench_eenter_eexit(n);
	aex = bench_aex_eresume(n, xfrm);
	key = bench_key_leaf(n, SGX_EGETKEY);
	rep = bench_key_leaf(n, SGX_EREPORT);

	printf("command: %s %ld\n", argv[0], n);
	printf("SIGILL trap round trip (baseline): %8.1f ns\n", trap);
	printf("EENTER+EEXIT leaf pair:            %8.1f ns\n", pair);
	printf("AEX+ERESUME pair (XFRM 0x%llx, %u-byte XSAVE): %8.1f ns\n",
	       (unsigned long long)xfrm, sgx_xsave_size(xfrm), aex);
	printf("EGETKEY (seal key):                %8.1f ns\n", key);
	printf("EREPORT:                           %8.1f ns\n", rep);
	printf("ratio EENTER+EEXIT / trap: %.3f (goal <= %.2f): %s\n", pair / trap, GOAL,
	       pair / trap <= GOAL ? "met" : "NOT met");
	sgx_cpu_destroy(b.cpu);
	free(b.epc);
	return 0;
}
