/* SPDX-License-Identifier: MIT */
/*
 * The security hooks of lsm-enclave-controls.md, called by the driver model (src/driver/) at
 * the places the spec lists, and the stack of modules that answers them (src/security/).
 * Every hook returns 0 or a negative errno (-EACCES for a policy denial).  The first denial
 * wins; every module's denials are audited.  A NULL stack allows everything: the driver then
 * behaves exactly like upstream Linux.
 */
#ifndef SOFTSGX_LSM_H
#define SOFTSGX_LSM_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "softsgx/arch.h"
#include "softsgx/config.h"
#include "softsgx/err.h"

/* The subject: this process as the kernel would see it. */
struct lsm_cred {
	pid_t pid;
	char comm[16];
	const char *context; /* security context string, NULL when none was given */
};

enum lsm_device {
	LSM_DEV_ENCLAVE, /* /dev/sgx_enclave, /dev/sgx/enclave */
	LSM_DEV_PROVISION, /* /dev/sgx_provision */
};

/* An open device file (the target of file_* hooks). */
struct lsm_file {
	enum lsm_device device;
	const char *path; /* as opened */
	dev_t dev;
	ino_t ino;
	bool anon_inode; /* `inode = anon`: a private anonymous inode */
};

/* The mapping an ADD_PAGES source (or the SIGSTRUCT) was read from. */
struct lsm_source {
	bool anonymous; /* anonymous memory, shared anonymous, SysV shm, memfd: "private inodes" */
	const char *path; /* backing file, NULL when anonymous */
	dev_t dev;
	ino_t ino;
	int prot; /* PROT_READ/WRITE/EXEC of the mapping */
	bool shared; /* MAP_SHARED */
	bool written; /* a private file mapping that has been written (COW pages exist) */
};

/* An enclave as the hooks see it. */
struct lsm_enclave {
	uint64_t base, size;
	uint64_t id; /* unique per enclave in this kernel, for caches */
};

struct lsm_stack;

/* Build the stack @cfg names (modules in order); refuses a half-usable configuration. */
int lsm_stack_create(struct lsm_stack **stack, const struct softsgx_config *cfg,
		     struct softsgx_err *err);
void lsm_stack_destroy(struct lsm_stack *stack);
/*
 * What the modules said at start-up that the user must see (e.g. "launch: no launch list is
 * configured: every enclave is denied"): NULL when nothing, else one warning per line, each
 * ending in a newline.  The caller prints it; library code does not.
 */
const char *lsm_stack_warnings(const struct lsm_stack *stack);

int security_file_open(struct lsm_stack *s, const struct lsm_cred *cred,
		       const struct lsm_file *file, int open_flags);
int security_file_ioctl(struct lsm_stack *s, const struct lsm_cred *cred,
			const struct lsm_file *file, unsigned int cmd);
int security_mmap_file(struct lsm_stack *s, const struct lsm_cred *cred,
		       const struct lsm_file *file, int prot, int flags);
int security_file_mprotect(struct lsm_stack *s, const struct lsm_cred *cred,
			   const struct lsm_file *file, int prot);
/* After the SECINFO-cap check in mmap/mprotect; @dirty: the range holds EAUG pages or holes. */
int security_enclave_map(struct lsm_stack *s, const struct lsm_cred *cred,
			 const struct lsm_enclave *encl, int prot, bool dirty);
/* Per page or run of pages from one source mapping; @prot: the page's max protections. */
int security_enclave_load(struct lsm_stack *s, const struct lsm_cred *cred,
			  const struct lsm_enclave *encl, const struct lsm_source *src, int prot,
			  bool measured);
/* After the SIGSTRUCT is read, before EINIT; @src NULL when its mapping is unknown. */
int security_enclave_init(struct lsm_stack *s, const struct lsm_cred *cred,
			  const struct lsm_enclave *encl, const struct sgx_sigstruct *sigstruct,
			  const struct lsm_source *src, const struct sgx_attributes *attributes);
int security_enclave_provision(struct lsm_stack *s, const struct lsm_cred *cred,
			       const struct lsm_enclave *encl, const struct lsm_file *provision);

#endif
