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

/* What the run says when it goes on without (a printf format taking the reason). */
#define LAUNCH_VDSO_UNAVAILABLE                                                                    \
	"softsgx: the substitute vDSO is not advertised to ld.so in this run (%s): "               \
	"__vdso_sgx_enter_enclave is found with getauxval(AT_SYSINFO_EHDR), not through "          \
	"linux-vdso.so.1"

#endif
