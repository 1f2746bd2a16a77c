/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * The Linux SGX user-space API (arch/x86/include/uapi/asm/sgx.h), reproduced with the same
 * names, values and layouts so that software written for the upstream kernel compiles against
 * softsgx unchanged.  The include guard is upstream's, so this header and a system
 * <asm/sgx.h> are interchangeable and never both expanded in one translation unit.
 */
#ifndef _ASM_X86_SGX_H
#define _ASM_X86_SGX_H

#include <linux/types.h>
#include <linux/ioctl.h>

/**
 * enum sgx_page_flags - page control flags
 * %SGX_PAGE_MEASURE:	Measure the page contents with a sequence of
 *			ENCLS[EEXTEND] operations.
 */
enum sgx_page_flags {
	SGX_PAGE_MEASURE = 0x01,
};

#define SGX_MAGIC 0xA4

#define SGX_IOC_ENCLAVE_CREATE		     _IOW(SGX_MAGIC, 0x00, struct sgx_enclave_create)
#define SGX_IOC_ENCLAVE_ADD_PAGES	     _IOWR(SGX_MAGIC, 0x01, struct sgx_enclave_add_pages)
#define SGX_IOC_ENCLAVE_INIT		     _IOW(SGX_MAGIC, 0x02, struct sgx_enclave_init)
#define SGX_IOC_ENCLAVE_PROVISION	     _IOW(SGX_MAGIC, 0x03, struct sgx_enclave_provision)
#define SGX_IOC_VEPC_REMOVE_ALL		     _IO(SGX_MAGIC, 0x04)
#define SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS                                                       \
	_IOWR(SGX_MAGIC, 0x05, struct sgx_enclave_restrict_permissions)
#define SGX_IOC_ENCLAVE_MODIFY_TYPES	     _IOWR(SGX_MAGIC, 0x06, struct sgx_enclave_modify_types)
#define SGX_IOC_ENCLAVE_REMOVE_PAGES	     _IOWR(SGX_MAGIC, 0x07, struct sgx_enclave_remove_pages)

/** struct sgx_enclave_create - @src: address for the SECS page data */
struct sgx_enclave_create {
	__u64 src;
};

/**
 * struct sgx_enclave_add_pages - parameters of %SGX_IOC_ENCLAVE_ADD_PAGES
 * @src:	start address for the page data
 * @offset:	starting page offset
 * @length:	length of the data (multiple of the page size)
 * @secinfo:	address for the SECINFO data
 * @flags:	page control flags
 * @count:	number of bytes added (multiple of the page size)
 */
struct sgx_enclave_add_pages {
	__u64 src;
	__u64 offset;
	__u64 length;
	__u64 secinfo;
	__u64 flags;
	__u64 count;
};

/** struct sgx_enclave_init - @sigstruct: address for the SIGSTRUCT data */
struct sgx_enclave_init {
	__u64 sigstruct;
};

/** struct sgx_enclave_provision - @fd: file handle of /dev/sgx_provision */
struct sgx_enclave_provision {
	__u64 fd;
};

/**
 * struct sgx_enclave_restrict_permissions - parameters of %SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS
 * @offset:	 starting page offset (relative to the enclave base address in SECS)
 * @length:	 length of memory (multiple of the page size)
 * @permissions: new permission bits for the pages in the range
 * @result:	 (output) SGX result code of ENCLS[EMODPR]
 * @count:	 (output) bytes successfully changed (multiple of page size)
 */
struct sgx_enclave_restrict_permissions {
	__u64 offset;
	__u64 length;
	__u64 permissions;
	__u64 result;
	__u64 count;
};

/**
 * struct sgx_enclave_modify_types - parameters of %SGX_IOC_ENCLAVE_MODIFY_TYPES
 * @offset:	starting page offset (relative to the enclave base address in SECS)
 * @length:	length of memory (multiple of the page size)
 * @page_type:	new type for the pages in the range
 * @result:	(output) SGX result code of ENCLS[EMODT]
 * @count:	(output) bytes successfully changed (multiple of page size)
 */
struct sgx_enclave_modify_types {
	__u64 offset;
	__u64 length;
	__u64 page_type;
	__u64 result;
	__u64 count;
};

/**
 * struct sgx_enclave_remove_pages - parameters of %SGX_IOC_ENCLAVE_REMOVE_PAGES
 * @offset:	starting page offset (relative to the enclave base address in SECS)
 * @length:	length of memory (multiple of the page size)
 * @count:	(output) bytes successfully changed (multiple of page size)
 */
struct sgx_enclave_remove_pages {
	__u64 offset;
	__u64 length;
	__u64 count;
};

struct sgx_enclave_run;

/**
 * typedef sgx_enclave_user_handler_t - exit handler accepted by __vdso_sgx_enter_enclave().
 * Return <= 0: the value is returned to the caller; > 0: the ENCLU function to invoke next.
 */
typedef int (*sgx_enclave_user_handler_t)(long rdi, long rsi, long rdx, long rsp, long r8,
					  long r9, struct sgx_enclave_run *run);

/**
 * struct sgx_enclave_run - the execution context of __vdso_sgx_enter_enclave()
 * @tcs:			TCS used to enter the enclave
 * @function:			the last seen ENCLU function (EENTER, ERESUME or EEXIT)
 * @exception_vector:		the interrupt vector of the exception
 * @exception_error_code:	the exception error code pulled out of the stack
 * @exception_addr:		the address that triggered the exception
 * @user_handler:		user provided callback run on exception
 * @user_data:			data passed to the user handler
 * @reserved:			reserved for future extensions, must be zero
 */
struct sgx_enclave_run {
	__u64 tcs;
	__u32 function;
	__u16 exception_vector;
	__u16 exception_error_code;
	__u64 exception_addr;
	__u64 user_handler;
	__u64 user_data;
	__u8 reserved[216];
};

/**
 * typedef vdso_sgx_enter_enclave_t - prototype of __vdso_sgx_enter_enclave()
 * Returns 0 when the ENCLU function ran, -EINVAL for a function that is neither EENTER nor
 * ERESUME.
 */
typedef int (*vdso_sgx_enter_enclave_t)(unsigned long rdi, unsigned long rsi, unsigned long rdx,
					unsigned int function, unsigned long r8, unsigned long r9,
					struct sgx_enclave_run *run);

#endif /* _ASM_X86_SGX_H */
