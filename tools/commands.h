/* SPDX-License-Identifier: MIT */
/* The softsgx subcommands: one file each (cmd_<name>.c), listed in softsgx.c's table. */
#ifndef SOFTSGX_TOOLS_COMMANDS_H
#define SOFTSGX_TOOLS_COMMANDS_H

struct softsgx_command {
	const char *name;
	int (*main)(int argc, char **argv); /* argv[0] is the subcommand name */
	const char *summary;
};

/* The enclave commands (cmd_<name>.c). */
int cmd_measure(int argc, char **argv);
int cmd_sign(int argc, char **argv);
int cmd_sigstruct(int argc, char **argv);
int cmd_elf2sgxs(int argc, char **argv);
int cmd_keygen(int argc, char **argv);
int cmd_policy(int argc, char **argv); /* cmd_policy.c: SELinux policy queries */
int cmd_run(int argc, char **argv); /* cmd_run.c: the host layer's launcher */

/* Print "softsgx: <message>" to stderr; returns the exit status 1 (2 for usage errors). */
int tool_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int tool_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
