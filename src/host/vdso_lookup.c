/* SPDX-License-Identifier: MIT */
/*
 * Symbol lookup in a vDSO image the way the kernel's SGX selftests do it: PT_DYNAMIC at
 * base + p_offset, then DT_SYMTAB/DT_STRTAB/DT_HASH at base + d_ptr and a SysV hash walk.
 * Used to forward the time functions to the real vDSO (and by the tests on our own image).
 */
#include <elf.h>
#include <string.h>

#include "host.h"

static const Elf64_Phdr *find_phdr(const Elf64_Ehdr *eh, uint32_t type)
{
	const Elf64_Phdr *ph = (const Elf64_Phdr *)((const char *)eh + eh->e_phoff);

	for (int i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == type)
			return &ph[i];
	return NULL;
}

static uint32_t sysv_hash(const char *name)
{
	uint32_t h = 0, g;

	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		h = (h << 4) + *p;
		g = h & 0xf0000000;
		if (g)
			h ^= g >> 24;
		h &= ~g;
	}
	return h;
}

void *vdso_lookup(unsigned long base, const char *name)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)base;
	const Elf64_Phdr *load, *dynph;
	const Elf64_Sym *symtab = NULL;
	const uint32_t *hash = NULL;
	const char *strtab = NULL;
	const Elf64_Dyn *dyn;
	uint64_t bias;

	if (!base || memcmp(eh->e_ident, ELFMAG, SELFMAG))
		return NULL;
	load = find_phdr(eh, PT_LOAD);
	dynph = find_phdr(eh, PT_DYNAMIC);
	if (!load || !dynph)
		return NULL;
	bias = base + load->p_offset - load->p_vaddr;
	for (dyn = (const Elf64_Dyn *)(bias + dynph->p_vaddr); dyn->d_tag != DT_NULL; dyn++) {
		if (dyn->d_tag == DT_SYMTAB)
			symtab = (const Elf64_Sym *)(bias + dyn->d_un.d_ptr);
		else if (dyn->d_tag == DT_STRTAB)
			strtab = (const char *)(bias + dyn->d_un.d_ptr);
		else if (dyn->d_tag == DT_HASH)
			hash = (const uint32_t *)(bias + dyn->d_un.d_ptr);
	}
	if (!symtab || !strtab || !hash)
		return NULL;
	/* hash: nbucket, nchain, buckets[nbucket], chains[nchain] */
	for (uint32_t i = hash[2 + sysv_hash(name) % hash[0]]; i; i = hash[2 + hash[0] + i]) {
		const Elf64_Sym *s = &symtab[i];

		if (s->st_shndx != SHN_UNDEF && !strcmp(strtab + s->st_name, name))
			return (void *)(bias + s->st_value);
	}
	return NULL;
}
