/* SPDX-License-Identifier: MIT */
/*
 * Shared by the host tests: programs that run under `softsgx run` (as any SGX program would)
 * and drive the example enclave through examples/loader/.  Arguments (from meson.build):
 * ENCLAVE.sgxs ENCLAVE.sig ENCLAVE.elf.
 */
#ifndef HOST_TEST_H
#define HOST_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sgx_loader.h"

#define SKIP_EXIT 77

struct host_test_args {
	const char *sgxs, *sig, *elf;
};

extern struct host_test_args host_test_args;

static inline void host_test_parse_args(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: %s ENCLAVE.sgxs ENCLAVE.sig ENCLAVE.elf\n", argv[0]);
		exit(2);
	}
	host_test_args.sgxs = argv[1];
	host_test_args.sig = argv[2];
	host_test_args.elf = argv[3];
}

/* The test runs under softsgx run: the vDSO entry is there (or the run was not emulated). */
static inline void host_test_require_emulation(void)
{
	if (!getenv("LD_PRELOAD") || !strstr(getenv("LD_PRELOAD"), "libsoftsgx-preload")) {
		fprintf(stderr, "not running under `softsgx run` (no libsoftsgx-preload in "
				"LD_PRELOAD): run through meson test\n");
		exit(1);
	}
}

#endif
