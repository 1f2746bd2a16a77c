/* SPDX-License-Identifier: MIT */
/* Small helpers shared by the enclave commands (measure, sign, sigstruct, elf2sgxs, keygen). */
#ifndef SOFTSGX_TOOLS_TOOL_UTIL_H
#define SOFTSGX_TOOLS_TOOL_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "softsgx/err.h"

/* Read a whole (regular, at most @max bytes) file; prints "softsgx: PATH: ..." and returns 1. */
int tool_read_file(const char *path, size_t max, uint8_t **buf, size_t *len);

/* Write @len bytes to @path through a temporary file and rename; prints and returns 1. */
int tool_write_file(const char *path, const void *buf, size_t len);

/* A number, decimal or 0x-hex, at most @max; returns false on anything else. */
bool tool_parse_u64(const char *s, uint64_t max, uint64_t *out);

/* Print a library error: "softsgx: <context>: <message>"; returns 1. */
int tool_lib_error(const char *context, const struct softsgx_err *err);

#endif
