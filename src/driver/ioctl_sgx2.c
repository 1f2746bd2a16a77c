/* SPDX-License-Identifier: MIT */
/*
 * The SGX2 ioctls (EDMM): RESTRICT_PERMISSIONS (EMODPR), MODIFY_TYPES (EMODT) and
 * REMOVE_PAGES (EREMOVE of trimmed pages the enclave has accepted).  Only on a platform that
 * reports SGX2, only on an initialized enclave; count reports the bytes done, result the SGX
 * code of a failing leaf, as upstream.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "softsgx/sgx_uapi.h"
#include "driver.h"

/*
 * What every SGX2 ioctl checks first: the platform, the enclave, then its argument (copied
 * into @params, @size bytes), whose first fields are the offset and length of the range.
 */
static long sgx2_args(struct sgxk_encl *encl, unsigned long arg, void *params, size_t size)
{
	const __u64 *range = params; /* offset, length */

	if (!sgx_cpu_platform(encl->k->cpu)->sgx2)
		return -ENODEV;
	if (!(encl->flags & SGXK_ENCL_INITIALIZED))
		return -EINVAL;
	if (sgxk_copy_from_user(params, arg, size))
		return -EFAULT;
	if (sgxk_validate_offset_length(encl, range[0], range[1]))
		return -EINVAL;
	return 0;
}

_Static_assert(offsetof(struct sgx_enclave_restrict_permissions, length) == 8 &&
		   offsetof(struct sgx_enclave_modify_types, length) == 8 &&
		   offsetof(struct sgx_enclave_remove_pages, length) == 8,
	       "the SGX2 ioctls' arguments start with offset and length");

/* sgx_encl_load_page: the page at @addr, or -EFAULT (nothing is ever being reclaimed here). */
static struct sgxk_page *load_page(struct sgxk_encl *encl, uint64_t addr, long *ret)
{
	struct sgxk_page *page = sgxk_page_lookup(encl, addr);

	*ret = page ? 0 : -EFAULT;
	return page;
}

static void lock_encl(struct sgxk_encl *encl)
{
	pthread_rwlock_rdlock(&encl->k->mm_lock);
	pthread_mutex_lock(&encl->lock);
}

static void unlock_encl(struct sgxk_encl *encl)
{
	pthread_mutex_unlock(&encl->lock);
	pthread_rwlock_unlock(&encl->k->mm_lock);
}

/*
 * @op on each page of [@offset, @offset + @length) in turn, the enclave locked for each page
 * only; stops at the first failure.  *count: the bytes done.
 */
static long for_each_page(struct sgxk_encl *encl, uint64_t offset, uint64_t length,
			  long (*op)(struct sgxk_encl *encl, struct sgxk_page *page, void *arg),
			  void *arg, __u64 *count)
{
	struct sgxk_page *page;
	uint64_t c;
	long ret = 0;

	for (c = 0; c < length; c += SGX_PAGE_SIZE) {
		lock_encl(encl);
		page = load_page(encl, encl->base + offset + c, &ret);
		if (page)
			ret = op(encl, page, arg);
		unlock_encl(encl);
		if (ret)
			break;
	}
	*count = c;
	return ret;
}

/* One page of RESTRICT_PERMISSIONS; encl locked. */
static long restrict_page(struct sgxk_encl *encl, struct sgxk_page *page, void *arg)
{
	struct sgx_enclave_restrict_permissions *modp = arg;
	struct sgxk *k = encl->k;
	struct sgx_secinfo secinfo;
	int r;

	/* EMODPR works on regular pages only; anything else would #PF. */
	if (page->type != SGX_PT_REG)
		return -EINVAL;
	memset(&secinfo, 0, sizeof(secinfo));
	secinfo.flags = modp->permissions & SGX_SECINFO_PERMISSION_MASK;
	r = sgx_encls_emodpr(k->cpu, &secinfo, sgxk_epc_addr(k, page->epc));
	if (r < 0) {
		sgxk_log(k, "sgx: EMODPR raised fault %d", r);
		return -EFAULT;
	}
	if (r > 0) {
		modp->result = (uint64_t)r;
		return -EFAULT;
	}
	/* The mapping narrows with the EPCM: a write to a page now R faults at once. */
	sgxk_mm_map_page(k, encl, page);
	return 0;
}

long sgxk_ioc_restrict_permissions(struct sgxk_encl *encl, unsigned long arg)
{
	struct sgx_enclave_restrict_permissions params;
	long ret;

	if ((ret = sgx2_args(encl, arg, &params, sizeof(params))))
		return ret;
	if (params.permissions & ~SGX_SECINFO_PERMISSION_MASK)
		return -EINVAL;
	/* Refused early: EMODPR would fault on W without R. */
	if ((params.permissions & SGX_SECINFO_W) && !(params.permissions & SGX_SECINFO_R))
		return -EINVAL;
	if (params.result || params.count)
		return -EINVAL;
	ret = for_each_page(encl, params.offset, params.length, restrict_page, &params,
			    &params.count);
	if (sgxk_copy_to_user(arg, &params, sizeof(params)))
		return -EFAULT;
	return ret;
}

/* One page of MODIFY_TYPES; encl locked. */
static long modify_type(struct sgxk_encl *encl, struct sgxk_page *page, void *arg)
{
	struct sgx_enclave_modify_types *modt = arg;
	uint8_t type = (uint8_t)modt->page_type;
	struct sgxk *k = encl->k;
	struct sgx_secinfo secinfo;
	int restore = page->max_prot;
	int r;

	/* REG -> TCS or TRIM, TCS -> TRIM (the SDM's rule; no CET pages). */
	if (!(page->type == SGX_PT_REG || (page->type == SGX_PT_TCS && type == SGX_PT_TRIM)))
		return -EINVAL;
	/*
	 * A TCS is RW for the kernel and can never change back: the page's vetted max
	 * protections must already allow RW.  The old mappings go (sgx_zap_enclave_ptes).
	 */
	if (page->type == SGX_PT_REG && type == SGX_PT_TCS) {
		if (~page->max_prot & (PROT_READ | PROT_WRITE))
			return -EPERM;
		page->max_prot = PROT_READ | PROT_WRITE;
		sgxk_mm_map_page(k, encl, page);
	}
	memset(&secinfo, 0, sizeof(secinfo));
	secinfo.flags = SGX_SECINFO_TYPE(type);
	r = sgx_encls_emodt(k->cpu, &secinfo, sgxk_epc_addr(k, page->epc));
	if (r) {
		if (r < 0)
			sgxk_log(k, "sgx: EMODT raised fault %d", r);
		else
			modt->result = (uint64_t)r;
		page->max_prot = restore;
		sgxk_mm_map_page(k, encl, page);
		return -EFAULT;
	}
	page->type = type;
	/* MODIFIED until the enclave accepts it: no access (sgx_zap_enclave_ptes). */
	sgxk_mm_map_page(k, encl, page);
	return 0;
}

static long modify_types(struct sgxk_encl *encl, struct sgx_enclave_modify_types *modt)
{
	uint8_t type = (uint8_t)modt->page_type;

	/* The only new types the hardware allows. */
	if (type != SGX_PT_TCS && type != SGX_PT_TRIM)
		return -EINVAL;
	return for_each_page(encl, modt->offset, modt->length, modify_type, modt, &modt->count);
}

long sgxk_ioc_modify_types(struct sgxk_encl *encl, unsigned long arg)
{
	struct sgx_enclave_modify_types params;
	long ret;

	if ((ret = sgx2_args(encl, arg, &params, sizeof(params))))
		return ret;
	if (params.page_type & ~0xFFull)
		return -EINVAL;
	if (params.result || params.count)
		return -EINVAL;
	ret = modify_types(encl, &params);
	if (sgxk_copy_to_user(arg, &params, sizeof(params)))
		return -EFAULT;
	return ret;
}

/*
 * One page of REMOVE_PAGES; encl locked.  EMODPR with RWX is the probe upstream uses: on a
 * trimmed page the enclave has not accepted yet it returns SGX_PAGE_NOT_MODIFIABLE, after
 * EACCEPT it faults (#PF), and only then may the page go.
 */
static long remove_page(struct sgxk_encl *encl, struct sgxk_page *page, void *arg)
{
	struct sgxk *k = encl->k;
	struct sgx_secinfo secinfo;

	(void)arg;
	if (page->type != SGX_PT_TRIM)
		return -EPERM;
	memset(&secinfo, 0, sizeof(secinfo));
	secinfo.flags = SGX_SECINFO_R | SGX_SECINFO_W | SGX_SECINFO_X;
	if (sgx_encls_emodpr(k->cpu, &secinfo, sgxk_epc_addr(k, page->epc)) != SGX_FAULT_PF)
		return -EPERM;
	sgxk_mm_zap_page(k, encl, page->addr);
	sgxk_page_erase(encl, page->addr);
	sgxk_eremove(k, page->epc);
	free(page);
	return 0;
}

long sgxk_ioc_remove_pages(struct sgxk_encl *encl, unsigned long arg)
{
	struct sgx_enclave_remove_pages params;
	long ret;

	if ((ret = sgx2_args(encl, arg, &params, sizeof(params))))
		return ret;
	if (params.count)
		return -EINVAL;
	ret = for_each_page(encl, params.offset, params.length, remove_page, NULL, &params.count);
	if (sgxk_copy_to_user(arg, &params, sizeof(params)))
		return -EFAULT;
	return ret;
}
