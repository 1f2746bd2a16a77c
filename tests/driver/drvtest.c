/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "softsgx/measure.h"
#include "softsgx/sigstruct.h"
#include "drvtest.h"

static void capture_log(void *ctx, const char *line)
{
	struct dt *d = ctx;

	if (d->nr_log < DT_MAX_LOG)
		snprintf(d->log[d->nr_log++], sizeof(d->log[0]), "%s", line);
}

bool dt_log_has(const struct dt *d, const char *needle)
{
	for (int i = 0; i < d->nr_log; i++)
		if (strstr(d->log[i], needle))
			return true;
	return false;
}

static struct sgxk_file *fdget(void *ctx, int fd)
{
	struct dt *d = ctx;

	if (fd < 0 || fd >= (int)(sizeof(d->files) / sizeof(d->files[0])))
		return NULL;
	return d->files[fd];
}

int dt_fd_of(struct dt *d, struct sgxk_file *f)
{
	for (int i = 3; i < (int)(sizeof(d->files) / sizeof(d->files[0])); i++)
		if (!d->files[i]) {
			d->files[i] = f;
			return i;
		}
	fail_msg("fd table full");
	return -1;
}

static int prov_refresh(void *ctx)
{
	struct dt_provider *p = ctx;

	if (p->raise_on_refresh)
		raise(p->raise_on_refresh);
	p->raise_on_refresh = 0;
	return 0;
}

static int prov_lookup(void *ctx, uint64_t addr, struct sgxk_vma *vma)
{
	struct dt_provider *p = ctx;

	p->lookups++;
	if (p->on_lookup)
		p->on_lookup(p->on_lookup_ctx);
	if (p->raise_on_lookup && p->lookups == p->raise_at)
		raise(p->raise_on_lookup);
	if (addr >= p->fault_start && addr < p->fault_end)
		return -EFAULT;
	memset(vma, 0, sizeof(*vma));
	vma->start = addr & ~4095ull;
	vma->end = vma->start + 4096;
	vma->prot = PROT_READ | PROT_WRITE;
	vma->anonymous = true;
	vma->noexec = addr >= p->noexec_start && addr < p->noexec_end;
	return 0;
}

void dt_setup(struct dt *d, uint64_t epc_size, bool sgx2, bool scripted)
{
	memset(d, 0, sizeof(*d));
	softsgx_config_defaults(&d->opts.config);
	d->opts.config.epc_size = epc_size ? epc_size : 128ull << 20;
	d->opts.config.sgx2 = sgx2;
	d->opts.fdget = fdget;
	d->opts.fdget_ctx = d;
	d->opts.log = capture_log;
	d->opts.log_ctx = d;
	d->opts.cred.pid = 1;
	snprintf(d->opts.cred.comm, sizeof(d->opts.cred.comm), "test");
	for (int i = 0; i < 32; i++)
		d->opts.root_secret[i] = (uint8_t)i;
	d->prov.ops.ctx = &d->prov;
	d->prov.ops.refresh = prov_refresh;
	d->prov.ops.lookup = prov_lookup;
	if (scripted)
		d->opts.vmas = &d->prov.ops;
}

void dt_start(struct dt *d)
{
	struct softsgx_err err = {0};
	int ret = sgxk_create(&d->k, &d->opts, &err);

	if (ret)
		fail_msg("sgxk_create: %d %s", ret, err.msg);
}

void dt_init(struct dt *d, uint64_t epc_size, bool sgx2)
{
	dt_setup(d, epc_size, sgx2, false);
	dt_start(d);
}

void dt_fini(struct dt *d)
{
	sgxk_destroy(d->k);
	d->k = NULL;
}

struct sgxk_file *dt_open(struct dt *d)
{
	struct sgxk_file *f = NULL;
	int ret = sgxk_open(d->k, SGXK_DEV_ENCLAVE, O_RDWR, &f);

	assert_int_equal(ret, 0);
	return f;
}

uint64_t dt_reserve(uint64_t size)
{
	void *p =
	    mmap(NULL, 2 * size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	uint64_t a, base;

	assert_true(p != MAP_FAILED);
	a = (uint64_t)(uintptr_t)p;
	base = (a + size - 1) & ~(size - 1);
	if (base > a)
		munmap(p, base - a);
	if (a + 2 * size > base + size)
		munmap((void *)(uintptr_t)(base + size), a + 2 * size - base - size);
	return base;
}

void dt_unreserve(uint64_t base, uint64_t size)
{
	munmap((void *)(uintptr_t)base, size);
}

void dt_secs(struct sgx_secs *secs, uint64_t base, uint64_t size)
{
	memset(secs, 0, sizeof(*secs));
	secs->base = base;
	secs->size = size;
	secs->ssa_frame_size = 1;
	secs->attributes.flags = SGX_ATTR_MODE64BIT;
	secs->attributes.xfrm = SGX_XFRM_LEGACY;
}

long dt_create(struct dt *d, struct sgxk_file *f, const struct sgx_secs *secs)
{
	struct sgx_enclave_create c = {.src = (uint64_t)(uintptr_t)secs};

	return sgxk_ioctl(d->k, f, SGX_IOC_ENCLAVE_CREATE, (unsigned long)&c);
}

long dt_add(struct dt *d, struct sgxk_file *f, const void *src, uint64_t offset, uint64_t len,
	    uint64_t secinfo_flags, uint64_t flags, uint64_t *count)
{
	struct sgx_secinfo secinfo = {.flags = secinfo_flags};
	struct sgx_enclave_add_pages a = {
	    .src = (uint64_t)(uintptr_t)src,
	    .offset = offset,
	    .length = len,
	    .secinfo = (uint64_t)(uintptr_t)&secinfo,
	    .flags = flags,
	    .count = 0xdeadbeef,
	};
	long ret = sgxk_ioctl(d->k, f, SGX_IOC_ENCLAVE_ADD_PAGES, (unsigned long)&a);

	if (count)
		*count = a.count;
	return ret;
}

long dt_init_encl(struct dt *d, struct sgxk_file *f, const struct sgx_sigstruct *s)
{
	struct sgx_enclave_init i = {.sigstruct = (uint64_t)(uintptr_t)s};

	return sgxk_ioctl(d->k, f, SGX_IOC_ENCLAVE_INIT, (unsigned long)&i);
}

void dt_encl_build(struct dt *d, struct dt_encl *e, uint64_t size, uint64_t attributes)
{
	struct sgx_measure *m = calloc(1, sizeof(*m));
	struct sgx_tcs *tcs;

	memset(e, 0, sizeof(*e));
	assert_non_null(m);
	e->f = dt_open(d);
	e->size = size;
	e->base = dt_reserve(size);
	dt_secs(&e->secs, e->base, size);
	e->secs.attributes.flags |= attributes;
	assert_int_equal(dt_create(d, e->f, &e->secs), 0);
	assert_int_equal(sgx_measure_init(m, NULL), 0);
	sgx_measure_ecreate(m, e->secs.ssa_frame_size, size);
	e->measure = m;
	e->page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(e->page != MAP_FAILED);
	for (int i = 0; i < 4096; i++)
		e->page[i] = (uint8_t)(i * 7 + 1);
	e->tcs = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(e->tcs != MAP_FAILED);
	tcs = (struct sgx_tcs *)e->tcs;
	tcs->ssa_offset = 0x1000;
	tcs->nr_ssa_frames = 1;
	tcs->entry_offset = 0x1000;
	tcs->fs_limit = 0xFFF;
	tcs->gs_limit = 0xFFF;
}

void dt_encl_add(struct dt *d, struct dt_encl *e, uint64_t offset, size_t nr,
		 uint64_t secinfo_flags, bool measure)
{
	bool is_tcs = (secinfo_flags & SGX_SECINFO_PAGE_TYPE_MASK) == SGX_SECINFO_TYPE(SGX_PT_TCS);
	uint8_t *src = is_tcs ? e->tcs : e->page;

	for (size_t i = 0; i < nr; i++) {
		uint64_t off = offset + i * 4096, count = 0;
		long ret = dt_add(d, e->f, src, off, 4096, secinfo_flags,
				  measure ? SGX_PAGE_MEASURE : 0, &count);

		if (ret)
			fail_msg("adding page 0x%llx (flags 0x%llx): %ld (%s)",
				 (unsigned long long)off, (unsigned long long)secinfo_flags, ret,
				 d->nr_log ? d->log[d->nr_log - 1] : "no log");
		assert_int_equal(count, 4096);
		sgx_measure_eadd(e->measure, off, secinfo_flags);
		if (measure)
			sgx_measure_eextend_page(e->measure, off, src);
	}
}

void dt_encl_finish_measure(struct dt_encl *e)
{
	assert_int_equal(sgx_measure_final(e->measure, e->mrenclave), 0);
}

void dt_encl_free(struct dt *d, struct dt_encl *e)
{
	/* As a process would: unmap the enclave, then close it. */
	if (d->k && e->base)
		sgxk_munmap(d->k, (void *)(uintptr_t)e->base, e->size);
	if (e->f)
		sgxk_file_put(d->k, e->f);
	if (e->measure) {
		sgx_measure_free(e->measure);
		free(e->measure);
	}
	if (e->page)
		munmap(e->page, 4096);
	if (e->tcs)
		munmap(e->tcs, 4096);
	dt_unreserve(e->base, e->size);
	memset(e, 0, sizeof(*e));
}

static struct sgx_signing_key *test_key(void)
{
	static struct sgx_signing_key *key;
	struct softsgx_err err = {0};

	if (!key && sgx_signing_key_load(dt_vector("sig1.key.pem"), &key, &err))
		fail_msg("loading sig1.key.pem: %s", err.msg);
	return key;
}

void dt_sign(struct sgx_sigstruct *s, const uint8_t mrenclave[32], uint64_t attributes,
	     uint64_t attributes_mask, uint64_t xfrm)
{
	struct softsgx_err err = {0};

	sgx_sigstruct_init(s);
	s->body.attributes.flags = attributes;
	s->body.attributes.xfrm = xfrm;
	s->body.attributes_mask.flags = attributes_mask;
	s->body.attributes_mask.xfrm = ~0ull;
	memcpy(s->body.mrenclave, mrenclave, 32);
	if (sgx_sigstruct_sign(s, test_key(), &err))
		fail_msg("signing: %s", err.msg);
}

void dt_resign(struct sgx_sigstruct *s)
{
	struct softsgx_err err = {0};

	if (sgx_sigstruct_sign(s, test_key(), &err))
		fail_msg("signing: %s", err.msg);
}

const char *dt_vector(const char *name)
{
	static char path[4][1024];
	static int slot;
	const char *dir = getenv("SOFTSGX_VECTORS");
	char *p = path[slot++ % 4];

	if (!dir) {
		printf("SKIP: SOFTSGX_VECTORS is not set (run through meson test)\n");
		exit(DT_SKIP);
	}
	snprintf(p, sizeof(path[0]), "%s/%s", dir, name);
	return p;
}

uint8_t *dt_read_file(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (!fp)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, fp) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(fp);
	*len = (size_t)n;
	return buf;
}

int dt_run(char *out, size_t outlen, const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	FILE *p;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	out[0] = '\0';
	if (fgets(out, (int)outlen, p))
		out[strcspn(out, "\n")] = '\0';
	while (fgetc(p) != EOF)
		;
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

void dt_gate_init(struct dt_gate *g)
{
	pthread_mutex_init(&g->lock, NULL);
	pthread_cond_init(&g->cond, NULL);
	g->phase = 0;
}

void dt_gate_destroy(struct dt_gate *g)
{
	pthread_cond_destroy(&g->cond);
	pthread_mutex_destroy(&g->lock);
}

void dt_gate_park(void *gate)
{
	struct dt_gate *g = gate;

	pthread_mutex_lock(&g->lock);
	if (g->phase == 0) {
		g->phase = 1;
		pthread_cond_broadcast(&g->cond);
		while (g->phase != 2)
			pthread_cond_wait(&g->cond, &g->lock);
	}
	pthread_mutex_unlock(&g->lock);
}

void dt_gate_wait_parked(struct dt_gate *g)
{
	pthread_mutex_lock(&g->lock);
	while (g->phase != 1)
		pthread_cond_wait(&g->cond, &g->lock);
	pthread_mutex_unlock(&g->lock);
}

void dt_gate_release(struct dt_gate *g)
{
	pthread_mutex_lock(&g->lock);
	g->phase = 2;
	pthread_cond_broadcast(&g->cond);
	pthread_mutex_unlock(&g->lock);
}
