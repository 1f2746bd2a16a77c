/* SPDX-License-Identifier: MIT */
/*
 * The launch-list module: enclave_init is allowed only for an enclave a rule of the list
 * admits (launchlist.h).  The list is read once at start-up and never changes afterwards,
 * so the hook needs no lock.  Fail closed: no list configured, a list file that does not
 * exist, or a list of no rule denies every enclave, and start-up says so.  Each denial is
 * audited as an SGX_LAUNCH record naming the enclave's identity and the reason.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "softsgx/sigstruct.h"
#include "../audit.h"
#include "../module.h"
#include "launchlist.h"

struct launch_module {
	struct launch_list list;
	struct lsm_audit *audit;
};

static int launch_init(void **priv, struct lsm_stack *stack, const struct softsgx_config *cfg,
		       struct softsgx_err *err)
{
	struct launch_module *m = calloc(1, sizeof(*m));
	int rc = 0;

	if (!m)
		return softsgx_fail(err, -ENOMEM, "out of memory");
	m->audit = lsm_stack_audit(stack);
	if (!cfg->launch_list[0])
		lsm_stack_warn(stack, "launch: no launch list is configured (launch.list): every "
				      "enclave is denied");
	else
		rc = launch_list_load(&m->list, cfg->launch_list, err);
	if (rc == -ENOENT) {
		lsm_stack_warn(stack,
			       "launch: the launch list %s does not exist: every enclave "
			       "is denied",
			       cfg->launch_list);
		rc = 0;
	} else if (!rc && cfg->launch_list[0] && !m->list.nr_rules) {
		lsm_stack_warn(stack,
			       "launch: the launch list %s has no rule: every enclave is "
			       "denied",
			       cfg->launch_list);
	}
	if (rc) {
		free(m);
		return rc;
	}
	*priv = m;
	return 0;
}

static void launch_destroy(void *priv)
{
	struct launch_module *m = priv;

	launch_list_free(&m->list);
	free(m);
}

static void identity_of(struct launch_identity *id, const struct sgx_sigstruct *sigstruct,
			const struct sgx_attributes *attributes)
{
	memcpy(id->mrenclave, sigstruct->body.mrenclave, sizeof(id->mrenclave));
	sgx_sigstruct_mrsigner(sigstruct, id->mrsigner);
	id->isvprodid = sigstruct->body.isv_prod_id;
	id->isvsvn = sigstruct->body.isv_svn;
	id->debug = attributes->flags & SGX_ATTR_DEBUG;
	id->provision = attributes->flags & SGX_ATTR_PROVISIONKEY;
}

static void audit_denial(struct launch_module *m, const struct lsm_cred *cred,
			 const struct launch_identity *id, const char *why)
{
	char mrenclave[65], mrsigner[65], comm[40] = "\"?\"";

	softsgx_hex(mrenclave, id->mrenclave, 32);
	softsgx_hex(mrsigner, id->mrsigner, 32);
	if (cred)
		lsm_audit_comm(comm, sizeof(comm), 0, cred->comm);
	lsm_audit_log(m->audit, "SGX_LAUNCH",
		      "launch:  denied  { init } for  pid=%d comm=%s mrenclave=%s mrsigner=%s "
		      "isvprodid=%u isvsvn=%u debug=%d provision=%d reason=\"%s\"",
		      cred ? (int)cred->pid : 0, comm, mrenclave, mrsigner, id->isvprodid,
		      id->isvsvn, id->debug, id->provision, why);
}

static int launch_enclave_init(void *priv, const struct lsm_cred *cred,
			       const struct lsm_enclave *encl,
			       const struct sgx_sigstruct *sigstruct, const struct lsm_source *src,
			       const struct sgx_attributes *attributes)
{
	struct launch_module *m = priv;
	struct launch_identity id;
	char why[256];

	(void)encl;
	(void)src;
	/* Without the SIGSTRUCT or the SECS attributes there is no identity to check. */
	if (!sigstruct || !attributes)
		return -EINVAL;
	identity_of(&id, sigstruct, attributes);
	if (launch_list_match(&m->list, &id, why, sizeof(why)))
		return 0;
	audit_denial(m, cred, &id, why);
	return -EACCES;
}

const struct lsm_module_ops lsm_launch_module = {
    .name = "launch",
    .init = launch_init,
    .destroy = launch_destroy,
    .enclave_init = launch_enclave_init,
};
