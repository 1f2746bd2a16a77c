/* SPDX-License-Identifier: MIT */
/*
 * The libc entry points a loader uses on the SGX devices, interposed with LD_PRELOAD.  Each
 * exported name is defined separately (open, open64, the fortified __open_2 ... ) because
 * callers bind to them separately.  A device path opens an emulated file in the kernel model
 * behind a real placeholder fd; every other call passes through to the next definition
 * (dlsym(RTLD_NEXT)).  Only the names in preload.map are exported: the rest of the emulator
 * stays invisible to the program.
 */
/*
 * Every name is defined as itself: no redirection of open to open64 and the like (meson
 * builds with _FILE_OFFSET_BITS=64, which would turn our `open` into a second `open64`).
 */
#undef _FILE_OFFSET_BITS

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "host.h"

#define EXPORT __attribute__((visibility("default")))

/* The next definition of a libc function, resolved once. */
#define REAL(name)                                                                                 \
	({                                                                                         \
		static __typeof__(name) *real_##name;                                              \
		if (!real_##name)                                                                  \
			real_##name = (__typeof__(name) *)dlsym(RTLD_NEXT, #name);                 \
		real_##name;                                                                       \
	})

/* Upstream registers misc devices; the minors are dynamic, these are the usual ones. */
#define SGX_MISC_MAJOR	    10
#define SGX_ENCLAVE_MINOR   125
#define SGX_PROVISION_MINOR 126

/*
 * Set while this thread runs the kernel model for an interposed call: the model's own mmap,
 * mprotect, munmap and stat calls bind to these same names and must reach libc, not recurse.
 */
static __thread int in_kernel __attribute__((tls_model("initial-exec")));

/*
 * ---- A section in the kernel model: no program handler runs on this thread meanwhile ----
 *
 * The model holds the driver's locks (mm_lock, an enclave's lock, the fd table's) with the
 * program's signals unblocked.  A program handler that ran on this thread in the middle and
 * used the same enclave (an ioctl, an mmap, an ECALL whose access to an SGX2 hole the fault
 * path EAUGs) would wait forever for a lock its own thread holds.  So a signal waits until the
 * section ends: a thread with our state (it has run ENCLU) defers it at no cost (trap.c), one
 * without blocks the asynchronous signals for the section.  The synchronous faults stay
 * deliverable, the emulation needs them.  in_kernel drops before a deferred signal comes in,
 * so the handler's own calls reach the model.  Sections nest.
 */
struct kernel_section {
	struct host_thread *t;
	sig_atomic_t prev;
	sigset_t old;
};

static void kernel_enter(struct kernel_section *s)
{
	static const int faults[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGSYS};
	sigset_t async;

	s->t = thread_peek();
	if (s->t) {
		s->prev = trap_kernel_begin(s->t);
	} else {
		sigfillset(&async);
		for (size_t i = 0; i < sizeof(faults) / sizeof(faults[0]); i++)
			sigdelset(&async, faults[i]);
		pthread_sigmask(SIG_BLOCK, &async, &s->old);
	}
	in_kernel++;
}

static void kernel_leave(struct kernel_section *s)
{
	in_kernel--;
	if (s->t)
		trap_kernel_end(s->t, s->prev);
	else
		pthread_sigmask(SIG_SETMASK, &s->old, NULL);
}

static void put_file(struct sgxk_file *file)
{
	struct kernel_section s;

	kernel_enter(&s);
	sgxk_file_put(host_kernel(), file);
	kernel_leave(&s);
}

static int fail_errno(int err)
{
	errno = err;
	return -1;
}

/*
 * ---- fork: the child's emulation is its own (kernel.h, sgxk_fork_child) ----
 *
 * Upstream the child inherits no enclave mapping (VM_DONTCOPY); here it also gets an EPC and
 * CPU of its own, so enclaves it builds never share pages with the parent's, and the enclaves
 * it inherited through open fds refuse ioctl and mmap.  pthread_atfork covers fork() and
 * everything in libc that forks; vfork and posix_spawn share or replace the address space and
 * run no handler, which is right for them.
 */
static struct sgxk *forking;
static struct kernel_section fork_section; /* under host_kernel_lock */

static void fork_prepare(void)
{
	struct kernel_section s;

	kernel_enter(&s);
	host_kernel_lock();
	fork_section = s;
	forking = host_kernel();
	if (forking)
		sgxk_fork_prepare(forking);
}

static void fork_parent(void)
{
	struct kernel_section s = fork_section;

	if (forking)
		sgxk_fork_parent(forking);
	host_kernel_unlock();
	kernel_leave(&s);
}

static void fork_child(void)
{
	struct kernel_section s = fork_section;
	struct softsgx_err err = {0};

	if (forking && sgxk_fork_child(forking, &err))
		host_warnf("fork: the child has no EPC of its own (%s): it cannot create enclaves",
			   err.msg[0] ? err.msg : "error");
	host_kernel_unlock();
	kernel_leave(&s);
}

__attribute__((constructor)) static void preload_fork_init(void)
{
	pthread_atfork(fork_prepare, fork_parent, fork_child);
}

/* ---- open ---- */

static bool is_device(int dirfd, const char *path)
{
	/* Relative names resolve against a directory we do not track: only absolute paths. */
	(void)dirfd;
	return !in_kernel && path && path[0] == '/' && sgxk_is_device(path);
}

/* A device open, in a kernel section: the fd, or -errno. */
static int open_emulated(const char *path, int flags)
{
	struct sgxk_file *file;
	struct sgxk *k;
	int fd, ret;

	ret = host_kernel_get(&k);
	if (!ret)
		ret = sgxk_open(k, path, flags, &file);
	if (ret)
		return ret;
	fd = REAL(open)("/dev/null", O_RDWR | (flags & O_CLOEXEC));
	if (fd < 0) {
		ret = -errno;
		sgxk_file_put(k, file);
		return ret;
	}
	ret = fdtable_add(fd, file, strstr(path, "provision") != NULL);
	if (ret) {
		REAL(close)(fd);
		sgxk_file_put(k, file);
		return ret;
	}
	return fd;
}

static int device_open(const char *path, int flags)
{
	struct kernel_section s;
	int ret;

	kernel_enter(&s);
	ret = open_emulated(path, flags);
	kernel_leave(&s);
	return ret < 0 ? fail_errno(-ret) : ret;
}

/* The mode argument of the variadic open variants, read in the variant itself. */
#define OPEN_MODE(flags)                                                                           \
	({                                                                                         \
		va_list _ap;                                                                       \
		mode_t _mode = 0;                                                                  \
		va_start(_ap, flags);                                                              \
		if (((flags)&O_CREAT) || ((flags)&__O_TMPFILE) == __O_TMPFILE)                     \
			_mode = va_arg(_ap, mode_t);                                               \
		va_end(_ap);                                                                       \
		_mode;                                                                             \
	})

/* Every variant: a device path opens an emulated file, anything else goes on to @real_call. */
#define OPEN_OR(dirfd, path, flags, real_call)                                                     \
	(is_device(dirfd, path) ? device_open(path, flags) : (real_call))

EXPORT int open(const char *path, int flags, ...)
{
	mode_t mode = OPEN_MODE(flags);

	return OPEN_OR(AT_FDCWD, path, flags, REAL(open)(path, flags, mode));
}

EXPORT int open64(const char *path, int flags, ...)
{
	mode_t mode = OPEN_MODE(flags);

	return OPEN_OR(AT_FDCWD, path, flags, REAL(open64)(path, flags, mode));
}

EXPORT int openat(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = OPEN_MODE(flags);

	return OPEN_OR(dirfd, path, flags, REAL(openat)(dirfd, path, flags, mode));
}

EXPORT int openat64(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = OPEN_MODE(flags);

	return OPEN_OR(dirfd, path, flags, REAL(openat64)(dirfd, path, flags, mode));
}

/* The fortified names (_FORTIFY_SOURCE): no mode, O_CREAT callers use the plain ones. */
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);

EXPORT int __open_2(const char *path, int flags)
{
	return OPEN_OR(AT_FDCWD, path, flags, REAL(__open_2)(path, flags));
}

EXPORT int __open64_2(const char *path, int flags)
{
	return OPEN_OR(AT_FDCWD, path, flags, REAL(__open64_2)(path, flags));
}

EXPORT int __openat_2(int dirfd, const char *path, int flags)
{
	return OPEN_OR(dirfd, path, flags, REAL(__openat_2)(dirfd, path, flags));
}

EXPORT int __openat64_2(int dirfd, const char *path, int flags)
{
	return OPEN_OR(dirfd, path, flags, REAL(__openat64_2)(dirfd, path, flags));
}

/* ---- close and the dup family: keep the table in step with the fd numbers ---- */

/* The table's entry for @fd, taken out of it. */
static struct sgxk_file *fd_remove(int fd)
{
	struct kernel_section s;
	struct sgxk_file *file;

	if (!fdtable_in_use())
		return NULL;
	kernel_enter(&s);
	file = fdtable_remove(fd);
	kernel_leave(&s);
	return file;
}

/* A reference to the file behind @fd, or NULL: not a device fd. */
static struct sgxk_file *fd_get(int fd, bool *provision)
{
	struct kernel_section s;
	struct sgxk_file *file;

	if (!fdtable_in_use())
		return NULL;
	kernel_enter(&s);
	file = fdtable_get(fd, provision);
	kernel_leave(&s);
	return file;
}

EXPORT int close(int fd)
{
	struct sgxk_file *file = fd_remove(fd);
	int ret = REAL(close)(fd);

	if (file) {
		int saved = errno;

		put_file(file);
		errno = saved;
	}
	return ret;
}

/* @newfd now refers to what @oldfd does: replace whatever the table said about @newfd. */
static void dup_done(int oldfd, int newfd)
{
	struct sgxk_file *gone, *file;
	struct kernel_section s;
	bool provision = false;

	if (newfd < 0 || !fdtable_in_use())
		return;
	kernel_enter(&s);
	gone = fdtable_remove(newfd);
	if (gone)
		sgxk_file_put(host_kernel(), gone);
	file = fdtable_get(oldfd, &provision);
	if (file && fdtable_add(newfd, file, provision))
		sgxk_file_put(host_kernel(), file);
	kernel_leave(&s);
}

EXPORT int dup(int fd)
{
	int ret = REAL(dup)(fd);

	dup_done(fd, ret);
	return ret;
}

EXPORT int dup2(int oldfd, int newfd)
{
	int ret = REAL(dup2)(oldfd, newfd);

	if (ret >= 0 && oldfd != newfd)
		dup_done(oldfd, ret);
	return ret;
}

EXPORT int dup3(int oldfd, int newfd, int flags)
{
	int ret = REAL(dup3)(oldfd, newfd, flags);

	dup_done(oldfd, ret);
	return ret;
}

static int fcntl_common(int (*real)(int, int, ...), int fd, int cmd, void *arg)
{
	int ret = real(fd, cmd, arg);

	if (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC)
		dup_done(fd, ret);
	return ret;
}

EXPORT int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	return fcntl_common(REAL(fcntl), fd, cmd, arg);
}

int fcntl64(int fd, int cmd, ...);

EXPORT int fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	return fcntl_common(REAL(fcntl64), fd, cmd, arg);
}

/* ---- ioctl, mmap, mprotect, munmap ---- */

EXPORT int ioctl(int fd, unsigned long cmd, ...)
{
	struct kernel_section s;
	struct sgxk_file *file;
	long ret = 0;
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (!fdtable_in_use())
		return REAL(ioctl)(fd, cmd, arg);
	kernel_enter(&s);
	file = fdtable_get(fd, NULL);
	if (file) {
		ret = sgxk_ioctl(host_kernel(), file, cmd, (unsigned long)arg);
		sgxk_file_put(host_kernel(), file);
	}
	kernel_leave(&s);
	if (!file)
		return REAL(ioctl)(fd, cmd, arg);
	if (ret < 0)
		return fail_errno((int)-ret);
	return (int)ret;
}

/* Both names: a device fd maps the enclave, anything else goes on to @real. */
static void *mmap_common(__typeof__(mmap) *real, void *addr, size_t len, int prot, int flags,
			 int fd, off_t off)
{
	struct kernel_section s;
	struct sgxk_file *file = NULL;
	void *p = MAP_FAILED;
	int err = 0;

	if ((flags & MAP_ANONYMOUS) || in_kernel || !fdtable_in_use())
		return real(addr, len, prot, flags, fd, off);
	kernel_enter(&s);
	file = fdtable_get(fd, NULL);
	if (file) {
		p = sgxk_mmap(host_kernel(), file, addr, len, prot, flags, off, &err);
		sgxk_file_put(host_kernel(), file);
	}
	kernel_leave(&s);
	if (!file)
		return real(addr, len, prot, flags, fd, off);
	if (p == MAP_FAILED) {
		errno = -err;
		return MAP_FAILED;
	}
	return p;
}

EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return mmap_common(REAL(mmap), addr, len, prot, flags, fd, off);
}

EXPORT void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return mmap_common(REAL(mmap64), addr, len, prot, flags, fd, off);
}

EXPORT int mprotect(void *addr, size_t len, int prot)
{
	struct sgxk *k = host_kernel();
	struct kernel_section s;
	int ret;

	if (!k || in_kernel)
		return REAL(mprotect)(addr, len, prot);
	kernel_enter(&s);
	ret = sgxk_mprotect(k, addr, len, prot);
	kernel_leave(&s);
	if (ret == SGXK_NOT_ENCLAVE)
		return REAL(mprotect)(addr, len, prot);
	if (ret < 0)
		return fail_errno(-ret);
	return 0;
}

EXPORT int munmap(void *addr, size_t len)
{
	struct sgxk *k = host_kernel();
	struct kernel_section s;
	int ret;

	if (!k || in_kernel)
		return REAL(munmap)(addr, len);
	kernel_enter(&s);
	ret = sgxk_munmap(k, addr, len);
	kernel_leave(&s);
	if (ret == SGXK_NOT_ENCLAVE)
		return REAL(munmap)(addr, len);
	if (ret < 0)
		return fail_errno(-ret);
	return 0;
}

/* ---- fstat and friends: the emulated fd is a character device ---- */

static int device_rdev(int fd, struct stat *st)
{
	bool provision = false;
	struct sgxk_file *file = fd_get(fd, &provision);

	if (!file)
		return 0;
	put_file(file);
	st->st_mode = S_IFCHR | 0660;
	st->st_rdev = makedev(SGX_MISC_MAJOR, provision ? SGX_PROVISION_MINOR : SGX_ENCLAVE_MINOR);
	return 0;
}

EXPORT int fstat(int fd, struct stat *st)
{
	int ret = REAL(fstat)(fd, st);

	if (!ret)
		device_rdev(fd, st);
	return ret;
}

EXPORT int fstat64(int fd, struct stat64 *st)
{
	int ret = REAL(fstat64)(fd, st);

	if (!ret)
		device_rdev(fd, (struct stat *)st);
	return ret;
}

EXPORT int fstatat(int dirfd, const char *path, struct stat *st, int flags)
{
	int ret = REAL(fstatat)(dirfd, path, st, flags);

	if (!ret && (flags & AT_EMPTY_PATH) && !path[0])
		device_rdev(dirfd, st);
	return ret;
}

EXPORT int fstatat64(int dirfd, const char *path, struct stat64 *st, int flags)
{
	int ret = REAL(fstatat64)(dirfd, path, st, flags);

	if (!ret && (flags & AT_EMPTY_PATH) && !path[0])
		device_rdev(dirfd, (struct stat *)st);
	return ret;
}

/* A device path that does not exist on this host: stat and access see a character device. */
static int device_stat(const char *path, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_mode = S_IFCHR | 0660;
	st->st_rdev = makedev(SGX_MISC_MAJOR,
			      strstr(path, "provision") ? SGX_PROVISION_MINOR : SGX_ENCLAVE_MINOR);
	st->st_nlink = 1;
	st->st_blksize = 4096;
	return 0;
}

EXPORT int stat(const char *path, struct stat *st)
{
	if (is_device(AT_FDCWD, path))
		return device_stat(path, st);
	return REAL(stat)(path, st);
}

EXPORT int stat64(const char *path, struct stat64 *st)
{
	if (is_device(AT_FDCWD, path))
		return device_stat(path, (struct stat *)st);
	return REAL(stat64)(path, st);
}

EXPORT int lstat(const char *path, struct stat *st)
{
	if (is_device(AT_FDCWD, path))
		return device_stat(path, st);
	return REAL(lstat)(path, st);
}

EXPORT int lstat64(const char *path, struct stat64 *st)
{
	if (is_device(AT_FDCWD, path))
		return device_stat(path, (struct stat *)st);
	return REAL(lstat64)(path, st);
}

EXPORT int access(const char *path, int mode)
{
	if (is_device(AT_FDCWD, path))
		return (mode & X_OK) ? fail_errno(EACCES) : 0;
	return REAL(access)(path, mode);
}

/* ---- getauxval: the substitute vDSO ---- */

unsigned long __getauxval(unsigned long type);

EXPORT unsigned long getauxval(unsigned long type)
{
	unsigned long base;

	if (type == AT_SYSINFO_EHDR) {
		base = host_vdso_base();
		if (base)
			return base;
	}
	return REAL(getauxval)(type);
}

EXPORT unsigned long __getauxval(unsigned long type)
{
	return getauxval(type);
}

/* ---- sigaltstack: ours stays installed on threads that entered an enclave ---- */

EXPORT int sigaltstack(const stack_t *ss, stack_t *old)
{
	int ret = thread_sigaltstack(ss, old);

	if (ret == -ENOSYS)
		return REAL(sigaltstack)(ss, old);
	if (ret < 0)
		return fail_errno(-ret);
	return 0;
}
