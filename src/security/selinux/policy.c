// SPDX-License-Identifier: MIT
/*
 * A binary SELinux policy evaluated with libsepol.  The policydb and SID table are ours; the
 * security server functions (sepol_compute_av, sepol_context_to_sid, ...) use libsepol's
 * global pointers, which we set under one process-wide mutex before every call.  libsepol is
 * linked statically for the policydb API (policydb_read, avtab search, sidtab), which its
 * shared library does not export.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sepol/debug.h>
#include <sepol/policydb/avtab.h>
#include <sepol/policydb/ebitmap.h>
#include <sepol/policydb/policydb.h>
#include <sepol/policydb/services.h>
#include <sepol/policydb/sidtab.h>

#include "policy.h"

/* libsepol's handle for the security server's messages (not in its public headers). */
extern struct sepol_handle sepol_compat_handle;

struct sepolicy {
	policydb_t db;
	sidtab_t sidtab;
	char path[4096];
};

static pthread_mutex_t sepol_lock = PTHREAD_MUTEX_INITIALIZER;
/* The last libsepol message, for error reports (written under sepol_lock). */
static char sepol_msg[512];

static void sepol_msg_cb(void *arg, sepol_handle_t *h, const char *fmt, ...)
{
	va_list ap;

	(void)arg;
	(void)h;
	if (sepol_msg[0])
		return; /* the first message is the specific one ("type x_t is not defined") */
	va_start(ap, fmt);
	vsnprintf(sepol_msg, sizeof(sepol_msg), fmt, ap);
	va_end(ap);
}

/* Take the lock and point libsepol's security server at @p. */
static void sepol_enter(struct sepolicy *p)
{
	pthread_mutex_lock(&sepol_lock);
	sepol_msg_set_callback(&sepol_compat_handle, sepol_msg_cb, NULL);
	sepol_msg[0] = '\0';
	if (p) {
		sepol_set_policydb(&p->db);
		sepol_set_sidtab(&p->sidtab);
	}
}

static void sepol_leave(void)
{
	pthread_mutex_unlock(&sepol_lock);
}

static const char *last_msg(void)
{
	return sepol_msg[0] ? sepol_msg : "truncated or corrupt (libsepol gives no detail)";
}

static int read_policy(struct sepolicy *p, FILE *f, struct softsgx_err *err)
{
	struct policy_file pf;

	policy_file_init(&pf);
	pf.type = PF_USE_STDIO;
	pf.fp = f;
	if (policydb_init(&p->db))
		return softsgx_fail(err, -ENOMEM, "out of memory");
	if (policydb_read(&p->db, &pf, 0)) {
		softsgx_fail(err, -EINVAL, "%s: not a valid binary SELinux policy: %s", p->path,
			     last_msg());
		policydb_destroy(&p->db);
		return -EINVAL;
	}
	if (p->db.policy_type != POLICY_KERN) {
		softsgx_fail(err, -EINVAL, "%s: a policy module, not a kernel policy", p->path);
		policydb_destroy(&p->db);
		return -EINVAL;
	}
	/* policydb_load_isids initializes the SID table itself */
	if (policydb_load_isids(&p->db, &p->sidtab)) {
		softsgx_fail(err, -EINVAL, "%s: invalid initial SID contexts: %s", p->path,
			     last_msg());
		sepol_sidtab_destroy(&p->sidtab);
		policydb_destroy(&p->db);
		return -EINVAL;
	}
	return 0;
}

int sepolicy_load(struct sepolicy **policy, const char *path, struct softsgx_err *err)
{
	struct sepolicy *p;
	FILE *f;
	int ret;

	*policy = NULL;
	f = fopen(path, "re");
	if (!f)
		return softsgx_fail(err, -errno, "SELinux policy %s: %s", path, strerror(errno));
	p = calloc(1, sizeof(*p));
	if (!p) {
		fclose(f);
		return softsgx_fail(err, -ENOMEM, "out of memory");
	}
	snprintf(p->path, sizeof(p->path), "%s", path);
	sepol_enter(NULL);
	ret = read_policy(p, f, err);
	sepol_leave();
	fclose(f);
	if (ret) {
		free(p);
		return ret;
	}
	*policy = p;
	return 0;
}

void sepolicy_free(struct sepolicy *p)
{
	if (!p)
		return;
	sepol_enter(NULL);
	sepol_sidtab_destroy(&p->sidtab);
	policydb_destroy(&p->db);
	sepol_leave();
	free(p);
}

const char *sepolicy_path(const struct sepolicy *p)
{
	return p->path;
}

enum sepolicy_unknown sepolicy_handle_unknown(const struct sepolicy *p)
{
	switch (p->db.handle_unknown) {
	case SEPOL_ALLOW_UNKNOWN:
		return SEPOLICY_ALLOW_UNKNOWN;
	case SEPOL_REJECT_UNKNOWN:
		return SEPOLICY_REJECT_UNKNOWN;
	default:
		return SEPOLICY_DENY_UNKNOWN;
	}
}

const char *sepolicy_unknown_name(enum sepolicy_unknown u)
{
	static const char *const names[] = {"deny", "reject", "allow"};

	return names[u];
}

uint16_t sepolicy_class(struct sepolicy *p, const char *name)
{
	sepol_security_class_t c = 0;

	sepol_enter(p);
	if (sepol_string_to_security_class(name, &c))
		c = 0;
	sepol_leave();
	return c;
}

uint32_t sepolicy_perm(struct sepolicy *p, uint16_t tclass, const char *name)
{
	sepol_access_vector_t av = 0;

	sepol_enter(p);
	if (sepol_string_to_av_perm(tclass, name, &av))
		av = 0;
	sepol_leave();
	return av;
}

int sepolicy_context_to_sid(struct sepolicy *p, const char *context, uint32_t *sid,
			    struct softsgx_err *err)
{
	sepol_security_id_t s;
	int ret;

	sepol_enter(p);
	ret = sepol_context_to_sid(context, strlen(context) + 1, &s);
	if (ret)
		softsgx_fail(err, -EINVAL, "context \"%s\" is not valid in policy %s: %s", context,
			     p->path, last_msg());
	sepol_leave();
	if (ret)
		return -EINVAL;
	*sid = s;
	return 0;
}

/* The kernel's numbering of the initial SIDs a softsgx policy uses (initial_sid_to_string). */
static uint32_t initial_sid_number(const char *name)
{
	static const char *const names[] = {NULL, "kernel", "security", "unlabeled", "fs", "file"};

	for (uint32_t i = 1; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(names[i], name))
			return i;
	return 0;
}

int sepolicy_initial_context(struct sepolicy *p, const char *name, char *buf, size_t size,
			     struct softsgx_err *err)
{
	uint32_t sid = initial_sid_number(name);
	sepol_security_context_t ctx = NULL;
	size_t len;
	int ret = -ENOENT;

	if (sid) {
		sepol_enter(p);
		if (sepol_sidtab_search(&p->sidtab, sid) && !sepol_sid_to_context(sid, &ctx, &len))
			ret = 0;
		sepol_leave();
	}
	if (ret)
		return softsgx_fail(err, ret, "policy %s defines no context for initial SID \"%s\"",
				    p->path, name);
	snprintf(buf, size, "%s", ctx);
	free(ctx);
	return 0;
}

bool sepolicy_sid_permissive(struct sepolicy *p, uint32_t ssid)
{
	context_struct_t *c;
	bool permissive = false;

	sepol_enter(p);
	c = sepol_sidtab_search(&p->sidtab, ssid);
	if (c)
		permissive = ebitmap_get_bit(&p->db.permissive_map, c->type);
	sepol_leave();
	return permissive;
}

int sepolicy_compute_av(struct sepolicy *p, uint32_t ssid, uint32_t tsid, uint16_t tclass,
			struct sepolicy_av *av, struct softsgx_err *err)
{
	struct sepol_av_decision avd;
	int ret;

	memset(&avd, 0, sizeof(avd));
	sepol_enter(p);
	ret = sepol_compute_av(ssid, tsid, tclass, 0, &avd);
	if (ret)
		softsgx_fail(err, -EINVAL,
			     "policy %s: cannot compute access (sids %u %u class %u): %s", p->path,
			     ssid, tsid, tclass, last_msg());
	sepol_leave();
	if (ret)
		return -EINVAL;
	av->allowed = avd.allowed;
	av->auditallow = avd.auditallow;
	av->auditdeny = avd.auditdeny;
	return 0;
}

/* Fold one extended-permission avtab node into @xp, as the kernel's services.c does. */
static void xperms_add(struct sepolicy_xperms *xp, const avtab_key_t *key,
		       const avtab_extended_perms_t *x, uint8_t driver)
{
	uint32_t *dst;
	bool all;

	xp->defined = true;
	if (x->specified == AVTAB_XPERMS_IOCTLDRIVER) {
		all = xperm_test(driver, x->perms);
		if (all)
			xp->driver_flagged = true;
	} else if (x->specified == AVTAB_XPERMS_IOCTLFUNCTION && x->driver == driver) {
		all = false;
		xp->driver_flagged = true;
	} else {
		return;
	}
	if (key->specified & AVTAB_XPERMS_ALLOWED)
		dst = xp->allowed;
	else if (key->specified & AVTAB_XPERMS_AUDITALLOW)
		dst = xp->auditallow;
	else if (key->specified & AVTAB_XPERMS_DONTAUDIT)
		dst = xp->dontaudit;
	else
		return;
	for (int i = 0; i < 8; i++)
		dst[i] |= all ? 0xffffffffu : x->perms[i];
}

static void xperms_pair(struct sepolicy *p, uint32_t s, uint32_t t, uint16_t tclass, uint8_t driver,
			struct sepolicy_xperms *xp)
{
	static const uint16_t kinds[] = {AVTAB_XPERMS_ALLOWED, AVTAB_XPERMS_AUDITALLOW,
					 AVTAB_XPERMS_DONTAUDIT};
	avtab_key_t key;
	avtab_ptr_t node;

	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		key.source_type = s;
		key.target_type = t;
		key.target_class = tclass;
		key.specified = kinds[k];
		for (node = avtab_search_node(&p->db.te_avtab, &key); node;
		     node = avtab_search_node_next(node, kinds[k]))
			if (node->datum.xperms)
				xperms_add(xp, &node->key, node->datum.xperms, driver);
	}
}

int sepolicy_compute_xperms(struct sepolicy *p, uint32_t ssid, uint32_t tsid, uint16_t tclass,
			    uint8_t driver, struct sepolicy_xperms *xp, struct softsgx_err *err)
{
	context_struct_t *sc, *tc;
	ebitmap_node_t *sn, *tn;
	unsigned int i, j;

	memset(xp, 0, sizeof(*xp));
	sepol_enter(p);
	sc = sepol_sidtab_search(&p->sidtab, ssid);
	tc = sepol_sidtab_search(&p->sidtab, tsid);
	if (!sc || !tc || !sc->type || !tc->type || sc->type > p->db.p_types.nprim ||
	    tc->type > p->db.p_types.nprim) {
		sepol_leave();
		return softsgx_fail(err, -EINVAL, "policy %s: unknown SID %u or %u", p->path, ssid,
				    tsid);
	}
	/* Rules name attributes: search every (attribute of source, attribute of target). */
	ebitmap_for_each_positive_bit(&p->db.type_attr_map[sc->type - 1], sn, i)
	{
		ebitmap_for_each_positive_bit(&p->db.type_attr_map[tc->type - 1], tn, j)
		    xperms_pair(p, i + 1, j + 1, tclass, driver, xp);
	}
	sepol_leave();
	return 0;
}

static const char *type_name(struct sepolicy *p, uint32_t type)
{
	if (!type || type > p->db.p_types.nprim || !p->db.p_type_val_to_name[type - 1])
		return "?";
	return p->db.p_type_val_to_name[type - 1];
}

static const char *class_name(struct sepolicy *p, uint16_t tclass)
{
	if (!tclass || tclass > p->db.p_classes.nprim)
		return "?";
	return p->db.p_class_val_to_name[tclass - 1];
}

/* Append the names of the permissions in @av ("{ write map }") to @out. */
static void append_perms(uint16_t tclass, uint32_t av, char *out, size_t size)
{
	size_t len = strlen(out);
	const char *n;

	len += snprintf(out + len, len < size ? size - len : 0, "{");
	for (uint32_t bit = 1; bit; bit <<= 1) {
		if (!(av & bit))
			continue;
		n = sepol_av_perm_to_string(tclass, bit);
		while (n && *n == ' ')
			n++;
		len += snprintf(out + len, len < size ? size - len : 0, " %s", n && *n ? n : "?");
	}
	snprintf(out + len, len < size ? size - len : 0, " }");
}

/* Per permission, which part of the policy denies it. */
struct explain {
	uint32_t te, cons, rbac, bounds;
	char *cons_text;
};

static int explain_collect(uint32_t ssid, uint32_t tsid, uint16_t tclass, uint32_t requested,
			   struct explain *ex, uint32_t *denied)
{
	struct sepol_av_decision avd;

	*denied = 0;
	for (uint32_t bit = 1; bit; bit <<= 1) {
		unsigned int reason = 0;
		char *buf = NULL;

		if (!(requested & bit))
			continue;
		memset(&avd, 0, sizeof(avd));
		if (sepol_compute_av_reason_buffer(ssid, tsid, tclass, bit, &avd, &reason, &buf, 0))
			return -EINVAL;
		if (!(avd.allowed & bit))
			*denied |= bit;
		ex->te |= reason & SEPOL_COMPUTEAV_TE ? bit : 0;
		ex->cons |= reason & SEPOL_COMPUTEAV_CONS ? bit : 0;
		ex->rbac |= reason & SEPOL_COMPUTEAV_RBAC ? bit : 0;
		ex->bounds |= reason & SEPOL_COMPUTEAV_BOUNDS ? bit : 0;
		if (buf && !ex->cons_text)
			ex->cons_text = buf;
		else
			free(buf);
	}
	return 0;
}

static void explain_format(struct sepolicy *p, context_struct_t *sc, context_struct_t *tc,
			   uint16_t tclass, const struct explain *ex, char *out, size_t size)
{
	const char *cons = ex->cons_text;
	size_t len;

	out[0] = '\0';
	if (ex->te) {
		snprintf(out, size,
			 "missing type enforcement (TE) allow rule:\n    allow %s %s:%s ",
			 type_name(p, sc->type), type_name(p, tc->type), class_name(p, tclass));
		append_perms(tclass, ex->te, out, size);
		len = strlen(out);
		snprintf(out + len, size - len, ";\n");
	}
	if (ex->cons) {
		len = strlen(out);
		snprintf(out + len, size - len, "a constraint denies ");
		append_perms(tclass, ex->cons, out, size);
		len = strlen(out);
		snprintf(out + len, size - len, ":\n%s%s",
			 cons ? cons : "    (constraint text unavailable)\n",
			 cons && *cons && cons[strlen(cons) - 1] != '\n' ? "\n" : "");
	}
	if (ex->rbac) {
		len = strlen(out);
		snprintf(out + len, size - len, "role-based access control (RBAC) denies ");
		append_perms(tclass, ex->rbac, out, size);
		len = strlen(out);
		snprintf(out + len, size - len, ": no role allow rule\n");
	}
	if (ex->bounds) {
		len = strlen(out);
		snprintf(out + len, size - len, "a typebounds statement limits ");
		append_perms(tclass, ex->bounds, out, size);
		len = strlen(out);
		snprintf(out + len, size - len, "\n");
	}
}

int sepolicy_explain(struct sepolicy *p, uint32_t ssid, uint32_t tsid, uint16_t tclass,
		     uint32_t requested, uint32_t *denied, char **text, struct softsgx_err *err)
{
	struct explain ex = {0};
	context_struct_t *sc, *tc;
	const size_t size = 8192;
	char *out;
	int ret;

	*text = NULL;
	out = malloc(size);
	if (!out)
		return softsgx_fail(err, -ENOMEM, "out of memory");
	sepol_enter(p);
	sc = sepol_sidtab_search(&p->sidtab, ssid);
	tc = sepol_sidtab_search(&p->sidtab, tsid);
	ret = sc && tc ? explain_collect(ssid, tsid, tclass, requested, &ex, denied) : -EINVAL;
	if (!ret)
		explain_format(p, sc, tc, tclass, &ex, out, size);
	else
		softsgx_fail(err, -EINVAL, "policy %s: cannot compute access: %s", p->path,
			     last_msg());
	sepol_leave();
	free(ex.cons_text);
	if (ret) {
		free(out);
		return ret;
	}
	*text = out;
	return 0;
}
