// SPDX-License-Identifier: MIT
/*
 * Labels, as lsm-enclave-controls.md gives them:
 *   process: the host kernel's label (/proc/self/attr/current) when it runs SELinux, else the
 *            launcher's context (cred->context), else the configuration's;
 *   file:    the security.selinux xattr, else file_contexts (libselinux selabel), else the
 *            policy's "file" initial SID; a label the policy does not know is "unlabeled",
 *            as the kernel treats an invalid on-disk label;
 *   device:  the emulated devices have no inode on the host: file_contexts, else "file";
 *   enclave: enclave_contexts (MRENCLAVE, then MRSIGNER), else the label of the file the
 *            SIGSTRUCT was read from, else the configured default.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <selinux/label.h>
#include <selinux/selinux.h>

#include "softsgx/sigstruct.h"

#include "sel.h"

int sel_context_label(struct selinux *m, const char *context, struct sel_label *l,
		      struct softsgx_err *err)
{
	int ret;

	if (sidmap_get(m->sids, context, &l->sid, &l->context))
		return 0;
	ret = sepolicy_context_to_sid(m->policy, context, &l->sid, err);
	if (ret)
		return ret;
	ret = sidmap_put(m->sids, context, l->sid, context, &l->context);
	return ret ? softsgx_fail(err, ret, "out of memory") : 0;
}

/*
 * One-entry per-thread memos in front of the sidmaps: the hooks ask about the same process
 * and the same device again and again, and a hit takes no lock.  Entries of the sidmaps are
 * never removed while the module lives, so a memo of this module's generation stays valid.
 */
struct label_memo {
	uint64_t gen; /* the module instance; 0: empty */
	char key[SOFTSGX_CONTEXT_MAX];
	struct sel_label l;
};

static __thread struct label_memo memo_process, memo_device;

static bool memo_get(const struct label_memo *c, const struct selinux *m, const char *key,
		     struct sel_label *l)
{
	if (c->gen != m->gen || strcmp(c->key, key))
		return false;
	*l = c->l;
	return true;
}

static void memo_put(struct label_memo *c, const struct selinux *m, const char *key,
		     const struct sel_label *l)
{
	size_t len = strlen(key);

	if (len >= sizeof(c->key))
		return;
	memcpy(c->key, key, len + 1);
	c->l = *l;
	c->gen = m->gen;
}

int sel_process_label(struct selinux *m, const struct lsm_cred *cred, struct sel_label *l)
{
	const char *ctx = m->host_context;
	int ret;

	if (!ctx[0])
		ctx = cred->context && cred->context[0] ? cred->context : m->process_context;
	if (!ctx[0])
		return -EINVAL; /* no label for this process: the framework denies and audits */
	if (memo_get(&memo_process, m, ctx, l))
		return 0;
	ret = sel_context_label(m, ctx, l, NULL);
	if (!ret)
		memo_put(&memo_process, m, ctx, l);
	return ret;
}

/* A context the policy cannot name is the unlabeled initial SID's. */
static int label_or_unlabeled(struct selinux *m, const char *ctx, struct sel_label *l)
{
	if (!sel_context_label(m, ctx, l, NULL))
		return 0;
	return sel_context_label(m, m->unlabeled_context, l, NULL);
}

static int fc_lookup(struct selinux *m, const char *path, mode_t mode, char *buf, size_t size)
{
	char *con = NULL;
	int ret = -ENOENT;

	if (!m->fc)
		return -ENOENT;
	pthread_mutex_lock(&m->fc_lock);
	if (!selabel_lookup(m->fc, &con, path, mode)) {
		snprintf(buf, size, "%s", con);
		freecon(con);
		ret = 0;
	}
	pthread_mutex_unlock(&m->fc_lock);
	return ret;
}

int sel_file_label(struct selinux *m, const char *path, mode_t mode, struct sel_label *l)
{
	char ctx[SOFTSGX_CONTEXT_MAX + 1];
	ssize_t n;

	n = getxattr(path, "security.selinux", ctx, sizeof(ctx) - 1);
	if (n > 0) {
		ctx[n] = '\0'; /* the kernel stores the trailing NUL; tools may not */
		return label_or_unlabeled(m, ctx, l);
	}
	if (!fc_lookup(m, path, mode, ctx, sizeof(ctx)))
		return label_or_unlabeled(m, ctx, l);
	return sel_context_label(m, m->file_context, l, NULL);
}

int sel_device_label(struct selinux *m, const struct lsm_file *file, struct sel_label *l)
{
	char ctx[SOFTSGX_CONTEXT_MAX + 1];
	int ret;

	if (memo_get(&memo_device, m, file->path, l))
		return 0;
	if (!sidmap_get(m->devices, file->path, &l->sid, &l->context)) {
		if (fc_lookup(m, file->path, S_IFCHR, ctx, sizeof(ctx)))
			snprintf(ctx, sizeof(ctx), "%s", m->file_context);
		ret = label_or_unlabeled(m, ctx, l);
		if (!ret)
			ret = sidmap_put(m->devices, file->path, l->sid, l->context, &l->context);
		if (ret)
			return ret;
	}
	memo_put(&memo_device, m, file->path, l);
	return 0;
}

int sel_enclave_label(struct selinux *m, const struct sgx_sigstruct *sigstruct,
		      const struct lsm_source *src, struct sel_label *l)
{
	const struct enclave_context_rule *rule;
	uint8_t mrsigner[32];

	sgx_sigstruct_mrsigner(sigstruct, mrsigner);
	rule = enclave_contexts_match(m->ec, sigstruct->body.mrenclave, mrsigner);
	if (rule)
		return sel_context_label(m, rule->context, l, NULL);
	if (src && !src->anonymous && src->path)
		return sel_file_label(m, src->path, S_IFREG, l);
	return sel_context_label(m, m->enclave_context, l, NULL);
}

int sel_read_host_context(struct selinux *m, struct softsgx_err *err)
{
	char buf[SOFTSGX_CONTEXT_MAX];
	ssize_t n;
	int fd;

	m->host_context[0] = '\0';
	if (is_selinux_enabled() <= 0)
		return 0;
	fd = open("/proc/self/attr/current", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return softsgx_fail(err, -errno,
				    "the host runs SELinux but /proc/self/attr/current: %s",
				    strerror(errno));
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return softsgx_fail(err, -EIO, "cannot read /proc/self/attr/current");
	while (n > 0 && (buf[n - 1] == '\0' || buf[n - 1] == '\n'))
		n--;
	buf[n] = '\0';
	snprintf(m->host_context, sizeof(m->host_context), "%s", buf);
	if (sel_context_label(m, m->host_context, &(struct sel_label){0}, err))
		return softsgx_err_prefix(
		    err, "the host kernel labels this process %s: ", m->host_context);
	return 0;
}

/* libselinux reports file_contexts problems through a global callback: keep the last. */
static pthread_mutex_t fc_open_lock = PTHREAD_MUTEX_INITIALIZER;
static char fc_msg[512];
static struct selinux *fc_validating;
static char fc_invalid[SOFTSGX_CONTEXT_MAX];

static int fc_log(int type, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fc_log(int type, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	if (type == SELINUX_INFO || type == SELINUX_AVC)
		return 0;
	va_start(ap, fmt);
	vsnprintf(fc_msg, sizeof(fc_msg), fmt, ap);
	va_end(ap);
	n = strlen(fc_msg);
	while (n && fc_msg[n - 1] == '\n')
		fc_msg[--n] = '\0';
	return 0;
}

/* Each context of file_contexts must be valid in the module's policy. */
static int fc_validate(char **ctx)
{
	struct sel_label l;

	if (!sel_context_label(fc_validating, *ctx, &l, NULL))
		return 0;
	snprintf(fc_invalid, sizeof(fc_invalid), "%s", *ctx);
	return -1;
}

int sel_open_file_contexts(struct selinux *m, const char *path, struct softsgx_err *err)
{
	struct selinux_opt opts[] = {
	    {SELABEL_OPT_PATH, path},
	    {SELABEL_OPT_VALIDATE, (const char *)1},
	};
	union selinux_callback log_cb, validate_cb, old_log, old_validate;

	if (access(path, R_OK))
		return softsgx_fail(err, -errno, "file_contexts %s: %s", path, strerror(errno));
	pthread_mutex_lock(&fc_open_lock);
	old_log.func_log = selinux_get_callback(SELINUX_CB_LOG).func_log;
	old_validate.func_validate = selinux_get_callback(SELINUX_CB_VALIDATE).func_validate;
	log_cb.func_log = fc_log;
	validate_cb.func_validate = fc_validate;
	fc_msg[0] = fc_invalid[0] = '\0';
	fc_validating = m;
	selinux_set_callback(SELINUX_CB_LOG, log_cb);
	selinux_set_callback(SELINUX_CB_VALIDATE, validate_cb);
	m->fc = selabel_open(SELABEL_CTX_FILE, opts, 2);
	selinux_set_callback(SELINUX_CB_LOG, old_log);
	selinux_set_callback(SELINUX_CB_VALIDATE, old_validate);
	fc_validating = NULL;
	if (!m->fc) {
		if (fc_invalid[0])
			softsgx_fail(err, -EINVAL, "%s (context \"%s\" is not valid in policy %s)",
				     fc_msg[0] ? fc_msg : path, fc_invalid,
				     sepolicy_path(m->policy));
		else
			softsgx_fail(err, -EINVAL, "file_contexts %s refused: %s", path,
				     fc_msg[0] ? fc_msg : "libselinux gives no reason");
	}
	pthread_mutex_unlock(&fc_open_lock);
	return m->fc ? 0 : -EINVAL;
}
