/* SPDX-License-Identifier: MIT */
/*
 * The .sgxs stream (Fortanix): the measurement records themselves, ECREATE first, each EEXTEND
 * followed by its 256 data bytes, so that SHA-256 of a canonical file is MRENCLAVE.  Only
 * canonical streams are accepted: anything else would measure differently from the image it
 * describes.  Parsing walks the stream twice: once to validate and count pages, once to fill.
 */
#include <errno.h>
#include <stdlib.h>

#include "softsgx/measure.h"

#include "image_internal.h"

#define EEXTEND_RECORD (SGX_MEASURE_RECORD_SIZE + SGX_EEXTEND_CHUNK)

struct sgxs_walk {
	const uint8_t *buf;
	size_t len;
	struct sgx_image *img; /* NULL in the validating pass */
	bool have_ecreate;
	uint64_t size;	      /* SECS.SIZE from ECREATE */
	size_t nr_pages;      /* pages seen so far */
	uint64_t page_offset; /* the current (last EADDed) page */
	int last_chunk;	      /* last chunk EEXTENDed in the current page, -1 if none */
	uint16_t measured;
};

static const char *tag_name(uint64_t tag)
{
	switch (tag) {
	case SGX_MEASURE_TAG_ECREATE:
		return "ECREATE";
	case SGX_MEASURE_TAG_EADD:
		return "EADD";
	case SGX_MEASURE_TAG_EEXTEND:
		return "EEXTEND";
	case SGX_MEASURE_TAG_UNSIZED:
		return "UNSIZED";
	case SGX_MEASURE_TAG_UNMEASRD:
		return "UNMEASRD";
	}
	return NULL;
}

static int walk_ecreate(struct sgxs_walk *w, size_t off, struct softsgx_err *err)
{
	const uint8_t *rec = w->buf + off;
	uint32_t ssa = get_le32(rec + 8);
	uint64_t size = get_le64(rec + 12);
	const char *why = sgx_image_size_problem(size);

	if (w->have_ecreate)
		return softsgx_fail(err, -EINVAL,
				    "offset %zu: a second ECREATE record (a stream "
				    "has exactly one, first)",
				    off);
	if (!all_zero(rec + 20, SGX_MEASURE_RECORD_SIZE - 20))
		return softsgx_fail(err, -EINVAL,
				    "offset %zu: ECREATE record has non-zero "
				    "reserved bytes (20..63)",
				    off);
	if (!ssa)
		return softsgx_fail(err, -EINVAL,
				    "offset %zu: ECREATE SSAFRAMESIZE is 0, must be "
				    "at least 1 page",
				    off);
	if (why)
		return softsgx_fail(err, -EINVAL, "offset %zu: ECREATE SIZE 0x%llx is %s", off,
				    (unsigned long long)size, why);
	w->have_ecreate = true;
	w->size = size;
	if (w->img) {
		w->img->ssa_frame_size = ssa;
		w->img->size = size;
	}
	return 0;
}

static void finish_page(struct sgxs_walk *w)
{
	if (w->img && w->nr_pages)
		w->img->pages[w->nr_pages - 1].measured = w->measured;
}

static int walk_eadd(struct sgxs_walk *w, size_t off, struct softsgx_err *err)
{
	const uint8_t *rec = w->buf + off;
	uint64_t offset = get_le64(rec + 8), flags = get_le64(rec + 16);
	const char *why = sgx_image_flags_problem(flags);

	if (!all_zero(rec + 24, SGX_MEASURE_RECORD_SIZE - 24))
		return softsgx_fail(err, -EINVAL,
				    "offset %zu: EADD record has non-zero reserved "
				    "bytes (24..63)",
				    off);
	if (offset & (SGX_PAGE_SIZE - 1))
		return softsgx_fail(err, -EINVAL,
				    "offset %zu: EADD page offset 0x%llx is not "
				    "page-aligned",
				    off, (unsigned long long)offset);
	if (offset >= w->size)
		return softsgx_fail(err, -EINVAL,
				    "offset %zu: EADD page offset 0x%llx is beyond "
				    "SECS.SIZE 0x%llx",
				    off, (unsigned long long)offset, (unsigned long long)w->size);
	if (w->nr_pages && offset <= w->page_offset)
		return softsgx_fail(
		    err, -EINVAL,
		    "offset %zu: EADD page offset 0x%llx does not "
		    "follow the previous page 0x%llx (offsets must strictly increase)",
		    off, (unsigned long long)offset, (unsigned long long)w->page_offset);
	if (why)
		return softsgx_fail(err, -EINVAL,
				    "offset %zu: EADD of page 0x%llx: SECINFO.FLAGS "
				    "0x%llx: %s",
				    off, (unsigned long long)offset, (unsigned long long)flags,
				    why);
	if (w->nr_pages >= SGX_IMAGE_MAX_PAGES)
		return softsgx_fail(err, -EFBIG, "offset %zu: more than %llu pages", off,
				    SGX_IMAGE_MAX_PAGES);
	finish_page(w);
	if (w->img) {
		w->img->pages[w->nr_pages].offset = offset;
		w->img->pages[w->nr_pages].secinfo_flags = flags;
	}
	w->nr_pages++;
	w->page_offset = offset;
	w->last_chunk = -1;
	w->measured = 0;
	return 0;
}

static int walk_eextend(struct sgxs_walk *w, size_t off, struct softsgx_err *err)
{
	const uint8_t *rec = w->buf + off;
	uint64_t offset = get_le64(rec + 8);
	int chunk = (int)((offset & (SGX_PAGE_SIZE - 1)) / SGX_EEXTEND_CHUNK);

	if (w->len - off < EEXTEND_RECORD)
		return softsgx_fail(err, -EINVAL,
				    "offset %zu: truncated EEXTEND record: %zu of %d "
				    "bytes (64-byte header and 256 data bytes)",
				    off, w->len - off, EEXTEND_RECORD);
	if (!all_zero(rec + 16, SGX_MEASURE_RECORD_SIZE - 16))
		return softsgx_fail(err, -EINVAL,
				    "offset %zu: EEXTEND record has non-zero reserved "
				    "bytes (16..63)",
				    off);
	if (offset & (SGX_EEXTEND_CHUNK - 1))
		return softsgx_fail(err, -EINVAL,
				    "offset %zu: EEXTEND offset 0x%llx is not "
				    "256-byte aligned",
				    off, (unsigned long long)offset);
	if (!w->nr_pages || (offset & ~(uint64_t)(SGX_PAGE_SIZE - 1)) != w->page_offset) {
		if (!w->nr_pages)
			return softsgx_fail(err, -EINVAL,
					    "offset %zu: EEXTEND of 0x%llx before "
					    "any EADD",
					    off, (unsigned long long)offset);
		return softsgx_fail(err, -EINVAL,
				    "offset %zu: EEXTEND of 0x%llx is outside the "
				    "page EADDed last (0x%llx)",
				    off, (unsigned long long)offset,
				    (unsigned long long)w->page_offset);
	}
	if (w->measured & (1u << chunk))
		return softsgx_fail(err, -EINVAL,
				    "offset %zu: duplicate EEXTEND of 0x%llx (that "
				    "chunk is already measured)",
				    off, (unsigned long long)offset);
	if (chunk < w->last_chunk)
		return softsgx_fail(err, -EINVAL,
				    "offset %zu: EEXTEND of 0x%llx after 0x%llx "
				    "(chunks of a page must be in increasing order)",
				    off, (unsigned long long)offset,
				    (unsigned long long)(w->page_offset + (uint64_t)w->last_chunk *
									      SGX_EEXTEND_CHUNK));
	if (w->img)
		memcpy(w->img->pages[w->nr_pages - 1].data + chunk * SGX_EEXTEND_CHUNK,
		       rec + SGX_MEASURE_RECORD_SIZE, SGX_EEXTEND_CHUNK);
	w->measured |= (uint16_t)(1u << chunk);
	w->last_chunk = chunk;
	return 0;
}

static int walk_record(struct sgxs_walk *w, size_t off, struct softsgx_err *err)
{
	uint64_t tag = get_le64(w->buf + off);
	const char *name = tag_name(tag);

	if (!w->have_ecreate && tag != SGX_MEASURE_TAG_ECREATE)
		return softsgx_fail(err, -EINVAL,
				    "offset %zu: the stream must start with an ECREATE "
				    "record, found %s%s0x%016llx",
				    off, name ? name : "", name ? " " : "tag ",
				    (unsigned long long)tag);
	switch (tag) {
	case SGX_MEASURE_TAG_ECREATE:
		return walk_ecreate(w, off, err);
	case SGX_MEASURE_TAG_EADD:
		return walk_eadd(w, off, err);
	case SGX_MEASURE_TAG_EEXTEND:
		return walk_eextend(w, off, err);
	case SGX_MEASURE_TAG_UNSIZED:
	case SGX_MEASURE_TAG_UNMEASRD:
		return softsgx_fail(
		    err, -ENOTSUP,
		    "offset %zu: ESGXS %s record: enhanced .sgxs "
		    "streams are not supported, only canonical ECREATE/EADD/EEXTEND "
		    "streams (whose SHA-256 is MRENCLAVE)",
		    off, name);
	}
	return softsgx_fail(err, -EINVAL, "offset %zu: unknown record tag 0x%016llx", off,
			    (unsigned long long)tag);
}

static int walk(struct sgxs_walk *w, struct softsgx_err *err)
{
	size_t off = 0;

	if (!w->len)
		return softsgx_fail(err, -EINVAL, "empty stream: no ECREATE record");
	while (off < w->len) {
		uint64_t tag;
		int rc;

		if (w->len - off < SGX_MEASURE_RECORD_SIZE)
			return softsgx_fail(err, -EINVAL,
					    "offset %zu: truncated record: %zu of 64 "
					    "bytes",
					    off, w->len - off);
		tag = get_le64(w->buf + off);
		rc = walk_record(w, off, err);
		if (rc)
			return rc;
		off += tag == SGX_MEASURE_TAG_EEXTEND ? EEXTEND_RECORD : SGX_MEASURE_RECORD_SIZE;
	}
	finish_page(w);
	return 0;
}

int sgxs_parse(const uint8_t *buf, size_t len, struct sgx_image *img, struct softsgx_err *err)
{
	struct sgxs_walk w = {.buf = buf, .len = len};
	int rc;

	memset(img, 0, sizeof(*img));
	rc = walk(&w, err);
	if (rc)
		return rc;
	rc = sgx_image_alloc(img, w.nr_pages, err);
	if (rc)
		return rc;
	w = (struct sgxs_walk){.buf = buf, .len = len, .img = img};
	rc = walk(&w, err);
	if (rc) /* cannot happen: the first pass accepted the same bytes */
		sgx_image_free(img);
	return rc;
}

/* The canonical rules again, for images built by hand or converted from ELF. */
static int check_image(const struct sgx_image *img, struct softsgx_err *err)
{
	const char *why = sgx_image_size_problem(img->size);

	if (why)
		return softsgx_fail(err, -EINVAL, "SECS.SIZE 0x%llx is %s",
				    (unsigned long long)img->size, why);
	if (!img->ssa_frame_size)
		return softsgx_fail(err, -EINVAL, "SSAFRAMESIZE is 0, must be at least 1 page");
	for (size_t i = 0; i < img->nr_pages; i++) {
		const struct sgx_image_page *p = &img->pages[i];

		if ((p->offset & (SGX_PAGE_SIZE - 1)) || p->offset >= img->size)
			return softsgx_fail(err, -EINVAL,
					    "page %zu: offset 0x%llx is not a page "
					    "inside SECS.SIZE 0x%llx",
					    i, (unsigned long long)p->offset,
					    (unsigned long long)img->size);
		if (i && p->offset <= img->pages[i - 1].offset)
			return softsgx_fail(err, -EINVAL,
					    "page %zu: offset 0x%llx does not follow "
					    "0x%llx (pages must be sorted and unique)",
					    i, (unsigned long long)p->offset,
					    (unsigned long long)img->pages[i - 1].offset);
		why = sgx_image_flags_problem(p->secinfo_flags);
		if (why)
			return softsgx_fail(err, -EINVAL, "page 0x%llx: SECINFO.FLAGS 0x%llx: %s",
					    (unsigned long long)p->offset,
					    (unsigned long long)p->secinfo_flags, why);
		if (p->measured && !p->data)
			return softsgx_fail(err, -EINVAL, "page 0x%llx is measured but has no data",
					    (unsigned long long)p->offset);
	}
	return 0;
}

static size_t stream_length(const struct sgx_image *img)
{
	size_t len = SGX_MEASURE_RECORD_SIZE;

	for (size_t i = 0; i < img->nr_pages; i++)
		len += SGX_MEASURE_RECORD_SIZE +
		       (size_t)__builtin_popcount(img->pages[i].measured) * EEXTEND_RECORD;
	return len;
}

static uint8_t *write_page(uint8_t *out, const struct sgx_image_page *p)
{
	sgx_measure_record_eadd(out, p->offset, p->secinfo_flags);
	out += SGX_MEASURE_RECORD_SIZE;
	for (unsigned int c = 0; c < SGX_CHUNKS_PER_PAGE; c++) {
		if (!(p->measured & (1u << c)))
			continue;
		sgx_measure_record_eextend(out, p->offset + c * SGX_EEXTEND_CHUNK);
		memcpy(out + SGX_MEASURE_RECORD_SIZE, p->data + c * SGX_EEXTEND_CHUNK,
		       SGX_EEXTEND_CHUNK);
		out += EEXTEND_RECORD;
	}
	return out;
}

int sgxs_write(const struct sgx_image *img, uint8_t **buf, size_t *len, struct softsgx_err *err)
{
	uint8_t *out;
	int rc = check_image(img, err);

	*buf = NULL;
	*len = 0;
	if (rc)
		return rc;
	*len = stream_length(img);
	*buf = malloc(*len);
	if (!*buf)
		return softsgx_fail(err, -ENOMEM, "out of memory for a %zu-byte .sgxs stream",
				    *len);
	sgx_measure_record_ecreate(*buf, img->ssa_frame_size, img->size);
	out = *buf + SGX_MEASURE_RECORD_SIZE;
	for (size_t i = 0; i < img->nr_pages; i++)
		out = write_page(out, &img->pages[i]);
	return 0;
}
