/* SPDX-License-Identifier: MIT */
/*
 * The audit sink (audit.h).  Lines are built whole in a buffer first and then handed to one
 * write(2) on an O_APPEND descriptor while holding the sink's mutex: O_APPEND keeps lines of
 * other processes appending to the same file whole, the mutex keeps a retried short write of
 * this process from being interleaved with another thread's line.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"

struct lsm_audit {
	int fd;
	bool own_fd;
	pthread_mutex_t lock;
};

/* One counter for the whole process, like the kernel's audit serial. */
static atomic_ulong audit_serial;

int lsm_audit_open(struct lsm_audit **audit, const char *dest, struct softsgx_err *err)
{
	struct lsm_audit *a;
	int fd;

	*audit = NULL;
	if (!dest || !*dest)
		return softsgx_fail(err, -EINVAL, "audit: no destination (\"stderr\" or a path)");
	if (!strcmp(dest, "stderr")) {
		fd = STDERR_FILENO;
	} else {
		fd = open(dest, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0)
			return softsgx_fail(err, -errno, "audit: cannot open %s for appending: %s",
					    dest, strerror(errno));
	}
	a = calloc(1, sizeof(*a));
	if (!a) {
		if (fd != STDERR_FILENO)
			close(fd);
		return softsgx_fail(err, -ENOMEM, "audit: out of memory");
	}
	a->fd = fd;
	a->own_fd = fd != STDERR_FILENO;
	pthread_mutex_init(&a->lock, NULL);
	*audit = a;
	return 0;
}

void lsm_audit_close(struct lsm_audit *audit)
{
	if (!audit)
		return;
	if (audit->own_fd)
		close(audit->fd);
	pthread_mutex_destroy(&audit->lock);
	free(audit);
}

/*
 * A destination that is not ready (a non-blocking pipe or terminal on stderr whose reader is
 * slow) is waited for rather than dropped; only ten seconds without any progress give up.
 */
#define AUDIT_STALL_MS 10000

static int wait_writable(int fd, int *stalled_ms)
{
	struct pollfd pfd = {.fd = fd, .events = POLLOUT};
	int n = poll(&pfd, 1, 100);

	if (n < 0 && errno != EINTR)
		return -errno;
	if (n == 0 && (*stalled_ms += 100) >= AUDIT_STALL_MS)
		return -EAGAIN;
	return 0;
}

/* The whole of @buf, across EINTR, short writes and EAGAIN. */
static int write_all(int fd, const char *buf, size_t len)
{
	int stalled_ms = 0, rc;

	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			rc = wait_writable(fd, &stalled_ms);
			if (rc)
				return rc;
			continue;
		}
		if (n < 0)
			return -errno;
		stalled_ms = 0;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int audit_write(struct lsm_audit *audit, const char *line, size_t len)
{
	int rc;

	pthread_mutex_lock(&audit->lock);
	rc = write_all(audit->fd, line, len);
	pthread_mutex_unlock(&audit->lock);
	return rc;
}

int lsm_audit_format_line(char *buf, size_t size, const char *type, long long sec, int msec,
			  unsigned long serial, const char *body)
{
	int n = snprintf(buf, size, "type=%s msg=audit(%lld.%03d:%lu): %s\n", type, sec, msec,
			 serial, body);

	if (n < 0 || (size_t)n >= size)
		return -ENOSPC;
	return n;
}

/* A body cut at the record limit still ends in a newline, so the next record starts a line. */
static size_t finish_line(char *line, size_t size, int n)
{
	if (n >= 0 && (size_t)n < size)
		return (size_t)n;
	line[size - 2] = '\n';
	line[size - 1] = '\0';
	return size - 1;
}

static int audit_log_body(struct lsm_audit *audit, const char *type, const char *body)
{
	char line[LSM_AUDIT_MAX];
	struct timespec ts;
	unsigned long serial;
	int n;

	if (!audit)
		return 0;
	clock_gettime(CLOCK_REALTIME, &ts);
	serial = atomic_fetch_add(&audit_serial, 1) + 1;
	n = lsm_audit_format_line(line, sizeof(line), type, (long long)ts.tv_sec,
				  (int)(ts.tv_nsec / 1000000), serial, body);
	if (n < 0)
		n = snprintf(line, sizeof(line), "type=%s msg=audit(%lld.%03d:%lu): %s", type,
			     (long long)ts.tv_sec, (int)(ts.tv_nsec / 1000000), serial, body);
	return audit_write(audit, line, finish_line(line, sizeof(line), n));
}

int lsm_audit_log(struct lsm_audit *audit, const char *type, const char *fmt, ...)
{
	char body[LSM_AUDIT_MAX];
	va_list ap;

	if (!audit)
		return 0;
	va_start(ap, fmt);
	vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);
	return audit_log_body(audit, type, body);
}

static bool needs_hex(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p == '"' || *p < 0x21 || *p > 0x7e)
			return true;
	return false;
}

int lsm_audit_untrusted(char *buf, size_t size, size_t len, const char *s)
{
	static const char upper[] = "0123456789ABCDEF";
	size_t slen = strlen(s);

	if (!needs_hex(s)) {
		if (len + slen + 3 > size)
			return -ENOSPC;
		buf[len++] = '"';
		memcpy(buf + len, s, slen);
		len += slen;
		buf[len++] = '"';
	} else {
		if (len + 2 * slen + 1 > size)
			return -ENOSPC;
		for (size_t i = 0; i < slen; i++) {
			buf[len++] = upper[(unsigned char)s[i] >> 4];
			buf[len++] = upper[(unsigned char)s[i] & 0xF];
		}
	}
	buf[len] = '\0';
	return (int)len;
}

int lsm_audit_comm(char *buf, size_t size, size_t len, const char *comm)
{
	char c[16];

	snprintf(c, sizeof(c), "%.15s", comm ? comm : "");
	return lsm_audit_untrusted(buf, size, len, c);
}

static int append(char *buf, size_t size, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int append(char *buf, size_t size, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (len >= size)
		return -ENOSPC;
	va_start(ap, fmt);
	n = vsnprintf(buf + len, size - len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size - len)
		return -ENOSPC;
	return (int)(len + (size_t)n);
}

/* " path=... dev=... ino=..." as the kernel's LSM_AUDIT_DATA_PATH / IOCTL_OP print it. */
static int append_file(char *buf, size_t size, int n, const struct lsm_avc_record *rec)
{
	char dev[64];

	n = append(buf, size, (size_t)n, " path=");
	if (n >= 0)
		n = lsm_audit_untrusted(buf, size, (size_t)n, rec->path);
	if (n < 0)
		return n;
	lsm_audit_dev_name(rec->dev, dev, sizeof(dev));
	n = append(buf, size, (size_t)n, " dev=");
	if (n >= 0)
		n = lsm_audit_untrusted(buf, size, (size_t)n, dev);
	if (n >= 0)
		n = append(buf, size, (size_t)n, " ino=%lu", rec->ino);
	return n;
}

int lsm_avc_format(char *buf, size_t size, const struct lsm_avc_record *rec)
{
	int n;

	n = append(buf, size, 0, "avc:  %s  {", rec->granted ? "granted" : "denied");
	for (size_t i = 0; i < rec->nr_perms && n >= 0; i++)
		n = append(buf, size, (size_t)n, " %s", rec->perms[i]);
	if (n >= 0)
		n = append(buf, size, (size_t)n, " } for  pid=%d comm=", (int)rec->pid);
	if (n >= 0)
		n = lsm_audit_comm(buf, size, (size_t)n, rec->comm);
	if (n >= 0 && rec->path)
		n = append_file(buf, size, n, rec);
	if (n >= 0 && rec->has_ioctlcmd)
		n = append(buf, size, (size_t)n, " ioctlcmd=0x%hx", (unsigned short)rec->ioctlcmd);
	if (n >= 0)
		n = append(buf, size, (size_t)n, " scontext=%s tcontext=%s tclass=%s",
			   rec->scontext, rec->tcontext, rec->tclass);
	/* avc_audit_post_callback prints permissive= on denials only. */
	if (n >= 0 && !rec->granted)
		n = append(buf, size, (size_t)n, " permissive=%u", rec->permissive ? 1u : 0u);
	return n;
}

int lsm_audit_avc(struct lsm_audit *audit, const struct lsm_avc_record *rec)
{
	char body[LSM_AUDIT_MAX];

	if (!audit)
		return 0;
	if (lsm_avc_format(body, sizeof(body), rec) < 0)
		return lsm_audit_log(
		    audit, "AVC", "avc:  %s  { ... } for  pid=%d (record longer than %d bytes)",
		    rec->granted ? "granted" : "denied", (int)rec->pid, LSM_AUDIT_MAX);
	return audit_log_body(audit, "AVC", body);
}

/* The kernel's name of a block device: the last component of /sys/dev/block/MAJ:MIN. */
static bool block_dev_name(dev_t dev, char *out, size_t size)
{
	char link[64], target[512];
	ssize_t n;
	const char *base;

	snprintf(link, sizeof(link), "/sys/dev/block/%u:%u", major(dev), minor(dev));
	n = readlink(link, target, sizeof(target) - 1);
	if (n <= 0)
		return false;
	target[n] = '\0';
	base = strrchr(target, '/');
	snprintf(out, size, "%s", base ? base + 1 : target);
	return true;
}

/* The file system type of the mount of @dev ("tmpfs"), from /proc/self/mountinfo. */
static bool mount_fstype(dev_t dev, char *out, size_t size)
{
	char line[4096], want[32];
	bool found = false;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (!f)
		return false;
	snprintf(want, sizeof(want), "%u:%u", major(dev), minor(dev));
	while (!found && fgets(line, sizeof(line), f)) {
		char majmin[32], *sep;
		char fstype[64];

		if (sscanf(line, "%*s %*s %31s", majmin) != 1 || strcmp(majmin, want))
			continue;
		sep = strstr(line, " - ");
		if (!sep || sscanf(sep + 3, "%63s", fstype) != 1)
			continue;
		/* "fuse.sshfs": the kernel's s_id is the base type. */
		fstype[strcspn(fstype, ".")] = '\0';
		snprintf(out, size, "%s", fstype);
		found = true;
	}
	fclose(f);
	return found;
}

void lsm_audit_dev_name(dev_t dev, char *out, size_t size)
{
	if (block_dev_name(dev, out, size))
		return;
	if (mount_fstype(dev, out, size))
		return;
	snprintf(out, size, "?");
}
