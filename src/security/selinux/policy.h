/* SPDX-License-Identifier: MIT */
/*
 * A compiled SELinux policy evaluated with libsepol (policy.c).  Each struct sepolicy owns its
 * own policydb and SID table; libsepol's security server works on one global policydb, so
 * every call that reaches it takes one process-wide lock and points libsepol at this policy
 * first.  That keeps several policies (two module instances, a test and its reloaded policy)
 * usable in one process, and the non-thread-safe libsepol serialized.
 *
 * Classes and permissions are named by strings here; the module (selinux.c) maps its own
 * fixed table onto them once, applying the policy's handle_unknown to what the policy lacks.
 */
#ifndef SOFTSGX_SELINUX_POLICY_H
#define SOFTSGX_SELINUX_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "softsgx/err.h"

struct sepolicy;

enum sepolicy_unknown {
	SEPOLICY_DENY_UNKNOWN,
	SEPOLICY_REJECT_UNKNOWN,
	SEPOLICY_ALLOW_UNKNOWN,
};

/* What one (source, target, class) pair may do, in the policy's permission bits. */
struct sepolicy_av {
	uint32_t allowed;
	uint32_t auditallow; /* granted permissions to audit (auditallow rules) */
	uint32_t auditdeny;  /* denied permissions to audit (cleared by dontaudit rules) */
};

/* The ioctl extended permissions of a pair for one driver (the high byte of the command). */
struct sepolicy_xperms {
	bool defined; /* the pair has extended permission rules at all (else only `ioctl` counts) */
	bool driver_flagged; /* some rule names this driver (else every function is denied) */
	uint32_t allowed[8], auditallow[8], dontaudit[8]; /* bit per function (low byte) */
};

/* Read a binary policy file; the message names the file and libsepol's reason. */
int sepolicy_load(struct sepolicy **policy, const char *path, struct softsgx_err *err);
void sepolicy_free(struct sepolicy *policy);
const char *sepolicy_path(const struct sepolicy *policy);

enum sepolicy_unknown sepolicy_handle_unknown(const struct sepolicy *policy);
const char *sepolicy_unknown_name(enum sepolicy_unknown u);

/* The policy's value of class @name (0 when the policy has no such class). */
uint16_t sepolicy_class(struct sepolicy *policy, const char *name);
/* The permission bit of @name in @tclass (0 when the class has no such permission). */
uint32_t sepolicy_perm(struct sepolicy *policy, uint16_t tclass, const char *name);

/* The SID of a context string ("u:r:app_t"); -EINVAL with libsepol's reason when invalid. */
int sepolicy_context_to_sid(struct sepolicy *policy, const char *context, uint32_t *sid,
			    struct softsgx_err *err);
/* The context of initial SID @name ("file", "unlabeled") into @buf; -ENOENT if undefined. */
int sepolicy_initial_context(struct sepolicy *policy, const char *name, char *buf, size_t size,
			     struct softsgx_err *err);

/* Whether the type of @ssid is a permissive domain (typepermissive). */
bool sepolicy_sid_permissive(struct sepolicy *policy, uint32_t ssid);

int sepolicy_compute_av(struct sepolicy *policy, uint32_t ssid, uint32_t tsid, uint16_t tclass,
			struct sepolicy_av *av, struct softsgx_err *err);
int sepolicy_compute_xperms(struct sepolicy *policy, uint32_t ssid, uint32_t tsid, uint16_t tclass,
			    uint8_t driver, struct sepolicy_xperms *xp, struct softsgx_err *err);

/*
 * Why @requested is denied, as audit2why would say it: the missing allow rule (type
 * enforcement), the constraint expressions that fail, RBAC or bounds.  *@text is malloc'd;
 * *@denied receives the denied subset of @requested.
 */
int sepolicy_explain(struct sepolicy *policy, uint32_t ssid, uint32_t tsid, uint16_t tclass,
		     uint32_t requested, uint32_t *denied, char **text, struct softsgx_err *err);

#endif
