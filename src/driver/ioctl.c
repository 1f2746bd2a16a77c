/* SPDX-License-Identifier: MIT */
/*
 * The SGX1 ioctls (arch/x86/kernel/cpu/sgx/ioctl.c): one function per ioctl, each validating
 * in upstream's order with upstream's errno before doing any work, so that a failed call
 * changes nothing.  The security hooks sit where lsm-enclave-controls.md puts them.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "softsgx/sgx_uapi.h"
#include "softsgx/sigstruct.h"
#include "driver.h"

#define SGX_SECINFO_RESERVED_MASK (~(uint64_t)SGX_SECINFO_ADD_MASK)
#define EINIT_SPIN_COUNT	  20
#define EINIT_SLEEP_COUNT	  50
#define EINIT_SLEEP_MS		  20
#define LAUNCH_TOKEN_SIZE	  304
#define STAGE_PAGES		  16 /* pages read by one process_vm_readv */

/*
 * signal_pending(current): a signal the caller has not blocked is pending.  While an ioctl
 * loops, the driver blocks every signal (a kernel is not interrupted by handlers either), so
 * such a signal waits in the pending set until the ioctl returns.
 */
static bool signal_pending(const sigset_t *caller_mask)
{
	sigset_t pending;

	if (sigpending(&pending))
		return false;
	for (int sig = 1; sig < NSIG; sig++)
		if (sigismember(&pending, sig) == 1 && sigismember(caller_mask, sig) != 1)
			return true;
	return false;
}

/*
 * -ERESTARTSYS on the way out: the kernel restarts the call after the handlers ran when each
 * of them was installed with SA_RESTART, and returns EINTR otherwise.  Decided here, while the
 * signals are still pending; sgxk_ioctl restarts on SGXK_ERESTARTSYS.
 */
static int restart_or_eintr(const sigset_t *caller_mask)
{
	sigset_t pending;

	if (sigpending(&pending))
		return -EINTR;
	for (int sig = 1; sig < NSIG; sig++) {
		struct sigaction sa;

		if (sigismember(&pending, sig) != 1 || sigismember(caller_mask, sig) == 1)
			continue;
		if (sigaction(sig, NULL, &sa) || !(sa.sa_flags & SA_RESTART))
			return -EINTR;
	}
	return -SGXK_ERESTARTSYS;
}

static const char *code_name(int ret)
{
	const char *name;

	if (ret < 0)
		return ret == SGX_FAULT_GP ? "#GP" : ret == SGX_FAULT_PF ? "#PF" : "fault";
	name = sgx_return_code_name(ret);
	return name ? name : "unknown SGX code";
}

long sgxk_ioc_create(struct sgxk_encl *encl, unsigned long arg)
{
	struct sgx_enclave_create create_arg;
	struct sgx_secinfo secinfo;
	struct sgx_pageinfo pginfo;
	struct sgxk *k = encl->k;
	struct sgx_secs *secs;
	size_t epc;
	int ret;

	if (encl->flags & SGXK_ENCL_CREATED)
		return -EINVAL;
	if (sgxk_copy_from_user(&create_arg, arg, sizeof(create_arg)))
		return -EFAULT;
	secs = aligned_alloc(SGX_PAGE_SIZE, SGX_PAGE_SIZE);
	if (!secs)
		return -ENOMEM;
	ret = -EFAULT;
	if (sgxk_copy_from_user(secs, create_arg.src, SGX_PAGE_SIZE))
		goto out;
	ret = -EINVAL;
	if (!secs->size || (secs->size & (secs->size - 1)))
		goto out;
	if ((ret = sgxk_epc_alloc(k, &epc)))
		goto out;
	memset(&secinfo, 0, sizeof(secinfo));
	pginfo = (struct sgx_pageinfo){.addr = 0,
				       .contents = (uint64_t)(uintptr_t)secs,
				       .metadata = (uint64_t)(uintptr_t)&secinfo,
				       .secs = 0};
	ret = sgx_encls_ecreate(k->cpu, &pginfo, sgxk_epc_addr(k, epc));
	if (ret) {
		sgxk_log(k, "sgx: ECREATE returned %d (%s)", ret, code_name(ret));
		sgxk_epc_free(k, epc);
		ret = -EIO;
		goto out;
	}
	pthread_mutex_lock(&encl->lock);
	encl->secs_epc = epc;
	encl->base = secs->base;
	encl->size = secs->size;
	encl->attributes = secs->attributes.flags;
	encl->xfrm = secs->attributes.xfrm;
	encl->miscselect = secs->miscselect;
	/* As upstream, a PROVISION made before CREATE does not survive it. */
	encl->attributes_mask = SGX_ATTR_UNPRIV_MASK;
	if (secs->attributes.flags & SGX_ATTR_DEBUG)
		encl->flags |= SGXK_ENCL_DEBUG;
	encl->flags |= SGXK_ENCL_CREATED;
	pthread_mutex_unlock(&encl->lock);
	ret = 0;
out:
	free(secs);
	return ret;
}

int sgxk_validate_offset_length(const struct sgxk_encl *encl, uint64_t offset, uint64_t length)
{
	if (offset & (SGX_PAGE_SIZE - 1))
		return -EINVAL;
	if (!length || (length & (SGX_PAGE_SIZE - 1)))
		return -EINVAL;
	if (offset + length < offset)
		return -EINVAL;
	if (offset + length - SGX_PAGE_SIZE >= encl->size)
		return -EINVAL;
	return 0;
}

static int validate_secinfo(const struct sgx_secinfo *secinfo)
{
	uint64_t perm = secinfo->flags & SGX_SECINFO_PERMISSION_MASK;
	uint64_t pt = secinfo->flags & SGX_SECINFO_PAGE_TYPE_MASK;

	if (pt != SGX_SECINFO_TYPE(SGX_PT_REG) && pt != SGX_SECINFO_TYPE(SGX_PT_TCS))
		return -EINVAL;
	if ((perm & SGX_SECINFO_W) && !(perm & SGX_SECINFO_R))
		return -EINVAL;
	/* The CPU silently zeroes a TCS's permissions: the driver refuses them instead. */
	if (pt == SGX_SECINFO_TYPE(SGX_PT_TCS) && perm)
		return -EINVAL;
	if (secinfo->flags & SGX_SECINFO_RESERVED_MASK)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(secinfo->reserved); i++)
		if (secinfo->reserved[i])
			return -EINVAL;
	return 0;
}

/*
 * Source pages staged in the EPC: EPC pages are taken for the next pages of the call, and the
 * sources of a run of them (at most STAGE_PAGES, in the one source mapping check_source
 * approved) are read with one system call straight into the pages they become, so that EADD
 * has nothing left to copy and EEXTEND hashes a page still in the cache.  The pages of the
 * following run are taken early, so that their source and destination can be fetched into
 * the cache while the current run is hashed.  Pages not used by the end of the call go back
 * to the EPC.
 */
struct add_stage {
	size_t epc[2 * STAGE_PAGES];
	uint64_t src; /* source of epc[0]; epc[i] stages src + i pages */
	size_t next;  /* epc[next] goes to the next page added */
	size_t nr;    /* EPC pages taken */
	size_t read;  /* epc[next..read) hold their source */
	size_t dirty; /* epc[next..dirty) may hold source bytes (zeroed if given back) */
};

/* What one ADD_PAGES call carries from page to page. */
struct add_ctx {
	struct sgxk_encl *encl;
	const struct sgx_secinfo *secinfo;
	bool measure;
	uint64_t src_end; /* end of the caller's source range */
	/* The source mapping of the current run and whether enclave_load approved it. */
	struct sgxk_vma vma;
	bool have_vma;
	struct add_stage stage;
};

static void source_of(const struct sgxk_vma *v, struct lsm_source *s)
{
	s->anonymous = v->anonymous;
	s->path = v->anonymous ? NULL : v->path;
	s->dev = v->dev;
	s->ino = v->ino;
	s->prot = v->prot;
	s->shared = v->shared;
	s->written = v->written;
}

static int page_max_prot(const struct sgxk *k, const struct sgx_secinfo *secinfo,
			 const struct sgxk_vma *src)
{
	bool tcs = (secinfo->flags & SGX_SECINFO_PAGE_TYPE_MASK) == SGX_SECINFO_TYPE(SGX_PT_TCS);
	int prot = sgxk_prot_of_secinfo(secinfo->flags);

	/* A TCS is always RW for the CPU while its SECINFO permissions are zero. */
	if (tcs)
		return PROT_READ | PROT_WRITE;
	/* page_prot = source: never more than the memory the page came from. */
	if (k->opts.config.page_prot == SOFTSGX_PAGE_PROT_SOURCE)
		prot &= src->prot;
	return prot;
}

/*
 * The source mapping of @src (find_vma + the VM_MAYEXEC test) and, once per run of pages from
 * one mapping, enclave_load.
 */
static int check_source(struct add_ctx *c, uint64_t src, int *max_prot)
{
	struct sgxk *k = c->encl->k;
	struct lsm_enclave le;
	struct lsm_source s;
	int ret;

	if (c->have_vma && src >= c->vma.start && src < c->vma.end) {
		*max_prot = page_max_prot(k, c->secinfo, &c->vma);
		return 0;
	}
	c->have_vma = false;
	if (k->vmas->lookup(k->vmas->ctx, src, &c->vma))
		return -EFAULT;
	if (c->vma.noexec)
		return -EACCES;
	*max_prot = page_max_prot(k, c->secinfo, &c->vma);
	source_of(&c->vma, &s);
	le = sgxk_lsm_enclave(c->encl);
	ret = security_enclave_load(k->opts.lsm, &k->opts.cred, &le, &s, *max_prot, c->measure);
	if (ret)
		return ret;
	c->have_vma = true;
	return 0;
}

/*
 * The EPC page for the page whose source is @src, taking pages for this run and the next
 * (sgx_alloc_epc_page: -ENOMEM only when not even this page's is free).
 */
static int stage_epc(struct add_ctx *c, uint64_t src, size_t *epc)
{
	struct add_stage *st = &c->stage;
	size_t want = (c->src_end - src) / SGX_PAGE_SIZE;

	if (st->next == st->nr) {
		st->next = st->nr = st->read = st->dirty = 0;
	} else if (st->next >= STAGE_PAGES) {
		memmove(st->epc, st->epc + st->next, (st->nr - st->next) * sizeof(st->epc[0]));
		st->nr -= st->next;
		st->read = st->read > st->next ? st->read - st->next : 0;
		st->dirty = st->dirty > st->next ? st->dirty - st->next : 0;
		st->next = 0;
	}
	st->src = src - st->next * SGX_PAGE_SIZE;
	if (want > 2 * STAGE_PAGES)
		want = 2 * STAGE_PAGES;
	while (st->nr < want && !sgxk_epc_alloc(c->encl->k, &st->epc[st->nr]))
		st->nr++;
	if (st->next == st->nr)
		return -ENOMEM;
	*epc = st->epc[st->next];
	return 0;
}

/*
 * Make sure the next EPC page holds its source: one process_vm_readv (get_user_pages) for a
 * run in the source mapping check_source just approved.  -EFAULT when the page is
 * unreadable (unmapped since the snapshot, or PROT_NONE).
 */
static int stage_read(struct add_ctx *c)
{
	struct add_stage *st = &c->stage;
	uint64_t src = st->src + st->next * SGX_PAGE_SIZE;
	size_t nr = st->nr - st->next, in_vma = (c->vma.end - src) / SGX_PAGE_SIZE;
	void *dst[STAGE_PAGES];

	if (st->read > st->next)
		return 0;
	if (nr > STAGE_PAGES)
		nr = STAGE_PAGES;
	if (in_vma < nr)
		nr = in_vma ? in_vma : 1;
	for (size_t i = 0; i < nr; i++)
		dst[i] = sgxk_epc_addr(c->encl->k, st->epc[st->next + i]);
	st->dirty = st->next + nr;
	st->read = st->next + sgxk_copy_pages_from_user(dst, src, nr);
	return st->read > st->next ? 0 : -EFAULT;
}

/*
 * The call is over: the EPC pages it took and did not use go back, zeroed as EREMOVE leaves a
 * page when they received source bytes (a free EPC page carries nothing of a process).
 */
static void stage_release(struct add_ctx *c)
{
	struct add_stage *st = &c->stage;

	for (; st->next < st->nr; st->next++) {
		if (st->next < st->dirty)
			memset(sgxk_epc_addr(c->encl->k, st->epc[st->next]), 0, SGX_PAGE_SIZE);
		sgxk_epc_free(c->encl->k, st->epc[st->next]);
	}
}

/*
 * While a page is hashed, the page one run later is fetched into the cache, its source and
 * its EPC page: the hashing leaves the memory bus idle, and the next run's system call then
 * copies from cache to cache.  A prefetch never faults, whatever the address maps.
 */
struct ahead {
	const uint8_t *src, *dst; /* NULL: nothing staged that far */
};

static struct ahead stage_ahead(const struct add_ctx *c, size_t i)
{
	const struct add_stage *st = &c->stage;
	size_t j = i + STAGE_PAGES;
	struct ahead a = {NULL, NULL};

	if (j >= st->nr)
		return a;
	a.src = (const uint8_t *)(uintptr_t)(st->src + j * SGX_PAGE_SIZE);
	a.dst = sgxk_epc_addr(c->encl->k, st->epc[j]);
	return a;
}

static void prefetch_ahead(struct ahead a, size_t off, size_t len)
{
	if (!a.src)
		return;
	for (size_t b = off; b < off + len; b += 64) {
		__builtin_prefetch(a.src + b, 0);
		__builtin_prefetch(a.dst + b, 1);
	}
}

static void prefetch_chunk(void *ctx, unsigned int offset)
{
	prefetch_ahead(*(const struct ahead *)ctx, offset, 256);
}

/*
 * EEXTEND of the sixteen 256-byte chunks (sgx_encl_extend), as one call into the CPU that
 * executes the sixteen leaves, prefetching a chunk's worth of the next run after each: spread
 * over the hashing, the fetches keep the idle memory bus busy without stalling it.
 */
static int extend_page(const struct add_ctx *c, size_t epc, struct ahead a)
{
	struct sgxk_encl *encl = c->encl;
	struct sgxk *k = encl->k;
	uint8_t *page = sgxk_epc_addr(k, epc), *secs = sgxk_epc_addr(k, encl->secs_epc);
	int ret;

	ret = sgx_encls_eextend_page(k->cpu, secs, page, a.src ? prefetch_chunk : NULL, &a);
	if (ret) {
		sgxk_log(k, "sgx: EEXTEND returned %d (%s)", ret, code_name(ret));
		return -EIO;
	}
	return 0;
}

/* EADD from the staged page: SRCPGE is the EPC page itself (see cpu.h). */
static int eadd_page(struct add_ctx *c, struct sgxk_page *page)
{
	struct sgxk *k = c->encl->k;
	struct sgx_pageinfo pginfo = {
	    .addr = page->addr,
	    .contents = (uint64_t)(uintptr_t)sgxk_epc_addr(k, page->epc),
	    .metadata = (uint64_t)(uintptr_t)c->secinfo,
	    .secs = (uint64_t)(uintptr_t)sgxk_epc_addr(k, c->encl->secs_epc),
	};
	int ret = sgx_encls_eadd(k->cpu, &pginfo, sgxk_epc_addr(k, page->epc));

	if (ret) {
		sgxk_log(k, "sgx: EADD at 0x%llx returned %d (%s)", (unsigned long long)page->addr,
			 ret, code_name(ret));
		return -EIO;
	}
	return 0;
}

/*
 * sgx_encl_add_page: EPC page, insert (EBUSY), source checks, EADD, then EEXTEND.  The EPC
 * page is used up once EADD made it the enclave's; before that it stays staged.
 */
static int add_page(struct add_ctx *c, uint64_t src, uint64_t offset)
{
	struct sgxk_encl *encl = c->encl;
	struct sgxk *k = encl->k;
	struct sgxk_page *page = calloc(1, sizeof(*page));
	struct ahead a;
	int ret;

	if (!page)
		return -ENOMEM;
	page->addr = encl->base + offset;
	page->type = (uint8_t)((c->secinfo->flags & SGX_SECINFO_PAGE_TYPE_MASK) >>
			       SGX_SECINFO_PAGE_TYPE_SHIFT);
	if ((ret = stage_epc(c, src, &page->epc))) {
		free(page);
		return ret;
	}
	pthread_rwlock_rdlock(&k->mm_lock);
	pthread_mutex_lock(&encl->lock);
	if ((ret = sgxk_page_insert(encl, page)))
		goto err_unlock;
	if ((ret = check_source(c, src, &page->max_prot)) || (ret = stage_read(c)) ||
	    (ret = eadd_page(c, page)))
		goto err_erase;
	a = stage_ahead(c, c->stage.next++);
	if (c->measure && (ret = extend_page(c, page->epc, a))) {
		sgxk_page_erase(encl, page->addr);
		pthread_mutex_unlock(&encl->lock);
		pthread_rwlock_unlock(&k->mm_lock);
		sgxk_eremove(k, page->epc);
		free(page);
		return ret;
	}
	if (!c->measure)
		prefetch_ahead(a, 0, SGX_PAGE_SIZE);
	sgxk_mm_map_page(k, encl, page);
	pthread_mutex_unlock(&encl->lock);
	pthread_rwlock_unlock(&k->mm_lock);
	return 0;
err_erase:
	sgxk_page_erase(encl, page->addr);
err_unlock:
	pthread_mutex_unlock(&encl->lock);
	pthread_rwlock_unlock(&k->mm_lock);
	free(page);
	return ret;
}

/* The signals the caller had not blocked: the ones signal_pending looks for. */
static void unblocked_signals(const sigset_t *caller_mask, sigset_t *unblocked)
{
	sigemptyset(unblocked);
	for (int sig = 1; sig < NSIG; sig++)
		if (sigismember(caller_mask, sig) == 0)
			sigaddset(unblocked, sig);
}

/* signal_pending(current) in the page loop: one system call and a set intersection. */
static bool unblocked_signal_pending(const sigset_t *unblocked)
{
	sigset_t pending, both;

	if (sigpending(&pending))
		return false;
	sigandset(&both, &pending, unblocked);
	return !sigisemptyset(&both);
}

/*
 * Whether the next page starts a run: its source is not in the EPC yet, and stage_read will
 * read it with the pages after it (at most STAGE_PAGES, within one source mapping).
 */
static bool run_starts(const struct add_ctx *c)
{
	return c->stage.read <= c->stage.next;
}

/*
 * The per-page loop: a pending signal stops it (-EINTR, i.e. -ERESTARTSYS, with no progress;
 * early with progress).  It is looked for before each run of pages (see run_starts), not
 * before each page: a signal arriving during a run stops the call after that run, at most
 * STAGE_PAGES - 1 pages later than a check per page would, which a caller cannot tell from the
 * signal arriving a little later; a run never spans two source mappings.  Signals are blocked
 * from before the source snapshot to the end, as a signal arriving during a system call waits
 * for its return; the CPU is told, so that its leaves do not block them again around the EPCM
 * lock.
 */
static long add_pages_loop(struct add_ctx *c, struct sgx_enclave_add_pages *add)
{
	const struct sgxk_vma_provider *vmas = c->encl->k->vmas;
	sigset_t caller, unblocked;
	uint64_t done;
	long ret = 0;

	sgx_cpu_block_signals(&caller);
	unblocked_signals(&caller, &unblocked);
	if (vmas->refresh)
		vmas->refresh(vmas->ctx);
	for (done = 0; done < add->length; done += SGX_PAGE_SIZE) {
		if (run_starts(c) && unblocked_signal_pending(&unblocked)) {
			if (!done)
				ret = restart_or_eintr(&caller);
			break;
		}
		ret = add_page(c, add->src + done, add->offset + done);
		if (ret)
			break;
	}
	stage_release(c);
	sgx_cpu_restore_signals(&caller);
	add->count = done;
	return ret;
}

long sgxk_ioc_add_pages(struct sgxk_encl *encl, unsigned long arg)
{
	struct sgx_enclave_add_pages add;
	struct sgx_secinfo secinfo;
	struct add_ctx c = {.encl = encl, .secinfo = &secinfo};
	long ret;

	if (!(encl->flags & SGXK_ENCL_CREATED) || (encl->flags & SGXK_ENCL_INITIALIZED))
		return -EINVAL;
	if (sgxk_copy_from_user(&add, arg, sizeof(add)))
		return -EFAULT;
	if (add.src & (SGX_PAGE_SIZE - 1))
		return -EINVAL;
	if (sgxk_validate_offset_length(encl, add.offset, add.length))
		return -EINVAL;
	if (sgxk_copy_from_user(&secinfo, add.secinfo, sizeof(secinfo)))
		return -EFAULT;
	if (validate_secinfo(&secinfo))
		return -EINVAL;
	c.measure = add.flags & SGX_PAGE_MEASURE;
	c.src_end =
	    add.src + add.length < add.src ? UINT64_MAX & SGXK_PAGE_MASK : add.src + add.length;
	ret = add_pages_loop(&c, &add);
	if (sgxk_copy_to_user(arg, &add, sizeof(add)))
		return -EFAULT;
	return ret;
}

/* The reserved-bit rules of sgx_encl_init, against what this platform supports. */
static int check_sigstruct_masks(const struct sgxk *k, const struct sgx_sigstruct *s)
{
	const struct sgx_sigstruct_body *b = &s->body;

	if (b->attributes.flags & b->attributes_mask.flags & k->attributes_reserved)
		return -EINVAL;
	if ((uint64_t)b->miscselect & b->misc_mask & k->misc_reserved)
		return -EINVAL;
	if (b->attributes.xfrm & b->attributes_mask.xfrm & k->xfrm_reserved)
		return -EINVAL;
	return 0;
}

/* enclave_init, with the mapping the SIGSTRUCT was read from (NULL when unknown). */
static int init_hook(struct sgxk_encl *encl, const struct sgx_sigstruct *s, uint64_t uaddr)
{
	struct sgxk *k = encl->k;
	struct sgx_attributes attrs = {encl->attributes, encl->xfrm};
	struct lsm_enclave le = sgxk_lsm_enclave(encl);
	struct sgxk_vma *vma = malloc(sizeof(*vma));
	struct lsm_source src, *srcp = NULL;
	int ret;

	if (vma && k->vmas->refresh)
		k->vmas->refresh(k->vmas->ctx);
	if (vma && !k->vmas->lookup(k->vmas->ctx, uaddr, vma)) {
		source_of(vma, &src);
		srcp = &src;
	}
	ret = security_enclave_init(k->opts.lsm, &k->opts.cred, &le, s, srcp, &attrs);
	free(vma);
	return ret;
}

/* ENCLS[EINIT] with the launch key hash set to MRSIGNER, retried on SGX_UNMASKED_EVENT. */
/* One ENCLS[EINIT] with the launch key hash set to the enclave's MRSIGNER (FLC). */
static int einit_once(struct sgxk_encl *encl, const struct sgx_sigstruct *s, const void *token,
		      const uint8_t mrsigner[32])
{
	struct sgxk *k = encl->k;

	if (sgx_cpu_platform(k->cpu)->flexible_launch_control)
		sgx_cpu_set_lepubkeyhash(k->cpu, mrsigner);
	return sgx_encls_einit(k->cpu, s, sgxk_epc_addr(k, encl->secs_epc), token);
}

/*
 * EINIT, retried on SGX_UNMASKED_EVENT: spins, then sleeps between rounds, and gives up to a
 * pending signal (-ERESTARTSYS), as sgx_encl_init.  Signals are blocked meanwhile, so a
 * handler does not run in the middle of the ioctl.
 */
static int do_einit(struct sgxk_encl *encl, const struct sgx_sigstruct *s, const void *token)
{
	struct timespec ts = {0, EINIT_SLEEP_MS * 1000000L};
	sigset_t all, caller;
	uint8_t mrsigner[32];
	int ret = SGX_UNMASKED_EVENT;

	sgx_sigstruct_mrsigner(s, mrsigner);
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &caller);
	for (int i = 0; i < EINIT_SLEEP_COUNT; i++) {
		for (int j = 0; j < EINIT_SPIN_COUNT && ret == SGX_UNMASKED_EVENT; j++)
			ret = einit_once(encl, s, token, mrsigner);
		if (ret != SGX_UNMASKED_EVENT)
			break;
		nanosleep(&ts, NULL);
		if (signal_pending(&caller)) {
			ret = restart_or_eintr(&caller);
			break;
		}
	}
	pthread_sigmask(SIG_SETMASK, &caller, NULL);
	return ret;
}

static int encl_init(struct sgxk_encl *encl, const struct sgx_sigstruct *s, uint64_t uaddr)
{
	struct sgxk *k = encl->k;
	char mrsigner_hex[65];
	uint8_t mrsigner[32];
	uint8_t *token;
	int ret;

	/* Attributes (namely PROVISIONKEY) that were not explicitly allowed. */
	if (encl->attributes & ~encl->attributes_mask)
		return -EACCES;
	if (check_sigstruct_masks(k, s))
		return -EINVAL;
	if ((ret = init_hook(encl, s, uaddr)))
		return ret;
	token = aligned_alloc(512, 512);
	if (!token)
		return -ENOMEM;
	memset(token, 0, LAUNCH_TOKEN_SIZE);
	pthread_mutex_lock(&encl->lock);
	ret = do_einit(encl, s, token);
	if (ret == 0)
		encl->flags |= SGXK_ENCL_INITIALIZED;
	pthread_mutex_unlock(&encl->lock);
	free(token);
	if (ret == 0 || ret == -EINTR || ret == -SGXK_ERESTARTSYS)
		return ret;
	sgx_sigstruct_mrsigner(s, mrsigner);
	softsgx_hex(mrsigner_hex, mrsigner, sizeof(mrsigner));
	sgxk_log(k, "sgx: EINIT of enclave 0x%llx returned %d (%s), MRSIGNER %s",
		 (unsigned long long)encl->base, ret, code_name(ret), mrsigner_hex);
	return ret < 0 ? -EIO : -EPERM;
}

long sgxk_ioc_init(struct sgxk_encl *encl, unsigned long arg)
{
	struct sgx_enclave_init init_arg;
	struct sgx_sigstruct *s;
	long ret;

	if (!(encl->flags & SGXK_ENCL_CREATED) || (encl->flags & SGXK_ENCL_INITIALIZED))
		return -EINVAL;
	if (sgxk_copy_from_user(&init_arg, arg, sizeof(init_arg)))
		return -EFAULT;
	s = aligned_alloc(SGX_PAGE_SIZE, SGX_PAGE_SIZE);
	if (!s)
		return -ENOMEM;
	ret = -EFAULT;
	if (sgxk_copy_from_user(s, init_arg.sigstruct, sizeof(*s)))
		goto out;
	/* A legacy field: the CPU accepts only these two values. */
	ret = -EINVAL;
	if (s->header.vendor != 0 && s->header.vendor != SGX_SIGSTRUCT_VENDOR_INTEL)
		goto out;
	ret = encl_init(encl, s, init_arg.sigstruct);
out:
	free(s);
	return ret;
}

/* sgx_set_attribute: the fd must be /dev/sgx_provision; PROVISIONKEY becomes allowed. */
long sgxk_ioc_provision(struct sgxk_encl *encl, unsigned long arg)
{
	struct sgx_enclave_provision params;
	struct sgxk *k = encl->k;
	struct sgxk_file *f = NULL;
	struct lsm_enclave le;
	int ret;

	if (sgxk_copy_from_user(&params, arg, sizeof(params)))
		return -EFAULT;
	if (k->opts.fdget)
		f = k->opts.fdget(k->opts.fdget_ctx, (int)(unsigned int)params.fd);
	if (!f || f->device != LSM_DEV_PROVISION)
		return -EINVAL;
	le = sgxk_lsm_enclave(encl);
	ret = security_enclave_provision(k->opts.lsm, &k->opts.cred, &le, &f->lsm);
	if (ret)
		return ret;
	pthread_mutex_lock(&encl->lock);
	encl->attributes_mask |= SGX_ATTR_PROVISIONKEY;
	pthread_mutex_unlock(&encl->lock);
	return 0;
}
