/* SPDX-License-Identifier: MIT */
/*
 * The program that test_exec.c and exec_degrade.sh exec (or spawn) from a program running under
 * `softsgx run`:
 *
 *   exec_target --expect ldso|getauxval [--report FD] [--then-exec] ENCLAVE.sgxs ENCLAVE.sig
 *
 * It looks __vdso_sgx_enter_enclave up through ld.so, as Fortanix's loaders do
 * (dlopen("linux-vdso.so.1", RTLD_NOLOAD) + dlsym): with "ldso" ld.so must hand out the entry
 * the getauxval lookup finds, with "getauxval" (no ptrace helper) ld.so keeps the kernel's vDSO
 * without it.  Either way it then enters the example enclave through the entry it found (put,
 * get).  With --report it writes "pid PID", "ppid PPID", "argv0 ARGV0" and one "env ENTRY" per
 * environment entry to FD, then "ok".  With --then-exec it finally execs itself once more
 * without that option (the same checks one exec further down).  Exit 0 when every check held.
 */
#include <dlfcn.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <time.h>
#include <unistd.h>

#include "../../examples/enclave/encl_ops.h"
#include "sgx_loader.h"

#define EENTER 2
#define EEXIT  4

extern char **environ;

static int fail(const char *what)
{
	fprintf(stderr, "exec_target (pid %d): %s\n", getpid(), what);
	return 1;
}

/* The entry ld.so's linux-vdso.so.1 has, NULL if none; false when ld.so has no such map. */
static bool ldso_entry(void **entry)
{
	void *h = dlopen("linux-vdso.so.1", RTLD_LAZY | RTLD_NOLOAD);
	struct link_map *lm = NULL;

	if (!h || dlinfo(h, RTLD_DI_LINKMAP, &lm) || lm->l_addr != getauxval(AT_SYSINFO_EHDR)) {
		/* Without the helper, ld.so's map is the kernel's vDSO, not the advertised one. */
		*entry = h ? dlsym(h, "__vdso_sgx_enter_enclave") : NULL;
		return h != NULL;
	}
	*entry = dlsym(h, "__vdso_sgx_enter_enclave");
	return true;
}

static int ecall(vdso_sgx_enter_enclave_t enter, const char *sgxs, const char *sig)
{
	uint64_t value = ((uint64_t)getpid() << 32) ^ (uint64_t)time(NULL);
	struct encl_op_put_to_buf put = {{ENCL_OP_PUT_TO_BUFFER}, value};
	struct encl_op_get_from_buf get = {{ENCL_OP_GET_FROM_BUFFER}, 0};
	struct sgx_enclave_run run;
	struct encl_call c;
	struct encl e;
	char msg[256];

	if (encl_load(&e, sgxs, sig, msg, sizeof(msg)) || encl_build(&e, msg, sizeof(msg))) {
		fprintf(stderr, "exec_target: building the example enclave: %s\n", msg);
		return 1;
	}
	for (int i = 0; i < 2; i++) {
		memset(&run, 0, sizeof(run));
		run.tcs = (uint64_t)(uintptr_t)encl_addr(&e, 0);
		memset(&c, 0, sizeof(c));
		c.rdi = (uint64_t)(uintptr_t)(i ? (void *)&get : (void *)&put);
		c.function = EENTER;
		c.run = &run;
		if (encl_vdso_call(enter, &c) || run.function != EEXIT)
			return fail("the ECALL through the entry did not return with EEXIT");
	}
	encl_delete(&e);
	return get.value == value ? 0
				  : fail("the enclave returned another value than it was given");
}

static void report(int fd, char **argv)
{
	FILE *f = fdopen(fd, "w");

	if (!f)
		return;
	fprintf(f, "pid %d\nppid %d\nargv0 %s\n", getpid(), getppid(), argv[0]);
	for (char **e = environ; *e; e++)
		fprintf(f, "env %s\n", *e);
	fprintf(f, "ok\n");
	fclose(f);
}

int main(int argc, char **argv)
{
	vdso_sgx_enter_enclave_t by_auxv = vdso_find_by_dynamic();
	bool want_ldso, then_exec = false;
	int report_fd = -1, a = 1;
	void *by_ldso;

	if (argc > a + 1 && !strcmp(argv[a], "--expect"))
		a += 2;
	else
		return fail(
		    "usage: exec_target --expect ldso|getauxval [--report FD] [--then-exec] "
		    "ENCLAVE.sgxs ENCLAVE.sig");
	want_ldso = !strcmp(argv[a - 1], "ldso");
	if (argc > a + 1 && !strcmp(argv[a], "--report")) {
		report_fd = atoi(argv[a + 1]);
		a += 2;
	}
	if (argc > a && !strcmp(argv[a], "--then-exec")) {
		then_exec = true;
		a++;
	}
	if (argc != a + 2)
		return fail("expected ENCLAVE.sgxs ENCLAVE.sig");
	if (!by_auxv)
		return fail("getauxval(AT_SYSINFO_EHDR): no __vdso_sgx_enter_enclave");
	if (!ldso_entry(&by_ldso))
		return fail("ld.so has no linux-vdso.so.1");
	if (want_ldso && by_ldso != (void *)by_auxv)
		return fail("ld.so's linux-vdso.so.1 is not the substitute vDSO: "
			    "__vdso_sgx_enter_enclave not found through ld.so");
	if (!want_ldso && by_ldso)
		return fail("ld.so found __vdso_sgx_enter_enclave although no helper was expected");
	if (ecall(want_ldso ? (vdso_sgx_enter_enclave_t)by_ldso : by_auxv, argv[a], argv[a + 1]))
		return 1;
	if (report_fd >= 0)
		report(report_fd, argv);
	if (then_exec) {
		char *next[] = {argv[0], "--expect", argv[2], argv[a], argv[a + 1], NULL};

		execv("/proc/self/exe", next);
		return fail("execv(/proc/self/exe) failed");
	}
	return 0;
}
