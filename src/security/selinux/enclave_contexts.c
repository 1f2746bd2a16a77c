// SPDX-License-Identifier: MIT
/* The enclave_contexts parser (enclave_contexts.h). */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enclave_contexts.h"

#define LINE_MAX_LEN 1024

struct ec_parse {
	struct enclave_contexts *ec;
	size_t cap;
	int line;
	struct softsgx_err *err;
};

static int fail(struct ec_parse *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct ec_parse *p, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return softsgx_fail(p->err, -EINVAL, "%s:%d: %s", p->ec->name, p->line, msg);
}

/* The next whitespace-separated field of @s at *@pos, NUL-terminated in place; NULL at end. */
static char *next_field(char *s, size_t *pos)
{
	char *start;

	while (s[*pos] == ' ' || s[*pos] == '\t')
		(*pos)++;
	if (!s[*pos])
		return NULL;
	start = s + *pos;
	while (s[*pos] && s[*pos] != ' ' && s[*pos] != '\t')
		(*pos)++;
	if (s[*pos])
		s[(*pos)++] = '\0';
	return start;
}

/* user:role:type[:level]: three non-empty printable fields at least. */
static bool context_syntax_ok(const char *c)
{
	int colons = 0;
	const char *field = c;

	for (const char *s = c;; s++) {
		if (*s == ':' || !*s) {
			if (s == field && colons < 3)
				return false;
			if (!*s)
				break;
			colons++;
			field = s + 1;
		} else if (!isgraph((unsigned char)*s)) {
			return false;
		}
	}
	return colons >= 2;
}

static int check_duplicate(struct ec_parse *p, const struct enclave_context_rule *r)
{
	for (size_t i = 0; i < p->ec->nr_rules; i++) {
		const struct enclave_context_rule *o = &p->ec->rules[i];

		if (o->mrenclave == r->mrenclave && !memcmp(o->hash, r->hash, 32))
			return fail(p, "%s already mapped at line %d",
				    r->mrenclave ? "MRENCLAVE" : "MRSIGNER", o->line);
	}
	return 0;
}

static int add_rule(struct ec_parse *p, const struct enclave_context_rule *r)
{
	if (p->ec->nr_rules == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		void *n = realloc(p->ec->rules, cap * sizeof(*r));

		if (!n)
			return softsgx_fail(p->err, -ENOMEM, "out of memory");
		p->ec->rules = n;
		p->cap = cap;
	}
	p->ec->rules[p->ec->nr_rules++] = *r;
	return 0;
}

static int parse_line(struct ec_parse *p, char *s)
{
	struct enclave_context_rule r = {.line = p->line};
	char *kw, *hex, *ctx, *extra;
	size_t pos = 0;

	kw = next_field(s, &pos);
	if (!kw || kw[0] == '#')
		return 0;
	if (!strcmp(kw, "mrenclave"))
		r.mrenclave = true;
	else if (strcmp(kw, "mrsigner"))
		return fail(p, "unknown identity \"%.40s\" (expected mrenclave or mrsigner)", kw);
	hex = next_field(s, &pos);
	if (!hex)
		return fail(p, "%s: missing the 64 hex digits of the measurement", kw);
	if (strlen(hex) != 64)
		return fail(p, "%s: \"%.70s\" has %zu characters, expected 64 hex digits", kw, hex,
			    strlen(hex));
	if (softsgx_unhex(r.hash, 32, hex))
		return fail(p, "%s: \"%s\" is not hexadecimal", kw, hex);
	ctx = next_field(s, &pos);
	if (!ctx)
		return fail(p, "%s %.16s...: missing the security context", kw, hex);
	if (strlen(ctx) >= sizeof(r.context))
		return fail(p, "context is longer than %zu characters", sizeof(r.context) - 1);
	if (!context_syntax_ok(ctx))
		return fail(p, "\"%.100s\" is not a security context (user:role:type[:level])",
			    ctx);
	extra = next_field(s, &pos);
	if (extra && extra[0] != '#')
		return fail(p, "unexpected \"%.40s\" after the context", extra);
	memcpy(r.context, ctx, strlen(ctx) + 1);
	if (check_duplicate(p, &r))
		return -EINVAL;
	return add_rule(p, &r);
}

static int parse_text(struct ec_parse *p, const char *text, size_t len)
{
	char line[LINE_MAX_LEN + 1];
	size_t pos = 0;
	int ret;

	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;

		p->line++;
		if (n > LINE_MAX_LEN)
			return fail(p, "line longer than %d characters", LINE_MAX_LEN);
		memcpy(line, text + pos, n);
		line[n] = '\0';
		pos += n + (nl ? 1 : 0);
		if (strlen(line) != n)
			return fail(p, "NUL byte at column %zu", strlen(line) + 1);
		if (n && line[n - 1] == '\r')
			line[n - 1] = '\0';
		ret = parse_line(p, line);
		if (ret)
			return ret;
	}
	return 0;
}

int enclave_contexts_parse(struct enclave_contexts **out, const char *text, size_t len,
			   const char *name, struct softsgx_err *err)
{
	struct ec_parse p = {.err = err};
	int ret;

	*out = NULL;
	p.ec = calloc(1, sizeof(*p.ec));
	if (!p.ec)
		return softsgx_fail(err, -ENOMEM, "out of memory");
	snprintf(p.ec->name, sizeof(p.ec->name), "%s", name);
	ret = parse_text(&p, text, len);
	if (ret) {
		enclave_contexts_free(p.ec);
		return ret;
	}
	*out = p.ec;
	return 0;
}

int enclave_contexts_load(struct enclave_contexts **out, const char *path, struct softsgx_err *err)
{
	char *buf = NULL;
	size_t len = 0, cap = 0, n;
	FILE *f = fopen(path, "re");
	int ret;

	*out = NULL;
	if (!f)
		return softsgx_fail(err, -errno, "enclave_contexts %s: %s", path, strerror(errno));
	do {
		if (len == cap) {
			char *nb = realloc(buf, cap = cap ? cap * 2 : 4096);

			if (!nb) {
				free(buf);
				fclose(f);
				return softsgx_fail(err, -ENOMEM, "out of memory");
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n);
	ret = ferror(f) ? softsgx_fail(err, -EIO, "enclave_contexts %s: read error", path) : 0;
	fclose(f);
	if (!ret)
		ret = enclave_contexts_parse(out, buf, len, path, err);
	free(buf);
	return ret;
}

void enclave_contexts_free(struct enclave_contexts *ec)
{
	if (!ec)
		return;
	free(ec->rules);
	free(ec);
}

const struct enclave_context_rule *enclave_contexts_match(const struct enclave_contexts *ec,
							  const uint8_t mrenclave[32],
							  const uint8_t mrsigner[32])
{
	const struct enclave_context_rule *signer = NULL;

	if (!ec)
		return NULL;
	for (size_t i = 0; i < ec->nr_rules; i++) {
		const struct enclave_context_rule *r = &ec->rules[i];

		if (r->mrenclave && !memcmp(r->hash, mrenclave, 32))
			return r;
		if (!r->mrenclave && !signer && !memcmp(r->hash, mrsigner, 32))
			signer = r;
	}
	return signer;
}
