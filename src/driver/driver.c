/* SPDX-License-Identifier: MIT */
/*
 * The devices (arch/x86/kernel/cpu/sgx/driver.c): /dev/sgx_enclave (and the older
 * /dev/sgx/enclave), one enclave per open file, and /dev/sgx_provision, which only exists to
 * be passed to SGX_IOC_ENCLAVE_PROVISION.  Also the kernel instance itself: the EPC, the CPU
 * created over it, and the driver log.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

#include "softsgx/sgx_uapi.h"
#include "driver.h"

/* Synthetic inode numbers of the device nodes when the host has none. */
#define INO_SGX_ENCLAVE	  0x5347580001ull
#define INO_SGX_PROVISION 0x5347580002ull

void sgxk_log(struct sgxk *k, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (!k->opts.log && !getenv("SOFTSGX_DEBUG"))
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (k->opts.log)
		k->opts.log(k->opts.log_ctx, line);
	else
		fprintf(stderr, "softsgx: %s\n", line);
}

int sgxk_encl_forked(struct sgxk_encl *encl, const char *what)
{
	if (!(encl->flags & SGXK_ENCL_FORKED))
		return 0;
	sgxk_log(encl->k,
		 "sgx: %s refused: enclave %llu was inherited across fork and its EPC pages are "
		 "the parent's (a child cannot use its parent's enclaves here)",
		 what, (unsigned long long)encl->id);
	return -EINVAL;
}

struct lsm_enclave sgxk_lsm_enclave(const struct sgxk_encl *encl)
{
	struct lsm_enclave le = {.base = encl->base, .size = encl->size, .id = encl->id};

	return le;
}

/* SECINFO R/W/X as PROT_* (_calc_vm_trans). */
int sgxk_prot_of_secinfo(uint64_t flags)
{
	return ((flags & SGX_SECINFO_R) ? PROT_READ : 0) |
	       ((flags & SGX_SECINFO_W) ? PROT_WRITE : 0) |
	       ((flags & SGX_SECINFO_X) ? PROT_EXEC : 0);
}

/* dev of devtmpfs and of anon_inodefs on this host, for the files the hooks see. */
static void probe_devs(struct sgxk *k)
{
	struct stat st;
	int fd;

	k->dev_devtmpfs = stat("/dev", &st) ? 0 : st.st_dev;
	fd = epoll_create1(EPOLL_CLOEXEC);
	k->dev_anon = (fd >= 0 && !fstat(fd, &st)) ? st.st_dev : 0;
	if (fd >= 0)
		close(fd);
}

/* sgx_drv_init: the bits the platform reports become the reserved masks INIT checks. */
static void reserved_masks(struct sgxk *k)
{
	const struct sgx_platform *p = sgx_cpu_platform(k->cpu);

	k->misc_reserved = ~(uint64_t)p->miscselect | SGX_MISC_RESERVED_MASK;
	k->attributes_reserved = ~p->attributes | SGX_ATTR_RESERVED_MASK;
	k->xfrm_reserved = ~p->xfrm;
}

int sgxk_create(struct sgxk **out, const struct sgxk_options *opts, struct softsgx_err *err)
{
	struct sgx_platform platform;
	struct sgxk *k = calloc(1, sizeof(*k));
	int ret;

	*out = NULL;
	if (!k)
		return softsgx_fail(err, -ENOMEM, "kernel: out of memory");
	k->opts = *opts;
	k->epc_fd = -1;
	sgx_platform_default(&platform);
	if (opts->config.epc_size)
		platform.epc_size = opts->config.epc_size;
	platform.sgx2 = opts->config.sgx2;
	ret = sgxk_epc_map(k, platform.epc_size, err);
	if (ret)
		goto fail;
	ret = sgx_cpu_create(&k->cpu, &platform, k->epc, opts->root_secret, err);
	if (ret)
		goto fail;
	ret = sgxk_epc_init(k, err);
	if (ret)
		goto fail;
	ret = sgxk_proc_vmas_create(k);
	if (ret) {
		softsgx_fail(err, ret, "kernel: out of memory for the source-mapping reader");
		goto fail;
	}
	k->vmas = opts->vmas ? opts->vmas : &k->proc_provider;
	sgxk_mm_init(k);
	probe_devs(k);
	reserved_masks(k);
	*out = k;
	return 0;
fail:
	sgxk_destroy(k);
	return ret;
}

void sgxk_destroy(struct sgxk *k)
{
	if (!k)
		return;
	sgxk_mm_release_all(k);
	sgxk_proc_vmas_destroy(k);
	if (k->epc_free)
		sgxk_epc_fini(k);
	sgx_cpu_destroy(k->cpu);
	sgxk_epc_unmap(k);
	if (k->mmu.translate)
		pthread_rwlock_destroy(&k->mm_lock);
	free(k);
}

struct sgx_cpu *sgxk_cpu(struct sgxk *k)
{
	return k->cpu;
}

const struct sgx_mmu *sgxk_mmu(struct sgxk *k)
{
	return &k->mmu;
}

/* Lexical normalisation: repeated slashes, "." and ".." components. */
static bool normalize(const char *path, char *out, size_t size)
{
	size_t n = 0;

	if (!path || path[0] != '/')
		return false;
	while (*path) {
		size_t len;

		while (*path == '/')
			path++;
		len = strcspn(path, "/");
		if (!len)
			break;
		if (len == 1 && path[0] == '.') {
			/* skip */
		} else if (len == 2 && path[0] == '.' && path[1] == '.') {
			while (n && out[n - 1] != '/')
				n--;
			if (n)
				n--;
		} else {
			if (n + 1 + len + 1 > size)
				return false;
			out[n++] = '/';
			memcpy(out + n, path, len);
			n += len;
		}
		path += len;
	}
	out[n] = '\0';
	return true;
}

static int device_of(const char *path, enum lsm_device *dev, const char **canon)
{
	char norm[256];

	if (!normalize(path, norm, sizeof(norm)))
		return -ENOENT;
	if (!strcmp(norm, SGXK_DEV_ENCLAVE) || !strcmp(norm, SGXK_DEV_ENCLAVE_LEGACY)) {
		*dev = LSM_DEV_ENCLAVE;
		*canon =
		    !strcmp(norm, SGXK_DEV_ENCLAVE) ? SGXK_DEV_ENCLAVE : SGXK_DEV_ENCLAVE_LEGACY;
		return 0;
	}
	if (!strcmp(norm, SGXK_DEV_PROVISION)) {
		*dev = LSM_DEV_PROVISION;
		*canon = SGXK_DEV_PROVISION;
		return 0;
	}
	return -ENOENT;
}

bool sgxk_is_device(const char *path)
{
	enum lsm_device dev;
	const char *canon;

	return !device_of(path, &dev, &canon);
}

/* The inode the hooks see: the device node, or (inode = anon) a fresh anonymous inode. */
static void file_identity(struct sgxk *k, struct sgxk_file *f)
{
	struct stat st;

	f->lsm.device = f->device;
	f->lsm.path = f->path;
	if (k->opts.config.inode == SOFTSGX_INODE_ANON && f->device == LSM_DEV_ENCLAVE) {
		f->lsm.anon_inode = true;
		f->lsm.dev = k->dev_anon;
		f->lsm.ino = (ino_t)(atomic_fetch_add(&k->next_anon_ino, 1) + 1);
	} else if (!stat(f->path, &st) && S_ISCHR(st.st_mode)) {
		f->lsm.dev = st.st_dev;
		f->lsm.ino = st.st_ino;
	} else {
		f->lsm.dev = k->dev_devtmpfs;
		f->lsm.ino = f->device == LSM_DEV_ENCLAVE ? INO_SGX_ENCLAVE : INO_SGX_PROVISION;
	}
}

int sgxk_open(struct sgxk *k, const char *path, int flags, struct sgxk_file **out)
{
	struct sgxk_file *f;
	enum lsm_device dev;
	const char *canon;
	int ret;

	*out = NULL;
	if ((ret = device_of(path, &dev, &canon)))
		return ret;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->device = dev;
	f->accmode = flags & O_ACCMODE;
	snprintf(f->path, sizeof(f->path), "%s", canon);
	atomic_init(&f->refs, 1);
	file_identity(k, f);
	ret = security_file_open(k->opts.lsm, &k->opts.cred, &f->lsm, flags);
	if (ret) {
		free(f);
		return ret;
	}
	if (dev == LSM_DEV_ENCLAVE) {
		f->encl = sgxk_encl_alloc(k, f);
		if (!f->encl) {
			free(f);
			return -ENOMEM;
		}
	}
	sgxk_mm_add_file(k, f);
	*out = f;
	return 0;
}

struct sgxk_file *sgxk_file_get(struct sgxk_file *file)
{
	atomic_fetch_add(&file->refs, 1);
	return file;
}

/* The last close releases the enclave unless mappings still hold it (they hold the file). */
void sgxk_file_put(struct sgxk *k, struct sgxk_file *file)
{
	if (atomic_fetch_sub(&file->refs, 1) == 1)
		sgxk_mm_file_put(k, file);
}

static long enclave_ioctl(struct sgxk_encl *encl, unsigned int cmd, unsigned long arg)
{
	switch (cmd) {
	case SGX_IOC_ENCLAVE_CREATE:
		return sgxk_ioc_create(encl, arg);
	case SGX_IOC_ENCLAVE_ADD_PAGES:
		return sgxk_ioc_add_pages(encl, arg);
	case SGX_IOC_ENCLAVE_INIT:
		return sgxk_ioc_init(encl, arg);
	case SGX_IOC_ENCLAVE_PROVISION:
		return sgxk_ioc_provision(encl, arg);
	case SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS:
		return sgxk_ioc_restrict_permissions(encl, arg);
	case SGX_IOC_ENCLAVE_MODIFY_TYPES:
		return sgxk_ioc_modify_types(encl, arg);
	case SGX_IOC_ENCLAVE_REMOVE_PAGES:
		return sgxk_ioc_remove_pages(encl, arg);
	default:
		return -ENOTTY; /* -ENOIOCTLCMD, which the VFS turns into ENOTTY */
	}
}

/*
 * ioctl(2): security_file_ioctl first (do_vfs_ioctl), then sgx_ioctl, which lets one ioctl at
 * a time run on an enclave.  /dev/sgx_provision has no ioctls.
 */
long sgxk_ioctl(struct sgxk *k, struct sgxk_file *file, unsigned long cmd, unsigned long arg)
{
	unsigned int c = (unsigned int)cmd;
	struct sgxk_encl *encl = file->encl;
	bool busy = false;
	long ret;

	ret = security_file_ioctl(k->opts.lsm, &k->opts.cred, &file->lsm, c);
	if (ret)
		return ret;
	if (!encl)
		return -ENOTTY;
	if (!atomic_compare_exchange_strong(&encl->in_ioctl, &busy, true))
		return -EBUSY;
	/* Flags change only in ioctls (and in a fork child, single-threaded): no lock needed. */
	ret = sgxk_encl_forked(encl, "ioctl");
	/* SA_RESTART handlers ran when the ioctl returned: it starts again, as a restart would. */
	if (!ret)
		do
			ret = enclave_ioctl(encl, c, arg);
		while (ret == -SGXK_ERESTARTSYS);
	atomic_store(&encl->in_ioctl, false);
	return ret;
}

/*
 * fork(2).  Upstream, enclave VMAs are VM_DONTCOPY: the child inherits no enclave mapping,
 * while an inherited fd still names the parent's enclave.  Here every process has its own
 * kernel model and EPC, so a child cannot share its parent's enclaves: their mappings go (the
 * range is unmapped in the child, as VM_DONTCOPY leaves it), the files stay open, and an ioctl
 * or mmap on them is -EINVAL with a log line (the deviation: upstream would act on the
 * parent's enclave).  The child gets an EPC and a CPU of its own, so the enclaves it creates
 * never meet the parent's pages.
 *
 * The host calls prepare before fork and parent or child after it (pthread_atfork): every lock
 * of the model is held across the fork, so the child inherits none held by another thread.
 */
void sgxk_fork_prepare(struct sgxk *k)
{
	pthread_rwlock_wrlock(&k->mm_lock);
	for (struct sgxk_encl *e = k->encls; e; e = e->next)
		pthread_mutex_lock(&e->lock);
	sgxk_proc_vmas_fork_lock(k);
	pthread_mutex_lock(&k->epc_lock);
}

void sgxk_fork_parent(struct sgxk *k)
{
	pthread_mutex_unlock(&k->epc_lock);
	sgxk_proc_vmas_fork_unlock(k, false);
	for (struct sgxk_encl *e = k->encls; e; e = e->next)
		pthread_mutex_unlock(&e->lock);
	pthread_rwlock_unlock(&k->mm_lock);
}

/* The child's copy of a parent's enclave: no mapping, no page, unusable. */
static void orphan_enclave(struct sgxk *k, struct sgxk_encl *e)
{
	struct sgxk_page_table *pt = &e->pages;

	pthread_mutex_init(&e->lock, NULL);
	atomic_store(&e->in_ioctl, false);
	while (e->vmas) {
		struct sgxk_vma_area *a = e->vmas;

		e->vmas = a->next;
		munmap((void *)(uintptr_t)a->start, a->end - a->start);
		/* Nor do the page tables the CPU walks show it any more. */
		sgxk_pt_clear(&k->pt, a->start, a->end);
		free(a);
	}
	/* The pages are the parent's: forgotten, never EREMOVEd from here. */
	for (size_t i = 0; i < pt->cap; i++)
		free(pt->slots[i]);
	free(pt->slots);
	memset(pt, 0, sizeof(*pt));
	if (e->flags & SGXK_ENCL_CREATED)
		sgxk_log(k,
			 "sgx: fork: enclave %llu at %#llx stays the parent's; unmapped in the "
			 "child",
			 (unsigned long long)e->id, (unsigned long long)e->base);
	e->flags = SGXK_ENCL_FORKED;
}

int sgxk_fork_child(struct sgxk *k, struct softsgx_err *err)
{
	struct sgxk_file **fp = &k->files;
	struct sgxk_encl **ep = &k->encls;
	int ret;

	pthread_rwlock_init(&k->mm_lock, NULL);
	sgxk_proc_vmas_fork_unlock(k, true);
	k->opts.cred.pid = getpid();
	/* First, while the enclave ranges are still mapped: the new EPC must not land in them. */
	ret = sgxk_epc_fork(k, err);
	if (ret)
		sgxk_log(k,
			 "sgx: fork: no EPC of its own for the child (%s): enclaves cannot be "
			 "created in it",
			 err && err->msg[0] ? err->msg : "error");
	while (*fp) {
		struct sgxk_file *f = *fp;

		if (f->encl)
			orphan_enclave(k, f->encl);
		/* Held by mappings only (its fds were closed): nothing holds it now. */
		if (f->encl && atomic_load(&f->refs) == 0) {
			*fp = f->next;
			sgxk_encl_release(f->encl);
			free(f);
			continue;
		}
		fp = &f->next;
	}
	for (struct sgxk_file *f = k->files; f; f = f->next)
		if (f->encl) {
			*ep = f->encl;
			ep = &f->encl->next;
		}
	*ep = NULL;
	return ret;
}
