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

/* EREPORT/EGETKEY operands: enclave memory with the alignment the leaves require. */
static uint8_t encl_targetinfo[512] __attribute__((aligned(512)));
static uint8_t encl_reportdata[64] __attribute__((aligned(128)));
static uint8_t encl_report[432] __attribute__((aligned(512)));
static uint8_t encl_keyrequest[512] __attribute__((aligned(512)));
static uint8_t encl_key[16] __attribute__((aligned(16)));

/* Byte copies through volatile pointers: no libc, and no memcpy call emitted for them. */
static void copy_bytes(void *dst, const void *src, unsigned long n)
{
	volatile uint8_t *d = dst;
	const volatile uint8_t *s = src;

	for (unsigned long i = 0; i < n; i++)
		d[i] = s[i];
}

static void do_ereport(struct encl_op_report *op)
{
	copy_bytes(encl_targetinfo, op->targetinfo, sizeof(encl_targetinfo));
	copy_bytes(encl_reportdata, op->reportdata, sizeof(encl_reportdata));
	asm volatile(".byte 0x0f, 0x01, 0xd7" /* ENCLU[EREPORT] */
		     ::"a"(0), "b"(encl_targetinfo), "c"(encl_reportdata), "d"(encl_report)
		     : "memory");
	copy_bytes(op->report, encl_report, sizeof(encl_report));
}

static void do_egetkey(struct encl_op_get_key *op)
{
	uint64_t status;

	copy_bytes(encl_keyrequest, op->keyrequest, sizeof(encl_keyrequest));
	asm volatile(".byte 0x0f, 0x01, 0xd7" /* ENCLU[EGETKEY] */
		     : "=a"(status)
		     : "a"(1), "b"(encl_keyrequest), "c"(encl_key)
		     : "memory", "cc");
	copy_bytes(op->key, encl_key, sizeof(encl_key));
	write_untrusted(&op->status, status);
}

/* SECINFO for EACCEPT/EMODPE: 64 bytes, 64-byte aligned, reserved bytes zero. */
static uint64_t encl_secinfo[8] __attribute__((aligned(64)));

static void do_eaccept(struct encl_op_eaccept *op)
{
	uint64_t status;

	for (int i = 1; i < 8; i++)
		((volatile uint64_t *)encl_secinfo)[i] = 0;
	encl_secinfo[0] = read_untrusted(&op->flags);
	asm volatile(".byte 0x0f, 0x01, 0xd7" /* ENCLU[EACCEPT] */
		     : "=a"(status)
		     : "a"(5), "b"(encl_secinfo), "c"(read_untrusted(&op->epc_addr))
		     : "memory", "cc");
	write_untrusted(&op->ret, status);
}

static void do_emodpe(struct encl_op_emodpe *op)
{
	for (int i = 1; i < 8; i++)
		((volatile uint64_t *)encl_secinfo)[i] = 0;
	encl_secinfo[0] = read_untrusted(&op->flags);
	asm volatile(".byte 0x0f, 0x01, 0xd7" /* ENCLU[EMODPE] */
		     ::"a"(6), "b"(encl_secinfo), "c"(read_untrusted(&op->epc_addr))
		     : "memory");
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
	case ENCL_OP_EREPORT:
		do_ereport(rdi);
		break;
	case ENCL_OP_EGETKEY:
		do_egetkey(rdi);
		break;
	case ENCL_OP_EACCEPT:
		do_eaccept(rdi);
		break;
	case ENCL_OP_EMODPE:
		do_emodpe(rdi);
		break;
	case ENCL_OP_NOP:
	default:
		break;
	}
	return 0;
}
