/* SPDX-License-Identifier: MIT */
/*
 * The default source-mapping provider: what the kernel reads from a VMA.  Two ways in:
 *
 *  - PROCMAP_QUERY (Linux 6.11): one ioctl on /proc/self/maps answers for one address (range,
 *    protections, device, inode, path), so a lookup costs three system calls whatever the
 *    number of mappings;
 *  - on older kernels (the ioctl is ENOTTY), a snapshot of /proc/self/maps, read at most once
 *    per ioctl: refresh() marks it stale, the first lookup rereads it, every later lookup in
 *    that ioctl is a binary search.
 *
 * Either way /proc/self/smaps tells whether a private file mapping has been written (its
 * "Anonymous:"/"Swap:" counters: the kernel's vma->anon_vma), read only for such a mapping (it
 * walks page tables, far slower than maps), and statvfs(2) of the backing file, or
 * /proc/self/mountinfo by device, whether its mount is noexec.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "driver.h"

struct proc_vma {
	struct sgxk_vma v;
	bool noexec_known;
};

/* <linux/fs.h> of Linux 6.11; Debian 12's headers predate it. */
#ifndef PROCMAP_QUERY
struct procmap_query {
	uint64_t size;
	uint64_t query_flags;
	uint64_t query_addr;
	uint64_t vma_start;
	uint64_t vma_end;
	uint64_t vma_flags;
	uint64_t vma_page_size;
	uint64_t vma_offset;
	uint64_t inode;
	uint32_t dev_major;
	uint32_t dev_minor;
	uint32_t vma_name_size;
	uint32_t build_id_size;
	uint64_t vma_name_addr;
	uint64_t build_id_addr;
};
#define PROCMAP_QUERY _IOWR('f', 17, struct procmap_query)
#endif
#define PROCMAP_QUERY_VMA_READABLE   0x01
#define PROCMAP_QUERY_VMA_WRITABLE   0x02
#define PROCMAP_QUERY_VMA_EXECUTABLE 0x04
#define PROCMAP_QUERY_VMA_SHARED     0x08

struct sgxk_proc_vmas {
	pthread_mutex_t lock;
	enum sgxk_vmas_mode mode;
	bool stale;
	bool written_known; /* smaps read for this snapshot */
	struct proc_vma *v;
	size_t n, cap;
};

/* Read a whole /proc file (its size is unknown in advance). */
static char *read_proc(const char *path, size_t *len)
{
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap + 1);
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (!buf || fd < 0)
		goto fail;
	for (;;) {
		ssize_t r;

		if (n == cap) {
			char *nb = realloc(buf, cap * 2 + 1);

			if (!nb)
				goto fail;
			buf = nb;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto fail;
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	*len = n;
	return buf;
fail:
	if (fd >= 0)
		close(fd);
	free(buf);
	return NULL;
}

/* Shared anonymous memory, SysV and POSIX shm, memfd: IS_PRIVATE inodes, "anonymous". */
static bool private_inode(const char *path)
{
	return !strcmp(path, "/dev/zero (deleted)") || !strncmp(path, "/SYSV", 5) ||
	       !strncmp(path, "/memfd:", 7) || !strncmp(path, "/dev/shm/", 9);
}

/* Anonymous memory in every form: no inode, a special name ("[heap]"), or an IS_PRIVATE inode. */
static void classify(struct sgxk_vma *v)
{
	v->anonymous = v->ino == 0 || v->path[0] != '/' || private_inode(v->path);
	if (v->anonymous) {
		v->dev = 0;
		v->ino = 0;
	}
}

/* "start-end perms offset maj:min inode   path" */
static int parse_header(const char *line, struct sgxk_vma *v)
{
	unsigned long long start, end, off, ino;
	unsigned int maj, min;
	char perms[5];
	int pos = 0;

	if (sscanf(line, "%llx-%llx %4s %llx %x:%x %llu%n", &start, &end, perms, &off, &maj, &min,
		   &ino, &pos) != 7)
		return -EINVAL;
	memset(v, 0, sizeof(*v));
	v->start = start;
	v->end = end;
	v->prot = (perms[0] == 'r' ? PROT_READ : 0) | (perms[1] == 'w' ? PROT_WRITE : 0) |
		  (perms[2] == 'x' ? PROT_EXEC : 0);
	v->shared = perms[3] == 's';
	v->dev = makedev(maj, min);
	v->ino = (ino_t)ino;
	line += pos;
	while (*line == ' ' || *line == '\t')
		line++;
	snprintf(v->path, sizeof(v->path), "%.*s", (int)strcspn(line, "\n"), line);
	classify(v);
	return 0;
}

static int push(struct sgxk_proc_vmas *p, const struct sgxk_vma *v)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 64;
		struct proc_vma *nv = realloc(p->v, cap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		p->v = nv;
		p->cap = cap;
	}
	p->v[p->n].v = *v;
	p->v[p->n].noexec_known = false;
	p->n++;
	return 0;
}

/* maps: one header line per mapping. */
static int load(struct sgxk_proc_vmas *p)
{
	size_t len;
	char *buf = read_proc("/proc/self/maps", &len), *line, *next;
	struct sgxk_vma v;
	int ret = 0;

	if (!buf)
		return -EFAULT;
	p->n = 0;
	p->written_known = false;
	for (line = buf; *line; line = next) {
		next = strchr(line, '\n');
		next = next ? next + 1 : line + strlen(line);
		if (!parse_header(line, &v) && (ret = push(p, &v)))
			break;
	}
	free(buf);
	return ret;
}

static struct proc_vma *find(struct sgxk_proc_vmas *p, uint64_t addr)
{
	size_t lo = 0, hi = p->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (addr < p->v[mid].v.start)
			hi = mid;
		else if (addr >= p->v[mid].v.end)
			lo = mid + 1;
		else
			return &p->v[mid];
	}
	return NULL;
}

/*
 * smaps: header lines, then "Key: value kB" lines for the mapping above them.  A private file
 * mapping with anonymous (or swapped) pages has been written: the kernel's vma->anon_vma.
 * @written is called for each such mapping with its start address.
 */
static void scan_written(void (*written)(void *ctx, uint64_t start), void *ctx)
{
	size_t len;
	char *buf = read_proc("/proc/self/smaps", &len), *line, *next;
	struct sgxk_vma v;
	bool candidate = false, reported = false;
	uint64_t start = 0;

	if (!buf)
		return;
	for (line = buf; *line; line = next) {
		unsigned long long kb;

		next = strchr(line, '\n');
		next = next ? next + 1 : line + strlen(line);
		if (!parse_header(line, &v)) {
			candidate = !v.anonymous && !v.shared;
			reported = false;
			start = v.start;
		} else if (candidate && !reported &&
			   (sscanf(line, "Anonymous: %llu", &kb) == 1 ||
			    sscanf(line, "Swap: %llu", &kb) == 1) &&
			   kb) {
			written(ctx, start);
			reported = true;
		}
	}
	free(buf);
}

static void snapshot_written(void *ctx, uint64_t start)
{
	struct proc_vma *pv = find(ctx, start);

	if (pv && pv->v.start == start)
		pv->v.written = true;
}

static void load_written(struct sgxk_proc_vmas *p)
{
	p->written_known = true;
	scan_written(snapshot_written, p);
}

struct one_vma {
	uint64_t start;
	bool written;
};

static void one_written(void *ctx, uint64_t start)
{
	struct one_vma *o = ctx;

	if (o->start == start)
		o->written = true;
}

/* The mount holding device @dev has the noexec option (mountinfo field 6). */
static bool mountinfo_noexec(dev_t dev)
{
	size_t len;
	char *buf = read_proc("/proc/self/mountinfo", &len), *line, *save = NULL;
	bool noexec = false;

	if (!buf)
		return false;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned int maj, min;
		char opts[512];

		if (sscanf(line, "%*u %*u %u:%u %*s %*s %511s", &maj, &min, opts) != 3)
			continue;
		if (makedev(maj, min) != dev)
			continue;
		char *osave = NULL;

		for (char *o = strtok_r(opts, ",", &osave); o; o = strtok_r(NULL, ",", &osave))
			if (!strcmp(o, "noexec"))
				noexec = true;
		break;
	}
	free(buf);
	return noexec;
}

/* VM_MAYEXEC is clear on a file mapping whose mount is noexec (path_noexec at mmap). */
static void resolve_noexec(struct sgxk_vma *v)
{
	struct statvfs st;

	if (v->anonymous)
		return;
	if (!strstr(v->path, " (deleted)") && !statvfs(v->path, &st))
		v->noexec = st.f_flag & ST_NOEXEC;
	else
		v->noexec = mountinfo_noexec(v->dev);
}

/*
 * One PROCMAP_QUERY for the mapping containing @addr: 0; -EFAULT when nothing is mapped
 * there; -ENOTTY when the kernel has no such ioctl (before 6.11).
 */
static int query(uint64_t addr, struct sgxk_vma *v)
{
	struct procmap_query q = {
	    .size = sizeof(q),
	    .query_addr = addr,
	    .vma_name_addr = (uint64_t)(uintptr_t)v->path,
	    .vma_name_size = sizeof(v->path),
	};
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC), ret;

	if (fd < 0)
		return -EFAULT;
	ret = ioctl(fd, PROCMAP_QUERY, &q) ? -errno : 0;
	close(fd);
	if (ret == -ENOTTY || ret == -EINVAL || ret == -ENOSYS)
		return -ENOTTY;
	if (ret)
		return -EFAULT; /* ENOENT: no mapping there */
	if (!q.vma_name_size)
		v->path[0] = '\0';
	v->start = q.vma_start;
	v->end = q.vma_end;
	v->prot = (q.vma_flags & PROCMAP_QUERY_VMA_READABLE ? PROT_READ : 0) |
		  (q.vma_flags & PROCMAP_QUERY_VMA_WRITABLE ? PROT_WRITE : 0) |
		  (q.vma_flags & PROCMAP_QUERY_VMA_EXECUTABLE ? PROT_EXEC : 0);
	v->shared = q.vma_flags & PROCMAP_QUERY_VMA_SHARED;
	v->dev = makedev(q.dev_major, q.dev_minor);
	v->ino = (ino_t)q.inode;
	v->written = false;
	v->noexec = false;
	classify(v);
	if (!v->anonymous && !v->shared) {
		struct one_vma o = {.start = v->start};

		scan_written(one_written, &o);
		v->written = o.written;
	}
	resolve_noexec(v);
	return 0;
}

static int proc_refresh(void *ctx)
{
	struct sgxk_proc_vmas *p = ctx;

	pthread_mutex_lock(&p->lock);
	p->stale = true;
	pthread_mutex_unlock(&p->lock);
	return 0;
}

static int proc_lookup(void *ctx, uint64_t addr, struct sgxk_vma *vma)
{
	struct sgxk_proc_vmas *p = ctx;
	struct proc_vma *pv;
	int ret = -EFAULT;

	pthread_mutex_lock(&p->lock);
	if (p->mode == SGXK_VMAS_QUERY) {
		ret = query(addr, vma);
		if (ret != -ENOTTY) {
			pthread_mutex_unlock(&p->lock);
			return ret;
		}
		p->mode = SGXK_VMAS_MAPS; /* for good: the kernel predates PROCMAP_QUERY */
		ret = -EFAULT;
	}
	if (p->stale) {
		if (load(p)) {
			pthread_mutex_unlock(&p->lock);
			return -EFAULT;
		}
		p->stale = false;
	}
	pv = find(p, addr);
	if (pv) {
		if (!pv->v.anonymous && !pv->v.shared && !p->written_known) {
			load_written(p);
			pv = find(p, addr);
		}
		if (pv && !pv->noexec_known) {
			resolve_noexec(&pv->v);
			pv->noexec_known = true;
		}
		if (pv) {
			*vma = pv->v;
			ret = 0;
		}
	}
	pthread_mutex_unlock(&p->lock);
	return ret;
}

int sgxk_proc_vmas_create(struct sgxk *k)
{
	struct sgxk_proc_vmas *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	pthread_mutex_init(&p->lock, NULL);
	p->stale = true;
	k->proc_vmas = p;
	k->proc_provider.ctx = p;
	k->proc_provider.refresh = proc_refresh;
	k->proc_provider.lookup = proc_lookup;
	return 0;
}

enum sgxk_vmas_mode sgxk_proc_vmas_mode(struct sgxk *k, const enum sgxk_vmas_mode *set)
{
	struct sgxk_proc_vmas *p = k->proc_vmas;
	enum sgxk_vmas_mode mode;

	pthread_mutex_lock(&p->lock);
	if (set) {
		p->mode = *set;
		p->stale = true;
	}
	mode = p->mode;
	pthread_mutex_unlock(&p->lock);
	return mode;
}

/* fork (driver.c): the snapshot's lock is held across it; the child's snapshot is stale. */
void sgxk_proc_vmas_fork_lock(struct sgxk *k)
{
	if (k->proc_vmas)
		pthread_mutex_lock(&k->proc_vmas->lock);
}

void sgxk_proc_vmas_fork_unlock(struct sgxk *k, bool child)
{
	struct sgxk_proc_vmas *p = k->proc_vmas;

	if (!p)
		return;
	if (!child) {
		pthread_mutex_unlock(&p->lock);
		return;
	}
	pthread_mutex_init(&p->lock, NULL);
	p->stale = true;
	p->written_known = false;
}

void sgxk_proc_vmas_destroy(struct sgxk *k)
{
	struct sgxk_proc_vmas *p = k->proc_vmas;

	if (!p)
		return;
	free(p->v);
	pthread_mutex_destroy(&p->lock);
	free(p);
	k->proc_vmas = NULL;
}
