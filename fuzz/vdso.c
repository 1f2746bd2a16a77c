/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the launcher's vDSO reader (src/host/launch.c, launch_vdso_symbol),
 * which walks an ELF image's PT_DYNAMIC, DT_SYMTAB/DT_STRTAB/DT_HASH and hash chains.
 * Invariants: every read stays inside the input (ASan), and a refusal is -ENOEXEC or -ENOENT
 * with its message.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "launch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = {
	    "__vdso_clock_gettime", "__vdso_time", "__vdso_sgx_enter_enclave", "", "x",
	};
	/* An exact-size copy: libFuzzer's buffer may be followed by readable bytes. */
	uint8_t *img = malloc(size ? size : 1);

	if (!img)
		return 0;
	memcpy(img, data, size);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct softsgx_err err = {0};
		uint64_t off = 0;
		int rc = launch_vdso_symbol(img, size, names[i], &off, &err);

		if (rc && ((rc != -ENOEXEC && rc != -ENOENT) || rc != err.code || !err.msg[0]))
			abort();
	}
	free(img);
	return 0;
}
