/* SPDX-License-Identifier: MIT */
/*
 * softsgx's view of the upstream SGX UAPI: the header itself plus compile-time checks of
 * every size and offset against the values in linux-sgx-driver.md.  Project code includes
 * this file; programs written for upstream include <asm/sgx.h> (softsgx/uapi on the path).
 */
#ifndef SOFTSGX_SGX_UAPI_H
#define SOFTSGX_SGX_UAPI_H

#include <stddef.h>
#include "uapi/asm/sgx.h"

/* ENCLU functions named by struct sgx_enclave_run.function. */
#define SGX_ENCLU_EENTER  2
#define SGX_ENCLU_ERESUME 3
#define SGX_ENCLU_EEXIT	  4

#define SOFTSGX_UAPI_OFF(t, f, o) _Static_assert(offsetof(t, f) == (o), #t "." #f " offset")
#define SOFTSGX_UAPI_SIZE(t, s)	  _Static_assert(sizeof(t) == (s), #t " size")

SOFTSGX_UAPI_SIZE(struct sgx_enclave_create, 8);
SOFTSGX_UAPI_SIZE(struct sgx_enclave_add_pages, 48);
SOFTSGX_UAPI_OFF(struct sgx_enclave_add_pages, src, 0);
SOFTSGX_UAPI_OFF(struct sgx_enclave_add_pages, offset, 8);
SOFTSGX_UAPI_OFF(struct sgx_enclave_add_pages, length, 16);
SOFTSGX_UAPI_OFF(struct sgx_enclave_add_pages, secinfo, 24);
SOFTSGX_UAPI_OFF(struct sgx_enclave_add_pages, flags, 32);
SOFTSGX_UAPI_OFF(struct sgx_enclave_add_pages, count, 40);
SOFTSGX_UAPI_SIZE(struct sgx_enclave_init, 8);
SOFTSGX_UAPI_SIZE(struct sgx_enclave_provision, 8);
SOFTSGX_UAPI_SIZE(struct sgx_enclave_restrict_permissions, 40);
SOFTSGX_UAPI_OFF(struct sgx_enclave_restrict_permissions, permissions, 16);
SOFTSGX_UAPI_OFF(struct sgx_enclave_restrict_permissions, result, 24);
SOFTSGX_UAPI_OFF(struct sgx_enclave_restrict_permissions, count, 32);
SOFTSGX_UAPI_SIZE(struct sgx_enclave_modify_types, 40);
SOFTSGX_UAPI_OFF(struct sgx_enclave_modify_types, page_type, 16);
SOFTSGX_UAPI_OFF(struct sgx_enclave_modify_types, result, 24);
SOFTSGX_UAPI_OFF(struct sgx_enclave_modify_types, count, 32);
SOFTSGX_UAPI_SIZE(struct sgx_enclave_remove_pages, 24);
SOFTSGX_UAPI_OFF(struct sgx_enclave_remove_pages, count, 16);
SOFTSGX_UAPI_SIZE(struct sgx_enclave_run, 256);
SOFTSGX_UAPI_OFF(struct sgx_enclave_run, tcs, 0);
SOFTSGX_UAPI_OFF(struct sgx_enclave_run, function, 8);
SOFTSGX_UAPI_OFF(struct sgx_enclave_run, exception_vector, 12);
SOFTSGX_UAPI_OFF(struct sgx_enclave_run, exception_error_code, 14);
SOFTSGX_UAPI_OFF(struct sgx_enclave_run, exception_addr, 16);
SOFTSGX_UAPI_OFF(struct sgx_enclave_run, user_handler, 24);
SOFTSGX_UAPI_OFF(struct sgx_enclave_run, user_data, 32);
SOFTSGX_UAPI_OFF(struct sgx_enclave_run, reserved, 40);

_Static_assert(SGX_IOC_ENCLAVE_CREATE == 0x4008A400, "CREATE ioctl number");
_Static_assert(SGX_IOC_ENCLAVE_ADD_PAGES == 0xC030A401, "ADD_PAGES ioctl number");
_Static_assert(SGX_IOC_ENCLAVE_INIT == 0x4008A402, "INIT ioctl number");
_Static_assert(SGX_IOC_ENCLAVE_PROVISION == 0x4008A403, "PROVISION ioctl number");
_Static_assert(SGX_IOC_VEPC_REMOVE_ALL == 0xA404, "VEPC_REMOVE_ALL ioctl number");
_Static_assert(SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS == 0xC028A405, "RESTRICT_PERMISSIONS number");
_Static_assert(SGX_IOC_ENCLAVE_MODIFY_TYPES == 0xC028A406, "MODIFY_TYPES ioctl number");
_Static_assert(SGX_IOC_ENCLAVE_REMOVE_PAGES == 0xC018A407, "REMOVE_PAGES ioctl number");

#endif
