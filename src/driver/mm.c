/* SPDX-License-Identifier: MIT */
/*
 * The enclave's mappings: mmap, mprotect, munmap and faults of the enclave file
 * (sgx_mmap, sgx_vma_mprotect, sgx_vma_fault), and the page tables the emulated CPU walks.
 *
 * The process view is real memory: an enclave page is the EPC memfd page mapped MAP_SHARED at
 * its enclave address with the VMA's protections, which the host layer lets code execute
 * natively.  A page a VMA may not show (no EPC page yet, or the VMA asks more than the page's
 * max protections) is an anonymous PROT_NONE reservation, so a touch faults and reaches
 * sgxk_fault: EAUG for an SGX2 hole, SIGBUS otherwise, as upstream.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "driver.h"

#define PROT_SEM_BIT 0x8 /* PROT_SEM, which glibc does not define on x86 */
#define PROT_VALID   (SGXK_PROT_RWX | PROT_SEM_BIT | PROT_GROWSDOWN | PROT_GROWSUP)

static void *reserve(uint64_t start, uint64_t len, int extra_flags)
{
	return mmap((void *)(uintptr_t)start, len, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | extra_flags, -1, 0);
}

/*
 * mm_lock for writing, with every signal the program may handle blocked while it is held: a
 * handler on this thread must never find the VMA lists half-changed (sgxk_fault, an ENCLU),
 * as a signal handler never runs in the middle of a system call.  Synchronous faults cannot
 * be blocked (the kernel would kill the process); the host layer keeps them unblocked anyway.
 */
static void mm_write_lock(struct sgxk *k, sigset_t *old)
{
	sigset_t all;

	sigfillset(&all);
	sigdelset(&all, SIGSEGV);
	sigdelset(&all, SIGBUS);
	sigdelset(&all, SIGILL);
	sigdelset(&all, SIGFPE);
	pthread_sigmask(SIG_BLOCK, &all, old);
	pthread_rwlock_wrlock(&k->mm_lock);
}

static void mm_write_unlock(struct sgxk *k, const sigset_t *old)
{
	pthread_rwlock_unlock(&k->mm_lock);
	pthread_sigmask(SIG_SETMASK, old, NULL);
}

static off_t epc_offset(struct sgxk *k, size_t index)
{
	return (off_t)((uint8_t *)sgxk_epc_addr(k, index) - k->epc);
}

/*
 * EPC pages from @epc at @at, replacing what was there in one mmap, then given the host's
 * protection key (opts.pkey): a new mapping has key 0, which host code may touch, until then.
 * Keying the page before it is shown would make a thread running enclave code there fault.
 */
static void map_epc(struct sgxk *k, uint64_t at, size_t len, int prot, size_t epc)
{
	void *p = (void *)(uintptr_t)at;

	if (mmap(p, len, prot, MAP_SHARED | MAP_FIXED, k->epc_fd, epc_offset(k, epc)) != MAP_FAILED &&
	    k->opts.pkey > 0)
		syscall(SYS_pkey_mprotect, p, len, prot, k->opts.pkey);
}

/*
 * The CPU's page tables (pgtable.c) follow what a mapping with @prot shows at @addr: the page
 * with the VMA's protections, or nothing.  (The host mapping may be narrower: it also follows
 * the EPCM, which the CPU checks itself.)
 */
static void pt_show(struct sgxk *k, const struct sgxk_page *page, uint64_t addr, int prot)
{
	if (page && !(prot & SGXK_PROT_RWX & ~page->max_prot))
		sgxk_pt_set(&k->pt, addr, page->epc, prot);
	else
		sgxk_pt_clear(&k->pt, addr, addr + SGX_PAGE_SIZE);
}

/* Show one page at @addr through a mapping with @prot (or a hole when @prot is too much). */
static void show_page(struct sgxk *k, const struct sgxk_page *page, uint64_t addr, int prot)
{
	/* The VMA's protections as far as the EPCM grants them (sgxk_page_epcm_prot). */
	if (page && !(prot & SGXK_PROT_RWX & ~page->max_prot))
		map_epc(k, addr, SGX_PAGE_SIZE, prot & SGXK_PROT_RWX & sgxk_page_epcm_prot(k, page),
			page->epc);
	else
		reserve(addr, SGX_PAGE_SIZE, MAP_FIXED);
	pt_show(k, page, addr, prot);
}

/*
 * Runs of pages mapped with one system call each: EPC pages contiguous both at their enclave
 * addresses and in the EPC, or holes.  Each run replaces what was there in one mmap, so a
 * thread touching the range never sees a page vanish in between (mprotect of live code).
 */
enum run_kind {
	RUN_NONE,
	RUN_PAGES,
	RUN_HOLE,
};

struct populate {
	struct sgxk *k;
	int prot;
	enum run_kind kind;
	int run_prot; /* RUN_PAGES: prot & what the EPCM grants, the same for the whole run */
	uint64_t run_addr;
	size_t run_epc, run_len;
};

static void flush_run(struct populate *p)
{
	if (p->kind == RUN_PAGES)
		map_epc(p->k, p->run_addr, p->run_len * SGX_PAGE_SIZE, p->run_prot, p->run_epc);
	else if (p->kind == RUN_HOLE)
		reserve(p->run_addr, p->run_len * SGX_PAGE_SIZE, MAP_FIXED);
	/* The CPU's page tables, once the run is in place (pt_show). */
	for (size_t i = 0; p->kind == RUN_PAGES && i < p->run_len; i++)
		sgxk_pt_set(&p->k->pt, p->run_addr + i * SGX_PAGE_SIZE, p->run_epc + i, p->prot);
	if (p->kind == RUN_HOLE)
		sgxk_pt_clear(&p->k->pt, p->run_addr, p->run_addr + p->run_len * SGX_PAGE_SIZE);
	p->kind = RUN_NONE;
	p->run_len = 0;
}

static void populate_at(struct populate *p, uint64_t addr, const struct sgxk_page *page)
{
	/* A page whose max is below the mapping's prot stays a hole: SIGBUS on touch. */
	bool shown = page && !(p->prot & SGXK_PROT_RWX & ~page->max_prot);
	enum run_kind kind = shown ? RUN_PAGES : RUN_HOLE;
	int prot = shown ? p->prot & SGXK_PROT_RWX & sgxk_page_epcm_prot(p->k, page) : 0;

	if (p->kind == kind && addr == p->run_addr + p->run_len * SGX_PAGE_SIZE &&
	    (!shown || (page->epc == p->run_epc + p->run_len && prot == p->run_prot))) {
		p->run_len++;
		return;
	}
	flush_run(p);
	p->kind = kind;
	p->run_addr = addr;
	p->run_epc = shown ? page->epc : 0;
	p->run_prot = prot;
	p->run_len = 1;
}

static int populate_page(struct sgxk_page *page, void *ctx)
{
	struct populate *p = ctx;

	if (!(p->prot & SGXK_PROT_RWX & ~page->max_prot))
		populate_at(p, page->addr, page);
	return 0;
}

/* Above this many pages a range is walked through the page table, not address by address. */
#define POPULATE_WALK_MAX 65536

/* The process view of [start, end) through a mapping with @prot; encl->lock held. */
static void populate(struct sgxk *k, struct sgxk_encl *encl, uint64_t start, uint64_t end, int prot)
{
	struct populate p = {.k = k, .prot = prot, .kind = RUN_NONE};
	uint64_t nr = (end - start) / SGX_PAGE_SIZE;
	sigset_t old;

	/* Each page's EPCM is read (sgxk_page_epcm_prot): one signal mask change for them all. */
	sgx_cpu_block_signals(&old);
	if (nr <= POPULATE_WALK_MAX || nr <= encl->pages.cap) {
		for (uint64_t a = start; a < end; a += SGX_PAGE_SIZE)
			populate_at(&p, a, sgxk_page_lookup(encl, a));
	} else {
		/* A large, sparse reservation: holes first, then the few pages. */
		reserve(start, end - start, MAP_FIXED);
		sgxk_pt_clear(&k->pt, start, end);
		sgxk_encl_for_each_page(encl, start, end, populate_page, &p);
	}
	flush_run(&p);
	sgx_cpu_restore_signals(&old);
}

void sgxk_mm_map_page(struct sgxk *k, struct sgxk_encl *encl, const struct sgxk_page *page)
{
	for (struct sgxk_vma_area *a = encl->vmas; a; a = a->next)
		if (page->addr >= a->start && page->addr < a->end)
			show_page(k, page, page->addr, a->prot);
}

void sgxk_mm_zap_page(struct sgxk *k, struct sgxk_encl *encl, uint64_t addr)
{
	for (struct sgxk_vma_area *a = encl->vmas; a; a = a->next)
		if (addr >= a->start && addr < a->end)
			show_page(k, NULL, addr, a->prot);
}

/* The VMA containing @addr in any enclave; mm_lock held. */
static struct sgxk_vma_area *find_vma(struct sgxk *k, uint64_t addr, struct sgxk_encl **out)
{
	for (struct sgxk_encl *e = k->encls; e; e = e->next)
		for (struct sgxk_vma_area *a = e->vmas; a && a->start <= addr; a = a->next)
			if (addr < a->end) {
				*out = e;
				return a;
			}
	return NULL;
}

/* The first enclave VMA intersecting [start, end), lowest start first; mm_lock held. */
static struct sgxk_vma_area *first_overlap(struct sgxk *k, uint64_t start, uint64_t end,
					   struct sgxk_encl **out)
{
	struct sgxk_vma_area *best = NULL;

	for (struct sgxk_encl *e = k->encls; e; e = e->next)
		for (struct sgxk_vma_area *a = e->vmas; a && a->start < end; a = a->next)
			if (a->end > start && (!best || a->start < best->start)) {
				best = a;
				*out = e;
			}
	return best;
}

static void vma_link(struct sgxk_encl *encl, struct sgxk_vma_area *n)
{
	struct sgxk_vma_area **pp = &encl->vmas;

	while (*pp && (*pp)->start < n->start)
		pp = &(*pp)->next;
	n->next = *pp;
	*pp = n;
}

/* Split so that @addr is a VMA boundary (split_vma). */
static int vma_split(struct sgxk_encl *encl, uint64_t addr)
{
	for (struct sgxk_vma_area *a = encl->vmas; a; a = a->next) {
		struct sgxk_vma_area *b;

		if (addr <= a->start || addr >= a->end)
			continue;
		b = malloc(sizeof(*b));
		if (!b)
			return -ENOMEM;
		*b = *a;
		b->start = addr;
		a->end = addr;
		a->next = b;
		return 0;
	}
	return 0;
}

/* Forget the VMAs of @encl inside [start, end) (the memory itself is handled by the caller). */
static int vma_remove(struct sgxk_encl *encl, uint64_t start, uint64_t end)
{
	struct sgxk_vma_area **pp = &encl->vmas;
	int ret = vma_split(encl, start);

	if (!ret)
		ret = vma_split(encl, end);
	if (ret)
		return ret;
	while (*pp) {
		struct sgxk_vma_area *a = *pp;

		if (a->start >= start && a->end <= end) {
			*pp = a->next;
			free(a);
		} else {
			pp = &a->next;
		}
	}
	return 0;
}

/* Merge neighbours with equal protections, as vma_merge would. */
static void vma_merge(struct sgxk_encl *encl)
{
	for (struct sgxk_vma_area *a = encl->vmas; a && a->next;) {
		struct sgxk_vma_area *b = a->next;

		if (a->end == b->start && a->prot == b->prot && a->maywrite == b->maywrite) {
			a->end = b->end;
			a->next = b->next;
			free(b);
		} else {
			a = b;
		}
	}
}

static void unlink_file(struct sgxk *k, struct sgxk_file *file)
{
	struct sgxk_file **fp = &k->files;
	struct sgxk_encl **ep = &k->encls;

	while (*fp && *fp != file)
		fp = &(*fp)->next;
	if (*fp)
		*fp = file->next;
	while (file->encl && *ep && *ep != file->encl)
		ep = &(*ep)->next;
	if (file->encl && *ep)
		*ep = file->encl->next;
}

/* Release a file whose last reference and last mapping are gone; mm_lock held for writing. */
static void maybe_release(struct sgxk *k, struct sgxk_file *file)
{
	if (atomic_load(&file->refs) > 0 || (file->encl && file->encl->vmas))
		return;
	unlink_file(k, file);
	if (file->encl)
		sgxk_encl_release(file->encl);
	free(file);
}

void sgxk_mm_file_put(struct sgxk *k, struct sgxk_file *file)
{
	sigset_t old;

	mm_write_lock(k, &old);
	maybe_release(k, file);
	mm_write_unlock(k, &old);
}

void sgxk_mm_add_file(struct sgxk *k, struct sgxk_file *file)
{
	sigset_t old;

	mm_write_lock(k, &old);
	file->next = k->files;
	k->files = file;
	if (file->encl) {
		file->encl->next = k->encls;
		k->encls = file->encl;
	}
	mm_write_unlock(k, &old);
}

/* Drop every enclave VMA inside [start, end), releasing enclaves left without users. */
static void unmap_enclave_range(struct sgxk *k, uint64_t start, uint64_t end)
{
	struct sgxk_encl *e = k->encls, *next;

	for (; e; e = next) {
		next = e->next;
		if (!e->vmas)
			continue;
		vma_remove(e, start, end);
		if (!e->vmas)
			maybe_release(k, e->file);
	}
}

static int check_map(struct sgxk *k, struct sgxk_file *file, uint64_t start, uint64_t end, int prot)
{
	struct sgxk_encl *encl = file->encl;
	struct lsm_enclave le;
	int ret = sgxk_encl_may_map(encl, start, end, prot);

	if (ret)
		return ret;
	le = sgxk_lsm_enclave(encl);
	return security_enclave_map(k->opts.lsm, &k->opts.cred, &le, prot,
				    sgxk_encl_range_dirty(encl, start, end));
}

static int do_mmap(struct sgxk *k, struct sgxk_file *file, uint64_t hint, uint64_t len, int prot,
		   int flags, uint64_t *out)
{
	struct sgxk_encl *encl = file->encl;
	struct sgxk_vma_area *a;
	uint64_t start = hint;
	int ret;

	if (flags & MAP_FIXED) {
		if ((ret = check_map(k, file, start, start + len, prot)))
			return ret;
		if (reserve(start, len, MAP_FIXED) == MAP_FAILED)
			return -errno;
		sgxk_pt_clear(&k->pt, start, start + len);
		unmap_enclave_range(k, start, start + len);
	} else {
		void *p = reserve(hint, len, flags & MAP_FIXED_NOREPLACE);

		if (p == MAP_FAILED)
			return -errno;
		start = (uint64_t)(uintptr_t)p;
		if ((ret = check_map(k, file, start, start + len, prot))) {
			munmap(p, len);
			return ret;
		}
	}
	a = calloc(1, sizeof(*a));
	if (!a) {
		munmap((void *)(uintptr_t)start, len);
		return -ENOMEM;
	}
	a->start = start;
	a->end = start + len;
	a->prot = prot;
	a->maywrite = file->accmode != O_RDONLY;
	pthread_mutex_lock(&encl->lock);
	vma_link(encl, a);
	populate(k, encl, a->start, a->end, prot);
	pthread_mutex_unlock(&encl->lock);
	*out = start;
	return 0;
}

/*
 * mmap(2) of a device file.  Order as in vm_mmap_pgoff: security_mmap_file, then do_mmap's
 * checks, get_unmapped_area (sgx_get_unmapped_area refuses MAP_PRIVATE) and sgx_mmap
 * (sgx_encl_may_map), then enclave_map.
 */
void *sgxk_mmap(struct sgxk *k, struct sgxk_file *file, void *addr, size_t len, int prot, int flags,
		off_t offset, int *err)
{
	uint64_t hint = (uint64_t)(uintptr_t)addr, out = 0;
	sigset_t old;
	int ret;

	(void)offset; /* the address picks the page */
	ret = security_mmap_file(k->opts.lsm, &k->opts.cred, &file->lsm, prot, flags);
	if (ret)
		goto fail;
	ret = -EINVAL;
	if (!len || (prot & ~PROT_VALID))
		goto fail;
	if (len > UINT64_MAX - SGX_PAGE_SIZE ||
	    hint + ((len + SGX_PAGE_SIZE - 1) & SGXK_PAGE_MASK) < hint) {
		ret = -ENOMEM;
		goto fail;
	}
	len = (len + SGX_PAGE_SIZE - 1) & SGXK_PAGE_MASK;
	if (!file->encl) {
		ret = -ENODEV; /* /dev/sgx_provision has no mmap */
		goto fail;
	}
	if ((flags & MAP_TYPE) == MAP_PRIVATE)
		goto fail;
	if ((flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) && (hint & ~SGXK_PAGE_MASK))
		goto fail;
	/* do_mmap's file checks: a shared writable mapping needs FMODE_WRITE, any FMODE_READ. */
	ret = -EACCES;
	if ((prot & PROT_WRITE) && file->accmode == O_RDONLY)
		goto fail;
	if (file->accmode == O_WRONLY)
		goto fail;
	mm_write_lock(k, &old);
	ret = do_mmap(k, file, hint, len, prot, flags, &out);
	mm_write_unlock(k, &old);
	if (ret)
		goto fail;
	*err = 0;
	return (void *)(uintptr_t)out;
fail:
	*err = ret;
	return MAP_FAILED;
}

/* One enclave VMA piece [start, end) of an mprotect: the hooks, the cap, then the change. */
static int mprotect_piece(struct sgxk *k, struct sgxk_encl *encl, struct sgxk_vma_area *a,
			  uint64_t start, uint64_t end, int prot)
{
	int ret;

	/* VM_MAYWRITE is clear on a shared mapping of a file not opened for writing. */
	if ((prot & PROT_WRITE) && !a->maywrite)
		return -EACCES;
	ret = security_file_mprotect(k->opts.lsm, &k->opts.cred, &encl->file->lsm, prot);

	if (!ret)
		ret = check_map(k, encl->file, start, end, prot);
	if (!ret)
		ret = vma_split(encl, start);
	if (!ret)
		ret = vma_split(encl, end);
	if (ret)
		return ret;
	for (struct sgxk_vma_area *a = encl->vmas; a; a = a->next)
		if (a->start >= start && a->end <= end)
			a->prot = prot;
	vma_merge(encl);
	pthread_mutex_lock(&encl->lock);
	populate(k, encl, start, end, prot);
	pthread_mutex_unlock(&encl->lock);
	return 0;
}

/*
 * mprotect(2): VMA by VMA like do_mprotect_pkey.  Pieces that are not enclave memory get the
 * real mprotect, so a gap still gives -ENOMEM after the pieces before it were changed.
 */
int sgxk_mprotect(struct sgxk *k, void *addr, size_t len, int prot)
{
	uint64_t start = (uint64_t)(uintptr_t)addr, end, cur;
	struct sgxk_encl *encl;
	struct sgxk_vma_area *a;
	sigset_t old;
	int ret = 0;

	if (start & ~SGXK_PAGE_MASK)
		return -EINVAL;
	len = (len + SGX_PAGE_SIZE - 1) & SGXK_PAGE_MASK;
	end = start + len;
	if (end < start)
		return -ENOMEM;
	mm_write_lock(k, &old);
	if (!len || !first_overlap(k, start, end, &encl)) {
		mm_write_unlock(k, &old);
		return SGXK_NOT_ENCLAVE;
	}
	if (prot & ~PROT_VALID)
		ret = -EINVAL;
	for (cur = start; !ret && cur < end;) {
		a = first_overlap(k, cur, end, &encl);
		if (!a) {
			ret = mprotect((void *)(uintptr_t)cur, end - cur, prot) ? -errno : 0;
			break;
		}
		if (a->start > cur) {
			ret = mprotect((void *)(uintptr_t)cur, a->start - cur, prot) ? -errno : 0;
			cur = a->start;
			continue;
		}
		uint64_t piece_end = a->end < end ? a->end : end;

		ret = mprotect_piece(k, encl, a, cur, piece_end, prot & SGXK_PROT_RWX);
		cur = piece_end;
	}
	mm_write_unlock(k, &old);
	return ret;
}

int sgxk_munmap(struct sgxk *k, void *addr, size_t len)
{
	uint64_t start = (uint64_t)(uintptr_t)addr, end;
	struct sgxk_encl *encl;
	sigset_t old;

	if ((start & ~SGXK_PAGE_MASK) || !len)
		return -EINVAL;
	len = (len + SGX_PAGE_SIZE - 1) & SGXK_PAGE_MASK;
	end = start + len;
	if (end < start)
		return -EINVAL;
	mm_write_lock(k, &old);
	if (!first_overlap(k, start, end, &encl)) {
		mm_write_unlock(k, &old);
		return SGXK_NOT_ENCLAVE;
	}
	if (munmap(addr, len)) {
		int e = errno;

		mm_write_unlock(k, &old);
		return -e;
	}
	sgxk_pt_clear(&k->pt, start, end);
	unmap_enclave_range(k, start, end);
	mm_write_unlock(k, &old);
	return 0;
}

/* Every mapping, enclave and file goes (sgxk_destroy: the process is exiting). */
void sgxk_mm_release_all(struct sgxk *k)
{
	sigset_t old;

	if (!k->mmu.translate)
		return;
	mm_write_lock(k, &old);
	while (k->files) {
		struct sgxk_file *f = k->files;

		k->files = f->next;
		if (f->encl) {
			while (f->encl->vmas) {
				struct sgxk_vma_area *a = f->encl->vmas;

				f->encl->vmas = a->next;
				munmap((void *)(uintptr_t)a->start, a->end - a->start);
				free(a);
			}
			sgxk_encl_release(f->encl);
		}
		free(f);
	}
	k->encls = NULL;
	sgxk_pt_destroy(&k->pt);
	mm_write_unlock(k, &old);
}

/* sgx_encl_eaug_page: a touch of a hole of an initialized SGX2 enclave adds a PENDING page. */
static int eaug_page(struct sgxk *k, struct sgxk_encl *encl, uint64_t addr)
{
	struct sgx_pageinfo pginfo = {0};
	struct sgxk_page *page;
	size_t epc;
	int ret;

	if (!(encl->flags & SGXK_ENCL_INITIALIZED))
		return -EIO;
	page = calloc(1, sizeof(*page));
	if (!page)
		return -EIO;
	if (sgxk_epc_alloc(k, &epc)) {
		free(page);
		return -EIO;
	}
	pginfo.addr = addr & SGXK_PAGE_MASK;
	pginfo.secs = (uint64_t)(uintptr_t)sgxk_epc_addr(k, encl->secs_epc);
	ret = sgx_encls_eaug(k->cpu, &pginfo, sgxk_epc_addr(k, epc));
	if (ret) {
		sgxk_epc_free(k, epc);
		free(page);
		return -EIO;
	}
	page->addr = pginfo.addr;
	page->epc = epc;
	page->max_prot = SGXK_PROT_RWX; /* the enclave decides, by EACCEPT/EMODPE */
	page->type = SGX_PT_REG;
	page->augmented = true;
	if (sgxk_page_insert(encl, page)) {
		sgxk_eremove(k, epc);
		free(page);
		return -EIO;
	}
	sgxk_mm_map_page(k, encl, page);
	return 0;
}

/* sgx_vma_fault, plus the access check the fault path of the MM does before it. */
int sgxk_fault(struct sgxk *k, uint64_t addr, int access)
{
	struct sgxk_encl *encl;
	struct sgxk_vma_area *a;
	struct sgxk_page *page;
	int ret;

	/*
	 * Shown: the VMA allows the access and the EPCM refused it, or the VMA does not; either
	 * way an enclave fault, decided without a lock (pgtable.c).
	 */
	if (sgxk_pt_lookup(&k->pt, addr) & SGXK_PTE_PRESENT)
		return -EFAULT;
	/*
	 * EDEADLK: this thread faulted while it holds mm_lock for writing (a bug in the kernel
	 * model, as writers block every other signal): not ours to resolve, the fault goes on.
	 */
	if (pthread_rwlock_rdlock(&k->mm_lock))
		return SGXK_NOT_ENCLAVE;
	a = find_vma(k, addr, &encl);
	if (!a) {
		pthread_rwlock_unlock(&k->mm_lock);
		return SGXK_NOT_ENCLAVE;
	}
	if (access & SGXK_PROT_RWX & ~a->prot) {
		pthread_rwlock_unlock(&k->mm_lock);
		return -EFAULT; /* access_error: SIGSEGV */
	}
	pthread_mutex_lock(&encl->lock);
	page = sgxk_page_lookup(encl, addr);
	if (!page)
		ret = sgx_cpu_platform(k->cpu)->sgx2 ? eaug_page(k, encl, addr) : -EIO;
	else if (a->prot & SGXK_PROT_RWX & ~page->max_prot)
		ret = -EIO; /* VMA asks more than the page allows: SIGBUS */
	else
		ret = -EFAULT; /* mapped as asked: the EPCM refused, an enclave fault */
	pthread_mutex_unlock(&encl->lock);
	pthread_rwlock_unlock(&k->mm_lock);
	return ret;
}

/*
 * The page tables as the CPU walks them (struct sgx_mmu): no lock, so an ENCLU in a signal
 * handler that interrupted this very thread inside the kernel model cannot deadlock.
 */
static void *mmu_translate(void *ctx, uint64_t linaddr, int prot)
{
	struct sgxk *k = ctx;
	uint64_t pte = sgxk_pt_lookup(&k->pt, linaddr);

	if (!(pte & SGXK_PTE_PRESENT) || (prot & SGXK_PROT_RWX & ~(int)(pte & SGXK_PROT_RWX)))
		return NULL;
	return sgxk_epc_addr(k, (size_t)(pte >> 12));
}

void sgxk_mm_init(struct sgxk *k)
{
	pthread_rwlock_init(&k->mm_lock, NULL);
	k->mmu.ctx = k;
	k->mmu.translate = mmu_translate;
}
