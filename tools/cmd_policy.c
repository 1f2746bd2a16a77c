/* SPDX-License-Identifier: MIT */
/*
 * softsgx policy check|explain: ask a compiled SELinux policy what the SELinux module would
 * decide for one (source context, target context, class, permissions), and why.  Exit
 * status: 0 allowed, 1 denied, 2 usage or other errors.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "softsgx/config.h"

#include "commands.h"
#include "policy.h"

#define MAX_PERMS 32

struct policy_query {
	const char *policy, *scon, *tcon, *cls;
	const char *perms[MAX_PERMS];
	int nr_perms;
};

static int policy_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Errors exit 2: 1 means "denied". */
static int policy_error(const char *fmt, ...)
{
	va_list ap;

	fputs("softsgx policy: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 2;
}

static void policy_usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: softsgx policy check|explain --context SCON --target TCON --class CLASS\n"
	    "                      --perm PERM [--perm PERM...] [--policy FILE | --conf FILE]\n\n"
	    "check:   print \"allowed\" or \"denied\" with the permissions involved;\n"
	    "         exit 0 when every permission is allowed, 1 when one is denied.\n"
	    "explain: the same, then why, like audit2why: the missing allow rule (type\n"
	    "         enforcement), the constraint that fails, RBAC or bounds.\n\n"
	    "The policy is FILE, else the configuration's selinux.policy, else $SOFTSGX_POLICY.\n"
	    "A class or permission the policy does not define follows its handle_unknown.\n"
	    "Example: softsgx policy check --policy build/policy/policy.bin \\\n"
	    "           --context u:r:app_t --target u:object_r:sgx_enclave_device_t \\\n"
	    "           --class chr_file --perm open --perm read\n");
}

static int add_perms(struct policy_query *q, char *arg)
{
	for (char *tok = strtok(arg, " ,"); tok; tok = strtok(NULL, " ,")) {
		if (q->nr_perms == MAX_PERMS)
			return -1;
		q->perms[q->nr_perms++] = tok;
	}
	return 0;
}

static int policy_from_conf(struct policy_query *q, const char *conf, char *buf, size_t size)
{
	static struct softsgx_config cfg;
	struct softsgx_err err = {0};

	softsgx_config_defaults(&cfg);
	if (softsgx_config_load(&cfg, conf, &err))
		return policy_error("%s", err.msg);
	if (!cfg.policy[0])
		return policy_error("%s sets no selinux.policy", conf);
	snprintf(buf, size, "%s", cfg.policy);
	q->policy = buf;
	return 0;
}

static int parse_args(int argc, char **argv, struct policy_query *q)
{
	static const struct option opts[] = {
	    {"help", no_argument, NULL, 'h'},	      {"policy", required_argument, NULL, 'p'},
	    {"conf", required_argument, NULL, 'f'},   {"context", required_argument, NULL, 's'},
	    {"target", required_argument, NULL, 't'}, {"class", required_argument, NULL, 'c'},
	    {"perm", required_argument, NULL, 'P'},   {NULL, 0, NULL, 0},
	};
	static char conf_policy[4096];
	const char *conf = NULL;
	int c;

	optind = 2; /* argv[0] "policy", argv[1] check|explain */
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			policy_usage(stdout);
			return 1;
		case 'p':
			q->policy = optarg;
			break;
		case 'f':
			conf = optarg;
			break;
		case 's':
			q->scon = optarg;
			break;
		case 't':
			q->tcon = optarg;
			break;
		case 'c':
			q->cls = optarg;
			break;
		case 'P':
			if (add_perms(q, optarg))
				return tool_usage_error("policy", "more than %d permissions",
							MAX_PERMS);
			break;
		default:
			return tool_usage_error("policy", "unknown option");
		}
	}
	if (optind != argc)
		return tool_usage_error("policy", "unexpected argument \"%s\"", argv[optind]);
	if (!q->scon || !q->tcon || !q->cls || !q->nr_perms)
		return tool_usage_error("policy", "--context, --target, --class and --perm are "
						  "required");
	if (!q->policy && conf)
		return policy_from_conf(q, conf, conf_policy, sizeof(conf_policy));
	if (!q->policy)
		q->policy = getenv("SOFTSGX_POLICY");
	if (!q->policy)
		return tool_usage_error("policy", "no policy: give --policy FILE, --conf FILE or "
						  "set SOFTSGX_POLICY");
	return 0;
}

static void print_perms(const char *word, const struct policy_query *q, uint32_t mask)
{
	printf("%s {", word);
	for (int i = 0; i < q->nr_perms; i++)
		if (mask & (1u << i))
			printf(" %s", q->perms[i]);
	printf(" }");
}

/*
 * Resolve the permissions: *known gets, per query permission, its policy bit (0 when the
 * policy lacks it); returns the query-indexed masks of unknown permissions.
 */
static uint32_t resolve_perms(struct sepolicy *p, uint16_t cls, const struct policy_query *q,
			      uint32_t *bits)
{
	uint32_t unknown = 0;

	for (int i = 0; i < q->nr_perms; i++) {
		bits[i] = cls ? sepolicy_perm(p, cls, q->perms[i]) : 0;
		if (!bits[i])
			unknown |= 1u << i;
	}
	return unknown;
}

static int decide(struct sepolicy *p, const struct policy_query *q, bool explain)
{
	struct softsgx_err err = {0};
	uint32_t ssid, tsid, bits[MAX_PERMS], requested = 0, denied_bits = 0;
	uint32_t unknown, denied = 0;
	uint16_t cls = sepolicy_class(p, q->cls);
	enum sepolicy_unknown hu = sepolicy_handle_unknown(p);
	char *why = NULL;

	if (sepolicy_context_to_sid(p, q->scon, &ssid, &err) ||
	    sepolicy_context_to_sid(p, q->tcon, &tsid, &err))
		return policy_error("%s", err.msg);
	unknown = resolve_perms(p, cls, q, bits);
	if (unknown && hu == SEPOLICY_REJECT_UNKNOWN)
		return policy_error("policy %s lacks %s%s and says handle_unknown=reject: the "
				    "module refuses it",
				    q->policy, cls ? "a permission of " : "class ", q->cls);
	for (int i = 0; i < q->nr_perms; i++)
		requested |= bits[i];
	if (cls && requested &&
	    sepolicy_explain(p, ssid, tsid, cls, requested, &denied_bits, &why, &err))
		return policy_error("%s", err.msg);
	for (int i = 0; i < q->nr_perms; i++)
		if ((bits[i] && (denied_bits & bits[i])) ||
		    (!bits[i] && hu == SEPOLICY_DENY_UNKNOWN))
			denied |= 1u << i;
	if (denied)
		print_perms("denied", q, denied);
	else
		print_perms("allowed", q, (1u << q->nr_perms) - 1);
	printf(" for scontext=%s tcontext=%s tclass=%s", q->scon, q->tcon, q->cls);
	if (denied && sepolicy_sid_permissive(p, ssid))
		printf(" (permissive domain: audited, not enforced)");
	printf("\n");
	if (explain) {
		if (unknown) {
			print_perms("  policy does not define", q, unknown);
			printf(" in class %s: handle_unknown=%s %s them\n", q->cls,
			       sepolicy_unknown_name(hu),
			       hu == SEPOLICY_ALLOW_UNKNOWN ? "allows" : "denies");
		}
		if (denied & ~unknown)
			printf("%s", why);
		else if (!denied && requested)
			printf("  allow rules of %s grant %s\n", q->policy,
			       unknown ? "the others" : "it");
	}
	free(why);
	return denied ? 1 : 0;
}

int cmd_policy(int argc, char **argv)
{
	struct policy_query q = {0};
	struct softsgx_err err = {0};
	struct sepolicy *p;
	bool explain;
	int rc;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		policy_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (strcmp(argv[1], "check") && strcmp(argv[1], "explain"))
		return tool_usage_error("policy", "unknown action \"%s\" (check or explain)",
					argv[1]);
	explain = !strcmp(argv[1], "explain");
	rc = parse_args(argc, argv, &q);
	if (rc)
		return rc == 1 ? 0 : rc;
	if (sepolicy_load(&p, q.policy, &err))
		return policy_error("%s", err.msg);
	rc = decide(p, &q, explain);
	sepolicy_free(p);
	return rc;
}
