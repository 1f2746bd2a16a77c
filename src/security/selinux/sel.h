/* SPDX-License-Identifier: MIT */
/*
 * The SELinux module's state and its one decision function, like the kernel's avc.c:
 * the hooks (hooks.c) turn an operation into (subject, object, class, permissions) and ask
 * sel_has_perm, which consults the AVC, applies enforcing/permissive and audits.  Labels
 * (label.c) resolve processes, files and enclaves to contexts and SIDs.
 */
#ifndef SOFTSGX_SELINUX_SEL_H
#define SOFTSGX_SELINUX_SEL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "softsgx/config.h"
#include "softsgx/lsm.h"

#include "avcache.h"
#include "enclave_contexts.h"
#include "perms.h"
#include "policy.h"
#include "sidmap.h"

struct lsm_audit;
struct selabel_handle;

/* A module class mapped onto the policy: tclass 0 when the policy lacks the class. */
struct sel_map {
	uint16_t tclass;
	uint32_t perm[SEL_MAX_PERMS]; /* policy bit of each module permission, 0 if unknown */
};

struct selinux {
	uint64_t gen; /* unique per module instance in this process (per-thread label memos) */
	struct sepolicy *policy;
	enum sepolicy_unknown unknown;
	bool enforcing;
	struct sel_map map[SEL_NR_CLASSES];
	struct sel_avc *avc;
	struct sidmap *sids;	   /* context -> SID */
	struct sidmap *devices;	   /* emulated device path -> label */
	struct selabel_handle *fc; /* file_contexts, NULL when none is configured */
	pthread_mutex_t fc_lock;
	struct enclave_contexts *ec; /* NULL when none is configured */
	struct lsm_audit *audit;
	char host_context[SOFTSGX_CONTEXT_MAX];	     /* the host kernel's label of this process */
	char process_context[SOFTSGX_CONTEXT_MAX];   /* configured default */
	char enclave_context[SOFTSGX_CONTEXT_MAX];   /* unlabeled enclaves */
	char file_context[SOFTSGX_CONTEXT_MAX];	     /* initial SID "file" */
	char unlabeled_context[SOFTSGX_CONTEXT_MAX]; /* initial SID "unlabeled" */
};

/* A resolved label: its SID and the context string audit records print. */
struct sel_label {
	uint32_t sid;
	const char *context; /* owned by the module's sidmap */
};

/* What an AVC record says about the object besides its label. */
struct sel_audit_data {
	const char *path; /* NULL: no file */
	dev_t dev;
	unsigned long ino;
	bool has_ioctlcmd;
	unsigned int ioctlcmd;
};

int sel_init(struct selinux **m, struct lsm_audit *audit, const struct softsgx_config *cfg,
	     struct softsgx_err *err);
void sel_destroy(struct selinux *m);

/*
 * The decision: 0 when @requested is allowed (or denied in permissive mode or for a
 * permissive domain), -EACCES when denied, another negative errno when it could not be
 * decided.  Audits denials and auditallow grants.
 */
int sel_has_perm(struct selinux *m, const struct lsm_cred *cred, const struct sel_label *subj,
		 const struct sel_label *obj, enum sel_class cls, uint32_t requested,
		 const struct sel_audit_data *ad);
/* chr_file { ioctl } plus the extended permission for @cmd (driver = bits 15..8). */
int sel_has_ioctl_perm(struct selinux *m, const struct lsm_cred *cred, const struct sel_label *subj,
		       const struct sel_label *obj, unsigned int cmd,
		       const struct sel_audit_data *ad);

/* Labels (label.c). */
int sel_context_label(struct selinux *m, const char *context, struct sel_label *l,
		      struct softsgx_err *err);
int sel_process_label(struct selinux *m, const struct lsm_cred *cred, struct sel_label *l);
int sel_file_label(struct selinux *m, const char *path, mode_t mode, struct sel_label *l);
int sel_device_label(struct selinux *m, const struct lsm_file *file, struct sel_label *l);
int sel_enclave_label(struct selinux *m, const struct sgx_sigstruct *sigstruct,
		      const struct lsm_source *src, struct sel_label *l);
/* Read the host kernel's label of this process when it runs SELinux (else leaves it empty). */
int sel_read_host_context(struct selinux *m, struct softsgx_err *err);
int sel_open_file_contexts(struct selinux *m, const char *path, struct softsgx_err *err);

#endif
