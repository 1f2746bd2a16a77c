/* SPDX-License-Identifier: MIT */
/*
 * MRENCLAVE: SHA-256 over the 64-byte ECREATE / EADD / EEXTEND records, in the order the
 * operations happen (sgx-architecture.md, "Measurement").  Records are built on the stack and
 * handed to OpenSSL in as few updates as possible: a whole measured page (sixteen EEXTEND
 * headers and their data) is one update, which keeps measurement close to raw SHA-256 speed.
 */
#include <errno.h>
#include <string.h>

#include <openssl/evp.h>

#include "softsgx/arch.h"
#include "softsgx/measure.h"

#define EEXTEND_RECORD_SIZE (SGX_MEASURE_RECORD_SIZE + SGX_EEXTEND_CHUNK)
#define CHUNKS_PER_PAGE	    (SGX_PAGE_SIZE / SGX_EEXTEND_CHUNK)

/* Spelled out so that the compiler merges the byte stores into one (EEXTEND runs 16 a page). */
static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void put_le64(uint8_t *p, uint64_t v)
{
	put_le32(p, (uint32_t)v);
	put_le32(p + 4, (uint32_t)(v >> 32));
}

void sgx_measure_record_ecreate(uint8_t rec[64], uint32_t ssa_frame_size, uint64_t size)
{
	memset(rec, 0, SGX_MEASURE_RECORD_SIZE);
	put_le64(rec, SGX_MEASURE_TAG_ECREATE);
	put_le32(rec + 8, ssa_frame_size);
	put_le64(rec + 12, size);
}

void sgx_measure_record_eadd(uint8_t rec[64], uint64_t offset, uint64_t secinfo_flags)
{
	memset(rec, 0, SGX_MEASURE_RECORD_SIZE);
	put_le64(rec, SGX_MEASURE_TAG_EADD);
	put_le64(rec + 8, offset);
	put_le64(rec + 16, secinfo_flags);
}

void sgx_measure_record_eextend(uint8_t rec[64], uint64_t offset)
{
	memset(rec, 0, SGX_MEASURE_RECORD_SIZE);
	put_le64(rec, SGX_MEASURE_TAG_EEXTEND);
	put_le64(rec + 8, offset);
}

int sgx_measure_init(struct sgx_measure *m, struct softsgx_err *err)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	m->md = NULL;
	if (!ctx)
		return softsgx_fail(err, -ENOMEM,
				    "measurement: out of memory for a SHA-256 context");
	if (!EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(ctx);
		return softsgx_fail(err, -EIO, "measurement: OpenSSL cannot initialise SHA-256");
	}
	m->md = ctx;
	return 0;
}

void sgx_measure_free(struct sgx_measure *m)
{
	if (!m)
		return;
	EVP_MD_CTX_free(m->md);
	m->md = NULL;
}

int sgx_measure_copy(struct sgx_measure *dst, const struct sgx_measure *src,
		     struct softsgx_err *err)
{
	EVP_MD_CTX *ctx;

	dst->md = NULL;
	if (!src->md)
		return softsgx_fail(err, -EINVAL,
				    "measurement: copying a measurement not initialised");
	ctx = EVP_MD_CTX_new();
	if (!ctx)
		return softsgx_fail(err, -ENOMEM,
				    "measurement: out of memory for a SHA-256 context");
	if (!EVP_MD_CTX_copy_ex(ctx, src->md)) {
		EVP_MD_CTX_free(ctx);
		return softsgx_fail(err, -EIO,
				    "measurement: OpenSSL cannot copy a SHA-256 context");
	}
	dst->md = ctx;
	return 0;
}

static int measure_update(struct sgx_measure *m, const void *buf, size_t len)
{
	if (!m->md)
		return -EINVAL;
	return EVP_DigestUpdate(m->md, buf, len) ? 0 : -EIO;
}

int sgx_measure_ecreate(struct sgx_measure *m, uint32_t ssa_frame_size, uint64_t size)
{
	uint8_t rec[SGX_MEASURE_RECORD_SIZE];

	sgx_measure_record_ecreate(rec, ssa_frame_size, size);
	return measure_update(m, rec, sizeof(rec));
}

int sgx_measure_eadd(struct sgx_measure *m, uint64_t offset, uint64_t secinfo_flags)
{
	uint8_t rec[SGX_MEASURE_RECORD_SIZE];

	/* The CPU measures LINADDR - BASEADDR of a page: never anything but page-aligned. */
	if (offset & (SGX_PAGE_SIZE - 1))
		return -EINVAL;
	sgx_measure_record_eadd(rec, offset, secinfo_flags);
	return measure_update(m, rec, sizeof(rec));
}

int sgx_measure_eextend(struct sgx_measure *m, uint64_t offset, const uint8_t data[256])
{
	uint8_t rec[EEXTEND_RECORD_SIZE];

	if (offset & (SGX_EEXTEND_CHUNK - 1))
		return -EINVAL;
	sgx_measure_record_eextend(rec, offset);
	memcpy(rec + SGX_MEASURE_RECORD_SIZE, data, SGX_EEXTEND_CHUNK);
	return measure_update(m, rec, sizeof(rec));
}

int sgx_measure_eextend_page(struct sgx_measure *m, uint64_t page_offset, const uint8_t data[4096])
{
	uint8_t buf[CHUNKS_PER_PAGE * EEXTEND_RECORD_SIZE];

	if (page_offset & (SGX_PAGE_SIZE - 1))
		return -EINVAL;
	for (unsigned int i = 0; i < CHUNKS_PER_PAGE; i++) {
		uint8_t *rec = buf + i * EEXTEND_RECORD_SIZE;

		sgx_measure_record_eextend(rec, page_offset + i * SGX_EEXTEND_CHUNK);
		memcpy(rec + SGX_MEASURE_RECORD_SIZE, data + i * SGX_EEXTEND_CHUNK,
		       SGX_EEXTEND_CHUNK);
	}
	/*
	 * Loaders add pages in ascending order from one buffer: start fetching the next page
	 * while this one is hashed (a prefetch never faults, even past the buffer's end).
	 */
	for (unsigned int i = 0; i < SGX_PAGE_SIZE; i += 64)
		__builtin_prefetch(data + SGX_PAGE_SIZE + i);
	return measure_update(m, buf, sizeof(buf));
}

int sgx_measure_final(struct sgx_measure *m, uint8_t mrenclave[32])
{
	unsigned int len = 0;

	if (!m->md)
		return -EINVAL;
	if (!EVP_DigestFinal_ex(m->md, mrenclave, &len) || len != 32)
		return -EIO;
	/* A finished context accepts no more records: make later misuse fail, not hash garbage. */
	EVP_MD_CTX_free(m->md);
	m->md = NULL;
	return 0;
}
