/* SPDX-License-Identifier: MIT */
/* The { name, value } tables built from uapi_fields.h, one per header under test. */
#ifndef SOFTSGX_TESTS_ARCH_UAPI_TABLE_H
#define SOFTSGX_TESTS_ARCH_UAPI_TABLE_H

#include <stddef.h>

struct uapi_value {
	const char *name;
	unsigned long long value;
};

#define UAPI_CONST(c)  {#c, (unsigned long long)(c)},
#define UAPI_STRUCT(s) {"sizeof(struct " #s ")", sizeof(struct s)},
#define UAPI_FIELD(s, f)                                                                           \
	{"offsetof(struct " #s ", " #f ")", offsetof(struct s, f)},                                \
	    {"sizeof(struct " #s "." #f ")", sizeof(((struct s *)0)->f)},
#define UAPI_TYPE(t) {"sizeof(" #t ")", sizeof(t)},

/* Exported by uapi_system.c: the values under the system's <asm/sgx.h>. */
extern const struct uapi_value uapi_system_values[];
extern const size_t uapi_system_count;
extern const char uapi_system_header[];

#endif
