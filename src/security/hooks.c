/* SPDX-License-Identifier: MIT */
/*
 * The security hook framework: the stack of modules the configuration names, asked in order
 * for every hook the driver calls (lsm.h, ../shared/spec/lsm-enclave-controls.md).
 *
 * - A NULL stack, or a stack of no module, allows everything: the driver is upstream Linux.
 * - Modules are asked in the configured order; the first denial wins and ends the walk, as
 *   the kernel's call_int_hook does, so a later module neither decides nor audits an
 *   operation an earlier one refused.  Each module audits its own denials (an AVC line, a
 *   launch-list line), so every denial that decides an outcome is in the log.
 * - A module that fails internally (any errno other than EACCES/EPERM) denies: the framework
 *   returns -EACCES and audits an SGX_HOOK record with the module, hook and error.
 * The stack is immutable once built, so hooks run concurrently without a lock here.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "softsgx/lsm.h"
#include "audit.h"
#include "module.h"

struct lsm_stack_entry {
	const struct lsm_module_ops *ops;
	void *priv;
};

struct lsm_stack {
	int nr_modules;
	struct lsm_stack_entry modules[SOFTSGX_MAX_MODULES];
	struct lsm_audit *audit;
	char warnings[2048];
};

enum lsm_hook {
	LSM_FILE_OPEN,
	LSM_FILE_IOCTL,
	LSM_MMAP_FILE,
	LSM_FILE_MPROTECT,
	LSM_ENCLAVE_MAP,
	LSM_ENCLAVE_LOAD,
	LSM_ENCLAVE_INIT,
	LSM_ENCLAVE_PROVISION,
};

static const char *const hook_names[] = {
    [LSM_FILE_OPEN] = "file_open",	 [LSM_FILE_IOCTL] = "file_ioctl",
    [LSM_MMAP_FILE] = "mmap_file",	 [LSM_FILE_MPROTECT] = "file_mprotect",
    [LSM_ENCLAVE_MAP] = "enclave_map",	 [LSM_ENCLAVE_LOAD] = "enclave_load",
    [LSM_ENCLAVE_INIT] = "enclave_init", [LSM_ENCLAVE_PROVISION] = "enclave_provision",
};

/* One hook call's arguments, so one loop serves every hook. */
struct lsm_call {
	enum lsm_hook hook;
	const struct lsm_cred *cred;
	const struct lsm_file *file;
	const struct lsm_enclave *encl;
	const struct lsm_source *src;
	const struct sgx_sigstruct *sigstruct;
	const struct sgx_attributes *attributes;
	int flags, prot;
	unsigned int cmd;
	bool dirty, measured;
};

struct lsm_audit *lsm_stack_audit(struct lsm_stack *stack)
{
	return stack ? stack->audit : NULL;
}

void lsm_stack_warn(struct lsm_stack *stack, const char *fmt, ...)
{
	size_t len = strlen(stack->warnings);
	size_t room = sizeof(stack->warnings) - len;
	va_list ap;
	int n;

	if (room < 2)
		return;
	va_start(ap, fmt);
	n = vsnprintf(stack->warnings + len, room - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	len = strlen(stack->warnings);
	stack->warnings[len] = '\n';
	stack->warnings[len + 1] = '\0';
}

const char *lsm_stack_warnings(const struct lsm_stack *stack)
{
	if (!stack || !stack->warnings[0])
		return NULL;
	return stack->warnings;
}

int lsm_stack_create_ops(struct lsm_stack **stack, const struct lsm_module_ops *const *ops,
			 int nr_ops, const struct softsgx_config *cfg, struct softsgx_err *err)
{
	struct lsm_stack *s;
	int rc;

	*stack = NULL;
	if (nr_ops < 0 || nr_ops > SOFTSGX_MAX_MODULES)
		return softsgx_fail(err, -EINVAL, "security: %d modules configured, at most %d",
				    nr_ops, SOFTSGX_MAX_MODULES);
	s = calloc(1, sizeof(*s));
	if (!s)
		return softsgx_fail(err, -ENOMEM, "security: out of memory");
	rc = lsm_audit_open(&s->audit, cfg->audit, err);
	if (rc) {
		free(s);
		return rc;
	}
	for (int i = 0; i < nr_ops; i++) {
		struct lsm_stack_entry *e = &s->modules[i];

		e->ops = ops[i];
		rc = e->ops->init ? e->ops->init(&e->priv, s, cfg, err) : 0;
		if (rc) {
			softsgx_err_prefix(err, "security module %s: ", e->ops->name);
			lsm_stack_destroy(s);
			return rc;
		}
		s->nr_modules = i + 1;
	}
	*stack = s;
	return 0;
}

int lsm_stack_create(struct lsm_stack **stack, const struct softsgx_config *cfg,
		     struct softsgx_err *err)
{
	const struct lsm_module_ops *ops[SOFTSGX_MAX_MODULES];

	*stack = NULL;
	if (cfg->nr_modules < 0 || cfg->nr_modules > SOFTSGX_MAX_MODULES)
		return softsgx_fail(err, -EINVAL, "security: %d modules configured, at most %d",
				    cfg->nr_modules, SOFTSGX_MAX_MODULES);
	for (int i = 0; i < cfg->nr_modules; i++) {
		ops[i] = lsm_module_find(cfg->modules[i]);
		if (!ops[i])
			return softsgx_fail(err, -ENOENT,
					    "security: module \"%s\" is not part of this build",
					    cfg->modules[i]);
		for (int j = 0; j < i; j++)
			if (ops[j] == ops[i])
				return softsgx_fail(err, -EINVAL,
						    "security: module \"%s\" is listed twice",
						    cfg->modules[i]);
	}
	return lsm_stack_create_ops(stack, ops, cfg->nr_modules, cfg, err);
}

void lsm_stack_destroy(struct lsm_stack *stack)
{
	if (!stack)
		return;
	for (int i = stack->nr_modules - 1; i >= 0; i--)
		if (stack->modules[i].ops->destroy)
			stack->modules[i].ops->destroy(stack->modules[i].priv);
	lsm_audit_close(stack->audit);
	free(stack);
}

static int call_module(const struct lsm_stack_entry *e, const struct lsm_call *c)
{
	const struct lsm_module_ops *o = e->ops;

	switch (c->hook) {
	case LSM_FILE_OPEN:
		return o->file_open ? o->file_open(e->priv, c->cred, c->file, c->flags) : 0;
	case LSM_FILE_IOCTL:
		return o->file_ioctl ? o->file_ioctl(e->priv, c->cred, c->file, c->cmd) : 0;
	case LSM_MMAP_FILE:
		return o->mmap_file ? o->mmap_file(e->priv, c->cred, c->file, c->prot, c->flags)
				    : 0;
	case LSM_FILE_MPROTECT:
		return o->file_mprotect ? o->file_mprotect(e->priv, c->cred, c->file, c->prot) : 0;
	case LSM_ENCLAVE_MAP:
		return o->enclave_map ? o->enclave_map(e->priv, c->cred, c->encl, c->prot, c->dirty)
				      : 0;
	case LSM_ENCLAVE_LOAD:
		return o->enclave_load ? o->enclave_load(e->priv, c->cred, c->encl, c->src, c->prot,
							 c->measured)
				       : 0;
	case LSM_ENCLAVE_INIT:
		return o->enclave_init ? o->enclave_init(e->priv, c->cred, c->encl, c->sigstruct,
							 c->src, c->attributes)
				       : 0;
	case LSM_ENCLAVE_PROVISION:
		return o->enclave_provision
			   ? o->enclave_provision(e->priv, c->cred, c->encl, c->file)
			   : 0;
	}
	return -EINVAL; /* an unknown hook is an internal error: fail closed */
}

static void audit_failure(struct lsm_stack *s, const struct lsm_stack_entry *e,
			  const struct lsm_call *c, int rc)
{
	const char *name = strerrorname_np(-rc), *desc = strerrordesc_np(-rc);
	char comm[40] = "\"?\"";

	if (c->cred)
		lsm_audit_comm(comm, sizeof(comm), 0, c->cred->comm);
	lsm_audit_log(s->audit, "SGX_HOOK",
		      "softsgx:  denied  hook=%s module=%s error=%s (%s) for  pid=%d comm=%s "
		      "reason=\"the module failed to decide: denied (fail closed)\"",
		      hook_names[c->hook], e->ops->name, name ? name : "?", desc ? desc : "?",
		      c->cred ? (int)c->cred->pid : (int)getpid(), comm);
}

static int call_hooks(struct lsm_stack *s, const struct lsm_call *c)
{
	if (!s)
		return 0;
	for (int i = 0; i < s->nr_modules; i++) {
		int rc = call_module(&s->modules[i], c);

		if (rc == 0)
			continue;
		if (rc == -EACCES || rc == -EPERM)
			return rc;
		if (rc > 0)
			rc = -EINVAL; /* not an errno at all: still a failure, still denied */
		audit_failure(s, &s->modules[i], c, rc);
		return -EACCES;
	}
	return 0;
}

int security_file_open(struct lsm_stack *s, const struct lsm_cred *cred,
		       const struct lsm_file *file, int open_flags)
{
	struct lsm_call c = {
	    .hook = LSM_FILE_OPEN, .cred = cred, .file = file, .flags = open_flags};

	return call_hooks(s, &c);
}

int security_file_ioctl(struct lsm_stack *s, const struct lsm_cred *cred,
			const struct lsm_file *file, unsigned int cmd)
{
	struct lsm_call c = {.hook = LSM_FILE_IOCTL, .cred = cred, .file = file, .cmd = cmd};

	return call_hooks(s, &c);
}

int security_mmap_file(struct lsm_stack *s, const struct lsm_cred *cred,
		       const struct lsm_file *file, int prot, int flags)
{
	struct lsm_call c = {
	    .hook = LSM_MMAP_FILE, .cred = cred, .file = file, .prot = prot, .flags = flags};

	return call_hooks(s, &c);
}

int security_file_mprotect(struct lsm_stack *s, const struct lsm_cred *cred,
			   const struct lsm_file *file, int prot)
{
	struct lsm_call c = {.hook = LSM_FILE_MPROTECT, .cred = cred, .file = file, .prot = prot};

	return call_hooks(s, &c);
}

int security_enclave_map(struct lsm_stack *s, const struct lsm_cred *cred,
			 const struct lsm_enclave *encl, int prot, bool dirty)
{
	struct lsm_call c = {
	    .hook = LSM_ENCLAVE_MAP, .cred = cred, .encl = encl, .prot = prot, .dirty = dirty};

	return call_hooks(s, &c);
}

int security_enclave_load(struct lsm_stack *s, const struct lsm_cred *cred,
			  const struct lsm_enclave *encl, const struct lsm_source *src, int prot,
			  bool measured)
{
	struct lsm_call c = {.hook = LSM_ENCLAVE_LOAD,
			     .cred = cred,
			     .encl = encl,
			     .src = src,
			     .prot = prot,
			     .measured = measured};

	return call_hooks(s, &c);
}

int security_enclave_init(struct lsm_stack *s, const struct lsm_cred *cred,
			  const struct lsm_enclave *encl, const struct sgx_sigstruct *sigstruct,
			  const struct lsm_source *src, const struct sgx_attributes *attributes)
{
	struct lsm_call c = {.hook = LSM_ENCLAVE_INIT,
			     .cred = cred,
			     .encl = encl,
			     .sigstruct = sigstruct,
			     .src = src,
			     .attributes = attributes};

	return call_hooks(s, &c);
}

int security_enclave_provision(struct lsm_stack *s, const struct lsm_cred *cred,
			       const struct lsm_enclave *encl, const struct lsm_file *provision)
{
	struct lsm_call c = {
	    .hook = LSM_ENCLAVE_PROVISION, .cred = cred, .encl = encl, .file = provision};

	return call_hooks(s, &c);
}
