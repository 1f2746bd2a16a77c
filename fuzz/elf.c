/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the ELF enclave parser (src/format/elf.c), which reads untrusted files.
 * Invariants: a refusal carries its message and leaves no image; an accepted image has sorted
 * pages inside a power-of-two SECS.SIZE, converts to an .sgxs stream that parses back into
 * the same pages, and both measure the same.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "softsgx/image.h"

static void check_image(const struct sgx_image *img)
{
	if (!img->size || (img->size & (img->size - 1)) || !img->has_meta)
		abort();
	for (size_t i = 0; i < img->nr_pages; i++) {
		if (img->pages[i].offset >= img->size || (img->pages[i].offset & 4095))
			abort();
		if (i && img->pages[i].offset <= img->pages[i - 1].offset)
			abort();
	}
}

static void check_sgxs(const struct sgx_image *img)
{
	struct softsgx_err err = {0};
	struct sgx_image back;
	uint8_t mr[32], mr_back[32], *out;
	size_t len;

	if (sgx_image_measure(img, mr, &err) || sgxs_write(img, &out, &len, &err))
		abort();
	if (sgxs_parse(out, len, &back, &err) || back.nr_pages != img->nr_pages)
		abort();
	if (sgx_image_measure(&back, mr_back, &err) || memcmp(mr, mr_back, sizeof(mr)))
		abort();
	for (size_t i = 0; i < img->nr_pages; i++)
		if (back.pages[i].offset != img->pages[i].offset ||
		    back.pages[i].secinfo_flags != img->pages[i].secinfo_flags ||
		    back.pages[i].measured != img->pages[i].measured)
			abort();
	sgx_image_free(&back);
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct softsgx_err err = {0};
	struct sgx_image img;
	int rc = elf_enclave_parse(data, size, &img, &err);

	if (rc) {
		if (rc != err.code || !err.msg[0] || img.pages)
			abort();
		return 0;
	}
	check_image(&img);
	check_sgxs(&img);
	sgx_image_free(&img);
	return 0;
}
