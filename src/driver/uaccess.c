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

#define BATCH_PAGES 64

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
 * One system call for up to BATCH_PAGES pages: one remote iovec per page, since partial
 * transfers stop at iovec granularity, which tells how many whole pages were readable.
 */
size_t sgxk_copy_pages_from_user(void *dst, uint64_t src, size_t nr)
{
	struct iovec local = {dst, 0};
	struct iovec remote[BATCH_PAGES];
	ssize_t got;

	if (nr > BATCH_PAGES)
		nr = BATCH_PAGES;
	if (!nr || src + nr * SGX_PAGE_SIZE < src)
		return 0;
	for (size_t i = 0; i < nr; i++) {
		remote[i].iov_base = (void *)(uintptr_t)(src + i * SGX_PAGE_SIZE);
		remote[i].iov_len = SGX_PAGE_SIZE;
	}
	local.iov_len = nr * SGX_PAGE_SIZE;
	got = process_vm_readv(self(), &local, 1, remote, nr, 0);
	if (got <= 0)
		return 0;
	return (size_t)got / SGX_PAGE_SIZE;
}
