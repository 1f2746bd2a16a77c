/* SPDX-License-Identifier: MIT */
/*
 * Enclave images: memory, measurement and loading from a file.  The parsers (sgxs.c, elf.c)
 * produce the image; everything that measures or writes it goes through here.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "softsgx/measure.h"

#include "image_internal.h"

/* An .sgxs of the largest image is 1.25 times its pages; allow the headers on top. */
#define SGX_IMAGE_MAX_FILE (SGX_IMAGE_MAX_PAGES * SGX_PAGE_SIZE * 2)

void sgx_image_free(struct sgx_image *img)
{
	if (!img)
		return;
	if (!img->storage && img->pages)
		for (size_t i = 0; i < img->nr_pages; i++)
			free(img->pages[i].data);
	free(img->storage);
	free(img->pages);
	memset(img, 0, sizeof(*img));
}

int sgx_image_alloc(struct sgx_image *img, size_t nr, struct softsgx_err *err)
{
	if (nr > SGX_IMAGE_MAX_PAGES)
		return softsgx_fail(err, -EFBIG,
				    "%zu pages: more than the %llu pages (%llu MiB) "
				    "an image may hold",
				    nr, SGX_IMAGE_MAX_PAGES,
				    SGX_IMAGE_MAX_PAGES * SGX_PAGE_SIZE >> 20);
	img->pages = calloc(nr ? nr : 1, sizeof(*img->pages));
	/* calloc: large blocks come zeroed from mmap, untouched until written or hashed. */
	img->storage = calloc(nr ? nr : 1, SGX_PAGE_SIZE);
	if (!img->pages || !img->storage) {
		free(img->pages);
		free(img->storage);
		img->pages = NULL;
		img->storage = NULL;
		return softsgx_fail(err, -ENOMEM, "out of memory for %zu enclave pages", nr);
	}
	img->nr_pages = nr;
	for (size_t i = 0; i < nr; i++)
		img->pages[i].data = (uint8_t *)img->storage + i * SGX_PAGE_SIZE;
	return 0;
}

const char *sgx_image_flags_problem(uint64_t flags)
{
	uint64_t type = (flags & SGX_SECINFO_PAGE_TYPE_MASK) >> SGX_SECINFO_PAGE_TYPE_SHIFT;
	uint64_t perm = flags & SGX_SECINFO_PERMISSION_MASK;

	if (flags & ~SGX_SECINFO_ADD_MASK)
		return "bits other than R/W/X and the page type are set (PENDING, MODIFIED, PR or "
		       "reserved)";
	if (type != SGX_PT_REG && type != SGX_PT_TCS)
		return "the page type is neither REG (2) nor TCS (1)";
	if (type == SGX_PT_TCS && perm)
		return "a TCS page carries permission bits (TCS pages are added with R/W/X clear)";
	if ((perm & SGX_SECINFO_W) && !(perm & SGX_SECINFO_R))
		return "writable but not readable (the driver refuses W without R)";
	return NULL;
}

const char *sgx_image_size_problem(uint64_t size)
{
	if (!is_pow2(size))
		return "not a power of two";
	if (size < SGX_IMAGE_MIN_SIZE)
		return "smaller than 8192";
	if (size > SGX_IMAGE_MAX_SIZE)
		return "larger than 2^36 (64 GiB), the largest enclave supported";
	return NULL;
}

const struct sgx_image_page *sgx_image_find_page(const struct sgx_image *img, uint64_t offset)
{
	size_t lo = 0, hi = img->nr_pages;

	offset &= ~(uint64_t)(SGX_PAGE_SIZE - 1);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (img->pages[mid].offset == offset)
			return &img->pages[mid];
		if (img->pages[mid].offset < offset)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const char *sgx_image_flags_str(uint64_t flags, char buf[32])
{
	uint64_t type = (flags & SGX_SECINFO_PAGE_TYPE_MASK) >> SGX_SECINFO_PAGE_TYPE_SHIFT;
	static const char *const names[] = {"SECS", "TCS", "REG", "VA", "TRIM"};

	snprintf(buf, 32, "%c%c%c %s", flags & SGX_SECINFO_R ? 'R' : '-',
		 flags & SGX_SECINFO_W ? 'W' : '-', flags & SGX_SECINFO_X ? 'X' : '-',
		 type < 5 ? names[type] : "type?");
	return buf;
}

static int measure_page(struct sgx_measure *m, const struct sgx_image_page *p)
{
	int rc = sgx_measure_eadd(m, p->offset, p->secinfo_flags);

	if (rc || !p->measured)
		return rc;
	if (p->measured == SGX_ALL_CHUNKS)
		return sgx_measure_eextend_page(m, p->offset, p->data);
	for (unsigned int i = 0; i < SGX_CHUNKS_PER_PAGE && !rc; i++)
		if (p->measured & (1u << i))
			rc = sgx_measure_eextend(m, p->offset + i * SGX_EEXTEND_CHUNK,
						 p->data + i * SGX_EEXTEND_CHUNK);
	return rc;
}

int sgx_image_measure(const struct sgx_image *img, uint8_t mrenclave[32], struct softsgx_err *err)
{
	struct sgx_measure m;
	int rc;

	rc = sgx_measure_init(&m, err);
	if (rc)
		return rc;
	rc = sgx_measure_ecreate(&m, img->ssa_frame_size, img->size);
	if (rc) {
		softsgx_fail(err, rc, "measuring the ECREATE record failed");
		goto out;
	}
	for (size_t i = 0; i < img->nr_pages; i++) {
		rc = measure_page(&m, &img->pages[i]);
		if (rc) {
			softsgx_fail(err, rc, "measuring the page at offset 0x%llx failed",
				     (unsigned long long)img->pages[i].offset);
			goto out;
		}
	}
	rc = sgx_measure_final(&m, mrenclave);
	if (rc)
		softsgx_fail(err, rc, "finishing the measurement failed");
out:
	sgx_measure_free(&m);
	return rc;
}

static int read_file(const char *path, uint8_t **buf, size_t *len, struct softsgx_err *err)
{
	struct stat st;
	size_t done = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return softsgx_fail(err, -errno, "cannot open: %s", strerror(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > SGX_IMAGE_MAX_FILE) {
		int rc = softsgx_fail(err, -EINVAL, "not a regular file of at most %llu bytes",
				      SGX_IMAGE_MAX_FILE);
		close(fd);
		return rc;
	}
	*buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!*buf) {
		close(fd);
		return softsgx_fail(err, -ENOMEM, "out of memory for %lld bytes",
				    (long long)st.st_size);
	}
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, *buf + done, (size_t)st.st_size - done);

		if (n <= 0) {
			int rc =
			    softsgx_fail(err, n ? -errno : -EIO, "read failed after %zu bytes: %s",
					 done, n ? strerror(errno) : "file shrank");
			free(*buf);
			close(fd);
			return rc;
		}
		done += (size_t)n;
	}
	close(fd);
	*len = done;
	return 0;
}

int sgx_image_load_file(const char *path, struct sgx_image *img, struct softsgx_err *err)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	memset(img, 0, sizeof(*img));
	rc = read_file(path, &buf, &len, err);
	if (rc) {
		softsgx_err_prefix(err, "%s: ", path);
		return rc;
	}
	if (len >= 4 && !memcmp(buf, "\177ELF", 4))
		rc = elf_enclave_parse(buf, len, img, err);
	else
		rc = sgxs_parse(buf, len, img, err);
	free(buf);
	if (rc)
		softsgx_err_prefix(err, "%s: ", path);
	return rc;
}
