/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "testutil.h"

static char path_buf[8][4096];
static unsigned int path_next;

static const char *env_path(const char *var, const char *name)
{
	const char *dir = getenv(var);
	char *p = path_buf[path_next++ % 8];

	if (!dir) {
		fprintf(stderr, "SKIP: %s is not set (run the tests through meson)\n", var);
		exit(TU_SKIP);
	}
	snprintf(p, sizeof(path_buf[0]), "%s/%s", dir, name);
	return p;
}

const char *tu_vector(const char *name)
{
	const char *p = env_path("SOFTSGX_VECTORS", name);

	if (access(p, R_OK) != 0) {
		fprintf(stderr, "SKIP: known-answer vector %s is missing\n", p);
		exit(TU_SKIP);
	}
	return p;
}

const char *tu_source(const char *name)
{
	char sub[512];

	snprintf(sub, sizeof(sub), "tests/arch/%s", name);
	return env_path("SOFTSGX_SOURCE_ROOT", sub);
}

uint8_t *tu_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

void tu_write(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static char tmpdir[64];

static void tmpdir_remove(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "warning: could not remove %s\n", tmpdir);
}

const char *tu_tmpdir(void)
{
	if (!tmpdir[0]) {
		snprintf(tmpdir, sizeof(tmpdir), "/tmp/softsgx-test-XXXXXX");
		assert_non_null(mkdtemp(tmpdir));
		atexit(tmpdir_remove);
	}
	return tmpdir;
}

int tu_run(char *out, size_t outlen, const char *fmt, ...)
{
	char cmd[4096], line[4096] = "";
	va_list ap;
	FILE *p;
	int status;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	p = popen(cmd, "r");
	assert_non_null(p);
	if (!fgets(line, sizeof(line), p))
		line[0] = '\0';
	/* Drain the rest so the child never blocks on a full pipe. */
	while (fgetc(p) != EOF)
		;
	status = pclose(p);
	line[strcspn(line, "\r\n")] = '\0';
	if (out)
		snprintf(out, outlen, "%s", line);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void tu_need(const char *program)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", program);
	if (system(cmd) != 0) {
		fprintf(stderr, "SKIP: %s is not installed; it is the independent reference\n",
			program);
		exit(TU_SKIP);
	}
}

void tu_hex(char *out, const void *buf, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	const uint8_t *p = buf;

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 0xF];
	}
	out[2 * len] = '\0';
}
