/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "format_testutil.h"

const char *ft_path(const char *var, const char *rel)
{
	static char buf[4096];
	const char *base = getenv(var);

	if (!base)
		fail_msg("%s is not set: run the test through meson test", var);
	snprintf(buf, sizeof(buf), "%s/%s", base, rel);
	return buf;
}

uint8_t *ft_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (!f)
		fail_msg("cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(n > 0 ? (size_t)n : 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

const char *ft_write_temp(const void *buf, size_t len)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/softsgx-format-test.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	close(fd);
	return path;
}

void ft_python_sha256_hex(const char *path, char hex[65])
{
	char cmd[4200], line[128];
	FILE *p;

	snprintf(cmd, sizeof(cmd),
		 "python3 -c 'import hashlib,sys; "
		 "print(hashlib.sha256(open(sys.argv[1],\"rb\").read()).hexdigest())' '%s'",
		 path);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_non_null(fgets(line, sizeof(line), p));
	assert_int_equal(pclose(p), 0);
	line[strcspn(line, "\n")] = '\0';
	assert_int_equal(strlen(line), 64);
	memcpy(hex, line, 65);
}
