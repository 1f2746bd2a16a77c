/* SPDX-License-Identifier: MIT */
/*
 * Shared by the host tests that keep the example enclave in a cmocka fixture: the enclave
 * loaded and built through examples/loader/, and the vDSO entry found by the dynamic loader.
 */
#ifndef HOST_ENCL_H
#define HOST_ENCL_H

#include "../../examples/enclave/encl_ops.h"
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

/* The example enclave, the vDSO entry and one run structure per TCS, for a cmocka fixture. */
struct host_encl_fixture {
	struct encl encl;
	vdso_sgx_enter_enclave_t enter;
	struct sgx_enclave_run run[ENCL_NR_TCS];
};

/* cmocka setup: a struct host_encl_fixture with the enclave built, or -1 (why on stderr). */
static inline int host_encl_setup(void **state)
{
	struct host_encl_fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	if (host_encl_open(&f->encl, &f->enter)) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static inline int host_encl_teardown(void **state)
{
	struct host_encl_fixture *f = *state;

	encl_delete(&f->encl);
	free(f);
	return 0;
}

#endif
