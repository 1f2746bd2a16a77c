/* SPDX-License-Identifier: MIT */
/*
 * copy_from_user / copy_to_user for a kernel that lives inside the process: the process's
 * memory is read and written through process_vm_readv/process_vm_writev on our own pid, so an
 * unmapped (or PROT_NONE) user address gives -EFAULT instead of a crash, exactly where the
 * kernel's uaccess would.
 */
#include <errno.h>
#include <sys/uio.h>
#include <unistd.h>

#include "driver.h"

/* Not cached: after fork the child's memory is its own. */
static pid_t self(void)
{
	return getpid();
}

int sgxk_copy_from_user(void *dst, uint64_t src, size_t len)
{
	struct iovec local = {dst, len};
	struct iovec remote = {(void *)(uintptr_t)src, len};

	if (!len)
		return 0;
	if (src + len < src)
		return -EFAULT;
	if (process_vm_readv(self(), &local, 1, &remote, 1, 0) != (ssize_t)len)
		return -EFAULT;
	return 0;
}

int sgxk_copy_to_user(uint64_t dst, const void *src, size_t len)
{
	struct iovec local = {(void *)src, len};
	struct iovec remote = {(void *)(uintptr_t)dst, len};

	if (!len)
		return 0;
	if (dst + len < dst)
		return -EFAULT;
	if (process_vm_writev(self(), &local, 1, &remote, 1, 0) != (ssize_t)len)
		return -EFAULT;
	return 0;
}

/*
 * One system call for a run of up to SGXK_COPY_PAGES_MAX pages: the source as one remote
 * iovec (one per page cost the kernel a fifth more), each page to its own destination.  A
 * transfer that faults stops at the faulting page, so the whole pages before it are read;
 * should a kernel refuse the whole iovec instead, the first page is tried alone, so the
 * answer is exact either way: a run reads as far as its first unreadable page.
 */
size_t sgxk_copy_pages_from_user(void *const *dst, uint64_t src, size_t nr)
{
	struct iovec local[SGXK_COPY_PAGES_MAX];
	struct iovec remote = {(void *)(uintptr_t)src, 0};
	ssize_t got;

	if (nr > SGXK_COPY_PAGES_MAX)
		nr = SGXK_COPY_PAGES_MAX;
	if (!nr || src + nr * SGX_PAGE_SIZE < src)
		return 0;
	for (size_t i = 0; i < nr; i++) {
		local[i].iov_base = dst[i];
		local[i].iov_len = SGX_PAGE_SIZE;
	}
	remote.iov_len = nr * SGX_PAGE_SIZE;
	got = process_vm_readv(self(), local, nr, &remote, 1, 0);
	if (got < SGX_PAGE_SIZE && nr > 1)
		return sgxk_copy_pages_from_user(dst, src, 1);
	if (got <= 0)
		return 0;
	return (size_t)got / SGX_PAGE_SIZE;
}
