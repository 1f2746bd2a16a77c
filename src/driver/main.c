/* SPDX-License-Identifier: MIT */
/*
 * The EPC (arch/x86/kernel/cpu/sgx/main.c): one memfd of platform.epc_size bytes, mapped once
 * as the kernel's view and handed to the CPU; enclave pages become visible to the process by
 * mapping the same memfd pages at enclave addresses (mm.c).  Free pages sit on a stack that
 * hands out ascending indices, so pages added in order are contiguous in the memfd.  There is
 * no reclaimer: an exhausted EPC is -ENOMEM, as upstream when nothing is reclaimable.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "driver.h"

/* The memory the CPU is created over: a memfd, mapped MAP_SHARED as the kernel's view. */
int sgxk_epc_map(struct sgxk *k, uint64_t size, struct softsgx_err *err)
{
	void *p;

	if (!size || size % SGX_PAGE_SIZE)
		return softsgx_fail(err, -EINVAL,
				    "EPC size %llu is not a non-zero multiple of 4096",
				    (unsigned long long)size);
	k->epc_fd = memfd_create("softsgx-epc", MFD_CLOEXEC);
	if (k->epc_fd < 0)
		return softsgx_fail(err, -errno, "EPC: memfd_create failed: %s", strerror(errno));
	if (ftruncate(k->epc_fd, (off_t)size) < 0) {
		int e = errno;

		close(k->epc_fd);
		k->epc_fd = -1;
		return softsgx_fail(err, -e, "EPC: cannot size the memfd to %llu bytes: %s",
				    (unsigned long long)size, strerror(e));
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, k->epc_fd, 0);
	if (p == MAP_FAILED) {
		int e = errno;

		close(k->epc_fd);
		k->epc_fd = -1;
		return softsgx_fail(err, -e, "EPC: cannot map %llu bytes: %s",
				    (unsigned long long)size, strerror(e));
	}
	k->epc = p;
	k->epc_size = size;
	return 0;
}

void sgxk_epc_unmap(struct sgxk *k)
{
	if (k->epc)
		munmap(k->epc, k->epc_size);
	if (k->epc_fd >= 0)
		close(k->epc_fd);
	k->epc = NULL;
	k->epc_fd = -1;
}

int sgxk_epc_init(struct sgxk *k, struct softsgx_err *err)
{
	size_t n = sgx_epc_nr_pages(k->cpu);

	k->epc_free = calloc(n ? n : 1, sizeof(*k->epc_free));
	if (!k->epc_free)
		return softsgx_fail(err, -ENOMEM,
				    "EPC: out of memory for the free list of %zu pages", n);
	/* Lowest index on top of the stack. */
	for (size_t i = 0; i < n; i++)
		k->epc_free[i] = n - 1 - i;
	k->nr_free = n;
	k->nr_epc = n;
	pthread_mutex_init(&k->epc_lock, NULL);
	return 0;
}

void sgxk_epc_fini(struct sgxk *k)
{
	free(k->epc_free);
	k->epc_free = NULL;
	pthread_mutex_destroy(&k->epc_lock);
}

/*
 * fork: the child's own EPC.  The parent's memfd stays the parent's (the child drops its copy of
 * the fd and of the kernel's view); the child gets a new memfd, a new CPU over it with the same
 * platform and root secret (the same machine), and a full free list.  If that cannot be made,
 * the child keeps the old CPU with nothing to allocate (epc_lost): any page it took from the
 * shared memfd could be one the parent hands out too.
 */
int sgxk_epc_fork(struct sgxk *k, struct softsgx_err *err)
{
	struct sgx_platform platform = *sgx_cpu_platform(k->cpu);
	uint8_t *old_epc = k->epc;
	int old_fd = k->epc_fd;
	struct sgx_cpu *cpu = NULL;
	size_t n;
	int ret;

	k->epc = NULL;
	k->epc_fd = -1;
	ret = sgxk_epc_map(k, platform.epc_size, err);
	if (!ret) {
		ret = sgx_cpu_create(&cpu, &platform, k->epc, k->opts.root_secret, err);
		if (ret)
			sgxk_epc_unmap(k);
	}
	pthread_mutex_init(&k->epc_lock, NULL);
	if (ret) {
		k->epc = old_epc;
		k->epc_fd = old_fd;
		k->epc_lost = true;
		return ret;
	}
	munmap(old_epc, k->epc_size);
	close(old_fd);
	sgx_cpu_destroy(k->cpu);
	k->cpu = cpu;
	n = sgx_epc_nr_pages(cpu);
	for (size_t i = 0; i < n; i++)
		k->epc_free[i] = n - 1 - i;
	k->nr_free = n;
	return 0;
}

int sgxk_epc_alloc(struct sgxk *k, size_t *index)
{
	int ret = 0;

	pthread_mutex_lock(&k->epc_lock);
	if (k->nr_free && !k->epc_lost)
		*index = k->epc_free[--k->nr_free];
	else
		ret = -ENOMEM;
	pthread_mutex_unlock(&k->epc_lock);
	return ret;
}

void sgxk_epc_free(struct sgxk *k, size_t index)
{
	pthread_mutex_lock(&k->epc_lock);
	k->epc_free[k->nr_free++] = index;
	pthread_mutex_unlock(&k->epc_lock);
}

void *sgxk_epc_addr(struct sgxk *k, size_t index)
{
	return sgx_epc_page(k->cpu, index);
}

/*
 * EREMOVE and free (sgx_encl_free_epc_page): a page EREMOVE refuses (a thread still inside,
 * children left) is leaked rather than handed out again while its EPCM entry is valid.
 */
int sgxk_eremove(struct sgxk *k, size_t index)
{
	int ret = sgx_encls_eremove(k->cpu, sgxk_epc_addr(k, index));

	if (ret) {
		const char *name = ret > 0 ? sgx_return_code_name(ret) : NULL;

		sgxk_log(k, "sgx: EREMOVE of EPC page %zu failed: %d (%s); page leaked", index, ret,
			 name ? name : "fault");
		return -EIO;
	}
	sgxk_epc_free(k, index);
	return 0;
}

size_t sgxk_epc_free_pages(struct sgxk *k)
{
	size_t n;

	pthread_mutex_lock(&k->epc_lock);
	n = k->nr_free;
	pthread_mutex_unlock(&k->epc_lock);
	return n;
}
