/* SPDX-License-Identifier: MIT */
/*
 * The operations of the example enclave (examples/enclave/), shared by the enclave and the
 * loaders that drive it.  A caller enters with RDI pointing to an operation in untrusted memory
 * whose first u64 is one of enum encl_op_type; the enclave reads its arguments from there and
 * writes its results back into the same structure before EEXIT.
 *
 * Numbers are ABI: append new operations before ENCL_OP_MAX, never renumber.
 */
#ifndef ENCL_OPS_H
#define ENCL_OPS_H

#define ENCL_NR_TCS 2 /* TCS i is the page at enclave offset i * 4096 */

/* Values R12..R15 hold after ENCL_OP_CLOBBER_CALLEE_SAVED. */
#define ENCL_CLOBBER_R12 0x1212121212121212
#define ENCL_CLOBBER_R13 0x1313131313131313
#define ENCL_CLOBBER_R14 0x1414141414141414
#define ENCL_CLOBBER_R15 0x1515151515151515

#ifndef __ASSEMBLER__
#include <stdint.h>

enum encl_op_type {
	ENCL_OP_PUT_TO_BUFFER = 0,    /* encl_buffer[0..7] = value */
	ENCL_OP_GET_FROM_BUFFER = 1,  /* value = encl_buffer[0..7] */
	ENCL_OP_PUT_TO_ADDRESS = 2,   /* *(u64 *)addr = value (addr: any linear address) */
	ENCL_OP_GET_FROM_ADDRESS = 3, /* value = *(u64 *)addr */
	ENCL_OP_NOP = 4,	      /* enter and leave */
	/* Leave with R12..R15 = ENCL_CLOBBER_R12..R15: the vDSO preserves only RBX and RBP. */
	ENCL_OP_CLOBBER_CALLEE_SAVED = 5,
	/* EREPORT for targetinfo with reportdata; report = the REPORT (struct encl_op_report). */
	ENCL_OP_EREPORT = 6,
	/* EGETKEY with keyrequest; key and status = RAX (struct encl_op_get_key). */
	ENCL_OP_EGETKEY = 7,
	/* EACCEPT of epc_addr with SECINFO.FLAGS = flags; ret = RAX (struct encl_op_eaccept). */
	ENCL_OP_EACCEPT = 8,
	/* EMODPE of epc_addr with SECINFO.FLAGS = flags (struct encl_op_emodpe). */
	ENCL_OP_EMODPE = 9,
	ENCL_OP_MAX,
};

struct encl_op_header {
	uint64_t type;
};

struct encl_op_put_to_buf {
	struct encl_op_header header;
	uint64_t value;
};

struct encl_op_get_from_buf {
	struct encl_op_header header;
	uint64_t value;
};

struct encl_op_put_to_addr {
	struct encl_op_header header;
	uint64_t value;
	uint64_t addr;
};

struct encl_op_get_from_addr {
	struct encl_op_header header;
	uint64_t value;
	uint64_t addr;
};

/* EREPORT and EGETKEY take enclave memory: the enclave copies these in and out. */
struct encl_op_report {
	struct encl_op_header header;
	uint8_t targetinfo[512];
	uint8_t reportdata[64];
	uint8_t report[432];
};

struct encl_op_get_key {
	struct encl_op_header header;
	uint8_t keyrequest[512];
	uint8_t key[16];
	uint64_t status; /* EGETKEY's RAX: 0 or an SGX error code */
};

/* As the kernel selftests' EACCEPT and EMODPE operations (epc_addr: a linear address). */
struct encl_op_eaccept {
	struct encl_op_header header;
	uint64_t epc_addr;
	uint64_t flags;
	uint64_t ret; /* EACCEPT's RAX: 0 or an SGX error code */
};

struct encl_op_emodpe {
	struct encl_op_header header;
	uint64_t epc_addr;
	uint64_t flags;
};

#endif /* __ASSEMBLER__ */

#endif
