/* SPDX-License-Identifier: MIT */
/*
 * The launcher's reading of the kernel's vDSO (launch_vdso_symbol): the time functions it
 * forwards to are where ld.so finds them in this process (dlvsym on linux-vdso.so.1, an
 * independent lookup), and a malformed image is refused with the field that is wrong, never
 * read out of bounds (the copies below are exactly as large as the image: run it under ASan).
 */
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>

#include <cmocka.h>

#include "launch.h"

static const char *const time_functions[] = {
    "__vdso_clock_gettime", "__vdso_clock_getres", "__vdso_gettimeofday",
    "__vdso_time",	    "__vdso_getcpu",
};

/* The kernel's vDSO of this process (no preload here) and its size, from /proc/self/maps. */
static const uint8_t *kernel_vdso(size_t *size)
{
	unsigned long base = getauxval(AT_SYSINFO_EHDR), lo, hi;
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];

	*size = 0;
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "[vdso]") && sscanf(line, "%lx-%lx", &lo, &hi) == 2 && lo == base)
			*size = hi - lo;
	fclose(f);
	if (!base || !*size)
		skip(); /* booted with vdso=0: nothing to read */
	return (const uint8_t *)base;
}

static void time_functions_are_where_ldso_finds_them(void **state)
{
	void *h = dlopen("linux-vdso.so.1", RTLD_LAZY | RTLD_NOLOAD);
	size_t size;
	const uint8_t *img = kernel_vdso(&size);
	struct softsgx_err err = {0};

	(void)state;
	assert_non_null(h);
	for (size_t i = 0; i < sizeof(time_functions) / sizeof(time_functions[0]); i++) {
		void *want = dlvsym(h, time_functions[i], "LINUX_2.6");
		uint64_t off = 0;

		if (!want) {
			assert_int_equal(
			    launch_vdso_symbol(img, size, time_functions[i], &off, &err), -ENOENT);
			continue;
		}
		assert_int_equal(launch_vdso_symbol(img, size, time_functions[i], &off, &err), 0);
		assert_ptr_equal(img + off, want);
	}
	assert_int_equal(
	    launch_vdso_symbol(img, size, "__vdso_sgx_enter_enclave", &(uint64_t){0}, &err),
	    -ENOENT);
	assert_non_null(strstr(err.msg, "__vdso_sgx_enter_enclave"));
	dlclose(h);
}

/* ---- malformed copies ---- */

static Elf64_Ehdr *ehdr(uint8_t *img)
{
	return (Elf64_Ehdr *)img;
}

static Elf64_Phdr *phdr(uint8_t *img, uint32_t type)
{
	Elf64_Phdr *ph = (Elf64_Phdr *)(img + ehdr(img)->e_phoff);

	for (int i = 0; i < ehdr(img)->e_phnum; i++)
		if (ph[i].p_type == type)
			return &ph[i];
	fail_msg("no program header of type %u", type);
	return NULL;
}

static Elf64_Dyn *dyn(uint8_t *img, int64_t tag)
{
	for (Elf64_Dyn *d = (Elf64_Dyn *)(img + phdr(img, PT_DYNAMIC)->p_offset);
	     d->d_tag != DT_NULL; d++)
		if (d->d_tag == tag)
			return d;
	fail_msg("no dynamic entry %lld", (long long)tag);
	return NULL;
}

/* The hash table in the copy (the kernel's image is linked at 0: d_ptr is the offset). */
static uint32_t *hash(uint8_t *img)
{
	return (uint32_t *)(img + dyn(img, DT_HASH)->d_un.d_ptr - phdr(img, PT_LOAD)->p_vaddr +
			    phdr(img, PT_LOAD)->p_offset);
}

static void truncate_to_header(uint8_t *img, size_t *size)
{
	(void)img;
	*size = 40;
}
static void too_many_program_headers(uint8_t *img, size_t *size)
{
	(void)size;
	ehdr(img)->e_phnum = 0xffff;
}
static void no_dynamic(uint8_t *img, size_t *size)
{
	(void)size;
	phdr(img, PT_DYNAMIC)->p_type = PT_NULL;
}
static void dynamic_past_the_end(uint8_t *img, size_t *size)
{
	phdr(img, PT_DYNAMIC)->p_offset = *size - 8;
}
static void hash_outside(uint8_t *img, size_t *size)
{
	dyn(img, DT_HASH)->d_un.d_ptr = *size + 0x1000;
}
static void strsz_too_large(uint8_t *img, size_t *size)
{
	dyn(img, DT_STRSZ)->d_un.d_val = *size;
}
static void symtab_before_the_image(uint8_t *img, size_t *size)
{
	(void)size;
	dyn(img, DT_SYMTAB)->d_un.d_ptr = (uint64_t)-0x1000;
}
static void no_buckets(uint8_t *img, size_t *size)
{
	(void)size;
	hash(img)[0] = 0;
}
static void chains_past_the_end(uint8_t *img, size_t *size)
{
	(void)size;
	hash(img)[1] = 0xffffffffu;
}

static const struct malformed {
	const char *what;
	void (*mutate)(uint8_t *img, size_t *size);
	const char *message;
} malformed[] = {
    {"truncated ELF header", truncate_to_header, "not an ELF64 header"},
    {"e_phnum past the end", too_many_program_headers, "program headers"},
    {"no PT_DYNAMIC", no_dynamic, "no PT_DYNAMIC"},
    {"PT_DYNAMIC past the end", dynamic_past_the_end, "PT_DYNAMIC at offset"},
    {"DT_HASH outside", hash_outside, "DT_HASH"},
    {"DT_STRSZ past the end", strsz_too_large, "DT_STRTAB"},
    {"DT_SYMTAB below the image", symtab_before_the_image, "DT_SYMTAB"},
    {"zero buckets", no_buckets, "buckets"},
    {"nchain past the end", chains_past_the_end, "chains do not fit"},
};

static void malformed_images_are_refused_with_the_field(void **state)
{
	size_t size;
	const uint8_t *img = kernel_vdso(&size);

	(void)state;
	for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
		size_t n = size;
		uint8_t *copy = malloc(size);
		struct softsgx_err err = {0};
		uint64_t off;

		assert_non_null(copy);
		memcpy(copy, img, size);
		malformed[i].mutate(copy, &n);
		/* Exactly n bytes: ASan sees any read past them. */
		copy = realloc(copy, n);
		assert_int_equal(launch_vdso_symbol(copy, n, "__vdso_clock_gettime", &off, &err),
				 -ENOEXEC);
		if (!strstr(err.msg, malformed[i].message))
			fail_msg("%s: \"%s\" does not say \"%s\"", malformed[i].what, err.msg,
				 malformed[i].message);
		free(copy);
	}
}

/* A hash chain that loops on itself ends the lookup (ENOENT) instead of spinning. */
static void looping_hash_chain_ends_the_lookup(void **state)
{
	size_t size;
	const uint8_t *img = kernel_vdso(&size);
	uint8_t *copy = malloc(size);
	struct softsgx_err err = {0};
	uint32_t *h;
	uint64_t off;

	(void)state;
	assert_non_null(copy);
	memcpy(copy, img, size);
	h = hash(copy);
	for (uint32_t b = 0; b < h[0]; b++)
		h[2 + b] = 1;
	h[2 + h[0] + 1] = 1;
	assert_int_equal(launch_vdso_symbol(copy, size, "__vdso_no_such_function", &off, &err),
			 -ENOENT);
	free(copy);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(time_functions_are_where_ldso_finds_them),
	    cmocka_unit_test(malformed_images_are_refused_with_the_field),
	    cmocka_unit_test(looping_hash_chain_ends_the_lookup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
