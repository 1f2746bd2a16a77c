/* SPDX-License-Identifier: MIT */
/*
 * The launch-list module at the hook level: scenario 22 of the LSM spec, isvprodid,
 * allow-debug, allow-provision, mrenclave rules, fail closed on an empty or absent list, and
 * malformed lists refused with FILE:LINE.  Enclave identities come from the rust-sgx vectors,
 * and the expected MRSIGNER/MRENCLAVE values from their README (an independent source).
 */
#include <errno.h>
#include <pthread.h>
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
#include "launch/launchlist.h"
#include "sectest.h"

/* From ../shared/vectors/rust-sgx/README.md. */
#define TEST_MRSIGNER  "fb4bab3d6036ac1d730fa83d7366df1dd2dfeac194ef335d6854d8a6c6475542"
#define TEST_MRENCLAVE "784acfd7d5096a8f0fbd3265760bff21b120f62407a9a9e5ba31aa3c8ed198fc"
#define TEST_ISVPRODID 65535
/* The Intel SDK sample key's MRSIGNER, which sig1.sigstruct.bin carries (README: 83d719e7...). */
#define SIG1_MRSIGNER "83d719e77deaca1470f6baf62a4d774303c899db69020f9c70ee1dfc08c7ce9e"

struct fixture {
	char dir[256], list[300], audit[300];
	struct lsm_stack *stack;
	struct lsm_cred cred;
	struct sgx_sigstruct test_sig, sig1;
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	sectest_tmpdir(fx->dir, sizeof(fx->dir));
	snprintf(fx->list, sizeof(fx->list), "%s/launch.list", fx->dir);
	snprintf(fx->audit, sizeof(fx->audit), "%s/audit.log", fx->dir);
	fx->cred.pid = getpid();
	snprintf(fx->cred.comm, sizeof(fx->cred.comm), "test_launch");
	sectest_read_vector("test_enclave.sig", &fx->test_sig, sizeof(fx->test_sig));
	sectest_read_vector("sig1.sigstruct.bin", &fx->sig1, sizeof(fx->sig1));
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

/* A stack of the launch module over @list_text (NULL: no launch.list key at all). */
static void make_stack(struct fixture *fx, const char *list_text)
{
	struct softsgx_config cfg;
	struct softsgx_err err = {0};

	softsgx_config_defaults(&cfg);
	cfg.nr_modules = 1;
	strcpy(cfg.modules[0], "launch");
	snprintf(cfg.audit, sizeof(cfg.audit), "%s", fx->audit);
	if (list_text) {
		sectest_write_file(fx->list, list_text);
		snprintf(cfg.launch_list, sizeof(cfg.launch_list), "%s", fx->list);
	}
	lsm_stack_destroy(fx->stack);
	fx->stack = NULL;
	if (lsm_stack_create(&fx->stack, &cfg, &err))
		fail_msg("lsm_stack_create: %s", err.msg);
}

static int init_enclave(struct fixture *fx, const struct sgx_sigstruct *sig, uint16_t isvsvn,
			uint64_t attr_flags)
{
	struct sgx_sigstruct s = *sig;
	struct sgx_attributes attr = {.flags = SGX_ATTR_INIT | SGX_ATTR_MODE64BIT | attr_flags,
				      .xfrm = 3};
	struct lsm_enclave encl = {.base = 0x100000, .size = 0x100000, .id = 1};

	s.body.isv_svn = isvsvn;
	return security_enclave_init(fx->stack, &fx->cred, &encl, &s, NULL, &attr);
}

static void expect_no_audit(struct fixture *fx)
{
	struct sectest_audit a;

	sectest_audit_read(fx->audit, &a);
	assert_int_equal(a.nr, 0);
	sectest_audit_free(&a);
}

/* Exactly one SGX_LAUNCH record, for the test enclave with @isvsvn, giving @reason. */
static void expect_one_denial(struct fixture *fx, const char *mrenclave, const char *mrsigner,
			      unsigned isvprodid, unsigned isvsvn, int debug, int provision,
			      const char *reason)
{
	struct sectest_audit a;
	char want[1024];

	snprintf(want, sizeof(want),
		 "launch:  denied  { init } for  pid=%d comm=\"test_launch\" mrenclave=%s "
		 "mrsigner=%s isvprodid=%u isvsvn=%u debug=%d provision=%d reason=\"%s\"",
		 (int)getpid(), mrenclave, mrsigner, isvprodid, isvsvn, debug, provision, reason);
	sectest_audit_read(fx->audit, &a);
	assert_int_equal(a.nr, 1);
	assert_string_equal(a.type[0], "SGX_LAUNCH");
	assert_string_equal(a.body[0], want);
	sectest_audit_free(&a);
	assert_int_equal(truncate(fx->audit, 0), 0);
}

/* Scenario 22: listed MRSIGNER with min-isvsvn 2; ISVSVN 1 denied, 2 allowed. */
static void listed_signer_below_min_isvsvn_is_denied(void **state)
{
	struct fixture *fx = *state;

	make_stack(fx, "mrsigner " TEST_MRSIGNER " min-isvsvn 2\n");
	assert_int_equal(init_enclave(fx, &fx->test_sig, 1, 0), -EACCES);
	expect_one_denial(fx, TEST_MRENCLAVE, TEST_MRSIGNER, TEST_ISVPRODID, 1, 0, 0,
			  "ISVSVN 1 is below min-isvsvn 2 of the rule on line 1");
	assert_int_equal(init_enclave(fx, &fx->test_sig, 2, 0), 0);
	assert_int_equal(init_enclave(fx, &fx->test_sig, 3, 0), 0);
	expect_no_audit(fx);
	assert_null(lsm_stack_warnings(fx->stack));
}

static void unlisted_signer_is_denied(void **state)
{
	struct fixture *fx = *state;
	char mrenclave[65];

	make_stack(fx, "mrsigner " TEST_MRSIGNER " min-isvsvn 2\n");
	assert_int_equal(init_enclave(fx, &fx->sig1, 5, 0), -EACCES);
	softsgx_hex(mrenclave, fx->sig1.body.mrenclave, 32);
	expect_one_denial(fx, mrenclave, SIG1_MRSIGNER, fx->sig1.body.isv_prod_id, 5, 0, 0,
			  "no rule names this MRENCLAVE or MRSIGNER");
}

static void empty_list_denies_everything_and_warns(void **state)
{
	struct fixture *fx = *state;

	make_stack(fx, "# nobody may launch\n\n");
	assert_non_null(lsm_stack_warnings(fx->stack));
	assert_non_null(
	    strstr(lsm_stack_warnings(fx->stack), "has no rule: every enclave is denied"));
	assert_int_equal(init_enclave(fx, &fx->test_sig, 2, 0), -EACCES);
	expect_one_denial(fx, TEST_MRENCLAVE, TEST_MRSIGNER, TEST_ISVPRODID, 2, 0, 0,
			  "the launch list is empty: every enclave is denied");
	assert_int_equal(init_enclave(fx, &fx->sig1, 0, 0), -EACCES);
}

static void unconfigured_list_denies_everything_and_warns(void **state)
{
	struct fixture *fx = *state;

	make_stack(fx, NULL);
	assert_non_null(lsm_stack_warnings(fx->stack));
	assert_non_null(
	    strstr(lsm_stack_warnings(fx->stack),
		   "no launch list is configured (launch.list): every enclave is denied"));
	assert_int_equal(init_enclave(fx, &fx->test_sig, 2, 0), -EACCES);
}

static void missing_list_file_denies_everything_and_warns(void **state)
{
	struct fixture *fx = *state;
	struct softsgx_config cfg;
	struct softsgx_err err = {0};

	softsgx_config_defaults(&cfg);
	cfg.nr_modules = 1;
	strcpy(cfg.modules[0], "launch");
	snprintf(cfg.audit, sizeof(cfg.audit), "%s", fx->audit);
	snprintf(cfg.launch_list, sizeof(cfg.launch_list), "%s/absent.list", fx->dir);
	assert_int_equal(lsm_stack_create(&fx->stack, &cfg, &err), 0);
	assert_non_null(strstr(lsm_stack_warnings(fx->stack), "absent.list does not exist"));
	assert_int_equal(init_enclave(fx, &fx->test_sig, 2, 0), -EACCES);
}

struct rule_case {
	const char *name;
	const char *list;
	int sig1; /* use sig1.sigstruct.bin instead of test_enclave.sig */
	uint16_t isvsvn;
	uint64_t attr;
	int rc;
	const char *reason; /* of the denial */
};

static const struct rule_case rule_cases[] = {
    {"isvprodid matches", "mrsigner " TEST_MRSIGNER " isvprodid 65535\n", 0, 0, 0, 0, NULL},
    {"isvprodid differs", "mrsigner " TEST_MRSIGNER " isvprodid 7\n", 0, 0, 0, -EACCES,
     "ISVPRODID 65535 is not isvprodid 7 of the rule on line 1"},
    {"debug without allow-debug", "mrsigner " TEST_MRSIGNER "\n", 0, 0, SGX_ATTR_DEBUG, -EACCES,
     "a DEBUG enclave, and the rule on line 1 has no allow-debug"},
    {"debug with allow-debug", "mrsigner " TEST_MRSIGNER " allow-debug\n", 0, 0, SGX_ATTR_DEBUG, 0,
     NULL},
    {"provision without allow-provision", "mrsigner " TEST_MRSIGNER " allow-debug\n", 0, 0,
     SGX_ATTR_PROVISIONKEY, -EACCES,
     "asks for the PROVISIONKEY, and the rule on line 1 has no allow-provision"},
    {"provision with allow-provision", "mrsigner " TEST_MRSIGNER " allow-provision\n", 0, 0,
     SGX_ATTR_PROVISIONKEY, 0, NULL},
    {"mrenclave rule", "mrenclave " TEST_MRENCLAVE "\n", 0, 0, 0, 0, NULL},
    {"mrenclave rule in upper case",
     "mrenclave 784ACFD7D5096A8F0FBD3265760BFF21B120F62407A9A9E5BA31AA3C8ED198FC\n", 0, 0, 0, 0,
     NULL},
    {"mrenclave rule names another enclave", "mrenclave " TEST_MRENCLAVE "\n", 1, 0, 0, -EACCES,
     "no rule names this MRENCLAVE or MRSIGNER"},
    {"mrsigner is not an mrenclave", "mrenclave " TEST_MRSIGNER "\n", 0, 0, 0, -EACCES,
     "no rule names this MRENCLAVE or MRSIGNER"},
    {"second rule admits",
     "mrsigner " TEST_MRSIGNER " min-isvsvn 9\n# older builds\n"
     "mrenclave " TEST_MRENCLAVE " # this exact build\n",
     0, 3, 0, 0, NULL},
    {"first refusal is reported",
     "mrsigner " TEST_MRSIGNER " min-isvsvn 9\n"
     "mrenclave " TEST_MRENCLAVE " isvprodid 1\n",
     0, 3, 0, -EACCES, "ISVSVN 3 is below min-isvsvn 9 of the rule on line 1"},
    {"all options together",
     "  mrsigner\t" TEST_MRSIGNER " isvprodid 65535 min-isvsvn 4 "
     "allow-debug allow-provision  \r\n",
     0, 4, SGX_ATTR_DEBUG | SGX_ATTR_PROVISIONKEY, 0, NULL},
    {"second signer listed", "mrsigner " TEST_MRSIGNER "\nmrsigner " SIG1_MRSIGNER "\n", 1, 0, 0, 0,
     NULL},
};

static void rules_decide_as_specified(void **state)
{
	struct fixture *fx = *state;

	for (size_t i = 0; i < sizeof(rule_cases) / sizeof(rule_cases[0]); i++) {
		const struct rule_case *c = &rule_cases[i];
		const struct sgx_sigstruct *sig = c->sig1 ? &fx->sig1 : &fx->test_sig;
		char mrenclave[65];
		int rc;

		make_stack(fx, c->list);
		rc = init_enclave(fx, sig, c->isvsvn, c->attr);
		if (rc != c->rc)
			fail_msg("%s: enclave_init returned %d, expected %d", c->name, rc, c->rc);
		if (!c->reason) {
			expect_no_audit(fx);
			continue;
		}
		softsgx_hex(mrenclave, sig->body.mrenclave, 32);
		expect_one_denial(fx, mrenclave, c->sig1 ? SIG1_MRSIGNER : TEST_MRSIGNER,
				  sig->body.isv_prod_id, c->isvsvn, !!(c->attr & SGX_ATTR_DEBUG),
				  !!(c->attr & SGX_ATTR_PROVISIONKEY), c->reason);
	}
}

/* Only enclave_init is the launch list's business: the other hooks allow. */
static void other_hooks_are_not_gated(void **state)
{
	struct fixture *fx = *state;
	struct lsm_file dev = {.device = LSM_DEV_ENCLAVE, .path = "/dev/sgx_enclave"};
	struct lsm_enclave encl = {.id = 1};
	struct lsm_source src = {.anonymous = true, .prot = 5};

	make_stack(fx, "");
	assert_int_equal(security_file_open(fx->stack, &fx->cred, &dev, 2), 0);
	assert_int_equal(security_file_ioctl(fx->stack, &fx->cred, &dev, 0xc008a402), 0);
	assert_int_equal(security_mmap_file(fx->stack, &fx->cred, &dev, 7, 1), 0);
	assert_int_equal(security_file_mprotect(fx->stack, &fx->cred, &dev, 7), 0);
	assert_int_equal(security_enclave_map(fx->stack, &fx->cred, &encl, 7, true), 0);
	assert_int_equal(security_enclave_load(fx->stack, &fx->cred, &encl, &src, 7, false), 0);
	assert_int_equal(security_enclave_provision(fx->stack, &fx->cred, &encl, &dev), 0);
	expect_no_audit(fx);
}

/* Without a SIGSTRUCT there is no identity: fail closed, and the framework says why. */
static void init_without_sigstruct_fails_closed(void **state)
{
	struct fixture *fx = *state;
	struct sgx_attributes attr = {.flags = SGX_ATTR_INIT, .xfrm = 3};
	struct lsm_enclave encl = {.id = 1};
	struct sectest_audit a;

	make_stack(fx, "mrsigner " TEST_MRSIGNER "\n");
	assert_int_equal(security_enclave_init(fx->stack, &fx->cred, &encl, NULL, NULL, &attr),
			 -EACCES);
	sectest_audit_read(fx->audit, &a);
	assert_int_equal(a.nr, 1);
	assert_string_equal(a.type[0], "SGX_HOOK");
	assert_non_null(strstr(a.body[0], "hook=enclave_init module=launch error=EINVAL"));
	sectest_audit_free(&a);
}

struct bad_list {
	const char *text;
	const char *msg; /* after "FILE:" */
};

static const struct bad_list bad_lists[] = {
    {"mrsigner\n", "1: mrsigner needs 64 hex digits"},
    {"mrsigner abc\n", "1: mrsigner: \"abc\" is not 64 hex digits"},
    {"\n\nmrsigner " TEST_MRSIGNER "x\n",
     "3: mrsigner: \"" TEST_MRSIGNER "x\" is not 64 hex digits"},
    {"mrsigner 0g4bab3d6036ac1d730fa83d7366df1dd2dfeac194ef335d6854d8a6c6475542\n",
     "1: mrsigner: \"0g4bab3d6036ac1d730fa83d7366df1dd2dfeac194ef335d6854d8a6c6475542\" is not 64 "
     "hex digits"},
    {"signer " TEST_MRSIGNER "\n", "1: a rule starts with mrsigner or mrenclave, not \"signer\""},
    {"mrsigner " TEST_MRSIGNER " min-isvsvn\n", "1: min-isvsvn needs a number"},
    {"mrsigner " TEST_MRSIGNER " min-isvsvn -1\n", "1: min-isvsvn: \"-1\" is not a decimal number"},
    {"mrsigner " TEST_MRSIGNER " min-isvsvn 65536\n", "1: min-isvsvn: 65536 is above 65535"},
    {"mrsigner " TEST_MRSIGNER " isvprodid 0x10\n",
     "1: isvprodid: \"0x10\" is not a decimal number"},
    {"mrsigner " TEST_MRSIGNER " isvprodid 1 isvprodid 2\n", "1: isvprodid given twice"},
    {"mrsigner " TEST_MRSIGNER " allow-debug allow-debug\n", "1: allow-debug given twice"},
    {"mrsigner " TEST_MRSIGNER " allow-everything\n",
     "1: unknown option \"allow-everything\" (isvprodid N, min-isvsvn N, allow-debug, "
     "allow-provision)"},
    {"# ok\nmrsigner " TEST_MRSIGNER " allow-d\xc3\xa9"
     "bug\n",
     "2: a control or non-ASCII byte (0xc3) at column 82"},
};

static void malformed_lists_are_refused_with_file_and_line(void **state)
{
	struct fixture *fx = *state;

	for (size_t i = 0; i < sizeof(bad_lists) / sizeof(bad_lists[0]); i++) {
		struct launch_list list;
		struct softsgx_err err = {0};
		char want[600];

		sectest_write_file(fx->list, bad_lists[i].text);
		snprintf(want, sizeof(want), "%s:%s", fx->list, bad_lists[i].msg);
		assert_int_equal(launch_list_load(&list, fx->list, &err), -EINVAL);
		assert_string_equal(err.msg, want);
		assert_null(list.rules);
	}
}

/* A malformed list stops the stack from being built: nothing runs half-configured. */
static void malformed_list_refuses_the_stack(void **state)
{
	struct fixture *fx = *state;
	struct softsgx_config cfg;
	struct softsgx_err err = {0};
	char want[600];

	softsgx_config_defaults(&cfg);
	cfg.nr_modules = 1;
	strcpy(cfg.modules[0], "launch");
	snprintf(cfg.audit, sizeof(cfg.audit), "%s", fx->audit);
	snprintf(cfg.launch_list, sizeof(cfg.launch_list), "%s", fx->list);
	sectest_write_file(fx->list, "mrsigner " TEST_MRSIGNER "\nmrenclave 12\n");
	assert_int_equal(lsm_stack_create(&fx->stack, &cfg, &err), -EINVAL);
	assert_null(fx->stack);
	snprintf(want, sizeof(want),
		 "security module launch: %s:2: mrenclave: \"12\" is not 64 hex digits", fx->list);
	assert_string_equal(err.msg, want);
}

static void in_memory_parse_counts_lines_without_trailing_newline(void **state)
{
	struct launch_list list;
	struct softsgx_err err = {0};
	const char text[] = "# a\nmrsigner " TEST_MRSIGNER "\n\nmrenclave " TEST_MRENCLAVE
			    " isvprodid 3 min-isvsvn 1";

	(void)state;
	assert_int_equal(launch_list_parse(&list, text, strlen(text), "mem", &err), 0);
	assert_int_equal(list.nr_rules, 2);
	assert_int_equal(list.rules[0].match, LAUNCH_MRSIGNER);
	assert_int_equal(list.rules[0].line, 2);
	assert_int_equal(list.rules[1].match, LAUNCH_MRENCLAVE);
	assert_int_equal(list.rules[1].line, 4);
	assert_true(list.rules[1].has_isvprodid && list.rules[1].isvprodid == 3);
	assert_true(list.rules[1].has_min_isvsvn && list.rules[1].min_isvsvn == 1);
	assert_false(list.rules[1].allow_debug || list.rules[1].allow_provision);
	launch_list_free(&list);
	/* A NUL inside the text is refused, not taken as its end. */
	assert_int_equal(launch_list_parse(&list, "mrsigner\0x\n", 11, "mem", &err), -EINVAL);
	assert_string_equal(err.msg, "mem:1: a NUL byte in the line");
}

#define INIT_THREADS 8
#define INITS_EACH   400

struct init_thread {
	struct fixture *fx;
	int denied;
};

/* Every other call is an enclave below min-isvsvn: half the calls are denied. */
static void *init_many(void *arg)
{
	struct init_thread *t = arg;
	struct lsm_enclave encl = {.id = 1};
	struct sgx_attributes attr = {.flags = SGX_ATTR_INIT, .xfrm = 3};
	struct sgx_sigstruct s = t->fx->test_sig;

	for (int i = 0; i < INITS_EACH; i++) {
		int rc;

		s.body.isv_svn = (uint16_t)(i % 2 ? 1 : 2);
		rc = security_enclave_init(t->fx->stack, &t->fx->cred, &encl, &s, NULL, &attr);
		if (rc != (i % 2 ? -EACCES : 0))
			return (void *)1;
		t->denied += rc != 0;
	}
	return NULL;
}

/* Hooks run concurrently on one stack: every decision right, every denial audited once. */
static void concurrent_inits_are_decided_and_audited_each(void **state)
{
	struct fixture *fx = *state;
	struct init_thread t[INIT_THREADS];
	pthread_t th[INIT_THREADS];
	struct sectest_audit a;
	int denied = 0;

	make_stack(fx, "mrsigner " TEST_MRSIGNER " min-isvsvn 2\n");
	for (int i = 0; i < INIT_THREADS; i++) {
		t[i] = (struct init_thread){.fx = fx};
		assert_int_equal(pthread_create(&th[i], NULL, init_many, &t[i]), 0);
	}
	for (int i = 0; i < INIT_THREADS; i++) {
		void *rc;

		assert_int_equal(pthread_join(th[i], &rc), 0);
		assert_null(rc);
		denied += t[i].denied;
	}
	assert_int_equal(denied, INIT_THREADS * INITS_EACH / 2);
	sectest_audit_read(fx->audit, &a);
	assert_int_equal(a.nr, (size_t)denied);
	for (size_t i = 0; i < a.nr; i++) {
		assert_string_equal(a.type[i], "SGX_LAUNCH");
		assert_non_null(strstr(a.body[i], " isvsvn=1 debug=0 provision=0 reason=\"ISVSVN 1 "
						  "is below min-isvsvn 2 of the rule on line 1\""));
	}
	sectest_audit_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(listed_signer_below_min_isvsvn_is_denied, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(unlisted_signer_is_denied, setup, teardown),
	    cmocka_unit_test_setup_teardown(empty_list_denies_everything_and_warns, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(unconfigured_list_denies_everything_and_warns, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(missing_list_file_denies_everything_and_warns, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(rules_decide_as_specified, setup, teardown),
	    cmocka_unit_test_setup_teardown(other_hooks_are_not_gated, setup, teardown),
	    cmocka_unit_test_setup_teardown(init_without_sigstruct_fails_closed, setup, teardown),
	    cmocka_unit_test_setup_teardown(malformed_lists_are_refused_with_file_and_line, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(malformed_list_refuses_the_stack, setup, teardown),
	    cmocka_unit_test(in_memory_parse_counts_lines_without_trailing_newline),
	    cmocka_unit_test_setup_teardown(concurrent_inits_are_decided_and_audited_each, setup,
					    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
