/* SPDX-License-Identifier: MIT */
/*
 * A link-time stand-in for the vDSO, as Fortanix's build links against one: soname
 * linux-vdso.so.1, version node LINUX_2.6 (vdso_stub.map).  A program linked against it gets
 * DT_NEEDED linux-vdso.so.1 and a versioned reference to __vdso_sgx_enter_enclave; at run time
 * ld.so binds that to the vDSO it mapped from AT_SYSINFO_EHDR, which carries the same soname,
 * and never opens this file.  Should it ever be loaded instead, the call says so and aborts.
 */
#include <stdio.h>
#include <stdlib.h>

int __vdso_sgx_enter_enclave(void);

int __vdso_sgx_enter_enclave(void)
{
	fprintf(stderr, "vdso_stub: the link-time stand-in was called instead of the vDSO\n");
	abort();
}
