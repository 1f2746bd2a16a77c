/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "sectest.h"

void sectest_tmpdir(char *out, size_t size)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(out, size, "%s/softsgx-sectest-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(out));
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void sectest_rmtree(const char *dir)
{
	nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

void sectest_write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
	assert_int_equal(fclose(f), 0);
}

char *sectest_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t n = 0, cap = 0;

	if (!f)
		return NULL;
	for (;;) {
		if (cap - n < 4096) {
			cap = cap ? cap * 2 : 8192;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		size_t got = fread(buf + n, 1, cap - n - 1, f);
		if (!got)
			break;
		n += got;
	}
	fclose(f);
	if (!buf) {
		buf = malloc(1);
		assert_non_null(buf);
	}
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

void sectest_read_vector(const char *name, void *buf, size_t size)
{
	const char *dir = getenv("SOFTSGX_VECTORS");
	char path[4096];
	size_t len;
	char *data;

	if (!dir) {
		fprintf(stderr, "SOFTSGX_VECTORS is not set: run through meson test\n");
		exit(77);
	}
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	data = sectest_read_file(path, &len);
	if (!data) {
		fprintf(stderr, "known-answer vector %s is missing\n", path);
		exit(77);
	}
	assert_int_equal(len, size);
	memcpy(buf, data, size);
	free(data);
}

static void add_record(struct sectest_audit *a, const char *type, size_t tlen, const char *body,
		       unsigned long serial)
{
	/* Grow by doubling: the concurrency test reads tens of thousands of records. */
	if ((a->nr & (a->nr - 1)) == 0) {
		size_t cap = a->nr ? 2 * a->nr : 1;

		a->type = realloc(a->type, cap * sizeof(*a->type));
		a->body = realloc(a->body, cap * sizeof(*a->body));
		a->serial = realloc(a->serial, cap * sizeof(*a->serial));
		assert_true(a->type && a->body && a->serial);
	}
	a->type[a->nr] = strndup(type, tlen);
	a->body[a->nr] = strdup(body);
	a->serial[a->nr] = serial;
	a->nr++;
}

/* "type=T msg=audit(SECONDS.MMM:SERIAL): BODY" */
static void parse_record(struct sectest_audit *a, const char *line)
{
	const char *type, *msg;
	unsigned long long sec;
	unsigned ms;
	unsigned long serial;
	int used = 0;

	if (strncmp(line, "type=", 5))
		fail_msg("audit line does not start with type=: \"%s\"", line);
	type = line + 5;
	msg = strstr(type, " msg=audit(");
	if (!msg)
		fail_msg("audit line without msg=audit(: \"%s\"", line);
	if (sscanf(msg, " msg=audit(%llu.%3u:%lu): %n", &sec, &ms, &serial, &used) != 3 || !used)
		fail_msg("audit line with a malformed timestamp: \"%s\"", line);
	/* Exactly three digits of milliseconds, as auditd writes them. */
	const char *dot = strchr(msg, '.');
	if (!dot || strspn(dot + 1, "0123456789") != 3 || dot[4] != ':')
		fail_msg("audit timestamp is not SECONDS.MMM: \"%s\"", line);
	add_record(a, type, (size_t)(msg - type), msg + used, serial);
}

void sectest_audit_read(const char *path, struct sectest_audit *a)
{
	size_t len;
	char *text = sectest_read_file(path, &len), *line, *save = NULL;

	memset(a, 0, sizeof(*a));
	if (!text)
		return;
	if (len && text[len - 1] != '\n')
		fail_msg("audit file %s does not end with a whole line", path);
	if (text[0] == '\n' || strstr(text, "\n\n"))
		fail_msg("audit file %s holds an empty line", path);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		parse_record(a, line);
	free(text);
}

void sectest_audit_free(struct sectest_audit *a)
{
	for (size_t i = 0; i < a->nr; i++) {
		free(a->type[i]);
		free(a->body[i]);
	}
	free(a->type);
	free(a->body);
	free(a->serial);
	memset(a, 0, sizeof(*a));
}
