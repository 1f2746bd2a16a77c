/* SPDX-License-Identifier: MIT */
/*
 * The emulated SGX processor (src/arch/): the platform model, the EPC with its EPCM, the ENCLS
 * leaves the kernel model executes and the ENCLU leaves user code executes.  It knows nothing
 * of files, processes or policy: memory comes from its caller, linear addresses are translated
 * through the caller's page tables (struct sgx_mmu), and every leaf returns what the hardware
 * would (an SGX error code or a fault).
 */
#ifndef SOFTSGX_CPU_H
#define SOFTSGX_CPU_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "softsgx/arch.h"
#include "softsgx/err.h"

/*
 * The platform model: one place that says what this emulated CPU supports.  CPUID emulation
 * (host layer) and the driver both read it; the leaves enforce it.
 */
struct sgx_platform {
	uint64_t epc_size; /* bytes, multiple of 4096 (default 128 MiB) */
	uint64_t epc_base; /* the physical-looking base CPUID reports for section 0 */
	bool sgx2; /* EAUG/EMODPR/EMODT/EACCEPT/EMODPE/EACCEPTCOPY */
	bool flexible_launch_control; /* CPUID.7.0:ECX[30] */
	uint32_t miscselect; /* supported MISCSELECT bits */
	uint64_t attributes; /* supported ATTRIBUTES.FLAGS bits */
	uint64_t xfrm; /* supported XFRM bits (a subset of the host's XCR0) */
	uint8_t max_enclave_size_64; /* log2, CPUID.0x12.0:EDX[15:8] */
	uint8_t max_enclave_size_32; /* log2, CPUID.0x12.0:EDX[7:0] */
	uint8_t cpu_svn[16];
};

/* Defaults: 128 MiB EPC, SGX2 on, FLC on, EXINFO, the Linux-visible attributes, host XFRM. */
void sgx_platform_default(struct sgx_platform *p);

/* The register values CPUID leaf 7 (SGX bits only) and leaf 0x12 report for this platform. */
void sgx_platform_cpuid(const struct sgx_platform *p, uint32_t leaf, uint32_t subleaf,
			uint32_t regs[4] /* eax, ebx, ecx, edx */);

/* XSAVE area size needed for @xfrm (legacy + header + components), from host CPUID 0xD. */
uint32_t sgx_xsave_size(uint64_t xfrm);

struct sgx_cpu;

/*
 * Create the processor over @epc (platform->epc_size bytes, page-aligned, supplied by the
 * kernel model, which owns the memory and its mappings).  @root_secret is the platform's
 * fused key material from which every EGETKEY/EREPORT key derives.
 */
int sgx_cpu_create(struct sgx_cpu **cpu, const struct sgx_platform *platform, void *epc,
		   const uint8_t root_secret[32], struct softsgx_err *err);
void sgx_cpu_destroy(struct sgx_cpu *cpu);
const struct sgx_platform *sgx_cpu_platform(const struct sgx_cpu *cpu);

size_t sgx_epc_nr_pages(const struct sgx_cpu *cpu);
void *sgx_epc_page(const struct sgx_cpu *cpu, size_t index);
/* Index of the EPC page containing @addr, or SIZE_MAX when @addr is not in the EPC. */
size_t sgx_epc_index(const struct sgx_cpu *cpu, const void *addr);

/* What the EPCM says about one EPC page (read-only view for the driver and tests). */
struct sgx_epcm_view {
	bool valid;
	uint8_t page_type; /* enum sgx_page_type */
	uint8_t rwx; /* SECINFO R/W/X */
	bool pending, modified, pr, blocked;
	uint64_t enclave_addr; /* linear address inside the enclave */
	size_t secs_index; /* EPC index of the owning SECS */
};
int sgx_epcm_read(const struct sgx_cpu *cpu, size_t index, struct sgx_epcm_view *view);

/*
 * IA32_SGXLEPUBKEYHASH0-3: the kernel writes the enclave's MRSIGNER before EINIT (FLC).  Per
 * logical processor: the calling thread's EINITs see the value it wrote itself.
 */
void sgx_cpu_set_lepubkeyhash(struct sgx_cpu *cpu, const uint8_t hash[32]);

/*
 * Test hook: the next @count EINITs see a pending interrupt and return SGX_UNMASKED_EVENT
 * (EINIT step 2), as hardware does when an interrupt arrives during the long EINIT flow.
 */
void sgx_cpu_inject_unmasked_events(struct sgx_cpu *cpu, unsigned int count);

/*
 * ENCLS leaves.  Return 0 on success, a positive enum sgx_return_code, or a negative
 * enum sgx_fault for a fault the instruction raises (#GP(0), #PF).  Pointers are the kernel's
 * view: EPC arguments must point into the EPC (else #GP), PAGEINFO.contents/metadata are
 * ordinary memory.  Alignment is the hardware's (else #GP): PAGEINFO 32, SECINFO 64, page
 * contents 4096, SIGSTRUCT 4096 (the upstream driver copies it into a page), EINITTOKEN 512
 * (NULL or VALID = 0: no token, launch by IA32_SGXLEPUBKEYHASH == MRSIGNER), EEXTEND chunk 256.
 * A busy EPC page (EADD/ECREATE/EAUG target already valid, SECS argument not a valid SECS)
 * is a #PF, as on hardware.  EADD's contents may also be the target EPC page itself (not yet
 * valid): the kernel model reads the source straight into the page it becomes, and the copy
 * onto itself is skipped; contents in any other EPC page are a #GP (that would copy another
 * enclave's memory in the clear).
 */
enum sgx_fault {
	SGX_FAULT_GP = -13,
	SGX_FAULT_PF = -14,
	SGX_FAULT_UD = -6,
};

int sgx_encls_ecreate(struct sgx_cpu *cpu, const struct sgx_pageinfo *pageinfo, void *epc_secs);
int sgx_encls_eadd(struct sgx_cpu *cpu, const struct sgx_pageinfo *pageinfo, void *epc_page);
int sgx_encls_eextend(struct sgx_cpu *cpu, void *epc_secs, void *epc_chunk);
/*
 * Sixteen EEXTENDs in a row, one per 256-byte chunk of @epc_page in ascending order, as the
 * kernel issues them for SGX_PAGE_MEASURE (sgx_encl_extend): the result and the measurement are
 * exactly those of the sixteen leaves.  The checks are made once (the chunks share the page's
 * EPCM entry and SECS, so they would give the same answer sixteen times).  @between, when not
 * NULL, runs after each chunk's leaf with the chunk's offset in the page (the kernel model
 * prefetches its next pages there, spread over the hashing).  An @epc_page that is not
 * page-aligned is a #GP.
 */
int sgx_encls_eextend_page(struct sgx_cpu *cpu, void *epc_secs, void *epc_page,
			   void (*between)(void *ctx, unsigned int offset), void *ctx);
int sgx_encls_einit(struct sgx_cpu *cpu, const struct sgx_sigstruct *sigstruct, void *epc_secs,
		    const void *einittoken);
int sgx_encls_eremove(struct sgx_cpu *cpu, void *epc_page);
/* SGX2 */
int sgx_encls_eaug(struct sgx_cpu *cpu, const struct sgx_pageinfo *pageinfo, void *epc_page);
int sgx_encls_emodpr(struct sgx_cpu *cpu, const struct sgx_secinfo *secinfo, void *epc_page);
int sgx_encls_emodt(struct sgx_cpu *cpu, const struct sgx_secinfo *secinfo, void *epc_page);

/*
 * ENCLS leaves hold the EPCM lock with every signal blocked, so that an ENCLU in a signal
 * handler on the same thread can never spin on a lock its own thread holds; each leaf blocks
 * and restores the signal mask itself (two system calls).  A caller running many leaves in a
 * row with signals blocked anyway (the driver's ioctl loops) blocks them once with
 * sgx_cpu_block_signals, which saves the previous mask in @old and tells the CPU; the leaves
 * this thread executes then rely on it until sgx_cpu_restore_signals(@old).  In between the
 * caller must not unblock any signal by other means.  Pairs nest.
 */
void sgx_cpu_block_signals(sigset_t *old);
void sgx_cpu_restore_signals(const sigset_t *old);

/*
 * The OS page tables as the CPU sees them: translate an enclave linear address (any byte in a
 * page) to the EPC page mapped there, provided the page-table permissions include @prot
 * (PROT_READ/PROT_WRITE/PROT_EXEC bits).  NULL: not mapped, not EPC, or not permitted.
 */
struct sgx_mmu {
	void *ctx;
	void *(*translate)(void *ctx, uint64_t linaddr, int prot);
};

/* The register file ENCLU reads and writes (a thread's user context). */
struct sgx_regs {
	uint64_t rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rflags, rip;
	uint64_t fsbase, gsbase;
	void *xsave; /* XSAVE image of the thread (saved/restored by AEX/ERESUME), may be NULL */
	uint32_t xsave_size;
};

/* One logical processor (a host thread): enclave mode and what EEXIT/AEX must restore. */
struct sgx_lp {
	bool in_enclave;
	uint64_t tcs; /* linear address of the current TCS */
	size_t secs_index;
	uint64_t host_fsbase, host_gsbase; /* restored on EEXIT/AEX */
	uint64_t aep;
	size_t tcs_index; /* EPC index of the current TCS (the CPU holds it while inside) */
	/*
	 * Where the SSA frame of the last EENTER's TCS lay: which pages the next EENTER through
	 * that TCS translates before taking the EPCM lock.  A hint only (every check is made
	 * again under the lock); zero-initialise the structure and leave these alone.
	 */
	uint64_t entry_hint_tcs, entry_hint_frame, entry_hint_bytes;
	uint32_t entry_hint_xsave;
};

struct sgx_exception {
	uint8_t vector; /* 13 #GP, 14 #PF, 0 #DE, 6 #UD, ... */
	uint32_t error_code; /* #PF: P/W/U/I bits, bit 15 for EPCM faults */
	uint64_t addr; /* #PF: faulting linear address */
};

/*
 * Execute the ENCLU leaf in EAX with RIP at the instruction (3 bytes long).  Returns 0 when
 * the leaf completed (registers updated: RIP moved or transferred; EGETKEY/EACCEPT report
 * their status in RAX and ZF), or a negative enum sgx_fault with @fault filled when the
 * instruction itself faults (#GP for a busy TCS, CSSA == NSSA, a bad leaf or operand; #PF with
 * the address for an unmapped operand, bit 15 when the EPCM refuses it).  A faulting leaf
 * changes no register.  EENTER/ERESUME save r->fsbase/gsbase as the host's and load the
 * enclave's; EEXIT/AEX give the host's back: the caller applies r->fsbase/gsbase.  ERESUME
 * loads the enclave's XSAVE components into r->xsave when it is not NULL.
 *
 * sgx_enclu, sgx_aex and sgx_epcm_access are async-signal-safe and may run with the enclave's
 * FS base loaded: no allocation, no TLS, no stack protector, only a spin lock held for
 * microseconds (run the signal handlers that call them with other signals masked).  They call
 * @mmu->translate, never while holding that lock.
 */
int sgx_enclu(struct sgx_cpu *cpu, const struct sgx_mmu *mmu, struct sgx_lp *lp,
	      struct sgx_regs *r, struct sgx_exception *fault);

/*
 * Asynchronous exit: an exception @ex occurred in enclave mode.  Saves @r (GPRs, RFLAGS, RIP,
 * FS/GS bases, and min(XSAVE(XFRM), r->xsave_size) bytes of r->xsave) into the current SSA
 * frame with EXITINFO/EXINFO, CSSA += 1, and loads the synthetic state (RAX = ERESUME,
 * RBX = TCS, RCX = RIP = AEP, untrusted RSP/RBP, other GPRs 0, host FS/GS, the XFRM components
 * of r->xsave reset).  Vectors >= 32 are interrupts (EXITINFO not valid).  Returns 0, or a
 * negative fault when the frame could not be written (the state is then lost, as a triple
 * fault would lose it, but the processor has left enclave mode all the same); SGX_FAULT_GP
 * when @lp is not in enclave mode.
 */
int sgx_aex(struct sgx_cpu *cpu, const struct sgx_mmu *mmu, struct sgx_lp *lp,
	    struct sgx_regs *r, const struct sgx_exception *ex);

/*
 * The hardware's verdict on an access by @lp to linear address @addr with @access
 * (PROT_READ/PROT_WRITE/PROT_EXEC), the page tables (@mmu) and then the EPCM deciding:
 *  0                      allowed (in enclave mode: an enclave page the EPCM grants, or
 *                         ordinary memory outside ELRANGE);
 *  SGX_ACCESS_ABORT_PAGE  not in enclave mode and the address maps an EPC page: the hardware's
 *                         abort-page semantics (reads 0xFF, writes dropped);
 *  SGX_FAULT_PF           a #PF, with the error code in *error_code: W|U|I as usual, P and
 *                         bit 15 (SGX_PF_SGX) when the EPCM refused it (PENDING or MODIFIED
 *                         page, TCS/TRIM page, another enclave's page, an ELRANGE address that
 *                         is not EPC, an EPC page outside ELRANGE, a permission the EPCM does
 *                         not grant); without P when the page tables refused it.
 * Async-signal-safe (the host layer asks from its SIGSEGV handler).
 */
#define SGX_ACCESS_ABORT_PAGE 1
#define SGX_PF_P	      0x1u
#define SGX_PF_W	      0x2u
#define SGX_PF_U	      0x4u
#define SGX_PF_I	      0x10u
#define SGX_PF_SGX	      0x8000u
int sgx_epcm_access(struct sgx_cpu *cpu, const struct sgx_mmu *mmu, const struct sgx_lp *lp,
		    uint64_t addr, int access, uint32_t *error_code);

#endif
