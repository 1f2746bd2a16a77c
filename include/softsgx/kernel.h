/* SPDX-License-Identifier: MIT */
/*
 * The kernel model (src/driver/): the Linux SGX driver's devices, enclave objects, ioctls,
 * mmap/mprotect rules and EPC management, driving the emulated CPU and calling the security
 * hooks.  The host layer routes a program's system calls here; tests call it directly.
 * Every entry point returns what the upstream system call would: 0 (or a value) on success,
 * a negative errno on failure.
 */
#ifndef SOFTSGX_KERNEL_H
#define SOFTSGX_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "softsgx/config.h"
#include "softsgx/cpu.h"
#include "softsgx/err.h"
#include "softsgx/lsm.h"

struct sgxk;
struct sgxk_file;

#define SGXK_DEV_ENCLAVE	 "/dev/sgx_enclave"
#define SGXK_DEV_ENCLAVE_LEGACY	 "/dev/sgx/enclave"
#define SGXK_DEV_PROVISION	 "/dev/sgx_provision"

/* Returned by sgxk_mprotect/sgxk_munmap when the range touches no enclave mapping. */
#define SGXK_NOT_ENCLAVE 1

/*
 * What the kernel reads from a VMA, for ADD_PAGES sources and the SIGSTRUCT.  The default
 * provider reads /proc/self/maps, smaps and mountinfo once per ioctl; the host layer may keep
 * it current from the interposed mmap/mprotect/munmap calls instead.
 */
struct sgxk_vma {
	uint64_t start, end;
	int prot; /* PROT_* */
	bool shared;
	bool anonymous; /* no file, or an IS_PRIVATE inode (shmem, SysV, memfd, /dev/zero) */
	bool written; /* private file mapping with COW pages (vma->anon_vma) */
	bool noexec; /* !VM_MAYEXEC: the file's mount is noexec */
	dev_t dev;
	ino_t ino;
	char path[4096];
};

struct sgxk_vma_provider {
	void *ctx;
	/* Called once at the start of an ioctl that will look up sources. */
	int (*refresh)(void *ctx);
	/* The VMA containing @addr: 0, or -EFAULT when nothing is mapped there. */
	int (*lookup)(void *ctx, uint64_t addr, struct sgxk_vma *vma);
};

struct sgxk_options {
	struct softsgx_config config; /* platform, driver switches, security configuration */
	struct lsm_stack *lsm; /* NULL: no module, upstream behaviour */
	struct lsm_cred cred; /* the process as the hooks see it */
	const struct sgxk_vma_provider *vmas; /* NULL: the /proc reader */
	/* Resolve a process fd to an emulated file (PROVISION's argument); NULL: none resolve. */
	struct sgxk_file *(*fdget)(void *ctx, int fd);
	void *fdget_ctx;
	uint8_t root_secret[32]; /* platform key material (host layer keeps it in state_dir) */
	bool personality_read_implies_exec; /* READ_IMPLIES_EXEC: every enclave mmap -> EACCES */
	/*
	 * The protection key the host layer isolates enclave memory with, or 0 (none): every
	 * mapping the model makes of EPC pages carries it, so a page mapped by mmap, mprotect, a
	 * fault (EAUG) or an EPCM change has the key, as upstream a VMA keeps its key.
	 */
	int pkey;
	/*
	 * The driver log (pr_debug/pr_err of upstream: EINIT's SGX code, EREMOVE failures).  One
	 * line per call, no newline.  NULL: stderr when SOFTSGX_DEBUG is set, else nothing.
	 */
	void (*log)(void *ctx, const char *line);
	void *log_ctx;
};

int sgxk_create(struct sgxk **k, const struct sgxk_options *opts, struct softsgx_err *err);
void sgxk_destroy(struct sgxk *k);
struct sgx_cpu *sgxk_cpu(struct sgxk *k);
const struct sgx_mmu *sgxk_mmu(struct sgxk *k);

/* Free EPC pages right now (tests and the fuzzer check that teardown returns every page). */
size_t sgxk_epc_free_pages(struct sgxk *k);

/* What the kernel knows about the enclave of an open /dev/sgx_enclave file. */
struct sgxk_enclave_info {
	bool created, initialized, debug;
	uint64_t base, size;
	uint64_t attributes; /* SECS.ATTRIBUTES.FLAGS as created */
	uint64_t attributes_mask; /* allowed: the unprivileged set, + PROVISIONKEY after PROVISION */
	size_t secs_index; /* EPC index of the SECS (sgx_epc_page(sgxk_cpu(k), secs_index)) */
	size_t nr_pages; /* enclave pages, SECS not counted */
};
/* 0, or -EINVAL when @file is not an enclave file. */
int sgxk_enclave_info(struct sgxk_file *file, struct sgxk_enclave_info *info);

/* Whether @path names one of the emulated devices (after the usual path normalisation). */
bool sgxk_is_device(const char *path);

/* open(2) of a device path: 0 and *file, or -errno (file_open hook, -ENOENT for others). */
int sgxk_open(struct sgxk *k, const char *path, int flags, struct sgxk_file **file);
/*
 * References, as the kernel's struct file: a caller holds one across every call that takes a
 * file (as fdget does), so a concurrent close cannot free it mid-call.  A mapping also holds
 * the enclave: after the last put, the enclave lives until its last mapping is unmapped.
 */
struct sgxk_file *sgxk_file_get(struct sgxk_file *file); /* dup(2) */
void sgxk_file_put(struct sgxk *k, struct sgxk_file *file); /* close(2); last put releases */

long sgxk_ioctl(struct sgxk *k, struct sgxk_file *file, unsigned long cmd, unsigned long arg);

/* mmap(2) of a device file: the mapped address, or -errno in *err and MAP_FAILED. */
void *sgxk_mmap(struct sgxk *k, struct sgxk_file *file, void *addr, size_t len, int prot,
		int flags, off_t offset, int *err);
int sgxk_mprotect(struct sgxk *k, void *addr, size_t len, int prot);
int sgxk_munmap(struct sgxk *k, void *addr, size_t len);

/*
 * A fault at @addr with @access (PROT_*) in a range this kernel maps: 0 when it was resolved
 * (e.g. an SGX2 EAUG of a hole, the access can be retried), -EFAULT when it is an enclave
 * fault to report (SIGSEGV, EPCM), -SIGBUS-like -EIO when upstream would send SIGBUS,
 * SGXK_NOT_ENCLAVE when @addr is not enclave memory.
 */
int sgxk_fault(struct sgxk *k, uint64_t addr, int access);

/*
 * An enclave page's host mapping is the VMA's protections intersected with what the EPCM
 * grants (none while PENDING or MODIFIED).  The driver keeps it so across its own leaves
 * (EADD, EAUG, EMODPR, EMODT); after an ENCLU leaf that changes the EPCM (EACCEPT, EMODPE,
 * EACCEPTCOPY) the host calls this with the page's address.  Safe in the ENCLU trap handler
 * (no allocation), like sgxk_fault.
 */
void sgxk_epcm_changed(struct sgxk *k, uint64_t addr);

/*
 * fork(2), called by the host around fork (pthread_atfork order: prepare, then parent or
 * child).  Prepare holds every lock of the model across the fork.  In the child the inherited
 * enclaves are unusable, as upstream's VM_DONTCOPY leaves their mappings: their ranges are
 * unmapped, their files stay open, and ioctl or mmap on them is -EINVAL (logged); the child
 * gets an EPC and CPU of its own (same platform and root secret), so its enclaves never share
 * pages with the parent's.  sgxk_fork_child returns 0, or -errno when the child's EPC could
 * not be made (it can then create no enclave: -ENOMEM).
 */
void sgxk_fork_prepare(struct sgxk *k);
void sgxk_fork_parent(struct sgxk *k);
int sgxk_fork_child(struct sgxk *k, struct softsgx_err *err);

#endif
