/* SPDX-License-Identifier: MIT */
/*
 * Enclave build throughput through the ioctl path (src/driver/): CREATE, ADD_PAGES of every
 * page with SGX_PAGE_MEASURE (EADD + sixteen EEXTENDs each, the source read from process
 * memory as copy_from_user would), then INIT with a SIGSTRUCT for the result; against raw
 * SHA-256 (OpenSSL) of the same page bytes, measured in the same run.  Goal: >= 0.7.
 *
 * Times are the thread's CPU time (the machine is shared; wall time is printed too), best of
 * ROUNDS interleaved rounds.  Two baselines, both printed with the build's ratio to them:
 *  - SHA-256 of the page bytes (4096 a page): the goal's baseline as the issue states it;
 *  - SHA-256 of the measurement stream itself (5184 bytes a page: the EADD record and sixteen
 *    EEXTEND records, 64-byte header + 256 bytes each), which any build must hash, so that
 *    against the page bytes a build can never exceed 4096 / 5184 = 0.79.
 * The goal (>= 0.7) is judged against the page bytes; the stream ratio shows how much of the
 * gap is the driver path's and how much the measurement's own size.
 *
 * Where OpenSSL hashes with the CPU's SHA extensions (SHA-NI), the hashing is fast enough for
 * the copy of each page to weigh: the run is then repeated by a child process with them masked
 * (OPENSSL_ia32cap), hashing in software as on a CPU without them, all else the same.
 *
 * Usage: bench_build [MiB] [pages-per-ioctl]   (defaults: 64 MiB, 256 pages per ioctl)
 */
#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "softsgx/kernel.h"
#include "softsgx/measure.h"
#include "softsgx/sgx_uapi.h"
#include "softsgx/sigstruct.h"

#define GOAL		0.7
#define ROUNDS		5
#define STREAM_PER_PAGE (64 + 16 * 320)

struct stamp {
	double cpu, wall;
};

static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct stamp now(void)
{
	struct stamp s = {clock_s(CLOCK_THREAD_CPUTIME_ID), clock_s(CLOCK_MONOTONIC)};

	return s;
}

static struct stamp since(struct stamp t0)
{
	struct stamp t = now();

	t.cpu -= t0.cpu;
	t.wall -= t0.wall;
	return t;
}

static void keep_best(struct stamp *best, struct stamp t)
{
	if (t.cpu < best->cpu)
		best->cpu = t.cpu;
	if (t.wall < best->wall)
		best->wall = t.wall;
}

static struct stamp sha256_time(const uint8_t *buf, size_t len, uint8_t out[32])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	struct stamp t0 = now();

	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	EVP_DigestUpdate(ctx, buf, len);
	EVP_DigestFinal_ex(ctx, out, NULL);
	EVP_MD_CTX_free(ctx);
	return since(t0);
}

static uint64_t enclave_size(uint64_t bytes)
{
	uint64_t size = 0x2000;

	while (size < bytes + 4096)
		size <<= 1;
	return size;
}

#define MASK_SHA_NI "OPENSSL_ia32cap=:~0x20000000" /* CPUID.(7,0):EBX bit 29, SHA */

static bool cpu_has_sha_ni(void)
{
	unsigned int a, b, c, d;

	return __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & (1u << 29));
}

/* The same measurement in a child with OpenSSL's SHA-NI code masked; its output follows. */
static void run_without_sha_ni(char **argv, size_t mib, size_t per_ioctl)
{
	char a1[32], a2[32];
	int st;
	pid_t pid;

	snprintf(a1, sizeof(a1), "%zu", mib);
	snprintf(a2, sizeof(a2), "%zu", per_ioctl);
	printf("\nthe same with OpenSSL's SHA-NI code masked (software SHA-256, as on a CPU without "
	       "the SHA extensions):\n");
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		putenv(MASK_SHA_NI);
		execl("/proc/self/exe", argv[0], a1, a2, (char *)NULL);
		perror("bench_build: exec");
		_exit(1);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
		printf("  (the masked run failed)\n");
}

/* One build: returns the time CREATE + ADD_PAGES took, and checks INIT accepts it. */
static struct stamp build_time(struct sgxk *k, const uint8_t *src, size_t len, size_t per_ioctl,
			       const struct sgx_signing_key *key, const char **failed)
{
	uint64_t size = enclave_size(len);
	struct sgx_secinfo secinfo = {.flags = SGX_SECINFO_TYPE(SGX_PT_REG) | SGX_SECINFO_R |
					       SGX_SECINFO_W};
	struct sgx_secs *secs = aligned_alloc(4096, sizeof(*secs));
	struct sgx_sigstruct *sig = aligned_alloc(4096, 4096);
	struct sgx_enclave_create c = {.src = (uint64_t)(uintptr_t)secs};
	struct sgx_enclave_init init = {.sigstruct = (uint64_t)(uintptr_t)sig};
	struct sgxk_file *f = NULL;
	struct sgx_measure m;
	void *reservation;
	uint64_t base;
	struct stamp t0, t;

	*failed = NULL;
	reservation =
	    mmap(NULL, 2 * size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	base = ((uint64_t)(uintptr_t)reservation + size - 1) & ~(size - 1);
	memset(secs, 0, sizeof(*secs));
	secs->base = base;
	secs->size = size;
	secs->ssa_frame_size = 1;
	secs->attributes.flags = SGX_ATTR_MODE64BIT;
	secs->attributes.xfrm = SGX_XFRM_LEGACY;
	if (sgxk_open(k, SGXK_DEV_ENCLAVE, O_RDWR, &f))
		*failed = "open";

	t0 = now();
	if (!*failed && sgxk_ioctl(k, f, SGX_IOC_ENCLAVE_CREATE, (unsigned long)&c))
		*failed = "CREATE";
	for (size_t off = 0; !*failed && off < len; off += per_ioctl * 4096) {
		struct sgx_enclave_add_pages a = {
		    .src = (uint64_t)(uintptr_t)(src + off),
		    .offset = off,
		    .length = len - off < per_ioctl * 4096 ? len - off : per_ioctl * 4096,
		    .secinfo = (uint64_t)(uintptr_t)&secinfo,
		    .flags = SGX_PAGE_MEASURE,
		};

		if (sgxk_ioctl(k, f, SGX_IOC_ENCLAVE_ADD_PAGES, (unsigned long)&a) ||
		    a.count != a.length)
			*failed = "ADD_PAGES";
	}
	t = since(t0);

	/* The build must be a real one: INIT accepts the MRENCLAVE computed offline. */
	if (!*failed) {
		sgx_measure_init(&m, NULL);
		sgx_measure_ecreate(&m, 1, size);
		for (size_t off = 0; off < len; off += 4096) {
			sgx_measure_eadd(&m, off, secinfo.flags);
			sgx_measure_eextend_page(&m, off, src + off);
		}
		sgx_sigstruct_init(sig);
		sgx_measure_final(&m, sig->body.mrenclave);
		sgx_measure_free(&m);
		sig->body.attributes = secs->attributes;
		sig->body.attributes_mask.flags = ~0ull;
		sig->body.attributes_mask.xfrm = ~0ull;
		if (sgx_sigstruct_sign(sig, key, NULL) ||
		    sgxk_ioctl(k, f, SGX_IOC_ENCLAVE_INIT, (unsigned long)&init))
			*failed = "INIT";
	}
	if (f)
		sgxk_file_put(k, f);
	munmap(reservation, 2 * size);
	free(secs);
	free(sig);
	return t;
}

int main(int argc, char **argv)
{
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 0) : 64;
	size_t per_ioctl = argc > 2 ? strtoul(argv[2], NULL, 0) : 256;
	size_t len = mib << 20;
	struct sgxk_options opts = {0};
	struct softsgx_err err = {0};
	struct sgx_signing_key *key = NULL;
	struct stamp best_build = {1e9, 1e9}, best_sha = {1e9, 1e9}, best_stream = {1e9, 1e9};
	double build_mibs, sha_mibs, stream_mibs, ratio;
	const char *failed = NULL;
	uint8_t digest[32], *src, *stream;
	struct sgxk *k;

	if (!mib || !per_ioctl) {
		fprintf(stderr, "usage: %s [MiB] [pages-per-ioctl]\n", argv[0]);
		return 2;
	}
	softsgx_config_defaults(&opts.config);
	opts.config.epc_size = enclave_size(len) + (1 << 20);
	if (sgxk_create(&k, &opts, &err) || sgx_signing_key_generate(&key, &err)) {
		fprintf(stderr, "bench_build: %s\n", err.msg);
		return 1;
	}
	src = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (src == MAP_FAILED)
		return 1;
	for (size_t i = 0; i < len; i += 8) {
		uint64_t x = i * 0x9E3779B97F4A7C15ull;

		memcpy(src + i, &x, 8);
	}
	/* The measurement stream of the same pages: what EADD/EEXTEND feed to SHA-256. */
	stream = malloc(len / 4096 * STREAM_PER_PAGE);
	if (!stream)
		return 1;
	for (size_t off = 0, o = 0; off < len; off += 4096) {
		sgx_measure_record_eadd(stream + o, off, 0x203);
		o += 64;
		for (size_t c = 0; c < 4096; c += 256, o += 320) {
			sgx_measure_record_eextend(stream + o, off + c);
			memcpy(stream + o + 64, src + off + c, 256);
		}
	}
	for (int r = 0; r < ROUNDS; r++) {
		keep_best(&best_build, build_time(k, src, len, per_ioctl, key, &failed));
		if (failed) {
			fprintf(stderr, "bench_build: %s failed\n", failed);
			return 1;
		}
		keep_best(&best_sha, sha256_time(src, len, digest));
		keep_best(&best_stream, sha256_time(stream, len / 4096 * STREAM_PER_PAGE, digest));
	}
	build_mibs = (double)mib / best_build.cpu;
	sha_mibs = (double)mib / best_sha.cpu;
	stream_mibs = (double)mib / best_stream.cpu; /* MiB of pages per second */
	ratio = build_mibs / sha_mibs;
	printf("enclave build through the ioctls (%zu MiB of measured pages, %zu pages per "
	       "ADD_PAGES; CREATE + ADD_PAGES timed, INIT then accepts the build):\n  %8.1f MiB/s "
	       "(wall: %.1f MiB/s)\n",
	       mib, per_ioctl, build_mibs, (double)mib / best_build.wall);
	printf("baseline 1: raw SHA-256 (OpenSSL) of the same page bytes, same run:\n  %8.1f MiB/s "
	       "(wall: %.1f MiB/s)\n",
	       sha_mibs, (double)mib / best_sha.wall);
	printf("baseline 2: raw SHA-256 of the measurement stream of those pages (5184 bytes a "
	       "page), same run:\n  %8.1f MiB of pages/s (wall: %.1f MiB/s)\n",
	       stream_mibs, (double)mib / best_stream.wall);
	printf("ratio build / baseline 1 (page bytes) = %.2f (goal >= %.1f, measured against this "
	       "baseline; at most %.2f, the page's share of the stream): %s\n",
	       ratio, GOAL, 4096.0 / STREAM_PER_PAGE, ratio >= GOAL ? "met" : "NOT met");
	printf("ratio build / baseline 2 (measurement stream) = %.2f (at most 1: the driver "
	       "path's own cost)\n",
	       build_mibs / stream_mibs);
	printf("command: %s%s %zu %zu   (thread CPU time, best of %d interleaved rounds)\n",
	       getenv("OPENSSL_ia32cap") ? MASK_SHA_NI " " : "", argv[0], mib, per_ioctl, ROUNDS);
	free(stream);
	munmap(src, len);
	sgx_signing_key_free(key);
	sgxk_destroy(k);
	if (cpu_has_sha_ni() && !getenv("OPENSSL_ia32cap"))
		run_without_sha_ni(argv, mib, per_ioctl);
	return 0;
}
