/* SPDX-License-Identifier: MIT */
/* Architectural constants defined once: SGX error code names and the SIGSTRUCT header bytes. */
#include <stddef.h>

#include "softsgx/arch.h"

const uint8_t sgx_sigstruct_header[16] = {0x06, 0x00, 0x00, 0x00, 0xE1, 0x00, 0x00, 0x00,
					  0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00};
const uint8_t sgx_sigstruct_header2[16] = {0x01, 0x01, 0x00, 0x00, 0x60, 0x00, 0x00, 0x00,
					   0x60, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00};

#define CODE(name)                                                                                 \
	{                                                                                          \
		name, #name                                                                        \
	}

static const struct {
	int code;
	const char *name;
} sgx_return_codes[] = {
    CODE(SGX_SUCCESS),
    CODE(SGX_INVALID_SIG_STRUCT),
    CODE(SGX_INVALID_ATTRIBUTE),
    CODE(SGX_BLKSTATE),
    CODE(SGX_INVALID_MEASUREMENT),
    CODE(SGX_NOTBLOCKABLE),
    CODE(SGX_PG_INVLD),
    CODE(SGX_EPC_PAGE_CONFLICT),
    CODE(SGX_INVALID_SIGNATURE),
    CODE(SGX_MAC_COMPARE_FAIL),
    CODE(SGX_PAGE_NOT_BLOCKED),
    CODE(SGX_NOT_TRACKED),
    CODE(SGX_VA_SLOT_OCCUPIED),
    CODE(SGX_CHILD_PRESENT),
    CODE(SGX_ENCLAVE_ACT),
    CODE(SGX_ENTRYEPOCH_LOCKED),
    CODE(SGX_INVALID_EINITTOKEN),
    CODE(SGX_PREV_TRK_INCMPL),
    CODE(SGX_PG_IS_SECS),
    CODE(SGX_PAGE_ATTRIBUTES_MISMATCH),
    CODE(SGX_PAGE_NOT_MODIFIABLE),
    CODE(SGX_PAGE_NOT_DEBUGGABLE),
    CODE(SGX_INVALID_COUNTER),
    CODE(SGX_PG_NONEPC),
    CODE(SGX_TRACK_NOT_REQUIRED),
    CODE(SGX_INVALID_CPUSVN),
    CODE(SGX_INVALID_ISVSVN),
    CODE(SGX_UNMASKED_EVENT),
    CODE(SGX_INVALID_KEYNAME),
};

const char *sgx_return_code_name(int code)
{
	for (size_t i = 0; i < sizeof(sgx_return_codes) / sizeof(sgx_return_codes[0]); i++)
		if (sgx_return_codes[i].code == code)
			return sgx_return_codes[i].name;
	return NULL;
}
