/* SPDX-License-Identifier: MIT */
/*
 * The independent side of test_uapi: the same facts under the system's kernel UAPI header
 * (linux-libc-dev), compiled in a translation unit of its own because both headers carry the
 * upstream include guard _ASM_X86_SGX_H.
 */
#include <stddef.h>

#include SOFTSGX_SYSTEM_SGX_H

#include "uapi_table.h"

const char uapi_system_header[] = SOFTSGX_SYSTEM_SGX_H;

const struct uapi_value uapi_system_values[] = {
#include "uapi_fields.h"
};

const size_t uapi_system_count = sizeof(uapi_system_values) / sizeof(uapi_system_values[0]);
