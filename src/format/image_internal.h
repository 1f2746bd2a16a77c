/* SPDX-License-Identifier: MIT */
/* Helpers shared by the image parsers and writers of src/format/ (not a public interface). */
#ifndef SOFTSGX_FORMAT_IMAGE_INTERNAL_H
#define SOFTSGX_FORMAT_IMAGE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "softsgx/image.h"

#define SGX_CHUNKS_PER_PAGE 16
#define SGX_ALL_CHUNKS	    0xFFFFu

static inline uint64_t get_le64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v)); /* x86-64 only: the host is little-endian like the format */
	return v;
}

static inline uint32_t get_le32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline bool is_pow2(uint64_t x)
{
	return x && !(x & (x - 1));
}

static inline bool all_zero(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

/* Allocate @nr pages and one zeroed 4096-byte block per page (img->storage). */
int sgx_image_alloc(struct sgx_image *img, size_t nr, struct softsgx_err *err);

/*
 * Why SECINFO.FLAGS @flags cannot be EADDed from an image ("a TCS page with permissions"),
 * or NULL when it can: REG or TCS, only R/W/X besides the type, TCS without R/W/X, no W
 * without R (the driver refuses it).
 */
const char *sgx_image_flags_problem(uint64_t flags);

/* Why @size is not a valid SECS.SIZE, or NULL. */
const char *sgx_image_size_problem(uint64_t size);

/* The page at @offset, or NULL (pages sorted by offset). */
const struct sgx_image_page *sgx_image_find_page(const struct sgx_image *img, uint64_t offset);

/* "R-X TCS" style description of SECINFO.FLAGS for messages; @buf holds 32 bytes. */
const char *sgx_image_flags_str(uint64_t flags, char buf[32]);

#endif
