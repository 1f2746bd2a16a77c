/* SPDX-License-Identifier: MIT */
/*
 * The SELinux module's cost, measured two ways in one run:
 *
 * 1. A cached decision, hook to verdict: security_file_open (chr_file { open read } on the
 *    enclave device) and security_enclave_map (process2 on self) through the LSM stack with
 *    the shipped policy, after a first call filled the AVC.  Median over batches.  Goal: <= 100 ns.
 *    The uncached decision (libsepol's sepol_compute_av under its lock) is printed beside it.
 * 2. Enclave build throughput through the driver model (open, ECREATE, ADD_PAGES of code from
 *    a file mapping and data from anonymous memory, INIT) with the SELinux module enforcing,
 *    beside the same builds with no module, interleaved.  Goal: ratio <= 1.05.
 *
 *   usage: bench_avc [POLICY_DIR]   (default: the build's policy/, compiled in)
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include <openssl/sha.h>

#include "softsgx/kernel.h"
#include "softsgx/lsm.h"
#include "softsgx/measure.h"
#include "softsgx/sgx_uapi.h"
#include "softsgx/sigstruct.h"

#define BATCHES	   2001
#define PER_BATCH  1000
#define BUILDS	   41
#define CODE_PAGES 64
#define DATA_PAGES 192
#define ENCL_SIZE  (1ull << 21)
#define PAGE	   4096

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[n / 2];
}

static void die(const char *what, const char *msg)
{
	fprintf(stderr, "bench_avc: %s: %s\n", what, msg);
	exit(1);
}

struct bench {
	char dir[64];
	char code[128];
	struct softsgx_config cfg; /* SELinux enforcing with the shipped policy */
	struct lsm_cred cred;
	struct sgx_signing_key *key;
	struct sgx_sigstruct sig;
	uint8_t *data, *code_map;
};

static void write_file(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "w");

	if (!f || fwrite(buf, 1, len, f) != len)
		die(path, strerror(errno));
	fclose(f);
}

/* file_contexts: the shipped one plus our temporary code directory. */
static void setup_contexts(struct bench *b, const char *policy_dir, const char *src_root)
{
	char path[PATH_MAX], text[8192];
	size_t len = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/policy/file_contexts", src_root);
	f = fopen(path, "r");
	if (!f)
		die(path, strerror(errno));
	len = fread(text, 1, sizeof(text) - 256, f);
	fclose(f);
	len += (size_t)snprintf(text + len, sizeof(text) - len,
				"%s(/.*)?\tu:object_r:enclave_exec_t\n", b->dir);
	snprintf(b->cfg.file_contexts, sizeof(b->cfg.file_contexts), "%s/file_contexts", b->dir);
	write_file(b->cfg.file_contexts, text, len);
	snprintf(b->cfg.policy, sizeof(b->cfg.policy), "%s/policy.bin", policy_dir);
}

/* A signing key whose MRSIGNER enclave_contexts maps to acme_enclave_t. */
static void setup_identity(struct bench *b)
{
	struct softsgx_err err = {0};
	char hex[65], line[256];
	uint8_t h[32];

	if (sgx_signing_key_generate(&b->key, &err))
		die("key", err.msg);
	sgx_sigstruct_init(&b->sig);
	if (sgx_sigstruct_sign(&b->sig, b->key, &err))
		die("sign", err.msg);
	SHA256(b->sig.modulus, sizeof(b->sig.modulus), h);
	softsgx_hex(hex, h, 32);
	snprintf(line, sizeof(line), "mrsigner %s u:object_r:acme_enclave_t\n", hex);
	snprintf(b->cfg.enclave_contexts, sizeof(b->cfg.enclave_contexts), "%s/enclave_contexts",
		 b->dir);
	write_file(b->cfg.enclave_contexts, line, strlen(line));
}

static void setup_sources(struct bench *b)
{
	uint8_t *page = malloc(CODE_PAGES * PAGE);
	int fd;

	for (size_t i = 0; i < CODE_PAGES * PAGE; i++)
		page[i] = (uint8_t)(i * 31 + 7);
	snprintf(b->code, sizeof(b->code), "%s/enclave.code", b->dir);
	write_file(b->code, page, CODE_PAGES * PAGE);
	free(page);
	fd = open(b->code, O_RDONLY);
	b->code_map = mmap(NULL, CODE_PAGES * PAGE, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
	close(fd);
	b->data = mmap(NULL, DATA_PAGES * PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (b->code_map == MAP_FAILED || b->data == MAP_FAILED)
		die("mmap", strerror(errno));
	memset(b->data, 0x5a, DATA_PAGES * PAGE);
}

static void secs_of(struct sgx_secs *secs, uint64_t base)
{
	memset(secs, 0, sizeof(*secs));
	secs->base = base;
	secs->size = ENCL_SIZE;
	secs->ssa_frame_size = 1;
	secs->attributes.flags = SGX_ATTR_MODE64BIT;
	secs->attributes.xfrm = SGX_XFRM_LEGACY;
}

/* MRENCLAVE of the enclave every build makes, and its SIGSTRUCT. */
static void sign_enclave(struct bench *b)
{
	struct softsgx_err err = {0};
	struct sgx_measure m;
	uint8_t mr[32];

	if (sgx_measure_init(&m, &err))
		die("measure", err.msg);
	sgx_measure_ecreate(&m, 1, ENCL_SIZE);
	for (uint64_t i = 0; i < CODE_PAGES; i++) {
		sgx_measure_eadd(&m, i * PAGE,
				 SGX_SECINFO_TYPE(SGX_PT_REG) | SGX_SECINFO_R | SGX_SECINFO_X);
		sgx_measure_eextend_page(&m, i * PAGE, b->code_map + i * PAGE);
	}
	for (uint64_t i = 0; i < DATA_PAGES; i++) {
		uint64_t off = (CODE_PAGES + i) * PAGE;

		sgx_measure_eadd(&m, off,
				 SGX_SECINFO_TYPE(SGX_PT_REG) | SGX_SECINFO_R | SGX_SECINFO_W);
		sgx_measure_eextend_page(&m, off, b->data + i * PAGE);
	}
	sgx_measure_final(&m, mr);
	sgx_measure_free(&m);
	sgx_sigstruct_init(&b->sig);
	b->sig.body.attributes.flags = SGX_ATTR_MODE64BIT;
	b->sig.body.attributes.xfrm = SGX_XFRM_LEGACY;
	b->sig.body.attributes_mask.flags = ~0ull;
	b->sig.body.attributes_mask.xfrm = ~0ull;
	memcpy(b->sig.body.mrenclave, mr, 32);
	if (sgx_sigstruct_sign(&b->sig, b->key, &err))
		die("sign", err.msg);
}

static uint64_t reserve(void)
{
	uint8_t *p = mmap(NULL, 2 * ENCL_SIZE, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	uint64_t a = (uint64_t)(uintptr_t)p, base = (a + ENCL_SIZE - 1) & ~(ENCL_SIZE - 1);

	if (p == MAP_FAILED)
		die("mmap", strerror(errno));
	munmap(p, base - a);
	munmap((void *)(uintptr_t)(base + ENCL_SIZE), a + 2 * ENCL_SIZE - base - ENCL_SIZE);
	return base;
}

static long add(struct sgxk *k, struct sgxk_file *f, const void *src, uint64_t off, size_t nr,
		uint64_t perms)
{
	struct sgx_secinfo secinfo = {.flags = SGX_SECINFO_TYPE(SGX_PT_REG) | perms};
	struct sgx_enclave_add_pages a = {
	    .src = (uint64_t)(uintptr_t)src,
	    .offset = off,
	    .length = nr * PAGE,
	    .secinfo = (uint64_t)(uintptr_t)&secinfo,
	    .flags = SGX_PAGE_MEASURE,
	};

	return sgxk_ioctl(k, f, SGX_IOC_ENCLAVE_ADD_PAGES, (unsigned long)&a);
}

/* One enclave: open, ECREATE, ADD_PAGES (code, then data), INIT, close.  Returns ns. */
static double build_one(struct bench *b, struct sgxk *k)
{
	struct sgx_secs secs;
	struct sgx_enclave_create c = {.src = (uint64_t)(uintptr_t)&secs};
	struct sgx_enclave_init in = {.sigstruct = (uint64_t)(uintptr_t)&b->sig};
	struct sgxk_file *f;
	uint64_t base = reserve();
	double t0 = now_ns(), t;
	long ret;

	secs_of(&secs, base);
	ret = sgxk_open(k, SGXK_DEV_ENCLAVE, O_RDONLY, &f);
	if (!ret)
		ret = sgxk_ioctl(k, f, SGX_IOC_ENCLAVE_CREATE, (unsigned long)&c);
	if (!ret)
		ret = add(k, f, b->code_map, 0, CODE_PAGES, SGX_SECINFO_R | SGX_SECINFO_X);
	if (!ret)
		ret = add(k, f, b->data, CODE_PAGES * PAGE, DATA_PAGES,
			  SGX_SECINFO_R | SGX_SECINFO_W);
	if (!ret)
		ret = sgxk_ioctl(k, f, SGX_IOC_ENCLAVE_INIT, (unsigned long)&in);
	if (ret) {
		fprintf(stderr, "bench_avc: enclave build failed: %ld (%s)\n", ret,
			strerror((int)-ret));
		exit(1);
	}
	sgxk_file_put(k, f);
	t = now_ns() - t0;
	munmap((void *)(uintptr_t)base, ENCL_SIZE);
	return t;
}

static struct sgxk *kernel(struct bench *b, struct lsm_stack *lsm)
{
	struct sgxk_options opts;
	struct softsgx_err err = {0};
	struct sgxk *k;

	memset(&opts, 0, sizeof(opts));
	softsgx_config_defaults(&opts.config);
	opts.lsm = lsm;
	opts.cred = b->cred;
	for (int i = 0; i < 32; i++)
		opts.root_secret[i] = (uint8_t)(i + 1);
	if (sgxk_create(&k, &opts, &err))
		die("sgxk_create", err.msg);
	return k;
}

static void bench_decisions(struct bench *b, struct lsm_stack *lsm)
{
	static double batch[BATCHES];
	struct lsm_file dev = {.device = LSM_DEV_ENCLAVE, .path = SGXK_DEV_ENCLAVE};
	struct lsm_enclave encl = {.base = 1ull << 32, .size = ENCL_SIZE, .id = 1};
	struct lsm_cred unconfined = b->cred;
	const int wx = PROT_READ | PROT_WRITE | PROT_EXEC;
	double open_ns, map_ns, t0;

	unconfined.context = "u:r:unconfined_t"; /* may map W+X over EAUG pages */
	if (security_file_open(lsm, &b->cred, &dev, O_RDONLY) ||
	    security_enclave_map(lsm, &unconfined, &encl, wx, true))
		die("decision", "the shipped policy denies app_t what the benchmark asks");
	for (int i = 0; i < BATCHES; i++) {
		t0 = now_ns();
		for (int j = 0; j < PER_BATCH; j++)
			security_file_open(lsm, &b->cred, &dev, O_RDONLY);
		batch[i] = (now_ns() - t0) / PER_BATCH;
	}
	open_ns = median(batch, BATCHES);
	for (int i = 0; i < BATCHES; i++) {
		t0 = now_ns();
		for (int j = 0; j < PER_BATCH; j++)
			security_enclave_map(lsm, &unconfined, &encl, wx, true);
		batch[i] = (now_ns() - t0) / PER_BATCH;
	}
	map_ns = median(batch, BATCHES);
	printf("cached decision, hook to verdict (median of %d batches of %d):\n", BATCHES,
	       PER_BATCH);
	printf("  security_file_open   chr_file { open read } on the device: %6.1f ns\n", open_ns);
	printf("  security_enclave_map process2 { sgx_execdirty sgx_mapwx } on self: %6.1f ns\n",
	       map_ns);
	printf("  goal <= 100 ns: %s (ratio %.2f of the goal)\n",
	       open_ns <= 100 && map_ns <= 100 ? "met" : "NOT met",
	       (open_ns > map_ns ? open_ns : map_ns) / 100.0);
}

static void bench_builds(struct bench *b, struct lsm_stack *lsm)
{
	static double with[BUILDS], without[BUILDS];
	struct sgxk *k_sel = kernel(b, lsm), *k_none = kernel(b, NULL);
	double m_with, m_without;

	build_one(b, k_sel); /* warm: AVC, labels, page cache */
	build_one(b, k_none);
	for (int i = 0; i < BUILDS; i++) {
		with[i] = build_one(b, k_sel);
		without[i] = build_one(b, k_none);
	}
	m_with = median(with, BUILDS);
	m_without = median(without, BUILDS);
	printf("enclave build (%d code pages from a file mapping, %d data pages, INIT), median of "
	       "%d, interleaved:\n",
	       CODE_PAGES, DATA_PAGES, BUILDS);
	printf("  no security module:  %8.1f us  (%.1f MiB/s)\n", m_without / 1e3,
	       (CODE_PAGES + DATA_PAGES) * PAGE / (m_without / 1e9) / (1 << 20));
	printf("  SELinux enforcing:   %8.1f us  (%.1f MiB/s)\n", m_with / 1e3,
	       (CODE_PAGES + DATA_PAGES) * PAGE / (m_with / 1e9) / (1 << 20));
	printf("  ratio %.3f, goal <= 1.05: %s\n", m_with / m_without,
	       m_with / m_without <= 1.05 ? "met" : "NOT met");
	sgxk_destroy(k_sel);
	sgxk_destroy(k_none);
}

int main(int argc, char **argv)
{
	const char *src = BENCH_SOURCE_ROOT;
	char policy_dir[2048];
	struct softsgx_err err = {0};
	struct lsm_stack *lsm;
	struct bench b;

	memset(&b, 0, sizeof(b));
	if (argc > 1)
		snprintf(policy_dir, sizeof(policy_dir), "%s", argv[1]);
	else
		snprintf(policy_dir, sizeof(policy_dir), "%s", BENCH_POLICY_DIR);
	snprintf(b.dir, sizeof(b.dir), "/tmp/softsgx-bench-avc-XXXXXX");
	if (!mkdtemp(b.dir))
		die("mkdtemp", strerror(errno));
	softsgx_config_defaults(&b.cfg);
	b.cfg.nr_modules = 1;
	snprintf(b.cfg.modules[0], sizeof(b.cfg.modules[0]), "selinux");
	snprintf(b.cfg.audit, sizeof(b.cfg.audit), "/dev/null");
	setup_contexts(&b, policy_dir, src);
	setup_identity(&b);
	setup_sources(&b);
	sign_enclave(&b);
	b.cred.pid = getpid();
	snprintf(b.cred.comm, sizeof(b.cred.comm), "bench_avc");
	b.cred.context = "u:r:app_t";
	if (lsm_stack_create(&lsm, &b.cfg, &err))
		die("lsm_stack_create", err.msg);

	bench_decisions(&b, lsm);
	bench_builds(&b, lsm);
	printf("command: %s %s\n", argv[0], policy_dir);

	lsm_stack_destroy(lsm);
	sgx_signing_key_free(b.key);
	unlink(b.code);
	unlink(b.cfg.file_contexts);
	unlink(b.cfg.enclave_contexts);
	rmdir(b.dir);
	return 0;
}
