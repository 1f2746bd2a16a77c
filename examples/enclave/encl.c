/* SPDX-License-Identifier: MIT */
/*
 * The example enclave's operations (encl_ops.h).  Freestanding: no libc, no TLS, no stack
 * protector; code is position independent and reaches its data RIP-relative, so the image
 * needs no relocation wherever the loader places it.
 */
#include <stdint.h>

#include "encl_ops.h"

uint64_t encl_body(void *rdi, void *rsi);

/*
 * Initialised so it lands in .data (a measured page with known contents), page-aligned so a
 * loader can find it by its symbol and give it its own permissions.
 */
uint8_t encl_buffer[8192] __attribute__((aligned(4096))) = {1};

/* One read of each untrusted field: the caller may change them while we run. */
static uint64_t read_untrusted(const void *p)
{
	return *(const volatile uint64_t *)p;
}

static void write_untrusted(void *p, uint64_t value)
{
	*(volatile uint64_t *)p = value;
}

/* Returns non-zero when the entry code must leave with R12..R15 clobbered. */
uint64_t encl_body(void *rdi, void *rsi)
{
	struct encl_op_put_to_addr *addr_op = rdi;
	struct encl_op_put_to_buf *buf_op = rdi;
	uint64_t *buffer = (uint64_t *)encl_buffer;

	(void)rsi;
	switch (read_untrusted(&buf_op->header.type)) {
	case ENCL_OP_PUT_TO_BUFFER:
		*buffer = read_untrusted(&buf_op->value);
		break;
	case ENCL_OP_GET_FROM_BUFFER:
		write_untrusted(&buf_op->value, *buffer);
		break;
	case ENCL_OP_PUT_TO_ADDRESS:
		write_untrusted((void *)read_untrusted(&addr_op->addr),
				read_untrusted(&addr_op->value));
		break;
	case ENCL_OP_GET_FROM_ADDRESS:
		write_untrusted(&addr_op->value,
				read_untrusted((void *)read_untrusted(&addr_op->addr)));
		break;
	case ENCL_OP_CLOBBER_CALLEE_SAVED:
		return 1;
	case ENCL_OP_NOP:
	default:
		break;
	}
	return 0;
}
