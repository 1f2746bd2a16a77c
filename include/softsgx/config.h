/* SPDX-License-Identifier: MIT */
/*
 * The softsgx configuration (docs/configuration.md): security modules and their order, SELinux
 * mode and policy files, the launch list, audit destination, the driver switches of the design
 * thread, and platform options.  Parsed by src/security/config.c; a malformed file is refused
 * with its line number and the problem, and nothing starts half-configured.
 */
#ifndef SOFTSGX_CONFIG_H
#define SOFTSGX_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "softsgx/err.h"

#define SOFTSGX_MAX_MODULES 4
#define SOFTSGX_CONTEXT_MAX 256

/* `inode = chardev | anon` */
enum softsgx_inode_mode {
	SOFTSGX_INODE_CHARDEV = 0, /* upstream: a labeled character device */
	SOFTSGX_INODE_ANON, /* the thread's proposal: a private anonymous inode per open */
};

/* `page_prot = secinfo | source` */
enum softsgx_page_prot_mode {
	SOFTSGX_PAGE_PROT_SECINFO = 0, /* upstream: max protections = SECINFO R/W/X */
	SOFTSGX_PAGE_PROT_SOURCE, /* SECINFO R/W/X intersected with the source mapping's */
};

enum softsgx_selinux_mode {
	SOFTSGX_SELINUX_ENFORCING = 0,
	SOFTSGX_SELINUX_PERMISSIVE,
};

struct softsgx_config {
	/* Security modules in stacking order ("launch", "selinux"); none = upstream behaviour. */
	int nr_modules;
	char modules[SOFTSGX_MAX_MODULES][16];

	enum softsgx_inode_mode inode;
	enum softsgx_page_prot_mode page_prot;

	/* SELinux module */
	enum softsgx_selinux_mode selinux_mode;
	char policy[PATH_MAX]; /* binary policy */
	char file_contexts[PATH_MAX];
	char enclave_contexts[PATH_MAX];
	char context[SOFTSGX_CONTEXT_MAX]; /* process context when the host runs no SELinux */
	char default_enclave_context[SOFTSGX_CONTEXT_MAX]; /* unlabeled enclaves */

	/* Launch list module */
	char launch_list[PATH_MAX];

	/* Audit: "stderr" or a file path (appended to, whole lines). */
	char audit[PATH_MAX];

	/* Platform */
	uint64_t epc_size;
	bool sgx2;
	char state_dir[PATH_MAX]; /* platform root secret lives here */
};

void softsgx_config_defaults(struct softsgx_config *cfg);
/* Parse @text (named @name in messages) over the values already in @cfg. */
int softsgx_config_parse(struct softsgx_config *cfg, const char *text, size_t len,
			 const char *name, struct softsgx_err *err);
int softsgx_config_load(struct softsgx_config *cfg, const char *path, struct softsgx_err *err);

#endif
