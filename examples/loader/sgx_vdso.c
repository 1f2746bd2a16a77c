/* SPDX-License-Identifier: MIT */
/*
 * Finding __vdso_sgx_enter_enclave, in the two ways SGX runtimes do it:
 *  - the kernel selftests: getauxval(AT_SYSINFO_EHDR), the PT_DYNAMIC program header at
 *    base + p_offset, DT_SYMTAB/DT_STRTAB/DT_HASH at base + d_ptr, a SysV hash lookup;
 *  - Intel's PSW and Open Enclave: the section headers, .dynsym and its .dynstr.
 */
#include <elf.h>
#include <string.h>
#include <sys/auxv.h>

#include "sgx_loader.h"

static const Elf64_Ehdr *vdso_base(void)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)getauxval(AT_SYSINFO_EHDR);

	if (!eh || memcmp(eh->e_ident, ELFMAG, SELFMAG))
		return NULL;
	return eh;
}

static uint32_t elf_hash(const char *name)
{
	uint32_t h = 0, g;

	while (*name) {
		h = (h << 4) + (unsigned char)*name++;
		g = h & 0xf0000000;
		if (g)
			h ^= g >> 24;
		h &= ~g;
	}
	return h;
}

void *vdso_find_symbol(const char *name)
{
	const Elf64_Ehdr *eh = vdso_base();
	const char *base = (const char *)eh;
	const Elf64_Sym *symtab = NULL;
	const uint32_t *hash = NULL;
	const char *strtab = NULL;
	const Elf64_Phdr *ph;
	const Elf64_Dyn *dyn = NULL;

	if (!eh)
		return NULL;
	ph = (const Elf64_Phdr *)(base + eh->e_phoff);
	for (int i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_DYNAMIC)
			dyn = (const Elf64_Dyn *)(base + ph[i].p_offset);
	if (!dyn)
		return NULL;
	for (; dyn->d_tag != DT_NULL; dyn++) {
		if (dyn->d_tag == DT_SYMTAB)
			symtab = (const Elf64_Sym *)(base + dyn->d_un.d_ptr);
		else if (dyn->d_tag == DT_STRTAB)
			strtab = base + dyn->d_un.d_ptr;
		else if (dyn->d_tag == DT_HASH)
			hash = (const uint32_t *)(base + dyn->d_un.d_ptr);
	}
	if (!symtab || !strtab || !hash)
		return NULL;
	for (uint32_t i = hash[2 + elf_hash(name) % hash[0]]; i; i = hash[2 + hash[0] + i])
		if (symtab[i].st_shndx != SHN_UNDEF && !strcmp(strtab + symtab[i].st_name, name))
			return (void *)(base + symtab[i].st_value);
	return NULL;
}

vdso_sgx_enter_enclave_t vdso_find_by_dynamic(void)
{
	return (vdso_sgx_enter_enclave_t)vdso_find_symbol("__vdso_sgx_enter_enclave");
}

vdso_sgx_enter_enclave_t vdso_find_by_sections(void)
{
	const Elf64_Ehdr *eh = vdso_base();
	const char *base = (const char *)eh;
	const Elf64_Shdr *sh, *dynsym = NULL, *dynstr = NULL;
	const char *shstr;

	if (!eh || !eh->e_shoff || eh->e_shstrndx >= eh->e_shnum)
		return NULL;
	sh = (const Elf64_Shdr *)(base + eh->e_shoff);
	shstr = base + sh[eh->e_shstrndx].sh_offset;
	for (int i = 0; i < eh->e_shnum; i++) {
		if (!strcmp(shstr + sh[i].sh_name, ".dynsym"))
			dynsym = &sh[i];
		else if (!strcmp(shstr + sh[i].sh_name, ".dynstr"))
			dynstr = &sh[i];
	}
	if (!dynsym || !dynstr)
		return NULL;
	const Elf64_Sym *sym = (const Elf64_Sym *)(base + dynsym->sh_offset);

	for (size_t i = 0; i < dynsym->sh_size / sizeof(*sym); i++)
		if (sym[i].st_shndx != SHN_UNDEF &&
		    !strcmp(base + dynstr->sh_offset + sym[i].st_name, "__vdso_sgx_enter_enclave"))
			return (vdso_sgx_enter_enclave_t)(base + sym[i].st_value);
	return NULL;
}
