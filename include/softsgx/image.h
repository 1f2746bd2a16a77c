/* SPDX-License-Identifier: MIT */
/*
 * An enclave image: what a loader adds, page by page, plus the SECS parameters.  Produced from
 * an .sgxs stream (src/format/sgxs.c) or from an ELF enclave (src/format/elf.c, convention in
 * docs/elf-enclave.md); measured offline by the tools and loaded through the driver's ioctls by
 * the tests and example loaders.
 */
#ifndef SOFTSGX_IMAGE_H
#define SOFTSGX_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "softsgx/arch.h"
#include "softsgx/err.h"

struct sgx_image_page {
	uint64_t offset;	/* from BASEADDR, page-aligned */
	uint64_t secinfo_flags; /* SECINFO.FLAGS as added (type and R/W/X) */
	uint16_t measured;	/* bit i: the 256-byte chunk i is EEXTENDed */
	uint8_t *data;		/* 4096 bytes (zeros for an unmeasured page with no data) */
};

/* The largest image the parsers build (pages held in memory), and the largest SECS.SIZE. */
#define SGX_IMAGE_MAX_PAGES (1ull << 18) /* 1 GiB */
#define SGX_IMAGE_MAX_SIZE  (1ull << 36)
#define SGX_IMAGE_MIN_SIZE  8192ull

struct sgx_image {
	uint64_t size;		 /* SECS.SIZE */
	uint32_t ssa_frame_size; /* SECS.SSAFRAMESIZE, in pages */
	size_t nr_pages;
	struct sgx_image_page *pages; /* sorted by offset */

	/* From an ELF enclave's note (zero/absent for .sgxs, which does not carry them). */
	bool has_meta;
	struct sgx_attributes attributes;
	uint32_t miscselect;
	uint16_t isv_prod_id;
	uint16_t isv_svn;
	struct sgx_attributes attributes_mask;
	uint32_t misc_mask;

	/* When set, every page's data points into this one block, freed with the image. */
	void *storage;
};

/*
 * The ELF enclave note (docs/elf-enclave.md): section .note.softsgx, name "softsgx",
 * type NT_SOFTSGX_ENCLAVE, this 96-byte descriptor.
 */
#define SGX_ELF_NOTE_SECTION	     ".note.softsgx"
#define SGX_ELF_NOTE_NAME	     "softsgx"
#define NT_SOFTSGX_ENCLAVE	     1
#define SGX_ELF_NOTE_VERSION	     1
#define SGX_ELF_NOTE_HEAP_UNMEASURED (1u << 0)
#define SGX_ELF_TCS_SECTION	     ".tcs"
#define SGX_ELF_MAX_SSA_FRAME_SIZE   64
#define SGX_ELF_MAX_SEGMENTS	     64

struct sgx_elf_note {
	uint32_t version;
	uint32_t ssa_frame_size; /* pages */
	uint32_t nssa;		 /* SSA frames per TCS */
	uint32_t miscselect;
	uint32_t misc_mask;
	uint32_t flags; /* SGX_ELF_NOTE_* */
	struct sgx_attributes attributes;
	struct sgx_attributes attributes_mask;
	uint64_t heap_offset;
	uint64_t heap_size;
	uint64_t enclave_size; /* 0: the smallest power of two covering the image */
	uint16_t isv_prod_id;
	uint16_t isv_svn;
	uint8_t reserved[12];
} __attribute__((packed));

_Static_assert(sizeof(struct sgx_elf_note) == 96, "sgx_elf_note size");
_Static_assert(offsetof(struct sgx_elf_note, attributes) == 24, "sgx_elf_note.attributes");
_Static_assert(offsetof(struct sgx_elf_note, heap_offset) == 56, "sgx_elf_note.heap_offset");
_Static_assert(offsetof(struct sgx_elf_note, isv_prod_id) == 80, "sgx_elf_note.isv_prod_id");

/* Frees the pages and their data; leaves @img zeroed.  Safe on a zeroed image. */
void sgx_image_free(struct sgx_image *img);

/* MRENCLAVE of the image: the measurement stream its pages produce. */
int sgx_image_measure(const struct sgx_image *img, uint8_t mrenclave[32], struct softsgx_err *err);

/* .sgxs (src/format/sgxs.c): canonical streams only; errors name the record offset. */
int sgxs_parse(const uint8_t *buf, size_t len, struct sgx_image *img, struct softsgx_err *err);
int sgxs_write(const struct sgx_image *img, uint8_t **buf, size_t *len, struct softsgx_err *err);

/* ELF enclaves (src/format/elf.c); fills the metadata fields from the note. */
int elf_enclave_parse(const uint8_t *buf, size_t len, struct sgx_image *img,
		      struct softsgx_err *err);

/* Read a whole file, ELF or .sgxs by content (ELF magic), into @img. */
int sgx_image_load_file(const char *path, struct sgx_image *img, struct softsgx_err *err);

#endif
