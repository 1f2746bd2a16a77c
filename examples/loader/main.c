/* SPDX-License-Identifier: MIT */
/*
 * sgx-loader ENCLAVE.sgxs ENCLAVE.sig: load the example enclave (examples/enclave/) through
 * the Linux SGX driver, then put a value into it through TCS 0 and read it back through every
 * TCS via __vdso_sgx_enter_enclave.  Runs on real SGX hardware as is, or under
 * `softsgx run -- sgx-loader ...` on the emulated platform.
 */
#include <stdio.h>
#include <string.h>

#include "../enclave/encl_ops.h"
#include "sgx_loader.h"

static int ecall(vdso_sgx_enter_enclave_t enter, struct encl *e, int tcs, void *op)
{
	struct sgx_enclave_run run;
	struct encl_call c = {.rdi = (uint64_t)(uintptr_t)op, .function = 2 /* EENTER */};
	int ret;

	memset(&run, 0, sizeof(run));
	run.tcs = (uint64_t)(uintptr_t)encl_addr(e, (uint64_t)tcs * 4096);
	c.run = &run;
	ret = encl_vdso_call(enter, &c);
	if (ret || run.function != 4 /* EEXIT */) {
		fprintf(stderr,
			"sgx-loader: ecall through TCS %d: returned %d, function %u, "
			"exception vector %u error code %#x address %#llx\n",
			tcs, ret, run.function, run.exception_vector, run.exception_error_code,
			(unsigned long long)run.exception_addr);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct encl_op_put_to_buf put = {{ENCL_OP_PUT_TO_BUFFER}, 0x1234567890abcdefull};
	vdso_sgx_enter_enclave_t enter;
	char msg[256];
	struct encl e;

	if (argc != 3) {
		fprintf(stderr, "usage: sgx-loader ENCLAVE.sgxs ENCLAVE.sig\n");
		return 2;
	}
	enter = vdso_find_by_dynamic();
	if (!enter) {
		fprintf(stderr,
			"sgx-loader: no __vdso_sgx_enter_enclave in the vDSO (kernel without "
			"SGX support?)\n");
		return 1;
	}
	if (encl_load(&e, argv[1], argv[2], msg, sizeof(msg)) || encl_build(&e, msg, sizeof(msg))) {
		fprintf(stderr, "sgx-loader: %s\n", msg);
		return 1;
	}
	printf("enclave at %#llx, size %#llx, %d segments\n", (unsigned long long)e.base,
	       (unsigned long long)e.size, e.nr_segs);
	if (ecall(enter, &e, 0, &put))
		return 1;
	for (int tcs = 0; tcs < ENCL_NR_TCS; tcs++) {
		struct encl_op_get_from_buf get = {{ENCL_OP_GET_FROM_BUFFER}, 0};

		if (ecall(enter, &e, tcs, &get))
			return 1;
		printf("TCS %d: got %#llx\n", tcs, (unsigned long long)get.value);
		if (get.value != put.value) {
			fprintf(stderr, "sgx-loader: TCS %d read back %#llx, put %#llx\n", tcs,
				(unsigned long long)get.value, (unsigned long long)put.value);
			return 1;
		}
	}
	encl_delete(&e);
	printf("ok\n");
	return 0;
}
