/* SPDX-License-Identifier: MIT */
/*
 * The launch list: which enclaves may be initialized, for administrators who want "only these
 * enclaves" without writing SELinux policy.  One rule per line:
 *
 *   mrsigner  <64 hex digits> [isvprodid N] [min-isvsvn N] [allow-debug] [allow-provision]
 *   mrenclave <64 hex digits> [isvprodid N] [min-isvsvn N] [allow-debug] [allow-provision]
 *
 * `#` starts a comment (to the end of the line).  A rule admits an enclave when its MRSIGNER
 * (or MRENCLAVE) is the rule's, its ISVPRODID equals isvprodid (if given), its ISVSVN is at
 * least min-isvsvn (if given), it is not a DEBUG enclave unless allow-debug, and it does not
 * ask for the PROVISIONKEY unless allow-provision.  No rule admitting it: denied.
 */
#ifndef SOFTSGX_SECURITY_LAUNCHLIST_H
#define SOFTSGX_SECURITY_LAUNCHLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "softsgx/err.h"

enum launch_match {
	LAUNCH_MRSIGNER,
	LAUNCH_MRENCLAVE,
};

struct launch_rule {
	enum launch_match match;
	uint8_t hash[32];
	bool has_isvprodid, has_min_isvsvn;
	uint16_t isvprodid, min_isvsvn;
	bool allow_debug, allow_provision;
	int line; /* where the rule was written, for audit records */
};

struct launch_list {
	size_t nr_rules;
	struct launch_rule *rules;
};

/* What enclave_init knows about the enclave being launched. */
struct launch_identity {
	uint8_t mrenclave[32];
	uint8_t mrsigner[32];
	uint16_t isvprodid, isvsvn;
	bool debug, provision;
};

/* Parse @text (named @name in messages); malformed lines are refused with "NAME:LINE: ...". */
int launch_list_parse(struct launch_list *list, const char *text, size_t len, const char *name,
		      struct softsgx_err *err);
/* Read and parse @path; -ENOENT (with a message) when the file does not exist. */
int launch_list_load(struct launch_list *list, const char *path, struct softsgx_err *err);
void launch_list_free(struct launch_list *list);

/*
 * The first rule admitting @id, or NULL; then @why (of @size bytes) says why, naming the rule
 * that came closest ("ISVSVN 1 is below min-isvsvn 2 of the rule on line 3").
 */
const struct launch_rule *launch_list_match(const struct launch_list *list,
					    const struct launch_identity *id, char *why,
					    size_t size);

#endif
