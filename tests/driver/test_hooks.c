/* SPDX-License-Identifier: MIT */
/*
 * The hook call sites of lsm-enclave-controls.md, observed with a recording module stacked
 * through the framework: which hook runs for which operation, with which arguments, in which
 * order relative to the driver's own checks, and that a denial is returned unchanged and
 * leaves nothing behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "module.h" /* lsm_stack_create_ops: a test module in the real framework */
#include "drvtest.h"

#define ESIZE  0x10000ull
#define REG(p) (SGX_SECINFO_TYPE(SGX_PT_REG) | (p))
#define TCS    SGX_SECINFO_TYPE(SGX_PT_TCS)

struct call {
	char hook[24];
	int prot, flags;
	unsigned int cmd;
	bool dirty, measured, src_anonymous, has_src, anon_inode, src_written, src_shared;
	char src_path[256];
	int src_prot;
	uint64_t base, ino;
	uint64_t attributes;
};

static struct rec {
	struct call calls[256];
	int n;
	const char *deny; /* hook name to deny with -EACCES */
} rec;

static struct call *record(const char *hook)
{
	struct call *c = &rec.calls[rec.n < 255 ? rec.n++ : 255];

	memset(c, 0, sizeof(*c));
	snprintf(c->hook, sizeof(c->hook), "%s", hook);
	return c;
}

static int verdict(const char *hook)
{
	return rec.deny && !strcmp(rec.deny, hook) ? -EACCES : 0;
}

static int r_init(void **priv, struct lsm_stack *s, const struct softsgx_config *cfg,
		  struct softsgx_err *err)
{
	(void)s;
	(void)cfg;
	(void)err;
	*priv = &rec;
	return 0;
}
static void r_destroy(void *priv)
{
	(void)priv;
}
static int r_file_open(void *p, const struct lsm_cred *cr, const struct lsm_file *f, int fl)
{
	struct call *c = record("file_open");

	(void)p;
	(void)cr;
	c->flags = fl;
	c->anon_inode = f->anon_inode;
	c->ino = f->ino;
	return verdict("file_open");
}
static int r_file_ioctl(void *p, const struct lsm_cred *cr, const struct lsm_file *f,
			unsigned int cmd)
{
	(void)p;
	(void)cr;
	(void)f;
	record("file_ioctl")->cmd = cmd;
	return verdict("file_ioctl");
}
static int r_mmap_file(void *p, const struct lsm_cred *cr, const struct lsm_file *f, int prot,
		       int flags)
{
	struct call *c = record("mmap_file");

	(void)p;
	(void)cr;
	(void)f;
	c->prot = prot;
	c->flags = flags;
	return verdict("mmap_file");
}
static int r_file_mprotect(void *p, const struct lsm_cred *cr, const struct lsm_file *f, int prot)
{
	(void)p;
	(void)cr;
	(void)f;
	record("file_mprotect")->prot = prot;
	return verdict("file_mprotect");
}
static int r_enclave_map(void *p, const struct lsm_cred *cr, const struct lsm_enclave *e, int prot,
			 bool dirty)
{
	struct call *c = record("enclave_map");

	(void)p;
	(void)cr;
	c->prot = prot;
	c->dirty = dirty;
	c->base = e->base;
	return verdict("enclave_map");
}
static int r_enclave_load(void *p, const struct lsm_cred *cr, const struct lsm_enclave *e,
			  const struct lsm_source *src, int prot, bool measured)
{
	struct call *c = record("enclave_load");

	(void)p;
	(void)cr;
	c->prot = prot;
	c->measured = measured;
	c->src_anonymous = src->anonymous;
	c->src_written = src->written;
	c->src_shared = src->shared;
	c->src_prot = src->prot;
	snprintf(c->src_path, sizeof(c->src_path), "%s", src->path ? src->path : "");
	c->base = e->base;
	return verdict("enclave_load");
}
static int r_enclave_init(void *p, const struct lsm_cred *cr, const struct lsm_enclave *e,
			  const struct sgx_sigstruct *s, const struct lsm_source *src,
			  const struct sgx_attributes *attrs)
{
	struct call *c = record("enclave_init");

	(void)p;
	(void)cr;
	(void)s;
	c->has_src = src != NULL;
	c->src_anonymous = src && src->anonymous;
	snprintf(c->src_path, sizeof(c->src_path), "%s", src && src->path ? src->path : "");
	c->attributes = attrs->flags;
	c->base = e->base;
	return verdict("enclave_init");
}
static int r_enclave_provision(void *p, const struct lsm_cred *cr, const struct lsm_enclave *e,
			       const struct lsm_file *f)
{
	(void)p;
	(void)cr;
	(void)e;
	(void)f;
	record("enclave_provision");
	return verdict("enclave_provision");
}

static const struct lsm_module_ops recorder = {
    .name = "recorder",
    .init = r_init,
    .destroy = r_destroy,
    .file_open = r_file_open,
    .file_ioctl = r_file_ioctl,
    .mmap_file = r_mmap_file,
    .file_mprotect = r_file_mprotect,
    .enclave_map = r_enclave_map,
    .enclave_load = r_enclave_load,
    .enclave_init = r_enclave_init,
    .enclave_provision = r_enclave_provision,
};

static void start(struct dt *d, bool sgx2, enum softsgx_inode_mode inode)
{
	const struct lsm_module_ops *ops[] = {&recorder};
	struct softsgx_err err = {0};

	dt_setup(d, 16ull << 20, sgx2, false);
	d->opts.config.inode = inode;
	if (lsm_stack_create_ops(&d->opts.lsm, ops, 1, &d->opts.config, &err))
		fail_msg("stack: %s", err.msg);
	dt_start(d);
	memset(&rec, 0, sizeof(rec));
}

static void stop(struct dt *d)
{
	struct lsm_stack *s = d->opts.lsm;

	dt_fini(d);
	lsm_stack_destroy(s);
}

/* The hooks called since @from, as "a,b,c". */
static const char *trail(int from)
{
	static char buf[1024];
	size_t n = 0;

	buf[0] = '\0';
	for (int i = from; i < rec.n; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s", i > from ? "," : "",
				      rec.calls[i].hook);
	return buf;
}

static void test_each_operation_calls_its_hooks_in_order(void **state)
{
	struct sgx_sigstruct *s = calloc(1, sizeof(*s));
	struct sgx_enclave_provision pa;
	struct sgxk_file *prov = NULL;
	struct dt d;
	struct dt_encl e;
	int mark, err = 0;
	void *m;

	(void)state;
	start(&d, true, SOFTSGX_INODE_CHARDEV);
	dt_encl_build(&d, &e, ESIZE, SGX_ATTR_PROVISIONKEY);
	assert_string_equal(trail(0), "file_open,file_ioctl");
	assert_int_equal(rec.calls[0].flags, O_RDWR);
	assert_int_equal(rec.calls[1].cmd, SGX_IOC_ENCLAVE_CREATE);

	mark = rec.n;
	dt_encl_add(&d, &e, 0, 1, TCS, true);
	dt_encl_add(&d, &e, 0x1000, 1, REG(SGX_SECINFO_R | SGX_SECINFO_X), false);
	assert_string_equal(trail(mark), "file_ioctl,enclave_load,file_ioctl,enclave_load");
	assert_int_equal(rec.calls[mark + 1].prot, PROT_READ | PROT_WRITE); /* TCS: RW */
	assert_true(rec.calls[mark + 1].measured);
	assert_true(rec.calls[mark + 1].src_anonymous);
	assert_int_equal(rec.calls[mark + 3].prot, PROT_READ | PROT_EXEC);
	assert_false(rec.calls[mark + 3].measured);
	assert_int_equal(rec.calls[mark + 3].base, e.base);

	mark = rec.n;
	assert_int_equal(sgxk_open(d.k, SGXK_DEV_PROVISION, O_RDONLY, &prov), 0);
	pa.fd = (uint64_t)dt_fd_of(&d, prov);
	assert_int_equal(sgxk_ioctl(d.k, e.f, SGX_IOC_ENCLAVE_PROVISION, (unsigned long)&pa), 0);
	assert_string_equal(trail(mark), "file_open,file_ioctl,enclave_provision");
	assert_int_equal(rec.calls[mark].flags, O_RDONLY);

	mark = rec.n;
	dt_encl_finish_measure(&e);
	dt_sign(s, e.mrenclave, SGX_ATTR_MODE64BIT | SGX_ATTR_PROVISIONKEY, ~0ull, SGX_XFRM_LEGACY);
	assert_int_equal(dt_init_encl(&d, e.f, s), 0);
	assert_string_equal(trail(mark), "file_ioctl,enclave_init");
	assert_true(rec.calls[mark + 1].has_src);
	assert_true(rec.calls[mark + 1].src_anonymous); /* calloc'd: heap memory */
	assert_int_equal(rec.calls[mark + 1].attributes,
			 SGX_ATTR_MODE64BIT | SGX_ATTR_PROVISIONKEY);

	mark = rec.n;
	m = sgxk_mmap(d.k, e.f, (void *)(uintptr_t)e.base, ESIZE, PROT_READ, MAP_SHARED | MAP_FIXED,
		      0, &err);
	assert_true(m != MAP_FAILED);
	assert_string_equal(trail(mark), "mmap_file,enclave_map");
	assert_int_equal(rec.calls[mark].prot, PROT_READ);
	assert_int_equal(rec.calls[mark].flags, MAP_SHARED | MAP_FIXED);
	assert_true(rec.calls[mark + 1].dirty); /* SGX2 and holes in the range */

	mark = rec.n;
	assert_int_equal(sgxk_mprotect(d.k, (uint8_t *)m + 0x1000, 0x1000, PROT_READ | PROT_EXEC),
			 0);
	assert_string_equal(trail(mark), "file_mprotect,enclave_map");
	assert_int_equal(rec.calls[mark + 1].prot, PROT_READ | PROT_EXEC);
	assert_false(rec.calls[mark + 1].dirty); /* one added page, no hole */

	dt_encl_free(&d, &e);
	sgxk_file_put(d.k, prov);
	stop(&d);
	free(s);
}

static void test_enclave_load_runs_once_per_source_mapping(void **state)
{
	struct dt d;
	struct dt_encl e;
	uint64_t count = 0;
	uint8_t *src;
	int mark;

	(void)state;
	start(&d, false, SOFTSGX_INODE_CHARDEV);
	dt_encl_build(&d, &e, ESIZE, 0);
	/* Eight pages: one mapping of four RW pages, then four R pages (a second VMA). */
	src = mmap(NULL, 0x8000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_int_equal(mprotect(src + 0x4000, 0x4000, PROT_READ), 0);
	mark = rec.n;
	assert_int_equal(
	    dt_add(&d, e.f, src, 0, 0x8000, REG(SGX_SECINFO_R), SGX_PAGE_MEASURE, &count), 0);
	assert_string_equal(trail(mark), "file_ioctl,enclave_load,enclave_load");
	munmap(src, 0x8000);
	dt_encl_free(&d, &e);
	stop(&d);
}

struct denial {
	const char *hook;
	const char *trail; /* hooks that ran, the denied one last */
};

static void test_a_denial_is_returned_and_changes_nothing(void **state)
{
	static const struct denial rows[] = {
	    {"file_ioctl", "file_ioctl"},
	    {"enclave_load", "file_ioctl,enclave_load"},
	    {"enclave_init", "file_ioctl,enclave_init"},
	    {"mmap_file", "mmap_file"},
	    {"enclave_map", "mmap_file,enclave_map"},
	};
	struct sgx_sigstruct *s = calloc(1, sizeof(*s));

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct sgxk_enclave_info before, after;
		struct dt d;
		struct dt_encl e;
		uint64_t count = 5;
		size_t free_before;
		long ret;
		int mark, err = 0;

		start(&d, false, SOFTSGX_INODE_CHARDEV);
		dt_encl_build(&d, &e, ESIZE, 0);
		dt_encl_add(&d, &e, 0, 1, TCS, true);
		dt_encl_finish_measure(&e);
		dt_sign(s, e.mrenclave, SGX_ATTR_MODE64BIT, ~0ull, SGX_XFRM_LEGACY);
		assert_int_equal(sgxk_enclave_info(e.f, &before), 0);
		free_before = sgxk_epc_free_pages(d.k);
		rec.deny = rows[i].hook;
		mark = rec.n;
		if (!strcmp(rows[i].hook, "enclave_init"))
			ret = dt_init_encl(&d, e.f, s);
		else if (!strncmp(rows[i].hook, "file_ioctl", 10) ||
			 !strcmp(rows[i].hook, "enclave_load"))
			ret =
			    dt_add(&d, e.f, e.page, 0x1000, 0x1000, REG(SGX_SECINFO_R), 0, &count);
		else
			ret = sgxk_mmap(d.k, e.f, (void *)(uintptr_t)e.base, 4096, PROT_READ,
					MAP_SHARED | MAP_FIXED, 0, &err) == MAP_FAILED
				  ? err
				  : 0;
		assert_int_equal(ret, -EACCES);
		assert_string_equal(trail(mark), rows[i].trail);
		assert_int_equal(sgxk_enclave_info(e.f, &after), 0);
		assert_int_equal(after.nr_pages, before.nr_pages);
		assert_int_equal(after.initialized, before.initialized);
		assert_int_equal(sgxk_epc_free_pages(d.k), free_before);
		if (!strcmp(rows[i].hook, "enclave_load"))
			assert_int_equal(count, 0); /* the loop had started: count written */
		if (!strcmp(rows[i].hook, "file_ioctl"))
			assert_int_equal(count, 0xdeadbeef); /* ioctl never ran */
		if (rows[i].hook[0] == 'm' || !strcmp(rows[i].hook, "enclave_map"))
			assert_int_equal(sgxk_fault(d.k, e.base, PROT_READ), SGXK_NOT_ENCLAVE);
		rec.deny = NULL;
		dt_encl_free(&d, &e);
		stop(&d);
	}
	free(s);
}

/* The driver's own refusals come first where upstream checks before the LSM would run. */
static void test_driver_checks_precede_the_later_hooks(void **state)
{
	struct sgx_sigstruct *s = calloc(1, sizeof(*s));
	struct dt d;
	struct dt_encl e;
	int mark, err = 0;
	void *m;

	(void)state;
	start(&d, false, SOFTSGX_INODE_CHARDEV);
	dt_encl_build(&d, &e, ESIZE, SGX_ATTR_PROVISIONKEY);
	dt_encl_add(&d, &e, 0x1000, 1, REG(SGX_SECINFO_R), true);
	dt_encl_finish_measure(&e);
	/* PROVISIONKEY without PROVISION: EACCES from the driver, enclave_init not asked. */
	dt_sign(s, e.mrenclave, SGX_ATTR_MODE64BIT | SGX_ATTR_PROVISIONKEY, ~0ull, SGX_XFRM_LEGACY);
	mark = rec.n;
	assert_int_equal(dt_init_encl(&d, e.f, s), -EACCES);
	assert_string_equal(trail(mark), "file_ioctl");
	/* A bad vendor: EINVAL before enclave_init. */
	s->header.vendor = 7;
	mark = rec.n;
	assert_int_equal(dt_init_encl(&d, e.f, s), -EINVAL);
	assert_string_equal(trail(mark), "file_ioctl");
	/* Above the page's max: EACCES from the cap, enclave_map not asked. */
	mark = rec.n;
	m = sgxk_mmap(d.k, e.f, (void *)(uintptr_t)(e.base + 0x1000), 4096, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_FIXED, 0, &err);
	assert_true(m == MAP_FAILED);
	assert_int_equal(err, -EACCES);
	assert_string_equal(trail(mark), "mmap_file");
	/* MAP_PRIVATE: mmap_file runs first (vm_mmap_pgoff), then EINVAL. */
	mark = rec.n;
	m = sgxk_mmap(d.k, e.f, NULL, 4096, PROT_READ, MAP_PRIVATE, 0, &err);
	assert_int_equal(err, -EINVAL);
	assert_string_equal(trail(mark), "mmap_file");
	/* An unknown ioctl still passes file_ioctl first. */
	mark = rec.n;
	assert_int_equal(sgxk_ioctl(d.k, e.f, 0xA4ff, 0), -ENOTTY);
	assert_string_equal(trail(mark), "file_ioctl");
	dt_encl_free(&d, &e);
	stop(&d);
	free(s);
}

/* The source mappings the hooks see: a file (path, prot, written or not) and anonymous memory. */
static void test_hooks_see_file_and_anonymous_sources(void **state)
{
	char path[] = "/var/tmp/softsgx-hooks-XXXXXX";
	struct sgx_sigstruct *s = calloc(1, sizeof(*s));
	struct dt d;
	struct dt_encl e;
	uint64_t count;
	uint8_t *ro, *rw;
	void *sigmap;
	int fd, mark;

	(void)state;
	start(&d, false, SOFTSGX_INODE_CHARDEV);
	dt_encl_build(&d, &e, ESIZE, 0);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 0x4000), 0);
	ro = mmap(NULL, 0x2000, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
	rw = mmap(NULL, 0x2000, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0x2000);
	assert_true(ro != MAP_FAILED && rw != MAP_FAILED);
	rw[0] = 1; /* a private file mapping that was written */
	mark = rec.n;
	assert_int_equal(dt_add(&d, e.f, ro, 0x1000, 0x1000, REG(SGX_SECINFO_R | SGX_SECINFO_X),
				SGX_PAGE_MEASURE, &count),
			 0);
	assert_int_equal(dt_add(&d, e.f, rw, 0x2000, 0x1000, REG(SGX_SECINFO_R | SGX_SECINFO_X),
				SGX_PAGE_MEASURE, &count),
			 0);
	assert_string_equal(trail(mark), "file_ioctl,enclave_load,file_ioctl,enclave_load");
	assert_false(rec.calls[mark + 1].src_anonymous);
	assert_string_equal(rec.calls[mark + 1].src_path, path);
	assert_int_equal(rec.calls[mark + 1].src_prot, PROT_READ | PROT_EXEC);
	assert_false(rec.calls[mark + 1].src_written);
	assert_false(rec.calls[mark + 1].src_shared);
	assert_false(rec.calls[mark + 3].src_anonymous);
	assert_true(rec.calls[mark + 3].src_written);
	/* A SIGSTRUCT read from a file mapping: enclave_init sees that file. */
	dt_sign(s, e.mrenclave, SGX_ATTR_MODE64BIT, ~0ull, SGX_XFRM_LEGACY);
	assert_int_equal(pwrite(fd, s, sizeof(*s), 0x3000), (ssize_t)sizeof(*s));
	sigmap = mmap(NULL, 0x1000, PROT_READ, MAP_SHARED, fd, 0x3000);
	assert_true(sigmap != MAP_FAILED);
	mark = rec.n;
	assert_int_equal(dt_init_encl(&d, e.f, sigmap), -EPERM); /* MRENCLAVE differs */
	assert_string_equal(trail(mark), "file_ioctl,enclave_init");
	assert_true(rec.calls[mark + 1].has_src);
	assert_false(rec.calls[mark + 1].src_anonymous);
	assert_string_equal(rec.calls[mark + 1].src_path, path);
	munmap(sigmap, 0x1000);
	munmap(ro, 0x2000);
	munmap(rw, 0x2000);
	close(fd);
	unlink(path);
	dt_encl_free(&d, &e);
	stop(&d);
	free(s);
}

static void test_inode_anon_gives_each_open_its_own_inode(void **state)
{
	struct sgxk_file *a = NULL, *b = NULL;
	struct dt d;

	(void)state;
	start(&d, false, SOFTSGX_INODE_ANON);
	assert_int_equal(sgxk_open(d.k, SGXK_DEV_ENCLAVE, O_RDWR, &a), 0);
	assert_int_equal(sgxk_open(d.k, SGXK_DEV_ENCLAVE, O_RDWR, &b), 0);
	assert_true(rec.calls[0].anon_inode && rec.calls[1].anon_inode);
	assert_true(rec.calls[0].ino != rec.calls[1].ino);
	sgxk_file_put(d.k, a);
	sgxk_file_put(d.k, b);
	stop(&d);

	start(&d, false, SOFTSGX_INODE_CHARDEV);
	assert_int_equal(sgxk_open(d.k, SGXK_DEV_ENCLAVE, O_RDWR, &a), 0);
	assert_int_equal(sgxk_open(d.k, "/dev/sgx/../sgx_enclave", O_RDWR, &b), 0);
	assert_false(rec.calls[0].anon_inode);
	assert_int_equal(rec.calls[0].ino, rec.calls[1].ino);
	sgxk_file_put(d.k, a);
	sgxk_file_put(d.k, b);
	/* A denied open creates nothing. */
	rec.deny = "file_open";
	a = NULL;
	assert_int_equal(sgxk_open(d.k, SGXK_DEV_ENCLAVE, O_RDWR, &a), -EACCES);
	assert_null(a);
	rec.deny = NULL;
	stop(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_each_operation_calls_its_hooks_in_order),
	    cmocka_unit_test(test_enclave_load_runs_once_per_source_mapping),
	    cmocka_unit_test(test_a_denial_is_returned_and_changes_nothing),
	    cmocka_unit_test(test_driver_checks_precede_the_later_hooks),
	    cmocka_unit_test(test_hooks_see_file_and_anonymous_sources),
	    cmocka_unit_test(test_inode_anon_gives_each_open_its_own_inode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
