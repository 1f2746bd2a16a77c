/* SPDX-License-Identifier: MIT */
/*
 * Incremental enclave measurement: the ECREATE / EADD / EEXTEND record stream hashed with
 * SHA-256 exactly as the hardware does (sgx-architecture.md, "Measurement").  The emulated
 * CPU keeps one per enclave; the tools use it to compute MRENCLAVE offline.
 */
#ifndef SOFTSGX_MEASURE_H
#define SOFTSGX_MEASURE_H

#include <stdint.h>

#include "softsgx/err.h"

#define SGX_MEASURE_RECORD_SIZE 64
#define SGX_EEXTEND_CHUNK	256

/* 64-bit record tags ("ECREATE\0", "EADD\0\0\0\0", "EEXTEND\0", and the ESGXS extensions). */
#define SGX_MEASURE_TAG_ECREATE	 0x0045544145524345ull
#define SGX_MEASURE_TAG_EADD	 0x0000000044444145ull
#define SGX_MEASURE_TAG_EEXTEND	 0x00444E4554584545ull
#define SGX_MEASURE_TAG_UNSIZED	 0x0044455a49534e55ull
#define SGX_MEASURE_TAG_UNMEASRD 0x44525341454d4e55ull

struct sgx_measure {
	void *md; /* OpenSSL EVP_MD_CTX */
};

int sgx_measure_init(struct sgx_measure *m, struct softsgx_err *err);
void sgx_measure_free(struct sgx_measure *m);
/* Copy the running state (EINIT finalises a copy, so the enclave keeps its own). */
int sgx_measure_copy(struct sgx_measure *dst, const struct sgx_measure *src,
		     struct softsgx_err *err);

int sgx_measure_ecreate(struct sgx_measure *m, uint32_t ssa_frame_size, uint64_t size);
int sgx_measure_eadd(struct sgx_measure *m, uint64_t offset, uint64_t secinfo_flags);
/* @offset is the 256-aligned chunk offset from BASEADDR. */
int sgx_measure_eextend(struct sgx_measure *m, uint64_t offset, const uint8_t data[256]);
/* Measure a whole page's sixteen chunks (what the driver does for SGX_PAGE_MEASURE). */
int sgx_measure_eextend_page(struct sgx_measure *m, uint64_t page_offset, const uint8_t data[4096]);
int sgx_measure_final(struct sgx_measure *m, uint8_t mrenclave[32]);

/* The 64-byte records themselves, for writers of the .sgxs stream. */
void sgx_measure_record_ecreate(uint8_t rec[64], uint32_t ssa_frame_size, uint64_t size);
void sgx_measure_record_eadd(uint8_t rec[64], uint64_t offset, uint64_t secinfo_flags);
void sgx_measure_record_eextend(uint8_t rec[64], uint64_t offset);

#endif
