/* SPDX-License-Identifier: MIT */
/*
 * Process fds that stand for emulated device files.  Opening a device gives the program a real
 * fd (a placeholder on /dev/null, so the number is really allocated and close/dup/exec behave
 * as for any fd) and this table maps it to the kernel model's struct sgxk_file, which is
 * reference-counted like a struct file: dup() adds a reference, close() drops one, the last one
 * releases the enclave.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "host.h"

struct fd_entry {
	int fd;
	bool provision; /* /dev/sgx_provision rather than the enclave device */
	struct sgxk_file *file;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct fd_entry *entries;
static size_t nr_entries, cap_entries;
static atomic_size_t nr_live;

bool fdtable_in_use(void)
{
	return atomic_load_explicit(&nr_live, memory_order_relaxed) != 0;
}

static struct fd_entry *find(int fd)
{
	for (size_t i = 0; i < nr_entries; i++)
		if (entries[i].fd == fd)
			return &entries[i];
	return NULL;
}

int fdtable_add(int fd, struct sgxk_file *file, bool provision)
{
	struct fd_entry *e;
	int ret = 0;

	pthread_mutex_lock(&lock);
	e = find(fd);
	if (e) {
		/* The fd number was reused behind our back (raw close): the old file is gone. */
		struct sgxk_file *old = e->file;

		e->file = file;
		e->provision = provision;
		pthread_mutex_unlock(&lock);
		sgxk_file_put(host_kernel(), old);
		return 0;
	}
	if (nr_entries == cap_entries) {
		size_t cap = cap_entries ? 2 * cap_entries : 16;
		struct fd_entry *n = realloc(entries, cap * sizeof(*n));

		if (!n) {
			ret = -ENOMEM;
			goto out;
		}
		entries = n;
		cap_entries = cap;
	}
	entries[nr_entries++] = (struct fd_entry){.fd = fd, .provision = provision, .file = file};
	atomic_fetch_add(&nr_live, 1);
out:
	pthread_mutex_unlock(&lock);
	return ret;
}

enum lookup {
	LOOKUP_GET,    /* a reference of the caller's own */
	LOOKUP_BORROW, /* no reference: the caller's fd keeps the file alive */
	LOOKUP_REMOVE, /* the table's reference, handed over with the entry */
};

/* The file behind @fd (NULL: not a device fd), as @how says. */
static struct sgxk_file *lookup(int fd, enum lookup how, bool *provision)
{
	struct sgxk_file *file = NULL;
	struct fd_entry *e;

	if (fd < 0 || !fdtable_in_use())
		return NULL;
	pthread_mutex_lock(&lock);
	e = find(fd);
	if (e) {
		file = how == LOOKUP_GET ? sgxk_file_get(e->file) : e->file;
		if (provision)
			*provision = e->provision;
		if (how == LOOKUP_REMOVE) {
			*e = entries[--nr_entries];
			atomic_fetch_sub(&nr_live, 1);
		}
	}
	pthread_mutex_unlock(&lock);
	return file;
}

struct sgxk_file *fdtable_get(int fd, bool *provision)
{
	return lookup(fd, LOOKUP_GET, provision);
}

struct sgxk_file *fdtable_remove(int fd)
{
	return lookup(fd, LOOKUP_REMOVE, NULL);
}

/* Borrowed, like the kernel's fdget() inside a syscall: the caller's fd keeps the file alive. */
struct sgxk_file *fdtable_fdget(void *ctx, int fd)
{
	(void)ctx;
	return lookup(fd, LOOKUP_BORROW, NULL);
}

/* fork() while another thread holds the table: the child must not inherit a held lock. */
static void fork_prepare(void)
{
	pthread_mutex_lock(&lock);
}

static void fork_release(void)
{
	pthread_mutex_unlock(&lock);
}

__attribute__((constructor)) static void fdtable_init(void)
{
	pthread_atfork(fork_prepare, fork_release, fork_release);
}
