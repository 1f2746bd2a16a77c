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
#include <sys/sysmacros.h>
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

void sectest_expect_records(const char *path, const char *type, size_t n, va_list ap)
{
	struct sectest_audit a;

	sectest_audit_read(path, &a);
	if (a.nr != n) {
		for (size_t i = 0; i < a.nr; i++)
			print_message("record %zu: type=%s %s\n", i, a.type[i], a.body[i]);
		fail_msg("%zu audit records, expected %zu", a.nr, n);
	}
	for (size_t i = 0; i < n; i++) {
		const char *want = va_arg(ap, const char *);

		assert_string_equal(a.type[i], type);
		if (!strcmp(type, "AVC"))
			assert_string_equal(a.body[i], want);
		else if (strncmp(a.body[i], want, strlen(want)))
			fail_msg("record \"%s\" does not start \"%s\"", a.body[i], want);
	}
	sectest_audit_free(&a);
}

const char *sectest_avc_line(int pid, const char *comm, const char *verdict, const char *perms,
			     const char *fmt, va_list ap)
{
	static char bufs[8][1024];
	static int next;
	char *buf = bufs[next++ % 8];
	int n;

	n = snprintf(buf, 1024, "avc:  %s  { %s } for  pid=%d comm=\"%s\"", verdict, perms, pid,
		     comm);
	vsnprintf(buf + n, 1024 - (size_t)n, fmt, ap);
	return buf;
}

void sectest_dev_name(dev_t dev, char *out, size_t size)
{
	char line[4096], want[32];
	FILE *f = fopen("/proc/self/mountinfo", "r");

	snprintf(out, size, "?");
	assert_non_null(f);
	snprintf(want, sizeof(want), "%u:%u", major(dev), minor(dev));
	while (fgets(line, sizeof(line), f)) {
		char majmin[32], fstype[64], source[512];
		char *sep = strstr(line, " - ");

		if (sscanf(line, "%*s %*s %31s", majmin) != 1 || strcmp(majmin, want) || !sep)
			continue;
		if (sscanf(sep + 3, "%63s %511s", fstype, source) != 2)
			continue;
		if (!strncmp(source, "/dev/", 5))
			snprintf(out, size, "%s", strrchr(source, '/') + 1);
		else
			snprintf(out, size, "%s", fstype);
		break;
	}
	fclose(f);
}

void sectest_read_comm(char *comm, size_t size)
{
	FILE *f = fopen("/proc/self/comm", "r");

	assert_non_null(f);
	assert_non_null(fgets(comm, (int)size, f));
	comm[strcspn(comm, "\n")] = '\0';
	fclose(f);
}
