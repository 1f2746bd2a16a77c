/* SPDX-License-Identifier: MIT */
/*
 * enclave_contexts: an enclave identity to a security context, one rule per line:
 *
 *     # comment
 *     mrenclave <64 hex digits> <context>
 *     mrsigner  <64 hex digits> <context>
 *
 * A MRENCLAVE rule wins over a MRSIGNER rule.  A malformed file is refused with FILE:LINE and
 * the problem; contexts are checked against the policy by the module (selinux.c), which
 * reports them with the same FILE:LINE.
 */
#ifndef SOFTSGX_SELINUX_ENCLAVE_CONTEXTS_H
#define SOFTSGX_SELINUX_ENCLAVE_CONTEXTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "softsgx/config.h"
#include "softsgx/err.h"

struct enclave_context_rule {
	bool mrenclave; /* else mrsigner */
	uint8_t hash[32];
	char context[SOFTSGX_CONTEXT_MAX];
	int line;
};

struct enclave_contexts {
	char name[256]; /* the file, for messages */
	size_t nr_rules;
	struct enclave_context_rule *rules;
};

int enclave_contexts_parse(struct enclave_contexts **ec, const char *text, size_t len,
			   const char *name, struct softsgx_err *err);
int enclave_contexts_load(struct enclave_contexts **ec, const char *path, struct softsgx_err *err);
void enclave_contexts_free(struct enclave_contexts *ec);

/* The rule for an enclave: MRENCLAVE first, then MRSIGNER; NULL when none matches. */
const struct enclave_context_rule *enclave_contexts_match(const struct enclave_contexts *ec,
							  const uint8_t mrenclave[32],
							  const uint8_t mrsigner[32]);

#endif
