/* SPDX-License-Identifier: MIT */
/*
 * The source mappings the kernel reads from /proc (the default provider): anonymous memory in
 * every disguise (private, shared anonymous, SysV, memfd), file mappings with their path,
 * device and inode, private file mappings that were written (COW pages), noexec mounts; and
 * the driver rules built on them: noexec -> EACCES for any page, page_prot = source.  Every
 * test runs twice: with PROCMAP_QUERY (Linux 6.11+) and with the /proc/self/maps snapshot that
 * older kernels get.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cmocka.h>

#include "driver.h" /* the kernel's own provider, k->vmas */
#include "drvtest.h"

#define REG(p) (SGX_SECINFO_TYPE(SGX_PT_REG) | (p))

static enum sgxk_vmas_mode mode; /* the group being run */

/* The provider of @d reads mappings the way this group tests. */
static void use_mode(struct dt *d)
{
	assert_int_equal(sgxk_proc_vmas_mode(d->k, &mode), mode);
}

static struct sgxk_vma *lookup(struct dt *d, const void *addr)
{
	static struct sgxk_vma v;
	const struct sgxk_vma_provider *p = d->k->vmas;

	assert_int_equal(p->refresh(p->ctx), 0);
	if (p->lookup(p->ctx, (uint64_t)(uintptr_t)addr, &v))
		return NULL;
	/* Only a kernel without the ioctl moves the provider from QUERY to MAPS. */
	assert_int_equal(sgxk_proc_vmas_mode(d->k, NULL), mode);
	return &v;
}

static char *scratch_file(char *path, size_t len, const char *dir)
{
	int fd;
	uint8_t page[4096];

	snprintf(path, len, "%s/softsgx-src-XXXXXX", dir);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	memset(page, 0x5A, sizeof(page));
	for (int i = 0; i < 4; i++)
		assert_int_equal(write(fd, page, sizeof(page)), (ssize_t)sizeof(page));
	close(fd);
	return path;
}

static void test_anonymous_memory_in_every_form_is_anonymous(void **state)
{
	struct dt d;
	struct sgxk_vma *v;
	void *priv, *shared, *sysv, *memfd_map;
	int shmid, mfd;

	(void)state;
	dt_init(&d, 16ull << 20, false);
	use_mode(&d);
	priv = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	shared = mmap(NULL, 8192, PROT_READ, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	shmid = shmget(IPC_PRIVATE, 8192, IPC_CREAT | 0600);
	assert_true(shmid >= 0);
	sysv = shmat(shmid, NULL, 0);
	shmctl(shmid, IPC_RMID, NULL);
	mfd = memfd_create("src", 0);
	assert_int_equal(ftruncate(mfd, 8192), 0);
	memfd_map = mmap(NULL, 8192, PROT_READ | PROT_EXEC, MAP_SHARED, mfd, 0);
	assert_true(memfd_map != MAP_FAILED);

	v = lookup(&d, (uint8_t *)priv + 4096);
	assert_non_null(v);
	assert_true(v->anonymous && !v->shared && !v->noexec && !v->written);
	assert_int_equal(v->prot, PROT_READ | PROT_WRITE);
	/* The kernel may merge the mapping with an adjacent anonymous one: it must cover it. */
	assert_true(v->start <= (uint64_t)(uintptr_t)priv);
	assert_true(v->end >= (uint64_t)(uintptr_t)priv + 8192);

	v = lookup(&d, shared);
	assert_true(v->anonymous && v->shared);
	assert_int_equal(v->prot, PROT_READ);
	v = lookup(&d, sysv);
	assert_true(v->anonymous && v->shared);
	v = lookup(&d, memfd_map);
	assert_true(v->anonymous && v->shared);
	assert_int_equal(v->prot, PROT_READ | PROT_EXEC);
	/* The stack and the heap are anonymous too. */
	v = lookup(&d, &v);
	assert_true(v->anonymous);

	munmap(priv, 8192);
	munmap(shared, 8192);
	shmdt(sysv);
	munmap(memfd_map, 8192);
	close(mfd);
	/* A fresh snapshot no longer sees what was unmapped. */
	assert_null(lookup(&d, priv));
	dt_fini(&d);
}

static void test_file_mappings_carry_path_inode_and_written_state(void **state)
{
	char path[256];
	struct stat st;
	struct dt d;
	struct sgxk_vma *v;
	uint8_t *ro, *rw;
	int fd;

	(void)state;
	dt_init(&d, 16ull << 20, false);
	use_mode(&d);
	scratch_file(path, sizeof(path), "/var/tmp");
	fd = open(path, O_RDONLY);
	assert_int_equal(fstat(fd, &st), 0);
	ro = mmap(NULL, 16384, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
	rw = mmap(NULL, 16384, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	assert_true(ro != MAP_FAILED && rw != MAP_FAILED);
	assert_int_equal(rw[5], 0x5A); /* read, not written: no COW page yet */

	v = lookup(&d, ro + 8192);
	assert_false(v->anonymous);
	assert_string_equal(v->path, path);
	assert_int_equal(v->ino, st.st_ino);
	assert_int_equal(v->dev, st.st_dev);
	assert_int_equal(v->prot, PROT_READ | PROT_EXEC);
	assert_false(v->written);
	v = lookup(&d, rw);
	assert_false(v->written);
	rw[4096] = 1; /* copy on write: the mapping gets an anonymous page */
	v = lookup(&d, rw);
	assert_true(v->written);
	assert_false(v->anonymous);
	/* The driver snapshot is per ioctl: an unwritten mapping next to it stays unwritten. */
	v = lookup(&d, ro);
	assert_false(v->written);

	munmap(ro, 16384);
	munmap(rw, 16384);
	close(fd);
	unlink(path);
	dt_fini(&d);
}

/* A private mount namespace with a noexec tmpfs: 0, or skip when the host forbids it. */
static int noexec_mount(char *dir, size_t len)
{
	snprintf(dir, len, "/tmp/softsgx-noexec-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("tmpfs", dir, "tmpfs", MS_NOEXEC, "size=1m")) {
		rmdir(dir);
		return -1;
	}
	return 0;
}

static void test_add_pages_from_a_noexec_mount_is_eacces_for_any_page(void **state)
{
	char dir[64], path[256];
	struct sgxk_enclave_info info;
	struct dt d;
	struct dt_encl e;
	struct sgxk_vma *v;
	uint64_t count = 7;
	uint8_t *src;
	int fd;

	(void)state;
	if (noexec_mount(dir, sizeof(dir))) {
		print_message("SKIP: cannot mount a noexec tmpfs here (%s)\n", strerror(errno));
		skip();
	}
	dt_init(&d, 16ull << 20, false);
	use_mode(&d);
	scratch_file(path, sizeof(path), dir);
	fd = open(path, O_RDONLY);
	src = mmap(NULL, 16384, PROT_READ, MAP_PRIVATE, fd, 0);
	assert_true(src != MAP_FAILED);
	v = lookup(&d, src);
	assert_true(v->noexec);
	dt_encl_build(&d, &e, 0x10000, 0);
	/* Upstream refuses any source VMA without VM_MAYEXEC, even for a data page. */
	assert_int_equal(
	    dt_add(&d, e.f, src, 0, 4096, REG(SGX_SECINFO_R), SGX_PAGE_MEASURE, &count), -EACCES);
	assert_int_equal(count, 0);
	assert_int_equal(dt_add(&d, e.f, src, 0, 4096, REG(SGX_SECINFO_R | SGX_SECINFO_X),
				SGX_PAGE_MEASURE, &count),
			 -EACCES);
	assert_int_equal(sgxk_enclave_info(e.f, &info), 0);
	assert_int_equal(info.nr_pages, 0);
	/* The same bytes from anonymous memory are fine. */
	memcpy(e.page, src, 4096);
	assert_int_equal(dt_add(&d, e.f, e.page, 0, 4096, REG(SGX_SECINFO_R | SGX_SECINFO_X),
				SGX_PAGE_MEASURE, &count),
			 0);
	dt_encl_free(&d, &e);
	munmap(src, 16384);
	close(fd);
	unlink(path);
	umount(dir);
	rmdir(dir);
	dt_fini(&d);
}

static void test_page_prot_source_caps_pages_at_the_source_mapping(void **state)
{
	char path[256];
	struct dt d;
	struct dt_encl e;
	uint64_t count;
	uint8_t *rx;
	int fd, err = 0;
	void *m;

	(void)state;
	dt_setup(&d, 16ull << 20, false, false);
	d.opts.config.page_prot = SOFTSGX_PAGE_PROT_SOURCE;
	dt_start(&d);
	use_mode(&d);
	scratch_file(path, sizeof(path), "/var/tmp");
	fd = open(path, O_RDONLY);
	rx = mmap(NULL, 16384, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
	assert_true(rx != MAP_FAILED);
	dt_encl_build(&d, &e, 0x10000, 0);
	/* Scenario 14: SECINFO R|W|X from an R|X mapping gives a page whose max is R|X. */
	assert_int_equal(dt_add(&d, e.f, rx, 0x1000, 4096,
				REG(SGX_SECINFO_R | SGX_SECINFO_W | SGX_SECINFO_X),
				SGX_PAGE_MEASURE, &count),
			 0);
	m = sgxk_mmap(d.k, e.f, (void *)(uintptr_t)(e.base + 0x1000), 4096,
		      PROT_READ | PROT_WRITE | PROT_EXEC, MAP_SHARED | MAP_FIXED, 0, &err);
	assert_true(m == MAP_FAILED);
	assert_int_equal(err, -EACCES);
	m = sgxk_mmap(d.k, e.f, (void *)(uintptr_t)(e.base + 0x1000), 4096, PROT_READ | PROT_EXEC,
		      MAP_SHARED | MAP_FIXED, 0, &err);
	assert_true(m != MAP_FAILED);
	assert_int_equal(sgxk_mprotect(d.k, m, 4096, PROT_READ | PROT_WRITE | PROT_EXEC), -EACCES);
	assert_int_equal(sgxk_mprotect(d.k, m, 4096, PROT_READ), 0);
	/* The TCS stays RW whatever its source: the CPU needs it so. */
	assert_int_equal(dt_add(&d, e.f, e.tcs, 0, 4096, SGX_SECINFO_TYPE(SGX_PT_TCS), 0, &count),
			 0);
	dt_encl_free(&d, &e);
	munmap(rx, 16384);
	close(fd);
	unlink(path);
	dt_fini(&d);
}

static void test_page_prot_secinfo_ignores_the_source_mapping(void **state)
{
	char path[256];
	struct dt d;
	struct dt_encl e;
	uint64_t count;
	uint8_t *ro;
	int fd, err = 0;
	void *m;

	(void)state;
	dt_init(&d, 16ull << 20, false);
	use_mode(&d);
	scratch_file(path, sizeof(path), "/var/tmp");
	fd = open(path, O_RDONLY);
	ro = mmap(NULL, 16384, PROT_READ, MAP_PRIVATE, fd, 0);
	dt_encl_build(&d, &e, 0x10000, 0);
	assert_int_equal(dt_add(&d, e.f, ro, 0x1000, 4096,
				REG(SGX_SECINFO_R | SGX_SECINFO_W | SGX_SECINFO_X),
				SGX_PAGE_MEASURE, &count),
			 0);
	m = sgxk_mmap(d.k, e.f, (void *)(uintptr_t)(e.base + 0x1000), 4096,
		      PROT_READ | PROT_WRITE | PROT_EXEC, MAP_SHARED | MAP_FIXED, 0, &err);
	assert_true(m != MAP_FAILED);
	dt_encl_free(&d, &e);
	munmap(ro, 16384);
	close(fd);
	unlink(path);
	dt_fini(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_anonymous_memory_in_every_form_is_anonymous),
	    cmocka_unit_test(test_file_mappings_carry_path_inode_and_written_state),
	    cmocka_unit_test(test_page_prot_source_caps_pages_at_the_source_mapping),
	    cmocka_unit_test(test_page_prot_secinfo_ignores_the_source_mapping),
	    /* Last: it moves the process into its own mount namespace. */
	    cmocka_unit_test(test_add_pages_from_a_noexec_mount_is_eacces_for_any_page),
	};

	struct utsname u;
	unsigned int major = 0, minor = 0;
	int failed;

	uname(&u);
	sscanf(u.release, "%u.%u", &major, &minor);
	if (major > 6 || (major == 6 && minor >= 11)) {
		mode = SGXK_VMAS_QUERY;
		failed = cmocka_run_group_tests_name("procmap_query", tests, NULL, NULL);
	} else {
		printf("SKIP procmap_query: kernel %s predates PROCMAP_QUERY (6.11); the provider "
		       "reads /proc/self/maps there, tested below\n",
		       u.release);
		failed = 0;
	}
	mode = SGXK_VMAS_MAPS;
	return failed + cmocka_run_group_tests_name("proc_maps_snapshot", tests, NULL, NULL);
}
