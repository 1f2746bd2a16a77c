// SPDX-License-Identifier: MIT
/*
 * The SELinux module's hooks: each one turns an operation into (subject, object, class,
 * permissions) per the spec's table and asks sel_has_perm, as security/selinux/hooks.c does.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "../module.h"
#include "sel.h"

static void file_audit_data(const struct lsm_file *file, struct sel_audit_data *ad)
{
	ad->path = file->path;
	ad->dev = file->dev;
	ad->ino = (unsigned long)file->ino;
}

static int sel_module_init(void **priv, struct lsm_stack *stack, const struct softsgx_config *cfg,
			   struct softsgx_err *err)
{
	struct selinux *m;
	int ret;

	ret = sel_init(&m, lsm_stack_audit(stack), cfg, err);
	if (ret)
		return ret;
	if (!m->enforcing)
		lsm_stack_warn(stack,
			       "selinux: permissive mode: denials are audited, not enforced");
	*priv = m;
	return 0;
}

static void sel_module_destroy(void *priv)
{
	sel_destroy(priv);
}

/* The subject and the device's label, or the error the framework turns into a denial. */
static int device_check(struct selinux *m, const struct lsm_cred *cred, const struct lsm_file *file,
			uint32_t requested)
{
	struct sel_audit_data ad = {0};
	struct sel_label subj, obj;
	int ret;

	ret = sel_process_label(m, cred, &subj);
	if (!ret)
		ret = sel_device_label(m, file, &obj);
	if (ret)
		return ret;
	file_audit_data(file, &ad);
	return sel_has_perm(m, cred, &subj, &obj, SEL_CHR_FILE, requested, &ad);
}

/* A check of @cls on the process itself (process, process2). */
static int self_check(struct selinux *m, const struct lsm_cred *cred, enum sel_class cls,
		      uint32_t requested, const struct sel_audit_data *ad)
{
	struct sel_label subj;
	int ret;

	ret = sel_process_label(m, cred, &subj);
	if (ret)
		return ret;
	return sel_has_perm(m, cred, &subj, &subj, cls, requested, ad);
}

static int sel_file_open(void *priv, const struct lsm_cred *cred, const struct lsm_file *file,
			 int open_flags)
{
	uint32_t av = CHR_FILE__OPEN | CHR_FILE__READ;

	if ((open_flags & O_ACCMODE) != O_RDONLY)
		av |= CHR_FILE__WRITE;
	return device_check(priv, cred, file, av);
}

static int sel_file_ioctl(void *priv, const struct lsm_cred *cred, const struct lsm_file *file,
			  unsigned int cmd)
{
	struct selinux *m = priv;
	struct sel_audit_data ad = {0};
	struct sel_label subj, obj;
	int ret;

	/* Anonymous inodes are exempt from inode checks: the gap the thread points out. */
	if (file->anon_inode)
		return 0;
	ret = sel_process_label(m, cred, &subj);
	if (!ret)
		ret = sel_device_label(m, file, &obj);
	if (ret)
		return ret;
	file_audit_data(file, &ad);
	ad.has_ioctlcmd = true;
	ad.ioctlcmd = cmd & 0xffff;
	return sel_has_ioctl_perm(m, cred, &subj, &obj, cmd & 0xffff, &ad);
}

/* file_map_prot_check for @prot on the device (shared: MAP_SHARED). */
static int map_check(struct selinux *m, const struct lsm_cred *cred, const struct lsm_file *file,
		     int prot, bool shared)
{
	uint32_t av = CHR_FILE__MAP | CHR_FILE__READ;

	if (file->anon_inode)
		return prot & PROT_EXEC ? self_check(m, cred, SEL_PROCESS, PROCESS__EXECMEM, NULL)
					: 0;
	if (shared && (prot & PROT_WRITE))
		av |= CHR_FILE__WRITE;
	if (prot & PROT_EXEC)
		av |= CHR_FILE__EXECUTE;
	return device_check(m, cred, file, av);
}

static int sel_mmap_file(void *priv, const struct lsm_cred *cred, const struct lsm_file *file,
			 int prot, int flags)
{
	return map_check(priv, cred, file, prot, (flags & MAP_TYPE) != MAP_PRIVATE);
}

/* Enclave mappings are shared mappings of the device. */
static int sel_file_mprotect(void *priv, const struct lsm_cred *cred, const struct lsm_file *file,
			     int prot)
{
	return map_check(priv, cred, file, prot, true);
}

static int sel_enclave_map(void *priv, const struct lsm_cred *cred, const struct lsm_enclave *encl,
			   int prot, bool dirty)
{
	uint32_t av = 0;

	(void)encl;
	if ((prot & (PROT_WRITE | PROT_EXEC)) == (PROT_WRITE | PROT_EXEC))
		av |= PROCESS2__SGX_MAPWX;
	if ((prot & PROT_EXEC) && dirty)
		av |= PROCESS2__SGX_EXECDIRTY;
	return av ? self_check(priv, cred, SEL_PROCESS2, av, NULL) : 0;
}

static bool source_is_file(const struct lsm_source *src)
{
	return src && !src->anonymous && src->path;
}

static int sel_enclave_load(void *priv, const struct lsm_cred *cred, const struct lsm_enclave *encl,
			    const struct lsm_source *src, int prot, bool measured)
{
	struct selinux *m = priv;
	struct sel_audit_data ad = {0};
	struct sel_label subj, obj;
	int ret;

	(void)encl;
	if (!(prot & PROT_EXEC))
		return 0;
	if (source_is_file(src)) {
		ad.path = src->path;
		ad.dev = src->dev;
		ad.ino = (unsigned long)src->ino;
	}
	ret = sel_process_label(m, cred, &subj);
	if (ret)
		return ret;
	if (prot & PROT_WRITE) {
		ret =
		    sel_has_perm(m, cred, &subj, &subj, SEL_PROCESS2, PROCESS2__SGX_EXECDIRTY, &ad);
		if (ret)
			return ret;
	}
	if (!measured) {
		ret =
		    sel_has_perm(m, cred, &subj, &subj, SEL_PROCESS2, PROCESS2__SGX_EXECUNMR, &ad);
		if (ret)
			return ret;
	}
	if (!source_is_file(src) || src->written)
		return sel_has_perm(m, cred, &subj, &subj, SEL_PROCESS2, PROCESS2__SGX_EXECANON,
				    &ad);
	ret = sel_file_label(m, src->path, S_IFREG, &obj);
	if (ret)
		return ret;
	return sel_has_perm(m, cred, &subj, &obj, SEL_FILE, FILE__SGX_EXECUTE, &ad);
}

static int sel_enclave_init(void *priv, const struct lsm_cred *cred, const struct lsm_enclave *encl,
			    const struct sgx_sigstruct *sigstruct, const struct lsm_source *src,
			    const struct sgx_attributes *attributes)
{
	struct selinux *m = priv;
	struct sel_label subj, obj;
	uint32_t av = ENCLAVE__INIT;
	int ret;

	(void)encl;
	if (!sigstruct || !attributes)
		return -EINVAL; /* no identity to label: the stack denies (fail closed) */
	if (attributes->flags & SGX_ATTR_DEBUG)
		av |= ENCLAVE__DEBUG;
	if (attributes->flags & SGX_ATTR_PROVISIONKEY)
		av |= ENCLAVE__PROVISION;
	ret = sel_process_label(m, cred, &subj);
	if (!ret)
		ret = sel_enclave_label(m, sigstruct, src, &obj);
	if (ret)
		return ret;
	return sel_has_perm(m, cred, &subj, &obj, SEL_ENCLAVE, av, NULL);
}

/* The provision device was checked at open; check it again in case its label changed. */
static int sel_enclave_provision(void *priv, const struct lsm_cred *cred,
				 const struct lsm_enclave *encl, const struct lsm_file *provision)
{
	(void)encl;
	return device_check(priv, cred, provision, CHR_FILE__OPEN | CHR_FILE__READ);
}

const struct lsm_module_ops lsm_selinux_module = {
    .name = "selinux",
    .init = sel_module_init,
    .destroy = sel_module_destroy,
    .file_open = sel_file_open,
    .file_ioctl = sel_file_ioctl,
    .mmap_file = sel_mmap_file,
    .file_mprotect = sel_file_mprotect,
    .enclave_map = sel_enclave_map,
    .enclave_load = sel_enclave_load,
    .enclave_init = sel_enclave_init,
    .enclave_provision = sel_enclave_provision,
};
