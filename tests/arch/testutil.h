/* SPDX-License-Identifier: MIT */
/* Helpers shared by the arch tests: vector files, scratch files, running independent tools. */
#ifndef SOFTSGX_TESTS_ARCH_TESTUTIL_H
#define SOFTSGX_TESTS_ARCH_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

/* Exit code meson reads as "skipped". */
#define TU_SKIP 77

/* Path of a file in $SOFTSGX_VECTORS; exits 77 with the reason when the vectors are missing. */
const char *tu_vector(const char *name);
/* Path of tests/arch/<name> in the source tree ($SOFTSGX_SOURCE_ROOT). */
const char *tu_source(const char *name);
/* Whole file into a malloc'd buffer; fails the test if unreadable. */
uint8_t *tu_read(const char *path, size_t *len);
void tu_write(const char *path, const void *buf, size_t len);
/* A fresh scratch directory for this process (removed at exit). */
const char *tu_tmpdir(void);
/*
 * Run a shell command, capture the first line of stdout (newline stripped) into @out, and
 * return its exit status.  tu_need() exits 77 unless @program is on PATH.
 */
int tu_run(char *out, size_t outlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void tu_need(const char *program);
/* Lower-case hex, for comparing against tool output. */
void tu_hex(char *out, const void *buf, size_t len);

#endif
