/* SPDX-License-Identifier: MIT */
/*
 * SGX architectural structures and constants (Intel SDM Vol. 3D; ../shared/spec/
 * sgx-architecture.md).  Layouts mirror the hardware byte for byte; every size and every
 * field offset the spec tables give is checked at compile time below.  This header is the one
 * source of truth for these layouts: the emulated CPU, the driver, the tools and the tests all
 * use it.  All integers are little-endian, as on the hardware.
 */
#ifndef SOFTSGX_ARCH_H
#define SOFTSGX_ARCH_H

#include <stddef.h>
#include <stdint.h>

#define SGX_PAGE_SIZE  4096u
#define SGX_PAGE_SHIFT 12

/* ENCLS leaves (supervisor). */
enum sgx_encls_leaf {
	SGX_ECREATE = 0x0,
	SGX_EADD = 0x1,
	SGX_EINIT = 0x2,
	SGX_EREMOVE = 0x3,
	SGX_EDBGRD = 0x4,
	SGX_EDBGWR = 0x5,
	SGX_EEXTEND = 0x6,
	SGX_ELDB = 0x7,
	SGX_ELDU = 0x8,
	SGX_EBLOCK = 0x9,
	SGX_EPA = 0xA,
	SGX_EWB = 0xB,
	SGX_ETRACK = 0xC,
	SGX_EAUG = 0xD,
	SGX_EMODPR = 0xE,
	SGX_EMODT = 0xF,
};

/* ENCLU leaves (user; opcode 0F 01 D7, leaf in EAX). */
enum sgx_enclu_leaf {
	SGX_EREPORT = 0,
	SGX_EGETKEY = 1,
	SGX_EENTER = 2,
	SGX_ERESUME = 3,
	SGX_EEXIT = 4,
	SGX_EACCEPT = 5,
	SGX_EMODPE = 6,
	SGX_EACCEPTCOPY = 7,
};

/* SGX error codes returned in EAX by EINIT, EGETKEY, EACCEPT and others. */
enum sgx_return_code {
	SGX_SUCCESS = 0,
	SGX_INVALID_SIG_STRUCT = 1,
	SGX_INVALID_ATTRIBUTE = 2,
	SGX_BLKSTATE = 3,
	SGX_INVALID_MEASUREMENT = 4,
	SGX_NOTBLOCKABLE = 5,
	SGX_PG_INVLD = 6,
	SGX_EPC_PAGE_CONFLICT = 7,
	SGX_INVALID_SIGNATURE = 8,
	SGX_MAC_COMPARE_FAIL = 9,
	SGX_PAGE_NOT_BLOCKED = 10,
	SGX_NOT_TRACKED = 11,
	SGX_VA_SLOT_OCCUPIED = 12,
	SGX_CHILD_PRESENT = 13,
	SGX_ENCLAVE_ACT = 14,
	SGX_ENTRYEPOCH_LOCKED = 15,
	SGX_INVALID_EINITTOKEN = 16,
	SGX_PREV_TRK_INCMPL = 17,
	SGX_PG_IS_SECS = 18,
	SGX_PAGE_ATTRIBUTES_MISMATCH = 19,
	SGX_PAGE_NOT_MODIFIABLE = 20,
	SGX_PAGE_NOT_DEBUGGABLE = 21,
	SGX_INVALID_COUNTER = 25,
	SGX_PG_NONEPC = 26,
	SGX_TRACK_NOT_REQUIRED = 27,
	SGX_INVALID_CPUSVN = 32,
	SGX_INVALID_ISVSVN = 64,
	SGX_UNMASKED_EVENT = 128,
	SGX_INVALID_KEYNAME = 256,
};

/* The name of an SGX error code ("SGX_INVALID_SIGNATURE"), or NULL when unknown. */
const char *sgx_return_code_name(int code);

/* ATTRIBUTES.FLAGS */
#define SGX_ATTR_INIT	       (1ull << 0)
#define SGX_ATTR_DEBUG	       (1ull << 1)
#define SGX_ATTR_MODE64BIT     (1ull << 2)
#define SGX_ATTR_PROVISIONKEY  (1ull << 4)
#define SGX_ATTR_EINITTOKENKEY (1ull << 5)
#define SGX_ATTR_CET	       (1ull << 6)
#define SGX_ATTR_KSS	       (1ull << 7)
#define SGX_ATTR_AEXNOTIFY     (1ull << 10)
/* Linux's masks (arch/x86/include/asm/sgx.h). */
#define SGX_ATTR_RESERVED_MASK                                                                     \
	((1ull << 3) | (1ull << 6) | (3ull << 8) | ~((1ull << 11) - 1))
#define SGX_ATTR_UNPRIV_MASK                                                                       \
	(SGX_ATTR_DEBUG | SGX_ATTR_MODE64BIT | SGX_ATTR_KSS | SGX_ATTR_AEXNOTIFY)
#define SGX_ATTR_PRIV_MASK (SGX_ATTR_PROVISIONKEY | SGX_ATTR_EINITTOKENKEY)

/* MISCSELECT */
#define SGX_MISC_EXINFO		(1u << 0)
#define SGX_MISC_RESERVED_MASK	(~(uint64_t)SGX_MISC_EXINFO)

/* XFRM: x87 and SSE are mandatory; BNDREGS (bit 3) and BNDCSR (bit 4) go together. */
#define SGX_XFRM_LEGACY		0x3ull
#define SGX_XFRM_MPX		0x18ull

/* SECINFO.FLAGS */
#define SGX_SECINFO_R		 (1ull << 0)
#define SGX_SECINFO_W		 (1ull << 1)
#define SGX_SECINFO_X		 (1ull << 2)
#define SGX_SECINFO_PERMISSION_MASK (SGX_SECINFO_R | SGX_SECINFO_W | SGX_SECINFO_X)
#define SGX_SECINFO_PENDING	 (1ull << 3)
#define SGX_SECINFO_MODIFIED	 (1ull << 4)
#define SGX_SECINFO_PR		 (1ull << 5)
#define SGX_SECINFO_PAGE_TYPE_SHIFT 8
#define SGX_SECINFO_PAGE_TYPE_MASK  (0xFFull << SGX_SECINFO_PAGE_TYPE_SHIFT)
/* The bits the driver accepts in ADD_PAGES (anything else, e.g. PENDING, is EINVAL). */
#define SGX_SECINFO_ADD_MASK (SGX_SECINFO_PERMISSION_MASK | SGX_SECINFO_PAGE_TYPE_MASK)

enum sgx_page_type {
	SGX_PT_SECS = 0,
	SGX_PT_TCS = 1,
	SGX_PT_REG = 2,
	SGX_PT_VA = 3,
	SGX_PT_TRIM = 4,
};

#define SGX_SECINFO_TYPE(pt) ((uint64_t)(pt) << SGX_SECINFO_PAGE_TYPE_SHIFT)

struct sgx_attributes {
	uint64_t flags;
	uint64_t xfrm;
} __attribute__((packed));

struct sgx_secs {
	uint64_t size;
	uint64_t base;
	uint32_t ssa_frame_size;
	uint32_t miscselect;
	uint8_t reserved1[24]; /* CET_LEG_BITMAP_OFFSET and CET_ATTRIBUTES on CET platforms */
	struct sgx_attributes attributes;
	uint8_t mrenclave[32];
	uint8_t reserved2[32];
	uint8_t mrsigner[32];
	uint8_t reserved3[32];
	uint8_t config_id[64];
	uint16_t isv_prod_id;
	uint16_t isv_svn;
	uint16_t config_svn;
	uint8_t reserved4[3834];
} __attribute__((packed));

#define SGX_TCS_DBGOPTIN (1ull << 0)

struct sgx_tcs {
	uint64_t state;
	uint64_t flags;
	uint64_t ssa_offset;
	uint32_t ssa_index; /* CSSA */
	uint32_t nr_ssa_frames; /* NSSA */
	uint64_t entry_offset;
	uint64_t exit_addr; /* AEP */
	uint64_t fs_offset;
	uint64_t gs_offset;
	uint32_t fs_limit;
	uint32_t gs_limit;
	uint8_t reserved[4024];
} __attribute__((packed));

/* EXITINFO (SSA GPR area, offset 160). */
#define SGX_EXITINFO_VECTOR_MASK 0xFFu
#define SGX_EXITINFO_TYPE_SHIFT	 8
#define SGX_EXITINFO_TYPE_HW	 3u
#define SGX_EXITINFO_TYPE_SW	 6u
#define SGX_EXITINFO_VALID	 (1u << 31)

/* The GPR area: the last 184 bytes of each SSA frame. */
struct sgx_ssa_gpr {
	uint64_t rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rflags;
	uint64_t rip;
	uint64_t ursp;
	uint64_t urbp;
	uint32_t exit_info;
	uint8_t reserved[3];
	uint8_t aex_notify;
	uint64_t fsbase;
	uint64_t gsbase;
} __attribute__((packed));

/* MISC area EXINFO block, just below the GPR area when MISCSELECT.EXINFO. */
struct sgx_exinfo {
	uint64_t maddr;
	uint32_t errcd;
	uint32_t reserved;
} __attribute__((packed));

struct sgx_secinfo {
	uint64_t flags;
	uint8_t reserved[56];
} __attribute__((packed, aligned(64)));

struct sgx_pageinfo {
	uint64_t addr; /* LINADDR */
	uint64_t contents; /* SRCPGE */
	uint64_t metadata; /* SECINFO or PCMD */
	uint64_t secs;
} __attribute__((packed, aligned(32)));

/* Paging Crypto MetaData, written by EWB and checked by ELDU/ELDB. */
struct sgx_pcmd {
	struct sgx_secinfo secinfo;
	uint64_t enclave_id;
	uint8_t reserved[40];
	uint8_t mac[16];
} __attribute__((packed, aligned(128)));

#define SGX_MODULUS_SIZE 384

/* The 16 constant HEADER bytes and the 16 constant HEADER2 bytes of a SIGSTRUCT. */
extern const uint8_t sgx_sigstruct_header[16];
extern const uint8_t sgx_sigstruct_header2[16];
#define SGX_SIGSTRUCT_VENDOR_INTEL 0x8086u

struct sgx_sigstruct_header {
	uint8_t header[16];
	uint32_t vendor;
	uint32_t date; /* BCD yyyymmdd */
	uint8_t header2[16];
	uint32_t swdefined;
	uint8_t reserved[84];
} __attribute__((packed));

struct sgx_sigstruct_body {
	uint32_t miscselect;
	uint32_t misc_mask;
	uint8_t reserved1[4]; /* CET_ATTRIBUTES and its mask on CET platforms */
	uint8_t isv_family_id[16];
	struct sgx_attributes attributes;
	struct sgx_attributes attributes_mask;
	uint8_t mrenclave[32]; /* ENCLAVEHASH */
	uint8_t reserved2[16];
	uint8_t isv_ext_prod_id[16];
	uint16_t isv_prod_id;
	uint16_t isv_svn;
} __attribute__((packed));

struct sgx_sigstruct {
	struct sgx_sigstruct_header header;
	uint8_t modulus[SGX_MODULUS_SIZE];
	uint32_t exponent;
	uint8_t signature[SGX_MODULUS_SIZE];
	struct sgx_sigstruct_body body;
	uint8_t reserved[12];
	uint8_t q1[SGX_MODULUS_SIZE];
	uint8_t q2[SGX_MODULUS_SIZE];
} __attribute__((packed));

struct sgx_report_body {
	uint8_t cpu_svn[16];
	uint32_t miscselect;
	uint8_t reserved1[12];
	uint8_t isv_ext_prod_id[16];
	struct sgx_attributes attributes;
	uint8_t mrenclave[32];
	uint8_t reserved2[32];
	uint8_t mrsigner[32];
	uint8_t reserved3[32];
	uint8_t config_id[64];
	uint16_t isv_prod_id;
	uint16_t isv_svn;
	uint16_t config_svn;
	uint8_t reserved4[42];
	uint8_t isv_family_id[16];
	uint8_t report_data[64];
} __attribute__((packed));

struct sgx_report {
	struct sgx_report_body body;
	uint8_t key_id[32];
	uint8_t mac[16];
} __attribute__((packed));

struct sgx_targetinfo {
	uint8_t mrenclave[32];
	struct sgx_attributes attributes;
	uint8_t reserved1[2];
	uint16_t config_svn;
	uint32_t miscselect;
	uint8_t reserved2[8];
	uint8_t config_id[64];
	uint8_t reserved3[384];
} __attribute__((packed));

enum sgx_keyname {
	SGX_KEYNAME_EINITTOKEN = 0,
	SGX_KEYNAME_PROVISION = 1,
	SGX_KEYNAME_PROVISION_SEAL = 2,
	SGX_KEYNAME_REPORT = 3,
	SGX_KEYNAME_SEAL = 4,
};

#define SGX_KEYPOLICY_MRENCLAVE	   (1u << 0)
#define SGX_KEYPOLICY_MRSIGNER	   (1u << 1)
#define SGX_KEYPOLICY_NOISVPRODID  (1u << 2)
#define SGX_KEYPOLICY_CONFIGID	   (1u << 3)
#define SGX_KEYPOLICY_ISVFAMILYID  (1u << 4)
#define SGX_KEYPOLICY_ISVEXTPRODID (1u << 5)
#define SGX_KEYPOLICY_RESERVED_MASK (~0x3Fu & 0xFFFFu)

struct sgx_keyrequest {
	uint16_t key_name;
	uint16_t key_policy;
	uint16_t isv_svn;
	uint8_t reserved1[2];
	uint8_t cpu_svn[16];
	struct sgx_attributes attribute_mask;
	uint8_t key_id[32];
	uint32_t misc_mask;
	uint16_t config_svn;
	uint8_t reserved2[434];
} __attribute__((packed));

/* Sizes and offsets from the spec tables, checked at compile time. */
#define SGX_ARCH_OFF(t, f, o) _Static_assert(offsetof(struct t, f) == (o), #t "." #f " offset")
#define SGX_ARCH_SIZE(t, s)   _Static_assert(sizeof(struct t) == (s), #t " size")

SGX_ARCH_SIZE(sgx_attributes, 16);
SGX_ARCH_SIZE(sgx_secs, 4096);
SGX_ARCH_OFF(sgx_secs, size, 0);
SGX_ARCH_OFF(sgx_secs, base, 8);
SGX_ARCH_OFF(sgx_secs, ssa_frame_size, 16);
SGX_ARCH_OFF(sgx_secs, miscselect, 20);
SGX_ARCH_OFF(sgx_secs, reserved1, 24);
SGX_ARCH_OFF(sgx_secs, attributes, 48);
SGX_ARCH_OFF(sgx_secs, attributes.xfrm, 56);
SGX_ARCH_OFF(sgx_secs, mrenclave, 64);
SGX_ARCH_OFF(sgx_secs, reserved2, 96);
SGX_ARCH_OFF(sgx_secs, mrsigner, 128);
SGX_ARCH_OFF(sgx_secs, reserved3, 160);
SGX_ARCH_OFF(sgx_secs, config_id, 192);
SGX_ARCH_OFF(sgx_secs, isv_prod_id, 256);
SGX_ARCH_OFF(sgx_secs, isv_svn, 258);
SGX_ARCH_OFF(sgx_secs, config_svn, 260);
SGX_ARCH_OFF(sgx_secs, reserved4, 262);

SGX_ARCH_SIZE(sgx_tcs, 4096);
SGX_ARCH_OFF(sgx_tcs, state, 0);
SGX_ARCH_OFF(sgx_tcs, flags, 8);
SGX_ARCH_OFF(sgx_tcs, ssa_offset, 16);
SGX_ARCH_OFF(sgx_tcs, ssa_index, 24);
SGX_ARCH_OFF(sgx_tcs, nr_ssa_frames, 28);
SGX_ARCH_OFF(sgx_tcs, entry_offset, 32);
SGX_ARCH_OFF(sgx_tcs, exit_addr, 40);
SGX_ARCH_OFF(sgx_tcs, fs_offset, 48);
SGX_ARCH_OFF(sgx_tcs, gs_offset, 56);
SGX_ARCH_OFF(sgx_tcs, fs_limit, 64);
SGX_ARCH_OFF(sgx_tcs, gs_limit, 68);
SGX_ARCH_OFF(sgx_tcs, reserved, 72);

SGX_ARCH_SIZE(sgx_ssa_gpr, 184);
SGX_ARCH_OFF(sgx_ssa_gpr, rax, 0);
SGX_ARCH_OFF(sgx_ssa_gpr, rcx, 8);
SGX_ARCH_OFF(sgx_ssa_gpr, rdx, 16);
SGX_ARCH_OFF(sgx_ssa_gpr, rbx, 24);
SGX_ARCH_OFF(sgx_ssa_gpr, rsp, 32);
SGX_ARCH_OFF(sgx_ssa_gpr, rbp, 40);
SGX_ARCH_OFF(sgx_ssa_gpr, rsi, 48);
SGX_ARCH_OFF(sgx_ssa_gpr, rdi, 56);
SGX_ARCH_OFF(sgx_ssa_gpr, r8, 64);
SGX_ARCH_OFF(sgx_ssa_gpr, r15, 120);
SGX_ARCH_OFF(sgx_ssa_gpr, rflags, 128);
SGX_ARCH_OFF(sgx_ssa_gpr, rip, 136);
SGX_ARCH_OFF(sgx_ssa_gpr, ursp, 144);
SGX_ARCH_OFF(sgx_ssa_gpr, urbp, 152);
SGX_ARCH_OFF(sgx_ssa_gpr, exit_info, 160);
SGX_ARCH_OFF(sgx_ssa_gpr, reserved, 164);
SGX_ARCH_OFF(sgx_ssa_gpr, aex_notify, 167);
SGX_ARCH_OFF(sgx_ssa_gpr, fsbase, 168);
SGX_ARCH_OFF(sgx_ssa_gpr, gsbase, 176);

SGX_ARCH_SIZE(sgx_exinfo, 16);
SGX_ARCH_SIZE(sgx_secinfo, 64);
SGX_ARCH_SIZE(sgx_pageinfo, 32);
SGX_ARCH_SIZE(sgx_pcmd, 128);
SGX_ARCH_OFF(sgx_pcmd, enclave_id, 64);
SGX_ARCH_OFF(sgx_pcmd, mac, 112);

SGX_ARCH_SIZE(sgx_sigstruct_header, 128);
SGX_ARCH_SIZE(sgx_sigstruct_body, 128);
SGX_ARCH_SIZE(sgx_sigstruct, 1808);
SGX_ARCH_OFF(sgx_sigstruct, header.vendor, 16);
SGX_ARCH_OFF(sgx_sigstruct, header.date, 20);
SGX_ARCH_OFF(sgx_sigstruct, header.header2, 24);
SGX_ARCH_OFF(sgx_sigstruct, header.swdefined, 40);
SGX_ARCH_OFF(sgx_sigstruct, header.reserved, 44);
SGX_ARCH_OFF(sgx_sigstruct, modulus, 128);
SGX_ARCH_OFF(sgx_sigstruct, exponent, 512);
SGX_ARCH_OFF(sgx_sigstruct, signature, 516);
SGX_ARCH_OFF(sgx_sigstruct, body, 900);
SGX_ARCH_OFF(sgx_sigstruct, body.misc_mask, 904);
SGX_ARCH_OFF(sgx_sigstruct, body.reserved1, 908);
SGX_ARCH_OFF(sgx_sigstruct, body.isv_family_id, 912);
SGX_ARCH_OFF(sgx_sigstruct, body.attributes, 928);
SGX_ARCH_OFF(sgx_sigstruct, body.attributes.xfrm, 936);
SGX_ARCH_OFF(sgx_sigstruct, body.attributes_mask, 944);
SGX_ARCH_OFF(sgx_sigstruct, body.attributes_mask.xfrm, 952);
SGX_ARCH_OFF(sgx_sigstruct, body.mrenclave, 960);
SGX_ARCH_OFF(sgx_sigstruct, body.reserved2, 992);
SGX_ARCH_OFF(sgx_sigstruct, body.isv_ext_prod_id, 1008);
SGX_ARCH_OFF(sgx_sigstruct, body.isv_prod_id, 1024);
SGX_ARCH_OFF(sgx_sigstruct, body.isv_svn, 1026);
SGX_ARCH_OFF(sgx_sigstruct, reserved, 1028);
SGX_ARCH_OFF(sgx_sigstruct, q1, 1040);
SGX_ARCH_OFF(sgx_sigstruct, q2, 1424);

SGX_ARCH_SIZE(sgx_report_body, 384);
SGX_ARCH_SIZE(sgx_report, 432);
SGX_ARCH_OFF(sgx_report, body.miscselect, 16);
SGX_ARCH_OFF(sgx_report, body.reserved1, 20);
SGX_ARCH_OFF(sgx_report, body.isv_ext_prod_id, 32);
SGX_ARCH_OFF(sgx_report, body.attributes, 48);
SGX_ARCH_OFF(sgx_report, body.mrenclave, 64);
SGX_ARCH_OFF(sgx_report, body.reserved2, 96);
SGX_ARCH_OFF(sgx_report, body.mrsigner, 128);
SGX_ARCH_OFF(sgx_report, body.reserved3, 160);
SGX_ARCH_OFF(sgx_report, body.config_id, 192);
SGX_ARCH_OFF(sgx_report, body.isv_prod_id, 256);
SGX_ARCH_OFF(sgx_report, body.isv_svn, 258);
SGX_ARCH_OFF(sgx_report, body.config_svn, 260);
SGX_ARCH_OFF(sgx_report, body.reserved4, 262);
SGX_ARCH_OFF(sgx_report, body.isv_family_id, 304);
SGX_ARCH_OFF(sgx_report, body.report_data, 320);
SGX_ARCH_OFF(sgx_report, key_id, 384);
SGX_ARCH_OFF(sgx_report, mac, 416);

SGX_ARCH_SIZE(sgx_targetinfo, 512);
SGX_ARCH_OFF(sgx_targetinfo, attributes, 32);
SGX_ARCH_OFF(sgx_targetinfo, reserved1, 48);
SGX_ARCH_OFF(sgx_targetinfo, config_svn, 50);
SGX_ARCH_OFF(sgx_targetinfo, miscselect, 52);
SGX_ARCH_OFF(sgx_targetinfo, reserved2, 56);
SGX_ARCH_OFF(sgx_targetinfo, config_id, 64);
SGX_ARCH_OFF(sgx_targetinfo, reserved3, 128);

SGX_ARCH_SIZE(sgx_keyrequest, 512);
SGX_ARCH_OFF(sgx_keyrequest, key_policy, 2);
SGX_ARCH_OFF(sgx_keyrequest, isv_svn, 4);
SGX_ARCH_OFF(sgx_keyrequest, reserved1, 6);
SGX_ARCH_OFF(sgx_keyrequest, cpu_svn, 8);
SGX_ARCH_OFF(sgx_keyrequest, attribute_mask, 24);
SGX_ARCH_OFF(sgx_keyrequest, key_id, 40);
SGX_ARCH_OFF(sgx_keyrequest, misc_mask, 72);
SGX_ARCH_OFF(sgx_keyrequest, config_svn, 76);
SGX_ARCH_OFF(sgx_keyrequest, reserved2, 78);

#endif
