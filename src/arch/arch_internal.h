/* SPDX-License-Identifier: MIT */
/*
 * The emulated processor's private state: the EPCM, the hidden per-enclave state the hardware
 * keeps beside the SECS, and the helpers shared by the ENCLS and ENCLU leaves.
 *
 * Locking.  ENCLS leaves come from the kernel model (ordinary thread context) and are serialised
 * by encls_lock, a mutex.  ENCLU leaves and AEX run inside signal handlers, possibly with the
 * enclave's FS base loaded, so they may not take a pthread mutex, allocate, or touch glibc TLS:
 * every EPCM field ENCLU reads or writes is guarded by epcm_lock, a spin lock held for a few
 * dozen instructions.  ENCLS takes the spin lock with signals blocked, so a handler on the same
 * thread can never spin on a lock its own thread holds.  The files that ENCLU reaches are built
 * without the stack protector (its canary lives at %fs:0x28).
 */
#ifndef SOFTSGX_ARCH_INTERNAL_H
#define SOFTSGX_ARCH_INTERNAL_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <openssl/aes.h>

#include "softsgx/cpu.h"
#include "softsgx/measure.h"

/* Hidden per-enclave state: what the hardware keeps for a SECS beyond the architectural page. */
struct sgx_encl {
	struct sgx_measure measure; /* running MRENCLAVE until EINIT */
	uint64_t eid;		    /* unique enclave id */
	bool initialized;
	uint8_t isv_family_id[16];
	uint8_t isv_ext_prod_id[16];
	size_t nr_children;  /* valid EPC pages owned by this SECS */
	/* Logical processors inside (EENTER/ERESUME .. EEXIT/AEX); EEXIT drops it unlocked. */
	_Atomic uint32_t nr_active;
	uint32_t xsave_size; /* XSAVE bytes of SECS.ATTRIBUTES.XFRM (standard format) */
};

/* One EPCM entry.  All fields are guarded by cpu->epcm_lock once the page is valid. */
struct sgx_epcm_entry {
	bool valid;
	uint8_t type; /* enum sgx_page_type */
	uint8_t rwx;  /* SECINFO R/W/X bits */
	bool pending, modified, pr, blocked;
	_Atomic bool busy; /* TCS: a logical processor is inside; EEXIT clears it unlocked */
	uint32_t cssa; /* TCS: the authoritative CSSA (mirrored into the TCS page) */
	uint64_t linaddr;
	size_t secs;	       /* EPC index of the owning SECS */
	struct sgx_encl *encl; /* SECS pages: the hidden state */
};

/* aes.c: an AES-128 encryption key schedule (AES-NI round keys or OpenSSL's). */
struct sgx_aes128 {
	uint8_t rk[11][16] __attribute__((aligned(16)));
	AES_KEY soft;
	bool ni;
};

void sgx_aes128_probe(void); /* once, outside signal context */
void sgx_aes128_init(struct sgx_aes128 *k, const uint8_t key[16]);
void sgx_aes128_init_soft(struct sgx_aes128 *k, const uint8_t key[16]); /* never AES-NI */
void sgx_aes128_encrypt(const struct sgx_aes128 *k, const uint8_t in[16], uint8_t out[16]);
void sgx_aes128_wipe(struct sgx_aes128 *k);

/* Key material derived once from the root secret (keys.c). */
struct sgx_kdf {
	struct sgx_aes128 root; /* AES-128 schedule of the derivation key */
	uint8_t owner_epoch[16];
	uint8_t report_key_id[32]; /* KEYID of every REPORT (per platform instance) */
};

struct sgx_cpu {
	struct sgx_platform platform;
	uint8_t *epc;
	size_t nr_pages;
	struct sgx_epcm_entry *epcm;
	pthread_mutex_t encls_lock;
	atomic_flag epcm_lock;
	uint64_t next_eid;
	uint8_t lepubkeyhash[32];	/* last written by any thread (see sgx_cpu_lepubkeyhash) */
	atomic_uint pending_interrupts; /* test hook: EINITs that see an unmasked event */
	struct sgx_kdf kdf;
};

#define SGX_GPR_SIZE	     ((uint32_t)sizeof(struct sgx_ssa_gpr))
#define SGX_MISC_EXINFO_SIZE ((uint32_t)sizeof(struct sgx_exinfo))
#define SGX_XSAVE_LEGACY     512u
#define SGX_XSAVE_HEADER     64u

/* epc.c: locks and lookups */
void sgx_encls_enter(struct sgx_cpu *cpu);
void sgx_encls_leave(struct sgx_cpu *cpu);
void sgx_epcm_lock_signals(struct sgx_cpu *cpu, sigset_t *old);
void sgx_epcm_unlock_signals(struct sgx_cpu *cpu, const sigset_t *old);

static inline void sgx_epcm_lock(struct sgx_cpu *cpu)
{
	while (atomic_flag_test_and_set_explicit(&cpu->epcm_lock, memory_order_acquire))
		__builtin_ia32_pause();
}

static inline void sgx_epcm_unlock(struct sgx_cpu *cpu)
{
	atomic_flag_clear_explicit(&cpu->epcm_lock, memory_order_release);
}

/* Index of the EPC page @p points to when it is page-aligned, else SIZE_MAX. */
size_t sgx_epc_page_index(const struct sgx_cpu *cpu, const void *p);

static inline void *sgx_epc_addr(const struct sgx_cpu *cpu, size_t index)
{
	return cpu->epc + index * SGX_PAGE_SIZE;
}

static inline struct sgx_secs *sgx_secs_page(const struct sgx_cpu *cpu, size_t index)
{
	return (struct sgx_secs *)sgx_epc_addr(cpu, index);
}

/* IA32_SGXLEPUBKEYHASH as the calling thread's logical processor holds it (ENCLS context). */
const uint8_t *sgx_cpu_lepubkeyhash(const struct sgx_cpu *cpu);

/* The valid SECS at @p (a kernel pointer), or NULL. */
struct sgx_epcm_entry *sgx_secs_entry(struct sgx_cpu *cpu, const void *p, size_t *index);

/* Release a SECS's hidden state (EREMOVE, destroy). */
void sgx_encl_free(struct sgx_encl *encl);

/* eadd.c: the TCS fields EADD (and EACCEPT of a new TCS) check. */
bool sgx_tcs_ok(const struct sgx_secs *secs, const struct sgx_tcs *tcs);
bool sgx_tcs_layout_ok(const struct sgx_secs *secs, const struct sgx_tcs *tcs);

/* ecreate.c: bytes an SSA frame needs for @xfrm and @miscselect. */
uint64_t sgx_ssa_frame_need(uint64_t xfrm, uint32_t miscselect);
bool sgx_all_zero(const void *p, size_t len);

/* keys.c */
int sgx_kdf_init(struct sgx_kdf *kdf, const uint8_t root_secret[32]);
void sgx_cmac_aes128(const uint8_t key[16], const void *msg, size_t len, uint8_t mac[16]);

/* The KEYDEPENDENCIES every key is derived from (canonical layout, little-endian). */
struct sgx_key_deps {
	uint16_t key_name;
	uint16_t key_policy;
	uint16_t isv_prod_id;
	uint16_t isv_svn;
	uint16_t config_svn;
	uint16_t reserved0;
	uint32_t miscselect;
	struct sgx_attributes attributes;
	uint8_t cpu_svn[16];
	uint8_t mrenclave[32];
	uint8_t mrsigner[32];
	uint8_t key_id[32];
	uint8_t owner_epoch[16];
	uint8_t isv_ext_prod_id[16];
	uint8_t isv_family_id[16];
	uint8_t config_id[64];
} __attribute__((packed));

void sgx_kdf_derive(const struct sgx_kdf *kdf, const struct sgx_key_deps *deps, uint8_t key[16]);
/* EGETKEY's key for @req in the enclave (@secs, @encl): 0 or an SGX error code. */
int sgx_keys_egetkey(const struct sgx_cpu *cpu, const struct sgx_secs *secs,
		     const struct sgx_encl *encl, const struct sgx_keyrequest *req,
		     uint8_t key[16]);
/* The REPORT key of the enclave described by @ti, with @key_id. */
void sgx_keys_report_key(const struct sgx_cpu *cpu, const struct sgx_targetinfo *ti,
			 const uint8_t key_id[32], uint8_t key[16]);
/* The EINITTOKEN key a launch enclave with these properties would get. */
void sgx_keys_einittoken_key(const struct sgx_cpu *cpu, const struct sgx_key_deps *deps,
			     uint8_t key[16]);

/*
 * enclu_mem.c: enclave-mode memory accesses through the OS page tables and the EPCM.
 *
 * The page tables (struct sgx_mmu) belong to the kernel model, which takes its own locks to
 * walk them and may execute ENCLS while holding them; so the OS translation is never done
 * under epcm_lock.  A leaf first translates every page it will touch into a small TLB (no
 * lock held), then takes epcm_lock and checks each EPC page against the EPCM (valid, owner,
 * linear address), exactly as the hardware checks a TLB entry against the EPCM.
 */
#define SGX_TLB_SIZE 8

struct sgx_tlb_entry {
	uint64_t page; /* linear page address */
	int prot;
	void *epc; /* NULL: not mapped with @prot */
};

struct sgx_access {
	struct sgx_cpu *cpu;
	const struct sgx_mmu *mmu;
	const struct sgx_lp *lp;
	struct sgx_exception *fault;
	unsigned int nr_tlb;
	struct sgx_tlb_entry tlb[SGX_TLB_SIZE];
};

/* Translate the page of @lin for @prot into the TLB (no lock may be held). */
void sgx_tlb_fill(struct sgx_access *a, uint64_t lin, int prot);
/* Fill every page of [lin, lin + len). */
void sgx_tlb_fill_range(struct sgx_access *a, uint64_t lin, uint64_t len, int prot);
/* The TLB's translation of @lin for @prot, or NULL. */
void *sgx_tlb_lookup(const struct sgx_access *a, uint64_t lin, int prot);

/*
 * The EPC page behind enclave linear address @lin, checked like an enclave data access: mapped
 * with @prot, a valid page of the current enclave at that address, not PENDING/MODIFIED, of
 * @type, EPCM permissions include @rwx.  NULL with a #PF in a->fault otherwise.  Call with
 * epcm_lock held.
 */
void *sgx_enclave_page(const struct sgx_access *a, uint64_t lin, int prot, uint8_t type,
		       uint8_t rwx, size_t *index);
/* Copy to/from enclave linear memory (SSA frames), page by page.  0 or SGX_FAULT_PF. */
int sgx_lin_write(const struct sgx_access *a, uint64_t lin, const void *src, size_t len);
int sgx_lin_read(const struct sgx_access *a, uint64_t lin, void *dst, size_t len);
int sgx_pf(struct sgx_exception *fault, uint64_t addr, uint32_t code);
int sgx_gp(struct sgx_exception *fault);

/* enclu.c: the SSA frame @frame of @tcs, as an enclave linear address. */
uint64_t sgx_ssa_frame_addr(const struct sgx_secs *secs, const struct sgx_tcs *tcs, uint32_t frame);
/* ... and its GPR area (the frame's last 184 bytes). */
uint64_t sgx_ssa_gpr_addr(const struct sgx_secs *secs, const struct sgx_tcs *tcs, uint32_t frame);

/* Where an SSA frame lies, read under epcm_lock so its pages can be translated outside it. */
struct sgx_ssa_geom {
	uint64_t frame; /* linear address of the frame */
	uint64_t bytes; /* SSAFRAMESIZE * 4096 */
	uint32_t xsave_size;
};

/* Frame CSSA + @delta of the TCS in EPC page @idx; false when there is no such frame. */
bool sgx_ssa_geometry(struct sgx_cpu *cpu, size_t idx, int delta, struct sgx_ssa_geom *g);
/* Translate the frame's XSAVE area and its GPR/EXINFO area into the TLB. */
void sgx_ssa_tlb_fill(struct sgx_access *a, const struct sgx_ssa_geom *g);

/* aex.c: XSAVE images between a thread's context and an SSA frame. */
int sgx_xsave_restore(const struct sgx_access *a, uint64_t frame, struct sgx_regs *r, uint64_t xfrm,
		      uint32_t size);
int sgx_xsave_check(const struct sgx_access *a, uint64_t frame, uint64_t xfrm);

/* Leaves in enclave mode (enclu_*.c). */
int sgx_enclu_ereport(struct sgx_access *a, struct sgx_regs *r);
int sgx_enclu_egetkey(struct sgx_access *a, struct sgx_regs *r);
int sgx_enclu_eaccept(struct sgx_access *a, struct sgx_regs *r);
int sgx_enclu_emodpe(struct sgx_access *a, struct sgx_regs *r);
int sgx_enclu_eacceptcopy(struct sgx_access *a, struct sgx_regs *r);

/* RFLAGS: the arithmetic flags EGETKEY/EACCEPT clear, and ZF. */
#define SGX_RFLAGS_ARITH 0x8D5ull /* CF PF AF ZF SF OF */
#define SGX_RFLAGS_ZF	 0x40ull
void sgx_set_status(struct sgx_regs *r, uint64_t code);

#endif
