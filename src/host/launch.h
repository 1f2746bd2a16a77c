/* SPDX-License-Identifier: MIT */
/*
 * `softsgx run`'s ptrace step: make the program's ld.so take the substitute vDSO for the vDSO,
 * so that programs resolving __vdso_sgx_enter_enclave through ld.so (against linux-vdso.so.1,
 * as Fortanix's loaders do) find it.  See launch.c.
 */
#ifndef SOFTSGX_LAUNCH_H
#define SOFTSGX_LAUNCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "softsgx/err.h"

/*
 * Arm the next successful execve of this (single-threaded) process: a helper process traces
 * this one, and at the exec writes the substitute vDSO image into the new program, points
 * AT_SYSINFO_EHDR at it and detaches before the program's first instruction.  Returns 0 when
 * the helper is attached, or -errno with the reason in @err (ptrace refused: seccomp, Yama, an
 * existing tracer), in which case nothing was changed and the exec runs as without this.  A
 * failure at the exec itself leaves the program as the kernel started it; the helper then
 * says why on stderr unless @quiet.
 */
int launch_vdso_arm(bool quiet, struct softsgx_err *err);

/*
 * The offset from the base of dynamic symbol @name in the vDSO image @img of @size bytes, found
 * as the launcher finds the kernel's time functions: PT_DYNAMIC, DT_SYMTAB/DT_STRTAB/DT_HASH, a
 * SysV hash walk, every table and chain bounds-checked.  0; -ENOENT when absent; -ENOEXEC with
 * the field and offset in @err when the image is malformed.
 */
int launch_vdso_symbol(const void *img, size_t size, const char *name, uint64_t *off,
		       struct softsgx_err *err);

/*
 * How exec'd programs get the same step (src/host/exec.c, tools/cmd_run.c).  `softsgx run`
 * names itself in LAUNCH_ENV_LAUNCHER (empty: --no-ptrace, or ptrace was refused, so programs
 * exec'd below it exec plainly).  The preload library's exec wrappers turn an exec of a dynamic
 * ELF program that gets the library into an exec of
 *
 *	LAUNCHER run LAUNCH_EXEC_OPTION PATH INDEX PRELOAD ARGV...
 *
 * with the caller's environment minus its LD_PRELOAD entry (so the launcher runs without the
 * library); INDEX is where that entry was and PRELOAD its value.  The launcher puts
 * it back, arms the helper as `softsgx run` does, and execs PATH with ARGV and that environment.
 */
#define LAUNCH_ENV_LAUNCHER "SOFTSGX_LAUNCHER"
#define LAUNCH_EXEC_OPTION  "--exec-armed"

/* What the run says when it goes on without (a printf format taking the reason). */
#define LAUNCH_VDSO_UNAVAILABLE                                                                    \
	"softsgx: the substitute vDSO is not advertised to ld.so in this run (%s): "               \
	"__vdso_sgx_enter_enclave is found with getauxval(AT_SYSINFO_EHDR), not through "          \
	"linux-vdso.so.1"

#endif
