/* SPDX-License-Identifier: MIT */
/*
 * The audit sink of the security modules: records in the format of the Linux audit log
 * ("type=AVC msg=audit(1764243000.123:42): avc:  denied  { ... } for  pid=..."), so that
 * audit2allow and audit2why read them.  The destination is stderr or a file opened O_APPEND;
 * each record is one whole line written with one write(2) under a mutex, retried on EINTR and
 * short writes: lines are never interleaved, never dropped.  Serial numbers come from one
 * process-wide atomic counter, so records of several sinks stay ordered.
 */
#ifndef SOFTSGX_SECURITY_AUDIT_H
#define SOFTSGX_SECURITY_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "softsgx/err.h"

/* The longest record written; longer bodies are cut (never split) at this size. */
#define LSM_AUDIT_MAX 4096

struct lsm_audit;

/* @dest: "stderr" or a file path (created 0600 if missing, appended to). */
int lsm_audit_open(struct lsm_audit **audit, const char *dest, struct softsgx_err *err);
void lsm_audit_close(struct lsm_audit *audit);

/*
 * Write "type=@type msg=audit(SECONDS.MILLIS:SERIAL): " + the formatted body + "\n".
 * Returns 0 or the negative errno of write(2) (the record is then lost: the caller's
 * decision stands, it is never turned into an allow).  A NULL @audit writes nothing.
 */
int lsm_audit_log(struct lsm_audit *audit, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The fields of one AVC record, in the order the kernel prints them. */
struct lsm_avc_record {
	bool granted;		  /* "granted" (an auditallow rule) rather than "denied" */
	const char *const *perms; /* permission names, printed in this order */
	size_t nr_perms;
	pid_t pid;
	const char *comm;
	/* The file, when the check is on one (path, dev and ino are omitted when @path is NULL). */
	const char *path;
	dev_t dev; /* printed as the file system's name, as the kernel's s_id */
	unsigned long ino;
	bool has_ioctlcmd;
	unsigned int ioctlcmd; /* printed as the kernel does: 16 bits, "0x%hx" */
	const char *scontext, *tcontext, *tclass;
	bool permissive; /* printed on denials only, as the kernel does */
};

/*
 * Format the body of an AVC record (everything after "msg=audit(...): ") into @buf:
 *   avc:  denied  { perm1 perm2 } for  pid=4242 comm="loader" path="/tmp/x" dev="vda"
 *   ino=1234 ioctlcmd=0xa402 scontext=... tcontext=... tclass=process2 permissive=0
 * (one line; a granted record has no permissive= field).  Returns the length, or -ENOSPC when @size
 * is too small.
 */
int lsm_avc_format(char *buf, size_t size, const struct lsm_avc_record *rec);

/* Write an AVC record ("type=AVC") to @audit. */
int lsm_audit_avc(struct lsm_audit *audit, const struct lsm_avc_record *rec);

/*
 * Append @s as the kernel's audit_log_untrustedstring does: "quoted" when it holds only
 * printable characters other than space and '"', else as upper-case hex without quotes.
 * Returns the new length or -ENOSPC.
 */
int lsm_audit_untrusted(char *buf, size_t size, size_t len, const char *s);

/*
 * Append a task's comm as the kernel does: at most 15 bytes (TASK_COMM_LEN - 1, so a full
 * 16-byte comm array without a NUL is safe), encoded like lsm_audit_untrusted.
 */
int lsm_audit_comm(char *buf, size_t size, size_t len, const char *comm);

/*
 * The name the kernel prints as dev= for files on device @dev (the superblock's s_id): the
 * block device's name ("vda1") for a disk file system, else the file system type ("tmpfs",
 * "devtmpfs", "overlay").  Read from /proc/self/mountinfo; "?" when @dev is not mounted.
 */
void lsm_audit_dev_name(dev_t dev, char *out, size_t size);

/* The whole line "type=@type msg=audit(@sec.@msec:@serial): @body\n", for tests and tools. */
int lsm_audit_format_line(char *buf, size_t size, const char *type, long long sec, int msec,
			  unsigned long serial, const char *body);

#endif
