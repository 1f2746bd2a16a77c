/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the driver's system-call surface (src/driver/): the input is a
 * program of operations (open, CREATE with a SECS, ADD_PAGES with a SECINFO and flags, INIT
 * with a raw or a validly signed SIGSTRUCT, PROVISION, the SGX2 ioctls, mmap, mprotect,
 * munmap, faults, close) run against one kernel instance with a small EPC.
 *
 * Invariants checked (abort on violation):
 * - EPC accounting: after every operation, the pages in use equal the pages the open
 *   enclaves hold (their SECS plus their enclave pages);
 * - after each input every file is closed and unmapped, and every EPC page is free again.
 * Memory the driver may map over is confined to two reserved slots (and to the addresses it
 * picks itself for non-fixed mmaps), so an operation never clobbers the fuzzer's own memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "softsgx/kernel.h"
#include "softsgx/measure.h"
#include "softsgx/sgx_uapi.h"
#include "softsgx/sigstruct.h"

#define EPC_PAGES 64
#define SLOT_SIZE (1ull << 20)
#define NR_SLOTS  2
#define SRC_PAGES 8
#define MAX_FILES 4
#define MAX_MAPS  8
#define MAX_OPS	  64

struct input {
	const uint8_t *p;
	size_t n;
};

struct slot {
	struct sgxk_file *f;
	uint64_t base;	 /* the slot's reserved address range */
	bool measure_ok; /* the model measurement follows the enclave */
	struct sgx_measure m;
	struct sgx_secs secs;
};

static struct sgxk *k;
static uint64_t slot_base;
static uint8_t *src; /* SRC_PAGES of source memory */
static struct sgx_signing_key *key;
static struct sgxk_file *prov;
static struct sgxk_file *fds[MAX_FILES];
/* Non-fixed mmaps: the driver picked the address, we remember what to unmap. */
static struct {
	void *p;
	uint64_t len;
	struct sgxk_file *f;
} maps[MAX_MAPS];
static int nr_maps;
static long last; /* result of the last operation, for FUZZ_IOCTL_TRACE */

static uint64_t take(struct input *in, size_t len)
{
	uint64_t v = 0;

	for (size_t i = 0; i < len && in->n; i++, in->n--, in->p++)
		v |= (uint64_t)in->p[0] << (8 * i);
	return v;
}

static struct sgxk_file *fdget(void *ctx, int fd)
{
	(void)ctx;
	if (fd == 3)
		return prov;
	if (fd >= 4 && fd < 4 + MAX_FILES)
		return fds[fd - 4];
	return NULL;
}

static void reserve(uint64_t start, uint64_t len)
{
	if (mmap((void *)(uintptr_t)start, len, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0) == MAP_FAILED)
		abort();
}

static void setup(void)
{
	struct sgxk_options opts = {0};
	struct softsgx_err err = {0};
	void *p;

	softsgx_config_defaults(&opts.config);
	opts.config.epc_size = EPC_PAGES * 4096;
	opts.config.sgx2 = true;
	opts.fdget = fdget;
	if (sgxk_create(&k, &opts, &err)) {
		fprintf(stderr, "fuzz_ioctl: sgxk_create: %s\n", err.msg);
		abort();
	}
	p = mmap(NULL, (NR_SLOTS + 1) * SLOT_SIZE, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		abort();
	slot_base = ((uint64_t)(uintptr_t)p + SLOT_SIZE - 1) & ~(SLOT_SIZE - 1);
	src = mmap(NULL, SRC_PAGES * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		   0);
	if (src == MAP_FAILED || sgx_signing_key_generate(&key, &err))
		abort();
	if (sgxk_open(k, SGXK_DEV_PROVISION, O_RDONLY, &prov))
		abort();
}

static struct slot slots[NR_SLOTS];

/* Pages the open enclaves hold, SECS included. */
static size_t pages_held(void)
{
	size_t n = 0;

	for (int i = 0; i < MAX_FILES; i++) {
		struct sgxk_enclave_info info;

		if (fds[i] && !sgxk_enclave_info(fds[i], &info))
			n += info.nr_pages + (info.created ? 1 : 0);
	}
	return n;
}

static void check_accounting(const char *after)
{
	size_t used = EPC_PAGES - sgxk_epc_free_pages(k);

	if (used != pages_held()) {
		fprintf(stderr, "fuzz_ioctl: after %s: %zu EPC pages in use, enclaves hold %zu\n",
			after, used, pages_held());
		abort();
	}
}

static struct slot *slot_of(struct input *in)
{
	return &slots[take(in, 1) % NR_SLOTS];
}

static void op_open(struct slot *s)
{
	if (s->f)
		return;
	for (int i = 0; i < MAX_FILES; i++)
		if (!fds[i]) {
			if (sgxk_open(k, SGXK_DEV_ENCLAVE, O_RDWR, &fds[i]))
				abort();
			s->f = fds[i];
			s->measure_ok = false;
			return;
		}
}

static void op_create(struct input *in, struct slot *s)
{
	static const uint64_t sizes[] = {0x2000, 0x4000, 0x10000, 0x100000, 0x3000, 0};
	struct sgx_enclave_create c;
	struct sgx_secs *secs = &s->secs;
	uint64_t sel = take(in, 1);

	memset(secs, 0, sizeof(*secs));
	secs->size = sel & 0x80 ? take(in, 8) : sizes[sel % 6];
	secs->base = s->base + (sel & 0x40 ? take(in, 3) << 12 : 0);
	secs->ssa_frame_size = (uint32_t)(sel & 0x20 ? take(in, 4) : 1);
	secs->attributes.flags = SGX_ATTR_MODE64BIT | (take(in, 1) & 0x12);
	secs->attributes.xfrm = sel & 0x10 ? take(in, 8) : SGX_XFRM_LEGACY;
	secs->miscselect = (uint32_t)(sel & 0x08 ? take(in, 4) : 0);
	c.src = (uint64_t)(uintptr_t)secs;
	last = sgxk_ioctl(k, s->f, SGX_IOC_ENCLAVE_CREATE, sel & 0x04 ? 0x10 : (unsigned long)&c);
	if (last == 0) {
		if (s->measure_ok)
			sgx_measure_free(&s->m);
		s->measure_ok = !sgx_measure_init(&s->m, NULL);
		if (s->measure_ok)
			sgx_measure_ecreate(&s->m, secs->ssa_frame_size, secs->size);
	}
}

static void op_add(struct input *in, struct slot *s)
{
	struct sgx_secinfo secinfo;
	struct sgx_enclave_add_pages a;
	uint64_t sel = take(in, 1), first = take(in, 1) % SRC_PAGES;
	uint64_t nr = 1 + take(in, 1) % 4;

	if (first + nr > SRC_PAGES)
		nr = SRC_PAGES - first;
	memset(&secinfo, 0, sizeof(secinfo));
	secinfo.flags = sel & 0x80 ? take(in, 8)
				   : SGX_SECINFO_TYPE(sel & 0x40 ? SGX_PT_TCS : SGX_PT_REG) |
					 (sel & 0x40 ? 0 : take(in, 1) & 7);
	for (uint64_t i = 0; i < nr * 4096 && in->n; i += 64)
		memcpy(src + first * 4096 + i, in->p, in->n < 16 ? in->n : 16);
	a.src = sel & 0x20 ? 0x1000 : (uint64_t)(uintptr_t)(src + first * 4096);
	a.offset = (sel & 0x10 ? take(in, 8) : take(in, 1) << 12);
	a.length = sel & 0x08 ? take(in, 4) : nr * 4096;
	a.secinfo = sel & 0x04 ? 0x10 : (uint64_t)(uintptr_t)&secinfo;
	a.flags = sel & 0x02 ? SGX_PAGE_MEASURE : 0;
	a.count = 0;
	last = sgxk_ioctl(k, s->f, SGX_IOC_ENCLAVE_ADD_PAGES, (unsigned long)&a);
	/* Keep the model measurement in step with what was added (a.count bytes). */
	if (!s->measure_ok || a.count % 4096 || a.count > a.length)
		return;
	for (uint64_t c = 0; c < a.count; c += 4096) {
		sgx_measure_eadd(&s->m, a.offset + c, secinfo.flags);
		if (a.flags & SGX_PAGE_MEASURE)
			sgx_measure_eextend_page(&s->m, a.offset + c,
						 (uint8_t *)(uintptr_t)a.src + c);
	}
}

static void op_init(struct input *in, struct slot *s)
{
	struct sgx_sigstruct *sig = aligned_alloc(4096, 4096);
	struct sgx_enclave_init init;
	struct sgx_measure copy;
	uint64_t sel = take(in, 1);

	if (!sig)
		abort();
	memset(sig, 0, 4096);
	if (sel & 1 && s->measure_ok && !sgx_measure_copy(&copy, &s->m, NULL)) {
		/* A SIGSTRUCT that should pass: the model's MRENCLAVE, the SECS attributes. */
		sgx_sigstruct_init(sig);
		sgx_measure_final(&copy, sig->body.mrenclave);
		sgx_measure_free(&copy);
		sig->body.attributes = s->secs.attributes;
		sig->body.attributes_mask.flags = sel & 2 ? ~0ull : take(in, 8);
		sig->body.attributes_mask.xfrm = ~0ull;
		sig->body.miscselect = s->secs.miscselect;
		sig->body.misc_mask = ~0u;
		sig->header.vendor = sel & 4 ? SGX_SIGSTRUCT_VENDOR_INTEL : 0;
		if (sgx_sigstruct_sign(sig, key, NULL))
			abort();
		if (sel & 8 && in->n)
			((uint8_t *)sig)[take(in, 2) % sizeof(*sig)] ^= (uint8_t)take(in, 1);
	} else {
		memcpy(sig, sgx_sigstruct_header, 16);
		memcpy(sig->header.header2, sgx_sigstruct_header2, 16);
		for (size_t i = 128; i < sizeof(*sig) && in->n; i += 8)
			memcpy((uint8_t *)sig + i, in->p, in->n < 8 ? in->n : 8), take(in, 1);
		sig->exponent = 3;
	}
	init.sigstruct = sel & 0x10 ? 0x10 : (uint64_t)(uintptr_t)sig;
	last = sgxk_ioctl(k, s->f, SGX_IOC_ENCLAVE_INIT, (unsigned long)&init);
	free(sig);
}

static void op_provision(struct input *in, struct slot *s)
{
	struct sgx_enclave_provision p = {.fd = take(in, 1) % 8};

	last = sgxk_ioctl(k, s->f, SGX_IOC_ENCLAVE_PROVISION, (unsigned long)&p);
}

static void op_sgx2(struct input *in, struct slot *s)
{
	uint64_t sel = take(in, 1), off = take(in, 1) << 12, len = (1 + take(in, 1) % 4) << 12;
	struct sgx_enclave_restrict_permissions rp = {off, len, take(in, 1) & 0xF, 0, 0};
	struct sgx_enclave_modify_types mt = {off, len, take(in, 1) % 6, 0, 0};
	struct sgx_enclave_remove_pages rm = {off, len, 0};

	switch (sel % 3) {
	case 0:
		last =
		    sgxk_ioctl(k, s->f, SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS, (unsigned long)&rp);
		break;
	case 1:
		last = sgxk_ioctl(k, s->f, SGX_IOC_ENCLAVE_MODIFY_TYPES, (unsigned long)&mt);
		break;
	default:
		last = sgxk_ioctl(k, s->f, SGX_IOC_ENCLAVE_REMOVE_PAGES, (unsigned long)&rm);
		break;
	}
}

static void op_ioctl_raw(struct input *in, struct slot *s)
{
	uint8_t buf[64] = {0};
	unsigned long cmd = (unsigned long)take(in, 4);

	for (size_t i = 0; i < sizeof(buf) && in->n; i++)
		buf[i] = (uint8_t)take(in, 1);
	last = sgxk_ioctl(k, s->f, cmd, (unsigned long)buf);
}

/* An address range inside the slot: mapping there can only hit our own reservation. */
static void range_in_slot(struct input *in, struct slot *s, uint64_t *start, uint64_t *len)
{
	uint64_t off = (take(in, 1) << 12) % SLOT_SIZE;

	*start = s->base + off;
	*len = (1 + take(in, 1) % 16) << 12;
	if (off + *len > SLOT_SIZE)
		*len = SLOT_SIZE - off;
}

static void op_mmap(struct input *in, struct slot *s)
{
	uint64_t start, len, sel = take(in, 1);
	int err = 0, prot = (int)(take(in, 1) & 7);
	int flags = sel & 1 ? MAP_PRIVATE : MAP_SHARED;
	void *p;

	range_in_slot(in, s, &start, &len);
	if (sel & 2) {
		if (nr_maps == MAX_MAPS)
			return;
		p = sgxk_mmap(k, s->f, NULL, len, prot, flags, 0, &err);
		if (p != MAP_FAILED) {
			maps[nr_maps].p = p;
			maps[nr_maps].len = len;
			maps[nr_maps++].f = s->f;
		}
		return;
	}
	sgxk_mmap(k, s->f, (void *)(uintptr_t)start, len, prot, flags | MAP_FIXED, 0, &err);
	last = err;
}

static void op_mprotect(struct input *in, struct slot *s)
{
	uint64_t start, len;

	range_in_slot(in, s, &start, &len);
	last = sgxk_mprotect(k, (void *)(uintptr_t)start, len, (int)(take(in, 1) & 0xF));
}

static void op_munmap(struct input *in, struct slot *s)
{
	uint64_t start, len;

	range_in_slot(in, s, &start, &len);
	if (sgxk_munmap(k, (void *)(uintptr_t)start, len) == 0)
		reserve(start, len);
}

static void op_fault(struct input *in, struct slot *s)
{
	uint64_t start, len;

	range_in_slot(in, s, &start, &len);
	last = sgxk_fault(k, start + (take(in, 2) & 0xFFF), (int)(take(in, 1) & 7));
}

/* Closing unmaps first, so that the enclave goes with its last reference. */
static void close_slot(struct slot *s)
{
	if (!s->f)
		return;
	if (sgxk_munmap(k, (void *)(uintptr_t)s->base, SLOT_SIZE) == 0)
		reserve(s->base, SLOT_SIZE);
	for (int i = 0; i < nr_maps; i++)
		if (maps[i].f == s->f) {
			sgxk_munmap(k, maps[i].p, maps[i].len);
			maps[i--] = maps[--nr_maps];
		}
	for (int i = 0; i < MAX_FILES; i++)
		if (fds[i] == s->f)
			fds[i] = NULL;
	sgxk_file_put(k, s->f);
	s->f = NULL;
	if (s->measure_ok)
		sgx_measure_free(&s->m);
	s->measure_ok = false;
}

static void run(struct input *in)
{
	static const char *names[] = {"open",	   "create", "add",   "init",
				      "provision", "sgx2",   "ioctl", "mmap",
				      "mprotect",  "munmap", "fault", "close"};

	bool trace = getenv("FUZZ_IOCTL_TRACE");

	for (int n = 0; n < MAX_OPS && in->n; n++) {
		uint64_t op = take(in, 1) % 12;
		struct slot *s = slot_of(in);

		last = 0;
		if (op != 0 && op != 11 && !s->f)
			op_open(s);
		switch (op) {
		case 0:
			op_open(s);
			break;
		case 1:
			op_create(in, s);
			break;
		case 2:
			op_add(in, s);
			break;
		case 3:
			op_init(in, s);
			break;
		case 4:
			op_provision(in, s);
			break;
		case 5:
			op_sgx2(in, s);
			break;
		case 6:
			op_ioctl_raw(in, s);
			break;
		case 7:
			op_mmap(in, s);
			break;
		case 8:
			op_mprotect(in, s);
			break;
		case 9:
			op_munmap(in, s);
			break;
		case 10:
			op_fault(in, s);
			break;
		default:
			close_slot(s);
			break;
		}
		if (trace)
			fprintf(stderr, "fuzz_ioctl: slot %d %s -> %ld\n", (int)(s - slots),
				names[op], last);
		check_accounting(names[op]);
	}
}

/* Unmap and close everything; every EPC page must be free again. */
static void cleanup(void)
{
	for (int i = 0; i < NR_SLOTS; i++)
		close_slot(&slots[i]);
	if (sgxk_epc_free_pages(k) != EPC_PAGES) {
		fprintf(stderr, "fuzz_ioctl: %zu EPC pages leaked\n",
			EPC_PAGES - sgxk_epc_free_pages(k));
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = {data, size};

	if (!k) {
		setup();
		for (int i = 0; i < NR_SLOTS; i++)
			slots[i].base = slot_base + (uint64_t)i * SLOT_SIZE;
	}
	run(&in);
	cleanup();
	return 0;
}
