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

/*
 * SSA frames per TCS.  The default image has one: an EENTER while it is in use is #GP.  The
 * enclave-nssa2 image is built with two, so that the untrusted side can EENTER with CSSA 1 to
 * have the enclave's exception handler look at the frame an AEX saved (ENCL_OP_ILLEGAL).
 */
#ifndef ENCL_NSSA
#define ENCL_NSSA 1
#endif
#define ENCL_SSA_FRAME_SIZE 1 /* pages: x87+SSE XSAVE state, EXINFO and the GPR area fit */

/*
 * What the enclave's exception handler leaves in RAX when it skips an instruction that raised
 * #UD (SYSCALL, INT n): no system call returns it.
 */
#define ENCL_UD_SKIPPED 0x5ca1ab1e0000fa11

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
	/* Execute an instruction illegal in enclave mode (struct encl_op_illegal). */
	ENCL_OP_ILLEGAL = 10,
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

enum encl_illegal_insn {
	ENCL_INSN_SYSCALL = 0, /* RAX = nr, RDI, RSI, RDX = args */
	ENCL_INSN_INT80 = 1,   /* INT 0x80: EAX = nr (i386 numbers), EBX, ECX, EDX = args */
	ENCL_INSN_INT21 = 2,   /* INT 0x21, with the same registers as INT 0x80 */
	ENCL_INSN_IN = 3,      /* IN AL, DX (EC): DX = args[0] */
	ENCL_INSN_OUT = 4,     /* OUT DX, AL (EE): DX = args[0], AL = nr */
};

/*
 * On hardware the instruction raises #UD: an AEX.  An EENTER with CSSA 1 (enclave-nssa2 only)
 * then runs the enclave's handler, which skips a SYSCALL, INT n, IN or OUT saved in the SSA with RAX =
 * ENCL_UD_SKIPPED, and an ERESUME finishes the operation.
 */
struct encl_op_illegal {
	struct encl_op_header header;
	uint64_t insn; /* enum encl_illegal_insn */
	uint64_t nr;
	uint64_t args[3];
	uint64_t ret;	  /* RAX after the instruction */
	uint64_t skipped; /* instructions the exception handler skipped during the operation */
};

#endif /* __ASSEMBLER__ */

#endif
