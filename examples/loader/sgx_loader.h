/* SPDX-License-Identifier: MIT */
/*
 * A small enclave loader written only against the upstream Linux SGX interface: the device
 * (/dev/sgx_enclave), the ioctls and structures of <asm/sgx.h>, and __vdso_sgx_enter_enclave
 * found in the vDSO.  It includes no softsgx header and runs unmodified on real SGX hardware;
 * under `softsgx run` the same binary runs on the emulated platform.
 *
 * The enclave comes as an .sgxs stream (the measurement records, ECREATE first, EEXTEND data
 * inline) and its SIGSTRUCT; SECS attributes and MISCSELECT are taken from the SIGSTRUCT.
 */
#ifndef SGX_LOADER_H
#define SGX_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <asm/sgx.h>

#define ENCL_MAX_SEGS 64

/* A run of pages added with one ADD_PAGES: same SECINFO flags, all measured or none. */
struct encl_segment {
	uint64_t offset, size;
	uint64_t secinfo_flags;
	bool measure;
	int prot; /* what the loader maps it with: SECINFO R/W/X (TCS: RW) */
};

struct encl {
	int fd;
	uint64_t size; /* SECS.SIZE */
	uint32_t ssa_frame_size;
	uint64_t base;	/* SECS.BASEADDR once created */
	uint8_t *image; /* page contents, by enclave offset (anonymous, page-aligned) */
	uint64_t image_size;
	struct encl_segment segs[ENCL_MAX_SEGS];
	int nr_segs;
	uint8_t sigstruct[1808];
	void *reservation;
	uint64_t reservation_size;
};

/* Read @sgxs_path and @sig_path into @e; 0 or -1 with a message in @msg. */
int encl_load(struct encl *e, const char *sgxs_path, const char *sig_path, char *msg, size_t len);
/* open, reserve, CREATE, ADD_PAGES, INIT, mmap; 0 or -1 with a message (and errno). */
int encl_build(struct encl *e, char *msg, size_t len);
void encl_delete(struct encl *e);

/* The enclave address of @offset. */
static inline void *encl_addr(const struct encl *e, uint64_t offset)
{
	return (void *)(uintptr_t)(e->base + offset);
}

/* Segment containing @offset, or NULL. */
const struct encl_segment *encl_segment_at(const struct encl *e, uint64_t offset);

/* Offset of symbol @name in the enclave ELF @elf_path (linked at 0), or -1. */
int64_t encl_elf_symbol(const char *elf_path, const char *name);

/* __vdso_sgx_enter_enclave, as the kernel selftests find it: getauxval + PT_DYNAMIC + DT_HASH. */
vdso_sgx_enter_enclave_t vdso_find_by_dynamic(void);
/* The same through the section headers (.dynsym/.dynstr), as Intel's PSW and Open Enclave do. */
vdso_sgx_enter_enclave_t vdso_find_by_sections(void);
/* Any other symbol of the vDSO (by PT_DYNAMIC + DT_HASH). */
void *vdso_find_symbol(const char *name);

/*
 * Call the vDSO function through a wrapper that keeps the C ABI (the enclave may clobber
 * R12-R15) and reports what the callee-saved registers held when the vDSO returned.
 */
struct encl_call {
	uint64_t rdi, rsi, rdx;
	uint64_t function;
	uint64_t r8, r9;
	struct sgx_enclave_run *run;
	/* out: registers right after the vDSO returned, and RBX/RBP before the call */
	uint64_t r12, r13, r14, r15, rbx, rbp;
	uint64_t rbx_before, rbp_before;
};

int encl_vdso_call(vdso_sgx_enter_enclave_t fn, struct encl_call *c);

#endif
