/* SPDX-License-Identifier: MIT */
/*
 * The hook framework with two test modules: stacking order, first denial wins and ends the
 * walk, each deciding denial audited by its module, fail closed (and audited) when a module
 * fails internally, upstream behaviour with no stack or no module, and stack creation
 * refusing unknown, repeated or failing modules.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "softsgx/config.h"
#include "softsgx/lsm.h"
#include "audit.h"
#include "module.h"
#include "sectest.h"

/* What each test module answers, and the order the framework asked them in. */
struct test_module {
	const char *name;
	int verdict;
	int init_rc;
	int destroyed;
	struct lsm_audit *audit;
};

static struct test_module mod_a = {.name = "A"}, mod_b = {.name = "B"};
static char calls[256];

static int record(void *priv, const char *hook)
{
	struct test_module *m = priv;

	snprintf(calls + strlen(calls), sizeof(calls) - strlen(calls), "%s%s:%s",
		 calls[0] ? " " : "", m->name, hook);
	if (m->verdict == -EACCES || m->verdict == -EPERM)
		lsm_audit_log(m->audit, "TEST", "module=%s denied %s", m->name, hook);
	return m->verdict;
}

static int t_init(void **priv, struct lsm_stack *stack, const struct softsgx_config *cfg,
		  struct softsgx_err *err, struct test_module *m)
{
	(void)cfg;
	if (m->init_rc)
		return softsgx_fail(err, m->init_rc, "cannot start");
	m->audit = lsm_stack_audit(stack);
	m->destroyed = 0;
	lsm_stack_warn(stack, "%s: started", m->name);
	*priv = m;
	return 0;
}

static int a_init(void **priv, struct lsm_stack *stack, const struct softsgx_config *cfg,
		  struct softsgx_err *err)
{
	return t_init(priv, stack, cfg, err, &mod_a);
}

static int b_init(void **priv, struct lsm_stack *stack, const struct softsgx_config *cfg,
		  struct softsgx_err *err)
{
	return t_init(priv, stack, cfg, err, &mod_b);
}

static void t_destroy(void *priv)
{
	((struct test_module *)priv)->destroyed++;
}

static int t_open(void *p, const struct lsm_cred *c, const struct lsm_file *f, int fl)
{
	(void)c, (void)f, (void)fl;
	return record(p, "file_open");
}

static int t_ioctl(void *p, const struct lsm_cred *c, const struct lsm_file *f, unsigned int cmd)
{
	(void)c, (void)f, (void)cmd;
	return record(p, "file_ioctl");
}

static int t_mmap(void *p, const struct lsm_cred *c, const struct lsm_file *f, int prot, int fl)
{
	(void)c, (void)f, (void)prot, (void)fl;
	return record(p, "mmap_file");
}

static int t_mprotect(void *p, const struct lsm_cred *c, const struct lsm_file *f, int prot)
{
	(void)c, (void)f, (void)prot;
	return record(p, "file_mprotect");
}

static int t_map(void *p, const struct lsm_cred *c, const struct lsm_enclave *e, int prot,
		 bool dirty)
{
	(void)c, (void)e, (void)prot, (void)dirty;
	return record(p, "enclave_map");
}

static int t_load(void *p, const struct lsm_cred *c, const struct lsm_enclave *e,
		  const struct lsm_source *s, int prot, bool measured)
{
	(void)c, (void)e, (void)s, (void)prot, (void)measured;
	return record(p, "enclave_load");
}

static int t_einit(void *p, const struct lsm_cred *c, const struct lsm_enclave *e,
		   const struct sgx_sigstruct *sig, const struct lsm_source *s,
		   const struct sgx_attributes *a)
{
	(void)c, (void)e, (void)sig, (void)s, (void)a;
	return record(p, "enclave_init");
}

static int t_provision(void *p, const struct lsm_cred *c, const struct lsm_enclave *e,
		       const struct lsm_file *f)
{
	(void)c, (void)e, (void)f;
	return record(p, "enclave_provision");
}

#define TEST_HOOKS                                                                                 \
	.destroy = t_destroy, .file_open = t_open, .file_ioctl = t_ioctl, .mmap_file = t_mmap,     \
	.file_mprotect = t_mprotect, .enclave_map = t_map, .enclave_load = t_load,                 \
	.enclave_init = t_einit, .enclave_provision = t_provision

static const struct lsm_module_ops ops_a = {.name = "A", .init = a_init, TEST_HOOKS};
static const struct lsm_module_ops ops_b = {.name = "B", .init = b_init, TEST_HOOKS};
/* A module with no hook function at all has no opinion on anything. */
static const struct lsm_module_ops ops_silent = {.name = "silent"};

/* The eight hooks, each called the way the driver calls it. */
static const struct lsm_cred cred = {.pid = 4242, .comm = "loader"};
static const struct lsm_file dev = {.device = LSM_DEV_ENCLAVE, .path = "/dev/sgx_enclave"};
static const struct lsm_enclave encl = {.base = 0x7f0000000000, .size = 0x200000, .id = 9};
static const struct lsm_source src = {.anonymous = true, .prot = 5};
static struct sgx_sigstruct sig;
static const struct sgx_attributes attr = {.flags = SGX_ATTR_INIT, .xfrm = 3};

static int call_hook(struct lsm_stack *s, int hook)
{
	switch (hook) {
	case 0:
		return security_file_open(s, &cred, &dev, 2);
	case 1:
		return security_file_ioctl(s, &cred, &dev, 0xc008a402);
	case 2:
		return security_mmap_file(s, &cred, &dev, 5, 1);
	case 3:
		return security_file_mprotect(s, &cred, &dev, 7);
	case 4:
		return security_enclave_map(s, &cred, &encl, 7, false);
	case 5:
		return security_enclave_load(s, &cred, &encl, &src, 5, true);
	case 6:
		return security_enclave_init(s, &cred, &encl, &sig, NULL, &attr);
	default:
		return security_enclave_provision(s, &cred, &encl, &dev);
	}
}

static const char *const hook_name[] = {"file_open",	 "file_ioctl",	     "mmap_file",
					"file_mprotect", "enclave_map",	     "enclave_load",
					"enclave_init",	 "enclave_provision"};
#define NR_HOOKS 8

struct fixture {
	char dir[256], audit[300];
	struct softsgx_config cfg;
	struct lsm_stack *stack;
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	sectest_tmpdir(fx->dir, sizeof(fx->dir));
	snprintf(fx->audit, sizeof(fx->audit), "%s/audit.log", fx->dir);
	softsgx_config_defaults(&fx->cfg);
	snprintf(fx->cfg.audit, sizeof(fx->cfg.audit), "%s", fx->audit);
	mod_a.verdict = mod_b.verdict = 0;
	mod_a.init_rc = mod_b.init_rc = 0;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	lsm_stack_destroy(fx->stack);
	sectest_rmtree(fx->dir);
	free(fx);
	return 0;
}

static void stack_of(struct fixture *fx, const struct lsm_module_ops *first,
		     const struct lsm_module_ops *second)
{
	const struct lsm_module_ops *ops[] = {first, second};
	struct softsgx_err err = {0};

	if (lsm_stack_create_ops(&fx->stack, ops, second ? 2 : 1, &fx->cfg, &err))
		fail_msg("lsm_stack_create_ops: %s", err.msg);
}

struct stack_case {
	int a, b;		/* verdicts of A and B */
	int rc;			/* what the hook returns */
	const char *calls;	/* "%s" = the hook's name */
	const char *audit_type; /* the one audit record expected, NULL for none */
	const char *audit;	/* its body, or the start of it; "%s" = the hook's name */
};

/* A is stacked first, B second. */
static const struct stack_case stack_cases[] = {
    {0, 0, 0, "A:%1$s B:%1$s", NULL, NULL},
    {-EACCES, 0, -EACCES, "A:%1$s", "TEST", "module=A denied %1$s"},
    {0, -EACCES, -EACCES, "A:%1$s B:%1$s", "TEST", "module=B denied %1$s"},
    {-EACCES, -EACCES, -EACCES, "A:%1$s", "TEST", "module=A denied %1$s"},
    {-EPERM, 0, -EPERM, "A:%1$s", "TEST", "module=A denied %1$s"},
    {-ENOMEM, 0, -EACCES, "A:%1$s", "SGX_HOOK",
     "softsgx:  denied  hook=%1$s module=A error=ENOMEM (Cannot allocate memory) for  "
     "pid=4242 comm=\"loader\" reason=\"the module failed to decide: denied (fail closed)\""},
    {0, -EIO, -EACCES, "A:%1$s B:%1$s", "SGX_HOOK",
     "softsgx:  denied  hook=%1$s module=B error=EIO (Input/output error) for  pid=4242 "
     "comm=\"loader\" reason=\"the module failed to decide: denied (fail closed)\""},
    {-ENOENT, -EACCES, -EACCES, "A:%1$s", "SGX_HOOK",
     "softsgx:  denied  hook=%1$s module=A error=ENOENT (No such file or directory) for  "
     "pid=4242 comm=\"loader\" reason=\"the module failed to decide: denied (fail closed)\""},
    /* Not even an errno: still a failure, still denied. */
    {1, 0, -EACCES, "A:%1$s", "SGX_HOOK",
     "softsgx:  denied  hook=%1$s module=A error=EINVAL (Invalid argument) for  pid=4242 "
     "comm=\"loader\" reason=\"the module failed to decide: denied (fail closed)\""},
};

static void check_audit(struct fixture *fx, const char *type, const char *body_fmt,
			const char *hook, const char *what)
{
	struct sectest_audit a;
	char want[512];

	sectest_audit_read(fx->audit, &a);
	if (!type) {
		if (a.nr)
			fail_msg("%s: unexpected audit record %s", what, a.body[0]);
	} else {
		snprintf(want, sizeof(want), body_fmt, hook);
		if (a.nr != 1)
			fail_msg("%s: %zu audit records, expected 1", what, a.nr);
		assert_string_equal(a.type[0], type);
		assert_string_equal(a.body[0], want);
	}
	sectest_audit_free(&a);
	assert_int_equal(truncate(fx->audit, 0), 0);
}

static void first_denial_wins_and_every_deciding_denial_is_audited(void **state)
{
	struct fixture *fx = *state;

	stack_of(fx, &ops_a, &ops_b);
	for (size_t i = 0; i < sizeof(stack_cases) / sizeof(stack_cases[0]); i++) {
		const struct stack_case *c = &stack_cases[i];

		for (int h = 0; h < NR_HOOKS; h++) {
			char want_calls[256], what[128];
			int rc;

			snprintf(what, sizeof(what), "case %zu (A=%d B=%d), %s", i, c->a, c->b,
				 hook_name[h]);
			mod_a.verdict = c->a;
			mod_b.verdict = c->b;
			calls[0] = '\0';
			rc = call_hook(fx->stack, h);
			if (rc != c->rc)
				fail_msg("%s: returned %d, expected %d", what, rc, c->rc);
			snprintf(want_calls, sizeof(want_calls), c->calls, hook_name[h]);
			assert_string_equal(calls, want_calls);
			check_audit(fx, c->audit_type, c->audit, hook_name[h], what);
		}
	}
}

static void stacking_order_is_the_configured_order(void **state)
{
	struct fixture *fx = *state;

	stack_of(fx, &ops_b, &ops_a);
	mod_a.verdict = mod_b.verdict = -EACCES;
	calls[0] = '\0';
	assert_int_equal(security_enclave_init(fx->stack, &cred, &encl, &sig, NULL, &attr),
			 -EACCES);
	assert_string_equal(calls, "B:enclave_init");
	check_audit(fx, "TEST", "module=B denied %s", "enclave_init", "B first");
	mod_b.verdict = 0;
	calls[0] = '\0';
	assert_int_equal(security_file_open(fx->stack, &cred, &dev, 0), -EACCES);
	assert_string_equal(calls, "B:file_open A:file_open");
	check_audit(fx, "TEST", "module=A denied %s", "file_open", "A second");
}

static void no_stack_allows_everything(void **state)
{
	(void)state;
	for (int h = 0; h < NR_HOOKS; h++)
		assert_int_equal(call_hook(NULL, h), 0);
}

static void stack_without_modules_allows_everything(void **state)
{
	struct fixture *fx = *state;
	struct softsgx_err err = {0};

	fx->cfg.nr_modules = 0;
	assert_int_equal(lsm_stack_create(&fx->stack, &fx->cfg, &err), 0);
	for (int h = 0; h < NR_HOOKS; h++)
		assert_int_equal(call_hook(fx->stack, h), 0);
	assert_null(lsm_stack_warnings(fx->stack));
	check_audit(fx, NULL, NULL, NULL, "no modules");
}

static void module_without_hooks_has_no_opinion(void **state)
{
	struct fixture *fx = *state;

	stack_of(fx, &ops_silent, &ops_a);
	mod_a.verdict = 0;
	for (int h = 0; h < NR_HOOKS; h++) {
		calls[0] = '\0';
		assert_int_equal(call_hook(fx->stack, h), 0);
		assert_string_equal(calls + 2, hook_name[h]);
	}
}

static void failing_module_init_refuses_the_stack(void **state)
{
	struct fixture *fx = *state;
	const struct lsm_module_ops *ops[] = {&ops_a, &ops_b};
	struct softsgx_err err = {0};

	mod_b.init_rc = -EBADMSG;
	assert_int_equal(lsm_stack_create_ops(&fx->stack, ops, 2, &fx->cfg, &err), -EBADMSG);
	assert_null(fx->stack);
	assert_string_equal(err.msg, "security module B: cannot start");
	/* A was built before B failed: it is torn down again. */
	assert_int_equal(mod_a.destroyed, 1);
}

static void warnings_of_every_module_are_kept_in_order(void **state)
{
	struct fixture *fx = *state;

	stack_of(fx, &ops_b, &ops_a);
	assert_string_equal(lsm_stack_warnings(fx->stack), "B: started\nA: started\n");
}

struct create_case {
	const char *modules[3];
	int nr;
	int rc;
	const char *msg;
};

static const struct create_case create_cases[] = {
    {{"nosuch"}, 1, -ENOENT, "security: module \"nosuch\" is not part of this build"},
    {{"launch", "launch"}, 2, -EINVAL, "security: module \"launch\" is listed twice"},
    {{"launch"}, 5, -EINVAL, "security: 5 modules configured, at most 4"},
};

static void stack_refuses_unknown_and_repeated_modules(void **state)
{
	struct fixture *fx = *state;

	for (size_t i = 0; i < sizeof(create_cases) / sizeof(create_cases[0]); i++) {
		struct softsgx_err err = {0};
		const struct create_case *c = &create_cases[i];

		fx->cfg.nr_modules = c->nr;
		for (int m = 0; m < 3 && c->modules[m]; m++)
			strcpy(fx->cfg.modules[m], c->modules[m]);
		assert_int_equal(lsm_stack_create(&fx->stack, &fx->cfg, &err), c->rc);
		assert_null(fx->stack);
		assert_string_equal(err.msg, c->msg);
	}
}

static void unwritable_audit_destination_refuses_the_stack(void **state)
{
	struct fixture *fx = *state;
	struct softsgx_err err = {0};
	char want[PATH_MAX + 100];

	snprintf(fx->cfg.audit, sizeof(fx->cfg.audit), "%s/no/such/dir/audit.log", fx->dir);
	assert_int_equal(lsm_stack_create(&fx->stack, &fx->cfg, &err), -ENOENT);
	assert_null(fx->stack);
	snprintf(want, sizeof(want),
		 "audit: cannot open %s for appending: No such file or directory", fx->cfg.audit);
	assert_string_equal(err.msg, want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(first_denial_wins_and_every_deciding_denial_is_audited,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(stacking_order_is_the_configured_order, setup,
					    teardown),
	    cmocka_unit_test(no_stack_allows_everything),
	    cmocka_unit_test_setup_teardown(stack_without_modules_allows_everything, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(module_without_hooks_has_no_opinion, setup, teardown),
	    cmocka_unit_test_setup_teardown(failing_module_init_refuses_the_stack, setup, teardown),
	    cmocka_unit_test_setup_teardown(warnings_of_every_module_are_kept_in_order, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(stack_refuses_unknown_and_repeated_modules, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(unwritable_audit_destination_refuses_the_stack, setup,
					    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
