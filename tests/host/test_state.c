/* SPDX-License-Identifier: MIT */
/*
 * The platform root secret in state_dir (src/host/state.c): created 0600 with 32 random bytes
 * on first use, the same bytes on every later use, and refused (with the reason) when the file
 * is not one the emulator could have written or others can read it.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "host.h"

static char dir[] = "/tmp/softsgx-state-test-XXXXXX";
static char path[sizeof(dir) + 32];

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/root-secret", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	rmdir(dir);
	return 0;
}

static void first_use_creates_a_private_32_byte_secret(void **state)
{
	uint8_t secret[32], zero[32] = {0}, file[32];
	struct stat st;
	int fd;

	(void)state;
	unlink(path);
	assert_int_equal(state_root_secret(dir, secret, NULL), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, 32);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, file, 32), 32);
	close(fd);
	assert_memory_equal(file, secret, 32);
	assert_memory_not_equal(secret, zero, 32);
}

static void later_uses_read_the_same_secret(void **state)
{
	uint8_t a[32], b[32];

	(void)state;
	assert_int_equal(state_root_secret(dir, a, NULL), 0);
	assert_int_equal(state_root_secret(dir, b, NULL), 0);
	assert_memory_equal(a, b, 32);
}

static void two_state_dirs_are_two_platforms(void **state)
{
	char other[] = "/tmp/softsgx-state-other-XXXXXX", p[64];
	uint8_t a[32], b[32];

	(void)state;
	assert_non_null(mkdtemp(other));
	assert_int_equal(state_root_secret(dir, a, NULL), 0);
	assert_int_equal(state_root_secret(other, b, NULL), 0);
	assert_memory_not_equal(a, b, 32);
	snprintf(p, sizeof(p), "%s/root-secret", other);
	unlink(p);
	rmdir(other);
}

static void refuses_a_secret_others_can_read(void **state)
{
	struct softsgx_err err = {0};
	uint8_t s[32];

	(void)state;
	assert_int_equal(state_root_secret(dir, s, NULL), 0);
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(state_root_secret(dir, s, &err), -EPERM);
	assert_non_null(strstr(err.msg, "chmod 600"));
	assert_int_equal(chmod(path, 0600), 0);
}

static void refuses_a_secret_of_the_wrong_size(void **state)
{
	struct softsgx_err err = {0};
	uint8_t s[32];
	int fd;

	(void)state;
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "short", 5), 5);
	close(fd);
	assert_int_equal(state_root_secret(dir, s, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "5 bytes"));
	unlink(path);
}

static void refuses_an_empty_state_dir(void **state)
{
	struct softsgx_err err = {0};
	uint8_t s[32];

	(void)state;
	assert_int_equal(state_root_secret("", s, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "state_dir"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(first_use_creates_a_private_32_byte_secret),
	    cmocka_unit_test(later_uses_read_the_same_secret),
	    cmocka_unit_test(two_state_dirs_are_two_platforms),
	    cmocka_unit_test(refuses_a_secret_others_can_read),
	    cmocka_unit_test(refuses_a_secret_of_the_wrong_size),
	    cmocka_unit_test(refuses_an_empty_state_dir),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
