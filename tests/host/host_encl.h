/* SPDX-License-Identifier: MIT */
/*
 * Shared by the host tests that keep the example enclave in a cmocka fixture: the enclave
 * loaded and built through examples/loader/, and the vDSO entry found by the dynamic loader.
 */
#ifndef HOST_ENCL_H
#define HOST_ENCL_H

#include "host_test.h"

/*
 * Load and build the enclave named on the command line into @encl and find the vDSO's
 * __vdso_sgx_enter_enclave into @enter: 0, or -1 with the reason on stderr and @encl deleted.
 */
static inline int host_encl_open(struct encl *encl, vdso_sgx_enter_enclave_t *enter)
{
	char msg[256];

	*enter = vdso_find_by_dynamic();
	if (!*enter || encl_load(encl, host_test_args.sgxs, host_test_args.sig, msg, sizeof(msg)) ||
	    encl_build(encl, msg, sizeof(msg))) {
		fprintf(stderr, "setup: %s\n", *enter ? msg : "no vDSO entry");
		encl_delete(encl);
		return -1;
	}
	return 0;
}

#endif
