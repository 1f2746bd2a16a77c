/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the .sgxs parser (src/format/sgxs.c), which reads untrusted files.
 * Invariants: a refusal carries its message and leaves no image; an accepted stream is
 * canonical, so its measurement is SHA-256 of the input and sgxs_write gives back the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "softsgx/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct softsgx_err err = {0};
	struct sgx_image img;
	uint8_t mr[32], want[32], *out;
	size_t len;
	int rc = sgxs_parse(data, size, &img, &err);

	if (rc) {
		if (rc != err.code || !err.msg[0] || img.pages)
			abort();
		return 0;
	}
	if (sgx_image_measure(&img, mr, &err) ||
	    !EVP_Digest(data, size, want, NULL, EVP_sha256(), NULL))
		abort();
	if (memcmp(mr, want, sizeof(mr)))
		abort();
	if (sgxs_write(&img, &out, &len, &err) || len != size || memcmp(out, data, size))
		abort();
	free(out);
	sgx_image_free(&img);
	return 0;
}
