/* SPDX-License-Identifier: MIT */
/*
 * Helpers of the driver tests: a kernel instance with a captured driver log, enclave
 * building blocks (SECS, SECINFO, reservations, signed SIGSTRUCTs), and a scriptable
 * source-mapping provider for the cases /proc cannot stage on demand.
 */
#ifndef SOFTSGX_TESTS_DRIVER_DRVTEST_H
#define SOFTSGX_TESTS_DRIVER_DRVTEST_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "softsgx/kernel.h"
#include "softsgx/sgx_uapi.h"

#define DT_SKIP	   77
#define DT_MAX_LOG 64

/* A provider that answers from /proc (via the kernel's own reader being absent) or a script. */
struct dt_provider {
	struct sgxk_vma_provider ops;
	/* Every lookup answers one page, anonymous RW, unless noted below. */
	uint64_t noexec_start, noexec_end; /* lookups here report noexec */
	uint64_t fault_start, fault_end;   /* lookups here report nothing mapped */
	int raise_on_refresh; /* raise this signal when the ioctl refreshes the snapshot */
	int raise_on_lookup;  /* raise this signal at lookup number raise_at */
	int raise_at;
	int lookups;
	/* Called on each lookup (e.g. to park the ioctl while another thread tries one). */
	void (*on_lookup)(void *ctx);
	void *on_lookup_ctx;
};

struct dt {
	struct sgxk *k;
	struct sgxk_options opts;
	struct dt_provider prov;
	char log[DT_MAX_LOG][512];
	int nr_log;
	/* fd table for PROVISION: fd i resolves to files[i]. */
	struct sgxk_file *files[8];
};

/*
 * Options with defaults (an EPC of @epc_size bytes, SGX2 as @sgx2, the scripted provider or
 * /proc); change d->opts, then dt_start creates the kernel.  dt_init does both.
 */
void dt_setup(struct dt *d, uint64_t epc_size, bool sgx2, bool scripted);
void dt_start(struct dt *d);
void dt_init(struct dt *d, uint64_t epc_size, bool sgx2);
void dt_fini(struct dt *d);
bool dt_log_has(const struct dt *d, const char *needle);

struct sgxk_file *dt_open(struct dt *d);
int dt_fd_of(struct dt *d, struct sgxk_file *f); /* register for PROVISION's fdget */

/* Address space for an enclave of @size: a PROT_NONE reservation aligned to @size. */
uint64_t dt_reserve(uint64_t size);
void dt_unreserve(uint64_t base, uint64_t size);

void dt_secs(struct sgx_secs *secs, uint64_t base, uint64_t size);
long dt_create(struct dt *d, struct sgxk_file *f, const struct sgx_secs *secs);
/* One ioctl; *count gets the written-back count. */
long dt_add(struct dt *d, struct sgxk_file *f, const void *src, uint64_t offset, uint64_t len,
	    uint64_t secinfo_flags, uint64_t flags, uint64_t *count);
long dt_init_encl(struct dt *d, struct sgxk_file *f, const struct sgx_sigstruct *s);

/*
 * A small enclave that reaches INIT: SECS with @attributes (plus MODE64BIT), one TCS and
 * @nr_reg R|W|X... pages per the table below, all measured; the model measurement is kept so
 * dt_sign can produce a matching SIGSTRUCT.
 */
struct dt_encl {
	struct sgxk_file *f;
	uint64_t base, size;
	struct sgx_secs secs;
	uint8_t mrenclave[32];
	void *measure; /* struct sgx_measure */
	uint8_t *page; /* a page of source data (anonymous memory) */
	uint8_t *tcs;  /* a valid TCS: one SSA frame at 0x1000, entry at 0x1000 */
};
void dt_encl_build(struct dt *d, struct dt_encl *e, uint64_t size, uint64_t attributes);
/* Add @nr pages at @offset with @secinfo_flags from e->page, keeping the model measurement. */
void dt_encl_add(struct dt *d, struct dt_encl *e, uint64_t offset, size_t nr,
		 uint64_t secinfo_flags, bool measure);
void dt_encl_finish_measure(struct dt_encl *e);
void dt_encl_free(struct dt *d, struct dt_encl *e);
/* A SIGSTRUCT for @mrenclave signed with the vectors' sig1 key (or a generated one). */
void dt_sign(struct sgx_sigstruct *s, const uint8_t mrenclave[32], uint64_t attributes,
	     uint64_t attributes_mask, uint64_t xfrm);

/* Sign again after editing signed fields. */
void dt_resign(struct sgx_sigstruct *s);

/*
 * A gate that parks the first thread reaching it (typically inside an ioctl, through the
 * provider's on_lookup hook) until another thread lets it go: phase 0, nobody parked yet;
 * 1, a thread is parked; 2, let go (later arrivals pass straight through).
 */
struct dt_gate {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int phase;
};
void dt_gate_init(struct dt_gate *g);
void dt_gate_destroy(struct dt_gate *g);
/* The hook: @gate is a struct dt_gate; the first caller parks until dt_gate_release. */
void dt_gate_park(void *gate);
/* Wait until a thread is parked at @g. */
void dt_gate_wait_parked(struct dt_gate *g);
void dt_gate_release(struct dt_gate *g);

const char *dt_vector(const char *name);
uint8_t *dt_read_file(const char *path, size_t *len);
/* First line of a shell command's stdout; exit status returned. */
int dt_run(char *out, size_t outlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
