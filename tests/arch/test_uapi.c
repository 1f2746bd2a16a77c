/* SPDX-License-Identifier: MIT */
/*
 * softsgx's <asm/sgx.h> equals the upstream kernel's, as shipped by the system
 * (/usr/include/x86_64-linux-gnu/asm/sgx.h): every ioctl number, constant, structure size and
 * field offset and size, so programs built against either behave the same.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "softsgx/sgx_uapi.h"
#include "testutil.h"
#include "uapi_table.h"

static const struct uapi_value ours[] = {
#include "uapi_fields.h"
};

static void uapi_values_equal_the_system_header(void **state)
{
	size_t n = sizeof(ours) / sizeof(ours[0]);

	(void)state;
	assert_int_equal(uapi_system_count, n);
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(ours[i].name, uapi_system_values[i].name);
		if (ours[i].value != uapi_system_values[i].value)
			fail_msg("%s: softsgx has 0x%llx, %s has 0x%llx", ours[i].name,
				 ours[i].value, uapi_system_header, uapi_system_values[i].value);
	}
}

/* Known values from the spec, so a header pair that agrees on nonsense still fails. */
static void ioctl_numbers_are_the_upstream_encodings(void **state)
{
	(void)state;
	assert_int_equal(SGX_IOC_ENCLAVE_CREATE, 0x4008a400);
	assert_int_equal(SGX_IOC_ENCLAVE_ADD_PAGES, 0xc030a401);
	assert_int_equal(SGX_IOC_ENCLAVE_INIT, 0x4008a402);
	assert_int_equal(SGX_IOC_ENCLAVE_PROVISION, 0x4008a403);
	assert_int_equal(SGX_IOC_VEPC_REMOVE_ALL, 0xa404);
	assert_int_equal(SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS, 0xc028a405);
	assert_int_equal(SGX_IOC_ENCLAVE_MODIFY_TYPES, 0xc028a406);
	assert_int_equal(SGX_IOC_ENCLAVE_REMOVE_PAGES, 0xc018a407);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(uapi_values_equal_the_system_header),
	    cmocka_unit_test(ioctl_numbers_are_the_upstream_encodings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
