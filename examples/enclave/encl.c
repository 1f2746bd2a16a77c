/* SPDX-License-Identifier: MIT */
/*
 * The example enclave's operations (encl_ops.h).  Freestanding: no libc, no TLS, no stack
 * protector; code is position independent and reaches its data RIP-relative, so the image
 * needs no relocation wherever the loader places it.
 */
#include <stdint.h>

#include "encl_ops.h"

uint64_t encl_body(void *rdi, void *rsi);
void encl_exception(uint64_t tcs_index, uint64_t cssa);

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

/* The SSA frames (encl_entry.S): ENCL_NSSA frames per TCS, one after the other. */
extern uint8_t encl_ssa_tcs0[] __attribute__((visibility("hidden")));

/* The GPR area at the end of an SSA frame (SDM 37.9.1, GPRSGX). */
struct ssa_gpr {
	uint64_t rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rflags, rip, ursp, urbp;
	uint32_t exit_info;
	uint8_t reserved[3];
	uint8_t aex_notify;
	uint64_t fsbase, gsbase;
} __attribute__((packed));

#define EXITINFO_VALID (1u << 31)
#define X86_TRAP_UD    6

/* #UDs encl_exception skipped: written by one entry, read by another. */
static volatile uint64_t encl_ud_skipped;

/*
 * Entered with CSSA > 0 (EENTER after an AEX, the way Gramine's enclaves handle exceptions):
 * a #UD of a SYSCALL, INT n, IN or OUT saved in the last frame is skipped, with RAX = ENCL_UD_SKIPPED as
 * its result, so the ERESUME that follows continues after it.  Anything else is left alone:
 * the ERESUME raises it again.
 */
void encl_exception(uint64_t tcs_index, uint64_t cssa)
{
	uint64_t frame = tcs_index * ENCL_NSSA + cssa - 1;
	struct ssa_gpr *g =
	    (struct ssa_gpr *)(encl_ssa_tcs0 + (frame + 1) * ENCL_SSA_FRAME_SIZE * 4096 -
			       sizeof(struct ssa_gpr));
	const volatile uint8_t *insn = (const volatile uint8_t *)g->rip;

	if (!(g->exit_info & EXITINFO_VALID) || (g->exit_info & 0xff) != X86_TRAP_UD)
		return;
	if ((insn[0] == 0x0f && insn[1] == 0x05) || insn[0] == 0xcd || insn[0] == 0xec ||
	    insn[0] == 0xee) {
		g->rip += insn[0] == 0xec || insn[0] == 0xee ? 1 : 2;
		g->rax = ENCL_UD_SKIPPED;
		encl_ud_skipped = encl_ud_skipped + 1;
	}
}

static void do_illegal(struct encl_op_illegal *op)
{
	uint64_t before = encl_ud_skipped;
	uint64_t rax = read_untrusted(&op->nr);
	uint64_t a0 = read_untrusted(&op->args[0]), a1 = read_untrusted(&op->args[1]),
		 a2 = read_untrusted(&op->args[2]);

	switch (read_untrusted(&op->insn)) {
	case ENCL_INSN_SYSCALL:
		asm volatile("syscall"
			     : "+a"(rax)
			     : "D"(a0), "S"(a1), "d"(a2)
			     : "rcx", "r11", "memory");
		break;
	case ENCL_INSN_INT80:
		asm volatile("int $0x80"
			     : "+a"(rax)
			     : "b"(a0), "c"(a1), "d"(a2)
			     : "r8", "r9", "r10", "r11", "memory");
		break;
	case ENCL_INSN_INT21:
		asm volatile("int $0x21"
			     : "+a"(rax)
			     : "b"(a0), "c"(a1), "d"(a2)
			     : "r8", "r9", "r10", "r11", "memory");
		break;
	case ENCL_INSN_IN:
		asm volatile("inb %%dx, %%al" : "+a"(rax) : "d"(a0) : "memory");
		break;
	case ENCL_INSN_OUT:
		asm volatile("outb %%al, %%dx" : "+a"(rax) : "d"(a0) : "memory");
		break;
	default:
		return;
	}
	write_untrusted(&op->ret, rax);
	write_untrusted(&op->skipped, encl_ud_skipped - before);
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
	case ENCL_OP_ILLEGAL:
		do_illegal(rdi);
		break;
	case ENCL_OP_NOP:
	default:
		break;
	}
	return 0;
}
