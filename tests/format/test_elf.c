/* SPDX-License-Identifier: MIT */
/*
 * ELF enclaves (docs/elf-enclave.md): the example enclave parses into the pages the convention
 * promises and measures like its .sgxs (python3 hashlib); every malformed variant of it,
 * generated here from the real file, is refused with a message naming what is wrong.
 */
#include <elf.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "softsgx/image.h"

#include "encl_ops.h"
#include "format_testutil.h"

struct elf {
	uint8_t *buf;
	size_t len;
};

static struct elf original;

static int load_original(void **state)
{
	(void)state;
	original.buf =
	    ft_read(ft_path("SOFTSGX_BUILD_ROOT", "examples/enclave/enclave.elf"), &original.len);
	return 0;
}

static int free_original(void **state)
{
	(void)state;
	free(original.buf);
	return 0;
}

static Elf64_Ehdr *ehdr(struct elf *e)
{
	return (Elf64_Ehdr *)e->buf;
}

static Elf64_Phdr *phdr(struct elf *e, int i)
{
	return (Elf64_Phdr *)(e->buf + ehdr(e)->e_phoff) + i;
}

static Elf64_Shdr *shdr_named(struct elf *e, const char *name)
{
	Elf64_Shdr *sh = (Elf64_Shdr *)(e->buf + ehdr(e)->e_shoff);
	const char *strtab = (const char *)e->buf + sh[ehdr(e)->e_shstrndx].sh_offset;

	for (int i = 0; i < ehdr(e)->e_shnum; i++)
		if (!strcmp(strtab + sh[i].sh_name, name))
			return &sh[i];
	fail_msg("enclave.elf has no section %s", name);
	return NULL;
}

static char *section_name(struct elf *e, const char *name)
{
	Elf64_Shdr *sh = (Elf64_Shdr *)(e->buf + ehdr(e)->e_shoff);

	return (char *)e->buf + sh[ehdr(e)->e_shstrndx].sh_offset + shdr_named(e, name)->sh_name;
}

static struct sgx_elf_note *note(struct elf *e)
{
	/* namesz, descsz, type, then "softsgx\0": the descriptor starts 20 bytes in. */
	return (struct sgx_elf_note *)(e->buf + shdr_named(e, SGX_ELF_NOTE_SECTION)->sh_offset +
				       20);
}

static struct sgx_tcs *tcs(struct elf *e, int i)
{
	return (struct sgx_tcs *)(e->buf + shdr_named(e, SGX_ELF_TCS_SECTION)->sh_offset) + i;
}

/* Segments of the example (encl.lds): 0 tcs, 1 text, 2 rodata, 3 data. */
static void m_truncated_header(struct elf *e)
{
	e->len = 40;
}

static void m_truncated_program_headers(struct elf *e)
{
	e->len = ehdr(e)->e_phoff + sizeof(Elf64_Phdr) + 10;
}

static void m_truncated_section_headers(struct elf *e)
{
	e->len = ehdr(e)->e_shoff + 10;
}

static void m_class32(struct elf *e)
{
	ehdr(e)->e_ident[EI_CLASS] = ELFCLASS32;
}

static void m_big_endian(struct elf *e)
{
	ehdr(e)->e_ident[EI_DATA] = ELFDATA2MSB;
}

static void m_machine_i386(struct elf *e)
{
	ehdr(e)->e_machine = EM_386;
}

static void m_relocatable(struct elf *e)
{
	ehdr(e)->e_type = ET_REL;
}

static void m_overlapping_segments(struct elf *e)
{
	phdr(e, 1)->p_vaddr = phdr(e, 0)->p_vaddr + 0x1000;
}

static void m_segment_beyond_file(struct elf *e)
{
	phdr(e, 1)->p_offset = e->len - 16;
}

static void m_filesz_exceeds_memsz(struct elf *e)
{
	phdr(e, 1)->p_filesz = phdr(e, 1)->p_memsz + 1;
}

static void m_misaligned_segment(struct elf *e)
{
	phdr(e, 1)->p_vaddr += 0x10;
}

static void m_write_without_read(struct elf *e)
{
	phdr(e, 2)->p_flags = PF_W;
}

static void m_interp(struct elf *e)
{
	phdr(e, 2)->p_type = PT_INTERP;
}

static void m_tls(struct elf *e)
{
	phdr(e, 2)->p_type = PT_TLS;
}

static void m_missing_note(struct elf *e)
{
	section_name(e, SGX_ELF_NOTE_SECTION)[12] = 'y'; /* ".note.softsgy" */
}

static void m_missing_tcs(struct elf *e)
{
	section_name(e, SGX_ELF_TCS_SECTION)[3] = 'z'; /* ".tcz" */
}

static void m_relocation_left(struct elf *e)
{
	Elf64_Rela *r = (Elf64_Rela *)(e->buf + shdr_named(e, ".rela.dyn")->sh_offset);

	r->r_info = ELF64_R_INFO(0, R_X86_64_RELATIVE);
}

static void m_note_version(struct elf *e)
{
	note(e)->version = 2;
}

static void m_note_descsz(struct elf *e)
{
	uint32_t descsz = 92;

	memcpy(e->buf + shdr_named(e, SGX_ELF_NOTE_SECTION)->sh_offset + 4, &descsz, 4);
}

static void m_note_32bit(struct elf *e)
{
	note(e)->attributes.flags = 0;
}

static void m_note_no_sse(struct elf *e)
{
	note(e)->attributes.xfrm = 1;
}

static void m_note_ssa_zero(struct elf *e)
{
	note(e)->ssa_frame_size = 0;
}

static void m_heap_overlaps(struct elf *e)
{
	note(e)->heap_offset = 0x4000;
}

static void m_enclave_size_small(struct elf *e)
{
	note(e)->enclave_size = 0x8000;
}

static void m_tcs_ossa_in_code(struct elf *e)
{
	tcs(e, 0)->ssa_offset = phdr(e, 1)->p_vaddr;
}

static void m_tcs_oentry_in_data(struct elf *e)
{
	tcs(e, 1)->entry_offset = phdr(e, 3)->p_vaddr;
}

static void m_tcs_reserved(struct elf *e)
{
	tcs(e, 0)->reserved[100] = 1;
}

static void m_tcs_nssa(struct elf *e)
{
	tcs(e, 1)->nr_ssa_frames = 2;
}

static void m_tcs_state(struct elf *e)
{
	tcs(e, 0)->state = 1;
}

/* Turn the rodata PT_LOAD into a PT_DYNAMIC whose entries sit in TCS 0's reserved bytes. */
static void make_dynamic(struct elf *e, const Elf64_Dyn *dyn, size_t n)
{
	uint64_t at = shdr_named(e, SGX_ELF_TCS_SECTION)->sh_offset + 200;

	memcpy(e->buf + at, dyn, n * sizeof(*dyn));
	phdr(e, 2)->p_type = PT_DYNAMIC;
	phdr(e, 2)->p_offset = at;
	phdr(e, 2)->p_filesz = n * sizeof(*dyn);
}

static void m_dynamic_needed(struct elf *e)
{
	const Elf64_Dyn dyn[] = {{.d_tag = DT_NEEDED, .d_un.d_val = 1}, {.d_tag = DT_NULL}};

	make_dynamic(e, dyn, 2);
}

static void m_dynamic_rela_left(struct elf *e)
{
	Elf64_Shdr *rela = shdr_named(e, ".rela.dyn");
	const Elf64_Dyn dyn[] = {
	    {.d_tag = DT_RELA, .d_un.d_ptr = rela->sh_addr},
	    {.d_tag = DT_RELASZ, .d_un.d_val = rela->sh_size},
	    {.d_tag = DT_NULL},
	};

	/* Keep .rela.dyn inside a loaded segment: it lives in rodata, so move it to text. */
	((Elf64_Rela *)(e->buf + rela->sh_offset))[1].r_info = ELF64_R_INFO(0, R_X86_64_64);
	phdr(e, 1)->p_filesz = phdr(e, 1)->p_memsz =
	    phdr(e, 2)->p_vaddr + phdr(e, 2)->p_filesz - phdr(e, 1)->p_vaddr;
	make_dynamic(e, dyn, 3);
}

static void m_section_name_out_of_bounds(struct elf *e)
{
	((Elf64_Shdr *)(e->buf + ehdr(e)->e_shoff))[1].sh_name = 0x7FFFFFFF;
}

static const struct bad_elf {
	const char *name;
	void (*mutate)(struct elf *e);
	const char *want; /* a phrase the message must contain */
} bad_elves[] = {
    {"truncated ELF header", m_truncated_header, "truncated ELF header: 40 of 64"},
    {"truncated program headers", m_truncated_program_headers, "truncated program headers"},
    {"truncated section headers", m_truncated_section_headers, "truncated section headers"},
    {"32-bit class", m_class32, "class 1, must be ELFCLASS64"},
    {"big-endian", m_big_endian, "must be ELFDATA2LSB"},
    {"i386 machine", m_machine_i386, "e_machine 3, must be EM_X86_64"},
    {"relocatable object", m_relocatable, "e_type 1"},
    {"overlapping segments", m_overlapping_segments,
     "program header 1 (PT_LOAD at 0x1000) overlaps"},
    {"segment beyond the file", m_segment_beyond_file,
     "program header 1 (PT_LOAD): segment beyond the file"},
    {"p_filesz > p_memsz", m_filesz_exceeds_memsz, "exceeds p_memsz"},
    {"misaligned segment", m_misaligned_segment, "p_vaddr 0x2010 is not page-aligned"},
    {"W without R", m_write_without_read, "program header 2 (PT_LOAD): writable but not readable"},
    {"PT_INTERP", m_interp, "program header 2: PT_INTERP"},
    {"PT_TLS", m_tls, "program header 2: PT_TLS"},
    {"missing note", m_missing_note, "no .note.softsgx section"},
    {"missing .tcs", m_missing_tcs, "no .tcs section"},
    {"dynamic relocation left", m_relocation_left, "(.rela.dyn): dynamic relocation of type 8"},
    {"note version", m_note_version, "note: version 2"},
    {"note descriptor size", m_note_descsz, "descriptor of 92 bytes"},
    {"note without MODE64BIT", m_note_32bit, "lacks MODE64BIT"},
    {"note XFRM without SSE", m_note_no_sse, "lacks x87 and SSE"},
    {"note SSAFRAMESIZE 0", m_note_ssa_zero, "SSAFRAMESIZE 0 pages"},
    {"heap over the segments", m_heap_overlaps, "heap at 0x4000 overlaps the segments"},
    {"enclave size too small", m_enclave_size_small, "enclave size 0x8000 does not cover"},
    {"TCS OSSA in code", m_tcs_ossa_in_code, "TCS at 0x0: OSSA 0x2000"},
    {"TCS OENTRY in data", m_tcs_oentry_in_data, "TCS at 0x1000: OENTRY 0x4000"},
    {"TCS reserved bytes", m_tcs_reserved, "TCS at 0x0: reserved bytes"},
    {"TCS NSSA", m_tcs_nssa, "TCS at 0x1000: NSSA 2 differs"},
    {"TCS STATE", m_tcs_state, "TCS at 0x0: STATE, CSSA and AEP must be zero"},
    {"PT_DYNAMIC with DT_NEEDED", m_dynamic_needed, "PT_DYNAMIC: DT_NEEDED"},
    {"PT_DYNAMIC relocation left", m_dynamic_rela_left,
     "PT_DYNAMIC DT_RELA: dynamic relocation of type 1"},
    {"section name out of bounds", m_section_name_out_of_bounds, "section 1: name offset"},
};

static void malformed_elves_are_refused_precisely(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_elves) / sizeof(bad_elves[0]); i++) {
		const struct bad_elf *b = &bad_elves[i];
		struct elf e = {malloc(original.len), original.len};
		struct softsgx_err err = {0};
		struct sgx_image img;
		int rc;

		assert_non_null(e.buf);
		memcpy(e.buf, original.buf, original.len);
		b->mutate(&e);
		rc = elf_enclave_parse(e.buf, e.len, &img, &err);
		if (rc >= 0 || !strstr(err.msg, b->want))
			fail_msg("%s: rc %d, message \"%s\"; want \"%s\"", b->name, rc, err.msg,
				 b->want);
		assert_null(img.pages);
		free(e.buf);
	}
}

static void example_enclave_has_two_tcs_pages_first(void **state)
{
	struct softsgx_err err = {0};
	struct sgx_image img;

	(void)state;
	if (elf_enclave_parse(original.buf, original.len, &img, &err))
		fail_msg("%s", err.msg);
	for (int i = 0; i < ENCL_NR_TCS; i++) {
		assert_int_equal(img.pages[i].offset, 4096 * i);
		assert_int_equal(img.pages[i].secinfo_flags, SGX_SECINFO_TYPE(SGX_PT_TCS));
	}
	assert_int_not_equal(img.pages[ENCL_NR_TCS].secinfo_flags & SGX_SECINFO_PAGE_TYPE_MASK,
			     SGX_SECINFO_TYPE(SGX_PT_TCS));
	assert_true(img.has_meta);
	assert_int_equal(img.ssa_frame_size, note(&original)->ssa_frame_size);
	assert_int_equal(img.attributes.flags, SGX_ATTR_MODE64BIT);
	assert_int_equal(img.attributes.xfrm, SGX_XFRM_LEGACY);
	sgx_image_free(&img);
}

static uint64_t perm_flags(uint32_t p_flags)
{
	return SGX_SECINFO_TYPE(SGX_PT_REG) | (p_flags & PF_R ? SGX_SECINFO_R : 0) |
	       (p_flags & PF_W ? SGX_SECINFO_W : 0) | (p_flags & PF_X ? SGX_SECINFO_X : 0);
}

/* Pages, permissions, data and SECS.SIZE straight from the program headers and the note. */
static void example_enclave_pages_follow_the_segments(void **state)
{
	struct softsgx_err err = {0};
	struct sgx_image img;
	size_t n = 0;
	uint64_t end = 0, size = 8192;

	(void)state;
	assert_int_equal(elf_enclave_parse(original.buf, original.len, &img, &err), 0);
	for (int i = 0; i < ehdr(&original)->e_phnum; i++) {
		Elf64_Phdr *p = phdr(&original, i);

		if (p->p_type != PT_LOAD)
			continue;
		for (uint64_t off = 0; off < p->p_memsz; off += 4096, n++) {
			struct sgx_image_page *pg = &img.pages[n];
			size_t in_file = off < p->p_filesz ? p->p_filesz - off : 0;

			assert_int_equal(pg->offset, p->p_vaddr + off);
			assert_int_equal(pg->measured, 0xFFFF);
			if (in_file > 4096)
				in_file = 4096;
			if (in_file)
				assert_memory_equal(pg->data, original.buf + p->p_offset + off,
						    in_file);
			if (pg->secinfo_flags != SGX_SECINFO_TYPE(SGX_PT_TCS))
				assert_int_equal(pg->secinfo_flags, perm_flags(p->p_flags));
		}
		end = p->p_vaddr + ((p->p_memsz + 4095) & ~4095ull);
	}
	assert_int_equal(img.nr_pages, n + note(&original)->heap_size / 4096);
	if (note(&original)->heap_size)
		end = note(&original)->heap_offset + note(&original)->heap_size;
	while (size < end)
		size *= 2;
	assert_int_equal(img.size, size);
	sgx_image_free(&img);
}

static void elf_measures_like_sha256_of_its_sgxs(void **state)
{
	struct softsgx_err err = {0};
	struct sgx_image img;
	uint8_t mr[32], *sgxs, *built;
	size_t len, built_len;
	char hex[65], want[65], path[64];

	(void)state;
	assert_int_equal(elf_enclave_parse(original.buf, original.len, &img, &err), 0);
	assert_int_equal(sgx_image_measure(&img, mr, &err), 0);
	assert_int_equal(sgxs_write(&img, &sgxs, &len, &err), 0);
	snprintf(path, sizeof(path), "%s", ft_write_temp(sgxs, len));
	ft_python_sha256_hex(path, want);
	unlink(path);
	softsgx_hex(hex, mr, sizeof(mr));
	assert_string_equal(hex, want);
	/* The build's enclave.sgxs (softsgx elf2sgxs) is the same stream. */
	built = ft_read(ft_path("SOFTSGX_BUILD_ROOT", "examples/enclave/enclave.sgxs"), &built_len);
	assert_int_equal(built_len, len);
	assert_memory_equal(built, sgxs, len);
	free(built);
	free(sgxs);
	sgx_image_free(&img);
}

/* 65 one-page PT_LOAD segments, their headers appended to the file. */
static void too_many_segments_are_refused(void **state)
{
	size_t n = SGX_ELF_MAX_SEGMENTS + 1, len = original.len + n * sizeof(Elf64_Phdr);
	struct elf e = {calloc(1, len), len};
	struct softsgx_err err = {0};
	struct sgx_image img;

	(void)state;
	assert_non_null(e.buf);
	memcpy(e.buf, original.buf, original.len);
	ehdr(&e)->e_phoff = original.len;
	ehdr(&e)->e_phnum = (Elf64_Half)n;
	for (size_t i = 0; i < n; i++)
		*phdr(&e, (int)i) = (Elf64_Phdr){
		    .p_type = PT_LOAD, .p_flags = PF_R, .p_vaddr = 0x1000 * i, .p_memsz = 0x1000};
	assert_int_equal(elf_enclave_parse(e.buf, e.len, &img, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "program header 64: more than 64 PT_LOAD segments"));
	free(e.buf);
}

static void parse_variant(void (*mutate)(struct elf *e), struct sgx_image *img)
{
	struct elf e = {malloc(original.len), original.len};
	struct softsgx_err err = {0};

	assert_non_null(e.buf);
	memcpy(e.buf, original.buf, original.len);
	mutate(&e);
	if (elf_enclave_parse(e.buf, e.len, img, &err))
		fail_msg("%s", err.msg);
	free(e.buf);
}

static void v_heap_unmeasured(struct elf *e)
{
	note(e)->flags = SGX_ELF_NOTE_HEAP_UNMEASURED;
}

static void v_enclave_size_1m(struct elf *e)
{
	note(e)->enclave_size = 1 << 20;
}

static void unmeasured_heap_pages_are_added_without_eextend(void **state)
{
	struct sgx_image img;
	uint64_t heap = note(&original)->heap_offset, pages = note(&original)->heap_size / 4096;
	size_t n = 0;

	(void)state;
	assert_true(pages > 0);
	parse_variant(v_heap_unmeasured, &img);
	for (size_t i = 0; i < img.nr_pages; i++) {
		if (img.pages[i].offset < heap)
			continue;
		assert_int_equal(img.pages[i].measured, 0);
		assert_int_equal(img.pages[i].secinfo_flags,
				 SGX_SECINFO_TYPE(SGX_PT_REG) | SGX_SECINFO_R | SGX_SECINFO_W);
		n++;
	}
	assert_int_equal(n, pages);
	sgx_image_free(&img);
}

static void note_enclave_size_sets_secs_size(void **state)
{
	struct sgx_image img;

	(void)state;
	parse_variant(v_enclave_size_1m, &img);
	assert_int_equal(img.size, 1 << 20);
	sgx_image_free(&img);
}

/* Never a crash: every truncation, and every header byte inverted, parses or fails cleanly. */
static void truncations_and_header_corruptions_fail_cleanly(void **state)
{
	uint8_t *buf = malloc(original.len);
	size_t headers = ehdr(&original)->e_phoff + ehdr(&original)->e_phnum * sizeof(Elf64_Phdr);

	(void)state;
	assert_non_null(buf);
	for (size_t len = 0; len < original.len; len += 13) {
		struct softsgx_err err = {0};
		struct sgx_image img;

		memcpy(buf, original.buf, len);
		assert_true(elf_enclave_parse(buf, len, &img, &err) < 0);
		assert_true(err.msg[0] != '\0');
	}
	for (size_t i = 0; i < original.len; i++) {
		struct softsgx_err err = {0};
		struct sgx_image img;

		if (i >= headers && i < ehdr(&original)->e_shoff)
			continue; /* contents: covered by the fuzzer */
		memcpy(buf, original.buf, original.len);
		buf[i] ^= 0xFF;
		if (elf_enclave_parse(buf, original.len, &img, &err) == 0)
			sgx_image_free(&img);
		else
			assert_true(err.msg[0] != '\0');
	}
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(example_enclave_has_two_tcs_pages_first),
	    cmocka_unit_test(example_enclave_pages_follow_the_segments),
	    cmocka_unit_test(elf_measures_like_sha256_of_its_sgxs),
	    cmocka_unit_test(malformed_elves_are_refused_precisely),
	    cmocka_unit_test(too_many_segments_are_refused),
	    cmocka_unit_test(unmeasured_heap_pages_are_added_without_eextend),
	    cmocka_unit_test(note_enclave_size_sets_secs_size),
	    cmocka_unit_test(truncations_and_header_corruptions_fail_cleanly),
	};

	return cmocka_run_group_tests(tests, load_original, free_original);
}
