/* SPDX-License-Identifier: MIT */
/* ECREATE, EADD, EEXTEND and EREMOVE: every check the hardware makes, with its fault or code. */
#include "cpu_test_util.h"

/* ---- ECREATE ---------------------------------------------------------------------------- */

struct secs_case {
	const char *name;
	void (*mutate)(struct sgx_secs *s); /* NULL: the valid SECS */
	int expect;
};

static void m_size_not_pow2(struct sgx_secs *s)
{
	s->size = 3 * SGX_PAGE_SIZE;
	s->base = 0x7f0000000000ull;
}
static void m_size_one_page(struct sgx_secs *s)
{
	s->size = SGX_PAGE_SIZE;
}
static void m_size_two_pages(struct sgx_secs *s)
{
	s->size = 2 * SGX_PAGE_SIZE;
}
static void m_base_unaligned(struct sgx_secs *s)
{
	s->base += s->size / 2;
}
static void m_base_noncanonical(struct sgx_secs *s)
{
	s->base = 0x0000800000000000ull;
}
static void m_ssa_zero(struct sgx_secs *s)
{
	s->ssa_frame_size = 0;
}
static void m_xfrm_no_sse(struct sgx_secs *s)
{
	s->attributes.xfrm = 0x1;
}
static void m_xfrm_bndregs_only(struct sgx_secs *s)
{
	s->attributes.xfrm = 0x3 | 0x8;
}
static void m_xfrm_pkru(struct sgx_secs *s)
{
	s->attributes.xfrm = 0x3 | (1ull << 9);
}
static void m_attr_init(struct sgx_secs *s)
{
	s->attributes.flags |= SGX_ATTR_INIT;
}
static void m_attr_reserved3(struct sgx_secs *s)
{
	s->attributes.flags |= 1ull << 3;
}
static void m_attr_reserved63(struct sgx_secs *s)
{
	s->attributes.flags |= 1ull << 63;
}
static void m_attr_aexnotify(struct sgx_secs *s)
{
	s->attributes.flags |= SGX_ATTR_AEXNOTIFY;
}
static void m_attr_cet(struct sgx_secs *s)
{
	s->attributes.flags |= SGX_ATTR_CET;
}
static void m_attr_debug_provision_kss(struct sgx_secs *s)
{
	s->attributes.flags |= SGX_ATTR_DEBUG | SGX_ATTR_PROVISIONKEY | SGX_ATTR_KSS;
}
static void m_misc_reserved(struct sgx_secs *s)
{
	s->miscselect = 0x2;
}
static void m_misc_exinfo(struct sgx_secs *s)
{
	s->miscselect = SGX_MISC_EXINFO;
}
static void m_reserved1(struct sgx_secs *s)
{
	s->reserved1[5] = 1;
}
static void m_reserved2(struct sgx_secs *s)
{
	s->reserved2[31] = 1;
}
static void m_reserved3(struct sgx_secs *s)
{
	s->reserved3[0] = 1;
}
static void m_reserved4(struct sgx_secs *s)
{
	s->reserved4[3833] = 1;
}
static void m_configid_without_kss(struct sgx_secs *s)
{
	s->config_id[0] = 1;
}
static void m_configsvn_without_kss(struct sgx_secs *s)
{
	s->config_svn = 1;
}
static void m_configid_with_kss(struct sgx_secs *s)
{
	s->config_id[0] = 1;
	s->config_svn = 3;
	s->attributes.flags |= SGX_ATTR_KSS;
}
static void m_32bit_above_4g(struct sgx_secs *s)
{
	s->attributes.flags &= ~SGX_ATTR_MODE64BIT;
}
static void m_32bit_low(struct sgx_secs *s)
{
	s->attributes.flags &= ~SGX_ATTR_MODE64BIT;
	s->base = 0x10000000;
}
static void m_32bit_too_big(struct sgx_secs *s)
{
	s->attributes.flags &= ~SGX_ATTR_MODE64BIT;
	s->size = 1ull << 32;
	s->base = 0;
}

static const struct secs_case secs_cases[] = {
    {"a valid SECS", NULL, 0},
    {"SIZE not a power of two", m_size_not_pow2, SGX_FAULT_GP},
    {"SIZE of one page", m_size_one_page, SGX_FAULT_GP},
    {"SIZE of two pages (the minimum)", m_size_two_pages, 0},
    {"BASEADDR not aligned to SIZE", m_base_unaligned, SGX_FAULT_GP},
    {"BASEADDR not canonical", m_base_noncanonical, SGX_FAULT_GP},
    {"SSAFRAMESIZE 0", m_ssa_zero, SGX_FAULT_GP},
    {"XFRM without SSE", m_xfrm_no_sse, SGX_FAULT_GP},
    {"XFRM BNDREGS without BNDCSR", m_xfrm_bndregs_only, SGX_FAULT_GP},
    {"XFRM with PKRU, which the platform does not offer", m_xfrm_pkru, SGX_FAULT_GP},
    {"ATTRIBUTES.INIT set", m_attr_init, SGX_FAULT_GP},
    {"ATTRIBUTES bit 3 (reserved)", m_attr_reserved3, SGX_FAULT_GP},
    {"ATTRIBUTES bit 63 (reserved)", m_attr_reserved63, SGX_FAULT_GP},
    {"ATTRIBUTES.AEXNOTIFY, not advertised", m_attr_aexnotify, SGX_FAULT_GP},
    {"ATTRIBUTES.CET, not advertised", m_attr_cet, SGX_FAULT_GP},
    {"DEBUG|PROVISIONKEY|KSS, all supported", m_attr_debug_provision_kss, 0},
    {"MISCSELECT bit 1 (reserved)", m_misc_reserved, SGX_FAULT_GP},
    {"MISCSELECT.EXINFO", m_misc_exinfo, 0},
    {"reserved bytes 24..47", m_reserved1, SGX_FAULT_GP},
    {"reserved bytes 96..127", m_reserved2, SGX_FAULT_GP},
    {"reserved bytes 160..191", m_reserved3, SGX_FAULT_GP},
    {"reserved byte 4095", m_reserved4, SGX_FAULT_GP},
    {"CONFIGID without KSS", m_configid_without_kss, SGX_FAULT_GP},
    {"CONFIGSVN without KSS", m_configsvn_without_kss, SGX_FAULT_GP},
    {"CONFIGID and CONFIGSVN with KSS", m_configid_with_kss, 0},
    {"32-bit enclave above 4 GiB", m_32bit_above_4g, SGX_FAULT_GP},
    {"32-bit enclave below 4 GiB", m_32bit_low, 0},
    {"32-bit enclave larger than 2^31", m_32bit_too_big, SGX_FAULT_GP},
};

static void ecreate_checks_every_secs_field(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(secs_cases) / sizeof(secs_cases[0]); i++) {
		struct t_cpu *t = t_cpu_new();
		struct sgx_epcm_view v;
		struct sgx_secs s;
		void *epc;
		int ret;

		t_secs(&s);
		if (secs_cases[i].mutate)
			secs_cases[i].mutate(&s);
		ret = t_ecreate(t, &s, &epc);
		if (ret != secs_cases[i].expect)
			fail_msg("%s: ECREATE returned %d, expected %d", secs_cases[i].name, ret,
				 secs_cases[i].expect);
		assert_int_equal(sgx_epcm_read(t->cpu, sgx_epc_index(t->cpu, epc), &v), 0);
		assert_int_equal(v.valid, ret == 0);
		if (ret == 0)
			assert_int_equal(v.page_type, SGX_PT_SECS);
		t_cpu_free(t);
	}
}

static void ecreate_refuses_ssa_frame_smaller_than_xsave_misc_gpr(void **state)
{
	struct t_cpu *t = t_cpu_new();
	uint64_t xfrm = t->platform.xfrm;
	uint32_t need = sgx_xsave_size(xfrm) + 16 + 184;
	struct sgx_secs s;
	void *epc;

	(void)state;
	t_secs(&s);
	s.attributes.xfrm = xfrm;
	s.miscselect = SGX_MISC_EXINFO;
	s.ssa_frame_size = (need + 4095) / 4096;
	assert_int_equal(t_ecreate(t, &s, &epc), 0);
	if (need > 4096) {
		s.ssa_frame_size = need / 4096;
		assert_int_equal(t_ecreate(t, &s, &epc), SGX_FAULT_GP);
	} else {
		print_message("XSAVE(0x%llx)+EXINFO+GPR = %u bytes fit one page on this host: the "
			      "too-small case is exercised only where the XSAVE area is larger\n",
			      (unsigned long long)xfrm, need);
	}
	t_cpu_free(t);
}

static void ecreate_faults_on_bad_pointers_and_busy_page(void **state)
{
	static struct sgx_secs src __attribute__((aligned(4096)));
	struct sgx_secinfo si = {0};
	struct sgx_pageinfo pi = {0};
	struct t_cpu *t = t_cpu_new();
	uint8_t *epc = t_page(t);
	static uint8_t outside[8192] __attribute__((aligned(4096)));

	(void)state;
	t_secs(&src);
	pi.contents = (uintptr_t)&src;
	pi.metadata = (uintptr_t)&si;
	assert_int_equal(sgx_encls_ecreate(t->cpu, &pi, outside), SGX_FAULT_GP);
	assert_int_equal(sgx_encls_ecreate(t->cpu, &pi, epc + 64), SGX_FAULT_GP);
	pi.contents = (uintptr_t)&src + 8;
	assert_int_equal(sgx_encls_ecreate(t->cpu, &pi, epc), SGX_FAULT_GP);
	pi.contents = (uintptr_t)&src;
	si.flags = SGX_SECINFO_TYPE(SGX_PT_REG);
	assert_int_equal(sgx_encls_ecreate(t->cpu, &pi, epc), SGX_FAULT_GP);
	si.flags = 0;
	si.reserved[7] = 1;
	assert_int_equal(sgx_encls_ecreate(t->cpu, &pi, epc), SGX_FAULT_GP);
	si.reserved[7] = 0;
	assert_int_equal(sgx_encls_ecreate(t->cpu, &pi, epc), 0);
	assert_int_equal(sgx_encls_ecreate(t->cpu, &pi, epc), SGX_FAULT_PF);
	t_cpu_free(t);
}

/* ---- EADD ------------------------------------------------------------------------------- */

/* ECREATE of the default SECS (t_secs) into the next EPC page; the SECS page. */
static void *ecreate_default(struct t_cpu *t)
{
	struct sgx_secs s;
	void *secs;

	t_secs(&s);
	assert_int_equal(t_ecreate(t, &s, &secs), 0);
	return secs;
}

struct eadd_case {
	const char *name;
	uint64_t off; /* from BASEADDR; ~0: outside below */
	uint64_t flags;
	int reserved_byte; /* SECINFO reserved byte to set, -1 none */
	int expect;
};

static const struct eadd_case eadd_cases[] = {
    {"REG RW page", 0x5000, T_REG_RW, -1, 0},
    {"REG RX page", 0x5000, T_REG_RX, -1, 0},
    {"REG page with no permissions", 0x5000, SGX_SECINFO_TYPE(SGX_PT_REG), -1, 0},
    {"last page of the enclave", T_SIZE - 0x1000, T_REG_RW, -1, 0},
    {"just past the end", T_SIZE, T_REG_RW, -1, SGX_FAULT_GP},
    {"below BASEADDR", (uint64_t)-0x1000, T_REG_RW, -1, SGX_FAULT_GP},
    {"linear address not page-aligned", 0x5008, T_REG_RW, -1, SGX_FAULT_GP},
    {"W without R", 0x5000, SGX_SECINFO_TYPE(SGX_PT_REG) | SGX_SECINFO_W, -1, SGX_FAULT_GP},
    {"page type SECS", 0x5000, SGX_SECINFO_TYPE(SGX_PT_SECS), -1, SGX_FAULT_GP},
    {"page type VA", 0x5000, SGX_SECINFO_TYPE(SGX_PT_VA), -1, SGX_FAULT_GP},
    {"page type TRIM", 0x5000, SGX_SECINFO_TYPE(SGX_PT_TRIM), -1, SGX_FAULT_GP},
    {"PENDING flag", 0x5000, T_REG_RW | SGX_SECINFO_PENDING, -1, SGX_FAULT_GP},
    {"MODIFIED flag", 0x5000, T_REG_RW | SGX_SECINFO_MODIFIED, -1, SGX_FAULT_GP},
    {"PR flag", 0x5000, T_REG_RW | SGX_SECINFO_PR, -1, SGX_FAULT_GP},
    {"flag bit 16", 0x5000, T_REG_RW | (1ull << 16), -1, SGX_FAULT_GP},
    {"SECINFO reserved byte", 0x5000, T_REG_RW, 40, SGX_FAULT_GP},
};

static void eadd_checks_secinfo_and_linear_address(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(eadd_cases) / sizeof(eadd_cases[0]); i++) {
		const struct eadd_case *c = &eadd_cases[i];
		static uint8_t src[4096] __attribute__((aligned(4096)));
		struct t_cpu *t = t_cpu_new();
		struct sgx_secinfo si = {.flags = c->flags};
		struct sgx_pageinfo pi = {0};
		struct sgx_epcm_view v;
		void *secs, *page;
		int ret;

		secs = ecreate_default(t);
		if (c->reserved_byte >= 0)
			si.reserved[c->reserved_byte] = 1;
		memset(src, 0xA5, sizeof(src));
		pi.addr = T_BASE + c->off;
		pi.contents = (uintptr_t)src;
		pi.metadata = (uintptr_t)&si;
		pi.secs = (uintptr_t)secs;
		page = t_page(t);
		ret = sgx_encls_eadd(t->cpu, &pi, page);
		if (ret != c->expect)
			fail_msg("%s: EADD returned %d, expected %d", c->name, ret, c->expect);
		sgx_epcm_read(t->cpu, sgx_epc_index(t->cpu, page), &v);
		assert_int_equal(v.valid, ret == 0);
		if (ret == 0) {
			assert_int_equal(v.page_type, SGX_PT_REG);
			assert_int_equal(v.rwx, c->flags & 7);
			assert_int_equal(v.enclave_addr, pi.addr);
			assert_int_equal(v.secs_index, sgx_epc_index(t->cpu, secs));
			assert_memory_equal(page, src, sizeof(src));
		}
		t_cpu_free(t);
	}
}

struct tcs_case {
	const char *name;
	void (*mutate)(struct sgx_tcs *tcs); /* NULL: the valid TCS */
	int expect;
};

static void tm_reserved(struct sgx_tcs *t)
{
	t->reserved[100] = 1;
}
static void tm_flags(struct sgx_tcs *t)
{
	t->flags = 1ull << 1; /* AEXNOTIFY's bit: not supported */
}
static void tm_dbgoptin(struct sgx_tcs *t)
{
	t->flags = SGX_TCS_DBGOPTIN;
}
static void tm_cssa(struct sgx_tcs *t)
{
	t->ssa_index = 1;
}
static void tm_ossa_outside(struct sgx_tcs *t)
{
	t->ssa_offset = T_SIZE;
}
static void tm_ossa_unaligned(struct sgx_tcs *t)
{
	t->ssa_offset = T_SSA_OFF + 8;
}
static void tm_nssa_past_end(struct sgx_tcs *t)
{
	t->ssa_offset = T_SIZE - 0x1000;
	t->nr_ssa_frames = 2;
}
static void tm_nssa_zero(struct sgx_tcs *t)
{
	t->nr_ssa_frames = 0;
}
static void tm_nssa_huge(struct sgx_tcs *t)
{
	t->nr_ssa_frames = 0xFFFFFFFF;
}
static void tm_oentry_outside(struct sgx_tcs *t)
{
	t->entry_offset = T_SIZE;
}
static void tm_ofsbase_unaligned(struct sgx_tcs *t)
{
	t->fs_offset = 0x10;
}

static const struct tcs_case tcs_cases[] = {
    {"a valid TCS", NULL, 0},
    {"TCS with DBGOPTIN", tm_dbgoptin, 0},
    {"TCS reserved byte", tm_reserved, SGX_FAULT_GP},
    {"TCS.FLAGS bit 1", tm_flags, SGX_FAULT_GP},
    {"CSSA not 0", tm_cssa, SGX_FAULT_GP},
    {"OSSA outside the enclave", tm_ossa_outside, SGX_FAULT_GP},
    {"OSSA not page-aligned", tm_ossa_unaligned, SGX_FAULT_GP},
    {"SSA frames past the end", tm_nssa_past_end, SGX_FAULT_GP},
    {"NSSA 0", tm_nssa_zero, SGX_FAULT_GP},
    {"NSSA 2^32-1 (overflow)", tm_nssa_huge, SGX_FAULT_GP},
    {"OENTRY outside the enclave", tm_oentry_outside, SGX_FAULT_GP},
    {"OFSBASE not page-aligned", tm_ofsbase_unaligned, SGX_FAULT_GP},
};

static void eadd_checks_tcs_fields(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(tcs_cases) / sizeof(tcs_cases[0]); i++) {
		struct t_cpu *t = t_cpu_new();
		struct sgx_tcs tcs;
		struct sgx_epcm_view v;
		void *secs, *page;
		int ret;

		secs = ecreate_default(t);
		t_tcs(&tcs);
		if (tcs_cases[i].mutate)
			tcs_cases[i].mutate(&tcs);
		ret = t_eadd_at(t, secs, T_BASE + T_TCS_OFF, T_TCS, &tcs, &page);
		if (ret != tcs_cases[i].expect)
			fail_msg("%s: EADD returned %d, expected %d", tcs_cases[i].name, ret,
				 tcs_cases[i].expect);
		sgx_epcm_read(t->cpu, sgx_epc_index(t->cpu, page), &v);
		assert_int_equal(v.valid, ret == 0);
		if (ret == 0) {
			assert_int_equal(v.page_type, SGX_PT_TCS);
			assert_int_equal(v.rwx, 0);
		}
		t_cpu_free(t);
	}
}

static void eadd_faults_on_busy_page_bad_secs_and_pointers(void **state)
{
	static uint8_t src[4096] __attribute__((aligned(4096)));
	struct sgx_secinfo si = {.flags = T_REG_RW};
	struct sgx_pageinfo pi = {0};
	struct t_cpu *t = t_cpu_new();
	void *secs, *page, *other;

	(void)state;
	secs = ecreate_default(t);
	assert_int_equal(t_eadd_at(t, secs, T_BASE + 0x5000, T_REG_RW, NULL, &page), 0);
	pi.addr = T_BASE + 0x6000;
	pi.contents = (uintptr_t)src;
	pi.metadata = (uintptr_t)&si;
	pi.secs = (uintptr_t)secs;
	/* The target EPC page is already in use: #PF. */
	assert_int_equal(sgx_encls_eadd(t->cpu, &pi, page), SGX_FAULT_PF);
	other = t_page(t);
	/* The SECS argument is a REG page, or a free EPC page: #PF. */
	pi.secs = (uintptr_t)page;
	assert_int_equal(sgx_encls_eadd(t->cpu, &pi, other), SGX_FAULT_PF);
	pi.secs = (uintptr_t)t_page(t);
	assert_int_equal(sgx_encls_eadd(t->cpu, &pi, other), SGX_FAULT_PF);
	/* The SECS argument is not in the EPC: #GP. */
	pi.secs = (uintptr_t)src;
	assert_int_equal(sgx_encls_eadd(t->cpu, &pi, other), SGX_FAULT_GP);
	pi.secs = (uintptr_t)secs;
	pi.metadata = (uintptr_t)&si + 1;
	assert_int_equal(sgx_encls_eadd(t->cpu, &pi, other), SGX_FAULT_GP);
	pi.metadata = (uintptr_t)&si;
	pi.contents = (uintptr_t)src + 16;
	assert_int_equal(sgx_encls_eadd(t->cpu, &pi, other), SGX_FAULT_GP);
	pi.contents = (uintptr_t)src;
	assert_int_equal(sgx_encls_eadd(t->cpu, &pi, src), SGX_FAULT_GP);
	assert_int_equal(sgx_encls_eadd(t->cpu, &pi, (uint8_t *)other + 8), SGX_FAULT_GP);
	assert_int_equal(sgx_encls_eadd(t->cpu, &pi, other), 0);
	t_cpu_free(t);
}

/* ---- EEXTEND ---------------------------------------------------------------------------- */

static void eextend_faults_on_bad_chunk_page_or_secs(void **state)
{
	struct t_cpu *t = t_cpu_new();
	void *secs, *secs2, *page, *free_page;

	(void)state;
	secs = ecreate_default(t);
	secs2 = ecreate_default(t);
	assert_int_equal(t_eadd_at(t, secs, T_BASE + 0x2000, T_REG_RW, NULL, &page), 0);
	free_page = t_page(t);
	assert_int_equal(sgx_encls_eextend(t->cpu, secs, (uint8_t *)page + 128), SGX_FAULT_GP);
	assert_int_equal(sgx_encls_eextend(t->cpu, secs, free_page), SGX_FAULT_PF);
	assert_int_equal(sgx_encls_eextend(t->cpu, secs, secs2), SGX_FAULT_PF);
	assert_int_equal(sgx_encls_eextend(t->cpu, secs2, page), SGX_FAULT_GP);
	assert_int_equal(sgx_encls_eextend(t->cpu, page, page), SGX_FAULT_PF);
	assert_int_equal(sgx_encls_eextend(t->cpu, secs, (uint8_t *)page + 3840), 0);
	t_cpu_free(t);
}

/* ---- EREMOVE ---------------------------------------------------------------------------- */

static void eremove_secs_with_children_is_child_present(void **state)
{
	struct t_cpu *t = t_cpu_new();
	struct sgx_epcm_view v;
	void *secs, *p1, *p2;

	(void)state;
	secs = ecreate_default(t);
	assert_int_equal(t_eadd_at(t, secs, T_BASE + 0x2000, T_REG_RW, NULL, &p1), 0);
	assert_int_equal(t_eadd_at(t, secs, T_BASE + 0x3000, T_REG_RW, NULL, &p2), 0);
	assert_int_equal(sgx_encls_eremove(t->cpu, secs), SGX_CHILD_PRESENT);
	assert_int_equal(sgx_encls_eremove(t->cpu, p1), 0);
	assert_int_equal(sgx_encls_eremove(t->cpu, secs), SGX_CHILD_PRESENT);
	assert_int_equal(sgx_encls_eremove(t->cpu, p2), 0);
	assert_int_equal(sgx_encls_eremove(t->cpu, secs), 0);
	for (void **p = (void *[]){secs, p1, p2, NULL}; *p; p++) {
		sgx_epcm_read(t->cpu, sgx_epc_index(t->cpu, *p), &v);
		assert_false(v.valid);
		assert_true(sgx_epc_page(t->cpu, sgx_epc_index(t->cpu, *p)) == *p);
	}
	/* A free page can be removed again; a pointer outside the EPC is a #GP. */
	assert_int_equal(sgx_encls_eremove(t->cpu, p1), 0);
	assert_int_equal(sgx_encls_eremove(t->cpu, (uint8_t *)p1 + 8), SGX_FAULT_GP);
	assert_int_equal(sgx_encls_eremove(t->cpu, &v), SGX_FAULT_GP);
	t_cpu_free(t);
}

static void removed_epc_page_can_be_reused_by_another_enclave(void **state)
{
	struct t_cpu *t = t_cpu_new();
	static uint8_t secret[4096];
	void *secs, *page, *secs2, *page2;

	(void)state;
	memset(secret, 0x5A, sizeof(secret));
	secs = ecreate_default(t);
	assert_int_equal(t_eadd_at(t, secs, T_BASE + 0x2000, T_REG_RW, secret, &page), 0);
	assert_int_equal(sgx_encls_eremove(t->cpu, page), 0);
	assert_int_equal(sgx_encls_eremove(t->cpu, secs), 0);
	assert_true(((uint8_t *)page)[0] == 0);
	t->next_page = sgx_epc_index(t->cpu, secs);
	secs2 = ecreate_default(t);
	assert_ptr_equal(secs2, secs);
	assert_int_equal(t_eadd_at(t, secs2, T_BASE + 0x2000, T_REG_RW, NULL, &page2), 0);
	assert_ptr_equal(page2, page);
	t_cpu_free(t);
}

static void epc_index_maps_pointers_and_rejects_outside(void **state)
{
	struct t_cpu *t = t_cpu_new();
	uint8_t *epc = sgx_epc_page(t->cpu, 0);

	(void)state;
	assert_int_equal(sgx_epc_nr_pages(t->cpu), T_EPC_PAGES);
	assert_int_equal(sgx_epc_index(t->cpu, epc + 4096 * 7 + 100), 7);
	assert_int_equal(sgx_epc_index(t->cpu, epc - 1), SIZE_MAX);
	assert_int_equal(sgx_epc_index(t->cpu, epc + 4096 * T_EPC_PAGES), SIZE_MAX);
	assert_null(sgx_epc_page(t->cpu, T_EPC_PAGES));
	assert_int_equal(sgx_cpu_platform(t->cpu)->epc_size, T_EPC_PAGES * 4096);
	t_cpu_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(ecreate_checks_every_secs_field),
	    cmocka_unit_test(ecreate_refuses_ssa_frame_smaller_than_xsave_misc_gpr),
	    cmocka_unit_test(ecreate_faults_on_bad_pointers_and_busy_page),
	    cmocka_unit_test(eadd_checks_secinfo_and_linear_address),
	    cmocka_unit_test(eadd_checks_tcs_fields),
	    cmocka_unit_test(eadd_faults_on_busy_page_bad_secs_and_pointers),
	    cmocka_unit_test(eextend_faults_on_bad_chunk_page_or_secs),
	    cmocka_unit_test(eremove_secs_with_children_is_child_present),
	    cmocka_unit_test(removed_epc_page_can_be_reused_by_another_enclave),
	    cmocka_unit_test(epc_index_maps_pointers_and_rejects_outside),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
