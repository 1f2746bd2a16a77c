/* SPDX-License-Identifier: MIT */
/*
 * softsgx run [--conf FILE] [--context SCON] [--] PROGRAM [ARGS...]: run an unmodified SGX
 * program on the emulated platform.  The program is exec'd with libsoftsgx-preload.so in
 * LD_PRELOAD and the configuration in the environment (SOFTSGX_CONF, SOFTSGX_CONTEXT), so that
 * its children and the programs it execs get the emulation too.  The configuration is checked
 * here first: a malformed file is refused with its line before anything runs.
 *
 * Before the exec, a ptrace helper is armed (src/host/launch.c) that makes the program's ld.so
 * take the substitute vDSO for linux-vdso.so.1, so that programs resolving
 * __vdso_sgx_enter_enclave through ld.so find it too; where ptrace is refused the run goes on
 * without, saying so.  The program itself is exec'd by this process, as without the helper: same
 * pid, parent and exit status.
 *
 * Programs the program execs are armed the same way: the preload library's exec wrappers exec
 * this binary in a hidden mode (run_exec_armed, `softsgx run --exec-armed`, launch.h), whose
 * path `softsgx run` passes in SOFTSGX_LAUNCHER.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <asm/prctl.h>
#include <cpuid.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "softsgx/config.h"

#include "commands.h"
#include "host_paths.h"
#include "launch.h"

static void run_usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: softsgx run [--conf FILE] [--context SCON] [--no-ptrace] [--] PROGRAM "
	    "[ARGS...]\n\n"
	    "Run PROGRAM, a dynamically linked program written for Linux SGX (/dev/sgx_enclave,\n"
	    "the SGX ioctls, __vdso_sgx_enter_enclave or raw ENCLU), on the emulated SGX\n"
	    "platform.  Its children and the programs it execs run on it too.\n\n"
	    "  --conf FILE      the softsgx configuration (security modules, platform, "
	    "state_dir);\n"
	    "                   default: $SOFTSGX_CONF, else built-in defaults\n"
	    "  --context SCON   the SELinux context the program runs in (when the host has "
	    "none)\n"
	    "  --no-ptrace      do not advertise the substitute vDSO to ld.so at exec, neither\n"
	    "                   PROGRAM's nor that of the programs it execs (programs that find\n"
	    "                   __vdso_sgx_enter_enclave through linux-vdso.so.1 then do not\n"
	    "                   find it; getauxval(AT_SYSINFO_EHDR) still does)\n\n"
	    "Environment: SOFTSGX_QUIET=1 silences the host-feature warnings.\n"
	    "Statically linked programs cannot be run (LD_PRELOAD does not reach them).\n");
}

/* The directory of this executable, from /proc/self/exe. */
static int exe_dir(char *dir, size_t size)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n < 0)
		return -errno;
	exe[n] = '\0';
	if ((size_t)snprintf(dir, size, "%s", dirname(exe)) >= size)
		return -ENAMETOOLONG;
	return 0;
}

/* libsoftsgx-preload.so: next to the tool in a build tree, or where it was installed. */
static int find_preload(char *out, size_t size)
{
	static const char *const rel[] = {
	    SOFTSGX_PRELOAD_BUILD_REL,
	    SOFTSGX_PRELOAD_INSTALL_REL,
	};
	char dir[PATH_MAX], path[PATH_MAX * 2];

	if (exe_dir(dir, sizeof(dir)))
		return -ENOENT;
	for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, rel[i]);
		if (!access(path, R_OK) && realpath(path, out) && strlen(out) < size)
			return 0;
	}
	return -ENOENT;
}

static int set_preload(const char *lib)
{
	const char *old = getenv("LD_PRELOAD");
	const char *first = SOFTSGX_PRELOAD_FIRST; /* the sanitizer runtime, in sanitized builds */
	char *val;
	int ret;

	ret = asprintf(&val, "%s%s%s%s%s", first, first[0] ? ":" : "", lib,
		       old && old[0] ? ":" : "", old ? old : "");
	if (ret < 0)
		return -ENOMEM;
	ret = setenv("LD_PRELOAD", val, 1);
	free(val);
	return ret;
}

/* PROGRAM as execvp would find it: a path with a slash as is, else the first match in PATH. */
static int resolve_program(const char *prog, char *out, size_t size)
{
	const char *path = getenv("PATH");
	char *copy, *dir, *save = NULL;
	int ret = -ENOENT;

	if (strchr(prog, '/'))
		return (size_t)snprintf(out, size, "%s", prog) < size ? 0 : -ENAMETOOLONG;
	copy = strdup(path ? path : "/usr/local/bin:/usr/bin:/bin");
	if (!copy)
		return -ENOMEM;
	for (dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		if ((size_t)snprintf(out, size, "%s/%s", dir[0] ? dir : ".", prog) >= size)
			continue;
		if (!access(out, X_OK)) {
			ret = 0;
			break;
		}
	}
	free(copy);
	return ret;
}

/*
 * A statically linked ELF program has no PT_INTERP: ld.so never runs, LD_PRELOAD never
 * applies, and the program would run without SGX while appearing to be emulated.  Refuse it.
 */
static bool is_static_elf(const char *path)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	bool interp = false;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	if (pread(fd, &eh, sizeof(eh), 0) != sizeof(eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_phentsize != sizeof(ph)) {
		close(fd);
		return false;
	}
	for (int i = 0; i < eh.e_phnum && !interp; i++)
		if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + i * sizeof(ph))) ==
			sizeof(ph) &&
		    ph.p_type == PT_INTERP)
			interp = true;
	close(fd);
	return !interp;
}

#ifndef ARCH_SET_CPUID
#define ARCH_SET_CPUID 0x1012
#endif

/*
 * What this host cannot do, said once for the whole run (the library says it again only when
 * started without the launcher): CPUID faulting and protection keys, tried here the way the
 * library will use them.
 */
static void warn_host_features(void)
{
	const char *quiet = getenv("SOFTSGX_QUIET");
	unsigned int a, b, c, d;

	if (quiet && !strcmp(quiet, "1"))
		return;
	if (syscall(SYS_arch_prctl, ARCH_SET_CPUID, 0))
		fprintf(stderr,
			"softsgx: CPUID faulting is not available (arch_prctl(ARCH_SET_CPUID): "
			"%s): programs that execute CPUID see the host CPU, without SGX\n",
			strerror(errno));
	else
		syscall(SYS_arch_prctl, ARCH_SET_CPUID, 1);
	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) || !(c & (1u << 4)))
		fprintf(stderr,
			"softsgx: protection keys are not available on this host (no "
			"pku/ospke): enclave memory is NOT isolated from host code in this run\n");
	if (!(getauxval(AT_HWCAP2) & (1 << 1))) /* HWCAP2_FSGSBASE */
		fprintf(stderr, "softsgx: FSGSBASE is not enabled: FS/GS bases are switched with "
				"arch_prctl (slower enclave entry and exit)\n");
	setenv("SOFTSGX_WARNED", "1", 1);
}

/*
 * Whether to trace the exec of @path: only a file the exec will run (a failed exec would leave
 * this process traced until it exits), and not a set-user-ID, set-group-ID or file-capability
 * program, which gains nothing from the emulation (ld.so ignores LD_PRELOAD for it) and would
 * lose its privileges when exec'd under ptrace.
 */
static bool traceable(const char *path)
{
	struct stat st;

	if (stat(path, &st) || !S_ISREG(st.st_mode) || access(path, X_OK))
		return false;
	return !(st.st_mode & (S_ISUID | S_ISGID)) &&
	       getxattr(path, "security.capability", NULL, 0) <= 0;
}

/*
 * Arm the helper for the exec of @prog; false when ptrace was refused (said unless quiet).  A
 * child subreaper is not armed: the double-forked helper would be reparented to it, and the
 * program would find an unknown child in its wait().
 */
static bool arm_vdso_for_ldso(const char *prog)
{
	const char *quiet = getenv("SOFTSGX_QUIET");
	bool q = quiet && !strcmp(quiet, "1");
	struct softsgx_err err = {0};
	int subreaper = 0;

	if (!traceable(prog))
		return true;
	if (!prctl(PR_GET_CHILD_SUBREAPER, &subreaper) && subreaper) {
		if (!q)
			fprintf(stderr, LAUNCH_VDSO_UNAVAILABLE "\n",
				"this process is a child subreaper: the ptrace helper would become "
				"the program's child");
		return true;
	}
	if (!launch_vdso_arm(q, &err))
		return true;
	if (!q)
		fprintf(stderr, LAUNCH_VDSO_UNAVAILABLE "\n", err.msg);
	return false;
}

/* This executable's absolute path, for LAUNCH_ENV_LAUNCHER; "" when unknown (do not arm). */
static const char *launcher_path(char *out, size_t size)
{
	ssize_t n = readlink("/proc/self/exe", out, size - 1);

	if (n <= 0 || out[0] != '/')
		return "";
	out[n] = '\0';
	return out;
}

/* The environment the exec wrapper took LD_PRELOAD out of, with it back at @index. */
static char **env_with_preload(const char *index, const char *preload)
{
	size_t n = 0, at;
	char **env, *entry;

	while (environ[n])
		n++;
	at = strtoul(index, NULL, 10);
	if (at > n || asprintf(&entry, "LD_PRELOAD=%s", preload) < 0 ||
	    !(env = malloc((n + 2) * sizeof(*env))))
		return environ;
	memcpy(env, environ, at * sizeof(*env));
	env[at] = entry;
	memcpy(env + at + 1, environ + at, (n - at + 1) * sizeof(*env));
	return env;
}

/*
 * softsgx run --exec-armed PATH INDEX PRELOAD ARGV...: an exec of the program's, sent here by
 * the preload library's wrappers (src/host/exec.c) in the caller's pid, which checked that PATH
 * is a dynamic ELF program the kernel will start.  Arm as `softsgx run` does and exec PATH with
 * ARGV and the caller's environment.  Where ptrace is refused, LAUNCH_ENV_LAUNCHER is emptied
 * so that the programs exec'd below do not try again (and say so again).  Should the exec fail
 * after all (a race with the file, ETXTBSY, an LSM), the caller is already gone: say it and exit
 * as a shell would.
 */
static int run_exec_armed(int argc, char **argv)
{
	const char *path;
	char **env;
	int err;

	if (argc < 6)
		return tool_usage_error("run", "%s: expected PATH INDEX PRELOAD ARGV...",
					LAUNCH_EXEC_OPTION);
	path = argv[2];
	env = env_with_preload(argv[3], argv[4]);
	environ = env;
	if (!arm_vdso_for_ldso(path))
		setenv(LAUNCH_ENV_LAUNCHER, "", 1);
	execve(path, argv + 5, environ);
	err = errno;
	tool_error("run: %s: %s (exec'd through the launcher, the calling program is gone)", path,
		   strerror(err));
	return err == ENOENT ? 127 : 126;
}

static int check_conf(const char *path, char *abs, size_t size)
{
	struct softsgx_config *cfg = malloc(sizeof(*cfg));
	struct softsgx_err err = {0};
	int ret;

	if (!cfg)
		return tool_error("out of memory");
	softsgx_config_defaults(cfg);
	ret = softsgx_config_load(cfg, path, &err);
	free(cfg);
	if (ret)
		return tool_error("run: %s", err.msg[0] ? err.msg : strerror(-ret));
	if (!realpath(path, abs) || strlen(abs) >= size)
		return tool_error("run: %s: %s", path, strerror(errno));
	return 0;
}

int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {"conf", required_argument, NULL, 'c'},
	    {"context", required_argument, NULL, 'Z'},
	    {"no-ptrace", no_argument, NULL, 'P'},
	    {NULL, 0, NULL, 0},
	};
	const char *conf = NULL, *context = NULL;
	char lib[PATH_MAX], conf_abs[PATH_MAX], prog[PATH_MAX];
	char self[PATH_MAX];
	bool use_ptrace = true, found;
	int c;

	if (argc > 1 && !strcmp(argv[1], LAUNCH_EXEC_OPTION))
		return run_exec_armed(argc, argv);

	/* "+": stop at PROGRAM, whose own options are its own. */
	while ((c = getopt_long(argc, argv, "+hc:Z:", opts, NULL)) != -1) {
		if (c == 'h') {
			run_usage(stdout);
			return 0;
		} else if (c == 'c') {
			conf = optarg;
		} else if (c == 'Z') {
			context = optarg;
		} else if (c == 'P') {
			use_ptrace = false;
		} else {
			return tool_usage_error("run", "unknown option");
		}
	}
	if (optind >= argc)
		return tool_usage_error("run", "expected PROGRAM");
	found = !resolve_program(argv[optind], prog, sizeof(prog));
	if (found && is_static_elf(prog))
		return tool_error("run: %s is statically linked: LD_PRELOAD cannot reach it, so it "
				  "would run without the SGX emulation (link it dynamically)",
				  prog);
	if (conf) {
		if (check_conf(conf, conf_abs, sizeof(conf_abs)))
			return 1;
		setenv("SOFTSGX_CONF", conf_abs, 1);
	}
	if (context)
		setenv("SOFTSGX_CONTEXT", context, 1);
	if (find_preload(lib, sizeof(lib)))
		return tool_error("run: libsoftsgx-preload.so not found next to this program "
				  "(looked in <bindir>/%s and <bindir>/%s)",
				  SOFTSGX_PRELOAD_BUILD_REL, SOFTSGX_PRELOAD_INSTALL_REL);
	warn_host_features();
	if (set_preload(lib))
		return tool_error("run: cannot set LD_PRELOAD: %s", strerror(errno));
	/* Programs exec'd below are armed through this binary, unless this one was not. */
	setenv(LAUNCH_ENV_LAUNCHER, use_ptrace ? launcher_path(self, sizeof(self)) : "", 1);
	if (use_ptrace && found && !arm_vdso_for_ldso(prog))
		setenv(LAUNCH_ENV_LAUNCHER, "", 1);
	execvp(argv[optind], argv + optind);
	tool_error("run: %s: %s", argv[optind], strerror(errno));
	return errno == ENOENT ? 127 : 126;
}
