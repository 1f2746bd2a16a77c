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
	uint64_t offset; /* from BASEADDR, page-aligned */
	uint64_t secinfo_flags; /* SECINFO.FLAGS as added (type and R/W/X) */
	uint16_t measured; /* bit i: the 256-byte chunk i is EEXTENDed */
	uint8_t *data; /* 4096 bytes (zeros for an unmeasured page with no data) */
};

struct sgx_image {
	uint64_t size; /* SECS.SIZE */
	uint32_t ssa_frame_size; /* SECS.SSAFRAMESIZE, in pages */
	size_t nr_pages;
	struct sgx_image_page *pages; /* sorted by offset */

	/* From an ELF enclave's note (zero/absent for .sgxs, which does not carry them). */
	bool has_meta;
	struct sgx_attributes attributes;
	uint32_t miscselect;
	uint16_t isv_prod_id;
	uint16_t isv_svn;
};

void sgx_image_free(struct sgx_image *img);

/* MRENCLAVE of the image: the measurement stream its pages produce. */
int sgx_image_measure(const struct sgx_image *img, uint8_t mrenclave[32], struct softsgx_err *err);

/* .sgxs (src/format/sgxs.c): canonical streams only; errors name the record offset. */
int sgxs_parse(const uint8_t *buf, size_t len, struct sgx_image *img, struct softsgx_err *err);
int sgxs_write(const struct sgx_image *img, uint8_t **buf, size_t *len, struct softsgx_err *err);

/* ELF enclaves (src/format/elf.c). */
int elf_enclave_parse(const uint8_t *buf, size_t len, struct sgx_image *img,
		      struct softsgx_err *err);

/* Read a whole file, ELF or .sgxs by content (ELF magic), into @img. */
int sgx_image_load_file(const char *path, struct sgx_image *img, struct softsgx_err *err);

#endif
