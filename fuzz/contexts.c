/* SPDX-License-Identifier: MIT */
/*
 * The enclave_contexts parser (src/security/selinux/enclave_contexts.c) on arbitrary bytes:
 * an accepted file's rules point at real lines with well-formed contexts, and each rule is
 * found again by its own identity (a MRENCLAVE rule wins); a refused file names the file and a
 * line that exists.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "enclave_contexts.h"

static size_t count_lines(const uint8_t *data, size_t size)
{
	size_t n = 1;

	for (size_t i = 0; i < size; i++)
		n += data[i] == '\n';
	return n;
}

static void check_rules(const struct enclave_contexts *ec, size_t lines)
{
	static const uint8_t none[32] = {0};

	for (size_t i = 0; i < ec->nr_rules; i++) {
		const struct enclave_context_rule *r = &ec->rules[i], *m;

		assert(r->line >= 1 && (size_t)r->line <= lines);
		assert(strlen(r->context) > 4 && strchr(r->context, ':'));
		if (r->mrenclave) {
			m = enclave_contexts_match(ec, r->hash, none);
			assert(m == r);
		} else {
			m = enclave_contexts_match(ec, none, r->hash);
			/* a MRENCLAVE rule for the zero hash may win over it */
			assert(m == r || (m && m->mrenclave));
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct enclave_contexts *ec = NULL;
	struct softsgx_err err = {0};
	int ret;

	ret = enclave_contexts_parse(&ec, (const char *)data, size, "fuzz", &err);
	if (ret) {
		int line = 0;

		assert(!ec);
		assert(sscanf(err.msg, "fuzz:%d:", &line) == 1 || strstr(err.msg, "memory"));
		assert(line == 0 || (size_t)line <= count_lines(data, size));
		return 0;
	}
	check_rules(ec, count_lines(data, size));
	enclave_contexts_free(ec);
	return 0;
}
