/* SPDX-License-Identifier: MIT */
/*
 * The loader of sgx_loader.h: only libc, <asm/sgx.h> and the vDSO, so the same code loads an
 * enclave on real SGX hardware and under `softsgx run`.  The hardware structures it needs
 * (SECS, SECINFO, the SIGSTRUCT fields it reads) are declared here, as the kernel selftests do.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sgx_loader.h"

#define PAGE_SIZE 4096ull

#define SECINFO_R	 0x1ull
#define SECINFO_W	 0x2ull
#define SECINFO_X	 0x4ull
#define SECINFO_PT_SHIFT 8
#define SECINFO_PT_MASK	 (0xffull << SECINFO_PT_SHIFT)
#define PT_TCS		 1

#define TAG_ECREATE 0x0045544145524345ull
#define TAG_EADD    0x0000000044444145ull
#define TAG_EEXTEND 0x00444E4554584545ull

/* SIGSTRUCT offsets (Intel SDM, "SIGSTRUCT") */
#define SIGSTRUCT_SIZE	     1808
#define SIGSTRUCT_MISCSELECT 900
#define SIGSTRUCT_ATTRIBUTES 928
#define SIGSTRUCT_XFRM	     936

struct secs {
	uint64_t size;
	uint64_t base;
	uint32_t ssa_frame_size;
	uint32_t miscselect;
	uint8_t reserved1[24];
	uint64_t attributes;
	uint64_t xfrm;
	uint8_t reserved2[4096 - 64];
} __attribute__((packed, aligned(4096)));

struct secinfo {
	uint64_t flags;
	uint8_t reserved[56];
} __attribute__((aligned(64)));

_Static_assert(sizeof(struct secs) == 4096, "SECS size");

static int fail(char *msg, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(char *msg, size_t len, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, len, fmt, ap);
	va_end(ap);
	errno = saved;
	return -1;
}

static void *read_file(const char *path, size_t *size)
{
	struct stat st;
	void *buf = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	if (!fstat(fd, &st) && st.st_size > 0 && (buf = malloc(st.st_size)) &&
	    read(fd, buf, st.st_size) != st.st_size) {
		free(buf);
		buf = NULL;
		errno = EIO;
	}
	*size = buf ? (size_t)st.st_size : 0;
	close(fd);
	return buf;
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

/* Page flags per page while parsing: which chunks were extended. */
struct page_state {
	uint64_t flags;
	uint16_t measured;
	bool present;
};

static int parse_records(struct encl *e, const uint8_t *s, size_t n, struct page_state *pages,
			 char *msg, size_t len)
{
	uint64_t cur = UINT64_MAX;

	for (size_t off = 64; off < n; off += 64) {
		uint64_t tag = rd64(s + off), o = rd64(s + off + 8);

		if (tag == TAG_EADD) {
			if ((o & (PAGE_SIZE - 1)) || o >= e->size)
				return fail(msg, len, ".sgxs offset %zu: bad EADD offset %#llx",
					    off, (unsigned long long)o);
			cur = o / PAGE_SIZE;
			pages[cur].present = true;
			pages[cur].flags = rd64(s + off + 16);
		} else if (tag == TAG_EEXTEND) {
			if (off + 64 + 256 > n || cur == UINT64_MAX || o / PAGE_SIZE != cur ||
			    (o & 255))
				return fail(msg, len, ".sgxs offset %zu: EEXTEND outside its page",
					    off);
			memcpy(e->image + o, s + off + 64, 256);
			pages[cur].measured |= 1u << ((o & (PAGE_SIZE - 1)) / 256);
			off += 256;
		} else {
			return fail(msg, len, ".sgxs offset %zu: unknown record %#llx", off,
				    (unsigned long long)tag);
		}
	}
	return 0;
}

static int add_segment(struct encl *e, uint64_t page, const struct page_state *p, char *msg,
		       size_t len)
{
	struct encl_segment *s = e->nr_segs ? &e->segs[e->nr_segs - 1] : NULL;
	bool measure = p->measured == 0xffff;

	if (p->measured && !measure)
		return fail(msg, len,
			    "page %#llx: partly measured pages cannot be added through "
			    "the Linux driver",
			    (unsigned long long)(page * PAGE_SIZE));
	if (s && s->offset + s->size == page * PAGE_SIZE && s->secinfo_flags == p->flags &&
	    s->measure == measure) {
		s->size += PAGE_SIZE;
		return 0;
	}
	if (e->nr_segs == ENCL_MAX_SEGS)
		return fail(msg, len, "more than %d segments", ENCL_MAX_SEGS);
	s = &e->segs[e->nr_segs++];
	s->offset = page * PAGE_SIZE;
	s->size = PAGE_SIZE;
	s->secinfo_flags = p->flags;
	s->measure = measure;
	if (((p->flags & SECINFO_PT_MASK) >> SECINFO_PT_SHIFT) == PT_TCS)
		s->prot = PROT_READ | PROT_WRITE;
	else
		s->prot = ((p->flags & SECINFO_R) ? PROT_READ : 0) |
			  ((p->flags & SECINFO_W) ? PROT_WRITE : 0) |
			  ((p->flags & SECINFO_X) ? PROT_EXEC : 0);
	return 0;
}

static int parse_sgxs(struct encl *e, const uint8_t *s, size_t n, char *msg, size_t len)
{
	struct page_state *pages;
	uint64_t nr_pages;
	int ret = 0;

	if (n < 64 || n % 64 || rd64(s) != TAG_ECREATE)
		return fail(msg, len, ".sgxs: does not start with an ECREATE record");
	memcpy(&e->ssa_frame_size, s + 8, 4);
	e->size = rd64(s + 12);
	if (e->size < 2 * PAGE_SIZE || (e->size & (e->size - 1)) || e->size > (1ull << 36))
		return fail(msg, len, ".sgxs: ECREATE size %#llx is not a power of two",
			    (unsigned long long)e->size);
	/* Pages are at most as many as records: size the image by the records, not SIZE. */
	nr_pages = e->size / PAGE_SIZE;
	if (nr_pages > n / 64)
		nr_pages = n / 64;
	pages = calloc(e->size / PAGE_SIZE, sizeof(*pages));
	if (!pages)
		return fail(msg, len, "out of memory");
	e->image_size = e->size;
	e->image = mmap(NULL, e->image_size, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (e->image == MAP_FAILED) {
		e->image = NULL;
		free(pages);
		return fail(msg, len, "mmap of the image: %s", strerror(errno));
	}
	ret = parse_records(e, s, n, pages, msg, len);
	for (uint64_t i = 0; !ret && i < e->size / PAGE_SIZE; i++)
		if (pages[i].present)
			ret = add_segment(e, i, &pages[i], msg, len);
	free(pages);
	return ret;
}

int encl_load(struct encl *e, const char *sgxs_path, const char *sig_path, char *msg, size_t len)
{
	size_t n, sig_len;
	uint8_t *s, *sig;
	int ret;

	memset(e, 0, sizeof(*e));
	e->fd = -1;
	s = read_file(sgxs_path, &n);
	if (!s)
		return fail(msg, len, "%s: %s", sgxs_path, strerror(errno));
	ret = parse_sgxs(e, s, n, msg, len);
	free(s);
	if (ret)
		return ret;
	sig = read_file(sig_path, &sig_len);
	if (!sig)
		return fail(msg, len, "%s: %s", sig_path, strerror(errno));
	if (sig_len != SIGSTRUCT_SIZE) {
		free(sig);
		return fail(msg, len, "%s: %zu bytes, a SIGSTRUCT has 1808", sig_path, sig_len);
	}
	memcpy(e->sigstruct, sig, SIGSTRUCT_SIZE);
	free(sig);
	return 0;
}

const struct encl_segment *encl_segment_at(const struct encl *e, uint64_t offset)
{
	for (int i = 0; i < e->nr_segs; i++)
		if (offset >= e->segs[i].offset && offset - e->segs[i].offset < e->segs[i].size)
			return &e->segs[i];
	return NULL;
}

/* Reserve 2 * SIZE of the device's address space and keep a SIZE-aligned SIZE of it. */
static int reserve(struct encl *e, char *msg, size_t len)
{
	uint64_t start, base;

	e->reservation_size = 2 * e->size;
	e->reservation = mmap(NULL, e->reservation_size, PROT_NONE, MAP_SHARED, e->fd, 0);
	if (e->reservation == MAP_FAILED) {
		e->reservation = NULL;
		return fail(msg, len, "reserving %#llx bytes: %s",
			    (unsigned long long)e->reservation_size, strerror(errno));
	}
	start = (uint64_t)(uintptr_t)e->reservation;
	base = (start + e->size - 1) & ~(e->size - 1);
	if (base > start)
		munmap(e->reservation, base - start);
	if (start + e->reservation_size > base + e->size)
		munmap((void *)(uintptr_t)(base + e->size),
		       start + e->reservation_size - base - e->size);
	e->reservation = (void *)(uintptr_t)base;
	e->reservation_size = e->size;
	e->base = base;
	return 0;
}

static int create(struct encl *e, char *msg, size_t len)
{
	struct sgx_enclave_create ioc;
	struct secs *secs = aligned_alloc(4096, sizeof(*secs));
	int ret;

	if (!secs)
		return fail(msg, len, "out of memory");
	memset(secs, 0, sizeof(*secs));
	secs->size = e->size;
	secs->base = e->base;
	secs->ssa_frame_size = e->ssa_frame_size;
	memcpy(&secs->miscselect, e->sigstruct + SIGSTRUCT_MISCSELECT, 4);
	secs->attributes = rd64(e->sigstruct + SIGSTRUCT_ATTRIBUTES);
	secs->xfrm = rd64(e->sigstruct + SIGSTRUCT_XFRM);
	ioc.src = (uint64_t)(uintptr_t)secs;
	ret = ioctl(e->fd, SGX_IOC_ENCLAVE_CREATE, &ioc);
	free(secs);
	if (ret)
		return fail(msg, len, "SGX_IOC_ENCLAVE_CREATE: %s", strerror(errno));
	return 0;
}

static int add_pages(struct encl *e, const struct encl_segment *s, char *msg, size_t len)
{
	struct secinfo secinfo = {.flags = s->secinfo_flags};
	struct sgx_enclave_add_pages ioc = {
	    .src = (uint64_t)(uintptr_t)(e->image + s->offset),
	    .offset = s->offset,
	    .length = s->size,
	    .secinfo = (uint64_t)(uintptr_t)&secinfo,
	    .flags = s->measure ? SGX_PAGE_MEASURE : 0,
	};

	/* A signal may stop the ioctl early with count < length: continue where it stopped. */
	while (ioc.length) {
		ioc.count = 0;
		if (ioctl(e->fd, SGX_IOC_ENCLAVE_ADD_PAGES, &ioc) && errno != EINTR)
			return fail(msg, len, "SGX_IOC_ENCLAVE_ADD_PAGES at %#llx: %s",
				    (unsigned long long)ioc.offset, strerror(errno));
		ioc.src += ioc.count;
		ioc.offset += ioc.count;
		ioc.length -= ioc.count;
	}
	return 0;
}

static int map_segments(struct encl *e, char *msg, size_t len)
{
	for (int i = 0; i < e->nr_segs; i++) {
		const struct encl_segment *s = &e->segs[i];
		void *p = mmap(encl_addr(e, s->offset), s->size, s->prot, MAP_SHARED | MAP_FIXED,
			       e->fd, 0);

		if (p == MAP_FAILED)
			return fail(msg, len, "mmap of segment %#llx (prot %d): %s",
				    (unsigned long long)s->offset, s->prot, strerror(errno));
	}
	return 0;
}

int encl_build(struct encl *e, char *msg, size_t len)
{
	struct sgx_enclave_init init = {.sigstruct = (uint64_t)(uintptr_t)e->sigstruct};

	e->fd = open("/dev/sgx_enclave", O_RDWR);
	if (e->fd < 0)
		return fail(msg, len, "/dev/sgx_enclave: %s", strerror(errno));
	if (reserve(e, msg, len) || create(e, msg, len))
		return -1;
	for (int i = 0; i < e->nr_segs; i++)
		if (add_pages(e, &e->segs[i], msg, len))
			return -1;
	if (ioctl(e->fd, SGX_IOC_ENCLAVE_INIT, &init))
		return fail(msg, len, "SGX_IOC_ENCLAVE_INIT: %s", strerror(errno));
	return map_segments(e, msg, len);
}

void encl_delete(struct encl *e)
{
	if (e->reservation)
		munmap(e->reservation, e->reservation_size);
	if (e->fd >= 0)
		close(e->fd);
	if (e->image)
		munmap(e->image, e->image_size);
	memset(e, 0, sizeof(*e));
	e->fd = -1;
}

int64_t encl_elf_symbol(const char *elf_path, const char *name)
{
	int64_t found = -1;
	size_t n;
	uint8_t *buf = read_file(elf_path, &n);
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)buf;

	if (!buf || n < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_shoff + (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr) > n)
		goto out;
	const Elf64_Shdr *sh = (const Elf64_Shdr *)(buf + eh->e_shoff);

	for (int i = 0; i < eh->e_shnum && found < 0; i++) {
		if (sh[i].sh_type != SHT_SYMTAB || sh[i].sh_link >= eh->e_shnum ||
		    sh[i].sh_offset + sh[i].sh_size > n)
			continue;
		const Elf64_Sym *sym = (const Elf64_Sym *)(buf + sh[i].sh_offset);
		const Elf64_Shdr *str = &sh[sh[i].sh_link];

		for (size_t j = 0; j < sh[i].sh_size / sizeof(*sym); j++)
			if (sym[j].st_name < str->sh_size &&
			    !strcmp((const char *)buf + str->sh_offset + sym[j].st_name, name))
				found = (int64_t)sym[j].st_value;
	}
out:
	free(buf);
	return found;
}
