/* SPDX-License-Identifier: MIT */
/*
 * The classes and permissions the SELinux module checks (the spec's table), numbered by the
 * module, not by any policy: selinux.c maps them onto the loaded policy once, applying its
 * handle_unknown to what the policy lacks.  Within a class the bits follow the kernel's
 * permission order, so audit records list permissions in the order the kernel prints them.
 */
#ifndef SOFTSGX_SELINUX_PERMS_H
#define SOFTSGX_SELINUX_PERMS_H

#include <stdint.h>

enum sel_class {
	SEL_CHR_FILE,
	SEL_FILE,
	SEL_PROCESS,
	SEL_PROCESS2,
	SEL_ENCLAVE,
	SEL_NR_CLASSES,
};

#define SEL_MAX_PERMS 8

#define CHR_FILE__IOCTL	  (1u << 0)
#define CHR_FILE__READ	  (1u << 1)
#define CHR_FILE__WRITE	  (1u << 2)
#define CHR_FILE__MAP	  (1u << 3)
#define CHR_FILE__EXECUTE (1u << 4)
#define CHR_FILE__OPEN	  (1u << 5)

#define FILE__SGX_EXECUTE (1u << 0)

#define PROCESS__EXECMEM (1u << 0)

#define PROCESS2__SGX_EXECDIRTY (1u << 0)
#define PROCESS2__SGX_EXECUNMR	(1u << 1)
#define PROCESS2__SGX_EXECANON	(1u << 2)
#define PROCESS2__SGX_MAPWX	(1u << 3)

#define ENCLAVE__INIT	   (1u << 0)
#define ENCLAVE__DEBUG	   (1u << 1)
#define ENCLAVE__PROVISION (1u << 2)

struct sel_class_def {
	const char *name;
	const char *perms[SEL_MAX_PERMS]; /* bit i of the module's vector; NULL-terminated */
};

extern const struct sel_class_def sel_classes[SEL_NR_CLASSES];

/* The number of permissions of @cls, and the mask of all of them. */
int sel_nr_perms(enum sel_class cls);
uint32_t sel_all_perms(enum sel_class cls);

#endif
