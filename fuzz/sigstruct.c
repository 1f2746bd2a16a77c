/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the SIGSTRUCT checks EINIT runs on untrusted input: the length check,
 * the format check and signature/Q1/Q2 verification, on inputs of any length (short inputs
 * are also tried zero-padded to 1808 bytes so the checks see them).  Invariants: a failure
 * always carries a message, and a SIGSTRUCT that verifies has exactly the Q1/Q2 recomputed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "softsgx/sigstruct.h"

static void check_failure(int ret, const struct softsgx_err *err)
{
	if (ret && (err->code != ret || !err->msg[0]))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct softsgx_err err = {0};
	struct sgx_sigstruct s;
	uint8_t q1[SGX_MODULUS_SIZE], q2[SGX_MODULUS_SIZE];
	int ret;

	ret = sgx_sigstruct_from_bytes(&s, data, size, &err);
	check_failure(ret, &err);
	if ((ret == 0) != (size == sizeof(s)))
		abort();
	memset(&s, 0, sizeof(s));
	memcpy(&s, data, size < sizeof(s) ? size : sizeof(s));

	err = (struct softsgx_err){0};
	check_failure(sgx_sigstruct_check_format(&s, &err), &err);
	err = (struct softsgx_err){0};
	ret = sgx_sigstruct_verify_signature(&s, &err);
	check_failure(ret, &err);
	if (ret == 0) {
		if (sgx_sigstruct_compute_q(s.signature, s.modulus, q1, q2, NULL) ||
		    memcmp(q1, s.q1, sizeof(q1)) || memcmp(q2, s.q2, sizeof(q2)))
			abort();
	}
	return 0;
}
