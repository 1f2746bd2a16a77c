/* SPDX-License-Identifier: MIT */
/*
 * The launch-list parser and matcher (src/security/launch/launchlist.c) on arbitrary bytes:
 * an accepted list has rules that point at real lines; every identity it is asked about gets
 * a decision with a reason when refused; a refused list names the file and a line.
 */
#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "launch/launchlist.h"

static size_t count_lines(const uint8_t *data, size_t size)
{
	size_t n = 1;

	for (size_t i = 0; i < size; i++)
		n += data[i] == '\n';
	return n;
}

/* Ask about each rule's own identity: the rule must admit an enclave built to satisfy it. */
static void check_rules(const struct launch_list *list, size_t lines)
{
	for (size_t i = 0; i < list->nr_rules; i++) {
		const struct launch_rule *r = &list->rules[i];
		struct launch_identity id = {0};
		char why[256] = "";

		assert(r->line >= 1 && (size_t)r->line <= lines);
		memcpy(r->match == LAUNCH_MRSIGNER ? id.mrsigner : id.mrenclave, r->hash, 32);
		id.isvprodid = r->isvprodid;
		id.isvsvn = r->min_isvsvn;
		id.debug = r->allow_debug;
		id.provision = r->allow_provision;
		assert(launch_list_match(list, &id, why, sizeof(why)));
		/* One below min-isvsvn, or a debug enclave without allow-debug, is refused. */
		if (r->min_isvsvn && list->nr_rules == 1) {
			id.isvsvn--;
			assert(!launch_list_match(list, &id, why, sizeof(why)) && why[0]);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct launch_list list;
	struct softsgx_err err = {0};
	int rc = launch_list_parse(&list, (const char *)data, size, "fuzz.list", &err);

	if (rc == 0) {
		check_rules(&list, count_lines(data, size));
		launch_list_free(&list);
	} else {
		assert(rc == -EINVAL || rc == -ENOMEM);
		assert(!list.rules && !list.nr_rules);
		assert(!strncmp(err.msg, "fuzz.list:", 10));
	}
	return 0;
}
