/* SPDX-License-Identifier: MIT */
/*
 * The softsgx configuration file (config.h, docs/configuration.md): `key = value` lines and
 * `#` comment lines.  The parser is strict: an unknown key, a key given twice, a value out of
 * range, an unknown or repeated module, or a module without the settings it needs refuses the
 * whole file with "FILE:LINE: problem", and @cfg is left as it was, so nothing ever runs on
 * half a configuration.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "softsgx/config.h"

/* EPC bounds: 16 pages is the least a useful enclave needs; 512 GiB the largest real EPC. */
#define EPC_MIN (64ull << 10)
#define EPC_MAX (512ull << 30)
/* A configuration file is small; a bigger one is a mistake (a binary given by error). */
#define CONFIG_MAX_SIZE (1u << 20)

static const char *const known_modules[] = {"launch", "selinux"};

static void default_state_dir(char *out, size_t size)
{
	const char *xdg = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");

	if (geteuid() == 0) {
		snprintf(out, size, "/var/lib/softsgx");
		return;
	}
	if (xdg && xdg[0] == '/') {
		snprintf(out, size, "%s/softsgx", xdg);
		return;
	}
	if (!home || home[0] != '/') {
		struct passwd *pw = getpwuid(geteuid());

		home = pw ? pw->pw_dir : NULL;
	}
	if (home && home[0] == '/')
		snprintf(out, size, "%s/.local/state/softsgx", home);
	else
		snprintf(out, size, "/var/lib/softsgx");
}

void softsgx_config_defaults(struct softsgx_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->nr_modules = 0;
	cfg->inode = SOFTSGX_INODE_CHARDEV;
	cfg->page_prot = SOFTSGX_PAGE_PROT_SECINFO;
	cfg->selinux_mode = SOFTSGX_SELINUX_ENFORCING;
	snprintf(cfg->audit, sizeof(cfg->audit), "stderr");
	cfg->epc_size = 128ull << 20;
	cfg->sgx2 = true;
	default_state_dir(cfg->state_dir, sizeof(cfg->state_dir));
}

/* The state of one parse: where we are, for messages, and what was set where. */
struct parse {
	struct softsgx_config *cfg;
	const char *name;     /* the file, for messages */
	const char *base_dir; /* relative paths are taken from here; NULL: as given */
	int line;
	int key_line[32]; /* line each key was set on, 0 if not */
	struct softsgx_err *err;
};

static int fail(struct parse *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "FILE:LINE: " + the problem. */
static int fail(struct parse *p, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return softsgx_fail(p->err, -EINVAL, "%s:%d: %s", p->name, p->line, msg);
}

static int set_string(struct parse *p, char *out, size_t size, const char *value, const char *what)
{
	if (strlen(value) >= size)
		return fail(p, "%s is too long (at most %zu bytes)", what, size - 1);
	strcpy(out, value);
	return 0;
}

/* Relative paths are taken from the configuration file's directory, when it has one. */
static int set_path(struct parse *p, char *out, const char *value, const char *key)
{
	char joined[PATH_MAX + 1];

	if (value[0] == '/' || !p->base_dir)
		return set_string(p, out, PATH_MAX, value, key);
	if (snprintf(joined, sizeof(joined), "%s/%s", p->base_dir, value) >= PATH_MAX)
		return fail(p, "%s is too long once taken from the directory %s", key, p->base_dir);
	strcpy(out, joined);
	return 0;
}

struct key {
	const char *name;
	int (*set)(struct parse *p, const struct key *k, const char *value);
	size_t off; /* the field of struct softsgx_config, for the string-valued keys */
};

static char *field(struct parse *p, const struct key *k)
{
	return (char *)p->cfg + k->off;
}

/* Pick @value out of @words ("a|b|c"): its index, or a failure naming the choices. */
static int choose(struct parse *p, const struct key *k, const char *value, const char *words)
{
	const char *w = words;

	for (int i = 0; *w; i++) {
		size_t n = strcspn(w, "|");

		if (strlen(value) == n && !strncmp(w, value, n))
			return i;
		w += n + (w[n] == '|');
	}
	return fail(p, "%s: \"%s\" is not one of %s", k->name, value, words);
}

static int is_known_module(const char *name)
{
	for (size_t i = 0; i < sizeof(known_modules) / sizeof(known_modules[0]); i++)
		if (!strcmp(known_modules[i], name))
			return 1;
	return 0;
}

static char *trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	return s;
}

static int set_modules(struct parse *p, const struct key *k, const char *value)
{
	char list[256], *save = NULL, *item;
	struct softsgx_config *cfg = p->cfg;

	if (strlen(value) >= sizeof(list))
		return fail(p, "%s: the list is too long", k->name);
	cfg->nr_modules = 0;
	if (!strcmp(value, "none"))
		return 0;
	strcpy(list, value);
	if (list[0] == ',' || list[strlen(list) - 1] == ',' || strstr(list, ",,"))
		return fail(p, "%s: empty module name in \"%s\"", k->name, value);
	for (item = strtok_r(list, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		item = trim(item);
		if (!*item)
			return fail(p, "%s: empty module name in \"%s\"", k->name, value);
		if (!is_known_module(item))
			return fail(p, "%s: unknown module \"%s\" (known: launch, selinux)",
				    k->name, item);
		for (int i = 0; i < cfg->nr_modules; i++)
			if (!strcmp(cfg->modules[i], item))
				return fail(p, "%s: module \"%s\" is listed twice", k->name, item);
		if (cfg->nr_modules == SOFTSGX_MAX_MODULES)
			return fail(p, "%s: more than %d modules", k->name, SOFTSGX_MAX_MODULES);
		snprintf(cfg->modules[cfg->nr_modules++], sizeof(cfg->modules[0]), "%s", item);
	}
	return 0;
}

static int set_inode(struct parse *p, const struct key *k, const char *value)
{
	int i = choose(p, k, value, "chardev|anon");

	if (i < 0)
		return i;
	p->cfg->inode = i ? SOFTSGX_INODE_ANON : SOFTSGX_INODE_CHARDEV;
	return 0;
}

static int set_page_prot(struct parse *p, const struct key *k, const char *value)
{
	int i = choose(p, k, value, "secinfo|source");

	if (i < 0)
		return i;
	p->cfg->page_prot = i ? SOFTSGX_PAGE_PROT_SOURCE : SOFTSGX_PAGE_PROT_SECINFO;
	return 0;
}

static int set_selinux_mode(struct parse *p, const struct key *k, const char *value)
{
	int i = choose(p, k, value, "enforcing|permissive");

	if (i < 0)
		return i;
	p->cfg->selinux_mode = i ? SOFTSGX_SELINUX_PERMISSIVE : SOFTSGX_SELINUX_ENFORCING;
	return 0;
}

static int set_sgx2(struct parse *p, const struct key *k, const char *value)
{
	int i = choose(p, k, value, "yes|true|no|false");

	if (i < 0)
		return i;
	p->cfg->sgx2 = i < 2;
	return 0;
}

static int set_path_key(struct parse *p, const struct key *k, const char *value)
{
	return set_path(p, field(p, k), value, k->name);
}

static int set_audit(struct parse *p, const struct key *k, const char *value)
{
	if (!strcmp(value, "stderr"))
		return set_string(p, field(p, k), PATH_MAX, value, k->name);
	return set_path(p, field(p, k), value, k->name);
}

/* user:role:type[:level]: at least three non-empty fields, no blanks or control bytes. */
static int set_context(struct parse *p, const struct key *k, const char *value)
{
	int fields = 1;

	for (const unsigned char *c = (const unsigned char *)value; *c; c++) {
		if (*c <= ' ' || *c >= 0x7f)
			return fail(p, "%s: \"%s\" holds a blank or control character", k->name,
				    value);
		if (*c == ':') {
			if (c == (const unsigned char *)value || c[1] == ':' || !c[1])
				return fail(p, "%s: \"%s\" has an empty field", k->name, value);
			fields++;
		}
	}
	if (fields < 3)
		return fail(p, "%s: \"%s\" is not a security context (user:role:type[:level])",
			    k->name, value);
	return set_string(p, field(p, k), SOFTSGX_CONTEXT_MAX, value, k->name);
}

/* A byte count with an optional K, M or G suffix (powers of 1024). */
static int parse_size(const char *value, uint64_t *out)
{
	uint64_t n = 0, mult = 1;
	const char *c = value;

	if (*c < '0' || *c > '9')
		return -EINVAL;
	for (; *c >= '0' && *c <= '9'; c++) {
		if (n > (UINT64_MAX - 9) / 10)
			return -ERANGE;
		n = n * 10 + (uint64_t)(*c - '0');
	}
	switch (*c) {
	case '\0':
		break;
	case 'K':
	case 'k':
		mult = 1ull << 10;
		break;
	case 'M':
	case 'm':
		mult = 1ull << 20;
		break;
	case 'G':
	case 'g':
		mult = 1ull << 30;
		break;
	default:
		return -EINVAL;
	}
	if (*c && c[1])
		return -EINVAL;
	if (n > UINT64_MAX / mult)
		return -ERANGE;
	*out = n * mult;
	return 0;
}

static int set_epc_size(struct parse *p, const struct key *k, const char *value)
{
	uint64_t size;
	int rc = parse_size(value, &size);

	if (rc == -ERANGE)
		return fail(p, "%s: \"%s\" is out of range", k->name, value);
	if (rc)
		return fail(p, "%s: \"%s\" is not a size (a number with an optional K, M or G)",
			    k->name, value);
	if (size % 4096)
		return fail(p, "%s: %" PRIu64 " bytes is not a multiple of the 4096-byte page",
			    k->name, size);
	if (size < EPC_MIN || size > EPC_MAX)
		return fail(p, "%s: %" PRIu64 " bytes is outside 64K..512G", k->name, size);
	p->cfg->epc_size = size;
	return 0;
}

#define CFG_OFF(f) offsetof(struct softsgx_config, f)

static const struct key keys[] = {
    {"modules", set_modules, 0},
    {"inode", set_inode, 0},
    {"page_prot", set_page_prot, 0},
    {"selinux.mode", set_selinux_mode, 0},
    {"selinux.policy", set_path_key, CFG_OFF(policy)},
    {"selinux.file_contexts", set_path_key, CFG_OFF(file_contexts)},
    {"selinux.enclave_contexts", set_path_key, CFG_OFF(enclave_contexts)},
    {"selinux.context", set_context, CFG_OFF(context)},
    {"selinux.default_enclave_context", set_context, CFG_OFF(default_enclave_context)},
    {"launch.list", set_path_key, CFG_OFF(launch_list)},
    {"audit", set_audit, CFG_OFF(audit)},
    {"platform.epc_size", set_epc_size, 0},
    {"platform.sgx2", set_sgx2, 0},
    {"platform.state_dir", set_path_key, CFG_OFF(state_dir)},
};

#define NR_KEYS ((int)(sizeof(keys) / sizeof(keys[0])))
_Static_assert(sizeof(keys) / sizeof(keys[0]) <= 32, "parse.key_line holds every key");

static int parse_line(struct parse *p, char *line)
{
	char *eq, *key, *value;

	line = trim(line);
	if (!*line || *line == '#')
		return 0;
	eq = strchr(line, '=');
	if (!eq)
		return fail(p, "expected \"key = value\", found \"%.60s\"", line);
	*eq = '\0';
	key = trim(line);
	value = trim(eq + 1);
	if (!*key)
		return fail(p, "a value without a key");
	for (int i = 0; i < NR_KEYS; i++) {
		if (strcmp(keys[i].name, key))
			continue;
		if (p->key_line[i])
			return fail(p, "duplicate key \"%s\" (first set on line %d)", key,
				    p->key_line[i]);
		if (!*value)
			return fail(p, "%s: empty value", key);
		p->key_line[i] = p->line;
		return keys[i].set(p, &keys[i], value);
	}
	return fail(p, "unknown key \"%.60s\"", key);
}

static int key_index(const char *name)
{
	for (int i = 0; i < NR_KEYS; i++)
		if (!strcmp(keys[i].name, name))
			return i;
	return -1;
}

/* A module without what it cannot work without; reported on the `modules` line. */
static int check_modules(struct parse *p)
{
	const struct softsgx_config *cfg = p->cfg;
	int modules_line = p->key_line[key_index("modules")];

	for (int i = 0; i < cfg->nr_modules; i++) {
		if (strcmp(cfg->modules[i], "selinux"))
			continue;
		if (!cfg->policy[0]) {
			p->line = modules_line ? modules_line : p->line;
			return fail(p, "module selinux is enabled but selinux.policy is not set");
		}
	}
	return 0;
}

static int parse_text(struct parse *p, const char *text, size_t len)
{
	char line[8192];
	size_t pos = 0;
	int rc;

	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;

		p->line++;
		if (memchr(text + pos, '\0', n))
			return fail(p, "a NUL byte in the line");
		if (n >= sizeof(line))
			return fail(p, "line longer than %zu bytes", sizeof(line) - 1);
		memcpy(line, text + pos, n);
		line[n] = '\0';
		if (n && line[n - 1] == '\r')
			line[n - 1] = '\0';
		rc = parse_line(p, line);
		if (rc)
			return rc;
		pos += n + 1;
	}
	return check_modules(p);
}

static int parse_into(struct softsgx_config *cfg, const char *text, size_t len, const char *name,
		      const char *base_dir, struct softsgx_err *err)
{
	struct parse p = {.name = name ? name : "(config)", .base_dir = base_dir, .err = err};
	int rc;

	/* Work on a copy: a refused file leaves @cfg exactly as it was. */
	p.cfg = malloc(sizeof(*p.cfg));
	if (!p.cfg)
		return softsgx_fail(err, -ENOMEM, "%s: out of memory", p.name);
	memcpy(p.cfg, cfg, sizeof(*cfg));
	rc = parse_text(&p, text, len);
	if (!rc)
		memcpy(cfg, p.cfg, sizeof(*cfg));
	free(p.cfg);
	return rc;
}

int softsgx_config_parse(struct softsgx_config *cfg, const char *text, size_t len, const char *name,
			 struct softsgx_err *err)
{
	return parse_into(cfg, text, len, name, NULL, err);
}

static int read_file(const char *path, char **text, size_t *len, struct softsgx_err *err)
{
	struct stat st;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return softsgx_fail(err, -errno, "%s: cannot open: %s", path, strerror(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size > CONFIG_MAX_SIZE) {
		close(fd);
		return softsgx_fail(err, -EINVAL, "%s: not a regular file of at most %u bytes",
				    path, CONFIG_MAX_SIZE);
	}
	*text = malloc((size_t)st.st_size + 1);
	if (!*text) {
		close(fd);
		return softsgx_fail(err, -ENOMEM, "%s: out of memory", path);
	}
	*len = 0;
	while ((n = read(fd, *text + *len, (size_t)st.st_size - *len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			close(fd);
			free(*text);
			return softsgx_fail(err, -e, "%s: read: %s", path, strerror(e));
		}
		*len += (size_t)n;
		if (*len == (size_t)st.st_size)
			break;
	}
	close(fd);
	return 0;
}

int softsgx_config_load(struct softsgx_config *cfg, const char *path, struct softsgx_err *err)
{
	char dir[PATH_MAX], *slash, *text = NULL;
	size_t len = 0;
	int rc;

	rc = read_file(path, &text, &len, err);
	if (rc)
		return rc;
	/* Relative paths in the file are taken from the file's own directory. */
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0';
	rc = parse_into(cfg, text, len, path, slash ? dir : ".", err);
	free(text);
	return rc;
}
