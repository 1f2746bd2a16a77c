/* SPDX-License-Identifier: MIT */
/*
 * The access vector cache: decisions keyed by (source SID, target SID, class), and the ioctl
 * extended permissions keyed by the same plus the driver byte, like the kernel's avc.c.
 * Lookups take a read lock; a miss is computed by the caller from the policy and inserted.
 * When the cache is full it is flushed whole (decisions are cheap to recompute).
 */
#ifndef SOFTSGX_SELINUX_AVCACHE_H
#define SOFTSGX_SELINUX_AVCACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "policy.h"

#define AVC_NO_DRIVER 0x100 /* the key of a plain access-vector entry */

struct avc_key {
	uint32_t ssid, tsid;
	uint16_t cls;	 /* the module's class (perms.h) */
	uint16_t driver; /* ioctl driver byte, or AVC_NO_DRIVER */
};

/* A decision in the module's permission bits (perms.h). */
struct avc_decision {
	uint32_t allowed, auditallow, auditdeny;
	bool permissive; /* the source type is a permissive domain */
};

struct sel_avc;

int sel_avc_create(struct sel_avc **avc, unsigned int max_entries);
void sel_avc_destroy(struct sel_avc *avc);

bool sel_avc_lookup(struct sel_avc *avc, const struct avc_key *key, struct avc_decision *d);
bool sel_avc_lookup_xperms(struct sel_avc *avc, const struct avc_key *key,
			   struct sepolicy_xperms *xp);
int sel_avc_insert(struct sel_avc *avc, const struct avc_key *key, const struct avc_decision *d);
int sel_avc_insert_xperms(struct sel_avc *avc, const struct avc_key *key,
			  const struct sepolicy_xperms *xp);

/*
 * A permissive denial: grant @perms (and ioctl @function, when >= 0, in the xperms entry) in
 * the cached entry so that the same access is audited once, as the kernel's
 * avc_update_node(AVC_CALLBACK_GRANT) does.
 */
void sel_avc_grant(struct sel_avc *avc, const struct avc_key *key, uint32_t perms);
void sel_avc_grant_xperm(struct sel_avc *avc, const struct avc_key *key, uint8_t function);

struct avc_stats {
	unsigned long lookups, hits, entries;
};
void sel_avc_get_stats(struct sel_avc *avc, struct avc_stats *st);

#endif
