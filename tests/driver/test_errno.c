/* SPDX-License-Identifier: MIT */
/*
 * Every errno row of linux-sgx-driver.md for CREATE, ADD_PAGES, INIT, PROVISION, mmap and
 * mprotect, one table row each: the call fails with exactly that errno and nothing changed
 * (EPC free pages, enclave state and page count, the count field where the spec says so).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "drvtest.h"

#define ESIZE	  0x10000ull /* 16 pages */
#define OFF_TCS	  0x0000
#define OFF_CODE  0x1000  /* R|X */
#define OFF_DATA  0x2000  /* R|W */
#define OFF_RONLY 0x3000  /* R */
#define UNMAPPED  0x10ull /* an address no test process maps */

#define REG(p) (SGX_SECINFO_TYPE(SGX_PT_REG) | (p))
#define TCS    SGX_SECINFO_TYPE(SGX_PT_TCS)

enum stage { FRESH, CREATED, LOADED, INITIALIZED };

struct row_ctx {
	struct dt d;
	struct dt_encl e;
	uint64_t count; /* count written back by ADD_PAGES */
	uint64_t probe; /* an address whose mapping must be unchanged (0: none) */
	int probe_access;
	int probe_expect;
};

struct row {
	const char *name;
	enum stage stage;
	long (*call)(struct row_ctx *c);
	int expect; /* errno */
	/* ADD_PAGES: count must keep the caller's value (-1) or equal this. */
	int64_t count;
	bool page_prot_source;
	bool read_implies_exec;
	void (*prep)(struct row_ctx *c); /* before the snapshot */
};

static uint8_t *src_page(struct row_ctx *c)
{
	return c->e.page;
}

static long add(struct row_ctx *c, uint64_t off, uint64_t len, uint64_t flags)
{
	return dt_add(&c->d, c->e.f, src_page(c), off, len, flags, SGX_PAGE_MEASURE, &c->count);
}

static long add_secinfo(struct row_ctx *c, const struct sgx_secinfo *si)
{
	struct sgx_enclave_add_pages a = {
	    .src = (uint64_t)(uintptr_t)src_page(c),
	    .offset = 0x4000,
	    .length = 4096,
	    .secinfo = (uint64_t)(uintptr_t)si,
	    .flags = SGX_PAGE_MEASURE,
	    .count = 0xdeadbeef,
	};
	long ret = sgxk_ioctl(c->d.k, c->e.f, SGX_IOC_ENCLAVE_ADD_PAGES, (unsigned long)&a);

	c->count = a.count;
	return ret;
}

/* ---- CREATE ---- */

static long create_twice(struct row_ctx *c)
{
	return dt_create(&c->d, c->e.f, &c->e.secs);
}

static long create_arg_unreadable(struct row_ctx *c)
{
	return sgxk_ioctl(c->d.k, c->e.f, SGX_IOC_ENCLAVE_CREATE, UNMAPPED);
}

static long create_secs_unreadable(struct row_ctx *c)
{
	struct sgx_enclave_create a = {.src = UNMAPPED};

	return sgxk_ioctl(c->d.k, c->e.f, SGX_IOC_ENCLAVE_CREATE, (unsigned long)&a);
}

static long create_with(struct row_ctx *c, void (*edit)(struct sgx_secs *))
{
	struct sgx_secs *s = aligned_alloc(4096, sizeof(*s));
	long ret;

	dt_secs(s, c->e.base, ESIZE);
	edit(s);
	ret = dt_create(&c->d, c->e.f, s);
	free(s);
	return ret;
}

static void size_not_pow2(struct sgx_secs *s)
{
	s->size = 3 * 4096;
}
static void size_zero(struct sgx_secs *s)
{
	s->size = 0;
}
static void base_misaligned(struct sgx_secs *s)
{
	s->base += 4096;
}
static void attr_reserved(struct sgx_secs *s)
{
	s->attributes.flags |= 1ull << 3;
}
static void attr_init_set(struct sgx_secs *s)
{
	s->attributes.flags |= SGX_ATTR_INIT;
}
static void ssa_zero(struct sgx_secs *s)
{
	s->ssa_frame_size = 0;
}
static void xfrm_no_sse(struct sgx_secs *s)
{
	s->attributes.xfrm = 1;
}
static void misc_reserved(struct sgx_secs *s)
{
	s->miscselect = 1u << 5;
}
static void reserved_bytes(struct sgx_secs *s)
{
	s->reserved4[100] = 1;
}
static void attr_unsupported(struct sgx_secs *s)
{
	s->attributes.flags |= SGX_ATTR_AEXNOTIFY; /* not advertised by this platform */
}
static void xfrm_unsupported(struct sgx_secs *s)
{
	s->attributes.xfrm |= 1ull << 62;
}
static void size_too_small(struct sgx_secs *s)
{
	s->size = 4096;
}

static long create_size_not_pow2(struct row_ctx *c)
{
	return create_with(c, size_not_pow2);
}
static long create_size_zero(struct row_ctx *c)
{
	return create_with(c, size_zero);
}
static long create_base_misaligned(struct row_ctx *c)
{
	return create_with(c, base_misaligned);
}
static long create_attr_reserved(struct row_ctx *c)
{
	return create_with(c, attr_reserved);
}
static long create_attr_init(struct row_ctx *c)
{
	return create_with(c, attr_init_set);
}
static long create_ssa_zero(struct row_ctx *c)
{
	return create_with(c, ssa_zero);
}
static long create_xfrm_no_sse(struct row_ctx *c)
{
	return create_with(c, xfrm_no_sse);
}
static long create_misc_reserved(struct row_ctx *c)
{
	return create_with(c, misc_reserved);
}
static long create_reserved_bytes(struct row_ctx *c)
{
	return create_with(c, reserved_bytes);
}
static long create_attr_unsupported(struct row_ctx *c)
{
	return create_with(c, attr_unsupported);
}
static long create_xfrm_unsupported(struct row_ctx *c)
{
	return create_with(c, xfrm_unsupported);
}
static long create_size_too_small(struct row_ctx *c)
{
	return create_with(c, size_too_small);
}

/* ---- ADD_PAGES ---- */

static long add_one(struct row_ctx *c)
{
	return add(c, 0x4000, 4096, REG(SGX_SECINFO_R | SGX_SECINFO_W));
}
static long add_arg_unreadable(struct row_ctx *c)
{
	return sgxk_ioctl(c->d.k, c->e.f, SGX_IOC_ENCLAVE_ADD_PAGES, UNMAPPED);
}
static long add_src_unaligned(struct row_ctx *c)
{
	return dt_add(&c->d, c->e.f, src_page(c) + 8, 0x4000, 4096, REG(SGX_SECINFO_R), 0,
		      &c->count);
}
static long add_offset_unaligned(struct row_ctx *c)
{
	return add(c, 0x4008, 4096, REG(SGX_SECINFO_R));
}
static long add_length_zero(struct row_ctx *c)
{
	return add(c, 0x4000, 0, REG(SGX_SECINFO_R));
}
static long add_length_partial(struct row_ctx *c)
{
	return add(c, 0x4000, 100, REG(SGX_SECINFO_R));
}
static long add_overflow(struct row_ctx *c)
{
	return add(c, 0xfffffffffffff000ull, 0x2000, REG(SGX_SECINFO_R));
}
static long add_beyond_size(struct row_ctx *c)
{
	return add(c, ESIZE - 0x1000, 0x2000, REG(SGX_SECINFO_R));
}
static long add_secinfo_unreadable(struct row_ctx *c)
{
	return add_secinfo(c, (const struct sgx_secinfo *)UNMAPPED);
}
static long add_secinfo_flags(struct row_ctx *c, uint64_t flags)
{
	struct sgx_secinfo si = {.flags = flags};

	return add_secinfo(c, &si);
}
static long add_type_secs(struct row_ctx *c)
{
	return add_secinfo_flags(c, SGX_SECINFO_TYPE(SGX_PT_SECS) | SGX_SECINFO_R);
}
static long add_type_va(struct row_ctx *c)
{
	return add_secinfo_flags(c, SGX_SECINFO_TYPE(SGX_PT_VA));
}
static long add_type_trim(struct row_ctx *c)
{
	return add_secinfo_flags(c, SGX_SECINFO_TYPE(SGX_PT_TRIM));
}
static long add_w_without_r(struct row_ctx *c)
{
	return add_secinfo_flags(c, REG(SGX_SECINFO_W));
}
static long add_tcs_with_r(struct row_ctx *c)
{
	return add_secinfo_flags(c, TCS | SGX_SECINFO_R);
}
static long add_pending(struct row_ctx *c)
{
	return add_secinfo_flags(c, REG(SGX_SECINFO_R | SGX_SECINFO_PENDING));
}
static long add_modified(struct row_ctx *c)
{
	return add_secinfo_flags(c, REG(SGX_SECINFO_R | SGX_SECINFO_MODIFIED));
}
static long add_pr(struct row_ctx *c)
{
	return add_secinfo_flags(c, REG(SGX_SECINFO_R | SGX_SECINFO_PR));
}
static long add_flag_bit_63(struct row_ctx *c)
{
	return add_secinfo_flags(c, REG(SGX_SECINFO_R) | (1ull << 63));
}
static long add_secinfo_reserved_bytes(struct row_ctx *c)
{
	struct sgx_secinfo si = {.flags = REG(SGX_SECINFO_R)};

	si.reserved[55] = 1;
	return add_secinfo(c, &si);
}
static long add_src_unmapped(struct row_ctx *c)
{
	struct sgx_secinfo si = {.flags = REG(SGX_SECINFO_R)};
	struct sgx_enclave_add_pages a = {
	    .src = 0x1000,
	    .offset = 0x4000,
	    .length = 4096,
	    .secinfo = (uint64_t)(uintptr_t)&si,
	    .flags = SGX_PAGE_MEASURE,
	    .count = 0xdeadbeef,
	};
	long ret = sgxk_ioctl(c->d.k, c->e.f, SGX_IOC_ENCLAVE_ADD_PAGES, (unsigned long)&a);

	c->count = a.count;
	return ret;
}
static long add_src_prot_none(struct row_ctx *c)
{
	void *p = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	long ret = dt_add(&c->d, c->e.f, p, 0x4000, 4096, REG(SGX_SECINFO_R), 0, &c->count);

	munmap(p, 4096);
	return ret;
}
static long add_present(struct row_ctx *c)
{
	return add(c, OFF_DATA, 4096, REG(SGX_SECINFO_R | SGX_SECINFO_W));
}
/* The second page of the run is already there: one page done, then EBUSY. */
static void add_page_5000(struct row_ctx *c)
{
	assert_int_equal(add(c, 0x5000, 0x1000, REG(SGX_SECINFO_R)), 0);
}
static long add_partial_then_busy(struct row_ctx *c)
{
	return add(c, 0x4000, 0x2000, REG(SGX_SECINFO_R));
}
static long add_src_second_page_unmapped(struct row_ctx *c)
{
	uint8_t *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	long ret;

	munmap(p + 4096, 4096);
	ret = dt_add(&c->d, c->e.f, p, 0x4000, 0x2000, REG(SGX_SECINFO_R), 0, &c->count);
	munmap(p, 4096);
	return ret;
}

/* ---- INIT ---- */

static long init_unsigned(struct row_ctx *c)
{
	struct sgx_sigstruct *s = calloc(1, sizeof(*s));
	long ret;

	dt_sign(s, c->e.mrenclave, SGX_ATTR_MODE64BIT, ~0ull, SGX_XFRM_LEGACY);
	ret = dt_init_encl(&c->d, c->e.f, s);
	free(s);
	return ret;
}
static long init_arg_unreadable(struct row_ctx *c)
{
	return sgxk_ioctl(c->d.k, c->e.f, SGX_IOC_ENCLAVE_INIT, UNMAPPED);
}
static long init_sigstruct_unreadable(struct row_ctx *c)
{
	return dt_init_encl(&c->d, c->e.f, (const struct sgx_sigstruct *)UNMAPPED);
}
static long init_edit(struct row_ctx *c, void (*edit)(struct sgx_sigstruct *))
{
	struct sgx_sigstruct *s = calloc(1, sizeof(*s));
	long ret;

	dt_sign(s, c->e.mrenclave, SGX_ATTR_MODE64BIT, ~0ull, SGX_XFRM_LEGACY);
	edit(s);
	ret = dt_init_encl(&c->d, c->e.f, s);
	free(s);
	return ret;
}
static void vendor_1234(struct sgx_sigstruct *s)
{
	s->header.vendor = 0x1234;
}
static void attr_reserved_masked(struct sgx_sigstruct *s)
{
	s->body.attributes.flags |= 1ull << 3;
}
static void misc_reserved_masked(struct sgx_sigstruct *s)
{
	s->body.miscselect = 1u << 4;
	s->body.misc_mask = 1u << 4;
}
static void xfrm_unsupported_masked(struct sgx_sigstruct *s)
{
	s->body.attributes.xfrm |= 1ull << 62;
}
static long init_vendor(struct row_ctx *c)
{
	return init_edit(c, vendor_1234);
}
static long init_attr_reserved(struct row_ctx *c)
{
	return init_edit(c, attr_reserved_masked);
}
static long init_misc_reserved(struct row_ctx *c)
{
	return init_edit(c, misc_reserved_masked);
}
static long init_xfrm_reserved(struct row_ctx *c)
{
	return init_edit(c, xfrm_unsupported_masked);
}

/* ---- PROVISION ---- */

static long provision_arg_unreadable(struct row_ctx *c)
{
	return sgxk_ioctl(c->d.k, c->e.f, SGX_IOC_ENCLAVE_PROVISION, UNMAPPED);
}
static long provision_fd(struct row_ctx *c, uint64_t fd)
{
	struct sgx_enclave_provision p = {.fd = fd};

	return sgxk_ioctl(c->d.k, c->e.f, SGX_IOC_ENCLAVE_PROVISION, (unsigned long)&p);
}
static long provision_enclave_fd(struct row_ctx *c)
{
	return provision_fd(c, (uint64_t)dt_fd_of(&c->d, sgxk_file_get(c->e.f)));
}
static long provision_bad_fd(struct row_ctx *c)
{
	return provision_fd(c, 7);
}
static long provision_fd_truncated(struct row_ctx *c)
{
	struct sgxk_file *p = NULL;

	assert_int_equal(sgxk_open(c->d.k, SGXK_DEV_PROVISION, O_RDONLY, &p), 0);
	/* The fd is an unsigned int upstream: 2^32 + fd is not fd. */
	return provision_fd(c, (1ull << 32) | (uint64_t)dt_fd_of(&c->d, p));
}

/* ---- general ---- */

static long unknown_ioctl(struct row_ctx *c)
{
	return sgxk_ioctl(c->d.k, c->e.f, _IOW(SGX_MAGIC, 0x1f, struct sgx_enclave_init), 0);
}
static long provision_device_ioctl(struct row_ctx *c)
{
	struct sgxk_file *p = NULL;
	long ret;

	assert_int_equal(sgxk_open(c->d.k, SGXK_DEV_PROVISION, O_RDONLY, &p), 0);
	ret = dt_create(&c->d, p, &c->e.secs);
	sgxk_file_put(c->d.k, p);
	return ret;
}
static long sgx2_without_sgx2(struct row_ctx *c)
{
	struct sgx_enclave_remove_pages r = {.offset = 0, .length = 4096};

	return sgxk_ioctl(c->d.k, c->e.f, SGX_IOC_ENCLAVE_REMOVE_PAGES, (unsigned long)&r);
}

/* ---- mmap ---- */

static long do_mmap(struct row_ctx *c, uint64_t addr, size_t len, int prot, int flags)
{
	int err = 0;
	void *p = sgxk_mmap(c->d.k, c->e.f, (void *)(uintptr_t)addr, len, prot, flags, 0, &err);

	c->probe = addr;
	c->probe_access = PROT_READ;
	c->probe_expect = SGXK_NOT_ENCLAVE;
	if (p != MAP_FAILED) {
		sgxk_munmap(c->d.k, p, len);
		return 0;
	}
	return err;
}
static long mmap_private(struct row_ctx *c)
{
	return do_mmap(c, c->e.base, 4096, PROT_READ, MAP_PRIVATE | MAP_FIXED);
}
static long mmap_read_implies_exec(struct row_ctx *c)
{
	return do_mmap(c, c->e.base + OFF_DATA, 4096, PROT_READ, MAP_SHARED | MAP_FIXED);
}
static long mmap_outside_after_init(struct row_ctx *c)
{
	int err = 0;
	void *p = sgxk_mmap(c->d.k, c->e.f, NULL, 4096, PROT_READ, MAP_SHARED, 0, &err);

	return p == MAP_FAILED ? err : 0;
}
static long mmap_straddling_end_after_init(struct row_ctx *c)
{
	/* Starts inside, ends one page past BASE+SIZE: refused before anything is mapped. */
	return do_mmap(c, c->e.base + ESIZE - 4096, 8192, PROT_READ, MAP_SHARED | MAP_FIXED);
}
static long mmap_more_than_max(struct row_ctx *c)
{
	return do_mmap(c, c->e.base + OFF_CODE, 4096, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_FIXED);
}
static long mmap_tcs_exec(struct row_ctx *c)
{
	return do_mmap(c, c->e.base + OFF_TCS, 4096, PROT_READ | PROT_EXEC, MAP_SHARED | MAP_FIXED);
}
static long mmap_range_with_one_bad_page(struct row_ctx *c)
{
	return do_mmap(c, c->e.base, ESIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED);
}
static long mmap_len_zero(struct row_ctx *c)
{
	return do_mmap(c, c->e.base, 0, PROT_READ, MAP_SHARED | MAP_FIXED);
}
static long mmap_provision(struct row_ctx *c)
{
	struct sgxk_file *p = NULL;
	int err = 0;
	void *m;

	assert_int_equal(sgxk_open(c->d.k, SGXK_DEV_PROVISION, O_RDONLY, &p), 0);
	m = sgxk_mmap(c->d.k, p, NULL, 4096, PROT_READ, MAP_SHARED, 0, &err);
	sgxk_file_put(c->d.k, p);
	return m == MAP_FAILED ? err : 0;
}

/* A file opened without write (or read) access, mapped MAP_SHARED, then @new_prot. */
static long map_by_mode(struct row_ctx *c, int accmode, int prot, int new_prot)
{
	struct sgxk_file *f = NULL;
	int err = 0;
	long ret;
	void *p;

	assert_int_equal(sgxk_open(c->d.k, SGXK_DEV_ENCLAVE, accmode, &f), 0);
	p = sgxk_mmap(c->d.k, f, NULL, 4096, prot, MAP_SHARED, 0, &err);
	if (p == MAP_FAILED) {
		ret = err;
	} else {
		ret = sgxk_mprotect(c->d.k, p, 4096, new_prot);
		sgxk_munmap(c->d.k, p, 4096);
	}
	sgxk_file_put(c->d.k, f);
	return ret;
}
static long mmap_writable_of_readonly_file(struct row_ctx *c)
{
	return map_by_mode(c, O_RDONLY, PROT_READ | PROT_WRITE, PROT_READ);
}
static long mmap_of_writeonly_file(struct row_ctx *c)
{
	return map_by_mode(c, O_WRONLY, PROT_READ, PROT_READ);
}
static long mprotect_writable_of_readonly_file(struct row_ctx *c)
{
	return map_by_mode(c, O_RDONLY, PROT_READ, PROT_READ | PROT_WRITE);
}

/* ---- mprotect ---- */

static long mprotect_to(struct row_ctx *c, uint64_t off, int map_prot, int new_prot)
{
	int err = 0;
	void *p = sgxk_mmap(c->d.k, c->e.f, (void *)(uintptr_t)(c->e.base + off), 4096, map_prot,
			    MAP_SHARED | MAP_FIXED, 0, &err);

	assert_true(p != MAP_FAILED);
	c->probe = c->e.base + off;
	c->probe_access = new_prot;
	c->probe_expect = -EFAULT; /* still mapped with the old protections: access error */
	return sgxk_mprotect(c->d.k, p, 4096, new_prot);
}
static long mprotect_code_writable(struct row_ctx *c)
{
	return mprotect_to(c, OFF_CODE, PROT_READ, PROT_READ | PROT_WRITE);
}
static long mprotect_data_exec(struct row_ctx *c)
{
	return mprotect_to(c, OFF_DATA, PROT_READ, PROT_READ | PROT_EXEC);
}
/* page_prot = source: an R|W|X page from an R|W (anonymous) source is at most R|W. */
static void add_rwx_from_rw_source(struct row_ctx *c)
{
	assert_int_equal(add(c, 0x4000, 4096, REG(SGX_SECINFO_R | SGX_SECINFO_W | SGX_SECINFO_X)),
			 0);
}
static long mprotect_rwx_capped_by_source(struct row_ctx *c)
{
	return mprotect_to(c, 0x4000, PROT_READ, PROT_READ | PROT_WRITE | PROT_EXEC);
}
static long mprotect_unaligned(struct row_ctx *c)
{
	int err = 0;
	void *p = sgxk_mmap(c->d.k, c->e.f, (void *)(uintptr_t)(c->e.base + OFF_DATA), 4096,
			    PROT_READ, MAP_SHARED | MAP_FIXED, 0, &err);

	return sgxk_mprotect(c->d.k, (uint8_t *)p + 1, 4096, PROT_READ);
}

static const struct row rows[] = {
    /* CREATE */
    {.name = "create_twice_is_einval",
     .stage = CREATED,
     .call = create_twice,
     .expect = EINVAL,
     .count = -1},
    {.name = "create_arg_unreadable_is_efault",
     .stage = FRESH,
     .call = create_arg_unreadable,
     .expect = EFAULT,
     .count = -1},
    {.name = "create_secs_unreadable_is_efault",
     .stage = FRESH,
     .call = create_secs_unreadable,
     .expect = EFAULT,
     .count = -1},
    {.name = "create_size_not_power_of_two_is_einval",
     .stage = FRESH,
     .call = create_size_not_pow2,
     .expect = EINVAL,
     .count = -1},
    {.name = "create_size_zero_is_einval",
     .stage = FRESH,
     .call = create_size_zero,
     .expect = EINVAL,
     .count = -1},
    {.name = "create_size_below_two_pages_is_eio",
     .stage = FRESH,
     .call = create_size_too_small,
     .expect = EIO,
     .count = -1},
    {.name = "create_base_misaligned_is_eio",
     .stage = FRESH,
     .call = create_base_misaligned,
     .expect = EIO,
     .count = -1},
    {.name = "create_reserved_attribute_is_eio",
     .stage = FRESH,
     .call = create_attr_reserved,
     .expect = EIO,
     .count = -1},
    {.name = "create_init_attribute_is_eio",
     .stage = FRESH,
     .call = create_attr_init,
     .expect = EIO,
     .count = -1},
    {.name = "create_ssaframesize_zero_is_eio",
     .stage = FRESH,
     .call = create_ssa_zero,
     .expect = EIO,
     .count = -1},
    {.name = "create_xfrm_without_sse_is_eio",
     .stage = FRESH,
     .call = create_xfrm_no_sse,
     .expect = EIO,
     .count = -1},
    {.name = "create_reserved_miscselect_is_eio",
     .stage = FRESH,
     .call = create_misc_reserved,
     .expect = EIO,
     .count = -1},
    {.name = "create_reserved_bytes_is_eio",
     .stage = FRESH,
     .call = create_reserved_bytes,
     .expect = EIO,
     .count = -1},
    {.name = "create_attribute_the_platform_lacks_is_eio",
     .stage = FRESH,
     .call = create_attr_unsupported,
     .expect = EIO,
     .count = -1},
    {.name = "create_xfrm_the_platform_lacks_is_eio",
     .stage = FRESH,
     .call = create_xfrm_unsupported,
     .expect = EIO,
     .count = -1},
    /* ADD_PAGES */
    {.name = "add_before_create_is_einval",
     .stage = FRESH,
     .call = add_one,
     .expect = EINVAL,
     .count = 0xdeadbeef},
    {.name = "add_after_init_is_einval",
     .stage = INITIALIZED,
     .call = add_one,
     .expect = EINVAL,
     .count = 0xdeadbeef},
    {.name = "add_arg_unreadable_is_efault",
     .stage = CREATED,
     .call = add_arg_unreadable,
     .expect = EFAULT,
     .count = -1},
    {.name = "add_src_unaligned_is_einval",
     .stage = CREATED,
     .call = add_src_unaligned,
     .expect = EINVAL,
     .count = 0xdeadbeef},
    {.name = "add_offset_unaligned_is_einval",
     .stage = CREATED,
     .call = add_offset_unaligned,
     .expect = EINVAL,
     .count = 0xdeadbeef},
    {.name = "add_length_zero_is_einval",
     .stage = CREATED,
     .call = add_length_zero,
     .expect = EINVAL,
     .count = 0xdeadbeef},
    {.name = "add_length_not_page_multiple_is_einval",
     CREATED,
     add_length_partial,
     EINVAL,
     0xdeadbeef},
    {.name = "add_offset_length_overflow_is_einval",
     .stage = CREATED,
     .call = add_overflow,
     .expect = EINVAL,
     .count = 0xdeadbeef},
    {.name = "add_beyond_size_is_einval",
     .stage = CREATED,
     .call = add_beyond_size,
     .expect = EINVAL,
     .count = 0xdeadbeef},
    {.name = "add_secinfo_unreadable_is_efault",
     CREATED,
     add_secinfo_unreadable,
     EFAULT,
     0xdeadbeef},
    {.name = "add_secinfo_type_secs_is_einval",
     .stage = CREATED,
     .call = add_type_secs,
     .expect = EINVAL,
     .count = 0xdeadbeef},
    {.name = "add_secinfo_type_va_is_einval",
     .stage = CREATED,
     .call = add_type_va,
     .expect = EINVAL,
     .count = 0xdeadbeef},
    {.name = "add_secinfo_type_trim_is_einval",
     .stage = CREATED,
     .call = add_type_trim,
     .expect = EINVAL,
     .count = 0xdeadbeef},
    {.name = "add_secinfo_w_without_r_is_einval",
     .stage = CREATED,
     .call = add_w_without_r,
     .expect = EINVAL,
     .count = 0xdeadbeef},
    {.name = "add_secinfo_tcs_with_permissions_is_einval",
     CREATED,
     add_tcs_with_r,
     EINVAL,
     0xdeadbeef},
    {.name = "add_secinfo_pending_is_einval",
     .stage = CREATED,
     .call = add_pending,
     .expect = EINVAL,
     .count = 0xdeadbeef},
    {.name = "add_secinfo_modified_is_einval",
     .stage = CREATED,
     .call = add_modified,
     .expect = EINVAL,
     .count = 0xdeadbeef},
    {.name = "add_secinfo_pr_is_einval",
     .stage = CREATED,
     .call = add_pr,
     .expect = EINVAL,
     .count = 0xdeadbeef},
    {.name = "add_secinfo_high_flag_bit_is_einval",
     .stage = CREATED,
     .call = add_flag_bit_63,
     .expect = EINVAL,
     .count = 0xdeadbeef},
    {.name = "add_secinfo_reserved_bytes_is_einval",
     CREATED,
     add_secinfo_reserved_bytes,
     EINVAL,
     0xdeadbeef},
    {.name = "add_src_unmapped_is_efault_with_count_zero",
     .stage = CREATED,
     .call = add_src_unmapped,
     .expect = EFAULT,
     .count = 0},
    {.name = "add_src_prot_none_is_efault_with_count_zero",
     .stage = CREATED,
     .call = add_src_prot_none,
     .expect = EFAULT,
     .count = 0},
    {.name = "add_page_already_present_is_ebusy",
     .stage = LOADED,
     .call = add_present,
     .expect = EBUSY,
     .count = 0},
    {.name = "add_run_into_present_page_is_ebusy_with_progress",
     LOADED,
     add_partial_then_busy,
     EBUSY,
     0x1000,
     .prep = add_page_5000},
    {.name = "add_run_with_unmapped_second_source_is_efault_with_progress",
     .stage = CREATED,
     .call = add_src_second_page_unmapped,
     .expect = EFAULT,
     .count = 0x1000},
    /* INIT */
    {.name = "init_before_create_is_einval",
     .stage = FRESH,
     .call = init_unsigned,
     .expect = EINVAL,
     .count = -1},
    {.name = "init_twice_is_einval",
     .stage = INITIALIZED,
     .call = init_unsigned,
     .expect = EINVAL,
     .count = -1},
    {.name = "init_arg_unreadable_is_efault",
     .stage = LOADED,
     .call = init_arg_unreadable,
     .expect = EFAULT,
     .count = -1},
    {.name = "init_sigstruct_unreadable_is_efault",
     .stage = LOADED,
     .call = init_sigstruct_unreadable,
     .expect = EFAULT,
     .count = -1},
    {.name = "init_unknown_vendor_is_einval",
     .stage = LOADED,
     .call = init_vendor,
     .expect = EINVAL,
     .count = -1},
    {.name = "init_reserved_attribute_under_mask_is_einval",
     .stage = LOADED,
     .call = init_attr_reserved,
     .expect = EINVAL,
     .count = -1},
    {.name = "init_reserved_miscselect_under_mask_is_einval",
     LOADED,
     init_misc_reserved,
     EINVAL,
     -1},
    {.name = "init_unsupported_xfrm_under_mask_is_einval",
     .stage = LOADED,
     .call = init_xfrm_reserved,
     .expect = EINVAL,
     .count = -1},
    /* PROVISION */
    {.name = "provision_arg_unreadable_is_efault",
     .stage = CREATED,
     .call = provision_arg_unreadable,
     .expect = EFAULT,
     .count = -1},
    {.name = "provision_with_enclave_fd_is_einval",
     .stage = CREATED,
     .call = provision_enclave_fd,
     .expect = EINVAL,
     .count = -1},
    {.name = "provision_with_unknown_fd_is_einval",
     .stage = CREATED,
     .call = provision_bad_fd,
     .expect = EINVAL,
     .count = -1},
    {.name = "provision_fd_is_truncated_to_unsigned_int",
     .stage = CREATED,
     .call = provision_fd_truncated,
     .expect = 0,
     .count = -1},
    /* general */
    {.name = "unknown_ioctl_is_enotty",
     .stage = CREATED,
     .call = unknown_ioctl,
     .expect = ENOTTY,
     .count = -1},
    {.name = "ioctl_on_provision_device_is_enotty",
     .stage = FRESH,
     .call = provision_device_ioctl,
     .expect = ENOTTY,
     .count = -1},
    /* mmap */
    {.name = "mmap_private_is_einval",
     .stage = LOADED,
     .call = mmap_private,
     .expect = EINVAL,
     .count = -1},
    {.name = "mmap_len_zero_is_einval",
     .stage = LOADED,
     .call = mmap_len_zero,
     .expect = EINVAL,
     .count = -1},
    {.name = "mmap_provision_device_is_enodev",
     .stage = FRESH,
     .call = mmap_provision,
     .expect = ENODEV,
     .count = -1},
    {.name = "mmap_with_read_implies_exec_is_eacces",
     .stage = LOADED,
     .call = mmap_read_implies_exec,
     .expect = EACCES,
     .count = -1,
     .read_implies_exec = true},
    {.name = "mmap_outside_enclave_after_init_is_eacces",
     INITIALIZED,
     mmap_outside_after_init,
     EACCES,
     -1},
    {.name = "mmap_past_enclave_end_after_init_is_eacces",
     .stage = INITIALIZED,
     .call = mmap_straddling_end_after_init,
     .expect = EACCES,
     .count = -1},
    {.name = "mmap_more_than_page_max_is_eacces",
     .stage = LOADED,
     .call = mmap_more_than_max,
     .expect = EACCES,
     .count = -1},
    {.name = "mmap_tcs_executable_is_eacces",
     .stage = LOADED,
     .call = mmap_tcs_exec,
     .expect = EACCES,
     .count = -1},
    {.name = "mmap_range_with_one_page_below_prot_is_eacces",
     LOADED,
     mmap_range_with_one_bad_page,
     EACCES,
     -1},
    {.name = "mmap_shared_writable_of_file_opened_readonly_is_eacces",
     .stage = FRESH,
     .call = mmap_writable_of_readonly_file,
     .expect = EACCES,
     .count = -1},
    {.name = "mmap_of_file_opened_writeonly_is_eacces",
     .stage = FRESH,
     .call = mmap_of_writeonly_file,
     .expect = EACCES,
     .count = -1},
    /* mprotect */
    {.name = "mprotect_writable_of_file_opened_readonly_is_eacces",
     .stage = FRESH,
     .call = mprotect_writable_of_readonly_file,
     .expect = EACCES,
     .count = -1},
    {.name = "mprotect_code_page_writable_is_eacces",
     .stage = LOADED,
     .call = mprotect_code_writable,
     .expect = EACCES,
     .count = -1},
    {.name = "mprotect_data_page_executable_is_eacces",
     .stage = INITIALIZED,
     .call = mprotect_data_exec,
     .expect = EACCES,
     .count = -1},
    {.name = "mprotect_beyond_source_prot_is_eacces_with_page_prot_source",
     CREATED,
     mprotect_rwx_capped_by_source,
     EACCES,
     -1,
     .page_prot_source = true,
     .prep = add_rwx_from_rw_source},
    {.name = "mprotect_unaligned_is_einval",
     .stage = LOADED,
     .call = mprotect_unaligned,
     .expect = EINVAL,
     .count = -1},
    {.name = "remove_pages_without_sgx2_is_enodev",
     .stage = INITIALIZED,
     .call = sgx2_without_sgx2,
     .expect = ENODEV,
     .count = -1},
};

static void stage_up(struct row_ctx *c, enum stage stage)
{
	struct sgx_sigstruct *s;

	if (stage == FRESH)
		return;
	dt_encl_add(&c->d, &c->e, OFF_TCS, 1, TCS, true);
	dt_encl_add(&c->d, &c->e, OFF_CODE, 1, REG(SGX_SECINFO_R | SGX_SECINFO_X), true);
	dt_encl_add(&c->d, &c->e, OFF_DATA, 1, REG(SGX_SECINFO_R | SGX_SECINFO_W), true);
	dt_encl_add(&c->d, &c->e, OFF_RONLY, 1, REG(SGX_SECINFO_R), false);
	dt_encl_finish_measure(&c->e);
	if (stage != INITIALIZED)
		return;
	s = calloc(1, sizeof(*s));
	dt_sign(s, c->e.mrenclave, SGX_ATTR_MODE64BIT, ~0ull, SGX_XFRM_LEGACY);
	assert_int_equal(dt_init_encl(&c->d, c->e.f, s), 0);
	free(s);
}

static void setup_row(struct row_ctx *c, const struct row *r)
{
	/* The SGX2 row runs on a platform without SGX2; everything else with it. */
	dt_setup(&c->d, 16ull << 20, r->call != sgx2_without_sgx2, false);
	if (r->page_prot_source)
		c->d.opts.config.page_prot = SOFTSGX_PAGE_PROT_SOURCE;
	c->d.opts.personality_read_implies_exec = r->read_implies_exec;
	dt_start(&c->d);
	if (r->stage == FRESH) {
		c->e.f = dt_open(&c->d);
		c->e.size = ESIZE;
		c->e.base = dt_reserve(ESIZE);
		dt_secs(&c->e.secs, c->e.base, ESIZE);
		c->e.page =
		    mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		return;
	}
	dt_encl_build(&c->d, &c->e, ESIZE, 0);
	if (r->stage == LOADED || r->stage == INITIALIZED)
		stage_up(c, r->stage);
}

static void run_row(const struct row *r)
{
	struct row_ctx *c = calloc(1, sizeof(*c));
	struct sgxk_enclave_info before, after;
	size_t free_before;
	long ret;

	setup_row(c, r);
	if (r->prep)
		r->prep(c);
	assert_int_equal(sgxk_enclave_info(c->e.f, &before), 0);
	free_before = sgxk_epc_free_pages(c->d.k);
	c->count = 0xdeadbeef;
	ret = r->call(c);
	if (ret != -r->expect)
		fail_msg("%s: got %ld, want %d", r->name, ret, -r->expect);
	assert_int_equal(sgxk_enclave_info(c->e.f, &after), 0);
	if (r->expect) {
		/* Pages a partial ADD_PAGES added before failing are the only change. */
		size_t progress =
		    r->count > 0 && r->count != 0xdeadbeef ? (size_t)r->count / 4096 : 0;

		if (sgxk_epc_free_pages(c->d.k) + progress != free_before)
			fail_msg("%s: EPC free pages %zu, were %zu, progress %zu pages", r->name,
				 sgxk_epc_free_pages(c->d.k), free_before, progress);
		assert_int_equal(after.created, before.created);
		assert_int_equal(after.initialized, before.initialized);
		assert_int_equal(after.attributes_mask, before.attributes_mask);
		assert_int_equal(after.nr_pages, before.nr_pages + progress);
	}
	if (r->count >= 0)
		assert_int_equal(c->count, (uint64_t)r->count);
	if (c->probe)
		assert_int_equal(sgxk_fault(c->d.k, c->probe, c->probe_access), c->probe_expect);
	dt_encl_free(&c->d, &c->e);
	dt_fini(&c->d);
	free(c);
}

static void test_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		print_message("[ ROW      ] %s\n", rows[i].name);
		run_row(&rows[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
