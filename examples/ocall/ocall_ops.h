/* SPDX-License-Identifier: MIT */
/* The OCALL example enclave's one operation (ocall_encl.S), shared with its host program. */
#ifndef OCALL_OPS_H
#define OCALL_OPS_H

#define OCALL_OP_LOOP	1 /* start a loop of count OCALLs */
#define OCALL_OP_RETURN 2 /* the host's answer to the pending OCALL: resume */
/*
 * Load XMM0-15 with known values, read the u64 at request (the host makes that fault: an AEX),
 * then check that the XMM registers still hold the values: state DONE or ERROR.
 */
#define OCALL_OP_XMM_ACROSS_AEX 3

#define OCALL_STATE_PENDING 1 /* the enclave waits for response = 2 * request */
#define OCALL_STATE_DONE    2 /* sum holds the sum of the responses */
#define OCALL_STATE_ERROR   3 /* a response was wrong */

#define OCALL_OFF_COUNT	   8
#define OCALL_OFF_REQUEST  16
#define OCALL_OFF_RESPONSE 24
#define OCALL_OFF_STATE	   32
#define OCALL_OFF_SUM	   40

#ifndef __ASSEMBLER__
#include <stddef.h>
#include <stdint.h>

struct ocall_op {
	uint64_t type;
	uint64_t count;
	uint64_t request;
	uint64_t response;
	uint64_t state;
	uint64_t sum;
};

_Static_assert(offsetof(struct ocall_op, count) == OCALL_OFF_COUNT, "count");
_Static_assert(offsetof(struct ocall_op, request) == OCALL_OFF_REQUEST, "request");
_Static_assert(offsetof(struct ocall_op, response) == OCALL_OFF_RESPONSE, "response");
_Static_assert(offsetof(struct ocall_op, state) == OCALL_OFF_STATE, "state");
_Static_assert(offsetof(struct ocall_op, sum) == OCALL_OFF_SUM, "sum");
#endif

#endif
