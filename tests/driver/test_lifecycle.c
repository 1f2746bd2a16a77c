/* SPDX-License-Identifier: MIT */
/*
 * Full lifecycle through the ioctls: an enclave image (.sgxs from the rust-sgx vectors, and
 * the example ELF enclave with its .sig when built) is added page by page, INIT succeeds, and
 * the SECS holds the MRENCLAVE/MRSIGNER that independent sources give: python3 hashlib over
 * the .sgxs file and the SIGSTRUCT modulus, the vector README values, and the `softsgx
 * measure` / `softsgx sigstruct` tools.  Closing the enclave returns every EPC page.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "softsgx/image.h"
#include "drvtest.h"

#define README_MRENCLAVE "784acfd7d5096a8f0fbd3265760bff21b120f62407a9a9e5ba31aa3c8ed198fc"
#define README_MRSIGNER	 "fb4bab3d6036ac1d730fa83d7366df1dd2dfeac194ef335d6854d8a6c6475542"

struct loaded {
	char mrenclave[65], mrsigner[65];
};

static void add_image_pages(struct dt *d, struct sgxk_file *f, const struct sgx_image *img)
{
	uint8_t *src = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	assert_true(src != MAP_FAILED);
	for (size_t i = 0; i < img->nr_pages; i++) {
		const struct sgx_image_page *p = &img->pages[i];
		uint64_t count = 0;

		if (p->measured != 0 && p->measured != 0xFFFF)
			fail_msg(
			    "page 0x%llx measures chunks 0x%04x: the ioctl measures whole pages",
			    (unsigned long long)p->offset, p->measured);
		memcpy(src, p->data, 4096);
		assert_int_equal(dt_add(d, f, src, p->offset, 4096, p->secinfo_flags,
					p->measured ? SGX_PAGE_MEASURE : 0, &count),
				 0);
		assert_int_equal(count, 4096);
	}
	munmap(src, 4096);
}

/* Load @img through the ioctls, INIT with @sig, and read the identity back from the SECS. */
static void load(const struct sgx_image *img, const struct sgx_sigstruct *sig, struct loaded *out)
{
	struct dt *d = calloc(1, sizeof(*d));
	struct sgx_secs *secs = aligned_alloc(4096, sizeof(*secs));
	const struct sgx_secs *epc_secs;
	struct sgxk_enclave_info info;
	struct sgxk_file *f;
	size_t free_start;
	uint64_t base;

	dt_init(d, 0, true);
	free_start = sgxk_epc_free_pages(d->k);
	f = dt_open(d);
	base = dt_reserve(img->size);
	dt_secs(secs, base, img->size);
	secs->ssa_frame_size = img->ssa_frame_size;
	secs->attributes.flags = img->has_meta ? img->attributes.flags : sig->body.attributes.flags;
	secs->attributes.xfrm = img->has_meta ? img->attributes.xfrm : sig->body.attributes.xfrm;
	secs->attributes.flags &= ~SGX_ATTR_INIT;
	secs->miscselect = img->has_meta ? img->miscselect : sig->body.miscselect;
	assert_int_equal(dt_create(d, f, secs), 0);
	add_image_pages(d, f, img);
	if (dt_init_encl(d, f, sig))
		fail_msg("INIT failed: %s", d->nr_log ? d->log[0] : "(no log)");
	assert_int_equal(sgxk_enclave_info(f, &info), 0);
	assert_true(info.initialized);
	assert_int_equal(info.nr_pages, img->nr_pages);
	epc_secs = sgx_epc_page(sgxk_cpu(d->k), info.secs_index);
	softsgx_hex(out->mrenclave, epc_secs->mrenclave, 32);
	softsgx_hex(out->mrsigner, epc_secs->mrsigner, 32);
	sgxk_file_put(d->k, f);
	assert_int_equal(sgxk_epc_free_pages(d->k), free_start);
	dt_unreserve(base, img->size);
	dt_fini(d);
	free(secs);
	free(d);
}

static void python_sha256_range(char out[65], const char *path, long from, long to)
{
	char line[256];

	if (dt_run(line, sizeof(line),
		   "python3 -c 'import hashlib,sys; d=open(sys.argv[1],\"rb\").read(); "
		   "print(hashlib.sha256(d[%ld:%ld]).hexdigest())' '%s'",
		   from, to, path) != 0)
		fail_msg("python3 hashlib failed on %s", path);
	snprintf(out, 65, "%.64s", line);
}

/* `softsgx measure` / `softsgx sigstruct`, when the tool is built. */
static bool tool(char out[65], const char *fmt, const char *path)
{
	const char *root = getenv("SOFTSGX_BUILD_ROOT");
	char exe[1024], line[256];

	if (!root)
		return false;
	snprintf(exe, sizeof(exe), "%s/tools/softsgx", root);
	if (access(exe, X_OK))
		return false;
	if (dt_run(line, sizeof(line), fmt, exe, path) != 0)
		fail_msg("%s failed on %s", exe, path);
	snprintf(out, 65, "%.64s", line);
	return true;
}

static struct sgx_sigstruct *read_sig(const char *path)
{
	size_t len = 0;
	uint8_t *buf = dt_read_file(path, &len);
	struct sgx_sigstruct *s = aligned_alloc(4096, 4096);

	if (!buf || len != sizeof(*s))
		fail_msg("%s: not a 1808-byte SIGSTRUCT", path);
	memcpy(s, buf, sizeof(*s));
	free(buf);
	return s;
}

static void test_rust_sgx_test_enclave_loads_page_by_page_and_inits(void **state)
{
	const char *sgxs = dt_vector("test_enclave.sgxs"), *sigp = dt_vector("test_enclave.sig");
	struct softsgx_err err = {0};
	struct sgx_sigstruct *sig = read_sig(sigp);
	char expect[65];
	struct sgx_image img;
	struct loaded got;
	size_t len = 0;
	uint8_t *buf = dt_read_file(sgxs, &len);

	(void)state;
	assert_non_null(buf);
	if (sgxs_parse(buf, len, &img, &err))
		fail_msg("sgxs_parse: %s", err.msg);
	load(&img, sig, &got);
	/* MRENCLAVE = SHA-256 of a canonical .sgxs file; MRSIGNER = SHA-256 of the modulus. */
	python_sha256_range(expect, sgxs, 0, (long)len);
	assert_string_equal(got.mrenclave, expect);
	assert_string_equal(got.mrenclave, README_MRENCLAVE);
	python_sha256_range(expect, sigp, 128, 512);
	assert_string_equal(got.mrsigner, expect);
	assert_string_equal(got.mrsigner, README_MRSIGNER);
	if (tool(expect, "'%s' measure '%s'", sgxs))
		assert_string_equal(got.mrenclave, expect);
	else
		print_message("note: tools/softsgx not built, `softsgx measure` not compared\n");
	if (tool(expect, "'%s' sigstruct '%s' | awk '$1 == \"mrsigner\" {print $2}'", sigp))
		assert_string_equal(got.mrsigner, expect);
	sgx_image_free(&img);
	free(buf);
	free(sig);
}

static void test_example_elf_enclave_loads_and_inits(void **state)
{
	const char *root = getenv("SOFTSGX_BUILD_ROOT");
	char elf[1024], sigp[1024], expect[65];
	struct softsgx_err err = {0};
	struct sgx_sigstruct *sig;
	struct sgx_image img;
	struct loaded got;

	(void)state;
	snprintf(elf, sizeof(elf), "%s/examples/enclave/enclave.elf", root ? root : ".");
	snprintf(sigp, sizeof(sigp), "%s/examples/enclave/enclave.sig", root ? root : ".");
	if (access(elf, R_OK) || access(sigp, R_OK)) {
		print_message("SKIP: %s or its .sig is not built\n", elf);
		skip();
	}
	if (sgx_image_load_file(elf, &img, &err))
		fail_msg("%s: %s", elf, err.msg);
	sig = read_sig(sigp);
	load(&img, sig, &got);
	assert_true(tool(expect, "'%s' measure '%s'", elf));
	assert_string_equal(got.mrenclave, expect);
	assert_true(
	    tool(expect, "'%s' sigstruct '%s' | awk '$1 == \"mrsigner\" {print $2}'", sigp));
	assert_string_equal(got.mrsigner, expect);
	python_sha256_range(expect, sigp, 128, 512);
	assert_string_equal(got.mrsigner, expect);
	sgx_image_free(&img);
	free(sig);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rust_sgx_test_enclave_loads_page_by_page_and_inits),
	    cmocka_unit_test(test_example_elf_enclave_loads_and_inits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
