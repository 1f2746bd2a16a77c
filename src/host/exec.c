/* SPDX-License-Identifier: MIT */
/*
 * Exec'd programs get the emulation again, with every lookup style of the vDSO entry.
 *
 * The environment: LD_PRELOAD and the SOFTSGX_* variables normally travel in it; an explicit
 * one (execve, execvpe, execle, posix_spawn*) may lack them (env -i, a sanitised environment),
 * so those get back the ones this process started with.  The entry points that pass environ
 * leave it as the program made it.
 *
 * The ld.so style: `softsgx run` armed a ptrace helper before its own exec (launch.c); an exec
 * here must be armed the same way.  An exec of a dynamically linked ELF program goes through the
 * launcher instead (`softsgx run --exec-armed`, launch.h), which arms in a fresh single-threaded
 * process image and execs the program: same pid, parent, argv and environment.  Everything the
 * plain exec could refuse is checked before the caller's image is given up (the program and its
 * interpreter exist and are executable, a regular file, an ELF64 x86-64 with PT_INTERP, not
 * set-ID or with file capabilities), and when the launcher itself cannot be exec'd the plain
 * exec runs and its errno is the caller's.  Anything else (scripts, static or 32-bit programs,
 * files we cannot read) is the plain exec.  docs/host.md, "Programs the program execs".
 *
 * glibc's execv, execvp, execl* and posix_spawnp reach execve through internal aliases, so each
 * is interposed here, not just execve.  No memory is allocated for the usual sizes: a vfork
 * child runs these on its parent's heap, and a successful exec would leak it there.
 */
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "host.h"
#include "launch.h"

#define EXPORT __attribute__((visibility("default")))

extern char **environ;

static const char *const carried[] = {
    "LD_PRELOAD",      SOFTSGX_ENV_CONF,   SOFTSGX_ENV_CONTEXT,
    SOFTSGX_ENV_QUIET, SOFTSGX_ENV_WARNED, LAUNCH_ENV_LAUNCHER,
};
#define NR_CARRIED (sizeof(carried) / sizeof(carried[0]))

/* "NAME=value" as this process started (getenv at load time), or NULL. */
static char *initial[NR_CARRIED];

__attribute__((constructor)) static void exec_init(void)
{
	for (size_t i = 0; i < NR_CARRIED; i++) {
		const char *v = getenv(carried[i]);
		size_t n = strlen(carried[i]);

		if (!v || !(initial[i] = malloc(n + strlen(v) + 2)))
			continue;
		memcpy(initial[i], carried[i], n);
		initial[i][n] = '=';
		strcpy(initial[i] + n + 1, v);
	}
}

/* ---- string vectors: on the stack up to INLINE_SLOTS entries ---- */

#define INLINE_SLOTS 128

struct strv {
	char **v;
	size_t n;
	char *inl[INLINE_SLOTS];
};

static bool strv_init(struct strv *s, size_t slots)
{
	s->n = 0;
	s->v = slots <= INLINE_SLOTS ? s->inl : malloc(slots * sizeof(char *));
	return s->v != NULL;
}

static void strv_free(struct strv *s)
{
	int saved = errno;

	if (s->v != s->inl)
		free(s->v);
	errno = saved;
}

static size_t count(char *const v[])
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}

/* The entry NAME=... of @envp, or -1. */
static long find_var(char *const envp[], const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; envp && envp[i]; i++)
		if (!strncmp(envp[i], name, n) && envp[i][n] == '=')
			return (long)i;
	return -1;
}

/* @envp plus the carried variables it lacks, into @env; false when out of memory. */
static bool emulation_env(struct strv *env, char *const envp[])
{
	size_t n = count(envp);

	if (!strv_init(env, n + NR_CARRIED + 1))
		return false;
	for (size_t i = 0; i < n; i++)
		env->v[env->n++] = envp[i];
	for (size_t i = 0; i < NR_CARRIED; i++)
		if (initial[i] && find_var(envp, carried[i]) < 0)
			env->v[env->n++] = initial[i];
	env->v[env->n] = NULL;
	return true;
}

#define REAL(name)                                                                                 \
	({                                                                                         \
		static __typeof__(name) *real_##name;                                              \
		if (!real_##name)                                                                  \
			real_##name = (__typeof__(name) *)dlsym(RTLD_NEXT, #name);                 \
		real_##name;                                                                       \
	})

/* ---- which programs go through the launcher ---- */

/* What execve checks first: the file exists, is a regular file, and we may execute it. */
static bool executable_file(const char *path)
{
	struct stat st;

	return !faccessat(AT_FDCWD, path, X_OK, AT_EACCESS) && !stat(path, &st) &&
	       S_ISREG(st.st_mode);
}

/* The ELF64 x86-64 program on @fd has a PT_INTERP that execve will find and may execute. */
static bool has_usable_interp(int fd)
{
	Elf64_Phdr ph[64];
	Elf64_Ehdr eh;
	char interp[PATH_MAX];

	if (pread(fd, &eh, sizeof(eh), 0) != sizeof(eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_X86_64 ||
	    (eh.e_type != ET_EXEC && eh.e_type != ET_DYN) || eh.e_phentsize != sizeof(ph[0]) ||
	    !eh.e_phnum || eh.e_phnum > 64)
		return false;
	if (pread(fd, ph, eh.e_phnum * sizeof(ph[0]), (off_t)eh.e_phoff) !=
	    (ssize_t)(eh.e_phnum * sizeof(ph[0])))
		return false;
	for (int i = 0; i < eh.e_phnum; i++) {
		if (ph[i].p_type != PT_INTERP)
			continue;
		if (ph[i].p_filesz < 2 || ph[i].p_filesz > sizeof(interp) ||
		    pread(fd, interp, ph[i].p_filesz, (off_t)ph[i].p_offset) !=
			(ssize_t)ph[i].p_filesz ||
		    interp[ph[i].p_filesz - 1])
			return false;
		return executable_file(interp);
	}
	return false; /* static: LD_PRELOAD cannot reach it anyway */
}

/*
 * Whether an exec of @path should go through the launcher: a dynamic ELF program the plain exec
 * would start (so no error of its is hidden), which ptrace may trace without costing it
 * privileges (not set-ID, no file capabilities; ld.so would ignore LD_PRELOAD there anyway).
 */
static bool wants_launcher(const char *path)
{
	struct stat st;
	bool ok;
	int fd;

	if (!path[0] || !executable_file(path))
		return false;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false; /* execute-only: the plain exec can run it, we cannot look */
	ok = !fstat(fd, &st) && S_ISREG(st.st_mode) && !(st.st_mode & (S_ISUID | S_ISGID)) &&
	     fgetxattr(fd, "security.capability", NULL, 0) <= 0 && has_usable_interp(fd);
	close(fd);
	return ok;
}

/* The launcher named in @env (LAUNCH_ENV_LAUNCHER), or NULL: none, or empty (do not arm). */
static const char *launcher_of(char *const env[])
{
	long i = find_var(env, LAUNCH_ENV_LAUNCHER);
	const char *v = i < 0 ? NULL : env[i] + strlen(LAUNCH_ENV_LAUNCHER) + 1;

	return v && v[0] == '/' ? v : NULL;
}

/*
 * @file as execvp finds it, into @out: with a slash as is, else the first PATH entry that is a
 * regular file we may execute (the one execvp's execve would start).  false: none.
 */
static bool search_path(const char *file, char *out, size_t size)
{
	const char *path = getenv("PATH"), *p, *end;

	if (!file[0] || strlen(file) >= size)
		return false;
	if (strchr(file, '/')) {
		strcpy(out, file);
		return true;
	}
	for (p = path ? path : "/bin:/usr/bin";; p = end + 1) {
		size_t len;

		end = strchrnul(p, ':');
		len = (size_t)(end - p);
		if ((size_t)snprintf(out, size, "%.*s%s%s", (int)len, p, len ? "/" : "", file) <
			size &&
		    executable_file(out))
			return true;
		if (!*end)
			return false;
	}
}

/*
 * A path that names another file in another process: /proc/self/exe is the launcher's own in
 * the launcher, /dev/fd/N is gone when N is close-on-exec.  Resolved to the file itself here
 * (the same inode); false when it cannot be (a deleted file, a memfd): then the plain exec.
 */
static bool process_independent(const char *path, char out[PATH_MAX])
{
	struct stat a, b;

	if (strncmp(path, "/proc/", 6) && strncmp(path, "/dev/", 5)) {
		if (strlen(path) >= PATH_MAX)
			return false;
		strcpy(out, path);
		return true;
	}
	return realpath(path, out) && !strncmp(out, "/", 1) && strncmp(out, "/proc/", 6) &&
	       !stat(path, &a) && !stat(out, &b) && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* What an exec through the launcher execs, built on the caller's stack. */
struct launch_call {
	struct strv argv; /* LAUNCHER run --exec-armed PATH INDEX PRELOAD ARGV... */
	struct strv env;  /* the environment without its LD_PRELOAD entry */
	char index[24];
	char path[PATH_MAX];
};

/* The launcher's call for an exec of @path; false: no launcher, not wanted, or no memory. */
static bool launcher_call(struct launch_call *c, const char *path, char *const argv[], char **env)
{
	const char *launcher = launcher_of(env);
	size_t argc = count(argv), envc = count(env);
	long pre = find_var(env, "LD_PRELOAD");

	/* Only a program that gets the library: without it the image's EENTER would be ENCLU. */
	if (!launcher || !argc || pre < 0 || !strstr(env[pre], "libsoftsgx-preload") ||
	    !process_independent(path, c->path) || !wants_launcher(c->path))
		return false;
	if (!strv_init(&c->argv, argc + 7))
		return false;
	if (!strv_init(&c->env, envc + 1)) {
		strv_free(&c->argv);
		return false;
	}
	snprintf(c->index, sizeof(c->index), "%ld", pre);
	c->argv.v[0] = (char *)launcher;
	c->argv.v[1] = "run";
	c->argv.v[2] = LAUNCH_EXEC_OPTION;
	c->argv.v[3] = c->path;
	c->argv.v[4] = c->index;
	c->argv.v[5] = env[pre] + strlen("LD_PRELOAD=");
	c->argv.n = 6;
	for (size_t i = 0; i < argc; i++)
		c->argv.v[c->argv.n++] = argv[i];
	c->argv.v[c->argv.n] = NULL;
	for (size_t i = 0; i < envc; i++)
		if ((long)i != pre)
			c->env.v[c->env.n++] = env[i];
	c->env.v[c->env.n] = NULL;
	return true;
}

static void launch_call_free(struct launch_call *c)
{
	strv_free(&c->argv);
	strv_free(&c->env);
}

/* Through the launcher when @path wants it; returns only when that did not happen. */
static void exec_launched(const char *path, char *const argv[], char **env)
{
	struct launch_call c;

	if (!launcher_call(&c, path, argv, env))
		return;
	REAL(execve)(c.argv.v[0], c.argv.v, c.env.v);
	launch_call_free(&c);
}

/* ---- the exec family ---- */

/* The exec of @path with @env as it is (the program's own environ, or one completed). */
static int exec_as_is(const char *path, char *const argv[], char **env)
{
	exec_launched(path, argv, env);
	return REAL(execve)(path, argv, env);
}

static int execp_as_is(const char *file, char *const argv[], char **env)
{
	char path[PATH_MAX];

	if (search_path(file, path, sizeof(path)))
		exec_launched(path, argv, env);
	return REAL(execvpe)(file, argv, env);
}

EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
	struct strv env;
	int ret;

	if (!emulation_env(&env, envp))
		return REAL(execve)(path, argv, envp);
	ret = exec_as_is(path, argv, env.v);
	strv_free(&env);
	return ret;
}

EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
	struct strv env;
	int ret;

	if (!emulation_env(&env, envp))
		return REAL(execvpe)(file, argv, envp);
	ret = execp_as_is(file, argv, env.v);
	strv_free(&env);
	return ret;
}

/*
 * The entry points without an environment argument pass the program's environ as it is: a
 * program that took LD_PRELOAD out of its own environment meant it (a debugger it starts must
 * not run under the library), and such an exec is not armed either.
 */
EXPORT int execv(const char *path, char *const argv[])
{
	return exec_as_is(path, argv, environ);
}

EXPORT int execvp(const char *file, char *const argv[])
{
	return execp_as_is(file, argv, environ);
}

/* @arg0 and the arguments of execl, execle, execlp after it, up to the NULL, into @argv. */
static bool collect_args(struct strv *argv, const char *arg0, va_list *ap)
{
	size_t n = 1;
	va_list cp;

	va_copy(cp, *ap);
	while (va_arg(cp, char *))
		n++;
	va_end(cp);
	if (!strv_init(argv, n + 1)) {
		errno = E2BIG;
		return false;
	}
	argv->v[argv->n++] = (char *)arg0;
	while (argv->n < n)
		argv->v[argv->n++] = va_arg(*ap, char *);
	argv->v[argv->n] = va_arg(*ap, char *); /* the NULL */
	return true;
}

EXPORT int execl(const char *path, const char *arg0, ...)
{
	struct strv argv;
	va_list ap;
	int ret = -1;

	va_start(ap, arg0);
	if (collect_args(&argv, arg0, &ap)) {
		ret = exec_as_is(path, argv.v, environ);
		strv_free(&argv);
	}
	va_end(ap);
	return ret;
}

EXPORT int execle(const char *path, const char *arg0, ...)
{
	struct strv argv;
	va_list ap;
	int ret = -1;

	va_start(ap, arg0);
	if (collect_args(&argv, arg0, &ap)) {
		ret = execve(path, argv.v, va_arg(ap, char *const *));
		strv_free(&argv);
	}
	va_end(ap);
	return ret;
}

EXPORT int execlp(const char *file, const char *arg0, ...)
{
	struct strv argv;
	va_list ap;
	int ret = -1;

	va_start(ap, arg0);
	if (collect_args(&argv, arg0, &ap)) {
		ret = execp_as_is(file, argv.v, environ);
		strv_free(&argv);
	}
	va_end(ap);
	return ret;
}

/* ---- posix_spawn ---- */

/*
 * posix_spawn of @path through the launcher; -1 when it does not want it.  File actions may
 * change the child's working directory, where a relative @path would name another file than the
 * one checked here: those stay plain.
 */
static int spawn_launched(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
			  const posix_spawnattr_t *attr, char *const argv[], char **env)
{
	struct launch_call c;
	int ret;

	if (path[0] != '/' && fa && fa->__used > 0)
		return -1;
	if (!launcher_call(&c, path, argv, env))
		return -1;
	ret = REAL(posix_spawn)(pid, c.argv.v[0], fa, attr, c.argv.v, c.env.v);
	launch_call_free(&c);
	return ret ? -1 : 0;
}

EXPORT int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
		       const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	struct strv env;
	int ret;

	if (!emulation_env(&env, envp))
		return REAL(posix_spawn)(pid, path, fa, attr, argv, envp);
	ret = spawn_launched(pid, path, fa, attr, argv, env.v);
	if (ret)
		ret = REAL(posix_spawn)(pid, path, fa, attr, argv, env.v);
	strv_free(&env);
	return ret;
}

EXPORT int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
			const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	char path[PATH_MAX];
	struct strv env;
	int ret = -1;

	if (!emulation_env(&env, envp))
		return REAL(posix_spawnp)(pid, file, fa, attr, argv, envp);
	if (search_path(file, path, sizeof(path)))
		ret = spawn_launched(pid, path, fa, attr, argv, env.v);
	if (ret)
		ret = REAL(posix_spawnp)(pid, file, fa, attr, argv, env.v);
	strv_free(&env);
	return ret;
}
