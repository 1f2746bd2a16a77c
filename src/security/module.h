/* SPDX-License-Identifier: MIT */
/*
 * The interface between the hook framework (hooks.c) and the security modules it stacks
 * (launch/, selinux/).  A module is a table of optional hook functions with init/destroy and
 * the name the configuration uses for it, like the kernel's security_hook_list.
 *
 * What a hook function returns decides what the framework does:
 *   0                  allowed: the next module is asked;
 *   -EACCES or -EPERM  a policy denial: the module has already audited it (or chose not to,
 *                      like a dontaudit rule); the framework stops and returns it, so later
 *                      modules are not consulted (Linux's call_int_hook does the same);
 *   any other errno    the module could not decide (out of memory, an unreadable label, a
 *                      broken policy): the framework denies with -EACCES and audits an
 *                      "SGX_HOOK" record naming the module, the hook and the error (fail closed).
 * A missing hook function means "this module has no opinion": allowed.
 *
 * Hook functions run concurrently from many threads on one stack; a module protects whatever
 * state it changes after init (caches, counters) itself.
 */
#ifndef SOFTSGX_SECURITY_MODULE_H
#define SOFTSGX_SECURITY_MODULE_H

#include "softsgx/lsm.h"

struct lsm_audit;

struct lsm_module_ops {
	const char *name; /* the configuration's name: "launch", "selinux" */

	/*
	 * Build the module's state from @cfg into *@priv.  @stack gives the audit sink
	 * (lsm_stack_audit) and takes start-up warnings (lsm_stack_warn) that the caller prints.
	 * Returns 0, or a negative errno with a message in @err: then the stack is not built.
	 */
	int (*init)(void **priv, struct lsm_stack *stack, const struct softsgx_config *cfg,
		    struct softsgx_err *err);
	void (*destroy)(void *priv);

	int (*file_open)(void *priv, const struct lsm_cred *cred, const struct lsm_file *file,
			 int open_flags);
	int (*file_ioctl)(void *priv, const struct lsm_cred *cred, const struct lsm_file *file,
			  unsigned int cmd);
	int (*mmap_file)(void *priv, const struct lsm_cred *cred, const struct lsm_file *file,
			 int prot, int flags);
	int (*file_mprotect)(void *priv, const struct lsm_cred *cred, const struct lsm_file *file,
			     int prot);
	int (*enclave_map)(void *priv, const struct lsm_cred *cred, const struct lsm_enclave *encl,
			   int prot, bool dirty);
	int (*enclave_load)(void *priv, const struct lsm_cred *cred,
			    const struct lsm_enclave *encl, const struct lsm_source *src, int prot,
			    bool measured);
	int (*enclave_init)(void *priv, const struct lsm_cred *cred,
			    const struct lsm_enclave *encl, const struct sgx_sigstruct *sigstruct,
			    const struct lsm_source *src, const struct sgx_attributes *attributes);
	int (*enclave_provision)(void *priv, const struct lsm_cred *cred,
				 const struct lsm_enclave *encl, const struct lsm_file *provision);
};

/* The modules of this build (registry.c), looked up by configuration name; NULL if unknown. */
const struct lsm_module_ops *lsm_module_find(const char *name);

/*
 * lsm_stack_create with the modules given as ops tables rather than by name (lsm_stack_create
 * resolves cfg->modules and calls this; tests stack their own modules with it).  @cfg supplies
 * the audit destination and each module's settings.
 */
int lsm_stack_create_ops(struct lsm_stack **stack, const struct lsm_module_ops *const *ops,
			 int nr_ops, const struct softsgx_config *cfg, struct softsgx_err *err);

/* The stack's audit sink, for a module's denial records (audit.h). */
struct lsm_audit *lsm_stack_audit(struct lsm_stack *stack);

/* Add a start-up warning ("launch: the launch list is empty: every enclave is denied"). */
void lsm_stack_warn(struct lsm_stack *stack, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The modules' ops tables (each module's own file). */
extern const struct lsm_module_ops lsm_launch_module;
extern const struct lsm_module_ops lsm_selinux_module;

#endif
