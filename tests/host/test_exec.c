/* SPDX-License-Identifier: MIT */
/*
 * Programs exec'd by a program under `softsgx run` get every lookup style of the vDSO entry
 * again (src/host/exec.c): each way a program starts another (the exec family, posix_spawn, a
 * vfork child, a thread of a multi-threaded process, /bin/sh through system, popen and a #!
 * script) starts exec_target, which finds __vdso_sgx_enter_enclave through ld.so
 * (dlopen("linux-vdso.so.1", RTLD_NOLOAD) + dlsym) and enters the example enclave with it.  It
 * reports its pid, parent, argv[0] and environment, which must be what a plain exec gives.  And
 * the exec calls keep their contract: a failing one returns -1 with the kernel's errno and the
 * caller goes on.
 *
 * usage (from meson.build, under `softsgx run`): test_host_exec ENCLAVE.sgxs ENCLAVE.sig
 * ENCLAVE.elf EXEC_TARGET
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "host_test.h"

extern char **environ;

struct host_test_args host_test_args;

static char target[PATH_MAX];	/* exec_target, absolute */
static const char *target_name; /* its file name, found through PATH by the p variants */
static char work[PATH_MAX];	/* scratch files next to it */

/* ---- how the target is started ---- */

/* What a start function is given: the target's command line and an explicit environment. */
struct launch {
	const char *path;
	char *argv[8];
	char *envp[3];
	char fd[16], style[64];
};

static pid_t fork_or_die(void)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	return pid;
}

#define IN_CHILD(call)                                                                             \
	do {                                                                                       \
		pid_t pid_ = fork_or_die();                                                        \
		if (pid_ == 0) {                                                                   \
			call;                                                                      \
			_exit(127);                                                                \
		}                                                                                  \
		return pid_;                                                                       \
	} while (0)

static pid_t by_execve(struct launch *l)
{
	IN_CHILD(execve(l->path, l->argv, l->envp));
}

static pid_t by_execv(struct launch *l)
{
	IN_CHILD(execv(l->path, l->argv));
}

static pid_t by_execvp(struct launch *l)
{
	IN_CHILD(execvp(target_name, l->argv));
}

static pid_t by_execvpe(struct launch *l)
{
	IN_CHILD(execvpe(target_name, l->argv, l->envp));
}

static pid_t by_execl(struct launch *l)
{
	char **a = l->argv;

	IN_CHILD(execl(l->path, a[0], a[1], a[2], a[3], a[4], a[5], a[6], (char *)NULL));
}

static pid_t by_execle(struct launch *l)
{
	char **a = l->argv;

	IN_CHILD(execle(l->path, a[0], a[1], a[2], a[3], a[4], a[5], a[6], (char *)NULL, l->envp));
}

static pid_t by_execlp(struct launch *l)
{
	char **a = l->argv;

	IN_CHILD(execlp(target_name, a[0], a[1], a[2], a[3], a[4], a[5], a[6], (char *)NULL));
}

static pid_t by_vfork(struct launch *l)
{
	pid_t pid = vfork();

	if (pid == 0) {
		execve(l->path, l->argv, l->envp);
		_exit(127);
	}
	assert_true(pid > 0);
	return pid;
}

static void *exec_from_thread(void *arg)
{
	struct launch *l = arg;

	execve(l->path, l->argv, l->envp);
	_exit(127);
}

static void *idle(void *arg)
{
	(void)arg;
	sleep(3600); /* until the exec of another thread ends this one */
	return NULL;
}

/* A child with three threads; the last one created execs, the main thread waits. */
static pid_t by_thread(struct launch *l)
{
	pthread_t idler, execer;

	IN_CHILD({
		if (!pthread_create(&idler, NULL, idle, NULL) &&
		    !pthread_create(&execer, NULL, exec_from_thread, l))
			pthread_join(execer, NULL);
	});
}

static pid_t by_posix_spawn(struct launch *l)
{
	pid_t pid = -1;

	assert_int_equal(posix_spawn(&pid, l->path, NULL, NULL, l->argv, l->envp), 0);
	return pid;
}

static pid_t by_posix_spawnp(struct launch *l)
{
	pid_t pid = -1;

	assert_int_equal(posix_spawnp(&pid, target_name, NULL, NULL, l->argv, l->envp), 0);
	return pid;
}

/* "exec TARGET ARGS..." for /bin/sh (argv[0] is the shell's to choose). */
static void shell_command(const struct launch *l, char *cmd, size_t size)
{
	size_t n = (size_t)snprintf(cmd, size, "exec %s", l->path);

	for (int i = 1; l->argv[i]; i++)
		n += (size_t)snprintf(cmd + n, size - n, " '%s'", l->argv[i]);
	assert_true(n < size);
}

/* system() and popen() in a child of ours: the shell's parent, so the target's, is that child. */
static pid_t by_system(struct launch *l)
{
	char cmd[PATH_MAX * 2];

	shell_command(l, cmd, sizeof(cmd));
	IN_CHILD({
		int st = system(cmd);

		_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 126);
	});
}

static pid_t by_popen(struct launch *l)
{
	char cmd[PATH_MAX * 2];

	shell_command(l, cmd, sizeof(cmd));
	IN_CHILD({
		FILE *p = popen(cmd, "r");
		int st;

		if (!p)
			_exit(126);
		while (fgetc(p) != EOF)
			;
		st = pclose(p);
		_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 126);
	});
}

/* A #! script (plain exec: the shell is not armed) whose shell execs the target (armed). */
static pid_t by_script(struct launch *l)
{
	char script[PATH_MAX + 32];
	FILE *f;

	snprintf(script, sizeof(script), "%s/exec-target.sh", work);
	f = fopen(script, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\nexec %s \"$@\"\n", l->path);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(script, 0755), 0);
	IN_CHILD(execve(script, l->argv, l->envp));
}

/* ---- what the target reports ---- */

enum expect_env { ENV_GIVEN, ENV_INHERITED, ENV_SHELL };
enum expect_pid { PID_STARTED, PID_SHELLS };

struct style {
	const char *name;
	pid_t (*start)(struct launch *l);
	enum expect_env env; /* ENV_GIVEN: l->envp; ENV_INHERITED: ours; ENV_SHELL: unchecked */
	enum expect_pid pid; /* PID_STARTED: the started pid itself; PID_SHELLS: its grandchild */
	bool argv0_kept;     /* false where /bin/sh chose argv[0] */
};

static const struct style styles[] = {
    {"execve", by_execve, ENV_GIVEN, PID_STARTED, true},
    {"execv", by_execv, ENV_INHERITED, PID_STARTED, true},
    {"execvp", by_execvp, ENV_INHERITED, PID_STARTED, true},
    {"execvpe", by_execvpe, ENV_GIVEN, PID_STARTED, true},
    {"execl", by_execl, ENV_INHERITED, PID_STARTED, true},
    {"execle", by_execle, ENV_GIVEN, PID_STARTED, true},
    {"execlp", by_execlp, ENV_INHERITED, PID_STARTED, true},
    {"vfork+execve", by_vfork, ENV_GIVEN, PID_STARTED, true},
    {"execve from a thread", by_thread, ENV_GIVEN, PID_STARTED, true},
    {"posix_spawn", by_posix_spawn, ENV_GIVEN, PID_STARTED, true},
    {"posix_spawnp", by_posix_spawnp, ENV_GIVEN, PID_STARTED, true},
    {"system", by_system, ENV_SHELL, PID_SHELLS, false},
    {"popen", by_popen, ENV_SHELL, PID_SHELLS, false},
    {"#! script", by_script, ENV_SHELL, PID_STARTED, false},
};

struct report {
	pid_t pid, ppid;
	char argv0[8192];
	char *env[256];
	int nenv;
	bool ok;
};

static void read_report(int fd, struct report *r)
{
	FILE *f = fdopen(fd, "r");
	char line[8192];

	assert_non_null(f);
	memset(r, 0, sizeof(*r));
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (!strncmp(line, "pid ", 4))
			r->pid = atoi(line + 4);
		else if (!strncmp(line, "ppid ", 5))
			r->ppid = atoi(line + 5);
		else if (!strncmp(line, "argv0 ", 6))
			strcpy(r->argv0, line + 6);
		else if (!strncmp(line, "env ", 4) && r->nenv < 256)
			r->env[r->nenv++] = strdup(line + 4);
		else if (!strcmp(line, "ok"))
			r->ok = true;
	}
	fclose(f);
}

/* The variables exec.c adds back to an environment that lacks them. */
static bool carried(const char *entry)
{
	static const char *const names[] = {
	    "LD_PRELOAD=",    "SOFTSGX_CONF=",	 "SOFTSGX_CONTEXT=",
	    "SOFTSGX_QUIET=", "SOFTSGX_WARNED=", "SOFTSGX_LAUNCHER="};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strncmp(entry, names[i], strlen(names[i])))
			return true;
	return false;
}

/* The target's environment is @want, in order, plus only carried variables after it. */
static void assert_env(const struct report *r, char *const want[])
{
	int n = 0;

	while (want[n]) {
		assert_true(n < r->nenv);
		assert_string_equal(r->env[n], want[n]);
		n++;
	}
	for (int i = n; i < r->nenv; i++)
		if (!carried(r->env[i]))
			fail_msg("the environment gained %s", r->env[i]);
}

static void start_and_check(const struct style *s)
{
	struct launch l = {.path = target};
	char **inherited;
	struct report r;
	int pipefd[2], st;
	pid_t started, parent;

	snprintf(l.style, sizeof(l.style), "EXEC_TEST_STYLE=%s", s->name);
	l.envp[0] = l.style;
	l.envp[1] = "EXEC_TEST_OTHER=x y";
	assert_int_equal(pipe(pipefd), 0);
	snprintf(l.fd, sizeof(l.fd), "%d", pipefd[1]);
	memcpy(l.argv,
	       (char *[]){"exec-target-argv0", "--expect", "ldso", "--report", l.fd,
			  (char *)host_test_args.sgxs, (char *)host_test_args.sig, NULL},
	       sizeof(l.argv));
	setenv("EXEC_TEST_STYLE", s->name, 1);
	inherited = environ;
	started = s->start(&l);
	close(pipefd[1]);
	read_report(pipefd[0], &r);
	assert_int_equal(waitpid(started, &st, 0), started);
	if (!WIFEXITED(st) || WEXITSTATUS(st) || !r.ok)
		fail_msg("%s: the target failed (status %#x; its stderr says why)", s->name, st);
	parent = s->pid == PID_STARTED ? getpid() : started;
	if (s->pid == PID_STARTED)
		assert_int_equal(r.pid, started);
	assert_int_equal(r.ppid, parent);
	if (s->argv0_kept)
		assert_string_equal(r.argv0, "exec-target-argv0");
	if (s->env == ENV_GIVEN)
		assert_env(&r, l.envp);
	else if (s->env == ENV_INHERITED)
		assert_env(&r, inherited);
	unsetenv("EXEC_TEST_STYLE");
	for (int i = 0; i < r.nenv; i++)
		free(r.env[i]);
}

static void every_way_to_start_a_program_gets_the_ldso_lookup_style(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(styles) / sizeof(styles[0]); i++) {
		print_message("%s\n", styles[i].name);
		start_and_check(&styles[i]);
	}
}

/*
 * execv, execvp, execl and execlp pass the program's environ as it is: a program that took
 * LD_PRELOAD out of it (to start a debugger, say) starts the program without the library.
 */
static void exec_without_an_environment_argument_keeps_the_programs_own_changes(void **state)
{
	static const char *const script = "echo \"[${LD_PRELOAD-unset}]\"";
	char *argv[] = {"sh", "-c", (char *)script, NULL};

	(void)state;
	for (int how = 0; how < 4; how++) {
		char out[256] = "";
		int pipefd[2], st;
		pid_t child;

		assert_int_equal(pipe(pipefd), 0);
		child = fork_or_die();
		if (child == 0) {
			dup2(pipefd[1], 1);
			unsetenv("LD_PRELOAD");
			if (how == 0)
				execv("/bin/sh", argv);
			else if (how == 1)
				execvp("sh", argv);
			else if (how == 2)
				execl("/bin/sh", "sh", "-c", script, (char *)NULL);
			else
				execlp("sh", "sh", "-c", script, (char *)NULL);
			_exit(127);
		}
		close(pipefd[1]);
		assert_true(read(pipefd[0], out, sizeof(out) - 1) > 0);
		close(pipefd[0]);
		assert_int_equal(waitpid(child, &st, 0), child);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
		assert_string_equal(out, "[unset]\n");
	}
}

/* ---- failing execs return to the caller ---- */

/* A copy of the target whose PT_INTERP names an interpreter that does not exist. */
static void write_missing_interp_copy(const char *out)
{
	int in = open(target, O_RDONLY), fd;
	struct stat st;
	Elf64_Ehdr *eh;
	Elf64_Phdr *ph;
	char *buf;

	assert_true(in >= 0);
	assert_int_equal(fstat(in, &st), 0);
	buf = malloc((size_t)st.st_size);
	assert_non_null(buf);
	assert_int_equal(read(in, buf, (size_t)st.st_size), st.st_size);
	close(in);
	eh = (Elf64_Ehdr *)buf;
	ph = (Elf64_Phdr *)(buf + eh->e_phoff);
	for (int i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_INTERP)
			buf[ph[i].p_offset + ph[i].p_filesz - 2] = '#'; /* ld-linux-x86-64.so.# */
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, (size_t)st.st_size), st.st_size);
	close(fd);
	free(buf);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	assert_int_equal(chmod(path, mode), 0);
}

enum call { CALL_EXECVE, CALL_EXECV, CALL_EXECL, CALL_EXECVP, CALL_SPAWN, CALL_SPAWNP };

/* The call's result as an errno: -1/errno from the exec family, the return of posix_spawn. */
static int call_failing(enum call c, const char *path)
{
	char *argv[] = {(char *)path, NULL}, *envp[] = {"A=1", NULL};
	pid_t pid;
	int ret;

	errno = 0;
	switch (c) {
	case CALL_EXECVE:
		ret = execve(path, argv, envp);
		break;
	case CALL_EXECV:
		ret = execv(path, argv);
		break;
	case CALL_EXECL:
		ret = execl(path, path, (char *)NULL);
		break;
	case CALL_EXECVP:
		ret = execvp(path, argv);
		break;
	case CALL_SPAWN:
		return posix_spawn(&pid, path, NULL, NULL, argv, envp);
	case CALL_SPAWNP:
		return posix_spawnp(&pid, path, NULL, NULL, argv, envp);
	}
	assert_int_equal(ret, -1);
	return errno;
}

static void failing_execs_return_the_kernels_errno_to_the_caller(void **state)
{
	char missing[PATH_MAX + 32], noexec[PATH_MAX + 32], garbage[PATH_MAX + 32],
	    badinterp[PATH_MAX + 32];
	const struct {
		enum call call;
		const char *path;
		int err;
	} cases[] = {
	    {CALL_EXECVE, missing, ENOENT},  {CALL_EXECV, missing, ENOENT},
	    {CALL_EXECL, missing, ENOENT},   {CALL_EXECVP, "exec-test-no-such-program", ENOENT},
	    {CALL_SPAWN, missing, ENOENT},   {CALL_SPAWNP, "exec-test-no-such-program", ENOENT},
	    {CALL_EXECVE, "/", EACCES},	     {CALL_EXECVE, noexec, EACCES},
	    {CALL_EXECVE, garbage, ENOEXEC}, {CALL_EXECVE, badinterp, ENOENT},
	    {CALL_SPAWN, badinterp, ENOENT},
	};
	pid_t self = getpid();

	(void)state;
	snprintf(missing, sizeof(missing), "%s/no-such-program", work);
	snprintf(noexec, sizeof(noexec), "%s/not-executable", work);
	snprintf(garbage, sizeof(garbage), "%s/garbage", work);
	snprintf(badinterp, sizeof(badinterp), "%s/missing-interpreter", work);
	write_file(noexec, "#!/bin/sh\nexit 0\n", 0644);
	write_file(garbage, "neither ELF nor a script\n", 0755);
	write_missing_interp_copy(badinterp);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int err = call_failing(cases[i].call, cases[i].path);

		if (err != cases[i].err)
			fail_msg("case %zu (%s): %s, expected %s", i, cases[i].path, strerror(err),
				 strerror(cases[i].err));
		assert_int_equal(getpid(), self); /* and we are still here */
	}
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(every_way_to_start_a_program_gets_the_ldso_lookup_style),
	    cmocka_unit_test(exec_without_an_environment_argument_keeps_the_programs_own_changes),
	    cmocka_unit_test(failing_execs_return_the_kernels_errno_to_the_caller),
	};
	char copy[PATH_MAX], *dir, *path;
	const char *old = getenv("PATH");

	host_test_require_emulation();
	if (argc < 5 || !realpath(argv[4], target)) {
		fprintf(stderr, "usage: %s ENCLAVE.sgxs ENCLAVE.sig ENCLAVE.elf EXEC_TARGET\n",
			argv[0]);
		return 2;
	}
	host_test_parse_args(argc, argv);
	snprintf(copy, sizeof(copy), "%s", target);
	dir = dirname(copy);
	target_name = strrchr(target, '/') + 1;
	/* The p variants find the target through PATH. */
	if (asprintf(&path, "%s:%s", dir, old ? old : "/usr/bin:/bin") < 0)
		return 1;
	setenv("PATH", path, 1);
	free(path);
	snprintf(work, sizeof(work), "%s/exec-test-work", dir);
	mkdir(work, 0755);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
