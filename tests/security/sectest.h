/* SPDX-License-Identifier: MIT */
/*
 * Small helpers shared by the security tests: a private temporary directory, whole-file
 * reads and writes, the known-answer vectors, and the audit records a test produced.
 */
#ifndef SOFTSGX_TESTS_SECTEST_H
#define SOFTSGX_TESTS_SECTEST_H

#include <stdarg.h>
#include <stddef.h>
#include <sys/types.h>

/* A fresh directory under $TMPDIR (or /tmp); removed with everything in it by sectest_rmtree. */
void sectest_tmpdir(char *out, size_t size);
void sectest_rmtree(const char *dir);

void sectest_write_file(const char *path, const char *text);
/* The whole file, NUL-terminated (malloc'd); NULL when it does not exist. */
char *sectest_read_file(const char *path, size_t *len);

/* A file of ../shared/vectors/rust-sgx ($SOFTSGX_VECTORS), exactly @size bytes. */
void sectest_read_vector(const char *name, void *buf, size_t size);

/* The records of an audit file, each without "type=T msg=audit(S.MS:N): " and its newline. */
struct sectest_audit {
	size_t nr;
	char **type; /* "AVC", "SGX_LAUNCH", ... */
	char **body;
	unsigned long *serial;
};
/* Parse @path; fails the test on any line not in the audit format (a torn or mixed line). */
void sectest_audit_read(const char *path, struct sectest_audit *a);
void sectest_audit_free(struct sectest_audit *a);

/*
 * The audit file @path must hold exactly @n records of @type, in order: for "AVC" each body
 * equal to the next string of @ap, for any other type each body starting with it.  On a
 * count mismatch the records are printed before the test fails.
 */
void sectest_expect_records(const char *path, const char *type, size_t n, va_list ap);

/*
 * "avc:  VERDICT  { PERMS } for  pid=PID comm="COMM"" followed by @fmt: an AVC body as the
 * module must write it.  The result lives in one of eight rotating static buffers, so up to
 * eight may be passed to one call of sectest_expect_records.
 */
const char *sectest_avc_line(int pid, const char *comm, const char *verdict, const char *perms,
			     const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));

/*
 * What the kernel prints as dev= for the file system of device @dev (its s_id): the block
 * device's name, else the file-system type; found in /proc/self/mountinfo, independently of
 * the code under test.  "?" when no mount matches.
 */
void sectest_dev_name(dev_t dev, char *out, size_t size);

/* This process's comm, as /proc/self/comm gives it (audit's comm=). */
void sectest_read_comm(char *comm, size_t size);

#endif
