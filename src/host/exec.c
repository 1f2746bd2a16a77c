/* SPDX-License-Identifier: MIT */
/*
 * Exec'd programs get the emulation again.  LD_PRELOAD and the SOFTSGX_* variables normally
 * travel in the environment; the entry points that take an explicit environment (execve,
 * execvpe, posix_spawn, posix_spawnp) may be given one without them (env -i, a sanitised
 * environment), so those get the variables this process started with added back.
 */
#include <dlfcn.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host.h"

#define EXPORT __attribute__((visibility("default")))

static const char *const carried[] = {
    "LD_PRELOAD",
    SOFTSGX_ENV_CONF,
    SOFTSGX_ENV_CONTEXT,
    SOFTSGX_ENV_QUIET,
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

static bool has_var(char *const envp[], const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; envp && envp[i]; i++)
		if (!strncmp(envp[i], name, n) && envp[i][n] == '=')
			return true;
	return false;
}

/* @envp plus the carried variables it lacks; @envp itself when it lacks none. */
static char **emulation_env(char *const envp[])
{
	size_t n = 0, missing = 0;
	char **out;

	for (size_t i = 0; i < NR_CARRIED; i++)
		if (initial[i] && !has_var(envp, carried[i]))
			missing++;
	if (!missing)
		return (char **)envp;
	while (envp && envp[n])
		n++;
	out = malloc((n + missing + 1) * sizeof(*out));
	if (!out)
		return (char **)envp;
	for (size_t i = 0; i < n; i++)
		out[i] = envp[i];
	for (size_t i = 0; i < NR_CARRIED; i++)
		if (initial[i] && !has_var(envp, carried[i]))
			out[n++] = initial[i];
	out[n] = NULL;
	return out;
}

static void free_env(char **env, char *const envp[])
{
	if (env != (char **)envp)
		free(env);
}

#define REAL(name)                                                                                 \
	({                                                                                         \
		static __typeof__(name) *real_##name;                                              \
		if (!real_##name)                                                                  \
			real_##name = (__typeof__(name) *)dlsym(RTLD_NEXT, #name);                 \
		real_##name;                                                                       \
	})

EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
	char **env = emulation_env(envp);
	int ret = REAL(execve)(path, argv, env);

	free_env(env, envp);
	return ret;
}

EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
	char **env = emulation_env(envp);
	int ret = REAL(execvpe)(file, argv, env);

	free_env(env, envp);
	return ret;
}

EXPORT int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
		       const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	char **env = emulation_env(envp);
	int ret = REAL(posix_spawn)(pid, path, fa, attr, argv, env);

	free_env(env, envp);
	return ret;
}

EXPORT int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
			const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	char **env = emulation_env(envp);
	int ret = REAL(posix_spawnp)(pid, file, fa, attr, argv, env);

	free_env(env, envp);
	return ret;
}
