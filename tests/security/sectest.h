/* SPDX-License-Identifier: MIT */
/*
 * Small helpers shared by the security tests: a private temporary directory, whole-file
 * reads and writes, the known-answer vectors, and the audit records a test produced.
 */
#ifndef SOFTSGX_TESTS_SECTEST_H
#define SOFTSGX_TESTS_SECTEST_H

#include <stddef.h>

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

#endif
