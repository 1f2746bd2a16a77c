/* SPDX-License-Identifier: MIT */
/*
 * The SELinux module against policies compiled with secilc (tests/security/policies/): the
 * libsepol decision for known pairs, every hook's permissions, ioctl extended permissions,
 * handle_unknown deny/allow/reject, enforcing/permissive/permissive domains, auditallow and
 * dontaudit, the AVC, labels (xattr, file_contexts, initial SID, enclave_contexts, SIGSTRUCT
 * file), and malformed policy, file_contexts and enclave_contexts files refused precisely.
 * Every AVC record is compared whole, after its "type=AVC msg=audit(...): " prefix.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/sha.h>

#include "softsgx/config.h"
#include "softsgx/lsm.h"
#include "audit.h"
#include "module.h"
#include "sectest.h"

#include "enclave_contexts.h"
#include "policy.h"
#include "sel.h"

#define ENCL_DEV "/dev/sgx_enclave"

struct env {
	char dir[256];
	char audit[512];
	struct softsgx_config cfg;
	struct lsm_stack *stack;
	struct lsm_cred cred;
	struct lsm_file dev; /* the enclave device, with the dev/ino of a real file */
	char devname[64];    /* what the kernel prints as dev= for it, found independently */
};

static void policy_path(char *out, size_t size, const char *name)
{
	const char *root = getenv("SOFTSGX_BUILD_ROOT");

	assert_non_null(root);
	snprintf(out, size, "%s/tests/security/policies/%s.bin", root, name);
}

static void env_init(struct env *e, const char *policy, const char *context)
{
	char path[512];
	struct stat st;

	memset(e, 0, sizeof(*e));
	sectest_tmpdir(e->dir, sizeof(e->dir));
	softsgx_config_defaults(&e->cfg);
	e->cfg.nr_modules = 1;
	snprintf(e->cfg.modules[0], sizeof(e->cfg.modules[0]), "selinux");
	policy_path(e->cfg.policy, sizeof(e->cfg.policy), policy);
	snprintf(e->audit, sizeof(e->audit), "%s/audit.log", e->dir);
	snprintf(e->cfg.audit, sizeof(e->cfg.audit), "%s", e->audit);
	snprintf(e->cfg.default_enclave_context, sizeof(e->cfg.default_enclave_context),
		 "u:object_r:unlabeled_enclave_t");
	snprintf(path, sizeof(path), "%s/file_contexts", e->dir);
	sectest_write_file(path, ENCL_DEV "\t-c\tu:object_r:sgx_enclave_device_t\n");
	snprintf(e->cfg.file_contexts, sizeof(e->cfg.file_contexts), "%s", path);
	e->cred.pid = getpid();
	sectest_read_comm(e->cred.comm, sizeof(e->cred.comm));
	e->cred.context = context;
	snprintf(path, sizeof(path), "%s/devnode", e->dir);
	sectest_write_file(path, "");
	assert_int_equal(stat(path, &st), 0);
	e->dev.device = LSM_DEV_ENCLAVE;
	e->dev.path = ENCL_DEV;
	e->dev.dev = st.st_dev;
	e->dev.ino = st.st_ino;
	sectest_dev_name(st.st_dev, e->devname, sizeof(e->devname));
}

static int env_start(struct env *e, struct softsgx_err *err)
{
	const struct lsm_module_ops *ops[] = {&lsm_selinux_module};

	return lsm_stack_create_ops(&e->stack, ops, 1, &e->cfg, err);
}

static void env_start_ok(struct env *e)
{
	struct softsgx_err err = {0};
	int ret = env_start(e, &err);

	if (ret)
		fail_msg("stack did not start: %s", err.msg);
}

static void env_fini(struct env *e)
{
	lsm_stack_destroy(e->stack);
	sectest_rmtree(e->dir);
}

/* The audit records must be exactly @n AVC lines equal to the varargs bodies. */
static void expect_avc(struct env *e, size_t n, ...)
{
	va_list ap;

	va_start(ap, n);
	sectest_expect_records(e->audit, "AVC", n, ap);
	va_end(ap);
}

/* "avc:  VERDICT  { PERMS } for  pid=P comm="C"" + @rest */
static const char *avc_line(struct env *e, const char *verdict, const char *perms, const char *fmt,
			    ...) __attribute__((format(printf, 4, 5)));

static const char *avc_line(struct env *e, const char *verdict, const char *perms, const char *fmt,
			    ...)
{
	const char *line;
	va_list ap;

	va_start(ap, fmt);
	line = sectest_avc_line(e->cred.pid, e->cred.comm, verdict, perms, fmt, ap);
	va_end(ap);
	return line;
}

static const char *dev_fields(struct env *e)
{
	static char buf[256];

	snprintf(buf, sizeof(buf), " path=\"" ENCL_DEV "\" dev=\"%s\" ino=%lu", e->devname,
		 (unsigned long)e->dev.ino);
	return buf;
}

/* app_t denied @perms on the enclave device labeled @tcon. */
static const char *denied_on_device(struct env *e, const char *perms, const char *tcon,
				    int permissive)
{
	return avc_line(e, "denied", perms,
			"%s scontext=u:r:app_t tcontext=%s tclass=chr_file "
			"permissive=%d",
			dev_fields(e), tcon, permissive);
}

/* Domain @type denied @perms of class @cls on itself (process, process2). */
static const char *denied_on_self(struct env *e, const char *perms, const char *type,
				  const char *cls, int permissive)
{
	return avc_line(e, "denied", perms,
			" scontext=u:r:%s tcontext=u:r:%s tclass=%s "
			"permissive=%d",
			type, type, cls, permissive);
}

/* app_t denied @perms on an enclave labeled @tcon. */
static const char *denied_on_enclave(struct env *e, const char *perms, const char *tcon)
{
	return avc_line(e, "denied", perms,
			" scontext=u:r:app_t tcontext=%s tclass=enclave permissive=0", tcon);
}

/* --- the policy through libsepol directly --- */

static void policy_decides_known_pairs(void **state)
{
	static const struct {
		const char *scon, *tcon, *cls, *perm;
		bool allowed;
	} cases[] = {
	    {"u:r:app_t", "u:object_r:sgx_enclave_device_t", "chr_file", "open", true},
	    {"u:r:app_t", "u:object_r:sgx_enclave_device_t", "chr_file", "write", false},
	    {"u:r:app_t", "u:object_r:enclave_exec_t", "file", "sgx_execute", true},
	    {"u:r:app_t", "u:object_r:file_t", "file", "sgx_execute", false},
	    {"u:r:app_t", "u:r:app_t", "process2", "sgx_execanon", true},
	    {"u:r:app_t", "u:r:app_t", "process2", "sgx_mapwx", false},
	    {"u:r:app_t", "u:object_r:acme_enclave_t", "enclave", "init", true},
	    {"u:r:app_t", "u:object_r:acme_enclave_t", "enclave", "debug", false},
	    {"u:r:debugger_t", "u:object_r:acme_enclave_t", "enclave", "debug", true},
	    {"u:r:app_t", "u:object_r:other_enclave_t", "enclave", "init", false},
	};
	struct softsgx_err err = {0};
	struct sepolicy *p;
	char path[PATH_MAX];

	(void)state;
	policy_path(path, sizeof(path), "unit");
	assert_int_equal(sepolicy_load(&p, path, &err), 0);
	assert_int_equal(sepolicy_handle_unknown(p), SEPOLICY_DENY_UNKNOWN);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t ssid, tsid, perm;
		uint16_t cls = sepolicy_class(p, cases[i].cls);
		struct sepolicy_av av;

		assert_int_not_equal(cls, 0);
		perm = sepolicy_perm(p, cls, cases[i].perm);
		assert_int_not_equal(perm, 0);
		assert_int_equal(sepolicy_context_to_sid(p, cases[i].scon, &ssid, &err), 0);
		assert_int_equal(sepolicy_context_to_sid(p, cases[i].tcon, &tsid, &err), 0);
		assert_int_equal(sepolicy_compute_av(p, ssid, tsid, cls, &av, &err), 0);
		if (((av.allowed & perm) != 0) != cases[i].allowed)
			fail_msg("%s -> %s %s { %s }: expected %s", cases[i].scon, cases[i].tcon,
				 cases[i].cls, cases[i].perm,
				 cases[i].allowed ? "allowed" : "denied");
	}
	assert_int_equal(sepolicy_class(p, "no_such_class"), 0);
	sepolicy_free(p);
}

static void policy_names_permissive_domains_and_initial_sids(void **state)
{
	struct softsgx_err err = {0};
	struct sepolicy *p;
	char path[PATH_MAX], ctx[256];
	uint32_t app, perm;

	(void)state;
	policy_path(path, sizeof(path), "unit");
	assert_int_equal(sepolicy_load(&p, path, &err), 0);
	assert_int_equal(sepolicy_context_to_sid(p, "u:r:app_t", &app, &err), 0);
	assert_int_equal(sepolicy_context_to_sid(p, "u:r:perm_t", &perm, &err), 0);
	assert_false(sepolicy_sid_permissive(p, app));
	assert_true(sepolicy_sid_permissive(p, perm));
	assert_int_equal(sepolicy_initial_context(p, "file", ctx, sizeof(ctx), &err), 0);
	assert_string_equal(ctx, "u:r:file_t"); /* base.cil: (sidcontext file (u r file_t ...)) */
	assert_int_equal(sepolicy_initial_context(p, "unlabeled", ctx, sizeof(ctx), &err), 0);
	assert_string_equal(ctx, "u:r:unlabeled_t");
	assert_int_equal(sepolicy_context_to_sid(p, "u:r:no_such_t", &app, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "no_such_t"));
	sepolicy_free(p);
}

/* --- the hooks --- */

static void open_readonly_checks_open_read_and_no_write(void **state)
{
	struct env e;

	(void)state;
	env_init(&e, "unit", "u:r:app_t");
	env_start_ok(&e);
	assert_int_equal(security_file_open(e.stack, &e.cred, &e.dev, O_RDONLY), 0);
	assert_int_equal(security_file_open(e.stack, &e.cred, &e.dev, O_RDWR), -EACCES);
	assert_int_equal(security_file_open(e.stack, &e.cred, &e.dev, O_WRONLY), -EACCES);
	expect_avc(&e, 2, denied_on_device(&e, "write", "u:object_r:sgx_enclave_device_t", 0),
		   denied_on_device(&e, "write", "u:object_r:sgx_enclave_device_t", 0));
	env_fini(&e);
}

static void mmap_checks_map_read_write_execute(void **state)
{
	struct env e;

	(void)state;
	env_init(&e, "unit", "u:r:app_t");
	env_start_ok(&e);
	assert_int_equal(
	    security_mmap_file(e.stack, &e.cred, &e.dev, PROT_READ | PROT_EXEC, MAP_SHARED), 0);
	/* a private writable mapping writes nothing back to the file: no write check */
	assert_int_equal(
	    security_mmap_file(e.stack, &e.cred, &e.dev, PROT_READ | PROT_WRITE, MAP_PRIVATE), 0);
	assert_int_equal(
	    security_mmap_file(e.stack, &e.cred, &e.dev, PROT_READ | PROT_WRITE, MAP_SHARED),
	    -EACCES);
	assert_int_equal(
	    security_file_mprotect(e.stack, &e.cred, &e.dev, PROT_READ | PROT_WRITE | PROT_EXEC),
	    -EACCES);
	expect_avc(&e, 2, denied_on_device(&e, "write", "u:object_r:sgx_enclave_device_t", 0),
		   denied_on_device(&e, "write", "u:object_r:sgx_enclave_device_t", 0));
	env_fini(&e);
}

static void anon_inode_exec_mapping_needs_execmem(void **state)
{
	struct env e;

	(void)state;
	env_init(&e, "unit", "u:r:app_t");
	env_start_ok(&e);
	e.dev.anon_inode = true;
	assert_int_equal(
	    security_mmap_file(e.stack, &e.cred, &e.dev, PROT_READ | PROT_WRITE, MAP_SHARED), 0);
	assert_int_equal(
	    security_mmap_file(e.stack, &e.cred, &e.dev, PROT_READ | PROT_EXEC, MAP_SHARED),
	    -EACCES);
	expect_avc(&e, 1, denied_on_self(&e, "execmem", "app_t", "process", 0));
	env_fini(&e);
}

static void ioctl_follows_extended_permissions(void **state)
{
	static const struct {
		unsigned int cmd;
		int ret;
		const char *verdict; /* NULL: no record */
	} cases[] = {
	    {0xc040a400, 0, NULL},	     /* CREATE: allowx, not auditallowx */
	    {0xc020a401, 0, "granted"},	     /* ADD_PAGES: allowx + auditallowx */
	    {0x4008a402, -EACCES, "denied"}, /* INIT: not in allowx */
	    {0x4008a403, -EACCES, NULL},     /* 0xa403: dontauditx */
	    {0x4008a502, -EACCES, "denied"}, /* another driver: not flagged */
	};
	struct env e;
	char want[5][1024];
	int n = 0;

	(void)state;
	env_init(&e, "unit", "u:r:app_t");
	env_start_ok(&e);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(security_file_ioctl(e.stack, &e.cred, &e.dev, cases[i].cmd),
				 cases[i].ret);
		if (cases[i].verdict)
			snprintf(
			    want[n++], sizeof(want[0]), "%s",
			    avc_line(&e, cases[i].verdict, "ioctl",
				     "%s ioctlcmd=0x%x scontext=u:r:app_t "
				     "tcontext=u:object_r:sgx_enclave_device_t tclass=chr_file%s",
				     dev_fields(&e), cases[i].cmd & 0xffff,
				     /* the kernel prints permissive= on denials only */
				     strcmp(cases[i].verdict, "denied") ? "" : " permissive=0"));
	}
	/* inode = anon: no inode check at all, the gap the thread points out */
	e.dev.anon_inode = true;
	assert_int_equal(security_file_ioctl(e.stack, &e.cred, &e.dev, 0x4008a402), 0);
	expect_avc(&e, 3, want[0], want[1], want[2]);
	env_fini(&e);
}

static void enclave_load_checks_in_order(void **state)
{
	struct env e;
	struct lsm_enclave encl = {.base = 0x10000000, .size = 0x10000, .id = 1};
	struct lsm_source anon = {.anonymous = true, .prot = PROT_READ | PROT_WRITE};

	(void)state;
	env_init(&e, "unit", "u:r:app_t");
	env_start_ok(&e);
	/* not executable: no check */
	assert_int_equal(
	    security_enclave_load(e.stack, &e.cred, &encl, &anon, PROT_READ | PROT_WRITE, false),
	    0);
	/* W+X: sgx_execdirty, denied before anything else is asked */
	assert_int_equal(security_enclave_load(e.stack, &e.cred, &encl, &anon,
					       PROT_READ | PROT_WRITE | PROT_EXEC, false),
			 -EACCES);
	/* unmeasured: sgx_execunmr, denied without a record (dontaudit) */
	assert_int_equal(
	    security_enclave_load(e.stack, &e.cred, &encl, &anon, PROT_READ | PROT_EXEC, false),
	    -EACCES);
	/* anonymous: sgx_execanon, allowed and audited (auditallow) */
	assert_int_equal(
	    security_enclave_load(e.stack, &e.cred, &encl, &anon, PROT_READ | PROT_EXEC, true), 0);
	expect_avc(&e, 2, denied_on_self(&e, "sgx_execdirty", "app_t", "process2", 0),
		   avc_line(&e, "granted", "sgx_execanon",
			    " scontext=u:r:app_t "
			    "tcontext=u:r:app_t tclass=process2"));
	env_fini(&e);
}

/* A file in the test directory with @xattr_ctx (NULL: none); its stat in *st. */
static int make_file(struct env *e, const char *name, const char *xattr_ctx, char *path,
		     size_t size, struct stat *st)
{
	int ret = 0;

	snprintf(path, size, "%s/%s", e->dir, name);
	sectest_write_file(path, "enclave code");
	if (xattr_ctx)
		ret = setxattr(path, "security.selinux", xattr_ctx, strlen(xattr_ctx) + 1, 0);
	assert_int_equal(stat(path, st), 0);
	return ret ? -errno : 0;
}

static void file_labels_come_from_xattr_then_file_contexts_then_initial_sid(void **state)
{
	struct env e;
	struct lsm_enclave encl = {.base = 0x10000000, .size = 0x10000, .id = 1};
	char fc[512], xpath[512], fpath[512], upath[512];
	char bpath[512], dev[64];
	struct stat xst, fst, ust, bst;
	struct lsm_source src = {.prot = PROT_READ | PROT_EXEC};
	int ret;

	(void)state;
	env_init(&e, "unit", "u:r:app_t");
	snprintf(fc, sizeof(fc), "%s/file_contexts", e.dir);
	{
		char text[PATH_MAX * 2];

		snprintf(text, sizeof(text),
			 ENCL_DEV "\t-c\tu:object_r:sgx_enclave_device_t\n"
				  "%s/labeled_by_fc\t--\tu:object_r:enclave_exec_t\n",
			 e.dir);
		sectest_write_file(fc, text);
	}
	env_start_ok(&e);
	ret = make_file(&e, "labeled_by_xattr", "u:object_r:enclave_exec_t", xpath, sizeof(xpath),
			&xst);
	if (ret == -ENOTSUP || ret == -EPERM) {
		env_fini(&e);
		print_message("SKIP: security.selinux xattrs cannot be set here (%s): the xattr "
			      "label source is not tested\n",
			      strerror(-ret));
		skip();
	}
	assert_int_equal(ret, 0);
	make_file(&e, "labeled_by_fc", NULL, fpath, sizeof(fpath), &fst);
	make_file(&e, "unlabeled_file", NULL, upath, sizeof(upath), &ust);
	assert_int_equal(
	    make_file(&e, "bad_xattr", "u:object_r:no_such_t", bpath, sizeof(bpath), &bst), 0);
	sectest_dev_name(xst.st_dev, dev, sizeof(dev));

	src.path = xpath, src.dev = xst.st_dev, src.ino = xst.st_ino;
	assert_int_equal(
	    security_enclave_load(e.stack, &e.cred, &encl, &src, PROT_READ | PROT_EXEC, true), 0);
	src.path = fpath, src.dev = fst.st_dev, src.ino = fst.st_ino;
	assert_int_equal(
	    security_enclave_load(e.stack, &e.cred, &encl, &src, PROT_READ | PROT_EXEC, true), 0);
	src.path = upath, src.dev = ust.st_dev, src.ino = ust.st_ino;
	assert_int_equal(
	    security_enclave_load(e.stack, &e.cred, &encl, &src, PROT_READ | PROT_EXEC, true),
	    -EACCES);
	src.path = bpath, src.dev = bst.st_dev, src.ino = bst.st_ino;
	assert_int_equal(
	    security_enclave_load(e.stack, &e.cred, &encl, &src, PROT_READ | PROT_EXEC, true),
	    -EACCES);
	expect_avc(&e, 2,
		   avc_line(&e, "denied", "sgx_execute",
			    " path=\"%s\" dev=\"%s\" ino=%lu "
			    "scontext=u:r:app_t tcontext=u:r:file_t tclass=file permissive=0",
			    upath, dev, (unsigned long)ust.st_ino),
		   avc_line(&e, "denied", "sgx_execute",
			    " path=\"%s\" dev=\"%s\" ino=%lu "
			    "scontext=u:r:app_t tcontext=u:r:unlabeled_t tclass=file permissive=0",
			    bpath, dev, (unsigned long)bst.st_ino));
	env_fini(&e);
}

/* A SIGSTRUCT whose MRSIGNER and MRENCLAVE the test knows (SHA-256 by OpenSSL directly). */
static void make_sigstruct(struct sgx_sigstruct *s, uint8_t fill, uint8_t mrenclave_byte,
			   uint8_t mrsigner[32])
{
	memset(s, 0, sizeof(*s));
	memset(s->modulus, fill, sizeof(s->modulus));
	memset(s->body.mrenclave, mrenclave_byte, sizeof(s->body.mrenclave));
	SHA256(s->modulus, sizeof(s->modulus), mrsigner);
}

static void enclave_labels_come_from_enclave_contexts_then_file_then_default(void **state)
{
	struct env e;
	struct lsm_enclave encl = {.base = 0x10000000, .size = 0x10000, .id = 1};
	struct sgx_attributes attrs = {.flags = SGX_ATTR_MODE64BIT, .xfrm = 3};
	struct sgx_sigstruct acme, both, stranger;
	uint8_t acme_signer[32], both_signer[32], stranger_signer[32];
	char text[1024], hex1[65], hex2[65], ec[512], fpath[512];
	struct stat st;
	struct lsm_source file_src = {.prot = PROT_READ};

	(void)state;
	env_init(&e, "unit", "u:r:app_t");
	make_sigstruct(&acme, 0x11, 0xa1, acme_signer);
	make_sigstruct(&both, 0x11, 0xb2, both_signer);
	make_sigstruct(&stranger, 0x33, 0xc3, stranger_signer);
	softsgx_hex(hex1, acme_signer, 32);
	memset(hex2, 'b', 64);
	for (int i = 0; i < 64; i += 2)
		hex2[i] = 'b', hex2[i + 1] = '2'; /* MRENCLAVE of `both`: 32 bytes of 0xb2 */
	hex2[64] = '\0';
	snprintf(text, sizeof(text),
		 "# acme's signer, and one acme enclave relabeled by measurement\n"
		 "mrsigner %s u:object_r:acme_enclave_t\n"
		 "mrenclave %s u:object_r:other_enclave_t\n",
		 hex1, hex2);
	snprintf(ec, sizeof(ec), "%s/enclave_contexts", e.dir);
	sectest_write_file(ec, text);
	snprintf(e.cfg.enclave_contexts, sizeof(e.cfg.enclave_contexts), "%s", ec);
	env_start_ok(&e);

	/* MRSIGNER match: acme_enclave_t, init allowed */
	assert_int_equal(security_enclave_init(e.stack, &e.cred, &encl, &acme, NULL, &attrs), 0);
	/* MRENCLAVE wins over the same MRSIGNER: other_enclave_t, denied */
	assert_int_equal(security_enclave_init(e.stack, &e.cred, &encl, &both, NULL, &attrs),
			 -EACCES);
	/* no match, anonymous SIGSTRUCT: the configured default */
	assert_int_equal(security_enclave_init(e.stack, &e.cred, &encl, &stranger, NULL, &attrs),
			 -EACCES);
	/* no match, SIGSTRUCT read from a file: that file's label (initial SID "file") */
	make_file(&e, "sigstruct.bin", NULL, fpath, sizeof(fpath), &st);
	file_src.path = fpath, file_src.dev = st.st_dev, file_src.ino = st.st_ino;
	assert_int_equal(
	    security_enclave_init(e.stack, &e.cred, &encl, &stranger, &file_src, &attrs), -EACCES);
	/* DEBUG: allowed by TE, refused by the constraint */
	attrs.flags |= SGX_ATTR_DEBUG;
	assert_int_equal(security_enclave_init(e.stack, &e.cred, &encl, &acme, NULL, &attrs),
			 -EACCES);
	expect_avc(&e, 4, denied_on_enclave(&e, "init", "u:object_r:other_enclave_t"),
		   denied_on_enclave(&e, "init", "u:object_r:unlabeled_enclave_t"),
		   denied_on_enclave(&e, "init", "u:r:file_t"),
		   denied_on_enclave(&e, "debug", "u:object_r:acme_enclave_t"));
	env_fini(&e);
}

static void enclave_map_checks_mapwx_and_execdirty(void **state)
{
	struct env e;
	struct lsm_enclave encl = {.base = 0x10000000, .size = 0x10000, .id = 1};

	(void)state;
	env_init(&e, "unit", "u:r:app_t");
	env_start_ok(&e);
	assert_int_equal(
	    security_enclave_map(e.stack, &e.cred, &encl, PROT_READ | PROT_EXEC, false), 0);
	assert_int_equal(
	    security_enclave_map(e.stack, &e.cred, &encl, PROT_READ | PROT_WRITE | PROT_EXEC, true),
	    -EACCES);
	assert_int_equal(security_enclave_map(e.stack, &e.cred, &encl, PROT_READ | PROT_EXEC, true),
			 -EACCES);
	expect_avc(&e, 2, denied_on_self(&e, "sgx_execdirty sgx_mapwx", "app_t", "process2", 0),
		   denied_on_self(&e, "sgx_execdirty", "app_t", "process2", 0));
	env_fini(&e);
}

/* --- modes --- */

static void permissive_mode_audits_and_allows(void **state)
{
	struct env e;

	(void)state;
	env_init(&e, "unit", "u:r:app_t");
	e.cfg.selinux_mode = SOFTSGX_SELINUX_PERMISSIVE;
	env_start_ok(&e);
	assert_int_equal(security_file_open(e.stack, &e.cred, &e.dev, O_RDWR), 0);
	/* the kernel audits a permissive denial once: the AVC now grants it */
	assert_int_equal(security_file_open(e.stack, &e.cred, &e.dev, O_RDWR), 0);
	expect_avc(&e, 1, denied_on_device(&e, "write", "u:object_r:sgx_enclave_device_t", 1));
	env_fini(&e);
}

static void permissive_domain_is_not_enforced_in_enforcing_mode(void **state)
{
	struct env e;
	struct lsm_enclave encl = {.base = 0x10000000, .size = 0x10000, .id = 1};
	struct lsm_cred app;

	(void)state;
	env_init(&e, "unit", "u:r:perm_t");
	env_start_ok(&e);
	app = e.cred;
	app.context = "u:r:app_t";
	assert_int_equal(security_enclave_map(e.stack, &e.cred, &encl,
					      PROT_READ | PROT_WRITE | PROT_EXEC, false),
			 0);
	assert_int_equal(
	    security_enclave_map(e.stack, &app, &encl, PROT_READ | PROT_WRITE | PROT_EXEC, false),
	    -EACCES);
	expect_avc(&e, 2, denied_on_self(&e, "sgx_mapwx", "perm_t", "process2", 1),
		   denied_on_self(&e, "sgx_mapwx", "app_t", "process2", 0));
	env_fini(&e);
}

/* --- handle_unknown --- */

static void unknown_classes_and_permissions_follow_handle_unknown(void **state)
{
	static const struct {
		const char *policy;
		int ret;
	} cases[] = {
	    {"unknown_deny", -EACCES},
	    {"unknown_allow", 0},
	};
	struct lsm_enclave encl = {.base = 0x10000000, .size = 0x10000, .id = 1};
	struct sgx_sigstruct s;
	struct sgx_attributes attrs = {.flags = SGX_ATTR_MODE64BIT, .xfrm = 3};
	uint8_t signer[32];

	(void)state;
	make_sigstruct(&s, 0x11, 0x22, signer);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct env e;

		env_init(&e, cases[i].policy, "u:r:app_t");
		e.cfg.default_enclave_context[0] = '\0'; /* the policy's "unlabeled" */
		env_start_ok(&e);
		/* chr_file lacks `map`; process2 and enclave are missing entirely */
		assert_int_equal(
		    security_mmap_file(e.stack, &e.cred, &e.dev, PROT_READ, MAP_SHARED),
		    cases[i].ret);
		assert_int_equal(security_enclave_map(e.stack, &e.cred, &encl,
						      PROT_READ | PROT_WRITE | PROT_EXEC, false),
				 cases[i].ret);
		assert_int_equal(security_enclave_init(e.stack, &e.cred, &encl, &s, NULL, &attrs),
				 cases[i].ret);
		/* what the policy does know is still decided by it */
		assert_int_equal(security_file_open(e.stack, &e.cred, &e.dev, O_RDWR), -EACCES);
		if (cases[i].ret)
			expect_avc(
			    &e, 4,
			    denied_on_device(&e, "map", "u:object_r:sgx_enclave_device_t", 0),
			    denied_on_self(&e, "sgx_mapwx", "app_t", "process2", 0),
			    denied_on_enclave(&e, "init", "u:r:unlabeled_t"),
			    denied_on_device(&e, "write", "u:object_r:sgx_enclave_device_t", 0));
		else
			expect_avc(
			    &e, 1,
			    denied_on_device(&e, "write", "u:object_r:sgx_enclave_device_t", 0));
		env_fini(&e);
	}
}

static void reject_unknown_policy_is_refused_at_start(void **state)
{
	struct env e;
	struct softsgx_err err = {0};

	(void)state;
	env_init(&e, "unknown_reject", "u:r:app_t");
	assert_int_equal(env_start(&e, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "lacks permission chr_file { map }"));
	assert_non_null(strstr(err.msg, "handle_unknown=reject"));
	env_fini(&e);
}

/* --- the AVC --- */

static void repeated_decisions_are_served_from_the_avc(void **state)
{
	struct env e;
	struct selinux *m;
	struct softsgx_err err = {0};
	struct sel_label subj, obj;
	struct avc_stats st;

	(void)state;
	env_init(&e, "unit", "u:r:app_t");
	assert_int_equal(sel_init(&m, NULL, &e.cfg, &err), 0);
	assert_int_equal(sel_process_label(m, &e.cred, &subj), 0);
	assert_int_equal(sel_device_label(m, &e.dev, &obj), 0);
	assert_string_equal(obj.context, "u:object_r:sgx_enclave_device_t");
	for (int i = 0; i < 100; i++)
		assert_int_equal(sel_has_perm(m, &e.cred, &subj, &obj, SEL_CHR_FILE,
					      CHR_FILE__OPEN | CHR_FILE__READ, NULL),
				 0);
	assert_int_equal(sel_has_perm(m, &e.cred, &subj, &obj, SEL_CHR_FILE, CHR_FILE__WRITE, NULL),
			 -EACCES);
	sel_avc_get_stats(m->avc, &st);
	assert_int_equal(st.lookups, 101);
	assert_int_equal(st.hits, 100); /* one miss computed by libsepol, then cached */
	assert_int_equal(st.entries, 1);
	sel_destroy(m);
	env_fini(&e);
}

struct thread_arg {
	struct env *e;
	int n;
};

static void *deny_loop(void *p)
{
	struct thread_arg *a = p;

	for (int i = 0; i < a->n; i++)
		if (security_file_open(a->e->stack, &a->e->cred, &a->e->dev, O_RDWR) != -EACCES)
			return p;
	return NULL;
}

static void concurrent_denials_are_each_audited_whole(void **state)
{
	enum { THREADS = 8, EACH = 200 };
	pthread_t t[THREADS];
	struct thread_arg arg;
	struct sectest_audit a;
	struct env e;
	const char *want;

	(void)state;
	env_init(&e, "unit", "u:r:app_t");
	env_start_ok(&e);
	arg.e = &e;
	arg.n = EACH;
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, deny_loop, &arg), 0);
	for (int i = 0; i < THREADS; i++) {
		void *ret;

		assert_int_equal(pthread_join(t[i], &ret), 0);
		assert_null(ret);
	}
	want = denied_on_device(&e, "write", "u:object_r:sgx_enclave_device_t", 0);
	sectest_audit_read(e.audit, &a);
	assert_int_equal(a.nr, THREADS * EACH);
	for (size_t i = 0; i < a.nr; i++)
		assert_string_equal(a.body[i], want);
	sectest_audit_free(&a);
	env_fini(&e);
}

/* --- malformed inputs --- */

static void malformed_policy_files_are_refused(void **state)
{
	static const struct {
		const char *name;
		const char *content; /* NULL: the file is missing */
		size_t truncate;     /* > 0: the unit policy cut to this many bytes */
		const char *msg;
	} cases[] = {
	    {"missing", NULL, 0, "No such file or directory"},
	    {"garbage", "this is not a policy", 0, "not a valid binary SELinux policy"},
	    {"truncated", "", 600, "not a valid binary SELinux policy"},
	    {"empty", "", 0, "not a valid binary SELinux policy"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct softsgx_err err = {0};
		struct env e;
		char path[512];

		env_init(&e, "unit", "u:r:app_t");
		snprintf(path, sizeof(path), "%s/%s.bin", e.dir, cases[i].name);
		if (cases[i].truncate) {
			size_t len;
			char *bin = sectest_read_file(e.cfg.policy, &len);
			FILE *f = fopen(path, "w");

			assert_non_null(bin);
			assert_true(len > cases[i].truncate);
			assert_int_equal(fwrite(bin, 1, cases[i].truncate, f), cases[i].truncate);
			fclose(f);
			free(bin);
		} else if (cases[i].content) {
			sectest_write_file(path, cases[i].content);
		}
		snprintf(e.cfg.policy, sizeof(e.cfg.policy), "%s", path);
		assert_int_not_equal(env_start(&e, &err), 0);
		print_message("refused: %s\n", err.msg);
		if (!strstr(err.msg, cases[i].msg) || !strstr(err.msg, path))
			fail_msg("%s: message \"%s\" lacks \"%s\" or the path", cases[i].name,
				 err.msg, cases[i].msg);
		env_fini(&e);
	}
}

static void malformed_enclave_contexts_are_refused_with_line(void **state)
{
	static const char *const h = "00112233445566778899aabbccddeeff"
				     "00112233445566778899aabbccddeeff";
	static const struct {
		const char *text, *msg;
	} cases[] = {
	    {"mrsignr %s u:r:a_t\n", "ec:1: unknown identity \"mrsignr\""},
	    {"\n# c\nmrsigner\n", "ec:3: mrsigner: missing the 64 hex digits"},
	    {"mrsigner 0011 u:r:a_t\n", "ec:1: mrsigner: \"0011\" has 4 characters"},
	    {"mrenclave %.62szz u:r:a_t\n", "is not hexadecimal"},
	    {"mrsigner %s\n", "ec:1: mrsigner 0011223344556677...: missing the security context"},
	    {"mrsigner %s u:r\n", "ec:1: \"u:r\" is not a security context"},
	    {"mrsigner %s u::t\n", "is not a security context"},
	    {"mrsigner %s u:r:a_t extra\n", "ec:1: unexpected \"extra\" after the context"},
	    {"mrsigner %1$s u:r:a_t\nmrsigner %1$s u:r:b_t\n",
	     "ec:2: MRSIGNER already mapped at line 1"},
	    {"mrsigner %s u:r:a_t\n", "ec:2: NUL byte at column 1"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct enclave_contexts *ec;
		struct softsgx_err err = {0};
		char text[512];
		int n = snprintf(text, sizeof(text), cases[i].text, h);
		size_t len = (size_t)n;

		/* the last case: a NUL byte then "x" on line 2, past what snprintf copied */
		if (i == sizeof(cases) / sizeof(cases[0]) - 1)
			len = (size_t)n + 2, text[n] = '\0', text[n + 1] = 'x';
		assert_int_equal(enclave_contexts_parse(&ec, text, len, "ec", &err), -EINVAL);
		print_message("refused: %s\n", err.msg);
		if (!strstr(err.msg, cases[i].msg))
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err.msg, cases[i].msg);
	}
}

static void enclave_contexts_with_unknown_types_are_refused_at_start(void **state)
{
	struct env e;
	struct softsgx_err err = {0};
	char ec[512];

	(void)state;
	env_init(&e, "unit", "u:r:app_t");
	snprintf(ec, sizeof(ec), "%s/enclave_contexts", e.dir);
	sectest_write_file(ec, "# ok\nmrsigner 00112233445566778899aabbccddeeff00112233445566778899"
			       "aabbccddeeff u:object_r:nobody_enclave_t\n");
	snprintf(e.cfg.enclave_contexts, sizeof(e.cfg.enclave_contexts), "%s", ec);
	assert_int_equal(env_start(&e, &err), -EINVAL);
	if (!strstr(err.msg, "enclave_contexts:2:") || !strstr(err.msg, "nobody_enclave_t"))
		fail_msg("message: %s", err.msg);
	env_fini(&e);
}

static void malformed_file_contexts_are_refused(void **state)
{
	static const struct {
		const char *text, *msg;
	} cases[] = {
	    {"/dev/sgx_enclave -c u:object_r:no_such_t\n", "no_such_t"},
	    {"/dev/sgx_enclave -q u:object_r:sgx_enclave_device_t\n", "file_contexts"},
	    {"/dev/(sgx_enclave -c u:object_r:sgx_enclave_device_t\n", "file_contexts"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct env e;
		struct softsgx_err err = {0};

		env_init(&e, "unit", "u:r:app_t");
		sectest_write_file(e.cfg.file_contexts, cases[i].text);
		assert_int_equal(env_start(&e, &err), -EINVAL);
		print_message("refused: %s\n", err.msg);
		if (!strstr(err.msg, cases[i].msg))
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err.msg, cases[i].msg);
		env_fini(&e);
	}
}

static void invalid_process_context_is_refused_or_fails_closed(void **state)
{
	struct env e;
	struct softsgx_err err = {0};
	struct sectest_audit a;

	(void)state;
	env_init(&e, "unit", "u:r:app_t");
	snprintf(e.cfg.context, sizeof(e.cfg.context), "u:r:nobody_t");
	assert_int_equal(env_start(&e, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "selinux.context"));
	assert_non_null(strstr(err.msg, "nobody_t"));
	/* a launcher-given context the policy does not know: the hook fails, the stack denies */
	e.cfg.context[0] = '\0';
	env_start_ok(&e);
	e.cred.context = "u:r:nobody_t";
	assert_int_equal(security_file_open(e.stack, &e.cred, &e.dev, O_RDONLY), -EACCES);
	sectest_audit_read(e.audit, &a);
	assert_int_equal(a.nr, 1);
	assert_string_not_equal(a.type[0], "AVC");
	sectest_audit_free(&a);
	env_fini(&e);
}

/* --- the shipped policy (policy/) --- */

static void shipped_policy_loads_with_its_contexts_and_confines_app_t(void **state)
{
	const char *build = getenv("SOFTSGX_BUILD_ROOT"), *src = getenv("SOFTSGX_SOURCE_ROOT");
	struct lsm_enclave encl = {.base = 0x10000000, .size = 0x10000, .id = 1};
	struct lsm_cred unconfined;
	struct env e;

	(void)state;
	assert_non_null(build);
	assert_non_null(src);
	env_init(&e, "unit", "u:r:app_t");
	snprintf(e.cfg.policy, sizeof(e.cfg.policy), "%s/policy/policy.bin", build);
	snprintf(e.cfg.file_contexts, sizeof(e.cfg.file_contexts), "%s/policy/file_contexts", src);
	snprintf(e.cfg.enclave_contexts, sizeof(e.cfg.enclave_contexts),
		 "%s/policy/enclave_contexts", src);
	env_start_ok(&e);
	unconfined = e.cred;
	unconfined.context = "u:r:unconfined_t";
	/* app_t: read-only device, no W+X; unconfined_t: everything */
	assert_int_equal(security_file_open(e.stack, &e.cred, &e.dev, O_RDONLY), 0);
	assert_int_equal(security_file_ioctl(e.stack, &e.cred, &e.dev, 0x4008a402), 0);
	/* SGX2's REMOVE_PAGES (0xa407) is the last ioctl the shipped allowx grants */
	assert_int_equal(security_file_ioctl(e.stack, &e.cred, &e.dev, 0xc018a407), 0);
	assert_int_equal(security_file_open(e.stack, &e.cred, &e.dev, O_RDWR), -EACCES);
	assert_int_equal(security_enclave_map(e.stack, &e.cred, &encl,
					      PROT_READ | PROT_WRITE | PROT_EXEC, false),
			 -EACCES);
	assert_int_equal(security_file_open(e.stack, &unconfined, &e.dev, O_RDWR), 0);
	assert_int_equal(security_enclave_map(e.stack, &unconfined, &encl,
					      PROT_READ | PROT_WRITE | PROT_EXEC, true),
			 0);
	expect_avc(&e, 2, denied_on_device(&e, "write", "u:object_r:sgx_enclave_device_t", 0),
		   denied_on_self(&e, "sgx_mapwx", "app_t", "process2", 0));
	env_fini(&e);
}

/* Two modules alive in one thread: labels memoized per thread never cross instances. */
static void two_module_instances_keep_their_own_labels(void **state)
{
	struct env a, b;

	(void)state;
	env_init(&a, "unit", "u:r:app_t");
	env_init(&b, "unit", "u:r:app_t");
	sectest_write_file(b.cfg.file_contexts, ENCL_DEV "\t-c\tu:object_r:file_t\n");
	env_start_ok(&a);
	env_start_ok(&b);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(security_file_open(a.stack, &a.cred, &a.dev, O_RDONLY), 0);
		assert_int_equal(security_file_open(b.stack, &b.cred, &b.dev, O_RDONLY), -EACCES);
	}
	expect_avc(&a, 0);
	expect_avc(&b, 3, denied_on_device(&b, "read open", "u:object_r:file_t", 0),
		   denied_on_device(&b, "read open", "u:object_r:file_t", 0),
		   denied_on_device(&b, "read open", "u:object_r:file_t", 0));
	env_fini(&b);
	env_fini(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(policy_decides_known_pairs),
	    cmocka_unit_test(policy_names_permissive_domains_and_initial_sids),
	    cmocka_unit_test(open_readonly_checks_open_read_and_no_write),
	    cmocka_unit_test(mmap_checks_map_read_write_execute),
	    cmocka_unit_test(anon_inode_exec_mapping_needs_execmem),
	    cmocka_unit_test(ioctl_follows_extended_permissions),
	    cmocka_unit_test(enclave_load_checks_in_order),
	    cmocka_unit_test(file_labels_come_from_xattr_then_file_contexts_then_initial_sid),
	    cmocka_unit_test(enclave_labels_come_from_enclave_contexts_then_file_then_default),
	    cmocka_unit_test(enclave_map_checks_mapwx_and_execdirty),
	    cmocka_unit_test(permissive_mode_audits_and_allows),
	    cmocka_unit_test(permissive_domain_is_not_enforced_in_enforcing_mode),
	    cmocka_unit_test(unknown_classes_and_permissions_follow_handle_unknown),
	    cmocka_unit_test(reject_unknown_policy_is_refused_at_start),
	    cmocka_unit_test(repeated_decisions_are_served_from_the_avc),
	    cmocka_unit_test(two_module_instances_keep_their_own_labels),
	    cmocka_unit_test(concurrent_denials_are_each_audited_whole),
	    cmocka_unit_test(malformed_policy_files_are_refused),
	    cmocka_unit_test(malformed_enclave_contexts_are_refused_with_line),
	    cmocka_unit_test(enclave_contexts_with_unknown_types_are_refused_at_start),
	    cmocka_unit_test(malformed_file_contexts_are_refused),
	    cmocka_unit_test(invalid_process_context_is_refused_or_fails_closed),
	    cmocka_unit_test(shipped_policy_loads_with_its_contexts_and_confines_app_t),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
