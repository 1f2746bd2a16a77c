/* SPDX-License-Identifier: MIT */
/*
 * ELF enclaves (docs/elf-enclave.md): PT_LOAD segments linked at 0 become REG pages, the .tcs
 * section's pages become TCS pages, the .note.softsgx note gives the SECS parameters and the
 * heap.  Everything is validated before an image is built: the input may be anything.
 */
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "image_internal.h"

#ifndef SHT_RELR
#define SHT_RELR 19
#endif
#ifndef DT_RELRSZ
#define DT_RELRSZ 35
#endif

struct elf_enclave {
	const uint8_t *buf;
	size_t len;
	Elf64_Ehdr eh;
	Elf64_Phdr *ph; /* copies: the input may be unaligned */
	Elf64_Shdr *sh;
	const Elf64_Phdr *loads[SGX_ELF_MAX_SEGMENTS];
	unsigned int nr_loads;
	const Elf64_Shdr *tcs;
	struct sgx_elf_note note;
	uint64_t end; /* end of the highest page, heap included */
};

/* [off, off + size) inside a buffer of @len bytes, without overflow. */
static bool in_bounds(uint64_t off, uint64_t size, uint64_t len)
{
	return off <= len && size <= len - off;
}

static uint64_t page_up(uint64_t x)
{
	return (x + SGX_PAGE_SIZE - 1) & ~(uint64_t)(SGX_PAGE_SIZE - 1);
}

static int check_ident(const Elf64_Ehdr *eh, struct softsgx_err *err)
{
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG))
		return softsgx_fail(err, -EINVAL, "ELF header: bad magic (not an ELF file)");
	if (eh->e_ident[EI_CLASS] != ELFCLASS64)
		return softsgx_fail(err, -EINVAL,
				    "ELF header offset %d: class %u, must be ELFCLASS64 "
				    "(2)",
				    EI_CLASS, eh->e_ident[EI_CLASS]);
	if (eh->e_ident[EI_DATA] != ELFDATA2LSB)
		return softsgx_fail(err, -EINVAL,
				    "ELF header offset %d: data encoding %u, must be "
				    "ELFDATA2LSB (1)",
				    EI_DATA, eh->e_ident[EI_DATA]);
	if (eh->e_ident[EI_VERSION] != EV_CURRENT || eh->e_version != EV_CURRENT)
		return softsgx_fail(err, -EINVAL, "ELF header: version is not EV_CURRENT (1)");
	if (eh->e_machine != EM_X86_64)
		return softsgx_fail(err, -EINVAL,
				    "ELF header offset 18: e_machine %u, must be "
				    "EM_X86_64 (62)",
				    eh->e_machine);
	if (eh->e_type != ET_DYN && eh->e_type != ET_EXEC)
		return softsgx_fail(err, -EINVAL,
				    "ELF header offset 16: e_type %u, must be ET_DYN "
				    "(3, a static PIE) or ET_EXEC (2)",
				    eh->e_type);
	return 0;
}

static int check_header(struct elf_enclave *e, struct softsgx_err *err)
{
	const Elf64_Ehdr *eh = &e->eh;
	int rc;

	if (e->len < sizeof(Elf64_Ehdr))
		return softsgx_fail(err, -EINVAL, "truncated ELF header: %zu of %zu bytes", e->len,
				    sizeof(Elf64_Ehdr));
	memcpy(&e->eh, e->buf, sizeof(e->eh));
	rc = check_ident(eh, err);
	if (rc)
		return rc;
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || !eh->e_phnum || eh->e_phnum == PN_XNUM)
		return softsgx_fail(err, -EINVAL,
				    "ELF header: e_phentsize %u, e_phnum %u: need "
				    "program headers of %zu bytes",
				    eh->e_phentsize, eh->e_phnum, sizeof(Elf64_Phdr));
	if (!in_bounds(eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr), e->len))
		return softsgx_fail(err, -EINVAL,
				    "truncated program headers: %u at file offset "
				    "0x%llx end beyond the file (%zu bytes)",
				    eh->e_phnum, (unsigned long long)eh->e_phoff, e->len);
	if (!eh->e_shnum || eh->e_shentsize != sizeof(Elf64_Shdr))
		return softsgx_fail(err, -EINVAL,
				    "ELF header: e_shnum %u, e_shentsize %u: section "
				    "headers of %zu bytes are needed (.tcs and %s are found "
				    "through them)",
				    eh->e_shnum, eh->e_shentsize, sizeof(Elf64_Shdr),
				    SGX_ELF_NOTE_SECTION);
	if (!in_bounds(eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr), e->len))
		return softsgx_fail(err, -EINVAL,
				    "truncated section headers: %u at file offset "
				    "0x%llx end beyond the file (%zu bytes)",
				    eh->e_shnum, (unsigned long long)eh->e_shoff, e->len);
	if (eh->e_shstrndx >= eh->e_shnum)
		return softsgx_fail(err, -EINVAL,
				    "ELF header: e_shstrndx %u is not a section "
				    "(e_shnum %u)",
				    eh->e_shstrndx, eh->e_shnum);
	e->ph = malloc((size_t)eh->e_phnum * sizeof(Elf64_Phdr));
	e->sh = malloc((size_t)eh->e_shnum * sizeof(Elf64_Shdr));
	if (!e->ph || !e->sh)
		return softsgx_fail(err, -ENOMEM, "out of memory for the ELF headers");
	memcpy(e->ph, e->buf + eh->e_phoff, (size_t)eh->e_phnum * sizeof(Elf64_Phdr));
	memcpy(e->sh, e->buf + eh->e_shoff, (size_t)eh->e_shnum * sizeof(Elf64_Shdr));
	return 0;
}

/* The section's name, or NULL when it does not lie inside .shstrtab. */
static const char *section_name(const struct elf_enclave *e, const Elf64_Shdr *s)
{
	const Elf64_Shdr *strtab = &e->sh[e->eh.e_shstrndx];
	const char *base;

	if (strtab->sh_type != SHT_STRTAB ||
	    !in_bounds(strtab->sh_offset, strtab->sh_size, e->len) || s->sh_name >= strtab->sh_size)
		return NULL;
	base = (const char *)e->buf + strtab->sh_offset;
	if (!memchr(base + s->sh_name, '\0', strtab->sh_size - s->sh_name))
		return NULL;
	return base + s->sh_name;
}

static int check_load(struct elf_enclave *e, unsigned int i, struct softsgx_err *err)
{
	const Elf64_Phdr *p = &e->ph[i];
	const Elf64_Phdr *prev = e->nr_loads ? e->loads[e->nr_loads - 1] : NULL;

	if (p->p_vaddr & (SGX_PAGE_SIZE - 1))
		return softsgx_fail(err, -EINVAL,
				    "program header %u (PT_LOAD): p_vaddr 0x%llx is not "
				    "page-aligned",
				    i, (unsigned long long)p->p_vaddr);
	if (p->p_filesz > p->p_memsz)
		return softsgx_fail(err, -EINVAL,
				    "program header %u (PT_LOAD): p_filesz 0x%llx "
				    "exceeds p_memsz 0x%llx",
				    i, (unsigned long long)p->p_filesz,
				    (unsigned long long)p->p_memsz);
	if (!in_bounds(p->p_offset, p->p_filesz, e->len))
		return softsgx_fail(err, -EINVAL,
				    "program header %u (PT_LOAD): segment beyond the "
				    "file: bytes 0x%llx..0x%llx of a %zu-byte file",
				    i, (unsigned long long)p->p_offset,
				    (unsigned long long)(p->p_offset + p->p_filesz), e->len);
	if (!in_bounds(p->p_vaddr, p->p_memsz, SGX_IMAGE_MAX_SIZE))
		return softsgx_fail(err, -EINVAL,
				    "program header %u (PT_LOAD): 0x%llx + 0x%llx "
				    "reaches beyond 2^36, the largest enclave",
				    i, (unsigned long long)p->p_vaddr,
				    (unsigned long long)p->p_memsz);
	if (p->p_flags & ~(uint32_t)(PF_R | PF_W | PF_X))
		return softsgx_fail(err, -EINVAL,
				    "program header %u (PT_LOAD): p_flags 0x%x has bits "
				    "other than PF_R/PF_W/PF_X",
				    i, p->p_flags);
	if ((p->p_flags & PF_W) && !(p->p_flags & PF_R))
		return softsgx_fail(err, -EINVAL,
				    "program header %u (PT_LOAD): writable but not "
				    "readable (SGX refuses W without R)",
				    i);
	if (!p->p_memsz)
		return 0;
	if (prev && p->p_vaddr < page_up(prev->p_vaddr + prev->p_memsz))
		return softsgx_fail(err, -EINVAL,
				    "program header %u (PT_LOAD at 0x%llx) overlaps the "
				    "previous segment (0x%llx..0x%llx in pages) or is out of "
				    "ascending order",
				    i, (unsigned long long)p->p_vaddr,
				    (unsigned long long)prev->p_vaddr,
				    (unsigned long long)page_up(prev->p_vaddr + prev->p_memsz));
	if (e->nr_loads == SGX_ELF_MAX_SEGMENTS)
		return softsgx_fail(err, -EINVAL,
				    "program header %u: more than %d PT_LOAD segments", i,
				    SGX_ELF_MAX_SEGMENTS);
	e->loads[e->nr_loads++] = p;
	return 0;
}

/* The file bytes of [vaddr, vaddr + size), if a segment holds all of them. */
static const uint8_t *file_bytes_at(const struct elf_enclave *e, uint64_t vaddr, uint64_t size)
{
	for (unsigned int i = 0; i < e->nr_loads; i++) {
		const Elf64_Phdr *p = e->loads[i];

		if (vaddr >= p->p_vaddr && in_bounds(vaddr - p->p_vaddr, size, p->p_filesz))
			return e->buf + p->p_offset + (vaddr - p->p_vaddr);
	}
	return NULL;
}

static int check_reloc_table(const struct elf_enclave *e, const uint8_t *t, uint64_t size,
			     size_t entsize, const char *where, struct softsgx_err *err)
{
	for (uint64_t off = 0; off + entsize <= size; off += entsize) {
		/* r_offset then r_info in both Elf64_Rel and Elf64_Rela. */
		uint64_t info = get_le64(t + off + 8);

		if (ELF64_R_TYPE(info) != R_X86_64_NONE)
			return softsgx_fail(
			    err, -EINVAL,
			    "%s: dynamic relocation of type %llu at "
			    "0x%llx is left: an enclave is measured as linked, build "
			    "it so that no relocation remains (docs/elf-enclave.md)",
			    where, (unsigned long long)ELF64_R_TYPE(info),
			    (unsigned long long)get_le64(t + off));
	}
	(void)e;
	return 0;
}

static int check_dynamic_entry(const Elf64_Dyn *d, struct softsgx_err *err)
{
	if (d->d_tag == DT_NEEDED)
		return softsgx_fail(err, -EINVAL,
				    "PT_DYNAMIC: DT_NEEDED: the enclave depends on a "
				    "shared library, which nothing inside an enclave can load");
	if ((d->d_tag == DT_RELSZ || d->d_tag == DT_PLTRELSZ || d->d_tag == DT_RELRSZ) &&
	    d->d_un.d_val)
		return softsgx_fail(err, -EINVAL,
				    "PT_DYNAMIC: a non-empty relocation table (tag "
				    "%lld): no relocation may be left",
				    (long long)d->d_tag);
	return 0;
}

/* DT_RELA may hold only the empty slots ld leaves (R_X86_64_NONE). */
static int check_dynamic_rela(const struct elf_enclave *e, uint64_t rela, uint64_t relasz,
			      struct softsgx_err *err)
{
	const uint8_t *t;

	if (!relasz)
		return 0;
	t = file_bytes_at(e, rela, relasz);
	if (!t)
		return softsgx_fail(err, -EINVAL,
				    "PT_DYNAMIC: DT_RELA 0x%llx (size 0x%llx) is not "
				    "inside a segment's file bytes",
				    (unsigned long long)rela, (unsigned long long)relasz);
	return check_reloc_table(e, t, relasz, sizeof(Elf64_Rela), "PT_DYNAMIC DT_RELA", err);
}

static int check_dynamic(const struct elf_enclave *e, const Elf64_Phdr *p, struct softsgx_err *err)
{
	uint64_t rela = 0, relasz = 0;

	if (!in_bounds(p->p_offset, p->p_filesz, e->len))
		return softsgx_fail(err, -EINVAL,
				    "PT_DYNAMIC at file offset 0x%llx lies beyond the "
				    "file",
				    (unsigned long long)p->p_offset);
	for (uint64_t off = 0; off + sizeof(Elf64_Dyn) <= p->p_filesz; off += sizeof(Elf64_Dyn)) {
		Elf64_Dyn d;
		int rc;

		memcpy(&d, e->buf + p->p_offset + off, sizeof(d));
		if (d.d_tag == DT_NULL)
			break;
		if (d.d_tag == DT_RELA)
			rela = d.d_un.d_ptr;
		if (d.d_tag == DT_RELASZ)
			relasz = d.d_un.d_val;
		rc = check_dynamic_entry(&d, err);
		if (rc)
			return rc;
	}
	return check_dynamic_rela(e, rela, relasz, err);
}

static int check_program_headers(struct elf_enclave *e, struct softsgx_err *err)
{
	int rc = 0;

	for (unsigned int i = 0; i < e->eh.e_phnum && !rc; i++) {
		switch (e->ph[i].p_type) {
		case PT_LOAD:
			rc = check_load(e, i, err);
			break;
		case PT_INTERP:
			rc = softsgx_fail(err, -EINVAL,
					  "program header %u: PT_INTERP: the enclave "
					  "asks for a dynamic loader; link it -static-pie",
					  i);
			break;
		case PT_TLS:
			rc = softsgx_fail(err, -EINVAL,
					  "program header %u: PT_TLS is not supported "
					  "(nothing sets up TLS in an enclave; use OFSBASE)",
					  i);
			break;
		}
	}
	if (!rc && !e->nr_loads)
		rc = softsgx_fail(err, -EINVAL, "no PT_LOAD segment: the enclave is empty");
	/* Dynamic tables are checked once the segments are known, to locate DT_RELA. */
	for (unsigned int i = 0; i < e->eh.e_phnum && !rc; i++)
		if (e->ph[i].p_type == PT_DYNAMIC)
			rc = check_dynamic(e, &e->ph[i], err);
	return rc;
}

static int check_reloc_section(const struct elf_enclave *e, unsigned int i, const char *name,
			       struct softsgx_err *err)
{
	const Elf64_Shdr *s = &e->sh[i];
	size_t entsize = s->sh_type == SHT_RELA ? sizeof(Elf64_Rela) : sizeof(Elf64_Rel);
	char where[96];

	if (!(s->sh_flags & SHF_ALLOC))
		return 0; /* static relocation records (--emit-relocs): never applied at load */
	snprintf(where, sizeof(where), "section %u (%s)", i, name);
	if (s->sh_type == SHT_RELR && s->sh_size)
		return softsgx_fail(err, -EINVAL,
				    "%s: packed relative relocations (SHT_RELR) are "
				    "left: no relocation may remain",
				    where);
	if (s->sh_type == SHT_RELR)
		return 0;
	return check_reloc_table(e, e->buf + s->sh_offset, s->sh_size, entsize, where, err);
}

static int check_section(struct elf_enclave *e, unsigned int i, const Elf64_Shdr **note,
			 struct softsgx_err *err)
{
	const Elf64_Shdr *s = &e->sh[i];
	const char *name = section_name(e, s);

	if (!name)
		return softsgx_fail(err, -EINVAL,
				    "section %u: name offset %u is not inside a valid "
				    ".shstrtab (section %u)",
				    i, s->sh_name, e->eh.e_shstrndx);
	if (s->sh_type != SHT_NOBITS && s->sh_type != SHT_NULL &&
	    !in_bounds(s->sh_offset, s->sh_size, e->len))
		return softsgx_fail(err, -EINVAL,
				    "section %u (%s): bytes 0x%llx..0x%llx lie beyond "
				    "the %zu-byte file",
				    i, name, (unsigned long long)s->sh_offset,
				    (unsigned long long)(s->sh_offset + s->sh_size), e->len);
	if (!strcmp(name, SGX_ELF_TCS_SECTION)) {
		if (e->tcs)
			return softsgx_fail(err, -EINVAL, "section %u: a second %s section", i,
					    name);
		e->tcs = s;
	} else if (!strcmp(name, SGX_ELF_NOTE_SECTION)) {
		if (*note)
			return softsgx_fail(err, -EINVAL, "section %u: a second %s section", i,
					    name);
		if (s->sh_type != SHT_NOTE)
			return softsgx_fail(err, -EINVAL,
					    "section %u (%s): type %u, must be "
					    "SHT_NOTE (7)",
					    i, name, s->sh_type);
		*note = s;
	}
	if (s->sh_type == SHT_REL || s->sh_type == SHT_RELA || s->sh_type == SHT_RELR)
		return check_reloc_section(e, i, name, err);
	return 0;
}

static int check_tcs_section(const struct elf_enclave *e, struct softsgx_err *err)
{
	const Elf64_Shdr *s = e->tcs;

	if (!s)
		return softsgx_fail(err, -EINVAL,
				    "no %s section: an enclave needs at least one TCS "
				    "page (docs/elf-enclave.md)",
				    SGX_ELF_TCS_SECTION);
	if (s->sh_type != SHT_PROGBITS || !(s->sh_flags & SHF_ALLOC))
		return softsgx_fail(err, -EINVAL,
				    "section %s: must be allocated SHT_PROGBITS (type "
				    "%u, flags 0x%llx)",
				    SGX_ELF_TCS_SECTION, s->sh_type,
				    (unsigned long long)s->sh_flags);
	if ((s->sh_addr & (SGX_PAGE_SIZE - 1)) || !s->sh_size || (s->sh_size & (SGX_PAGE_SIZE - 1)))
		return softsgx_fail(err, -EINVAL,
				    "section %s: address 0x%llx, size 0x%llx: must be "
				    "page-aligned whole pages, at least one",
				    SGX_ELF_TCS_SECTION, (unsigned long long)s->sh_addr,
				    (unsigned long long)s->sh_size);
	if (file_bytes_at(e, s->sh_addr, s->sh_size) != e->buf + s->sh_offset)
		return softsgx_fail(err, -EINVAL,
				    "section %s (0x%llx..0x%llx) is not inside the file "
				    "bytes of one PT_LOAD segment",
				    SGX_ELF_TCS_SECTION, (unsigned long long)s->sh_addr,
				    (unsigned long long)(s->sh_addr + s->sh_size));
	return 0;
}

/* Check the note at @off of the note section; copy its descriptor if it is ours. */
static int read_one_note(struct elf_enclave *e, const Elf64_Shdr *s, uint64_t off, uint64_t *next,
			 bool *found, struct softsgx_err *err)
{
	const uint8_t *p = e->buf + s->sh_offset;
	unsigned long long at = (unsigned long long)(s->sh_offset + off);
	uint32_t namesz, descsz, type;
	uint64_t desc;

	if (s->sh_size - off < 12)
		return softsgx_fail(err, -EINVAL, "%s: truncated note header at file offset 0x%llx",
				    SGX_ELF_NOTE_SECTION, at);
	namesz = get_le32(p + off);
	descsz = get_le32(p + off + 4);
	type = get_le32(p + off + 8);
	desc = off + 12 + ((namesz + 3ull) & ~3ull);
	if (!in_bounds(off + 12, namesz, s->sh_size) || !in_bounds(desc, descsz, s->sh_size))
		return softsgx_fail(err, -EINVAL,
				    "%s: the note at file offset 0x%llx (namesz %u, descsz %u) "
				    "runs beyond the section",
				    SGX_ELF_NOTE_SECTION, at, namesz, descsz);
	*next = desc + ((descsz + 3ull) & ~3ull);
	if (namesz != sizeof(SGX_ELF_NOTE_NAME) ||
	    memcmp(p + off + 12, SGX_ELF_NOTE_NAME, sizeof(SGX_ELF_NOTE_NAME)))
		return 0; /* somebody else's note */
	if (type != NT_SOFTSGX_ENCLAVE)
		return softsgx_fail(err, -EINVAL,
				    "%s: the note at file offset 0x%llx has unknown type %u",
				    SGX_ELF_NOTE_SECTION, at, type);
	if (*found)
		return softsgx_fail(err, -EINVAL, "%s: a second softsgx note at file offset 0x%llx",
				    SGX_ELF_NOTE_SECTION, at);
	if (descsz != sizeof(e->note))
		return softsgx_fail(err, -EINVAL,
				    "%s: the note at file offset 0x%llx has a descriptor of %u "
				    "bytes, version 1 has %zu",
				    SGX_ELF_NOTE_SECTION, at, descsz, sizeof(e->note));
	memcpy(&e->note, p + desc, sizeof(e->note));
	*found = true;
	return 0;
}

/* Find the one "softsgx" note in the section and copy its descriptor. */
static int read_note(struct elf_enclave *e, const Elf64_Shdr *s, struct softsgx_err *err)
{
	bool found = false;

	for (uint64_t off = 0; off < s->sh_size;) {
		int rc = read_one_note(e, s, off, &off, &found, err);

		if (rc)
			return rc;
	}
	if (!found)
		return softsgx_fail(err, -EINVAL, "%s holds no \"%s\" note", SGX_ELF_NOTE_SECTION,
				    SGX_ELF_NOTE_NAME);
	return 0;
}

static int check_note_secs(const struct sgx_elf_note *n, struct softsgx_err *err)
{
	uint64_t xfrm = n->attributes.xfrm;

	if (n->ssa_frame_size < 1 || n->ssa_frame_size > SGX_ELF_MAX_SSA_FRAME_SIZE)
		return softsgx_fail(err, -EINVAL, "note: SSAFRAMESIZE %u pages, must be 1..%d",
				    n->ssa_frame_size, SGX_ELF_MAX_SSA_FRAME_SIZE);
	if (!n->nssa)
		return softsgx_fail(err, -EINVAL,
				    "note: NSSA is 0, a TCS needs at least one SSA "
				    "frame");
	if (n->miscselect & SGX_MISC_RESERVED_MASK)
		return softsgx_fail(err, -EINVAL,
				    "note: MISCSELECT 0x%x sets reserved bits (only "
				    "EXINFO, bit 0, exists)",
				    n->miscselect);
	if (n->attributes.flags & (SGX_ATTR_RESERVED_MASK | SGX_ATTR_INIT))
		return softsgx_fail(err, -EINVAL,
				    "note: ATTRIBUTES.FLAGS 0x%llx sets INIT or "
				    "reserved bits",
				    (unsigned long long)n->attributes.flags);
	if (!(n->attributes.flags & SGX_ATTR_MODE64BIT))
		return softsgx_fail(err, -EINVAL,
				    "note: ATTRIBUTES.FLAGS 0x%llx lacks MODE64BIT: "
				    "an x86-64 ELF enclave runs in 64-bit mode",
				    (unsigned long long)n->attributes.flags);
	if ((xfrm & SGX_XFRM_LEGACY) != SGX_XFRM_LEGACY)
		return softsgx_fail(err, -EINVAL,
				    "note: ATTRIBUTES.XFRM 0x%llx lacks x87 and SSE "
				    "(0x3)",
				    (unsigned long long)xfrm);
	if ((xfrm & SGX_XFRM_MPX) && (xfrm & SGX_XFRM_MPX) != SGX_XFRM_MPX)
		return softsgx_fail(err, -EINVAL,
				    "note: ATTRIBUTES.XFRM 0x%llx sets only one of "
				    "BNDREGS and BNDCSR",
				    (unsigned long long)xfrm);
	return 0;
}

static int check_note(const struct elf_enclave *e, struct softsgx_err *err)
{
	const struct sgx_elf_note *n = &e->note;
	int rc;

	if (n->version != SGX_ELF_NOTE_VERSION)
		return softsgx_fail(err, -EINVAL, "note: version %u, this parser reads version %d",
				    n->version, SGX_ELF_NOTE_VERSION);
	rc = check_note_secs(n, err);
	if (rc)
		return rc;
	if (n->flags & ~SGX_ELF_NOTE_HEAP_UNMEASURED)
		return softsgx_fail(err, -EINVAL, "note: unknown flags 0x%x", n->flags);
	if (!all_zero(n->reserved, sizeof(n->reserved)))
		return softsgx_fail(err, -EINVAL, "note: reserved bytes 84..95 are not zero");
	if ((n->heap_offset | n->heap_size) & (SGX_PAGE_SIZE - 1))
		return softsgx_fail(err, -EINVAL, "note: heap 0x%llx + 0x%llx is not whole pages",
				    (unsigned long long)n->heap_offset,
				    (unsigned long long)n->heap_size);
	if (!in_bounds(n->heap_offset, n->heap_size, SGX_IMAGE_MAX_SIZE))
		return softsgx_fail(err, -EINVAL, "note: heap 0x%llx + 0x%llx reaches beyond 2^36",
				    (unsigned long long)n->heap_offset,
				    (unsigned long long)n->heap_size);
	return 0;
}

/* SECS.SIZE, once the segments and the heap are known not to overlap. */
static int layout(struct elf_enclave *e, uint64_t *size, size_t *nr_pages, struct softsgx_err *err)
{
	const Elf64_Phdr *last = e->loads[e->nr_loads - 1];
	uint64_t seg_end = page_up(last->p_vaddr + last->p_memsz), pages = 0;
	const char *why;

	for (unsigned int i = 0; i < e->nr_loads; i++)
		pages += page_up(e->loads[i]->p_memsz) / SGX_PAGE_SIZE;
	pages += e->note.heap_size / SGX_PAGE_SIZE;
	if (e->note.heap_size && e->note.heap_offset < seg_end)
		return softsgx_fail(err, -EINVAL,
				    "note: the heap at 0x%llx overlaps the segments, "
				    "which end at 0x%llx",
				    (unsigned long long)e->note.heap_offset,
				    (unsigned long long)seg_end);
	e->end = e->note.heap_size ? e->note.heap_offset + e->note.heap_size : seg_end;
	if (pages > SGX_IMAGE_MAX_PAGES)
		return softsgx_fail(err, -EFBIG, "%llu pages: more than the %llu an image may hold",
				    (unsigned long long)pages, SGX_IMAGE_MAX_PAGES);
	*nr_pages = (size_t)pages;
	if (!e->note.enclave_size) {
		for (*size = SGX_IMAGE_MIN_SIZE; *size < e->end; *size <<= 1)
			;
		return 0;
	}
	*size = e->note.enclave_size;
	why = sgx_image_size_problem(*size);
	if (why)
		return softsgx_fail(err, -EINVAL, "note: enclave size 0x%llx is %s",
				    (unsigned long long)*size, why);
	if (*size < e->end)
		return softsgx_fail(err, -EINVAL,
				    "note: enclave size 0x%llx does not cover the "
				    "image, which ends at 0x%llx",
				    (unsigned long long)*size, (unsigned long long)e->end);
	return 0;
}

static uint64_t segment_flags(const struct elf_enclave *e, const Elf64_Phdr *p, uint64_t off)
{
	if (off >= e->tcs->sh_addr && off - e->tcs->sh_addr < e->tcs->sh_size)
		return SGX_SECINFO_TYPE(SGX_PT_TCS);
	return SGX_SECINFO_TYPE(SGX_PT_REG) | (p->p_flags & PF_R ? SGX_SECINFO_R : 0) |
	       (p->p_flags & PF_W ? SGX_SECINFO_W : 0) | (p->p_flags & PF_X ? SGX_SECINFO_X : 0);
}

static void fill_pages(const struct elf_enclave *e, struct sgx_image *img)
{
	size_t n = 0;

	for (unsigned int i = 0; i < e->nr_loads; i++) {
		const Elf64_Phdr *p = e->loads[i];

		for (uint64_t off = 0; off < p->p_memsz; off += SGX_PAGE_SIZE, n++) {
			struct sgx_image_page *pg = &img->pages[n];

			pg->offset = p->p_vaddr + off;
			pg->secinfo_flags = segment_flags(e, p, pg->offset);
			pg->measured = SGX_ALL_CHUNKS;
			if (off < p->p_filesz)
				memcpy(pg->data, e->buf + p->p_offset + off,
				       p->p_filesz - off < SGX_PAGE_SIZE ? p->p_filesz - off
									 : SGX_PAGE_SIZE);
		}
	}
	for (uint64_t off = 0; off < e->note.heap_size; off += SGX_PAGE_SIZE, n++) {
		img->pages[n].offset = e->note.heap_offset + off;
		img->pages[n].secinfo_flags =
		    SGX_SECINFO_TYPE(SGX_PT_REG) | SGX_SECINFO_R | SGX_SECINFO_W;
		img->pages[n].measured =
		    e->note.flags & SGX_ELF_NOTE_HEAP_UNMEASURED ? 0 : SGX_ALL_CHUNKS;
	}
}

/* Every page of [off, off + len) exists and is a REG page with all of @perm. */
static bool pages_have(const struct sgx_image *img, uint64_t off, uint64_t len, uint64_t perm)
{
	for (uint64_t o = off; o - off < len; o += SGX_PAGE_SIZE) {
		const struct sgx_image_page *p = sgx_image_find_page(img, o);

		if (!p ||
		    (p->secinfo_flags & SGX_SECINFO_PAGE_TYPE_MASK) !=
			SGX_SECINFO_TYPE(SGX_PT_REG) ||
		    (p->secinfo_flags & perm) != perm)
			return false;
	}
	return true;
}

static int check_tcs_fields(const struct sgx_tcs *t, uint64_t at, const struct sgx_elf_note *n,
			    uint64_t size, struct softsgx_err *err)
{
	if (t->state || t->ssa_index || t->exit_addr)
		return softsgx_fail(err, -EINVAL,
				    "TCS at 0x%llx: STATE, CSSA and AEP must be zero "
				    "(the CPU owns them)",
				    (unsigned long long)at);
	if (t->flags & ~SGX_TCS_DBGOPTIN)
		return softsgx_fail(err, -EINVAL,
				    "TCS at 0x%llx: FLAGS 0x%llx has bits other than "
				    "DBGOPTIN",
				    (unsigned long long)at, (unsigned long long)t->flags);
	if (t->nr_ssa_frames != n->nssa)
		return softsgx_fail(err, -EINVAL,
				    "TCS at 0x%llx: NSSA %u differs from the note's "
				    "NSSA %u",
				    (unsigned long long)at, t->nr_ssa_frames, n->nssa);
	if ((t->fs_offset | t->gs_offset) & (SGX_PAGE_SIZE - 1) || t->fs_offset >= size ||
	    t->gs_offset >= size)
		return softsgx_fail(err, -EINVAL,
				    "TCS at 0x%llx: OFSBASE 0x%llx / OGSBASE 0x%llx "
				    "must be page-aligned offsets inside the enclave",
				    (unsigned long long)at, (unsigned long long)t->fs_offset,
				    (unsigned long long)t->gs_offset);
	if (!all_zero(t->reserved, sizeof(t->reserved)))
		return softsgx_fail(err, -EINVAL,
				    "TCS at 0x%llx: reserved bytes 72..4095 are not "
				    "zero",
				    (unsigned long long)at);
	return 0;
}

static int check_tcs(const struct sgx_image *img, const struct sgx_image_page *pg,
		     const struct sgx_elf_note *n, struct softsgx_err *err)
{
	uint64_t ssa_len = (uint64_t)n->nssa * n->ssa_frame_size * SGX_PAGE_SIZE;
	const struct sgx_image_page *entry;
	struct sgx_tcs t;
	int rc;

	memcpy(&t, pg->data, sizeof(t));
	rc = check_tcs_fields(&t, pg->offset, n, img->size, err);
	if (rc)
		return rc;
	if ((t.ssa_offset & (SGX_PAGE_SIZE - 1)) || !in_bounds(t.ssa_offset, ssa_len, img->size) ||
	    !pages_have(img, t.ssa_offset, ssa_len, SGX_SECINFO_R | SGX_SECINFO_W))
		return softsgx_fail(
		    err, -EINVAL,
		    "TCS at 0x%llx: OSSA 0x%llx: the %u SSA frames of "
		    "%u pages there must be page-aligned R+W REG pages of the image",
		    (unsigned long long)pg->offset, (unsigned long long)t.ssa_offset, n->nssa,
		    n->ssa_frame_size);
	entry = t.entry_offset < img->size ? sgx_image_find_page(img, t.entry_offset) : NULL;
	if (!entry ||
	    (entry->secinfo_flags & SGX_SECINFO_PAGE_TYPE_MASK) != SGX_SECINFO_TYPE(SGX_PT_REG) ||
	    !(entry->secinfo_flags & SGX_SECINFO_X))
		return softsgx_fail(err, -EINVAL,
				    "TCS at 0x%llx: OENTRY 0x%llx is not in an "
				    "executable page of the image",
				    (unsigned long long)pg->offset,
				    (unsigned long long)t.entry_offset);
	return 0;
}

static int build_image(struct elf_enclave *e, struct sgx_image *img, struct softsgx_err *err)
{
	size_t nr_pages = 0;
	uint64_t size = 0;
	int rc = layout(e, &size, &nr_pages, err);

	if (rc)
		return rc;
	rc = sgx_image_alloc(img, nr_pages, err);
	if (rc)
		return rc;
	img->size = size;
	img->ssa_frame_size = e->note.ssa_frame_size;
	fill_pages(e, img);
	for (size_t i = 0; i < img->nr_pages && !rc; i++)
		if ((img->pages[i].secinfo_flags & SGX_SECINFO_PAGE_TYPE_MASK) ==
		    SGX_SECINFO_TYPE(SGX_PT_TCS))
			rc = check_tcs(img, &img->pages[i], &e->note, err);
	img->has_meta = true;
	img->attributes = e->note.attributes;
	img->attributes_mask = e->note.attributes_mask;
	img->miscselect = e->note.miscselect;
	img->misc_mask = e->note.misc_mask;
	img->isv_prod_id = e->note.isv_prod_id;
	img->isv_svn = e->note.isv_svn;
	return rc;
}

static int parse(struct elf_enclave *e, struct sgx_image *img, struct softsgx_err *err)
{
	const Elf64_Shdr *note = NULL;
	int rc = check_header(e, err);

	if (!rc)
		rc = check_program_headers(e, err);
	for (unsigned int i = 0; !rc && i < e->eh.e_shnum; i++)
		rc = check_section(e, i, &note, err);
	if (!rc)
		rc = check_tcs_section(e, err);
	if (!rc && !note)
		rc = softsgx_fail(err, -EINVAL,
				  "no %s section: the loader's parameters are missing "
				  "(docs/elf-enclave.md)",
				  SGX_ELF_NOTE_SECTION);
	if (!rc)
		rc = read_note(e, note, err);
	if (!rc)
		rc = check_note(e, err);
	if (!rc)
		rc = build_image(e, img, err);
	return rc;
}

int elf_enclave_parse(const uint8_t *buf, size_t len, struct sgx_image *img,
		      struct softsgx_err *err)
{
	struct elf_enclave e = {.buf = buf, .len = len};
	int rc;

	memset(img, 0, sizeof(*img));
	rc = parse(&e, img, err);
	free(e.ph);
	free(e.sh);
	if (rc)
		sgx_image_free(img);
	return rc;
}
