/* SPDX-License-Identifier: MIT */
/*
 * The enclave object (arch/x86/kernel/cpu/sgx/encl.c): its pages, keyed by linear page
 * number like upstream's page_array xarray, the max-protection rule that caps every mapping
 * (sgx_encl_may_map), and teardown, which EREMOVEs every child before the SECS so that no EPC
 * page outlives its enclave.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "driver.h"

#define PT_MIN_CAP 64

static size_t pt_hash(uint64_t addr, size_t cap)
{
	uint64_t x = (addr >> SGX_PAGE_SHIFT) * 0x9E3779B97F4A7C15ull;

	return (size_t)(x >> 20) & (cap - 1);
}

static int pt_grow(struct sgxk_page_table *pt)
{
	size_t cap = pt->cap ? pt->cap * 2 : PT_MIN_CAP;
	struct sgxk_page **slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < pt->cap; i++) {
		struct sgxk_page *p = pt->slots[i];
		size_t j;

		if (!p)
			continue;
		for (j = pt_hash(p->addr, cap); slots[j]; j = (j + 1) & (cap - 1))
			;
		slots[j] = p;
	}
	free(pt->slots);
	pt->slots = slots;
	pt->cap = cap;
	return 0;
}

struct sgxk_page *sgxk_page_lookup(const struct sgxk_encl *encl, uint64_t addr)
{
	const struct sgxk_page_table *pt = &encl->pages;

	if (!pt->cap)
		return NULL;
	addr &= SGXK_PAGE_MASK;
	for (size_t i = pt_hash(addr, pt->cap); pt->slots[i]; i = (i + 1) & (pt->cap - 1))
		if (pt->slots[i]->addr == addr)
			return pt->slots[i];
	return NULL;
}

/* xa_insert: -EBUSY when a page is already there. */
int sgxk_page_insert(struct sgxk_encl *encl, struct sgxk_page *page)
{
	struct sgxk_page_table *pt = &encl->pages;
	size_t i;

	if (sgxk_page_lookup(encl, page->addr))
		return -EBUSY;
	if ((pt->nr + 1) * 4 > pt->cap * 3 && pt_grow(pt))
		return -ENOMEM;
	for (i = pt_hash(page->addr, pt->cap); pt->slots[i]; i = (i + 1) & (pt->cap - 1))
		;
	pt->slots[i] = page;
	pt->nr++;
	return 0;
}

/* Remove without tombstones: shift back the entries of the probe run that follows. */
void sgxk_page_erase(struct sgxk_encl *encl, uint64_t addr)
{
	struct sgxk_page_table *pt = &encl->pages;
	size_t mask = pt->cap - 1, i, j;

	if (!pt->cap)
		return;
	addr &= SGXK_PAGE_MASK;
	for (i = pt_hash(addr, pt->cap); pt->slots[i]; i = (i + 1) & mask)
		if (pt->slots[i]->addr == addr)
			break;
	if (!pt->slots[i])
		return;
	pt->slots[i] = NULL;
	pt->nr--;
	for (j = (i + 1) & mask; pt->slots[j]; j = (j + 1) & mask) {
		size_t home = pt_hash(pt->slots[j]->addr, pt->cap);

		/* Move slot j into the gap at i unless its home lies cyclically in (i, j]. */
		if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
			pt->slots[i] = pt->slots[j];
			pt->slots[j] = NULL;
			i = j;
		}
	}
}

/*
 * Visit the pages in [start, end): walk the range when it is smaller than the table, the
 * table otherwise (a loader may map a reservation far larger than what it adds).
 */
int sgxk_encl_for_each_page(struct sgxk_encl *encl, uint64_t start, uint64_t end,
			    int (*fn)(struct sgxk_page *page, void *ctx), void *ctx)
{
	struct sgxk_page_table *pt = &encl->pages;
	int ret;

	if (end <= start || !pt->nr)
		return 0;
	if ((end - start) / SGX_PAGE_SIZE <= pt->cap) {
		for (uint64_t a = start & SGXK_PAGE_MASK; a < end; a += SGX_PAGE_SIZE) {
			struct sgxk_page *p = sgxk_page_lookup(encl, a);

			if (p && (ret = fn(p, ctx)))
				return ret;
		}
		return 0;
	}
	for (size_t i = 0; i < pt->cap; i++) {
		struct sgxk_page *p = pt->slots[i];

		if (p && p->addr >= (start & SGXK_PAGE_MASK) && p->addr < end && (ret = fn(p, ctx)))
			return ret;
	}
	return 0;
}

static int exceeds_max(struct sgxk_page *page, void *ctx)
{
	int prot = *(int *)ctx;

	return (prot & SGXK_PROT_RWX & ~page->max_prot) ? -EACCES : 0;
}

/*
 * sgx_encl_may_map: after INIT nothing outside [BASE, BASE+SIZE) may be mapped; a
 * READ_IMPLIES_EXEC process may map nothing; and no page may be mapped with more than its
 * max protections.  Holes accept anything.
 */
int sgxk_encl_may_map(struct sgxk_encl *encl, uint64_t start, uint64_t end, int prot)
{
	int ret;

	pthread_mutex_lock(&encl->lock);
	ret = sgxk_encl_forked(encl, "mmap");
	if (ret) {
		pthread_mutex_unlock(&encl->lock);
		return ret;
	}
	if ((encl->flags & SGXK_ENCL_INITIALIZED) &&
	    (start < encl->base || end > encl->base + encl->size)) {
		pthread_mutex_unlock(&encl->lock);
		return -EACCES;
	}
	if (encl->k->opts.personality_read_implies_exec) {
		pthread_mutex_unlock(&encl->lock);
		return -EACCES;
	}
	ret = sgxk_encl_for_each_page(encl, start, end, exceeds_max, &prot);
	pthread_mutex_unlock(&encl->lock);
	return ret;
}

struct dirty_scan {
	size_t present;
	bool augmented;
};

static int count_page(struct sgxk_page *page, void *ctx)
{
	struct dirty_scan *s = ctx;

	s->present++;
	if (page->augmented)
		s->augmented = true;
	return 0;
}

/*
 * enclave_map's "dirty": the range holds EAUG pages, or (SGX2) holes that a fault would fill
 * with EAUG pages whose contents the enclave, not the loader, decides.
 */
bool sgxk_encl_range_dirty(struct sgxk_encl *encl, uint64_t start, uint64_t end)
{
	struct dirty_scan s = {0};
	bool sgx2 = sgx_cpu_platform(encl->k->cpu)->sgx2;

	pthread_mutex_lock(&encl->lock);
	sgxk_encl_for_each_page(encl, start, end, count_page, &s);
	pthread_mutex_unlock(&encl->lock);
	if (s.augmented)
		return true;
	return sgx2 && s.present < (end - start) / SGX_PAGE_SIZE;
}

/*
 * What the EPCM lets the enclave do with @page, as PROT_* bits: the host mapping of a page is
 * the VMA's protections intersected with this, so that enclave code running natively meets the
 * EPCM's refusals as page faults.  A regular page gives its R/W/X unless it is PENDING (EAUG
 * not yet accepted), MODIFIED (EMODT) or BLOCKED; a trimmed page gives nothing, and so does a
 * TCS: the EPCM refuses enclave code any access to it (the CPU model reads it through the
 * kernel's view), so a touch faults and the AEX reports P|U|SGX.
 */
int sgxk_page_epcm_prot(struct sgxk *k, const struct sgxk_page *page)
{
	struct sgx_epcm_view v;

	if (sgx_epcm_read(k->cpu, page->epc, &v) || !v.valid)
		return 0;
	if (v.page_type != SGX_PT_REG || v.pending || v.modified || v.blocked)
		return 0;
	return sgxk_prot_of_secinfo(v.rwx);
}

/*
 * An ENCLU leaf (EACCEPT, EMODPE, EACCEPTCOPY) changed the EPCM entry of the page at @addr:
 * show it again in every mapping.  Called from the host's ENCLU trap handler, so no
 * allocation: the locks and mmap(2) only, as sgxk_fault.
 */
void sgxk_epcm_changed(struct sgxk *k, uint64_t addr)
{
	pthread_rwlock_rdlock(&k->mm_lock);
	for (struct sgxk_encl *e = k->encls; e; e = e->next) {
		struct sgxk_page *page;

		if (!e->vmas || addr < e->base || addr - e->base >= e->size)
			continue;
		pthread_mutex_lock(&e->lock);
		page = sgxk_page_lookup(e, addr);
		if (page)
			sgxk_mm_map_page(k, e, page);
		pthread_mutex_unlock(&e->lock);
	}
	pthread_rwlock_unlock(&k->mm_lock);
}

struct sgxk_encl *sgxk_encl_alloc(struct sgxk *k, struct sgxk_file *file)
{
	struct sgxk_encl *encl = calloc(1, sizeof(*encl));

	if (!encl)
		return NULL;
	encl->k = k;
	encl->file = file;
	encl->id = atomic_fetch_add(&k->next_id, 1) + 1;
	pthread_mutex_init(&encl->lock, NULL);
	atomic_init(&encl->in_ioctl, false);
	return encl;
}

/* sgx_encl_release: children first, the SECS last (EREMOVE refuses a SECS with children). */
void sgxk_encl_release(struct sgxk_encl *encl)
{
	struct sgxk *k = encl->k;
	struct sgxk_page_table *pt = &encl->pages;

	for (size_t i = 0; i < pt->cap; i++) {
		struct sgxk_page *p = pt->slots[i];

		if (!p)
			continue;
		sgxk_eremove(k, p->epc);
		free(p);
	}
	free(pt->slots);
	if (encl->flags & SGXK_ENCL_CREATED)
		sgxk_eremove(k, encl->secs_epc);
	pthread_mutex_destroy(&encl->lock);
	free(encl);
}

int sgxk_enclave_info(struct sgxk_file *file, struct sgxk_enclave_info *info)
{
	struct sgxk_encl *encl = file ? file->encl : NULL;

	if (!encl)
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	pthread_mutex_lock(&encl->lock);
	info->created = encl->flags & SGXK_ENCL_CREATED;
	info->initialized = encl->flags & SGXK_ENCL_INITIALIZED;
	info->debug = encl->flags & SGXK_ENCL_DEBUG;
	info->base = encl->base;
	info->size = encl->size;
	info->attributes = encl->attributes;
	info->attributes_mask = encl->attributes_mask;
	info->secs_index = info->created ? encl->secs_epc : SIZE_MAX;
	info->nr_pages = encl->pages.nr;
	pthread_mutex_unlock(&encl->lock);
	return 0;
}
