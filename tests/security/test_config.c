/* SPDX-License-Identifier: MIT */
/*
 * The configuration parser: the defaults, every key and value, every refusal with its line,
 * a refused file leaving the configuration untouched, relative paths, and the annotated
 * example of docs/ parsing to what its comments say.
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
#include "sectest.h"

static int parse(struct softsgx_config *cfg, const char *text, struct softsgx_err *err)
{
	return softsgx_config_parse(cfg, text, strlen(text), "t.conf", err);
}

static void defaults_are_upstream_behaviour(void **state)
{
	struct softsgx_config cfg;

	(void)state;
	memset(&cfg, 0xA5, sizeof(cfg));
	softsgx_config_defaults(&cfg);
	assert_int_equal(cfg.nr_modules, 0);
	assert_int_equal(cfg.inode, SOFTSGX_INODE_CHARDEV);
	assert_int_equal(cfg.page_prot, SOFTSGX_PAGE_PROT_SECINFO);
	assert_int_equal(cfg.selinux_mode, SOFTSGX_SELINUX_ENFORCING);
	assert_string_equal(cfg.audit, "stderr");
	assert_int_equal(cfg.epc_size, 128ull << 20);
	assert_true(cfg.sgx2);
	assert_string_equal(cfg.policy, "");
	assert_string_equal(cfg.launch_list, "");
	assert_string_equal(cfg.context, "");
}

static void state_dir_follows_the_user(void **state)
{
	struct softsgx_config cfg;
	char *home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
	char *xdg = getenv("XDG_STATE_HOME") ? strdup(getenv("XDG_STATE_HOME")) : NULL;

	(void)state;
	setenv("XDG_STATE_HOME", "/xdg/state", 1);
	setenv("HOME", "/home/someone", 1);
	softsgx_config_defaults(&cfg);
	if (geteuid() == 0) {
		assert_string_equal(cfg.state_dir, "/var/lib/softsgx");
	} else {
		assert_string_equal(cfg.state_dir, "/xdg/state/softsgx");
		unsetenv("XDG_STATE_HOME");
		softsgx_config_defaults(&cfg);
		assert_string_equal(cfg.state_dir, "/home/someone/.local/state/softsgx");
	}
	if (xdg)
		setenv("XDG_STATE_HOME", xdg, 1);
	else
		unsetenv("XDG_STATE_HOME");
	if (home)
		setenv("HOME", home, 1);
	free(home);
	free(xdg);
}

static const char every_key[] =
    "# every key once\n"
    "modules = launch, selinux\n"
    "inode = anon\n"
    "page_prot = source\n"
    "\n"
    "selinux.mode = permissive\n"
    "selinux.policy = /etc/softsgx/policy.bin\n"
    "selinux.file_contexts = /etc/softsgx/file_contexts\n"
    "selinux.enclave_contexts = /etc/softsgx/enclave_contexts\n"
    "selinux.context = system_u:system_r:app_t:s0\n"
    "selinux.default_enclave_context = system_u:object_r:unlabeled_enclave_t:s0\n"
    "   launch.list\t=\t/etc/softsgx/launch.list   \n"
    "audit = /var/log/softsgx/audit.log\r\n"
    "platform.epc_size = 256M\n"
    "platform.sgx2 = no\n"
    "platform.state_dir = /srv/softsgx";

static void every_key_is_parsed(void **state)
{
	struct softsgx_config cfg;
	struct softsgx_err err = {0};

	(void)state;
	softsgx_config_defaults(&cfg);
	if (parse(&cfg, every_key, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(cfg.nr_modules, 2);
	assert_string_equal(cfg.modules[0], "launch");
	assert_string_equal(cfg.modules[1], "selinux");
	assert_int_equal(cfg.inode, SOFTSGX_INODE_ANON);
	assert_int_equal(cfg.page_prot, SOFTSGX_PAGE_PROT_SOURCE);
	assert_int_equal(cfg.selinux_mode, SOFTSGX_SELINUX_PERMISSIVE);
	assert_string_equal(cfg.policy, "/etc/softsgx/policy.bin");
	assert_string_equal(cfg.file_contexts, "/etc/softsgx/file_contexts");
	assert_string_equal(cfg.enclave_contexts, "/etc/softsgx/enclave_contexts");
	assert_string_equal(cfg.context, "system_u:system_r:app_t:s0");
	assert_string_equal(cfg.default_enclave_context,
			    "system_u:object_r:unlabeled_enclave_t:s0");
	assert_string_equal(cfg.launch_list, "/etc/softsgx/launch.list");
	assert_string_equal(cfg.audit, "/var/log/softsgx/audit.log");
	assert_int_equal(cfg.epc_size, 256ull << 20);
	assert_false(cfg.sgx2);
	assert_string_equal(cfg.state_dir, "/srv/softsgx");
}

struct value_case {
	const char *text;
	uint64_t epc;
	int sgx2;
	int nr_modules;
};

static const struct value_case value_cases[] = {
    {"platform.epc_size = 65536", 65536, 1, 0},
    {"platform.epc_size = 64K", 64 << 10, 1, 0},
    {"platform.epc_size = 64k", 64 << 10, 1, 0},
    {"platform.epc_size = 1g", 1ull << 30, 1, 0},
    {"platform.epc_size = 512G", 512ull << 30, 1, 0},
    {"platform.sgx2 = yes", 128 << 20, 1, 0},
    {"platform.sgx2 = true", 128 << 20, 1, 0},
    {"platform.sgx2 = false", 128 << 20, 0, 0},
    {"modules = none", 128 << 20, 1, 0},
    {"modules = launch", 128 << 20, 1, 1},
    {"modules=launch ,selinux\nselinux.policy=p", 128 << 20, 1, 2},
};

static void values_in_every_accepted_spelling(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(value_cases) / sizeof(value_cases[0]); i++) {
		struct softsgx_config cfg;
		struct softsgx_err err = {0};

		softsgx_config_defaults(&cfg);
		if (parse(&cfg, value_cases[i].text, &err))
			fail_msg("\"%s\": %s", value_cases[i].text, err.msg);
		assert_int_equal(cfg.epc_size, value_cases[i].epc);
		assert_int_equal(cfg.sgx2, value_cases[i].sgx2);
		assert_int_equal(cfg.nr_modules, value_cases[i].nr_modules);
	}
}

struct bad_case {
	const char *text;
	const char *msg;
};

static const struct bad_case bad_cases[] = {
    {"foo = 1", "t.conf:1: unknown key \"foo\""},
    {"Inode = anon", "t.conf:1: unknown key \"Inode\""},
    {"inode = chardev\n# again\ninode = anon",
     "t.conf:3: duplicate key \"inode\" (first set on line 1)"},
    {"inode = block", "t.conf:1: inode: \"block\" is not one of chardev|anon"},
    {"inode = Anon", "t.conf:1: inode: \"Anon\" is not one of chardev|anon"},
    {"page_prot = vma", "t.conf:1: page_prot: \"vma\" is not one of secinfo|source"},
    {"selinux.mode = disabled",
     "t.conf:1: selinux.mode: \"disabled\" is not one of enforcing|permissive"},
    {"platform.sgx2 = 1", "t.conf:1: platform.sgx2: \"1\" is not one of yes|true|no|false"},
    {"modules = launch, apparmor",
     "t.conf:1: modules: unknown module \"apparmor\" (known: launch, selinux)"},
    {"modules = launch, launch", "t.conf:1: modules: module \"launch\" is listed twice"},
    {"modules = launch,,selinux", "t.conf:1: modules: empty module name in \"launch,,selinux\""},
    {"modules = launch,", "t.conf:1: modules: empty module name in \"launch,\""},
    {"modules = launch, ", "t.conf:1: modules: empty module name in \"launch,\""},
    {"modules = launch, , selinux",
     "t.conf:1: modules: empty module name in \"launch, , selinux\""},
    {"modules = selinux", "t.conf:1: module selinux is enabled but selinux.policy is not set"},
    {"# header\n\nmodules = launch,selinux\nplatform.sgx2 = yes\n",
     "t.conf:3: module selinux is enabled but selinux.policy is not set"},
    {"inode", "t.conf:1: expected \"key = value\", found \"inode\""},
    {"= anon", "t.conf:1: a value without a key"},
    {"inode =", "t.conf:1: inode: empty value"},
    {"audit =   ", "t.conf:1: audit: empty value"},
    {"platform.epc_size = 1000",
     "t.conf:1: platform.epc_size: 1000 bytes is not a multiple of the 4096-byte page"},
    {"platform.epc_size = 12X",
     "t.conf:1: platform.epc_size: \"12X\" is not a size (a number with an optional K, M or G)"},
    {"platform.epc_size = 12MB",
     "t.conf:1: platform.epc_size: \"12MB\" is not a size (a number with an optional K, M or G)"},
    {"platform.epc_size = -4K",
     "t.conf:1: platform.epc_size: \"-4K\" is not a size (a number with an optional K, M or G)"},
    {"platform.epc_size = 0x1000",
     "t.conf:1: platform.epc_size: \"0x1000\" is not a size (a number with an optional K, M or G)"},
    {"platform.epc_size = 4K", "t.conf:1: platform.epc_size: 4096 bytes is outside 64K..512G"},
    {"platform.epc_size = 0", "t.conf:1: platform.epc_size: 0 bytes is outside 64K..512G"},
    {"platform.epc_size = 513G",
     "t.conf:1: platform.epc_size: 550829555712 bytes is outside 64K..512G"},
    {"platform.epc_size = 99999999999999999999",
     "t.conf:1: platform.epc_size: \"99999999999999999999\" is out of range"},
    {"platform.epc_size = 17179869184G",
     "t.conf:1: platform.epc_size: \"17179869184G\" is out of range"},
    {"selinux.context = app_t",
     "t.conf:1: selinux.context: \"app_t\" is not a security context (user:role:type[:level])"},
    {"selinux.context = u:r:app t",
     "t.conf:1: selinux.context: \"u:r:app t\" holds a blank or control character"},
    {"selinux.default_enclave_context = u::e_t",
     "t.conf:1: selinux.default_enclave_context: \"u::e_t\" has an empty field"},
    {"selinux.context = u:r:app_t:",
     "t.conf:1: selinux.context: \"u:r:app_t:\" has an empty field"},
    {"selinux.context = :r:app_t", "t.conf:1: selinux.context: \":r:app_t\" has an empty field"},
};

static void malformed_files_are_refused_with_line_and_problem(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		struct softsgx_config cfg, before;
		struct softsgx_err err = {0};

		softsgx_config_defaults(&cfg);
		before = cfg;
		if (parse(&cfg, bad_cases[i].text, &err) != -EINVAL)
			fail_msg("\"%s\" was accepted", bad_cases[i].text);
		assert_string_equal(err.msg, bad_cases[i].msg);
		/* Nothing of a refused file is kept. */
		assert_memory_equal(&cfg, &before, sizeof(cfg));
	}
}

static void oversized_values_and_bytes_are_refused(void **state)
{
	struct softsgx_config cfg;
	struct softsgx_err err = {0};
	char *text = malloc(10000);

	(void)state;
	assert_non_null(text);
	softsgx_config_defaults(&cfg);
	strcpy(text, "selinux.policy = /");
	memset(text + strlen(text), 'p', PATH_MAX);
	text[18 + PATH_MAX] = '\0';
	assert_int_equal(parse(&cfg, text, &err), -EINVAL);
	assert_string_equal(err.msg, "t.conf:1: selinux.policy is too long (at most 4095 bytes)");
	strcpy(text, "selinux.context = u:r:");
	memset(text + strlen(text), 't', 300);
	text[22 + 300] = '\0';
	assert_int_equal(parse(&cfg, text, &err), -EINVAL);
	assert_string_equal(err.msg, "t.conf:1: selinux.context is too long (at most 255 bytes)");
	memset(text, '#', 9000);
	text[9000] = '\0';
	assert_int_equal(parse(&cfg, text, &err), -EINVAL);
	assert_string_equal(err.msg, "t.conf:1: line longer than 8191 bytes");
	assert_int_equal(
	    softsgx_config_parse(&cfg, "inode = anon\naudit = a\0b\n", 24, "t.conf", &err),
	    -EINVAL);
	assert_string_equal(err.msg, "t.conf:2: a NUL byte in the line");
	free(text);
}

/* Parsing goes over what is there: a later file changes only the keys it names. */
static void later_files_override_only_their_keys(void **state)
{
	struct softsgx_config cfg;
	struct softsgx_err err = {0};

	(void)state;
	softsgx_config_defaults(&cfg);
	assert_int_equal(parse(&cfg, "modules = launch\ninode = anon\n", &err), 0);
	assert_int_equal(parse(&cfg, "inode = chardev\n", &err), 0);
	assert_int_equal(cfg.nr_modules, 1);
	assert_int_equal(cfg.inode, SOFTSGX_INODE_CHARDEV);
	/* A policy set earlier satisfies a selinux module enabled later. */
	assert_int_equal(parse(&cfg, "selinux.policy = /p\n", &err), 0);
	assert_int_equal(parse(&cfg, "modules = selinux\n", &err), 0);
	assert_string_equal(cfg.modules[0], "selinux");
	assert_int_equal(parse(&cfg, "modules = none\n", &err), 0);
	assert_int_equal(cfg.nr_modules, 0);
}

static void load_takes_relative_paths_from_the_files_directory(void **state)
{
	struct softsgx_config cfg;
	struct softsgx_err err = {0};
	char dir[256], path[400], want[600];

	(void)state;
	sectest_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/softsgx.conf", dir);
	sectest_write_file(path, "modules = selinux\nselinux.policy = policy.bin\n"
				 "launch.list = ../lists/launch.list\naudit = stderr\n");
	softsgx_config_defaults(&cfg);
	if (softsgx_config_load(&cfg, path, &err))
		fail_msg("%s", err.msg);
	snprintf(want, sizeof(want), "%s/policy.bin", dir);
	assert_string_equal(cfg.policy, want);
	snprintf(want, sizeof(want), "%s/../lists/launch.list", dir);
	assert_string_equal(cfg.launch_list, want);
	assert_string_equal(cfg.audit, "stderr");

	/* Errors name the file as given. */
	sectest_write_file(path, "inode = anon\nbogus = 1\n");
	assert_int_equal(softsgx_config_load(&cfg, path, &err), -EINVAL);
	snprintf(want, sizeof(want), "%s:2: unknown key \"bogus\"", path);
	assert_string_equal(err.msg, want);
	snprintf(path, sizeof(path), "%s/absent.conf", dir);
	assert_int_equal(softsgx_config_load(&cfg, path, &err), -ENOENT);
	snprintf(want, sizeof(want), "%s: cannot open: No such file or directory", path);
	assert_string_equal(err.msg, want);
	assert_int_equal(softsgx_config_load(&cfg, dir, &err), -EINVAL);
	sectest_rmtree(dir);
}

/* The annotated example in docs/ parses to what its comments describe. */
static void annotated_example_parses(void **state)
{
	const char *root = getenv("SOFTSGX_SOURCE_ROOT");
	struct softsgx_config cfg;
	struct softsgx_err err = {0};
	char path[PATH_MAX];

	(void)state;
	if (!root) {
		fprintf(stderr, "skip: SOFTSGX_SOURCE_ROOT is not set (run through meson test)\n");
		skip();
	}
	snprintf(path, sizeof(path), "%s/docs/softsgx.conf.example", root);
	softsgx_config_defaults(&cfg);
	if (softsgx_config_load(&cfg, path, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(cfg.nr_modules, 2);
	assert_string_equal(cfg.modules[0], "launch");
	assert_string_equal(cfg.modules[1], "selinux");
	assert_int_equal(cfg.inode, SOFTSGX_INODE_CHARDEV);
	assert_int_equal(cfg.page_prot, SOFTSGX_PAGE_PROT_SOURCE);
	assert_int_equal(cfg.selinux_mode, SOFTSGX_SELINUX_ENFORCING);
	assert_string_equal(cfg.policy, "/etc/softsgx/policy.bin");
	assert_string_equal(cfg.file_contexts, "/etc/softsgx/file_contexts");
	assert_string_equal(cfg.enclave_contexts, "/etc/softsgx/enclave_contexts");
	assert_string_equal(cfg.context, "system_u:system_r:app_t:s0");
	assert_string_equal(cfg.default_enclave_context,
			    "system_u:object_r:unlabeled_enclave_t:s0");
	assert_string_equal(cfg.launch_list, "/etc/softsgx/launch.list");
	assert_string_equal(cfg.audit, "/var/log/softsgx/audit.log");
	assert_int_equal(cfg.epc_size, 256ull << 20);
	assert_true(cfg.sgx2);
	assert_string_equal(cfg.state_dir, "/var/lib/softsgx");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(defaults_are_upstream_behaviour),
	    cmocka_unit_test(state_dir_follows_the_user),
	    cmocka_unit_test(every_key_is_parsed),
	    cmocka_unit_test(values_in_every_accepted_spelling),
	    cmocka_unit_test(malformed_files_are_refused_with_line_and_problem),
	    cmocka_unit_test(oversized_values_and_bytes_are_refused),
	    cmocka_unit_test(later_files_override_only_their_keys),
	    cmocka_unit_test(load_takes_relative_paths_from_the_files_directory),
	    cmocka_unit_test(annotated_example_parses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
