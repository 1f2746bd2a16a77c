/* SPDX-License-Identifier: MIT */
/*
 * The EPC and its EPCM: the processor object over the memory the kernel model hands in, one
 * EPCM entry per page, the locks, and the read-only views the driver and tests use.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "arch_internal.h"

static int check_platform(const struct sgx_platform *p, const void *epc, struct softsgx_err *err)
{
	if (!p->epc_size || p->epc_size % SGX_PAGE_SIZE)
		return softsgx_fail(err, -EINVAL,
				    "EPC size %llu is not a non-zero multiple of 4096 bytes",
				    (unsigned long long)p->epc_size);
	if (!epc || (uintptr_t)epc % SGX_PAGE_SIZE)
		return softsgx_fail(err, -EINVAL, "EPC memory at %p is not page-aligned", epc);
	if ((p->xfrm & SGX_XFRM_LEGACY) != SGX_XFRM_LEGACY)
		return softsgx_fail(err, -EINVAL,
				    "platform XFRM 0x%llx lacks x87|SSE (0x3), which SGX requires",
				    (unsigned long long)p->xfrm);
	if (p->attributes &
	    (SGX_ATTR_INIT | SGX_ATTR_RESERVED_MASK | SGX_ATTR_AEXNOTIFY | SGX_ATTR_CET))
		return softsgx_fail(
		    err, -EINVAL,
		    "platform attributes 0x%llx include bits this CPU cannot provide "
		    "(INIT, CET, AEXNOTIFY or reserved)",
		    (unsigned long long)p->attributes);
	if (p->miscselect & ~SGX_MISC_EXINFO)
		return softsgx_fail(err, -EINVAL,
				    "platform MISCSELECT 0x%x has bits other than EXINFO",
				    p->miscselect);
	return 0;
}

int sgx_cpu_create(struct sgx_cpu **out, const struct sgx_platform *platform, void *epc,
		   const uint8_t root_secret[32], struct softsgx_err *err)
{
	struct sgx_cpu *cpu;
	int ret;

	*out = NULL;
	ret = check_platform(platform, epc, err);
	if (ret)
		return ret;
	cpu = calloc(1, sizeof(*cpu));
	if (!cpu)
		return softsgx_fail(err, -ENOMEM, "out of memory for the emulated CPU");
	cpu->platform = *platform;
	cpu->epc = epc;
	cpu->nr_pages = platform->epc_size / SGX_PAGE_SIZE;
	cpu->epcm = calloc(cpu->nr_pages, sizeof(*cpu->epcm));
	if (!cpu->epcm) {
		free(cpu);
		return softsgx_fail(err, -ENOMEM, "out of memory for an EPCM of %zu entries",
				    (size_t)(platform->epc_size / SGX_PAGE_SIZE));
	}
	if (sgx_kdf_init(&cpu->kdf, root_secret)) {
		free(cpu->epcm);
		free(cpu);
		return softsgx_fail(err, -EIO,
				    "cannot derive the key-derivation key from the "
				    "platform root secret (OpenSSL failure)");
	}
	pthread_mutex_init(&cpu->encls_lock, NULL);
	atomic_flag_clear(&cpu->epcm_lock);
	atomic_init(&cpu->pending_interrupts, 0);
	cpu->next_eid = 1;
	*out = cpu;
	return 0;
}

void sgx_cpu_destroy(struct sgx_cpu *cpu)
{
	if (!cpu)
		return;
	for (size_t i = 0; i < cpu->nr_pages; i++)
		sgx_encl_free(cpu->epcm[i].encl);
	pthread_mutex_destroy(&cpu->encls_lock);
	OPENSSL_cleanse(&cpu->kdf, sizeof(cpu->kdf));
	free(cpu->epcm);
	free(cpu);
}

void sgx_encl_free(struct sgx_encl *encl)
{
	if (!encl)
		return;
	sgx_measure_free(&encl->measure);
	free(encl);
}

const struct sgx_platform *sgx_cpu_platform(const struct sgx_cpu *cpu)
{
	return &cpu->platform;
}

size_t sgx_epc_nr_pages(const struct sgx_cpu *cpu)
{
	return cpu->nr_pages;
}

void *sgx_epc_page(const struct sgx_cpu *cpu, size_t index)
{
	return index < cpu->nr_pages ? sgx_epc_addr(cpu, index) : NULL;
}

size_t sgx_epc_index(const struct sgx_cpu *cpu, const void *addr)
{
	uintptr_t a = (uintptr_t)addr, base = (uintptr_t)cpu->epc;

	if (a < base || a - base >= cpu->nr_pages * (uintptr_t)SGX_PAGE_SIZE)
		return SIZE_MAX;
	return (a - base) / SGX_PAGE_SIZE;
}

size_t sgx_epc_page_index(const struct sgx_cpu *cpu, const void *p)
{
	if ((uintptr_t)p % SGX_PAGE_SIZE)
		return SIZE_MAX;
	return sgx_epc_index(cpu, p);
}

int sgx_epcm_read(const struct sgx_cpu *cpu, size_t index, struct sgx_epcm_view *view)
{
	struct sgx_cpu *c = (struct sgx_cpu *)cpu;
	const struct sgx_epcm_entry *e;
	sigset_t old;

	if (index >= cpu->nr_pages)
		return -EINVAL;
	e = &cpu->epcm[index];
	sgx_epcm_lock_signals(c, &old);
	view->valid = e->valid;
	view->page_type = e->type;
	view->rwx = e->rwx;
	view->pending = e->pending;
	view->modified = e->modified;
	view->pr = e->pr;
	view->blocked = e->blocked;
	view->enclave_addr = e->linaddr;
	view->secs_index = e->secs;
	sgx_epcm_unlock_signals(c, &old);
	return 0;
}

/*
 * IA32_SGXLEPUBKEYHASH0-3 are per logical processor, and the kernel writes them and runs EINIT
 * on the same CPU with preemption disabled.  Here a host thread is a logical processor: the
 * value a thread wrote is the one its own EINITs see, so concurrent EINITs of enclaves with
 * different signers cannot see each other's hash.  A thread that never wrote one sees the
 * value written last by any thread.
 */
static _Thread_local struct {
	const struct sgx_cpu *cpu;
	uint8_t hash[32];
} lp_msr;

void sgx_cpu_set_lepubkeyhash(struct sgx_cpu *cpu, const uint8_t hash[32])
{
	lp_msr.cpu = cpu;
	memcpy(lp_msr.hash, hash, sizeof(lp_msr.hash));
	sgx_encls_enter(cpu);
	memcpy(cpu->lepubkeyhash, hash, sizeof(cpu->lepubkeyhash));
	sgx_encls_leave(cpu);
}

const uint8_t *sgx_cpu_lepubkeyhash(const struct sgx_cpu *cpu)
{
	return lp_msr.cpu == cpu ? lp_msr.hash : cpu->lepubkeyhash;
}

void sgx_cpu_inject_unmasked_events(struct sgx_cpu *cpu, unsigned int count)
{
	atomic_store(&cpu->pending_interrupts, count);
}

void sgx_encls_enter(struct sgx_cpu *cpu)
{
	pthread_mutex_lock(&cpu->encls_lock);
}

void sgx_encls_leave(struct sgx_cpu *cpu)
{
	pthread_mutex_unlock(&cpu->encls_lock);
}

/*
 * How many sgx_cpu_block_signals brackets the calling thread is in: while non-zero every
 * signal is blocked already, and the ENCLS leaves take the EPCM lock without two system calls
 * of their own.  Only ENCLS (thread context) reads it, never ENCLU or AEX.
 */
static _Thread_local unsigned int signals_blocked;

void sgx_cpu_block_signals(sigset_t *old)
{
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, old);
	signals_blocked++;
}

void sgx_cpu_restore_signals(const sigset_t *old)
{
	signals_blocked--;
	pthread_sigmask(SIG_SETMASK, old, NULL);
}

void sgx_epcm_lock_signals(struct sgx_cpu *cpu, sigset_t *old)
{
	sigset_t all;

	if (!signals_blocked) {
		sigfillset(&all);
		pthread_sigmask(SIG_BLOCK, &all, old);
	}
	sgx_epcm_lock(cpu);
}

void sgx_epcm_unlock_signals(struct sgx_cpu *cpu, const sigset_t *old)
{
	sgx_epcm_unlock(cpu);
	if (!signals_blocked)
		pthread_sigmask(SIG_SETMASK, old, NULL);
}

struct sgx_epcm_entry *sgx_secs_entry(struct sgx_cpu *cpu, const void *p, size_t *index)
{
	size_t i = sgx_epc_page_index(cpu, p);

	if (i == SIZE_MAX || !cpu->epcm[i].valid || cpu->epcm[i].type != SGX_PT_SECS)
		return NULL;
	if (index)
		*index = i;
	return &cpu->epcm[i];
}

bool sgx_all_zero(const void *p, size_t len)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < len; i++)
		if (b[i])
			return false;
	return true;
}
