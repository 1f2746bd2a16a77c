/* SPDX-License-Identifier: MIT */
/* Helpers of the src/format tests: files, paths from the test environment, python3 hashlib. */
#ifndef SOFTSGX_TESTS_FORMAT_TESTUTIL_H
#define SOFTSGX_TESTS_FORMAT_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

/* $VAR/rel; fails the test when VAR is unset.  Returns a static buffer. */
const char *ft_path(const char *var, const char *rel);

/* The whole file (malloc'd), failing the test when it cannot be read. */
uint8_t *ft_read(const char *path, size_t *len);

/* Write @buf to a fresh temporary file; returns its path (static buffer). */
const char *ft_write_temp(const void *buf, size_t len);

/* SHA-256 of a file as computed by python3's hashlib (an independent implementation). */
void ft_python_sha256_hex(const char *path, char hex[65]);

#endif
