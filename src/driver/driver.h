/* SPDX-License-Identifier: MIT */
/*
 * The kernel model's internal structures, shared by the files of src/driver/ and nothing
 * else.  The split follows arch/x86/kernel/cpu/sgx/: driver.c (devices, files, ioctl
 * dispatch), ioctl.c (one function per ioctl), encl.c (enclave object and pages), mm.c
 * (mappings: mmap, mprotect, munmap, faults, the page tables the CPU sees), main.c (EPC),
 * vma.c (the /proc source-mapping reader), uaccess.c (copy_from_user/copy_to_user).
 *
 * Locking mirrors upstream: k->mm_lock plays mmap_lock (VMA lists of every enclave; read for
 * lookups, faults and page insertion, write for mmap/mprotect/munmap), encl->lock plays
 * encl->lock (page table, flags), k->epc_lock the EPC free list.  Order: mm_lock, encl->lock,
 * epc_lock.  encl->in_ioctl is the SGX_ENCL_IOCTL bit: concurrent ioctls get -EBUSY.
 */
#ifndef SOFTSGX_DRIVER_H
#define SOFTSGX_DRIVER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>

#include "softsgx/kernel.h"

#define SGXK_PAGE_MASK (~(uint64_t)(SGX_PAGE_SIZE - 1))
/* The kernel's ERESTARTSYS: internal, sgxk_ioctl restarts the ioctl and never returns it. */
#define SGXK_ERESTARTSYS 512
#define SGXK_PROT_RWX	 (PROT_READ | PROT_WRITE | PROT_EXEC)

/* One enclave page (struct sgx_encl_page). */
struct sgxk_page {
	uint64_t addr;	/* linear address, page-aligned */
	size_t epc;	/* EPC index */
	int max_prot;	/* vm_max_prot_bits as PROT_* */
	uint8_t type;	/* enum sgx_page_type as the driver tracks it */
	bool augmented; /* added by EAUG (SGX2): "dirty" for enclave_map */
};

/* Page table keyed by linear page number: open addressing, backward-shift deletion. */
struct sgxk_page_table {
	struct sgxk_page **slots;
	size_t cap; /* power of two */
	size_t nr;
};

/* A mapping of the enclave file (struct vm_area_struct of an enclave). */
struct sgxk_vma_area {
	uint64_t start, end;
	int prot;
	bool maywrite;		    /* VM_MAYWRITE: the file was opened for writing */
	struct sgxk_vma_area *next; /* sorted by start */
};

enum sgxk_encl_flag {
	SGXK_ENCL_CREATED = 1u << 0,
	SGXK_ENCL_INITIALIZED = 1u << 1,
	SGXK_ENCL_DEBUG = 1u << 2,
	SGXK_ENCL_DEAD = 1u << 3,
	/* Inherited across fork: its EPC pages are the parent's, the child may not use it. */
	SGXK_ENCL_FORKED = 1u << 4,
};

struct sgxk_encl {
	struct sgxk *k;
	struct sgxk_file *file; /* the open file this enclave belongs to */
	pthread_mutex_t lock;
	atomic_bool in_ioctl;
	unsigned int flags; /* enum sgxk_encl_flag, under lock */
	uint64_t id;
	uint64_t base, size;
	uint64_t attributes, attributes_mask;
	uint64_t xfrm;
	uint32_t miscselect;
	size_t secs_epc; /* EPC index of the SECS (valid when CREATED) */
	struct sgxk_page_table pages;
	struct sgxk_vma_area *vmas; /* under k->mm_lock */
	struct sgxk_encl *next;	    /* k->encls, under k->mm_lock */
};

struct sgxk_file {
	atomic_int refs;
	enum lsm_device device;
	int accmode; /* O_RDONLY, O_WRONLY or O_RDWR */
	char path[64];
	struct lsm_file lsm;
	struct sgxk_encl *encl; /* enclave device only */
	struct sgxk_file *next; /* k->files, under k->mm_lock */
};

/*
 * The page tables the emulated CPU walks (pgtable.c): a radix tree of 4 KiB nodes, leaf entries
 * (EPC index << 12) | SGXK_PTE_PRESENT | the mapping's PROT_* bits.  Lock-free read side.
 */
#define SGXK_PT_LEVELS	 5
#define SGXK_PT_ENTRIES	 512
#define SGXK_PTE_PRESENT (1u << 11)

struct sgxk_pt {
	_Atomic uint64_t e[SGXK_PT_ENTRIES];
};

/* The source-mapping snapshot the default provider keeps (vma.c). */
struct sgxk_proc_vmas;

struct sgxk {
	struct sgxk_options opts;
	struct sgx_cpu *cpu;
	struct sgx_mmu mmu;
	int epc_fd;   /* memfd backing the EPC */
	uint8_t *epc; /* the kernel's view of it */
	uint64_t epc_size;
	size_t nr_epc;

	pthread_mutex_t epc_lock;
	bool epc_lost; /* a fork child whose own EPC could not be made: nothing is allocated */
	size_t *epc_free; /* stack of free EPC indices */
	size_t nr_free;

	pthread_rwlock_t mm_lock;
	struct sgxk_pt pt; /* what the mappings show, as the CPU walks it (pgtable.c) */
	struct sgxk_encl *encls;
	struct sgxk_file *files;
	atomic_uint_fast64_t next_id;
	atomic_uint_fast64_t next_anon_ino;

	struct sgxk_vma_provider proc_provider;
	struct sgxk_proc_vmas *proc_vmas;
	const struct sgxk_vma_provider *vmas;
	dev_t dev_devtmpfs, dev_anon;

	/* The attribute/misc/xfrm bits the platform does not support (sgx_drv_init). */
	uint64_t attributes_reserved, xfrm_reserved;
	uint64_t misc_reserved;
};

/* driver.c */
void sgxk_log(struct sgxk *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* -EINVAL (and a log line naming @what) when @encl was inherited across fork. */
int sgxk_encl_forked(struct sgxk_encl *encl, const char *what);
struct lsm_enclave sgxk_lsm_enclave(const struct sgxk_encl *encl);
int sgxk_prot_of_secinfo(uint64_t secinfo_flags);

/* main.c: the EPC */
int sgxk_epc_map(struct sgxk *k, uint64_t size, struct softsgx_err *err);
void sgxk_epc_unmap(struct sgxk *k);
int sgxk_epc_init(struct sgxk *k, struct softsgx_err *err);
void sgxk_epc_fini(struct sgxk *k);
/* fork child: a fresh EPC and CPU (the parent's stay the parent's); epc_lock re-initialised. */
int sgxk_epc_fork(struct sgxk *k, struct softsgx_err *err);
int sgxk_epc_alloc(struct sgxk *k, size_t *index);
void sgxk_epc_free(struct sgxk *k, size_t index);
void *sgxk_epc_addr(struct sgxk *k, size_t index);
int sgxk_eremove(struct sgxk *k, size_t index);

/* encl.c */
struct sgxk_encl *sgxk_encl_alloc(struct sgxk *k, struct sgxk_file *file);
void sgxk_encl_release(struct sgxk_encl *encl);
struct sgxk_page *sgxk_page_lookup(const struct sgxk_encl *encl, uint64_t addr);
int sgxk_page_insert(struct sgxk_encl *encl, struct sgxk_page *page);
void sgxk_page_erase(struct sgxk_encl *encl, uint64_t addr);
/* Call @fn for every page in [start, end), stopping at the first non-zero return. */
int sgxk_encl_for_each_page(struct sgxk_encl *encl, uint64_t start, uint64_t end,
			    int (*fn)(struct sgxk_page *page, void *ctx), void *ctx);
int sgxk_encl_may_map(struct sgxk_encl *encl, uint64_t start, uint64_t end, int prot);
bool sgxk_encl_range_dirty(struct sgxk_encl *encl, uint64_t start, uint64_t end);
/* The PROT_* bits the EPCM grants the enclave on @page (0: PENDING, MODIFIED, TRIM...). */
int sgxk_page_epcm_prot(struct sgxk *k, const struct sgxk_page *page);

/* mm.c */
void sgxk_mm_init(struct sgxk *k);
/* Make @page visible in every mapping of its enclave (after EADD/EAUG or a max-prot change). */
void sgxk_mm_map_page(struct sgxk *k, struct sgxk_encl *encl, const struct sgxk_page *page);
/* Turn the page's linear address back into a hole in every mapping (zap). */
void sgxk_mm_zap_page(struct sgxk *k, struct sgxk_encl *encl, uint64_t addr);
void sgxk_mm_add_file(struct sgxk *k, struct sgxk_file *file);
/* The last reference is gone: release now unless mappings remain. */
void sgxk_mm_file_put(struct sgxk *k, struct sgxk_file *file);
/* sgxk_destroy: every mapping, enclave and file goes. */
void sgxk_mm_release_all(struct sgxk *k);

/* pgtable.c: lookups need no lock and are async-signal-safe; see the file's comment. */
uint64_t sgxk_pt_lookup(struct sgxk_pt *pt, uint64_t addr);
int sgxk_pt_set(struct sgxk_pt *pt, uint64_t addr, size_t epc, int prot);
void sgxk_pt_clear(struct sgxk_pt *pt, uint64_t start, uint64_t end);
void sgxk_pt_destroy(struct sgxk_pt *pt);

/* ioctl.c */
long sgxk_ioc_create(struct sgxk_encl *encl, unsigned long arg);
long sgxk_ioc_add_pages(struct sgxk_encl *encl, unsigned long arg);
long sgxk_ioc_init(struct sgxk_encl *encl, unsigned long arg);
long sgxk_ioc_provision(struct sgxk_encl *encl, unsigned long arg);
/* ioctl_sgx2.c */
long sgxk_ioc_restrict_permissions(struct sgxk_encl *encl, unsigned long arg);
long sgxk_ioc_modify_types(struct sgxk_encl *encl, unsigned long arg);
long sgxk_ioc_remove_pages(struct sgxk_encl *encl, unsigned long arg);
int sgxk_validate_offset_length(const struct sgxk_encl *encl, uint64_t offset, uint64_t length);

/* uaccess.c: the process's memory as copy_{from,to}_user sees it; -EFAULT when unmapped. */
int sgxk_copy_from_user(void *dst, uint64_t src, size_t len);
int sgxk_copy_to_user(uint64_t dst, const void *src, size_t len);
/*
 * Read the @nr pages at @src into the pages @dst[0..nr) (at most SGXK_COPY_PAGES_MAX): the
 * number of whole pages read, up to the first unreadable one (0 when the first fails).
 */
#define SGXK_COPY_PAGES_MAX 64
size_t sgxk_copy_pages_from_user(void *const *dst, uint64_t src, size_t nr);

/* vma.c: the default provider over /proc/self/{maps,smaps,mountinfo} */
int sgxk_proc_vmas_create(struct sgxk *k);
void sgxk_proc_vmas_destroy(struct sgxk *k);
/* fork: hold the snapshot's lock across it; release it (parent) or reset the snapshot (child). */
void sgxk_proc_vmas_fork_lock(struct sgxk *k);
void sgxk_proc_vmas_fork_unlock(struct sgxk *k, bool child);
/*
 * How the provider reads the mappings: PROCMAP_QUERY per lookup where the kernel has it
 * (falling back to MAPS for good at the first ENOTTY), or a /proc/self/maps snapshot per ioctl.
 * Tests force MAPS to cover the path older kernels take; the mode in use is returned.
 */
enum sgxk_vmas_mode { SGXK_VMAS_QUERY, SGXK_VMAS_MAPS };
enum sgxk_vmas_mode sgxk_proc_vmas_mode(struct sgxk *k, const enum sgxk_vmas_mode *set);

#endif
