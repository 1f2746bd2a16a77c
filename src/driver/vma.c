/* SPDX-License-Identifier: MIT */
/*
 * The default source-mapping provider: what the kernel reads from a VMA, taken from
 * /proc/self/maps, /proc/self/smaps (each mapping's "Anonymous:"/"Swap:" counters: was a
 * private file mapping written?) and, for noexec, statvfs(2) of the backing file or
 * /proc/self/mountinfo by device.  Each is read at most once per ioctl and only when needed:
 * refresh() marks the snapshot stale, the first lookup rereads maps, the first lookup of a
 * private file mapping reads smaps (it walks page tables, far slower than maps), and every
 * later lookup in that ioctl is a binary search.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "driver.h"

struct proc_vma {
	struct sgxk_vma v;
	bool noexec_known;
};

struct sgxk_proc_vmas {
	pthread_mutex_t lock;
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
	v->anonymous = ino == 0 || v->path[0] != '/' || private_inode(v->path);
	if (v->anonymous) {
		v->dev = 0;
		v->ino = 0;
	}
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
 */
static void load_written(struct sgxk_proc_vmas *p)
{
	size_t len;
	char *buf = read_proc("/proc/self/smaps", &len), *line, *next;
	struct proc_vma *cur = NULL;
	struct sgxk_vma v;

	p->written_known = true;
	if (!buf)
		return;
	for (line = buf; *line; line = next) {
		unsigned long long kb;

		next = strchr(line, '\n');
		next = next ? next + 1 : line + strlen(line);
		if (!parse_header(line, &v)) {
			cur = find(p, v.start);
			if (cur && cur->v.start != v.start)
				cur = NULL;
		} else if (cur && (sscanf(line, "Anonymous: %llu", &kb) == 1 ||
				   sscanf(line, "Swap: %llu", &kb) == 1)) {
			if (kb && !cur->v.anonymous && !cur->v.shared)
				cur->v.written = true;
		}
	}
	free(buf);
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
static void resolve_noexec(struct proc_vma *pv)
{
	struct statvfs st;
	const char *path = pv->v.path;

	pv->noexec_known = true;
	if (pv->v.anonymous)
		return;
	if (!strstr(path, " (deleted)") && !statvfs(path, &st))
		pv->v.noexec = st.f_flag & ST_NOEXEC;
	else
		pv->v.noexec = mountinfo_noexec(pv->v.dev);
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
		if (pv && !pv->noexec_known)
			resolve_noexec(pv);
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
