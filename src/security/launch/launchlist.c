/* SPDX-License-Identifier: MIT */
/* The launch-list file: parsing and matching (launchlist.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "launchlist.h"

/* Far above any real list; a bigger file is a mistake (a binary given by error). */
#define LAUNCH_LIST_MAX_SIZE (16u << 20)
#define LAUNCH_LINE_MAX	     1024

struct parse {
	const char *name;
	int line;
	struct softsgx_err *err;
};

static int fail(const struct parse *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(const struct parse *p, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return softsgx_fail(p->err, -EINVAL, "%s:%d: %s", p->name, p->line, msg);
}

/* A decimal number 0..65535, no sign, no leading junk. */
static int parse_u16(const struct parse *p, const char *option, const char *word, uint16_t *out)
{
	unsigned long v = 0;

	if (!word)
		return fail(p, "%s needs a number", option);
	if (!*word || strspn(word, "0123456789") != strlen(word))
		return fail(p, "%s: \"%.40s\" is not a decimal number", option, word);
	for (const char *c = word; *c; c++) {
		v = v * 10 + (unsigned long)(*c - '0');
		if (v > 65535)
			return fail(p, "%s: %.40s is above 65535", option, word);
	}
	*out = (uint16_t)v;
	return 0;
}

static int parse_option(const struct parse *p, struct launch_rule *r, char **save, const char *word)
{
	bool *flag = NULL;

	if (!strcmp(word, "isvprodid")) {
		if (r->has_isvprodid)
			return fail(p, "isvprodid given twice");
		r->has_isvprodid = true;
		return parse_u16(p, word, strtok_r(NULL, " \t", save), &r->isvprodid);
	}
	if (!strcmp(word, "min-isvsvn")) {
		if (r->has_min_isvsvn)
			return fail(p, "min-isvsvn given twice");
		r->has_min_isvsvn = true;
		return parse_u16(p, word, strtok_r(NULL, " \t", save), &r->min_isvsvn);
	}
	if (!strcmp(word, "allow-debug"))
		flag = &r->allow_debug;
	else if (!strcmp(word, "allow-provision"))
		flag = &r->allow_provision;
	else
		return fail(p,
			    "unknown option \"%.40s\" (isvprodid N, min-isvsvn N, allow-debug, "
			    "allow-provision)",
			    word);
	if (*flag)
		return fail(p, "%s given twice", word);
	*flag = true;
	return 0;
}

/* One non-empty, comment-stripped line into @r. */
static int parse_rule(const struct parse *p, char *line, struct launch_rule *r)
{
	char *save = NULL, *word = strtok_r(line, " \t", &save);
	char *hex;
	int rc;

	memset(r, 0, sizeof(*r));
	r->line = p->line;
	if (!strcmp(word, "mrsigner"))
		r->match = LAUNCH_MRSIGNER;
	else if (!strcmp(word, "mrenclave"))
		r->match = LAUNCH_MRENCLAVE;
	else
		return fail(p, "a rule starts with mrsigner or mrenclave, not \"%.40s\"", word);
	hex = strtok_r(NULL, " \t", &save);
	if (!hex)
		return fail(p, "%s needs 64 hex digits", word);
	if (strlen(hex) != 64 || softsgx_unhex(r->hash, 32, hex))
		return fail(p, "%s: \"%.70s\" is not 64 hex digits", word, hex);
	while ((word = strtok_r(NULL, " \t", &save))) {
		rc = parse_option(p, r, &save, word);
		if (rc)
			return rc;
	}
	return 0;
}

static int add_rule(struct launch_list *list, size_t *cap, const struct launch_rule *r)
{
	if (list->nr_rules == *cap) {
		size_t n = *cap ? *cap * 2 : 16;
		struct launch_rule *rules = realloc(list->rules, n * sizeof(*rules));

		if (!rules)
			return -ENOMEM;
		list->rules = rules;
		*cap = n;
	}
	list->rules[list->nr_rules++] = *r;
	return 0;
}

static int parse_line(struct launch_list *list, size_t *cap, const struct parse *p, char *line)
{
	struct launch_rule r;
	size_t n = strlen(line);
	char *hash;
	int rc;

	if (n && line[n - 1] == '\r')
		line[--n] = '\0';
	/* Comments may hold anything but a NUL (names, UTF-8); rules only printable ASCII. */
	hash = strchr(line, '#');
	if (hash)
		*hash = '\0';
	for (const unsigned char *c = (const unsigned char *)line; *c; c++)
		if ((*c < ' ' && *c != '\t') || *c >= 0x7f)
			return fail(p, "a control or non-ASCII byte (0x%02x) at column %d", *c,
				    (int)(c - (const unsigned char *)line) + 1);
	if (strspn(line, " \t") == strlen(line))
		return 0;
	rc = parse_rule(p, line, &r);
	if (rc)
		return rc;
	if (add_rule(list, cap, &r))
		return softsgx_fail(p->err, -ENOMEM, "%s: out of memory", p->name);
	return 0;
}

int launch_list_parse(struct launch_list *list, const char *text, size_t len, const char *name,
		      struct softsgx_err *err)
{
	struct parse p = {.name = name ? name : "(launch list)", .err = err};
	char line[LAUNCH_LINE_MAX];
	size_t pos = 0, cap = 0;
	int rc = 0;

	memset(list, 0, sizeof(*list));
	while (pos < len && !rc) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;

		p.line++;
		if (memchr(text + pos, '\0', n))
			rc = fail(&p, "a NUL byte in the line");
		else if (n >= sizeof(line))
			rc = fail(&p, "line longer than %zu bytes", sizeof(line) - 1);
		if (rc)
			break;
		memcpy(line, text + pos, n);
		line[n] = '\0';
		rc = parse_line(list, &cap, &p, line);
		pos += n + 1;
	}
	if (rc)
		launch_list_free(list);
	return rc;
}

static int read_all(int fd, char *buf, size_t size, size_t *len)
{
	*len = 0;
	while (*len < size) {
		ssize_t n = read(fd, buf + *len, size - *len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		*len += (size_t)n;
	}
	return 0;
}

int launch_list_load(struct launch_list *list, const char *path, struct softsgx_err *err)
{
	struct stat st;
	char *text;
	size_t len;
	int rc, fd;

	memset(list, 0, sizeof(*list));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return softsgx_fail(err, -errno, "%s: cannot open: %s", path, strerror(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size > LAUNCH_LIST_MAX_SIZE) {
		close(fd);
		return softsgx_fail(err, -EINVAL, "%s: not a regular file of at most %u bytes",
				    path, LAUNCH_LIST_MAX_SIZE);
	}
	text = malloc((size_t)st.st_size + 1);
	if (!text) {
		close(fd);
		return softsgx_fail(err, -ENOMEM, "%s: out of memory", path);
	}
	rc = read_all(fd, text, (size_t)st.st_size, &len);
	close(fd);
	if (rc)
		softsgx_fail(err, rc, "%s: read: %s", path, strerror(-rc));
	else
		rc = launch_list_parse(list, text, len, path, err);
	free(text);
	return rc;
}

void launch_list_free(struct launch_list *list)
{
	free(list->rules);
	list->rules = NULL;
	list->nr_rules = 0;
}

/* Why @r, which names the enclave, does not admit it; NULL when it does. */
static const char *refusal(const struct launch_rule *r, const struct launch_identity *id, char *buf,
			   size_t size)
{
	if (r->has_isvprodid && id->isvprodid != r->isvprodid)
		snprintf(buf, size, "ISVPRODID %u is not isvprodid %u of the rule on line %d",
			 id->isvprodid, r->isvprodid, r->line);
	else if (r->has_min_isvsvn && id->isvsvn < r->min_isvsvn)
		snprintf(buf, size, "ISVSVN %u is below min-isvsvn %u of the rule on line %d",
			 id->isvsvn, r->min_isvsvn, r->line);
	else if (id->debug && !r->allow_debug)
		snprintf(buf, size, "a DEBUG enclave, and the rule on line %d has no allow-debug",
			 r->line);
	else if (id->provision && !r->allow_provision)
		snprintf(
		    buf, size,
		    "asks for the PROVISIONKEY, and the rule on line %d has no allow-provision",
		    r->line);
	else
		return NULL;
	return buf;
}

const struct launch_rule *launch_list_match(const struct launch_list *list,
					    const struct launch_identity *id, char *why,
					    size_t size)
{
	bool named = false;

	if (!list->nr_rules) {
		snprintf(why, size, "the launch list is empty: every enclave is denied");
		return NULL;
	}
	for (size_t i = 0; i < list->nr_rules; i++) {
		const struct launch_rule *r = &list->rules[i];
		const uint8_t *hash = r->match == LAUNCH_MRSIGNER ? id->mrsigner : id->mrenclave;
		char reason[200];

		if (memcmp(r->hash, hash, 32))
			continue;
		if (!refusal(r, id, reason, sizeof(reason)))
			return r;
		/* Keep the first refusal: it names the rule an administrator would look at. */
		if (!named)
			snprintf(why, size, "%s", reason);
		named = true;
	}
	if (!named)
		snprintf(why, size, "no rule names this MRENCLAVE or MRSIGNER");
	return NULL;
}
