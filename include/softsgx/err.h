/* SPDX-License-Identifier: MIT */
/*
 * Error reporting for library code.  Functions return 0 or a negative errno and, when given a
 * struct softsgx_err, fill it with a message that names what was wrong and where ("SIGSTRUCT
 * offset 512: EXPONENT is 65537, must be 3").  Library code never prints or exits; only the
 * CLI does.  Passing NULL for the err argument is always allowed.
 */
#ifndef SOFTSGX_ERR_H
#define SOFTSGX_ERR_H

#include <stddef.h>

struct softsgx_err {
	int code; /* negative errno, as returned */
	char msg[512];
};

/*
 * Record an error and return @code (a negative errno), so a failure path reads
 * "return softsgx_fail(err, -EINVAL, "...", ...);".  A NULL @err only returns @code.
 */
int softsgx_fail(struct softsgx_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prefix the message already in @err with more context ("enclave.sgxs: "); returns err->code. */
int softsgx_err_prefix(struct softsgx_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Lower-case hex of @len bytes into @out (2*len+1 bytes). */
void softsgx_hex(char *out, const void *buf, size_t len);

/* Parse exactly 2*@len hex digits; returns 0 or -EINVAL. */
int softsgx_unhex(void *out, size_t len, const char *hex);

#endif
