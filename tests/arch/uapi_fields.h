/* SPDX-License-Identifier: MIT */
/*
 * The UAPI facts test_uapi compares: every ioctl number and constant, every structure size,
 * every field offset and size of <asm/sgx.h>.  Included twice, once under softsgx's header
 * (test_uapi.c) and once under the system's (uapi_system.c), with the UAPI_* macros turning
 * each line into a { name, value } table entry.
 */
UAPI_CONST(SGX_MAGIC)
UAPI_CONST(SGX_PAGE_MEASURE)
UAPI_CONST(SGX_IOC_ENCLAVE_CREATE)
UAPI_CONST(SGX_IOC_ENCLAVE_ADD_PAGES)
UAPI_CONST(SGX_IOC_ENCLAVE_INIT)
UAPI_CONST(SGX_IOC_ENCLAVE_PROVISION)
UAPI_CONST(SGX_IOC_VEPC_REMOVE_ALL)
UAPI_CONST(SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS)
UAPI_CONST(SGX_IOC_ENCLAVE_MODIFY_TYPES)
UAPI_CONST(SGX_IOC_ENCLAVE_REMOVE_PAGES)

UAPI_STRUCT(sgx_enclave_create)
UAPI_FIELD(sgx_enclave_create, src)

UAPI_STRUCT(sgx_enclave_add_pages)
UAPI_FIELD(sgx_enclave_add_pages, src)
UAPI_FIELD(sgx_enclave_add_pages, offset)
UAPI_FIELD(sgx_enclave_add_pages, length)
UAPI_FIELD(sgx_enclave_add_pages, secinfo)
UAPI_FIELD(sgx_enclave_add_pages, flags)
UAPI_FIELD(sgx_enclave_add_pages, count)

UAPI_STRUCT(sgx_enclave_init)
UAPI_FIELD(sgx_enclave_init, sigstruct)

UAPI_STRUCT(sgx_enclave_provision)
UAPI_FIELD(sgx_enclave_provision, fd)

UAPI_STRUCT(sgx_enclave_restrict_permissions)
UAPI_FIELD(sgx_enclave_restrict_permissions, offset)
UAPI_FIELD(sgx_enclave_restrict_permissions, length)
UAPI_FIELD(sgx_enclave_restrict_permissions, permissions)
UAPI_FIELD(sgx_enclave_restrict_permissions, result)
UAPI_FIELD(sgx_enclave_restrict_permissions, count)

UAPI_STRUCT(sgx_enclave_modify_types)
UAPI_FIELD(sgx_enclave_modify_types, offset)
UAPI_FIELD(sgx_enclave_modify_types, length)
UAPI_FIELD(sgx_enclave_modify_types, page_type)
UAPI_FIELD(sgx_enclave_modify_types, result)
UAPI_FIELD(sgx_enclave_modify_types, count)

UAPI_STRUCT(sgx_enclave_remove_pages)
UAPI_FIELD(sgx_enclave_remove_pages, offset)
UAPI_FIELD(sgx_enclave_remove_pages, length)
UAPI_FIELD(sgx_enclave_remove_pages, count)

UAPI_STRUCT(sgx_enclave_run)
UAPI_FIELD(sgx_enclave_run, tcs)
UAPI_FIELD(sgx_enclave_run, function)
UAPI_FIELD(sgx_enclave_run, exception_vector)
UAPI_FIELD(sgx_enclave_run, exception_error_code)
UAPI_FIELD(sgx_enclave_run, exception_addr)
UAPI_FIELD(sgx_enclave_run, user_handler)
UAPI_FIELD(sgx_enclave_run, user_data)
UAPI_FIELD(sgx_enclave_run, reserved)

UAPI_TYPE(sgx_enclave_user_handler_t)
UAPI_TYPE(vdso_sgx_enter_enclave_t)
