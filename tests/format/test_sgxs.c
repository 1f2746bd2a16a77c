/* SPDX-License-Identifier: MIT */
/*
 * The .sgxs stream: real streams parse, measure to SHA-256 of the file (python3 hashlib) and
 * are written back byte for byte; every non-canonical stream is refused with the offset of
 * the offending record.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "softsgx/image.h"
#include "softsgx/measure.h"

#include "format_testutil.h"

#define REG_RW (SGX_SECINFO_TYPE(SGX_PT_REG) | SGX_SECINFO_R | SGX_SECINFO_W)
#define TCS    SGX_SECINFO_TYPE(SGX_PT_TCS)

struct stream {
	uint8_t buf[64 * 1024];
	size_t len;
};

static void put(struct stream *s, const void *p, size_t n)
{
	assert_true(s->len + n <= sizeof(s->buf));
	memcpy(s->buf + s->len, p, n);
	s->len += n;
}

static void ecreate(struct stream *s, uint32_t ssa, uint64_t size)
{
	uint8_t rec[64];

	sgx_measure_record_ecreate(rec, ssa, size);
	put(s, rec, sizeof(rec));
}

static void eadd(struct stream *s, uint64_t off, uint64_t flags)
{
	uint8_t rec[64];

	sgx_measure_record_eadd(rec, off, flags);
	put(s, rec, sizeof(rec));
}

static void eextend(struct stream *s, uint64_t off)
{
	uint8_t rec[64], data[256];

	sgx_measure_record_eextend(rec, off);
	put(s, rec, sizeof(rec));
	memset(data, (int)(off >> 8) + 1, sizeof(data));
	put(s, data, sizeof(data));
}

static void tag(struct stream *s, uint64_t t)
{
	uint8_t rec[64] = {0};

	memcpy(rec, &t, sizeof(t));
	put(s, rec, sizeof(rec));
}

static void measured_page(struct stream *s, uint64_t off, uint64_t flags)
{
	eadd(s, off, flags);
	for (int c = 0; c < 16; c++)
		eextend(s, off + 256 * c);
}

/* ECREATE; a measured RW page at 0; a measured TCS at 0x1000. */
static void valid(struct stream *s)
{
	ecreate(s, 1, 0x4000);
	measured_page(s, 0, REG_RW);
	measured_page(s, 0x1000, TCS);
}

static void b_truncated_record(struct stream *s)
{
	ecreate(s, 1, 0x4000);
	eadd(s, 0, REG_RW);
	s->len -= 32;
}

static void b_truncated_eextend(struct stream *s)
{
	valid(s);
	s->len -= 100;
}

static void b_eadd_out_of_order(struct stream *s)
{
	ecreate(s, 1, 0x4000);
	eadd(s, 0x1000, REG_RW);
	eadd(s, 0, REG_RW);
}

static void b_eadd_same_page_twice(struct stream *s)
{
	ecreate(s, 1, 0x4000);
	eadd(s, 0x1000, REG_RW);
	eadd(s, 0x1000, REG_RW);
}

static void b_eadd_misaligned(struct stream *s)
{
	ecreate(s, 1, 0x4000);
	eadd(s, 0x800, REG_RW);
}

static void b_eadd_beyond_size(struct stream *s)
{
	ecreate(s, 1, 0x4000);
	eadd(s, 0x4000, REG_RW);
}

static void b_eextend_misaligned(struct stream *s)
{
	ecreate(s, 1, 0x4000);
	eadd(s, 0, REG_RW);
	eextend(s, 0x80);
}

static void b_eextend_outside_page(struct stream *s)
{
	ecreate(s, 1, 0x4000);
	eadd(s, 0, REG_RW);
	eextend(s, 0x1000);
}

static void b_eextend_duplicate(struct stream *s)
{
	ecreate(s, 1, 0x4000);
	eadd(s, 0, REG_RW);
	eextend(s, 0);
	eextend(s, 0);
}

static void b_eextend_out_of_order(struct stream *s)
{
	ecreate(s, 1, 0x4000);
	eadd(s, 0, REG_RW);
	eextend(s, 0x100);
	eextend(s, 0);
}

static void b_eextend_before_eadd(struct stream *s)
{
	ecreate(s, 1, 0x4000);
	eextend(s, 0);
}

static void b_unknown_tag(struct stream *s)
{
	ecreate(s, 1, 0x4000);
	tag(s, 0x5355474f42ull); /* "BOGUS" */
}

static void b_missing_ecreate(struct stream *s)
{
	eadd(s, 0, REG_RW);
}

static void b_duplicate_ecreate(struct stream *s)
{
	ecreate(s, 1, 0x4000);
	ecreate(s, 1, 0x4000);
}

static void b_tcs_with_permissions(struct stream *s)
{
	ecreate(s, 1, 0x4000);
	eadd(s, 0, TCS | SGX_SECINFO_R | SGX_SECINFO_W);
}

static void b_pending_page(struct stream *s)
{
	ecreate(s, 1, 0x4000);
	eadd(s, 0, REG_RW | SGX_SECINFO_PENDING);
}

static void b_write_without_read(struct stream *s)
{
	ecreate(s, 1, 0x4000);
	eadd(s, 0, SGX_SECINFO_TYPE(SGX_PT_REG) | SGX_SECINFO_W);
}

static void b_unsized_record(struct stream *s)
{
	ecreate(s, 1, 0x4000);
	tag(s, SGX_MEASURE_TAG_UNSIZED);
}

static void b_unmeasured_record(struct stream *s)
{
	ecreate(s, 1, 0x4000);
	tag(s, SGX_MEASURE_TAG_UNMEASRD);
}

static void b_size_not_power_of_two(struct stream *s)
{
	ecreate(s, 1, 0x3000);
}

static void b_ssa_frame_size_zero(struct stream *s)
{
	ecreate(s, 0, 0x4000);
}

static void b_eadd_reserved_bytes(struct stream *s)
{
	ecreate(s, 1, 0x4000);
	eadd(s, 0, REG_RW);
	s->buf[64 + 40] = 1;
}

static void b_empty(struct stream *s)
{
	(void)s;
}

static const struct bad_stream {
	const char *name;
	void (*build)(struct stream *s);
	const char *where; /* the record offset the message must name */
	const char *why;
} bad_streams[] = {
    {"truncated record", b_truncated_record, "offset 64:", "truncated record: 32 of 64"},
    {"truncated EEXTEND", b_truncated_eextend, "offset 10112:", "truncated EEXTEND record"},
    {"EADD out of order", b_eadd_out_of_order, "offset 128:", "strictly increase"},
    {"EADD of the same page twice", b_eadd_same_page_twice, "offset 128:", "strictly increase"},
    {"EADD misaligned", b_eadd_misaligned, "offset 64:", "not page-aligned"},
    {"EADD beyond SECS.SIZE", b_eadd_beyond_size, "offset 64:", "beyond SECS.SIZE"},
    {"EEXTEND misaligned", b_eextend_misaligned, "offset 128:", "not 256-byte aligned"},
    {"EEXTEND outside its page", b_eextend_outside_page, "offset 128:", "outside the page"},
    {"duplicate EEXTEND", b_eextend_duplicate, "offset 448:", "duplicate EEXTEND of 0x0"},
    {"EEXTEND chunks out of order", b_eextend_out_of_order, "offset 448:", "increasing order"},
    {"EEXTEND before any EADD", b_eextend_before_eadd, "offset 64:", "before any EADD"},
    {"unknown tag", b_unknown_tag, "offset 64:", "unknown record tag 0x00000053554"},
    {"missing ECREATE", b_missing_ecreate, "offset 0:", "must start with an ECREATE"},
    {"duplicate ECREATE", b_duplicate_ecreate, "offset 64:", "second ECREATE"},
    {"TCS with permissions", b_tcs_with_permissions, "offset 64:", "TCS page carries"},
    {"PENDING page", b_pending_page, "offset 64:", "PENDING"},
    {"W without R", b_write_without_read, "offset 64:", "W without R"},
    {"ESGXS UNSIZED", b_unsized_record, "offset 64:", "ESGXS UNSIZED record"},
    {"ESGXS UNMEASRD", b_unmeasured_record, "offset 64:", "ESGXS UNMEASRD record"},
    {"SIZE not a power of two", b_size_not_power_of_two, "offset 0:", "not a power of two"},
    {"SSAFRAMESIZE 0", b_ssa_frame_size_zero, "offset 0:", "SSAFRAMESIZE is 0"},
    {"EADD reserved bytes", b_eadd_reserved_bytes, "offset 64:", "reserved bytes"},
    {"empty stream", b_empty, "empty stream", "no ECREATE"},
};

static void non_canonical_streams_are_refused_naming_the_record_offset(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_streams) / sizeof(bad_streams[0]); i++) {
		const struct bad_stream *b = &bad_streams[i];
		struct softsgx_err err = {0};
		struct sgx_image img;
		struct stream *s = calloc(1, sizeof(*s));
		int rc;

		assert_non_null(s);
		b->build(s);
		rc = sgxs_parse(s->buf, s->len, &img, &err);
		if (rc >= 0 || !strstr(err.msg, b->where) || !strstr(err.msg, b->why))
			fail_msg("%s: rc %d, message \"%s\"; want \"%s\" and \"%s\"", b->name, rc,
				 err.msg, b->where, b->why);
		assert_null(img.pages);
		free(s);
	}
}

static void canonical_stream_parses_into_its_pages(void **state)
{
	struct softsgx_err err = {0};
	struct sgx_image img;
	struct stream *s = calloc(1, sizeof(*s));

	(void)state;
	valid(s);
	assert_int_equal(sgxs_parse(s->buf, s->len, &img, &err), 0);
	assert_int_equal(img.size, 0x4000);
	assert_int_equal(img.ssa_frame_size, 1);
	assert_int_equal(img.nr_pages, 2);
	assert_int_equal(img.pages[0].offset, 0);
	assert_int_equal(img.pages[0].secinfo_flags, REG_RW);
	assert_int_equal(img.pages[0].measured, 0xFFFF);
	assert_int_equal(img.pages[0].data[0], 1);
	assert_int_equal(img.pages[0].data[4095], 16);
	assert_int_equal(img.pages[1].offset, 0x1000);
	assert_int_equal(img.pages[1].secinfo_flags, TCS);
	assert_false(img.has_meta);
	sgx_image_free(&img);
	free(s);
}

/* Parse, measure, write back: the measurement is SHA-256 of the bytes and the bytes survive. */
static void check_round_trip(const uint8_t *buf, size_t len, const char *what)
{
	struct softsgx_err err = {0};
	struct sgx_image img;
	uint8_t mr[32], *out;
	char hex[65], want[65], path[64];
	size_t out_len;

	if (sgxs_parse(buf, len, &img, &err))
		fail_msg("%s: %s", what, err.msg);
	assert_int_equal(sgx_image_measure(&img, mr, &err), 0);
	softsgx_hex(hex, mr, sizeof(mr));
	snprintf(path, sizeof(path), "%s", ft_write_temp(buf, len));
	ft_python_sha256_hex(path, want);
	unlink(path);
	if (strcmp(hex, want))
		fail_msg("%s: measured %s, hashlib says %s", what, hex, want);
	assert_int_equal(sgxs_write(&img, &out, &out_len, &err), 0);
	assert_int_equal(out_len, len);
	if (memcmp(out, buf, len))
		fail_msg("%s: sgxs_write(sgxs_parse(x)) differs from x", what);
	free(out);
	sgx_image_free(&img);
}

static void vector_measures_to_sha256_of_the_file_and_round_trips(void **state)
{
	size_t len;
	uint8_t *buf = ft_read(ft_path("SOFTSGX_VECTORS", "test_enclave.sgxs"), &len);

	(void)state;
	check_round_trip(buf, len, "test_enclave.sgxs");
	free(buf);
}

static void example_enclave_sgxs_round_trips(void **state)
{
	size_t len;
	uint8_t *buf =
	    ft_read(ft_path("SOFTSGX_BUILD_ROOT", "examples/enclave/enclave.sgxs"), &len);

	(void)state;
	check_round_trip(buf, len, "enclave.sgxs");
	free(buf);
}

static void partly_measured_pages_round_trip(void **state)
{
	struct stream *s = calloc(1, sizeof(*s));

	(void)state;
	ecreate(s, 2, 0x10000);
	eadd(s, 0, TCS);
	eadd(s, 0x3000, REG_RW); /* not measured at all */
	eadd(s, 0x5000, REG_RW | SGX_SECINFO_X);
	eextend(s, 0x5000);
	eextend(s, 0x5500);
	eextend(s, 0x5F00);
	check_round_trip(s->buf, s->len, "partly measured stream");
	free(s);
}

static void writer_refuses_unsorted_pages(void **state)
{
	struct sgx_image_page pages[2] = {
	    {.offset = 0x1000, .secinfo_flags = REG_RW},
	    {.offset = 0, .secinfo_flags = REG_RW},
	};
	struct sgx_image img = {.size = 0x4000, .ssa_frame_size = 1, .nr_pages = 2, .pages = pages};
	struct softsgx_err err = {0};
	uint8_t *out;
	size_t len;

	(void)state;
	assert_int_equal(sgxs_write(&img, &out, &len, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "sorted"));
	assert_null(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(canonical_stream_parses_into_its_pages),
	    cmocka_unit_test(non_canonical_streams_are_refused_naming_the_record_offset),
	    cmocka_unit_test(vector_measures_to_sha256_of_the_file_and_round_trips),
	    cmocka_unit_test(example_enclave_sgxs_round_trips),
	    cmocka_unit_test(partly_measured_pages_round_trip),
	    cmocka_unit_test(writer_refuses_unsorted_pages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
