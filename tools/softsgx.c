/* SPDX-License-Identifier: MIT */
/* softsgx: measure, sign, inspect and verify enclaves; check policy; run programs with SGX. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"

/* Subcommands; each cmd_<name>.c defines its main. */
static const struct softsgx_command commands[] = {
	{"measure", cmd_measure, "print the MRENCLAVE of an ELF enclave or .sgxs"},
	{"sign", cmd_sign, "sign an enclave: write its SIGSTRUCT"},
	{"sigstruct", cmd_sigstruct, "print and verify a SIGSTRUCT"},
	{"elf2sgxs", cmd_elf2sgxs, "convert an ELF enclave to an .sgxs stream"},
	{"keygen", cmd_keygen, "generate an RSA-3072 e=3 signing key"},
	{"policy", cmd_policy, "ask a SELinux policy what the enclave controls decide, and why"},
	{"run", cmd_run, "run an unmodified SGX program on the emulated platform"},
	{NULL, NULL, NULL},
};

int tool_error(const char *fmt, ...)
{
	va_list ap;

	fputs("softsgx: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

int tool_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "softsgx %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(see 'softsgx %s --help')\n", cmd);
	return 2;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: softsgx COMMAND [ARGS...]\n\ncommands:\n");
	for (const struct softsgx_command *c = commands; c->name; c++)
		fprintf(out, "  %-12s %s\n", c->name, c->summary);
	fprintf(out, "\n'softsgx COMMAND --help' describes each command.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	for (const struct softsgx_command *c = commands; c->name; c++)
		if (!strcmp(argv[1], c->name))
			return c->main(argc - 1, argv + 1);
	fprintf(stderr, "softsgx: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
