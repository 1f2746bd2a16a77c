/* SPDX-License-Identifier: MIT */
/*
 * The process-wide runtime: host feature detection when the library loads, and the kernel
 * model, created on the first device open from the configuration `softsgx run` passed in the
 * environment (SOFTSGX_CONF, SOFTSGX_CONTEXT).  A configuration that does not load means no
 * device: the open fails and the reason is printed once, never a half-configured kernel.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/personality.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "host.h"

#ifndef HWCAP2_FSGSBASE
#define HWCAP2_FSGSBASE (1 << 1)
#endif

struct host_features host_features;

static pthread_mutex_t kernel_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sgxk *_Atomic kernel;
static struct sgxk_options options;
static char context[SOFTSGX_CONTEXT_MAX];
static char kernel_error[sizeof(((struct softsgx_err *)0)->msg) + 64];

void host_warn(const char *msg)
{
	static const char prefix[] = "softsgx: ";

	if (write(2, prefix, sizeof(prefix) - 1) < 0 || write(2, msg, strlen(msg)) < 0 ||
	    write(2, "\n", 1) < 0)
		return;
}

void host_warnf(const char *fmt, ...)
{
	char buf[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	host_warn(buf);
}

struct sgxk *host_kernel(void)
{
	return atomic_load_explicit(&kernel, memory_order_acquire);
}

const char *host_kernel_error(void)
{
	return kernel_error;
}

static void fill_cred(struct lsm_cred *cred, const struct softsgx_config *cfg)
{
	const char *ctx = getenv(SOFTSGX_ENV_CONTEXT);
	FILE *f;

	cred->pid = getpid();
	f = fopen("/proc/self/comm", "re");
	if (f) {
		if (fgets(cred->comm, sizeof(cred->comm), f))
			cred->comm[strcspn(cred->comm, "\n")] = '\0';
		fclose(f);
	}
	if (!ctx || !ctx[0])
		ctx = cfg->context;
	snprintf(context, sizeof(context), "%s", ctx);
	cred->context = context[0] ? context : NULL;
}

/* Isolation and CPUID are facts of this host: say once, when SGX is first used, what is off. */
static void warn_features(void)
{
	const char *quiet = getenv(SOFTSGX_ENV_QUIET);
	const char *warned = getenv(SOFTSGX_ENV_WARNED);

	if ((quiet && !strcmp(quiet, "1")) || (warned && !strcmp(warned, "1")))
		return;
	if (!host_features.pku)
		host_warn("protection keys are not available on this host (no pku/ospke): enclave "
			  "memory is NOT isolated from host code in this run");
	if (!host_features.cpuid_faulting)
		host_warnf("CPUID faulting is not available (arch_prctl(ARCH_SET_CPUID): %s): "
			   "programs that execute CPUID see the host CPU, without SGX",
			   strerror(host_features.cpuid_faulting_errno));
	if (!host_features.sud)
		host_warnf("Syscall User Dispatch is not available (prctl(PR_SET_SYSCALL_USER_"
			   "DISPATCH): %s): SYSCALL and INT 0x80 executed by enclave code run as "
			   "host system calls instead of raising #UD",
			   strerror(host_features.sud_errno));
	if (!host_features.fsgsbase)
		host_warn("FSGSBASE is not enabled: FS/GS bases are switched with arch_prctl "
			  "(slower enclave entry and exit)");
}

/*
 * What the security modules said when the stack was built (a launch list that denies every
 * enclave, ...): a configuration problem the user must see whatever SOFTSGX_QUIET says, once,
 * when the emulation starts.  One "softsgx: " line per warning.
 */
static void warn_security(const struct lsm_stack *lsm)
{
	const char *w = lsm ? lsm_stack_warnings(lsm) : NULL;
	char line[768];

	while (w && *w) {
		size_t n = strcspn(w, "\n");

		snprintf(line, sizeof(line), "%.*s", (int)n, w);
		host_warn(line);
		w += n + (w[n] == '\n');
	}
}

static int create_kernel(struct sgxk **k, struct softsgx_err *err)
{
	const char *conf = getenv(SOFTSGX_ENV_CONF);
	struct sgxk_options *o = &options;
	int ret;

	memset(o, 0, sizeof(*o));
	softsgx_config_defaults(&o->config);
	if (conf && conf[0]) {
		ret = softsgx_config_load(&o->config, conf, err);
		if (ret)
			return ret;
	}
	if (o->config.nr_modules > 0) {
		ret = lsm_stack_create(&o->lsm, &o->config, err);
		if (ret)
			return ret;
	}
	ret = state_root_secret(o->config.state_dir, o->root_secret, err);
	if (ret)
		goto fail;
	fill_cred(&o->cred, &o->config);
	o->fdget = fdtable_fdget;
	o->personality_read_implies_exec = (personality(0xffffffff) & READ_IMPLIES_EXEC) != 0;
	o->pkey = pkeys_key();
	ret = sgxk_create(k, o, err);
	if (ret)
		goto fail;
	return 0;
fail:
	if (o->lsm)
		lsm_stack_destroy(o->lsm);
	o->lsm = NULL;
	return ret;
}

int host_kernel_get(struct sgxk **k)
{
	struct softsgx_err err = {0};
	struct sgxk *created;
	int ret = 0;

	*k = host_kernel();
	if (*k)
		return 0;
	pthread_mutex_lock(&kernel_lock);
	*k = host_kernel();
	if (*k)
		goto out;
	ret = create_kernel(&created, &err);
	if (ret) {
		snprintf(kernel_error, sizeof(kernel_error), "cannot start the SGX emulation: %s",
			 err.msg[0] ? err.msg : strerror(-ret));
		host_warn(kernel_error);
		goto out;
	}
	kernel_error[0] = '\0';
	warn_features();
	warn_security(options.lsm);
	atomic_store_explicit(&kernel, created, memory_order_release);
	*k = created;
out:
	pthread_mutex_unlock(&kernel_lock);
	return ret;
}

/* fork: no kernel model is half created while the process forks (preload.c's handlers). */
void host_kernel_lock(void)
{
	pthread_mutex_lock(&kernel_lock);
}

void host_kernel_unlock(void)
{
	pthread_mutex_unlock(&kernel_lock);
}

void host_platform_from_config(struct sgx_platform *p)
{
	const char *conf = getenv(SOFTSGX_ENV_CONF);
	struct softsgx_config *cfg = malloc(sizeof(*cfg));

	/* As sgxk_create does: defaults, then the configured EPC size and SGX2 switch. */
	sgx_platform_default(p);
	if (!cfg)
		return;
	softsgx_config_defaults(cfg);
	if (!conf || !conf[0] || !softsgx_config_load(cfg, conf, NULL)) {
		if (cfg->epc_size)
			p->epc_size = cfg->epc_size;
		p->sgx2 = cfg->sgx2;
	}
	free(cfg);
}

static void detect_fsgsbase(void)
{
	host_features.fsgsbase = (getauxval(AT_HWCAP2) & HWCAP2_FSGSBASE) != 0;
}

/* Runs when the library is loaded, before the program's own constructors and main. */
__attribute__((constructor)) static void host_init(void)
{
	detect_fsgsbase();
	pkeys_init();
	sud_init(); /* before signals_init: whether SIGSYS is the emulation's */
	if (signals_init())
		host_warn("cannot install the ENCLU trap handlers: SGX emulation is unavailable");
	cpuid_init();
}
