/* SPDX-License-Identifier: MIT */
/*
 * The configuration parser (src/security/config.c) on arbitrary bytes.  Beyond "never
 * crashes": an accepted file yields values inside their documented bounds, and a refused one
 * leaves the configuration untouched and names the file and a line.
 */
#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "softsgx/config.h"

static void check_accepted(const struct softsgx_config *cfg)
{
	assert(cfg->nr_modules >= 0 && cfg->nr_modules <= SOFTSGX_MAX_MODULES);
	for (int i = 0; i < cfg->nr_modules; i++) {
		assert(!strcmp(cfg->modules[i], "launch") || !strcmp(cfg->modules[i], "selinux"));
		for (int j = 0; j < i; j++)
			assert(strcmp(cfg->modules[i], cfg->modules[j]));
		if (!strcmp(cfg->modules[i], "selinux"))
			assert(cfg->policy[0]);
	}
	assert(cfg->epc_size % 4096 == 0);
	assert(cfg->epc_size >= (64ull << 10) && cfg->epc_size <= (512ull << 30));
	assert(memchr(cfg->policy, 0, sizeof(cfg->policy)));
	assert(memchr(cfg->context, 0, sizeof(cfg->context)));
	assert(memchr(cfg->audit, 0, sizeof(cfg->audit)) && cfg->audit[0]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct softsgx_config cfg, before;
	struct softsgx_err err = {0};
	int rc;

	softsgx_config_defaults(&cfg);
	before = cfg;
	rc = softsgx_config_parse(&cfg, (const char *)data, size, "fuzz.conf", &err);
	if (rc == 0) {
		check_accepted(&cfg);
	} else {
		assert(rc == -EINVAL || rc == -ENOMEM);
		assert(!memcmp(&cfg, &before, sizeof(cfg)));
		assert(!strncmp(err.msg, "fuzz.conf:", 10));
	}
	return 0;
}
