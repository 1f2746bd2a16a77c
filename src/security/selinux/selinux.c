// SPDX-License-Identifier: MIT
/*
 * The SELinux module: start-up (policy, class map, contexts files) and the decision function
 * every hook asks, with the AVC and the audit records (selinux.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <selinux/label.h>

#include "../audit.h"
#include "sel.h"

#define SEL_AVC_ENTRIES 4096

static uint64_t sel_generation;

/* Map the module's classes and permissions onto the policy; refuse per handle_unknown=reject. */
static int map_classes(struct selinux *m, struct softsgx_err *err)
{
	for (int c = 0; c < SEL_NR_CLASSES; c++) {
		struct sel_map *map = &m->map[c];
		const struct sel_class_def *def = &sel_classes[c];

		map->tclass = sepolicy_class(m->policy, def->name);
		if (!map->tclass && m->unknown == SEPOLICY_REJECT_UNKNOWN)
			return softsgx_fail(err, -EINVAL,
					    "SELinux policy %s lacks class %s and says "
					    "handle_unknown=reject: refusing it",
					    sepolicy_path(m->policy), def->name);
		for (int i = 0; map->tclass && i < sel_nr_perms(c); i++) {
			map->perm[i] = sepolicy_perm(m->policy, map->tclass, def->perms[i]);
			if (!map->perm[i] && m->unknown == SEPOLICY_REJECT_UNKNOWN)
				return softsgx_fail(err, -EINVAL,
						    "SELinux policy %s lacks permission %s { %s } "
						    "and says handle_unknown=reject: refusing it",
						    sepolicy_path(m->policy), def->name,
						    def->perms[i]);
		}
	}
	return 0;
}

/* Check a context from the configuration or a contexts file against the policy. */
static int check_context(struct selinux *m, const char *context, const char *what,
			 struct softsgx_err *err)
{
	struct sel_label l;

	if (!sel_context_label(m, context, &l, err))
		return 0;
	return softsgx_err_prefix(err, "%s: ", what);
}

static int load_enclave_contexts(struct selinux *m, const char *path, struct softsgx_err *err)
{
	char what[400];
	int ret;

	ret = enclave_contexts_load(&m->ec, path, err);
	if (ret)
		return ret;
	for (size_t i = 0; i < m->ec->nr_rules; i++) {
		snprintf(what, sizeof(what), "%s:%d", path, m->ec->rules[i].line);
		ret = check_context(m, m->ec->rules[i].context, what, err);
		if (ret)
			return ret;
	}
	return 0;
}

static int init_contexts(struct selinux *m, const struct softsgx_config *cfg,
			 struct softsgx_err *err)
{
	int ret;

	ret = sepolicy_initial_context(m->policy, "file", m->file_context, sizeof(m->file_context),
				       err);
	if (!ret)
		ret = sepolicy_initial_context(m->policy, "unlabeled", m->unlabeled_context,
					       sizeof(m->unlabeled_context), err);
	if (ret)
		return ret;
	snprintf(m->process_context, sizeof(m->process_context), "%s", cfg->context);
	if (cfg->default_enclave_context[0])
		snprintf(m->enclave_context, sizeof(m->enclave_context), "%s",
			 cfg->default_enclave_context);
	else
		memcpy(m->enclave_context, m->unlabeled_context, sizeof(m->enclave_context));
	if (m->process_context[0] && check_context(m, m->process_context, "selinux.context", err))
		return -EINVAL;
	if (check_context(m, m->enclave_context, "selinux.default_enclave_context", err))
		return -EINVAL;
	ret = sel_read_host_context(m, err);
	if (!ret && cfg->file_contexts[0])
		ret = sel_open_file_contexts(m, cfg->file_contexts, err);
	if (!ret && cfg->enclave_contexts[0])
		ret = load_enclave_contexts(m, cfg->enclave_contexts, err);
	return ret;
}

int sel_init(struct selinux **out, struct lsm_audit *audit, const struct softsgx_config *cfg,
	     struct softsgx_err *err)
{
	struct selinux *m;
	int ret;

	*out = NULL;
	if (!cfg->policy[0])
		return softsgx_fail(err, -EINVAL, "no policy configured (selinux.policy)");
	m = calloc(1, sizeof(*m));
	if (!m)
		return softsgx_fail(err, -ENOMEM, "out of memory");
	pthread_mutex_init(&m->fc_lock, NULL);
	m->gen = __atomic_add_fetch(&sel_generation, 1, __ATOMIC_RELAXED);
	m->audit = audit;
	m->enforcing = cfg->selinux_mode == SOFTSGX_SELINUX_ENFORCING;
	ret = sel_avc_create(&m->avc, SEL_AVC_ENTRIES);
	if (!ret)
		ret = sidmap_create(&m->sids);
	if (!ret)
		ret = sidmap_create(&m->devices);
	if (ret) {
		softsgx_fail(err, ret, "out of memory");
		goto fail;
	}
	ret = sepolicy_load(&m->policy, cfg->policy, err);
	if (ret)
		goto fail;
	m->unknown = sepolicy_handle_unknown(m->policy);
	ret = map_classes(m, err);
	if (!ret)
		ret = init_contexts(m, cfg, err);
	if (ret)
		goto fail;
	*out = m;
	return 0;
fail:
	sel_destroy(m);
	return ret;
}

void sel_destroy(struct selinux *m)
{
	if (!m)
		return;
	if (m->fc)
		selabel_close(m->fc);
	enclave_contexts_free(m->ec);
	sidmap_destroy(m->devices);
	sidmap_destroy(m->sids);
	sel_avc_destroy(m->avc);
	sepolicy_free(m->policy);
	pthread_mutex_destroy(&m->fc_lock);
	free(m);
}

/* Translate the policy's decision into the module's bits, applying handle_unknown. */
static int compute(struct selinux *m, const struct avc_key *k, struct avc_decision *d)
{
	const struct sel_map *map = &m->map[k->cls];
	uint32_t all = sel_all_perms(k->cls);
	bool allow_unknown = m->unknown == SEPOLICY_ALLOW_UNKNOWN;
	struct sepolicy_av av;
	int ret;

	memset(d, 0, sizeof(*d));
	d->permissive = sepolicy_sid_permissive(m->policy, k->ssid);
	if (!map->tclass) {
		d->allowed = allow_unknown ? all : 0;
		d->auditdeny = all;
		return 0;
	}
	ret = sepolicy_compute_av(m->policy, k->ssid, k->tsid, map->tclass, &av, NULL);
	if (ret)
		return ret;
	for (int i = 0; i < sel_nr_perms(k->cls); i++) {
		uint32_t bit = 1u << i, pbit = map->perm[i];

		if (!pbit) {
			d->allowed |= allow_unknown ? bit : 0;
			d->auditdeny |= bit;
			continue;
		}
		d->allowed |= av.allowed & pbit ? bit : 0;
		d->auditallow |= av.auditallow & pbit ? bit : 0;
		d->auditdeny |= av.auditdeny & pbit ? bit : 0;
	}
	return 0;
}

static int decision(struct selinux *m, const struct avc_key *k, struct avc_decision *d)
{
	int ret;

	if (sel_avc_lookup(m->avc, k, d))
		return 0;
	ret = compute(m, k, d);
	if (!ret)
		ret = sel_avc_insert(m->avc, k, d);
	return ret;
}

static void audit(struct selinux *m, const struct lsm_cred *cred, const struct sel_label *subj,
		  const struct sel_label *obj, enum sel_class cls, uint32_t audited, bool denied,
		  bool permissive, const struct sel_audit_data *ad)
{
	const char *perms[SEL_MAX_PERMS];
	struct lsm_avc_record rec = {0};

	for (int i = 0; i < sel_nr_perms(cls); i++)
		if (audited & (1u << i))
			perms[rec.nr_perms++] = sel_classes[cls].perms[i];
	rec.granted = !denied;
	rec.perms = perms;
	rec.pid = cred->pid;
	rec.comm = cred->comm;
	if (ad && ad->path) {
		rec.path = ad->path;
		rec.dev = ad->dev;
		rec.ino = ad->ino;
	}
	if (ad && ad->has_ioctlcmd) {
		rec.has_ioctlcmd = true;
		rec.ioctlcmd = ad->ioctlcmd;
	}
	rec.scontext = subj->context;
	rec.tcontext = obj->context;
	rec.tclass = sel_classes[cls].name;
	rec.permissive = permissive;
	lsm_audit_avc(m->audit, &rec);
}

int sel_has_perm(struct selinux *m, const struct lsm_cred *cred, const struct sel_label *subj,
		 const struct sel_label *obj, enum sel_class cls, uint32_t requested,
		 const struct sel_audit_data *ad)
{
	struct avc_key k = {subj->sid, obj->sid, cls, AVC_NO_DRIVER};
	struct avc_decision d;
	uint32_t denied, audited;
	bool permissive;
	int ret;

	ret = decision(m, &k, &d);
	if (ret)
		return ret;
	denied = requested & ~d.allowed;
	audited = denied ? denied & d.auditdeny : requested & d.auditallow;
	permissive = denied && (!m->enforcing || d.permissive);
	if (audited)
		audit(m, cred, subj, obj, cls, audited, denied != 0, permissive, ad);
	if (!denied)
		return 0;
	if (!permissive)
		return -EACCES;
	/* audit a permissive denial once, as the kernel does */
	sel_avc_grant(m->avc, &k, denied);
	return 0;
}

static bool xperm_has(const uint32_t *set, uint8_t fn)
{
	return set[fn >> 5] & (1u << (fn & 31));
}

static int xperms(struct selinux *m, const struct avc_key *k, struct sepolicy_xperms *xp)
{
	int ret;

	if (sel_avc_lookup_xperms(m->avc, k, xp))
		return 0;
	ret = sepolicy_compute_xperms(m->policy, k->ssid, k->tsid, m->map[k->cls].tclass,
				      (uint8_t)k->driver, xp, NULL);
	if (!ret)
		ret = sel_avc_insert_xperms(m->avc, k, xp);
	return ret;
}

/* The kernel's avc_has_extended_perms: `ioctl` first, then the driver and function. */
int sel_has_ioctl_perm(struct selinux *m, const struct lsm_cred *cred, const struct sel_label *subj,
		       const struct sel_label *obj, unsigned int cmd,
		       const struct sel_audit_data *ad)
{
	struct avc_key k = {subj->sid, obj->sid, SEL_CHR_FILE, AVC_NO_DRIVER};
	struct avc_key xk = {subj->sid, obj->sid, SEL_CHR_FILE, (cmd >> 8) & 0xff};
	uint8_t fn = cmd & 0xff;
	struct sepolicy_xperms xp = {0};
	struct avc_decision d;
	bool denied, permissive, audited, xp_checked = false;
	int ret;

	ret = decision(m, &k, &d);
	if (ret)
		return ret;
	denied = !(d.allowed & CHR_FILE__IOCTL);
	if (!denied && m->map[SEL_CHR_FILE].tclass) {
		ret = xperms(m, &xk, &xp);
		if (ret)
			return ret;
		if (xp.defined) {
			xp_checked = true;
			denied = !xp.driver_flagged || !xperm_has(xp.allowed, fn);
		}
	}
	if (denied)
		audited =
		    (d.auditdeny & CHR_FILE__IOCTL) && !(xp_checked && xperm_has(xp.dontaudit, fn));
	else
		audited = (d.auditallow & CHR_FILE__IOCTL) &&
			  (!xp_checked || xperm_has(xp.auditallow, fn));
	permissive = denied && (!m->enforcing || d.permissive);
	if (audited)
		audit(m, cred, subj, obj, SEL_CHR_FILE, CHR_FILE__IOCTL, denied, permissive, ad);
	if (!denied)
		return 0;
	if (!permissive)
		return -EACCES;
	if (xp_checked)
		sel_avc_grant_xperm(m->avc, &xk, fn);
	else
		sel_avc_grant(m->avc, &k, CHR_FILE__IOCTL);
	return 0;
}
