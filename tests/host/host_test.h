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

/* ENCLU leaves, as in EAX and in struct sgx_enclave_run's function field. */
#define EENTER	2
#define ERESUME 3
#define EEXIT	4

/* SECINFO.FLAGS (SDM 37.11; the selftests' defines.h). */
#define SECINFO_R	0x1ull
#define SECINFO_W	0x2ull
#define SECINFO_PENDING 0x8ull
#define SECINFO_PR	0x20ull
#define SECINFO_REG	(2ull << 8)

/* The #PF vector and its error-code bits (bit 15: the EPCM refused the access). */
#define PF_VECTOR 14
#define PFEC_P	  0x1u
#define PFEC_W	  0x2u
#define PFEC_U	  0x4u
#define PFEC_SGX  0x8000u

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
