/* SPDX-License-Identifier: MIT */
/*
 * The 24 scenarios of lsm-enclave-controls.md, each driving the real path: a kernel model
 * (sgxk_create) with the security stack the configuration names, the driver's open, ioctl,
 * mmap and mprotect entry points, real source mappings read from /proc (a file mapping, a
 * written private file mapping, anonymous memory, a file on a noexec tmpfs), and the policy
 * of tests/security/policies/scenarios.cil.  Each asserts the result, the errno and the exact
 * audit records (after "type=AVC msg=audit(...): ").  Scenarios that are one operation are
 * rows of the table `scenarios` run by run_scenario; the others are functions.  Scenario 24
 * is scenario24.py, which reruns scenarios 2, 9, 11 and 17 of this program with
 * SC_FIXED_POLICY set: then they must pass without a denial.
 *
 * usage: test_scenarios [FILTER]   (a cmocka test-name filter, e.g. "scenario_0[29]*")
 * env:   SC_FIXED_POLICY=FILE  the policy audit2allow's rules were added to (scenario 24)
 *        SC_AVC_LOG=FILE       append every scenario's audit records to FILE
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/sha.h>

#include "softsgx/kernel.h"
#include "softsgx/lsm.h"
#include "softsgx/measure.h"
#include "softsgx/sgx_uapi.h"
#include "softsgx/sigstruct.h"

#include "drvtest.h"
#include "sectest.h"

#define PAGE	  4096
#define ENCL_SIZE 0x10000ull
#define R	  SGX_SECINFO_R
#define W	  SGX_SECINFO_W
#define X	  SGX_SECINFO_X
#define REG	  SGX_SECINFO_TYPE(SGX_PT_REG)

struct sc {
	struct dt d;
	struct lsm_stack *stack;
	struct softsgx_config cfg;
	char dir[256];
	char audit[320];
	char code[320]; /* an enclave_exec_t file: 4 KiB of "enclave code" */
	char context[64];
	char comm[16];
	char devname[64]; /* dev= of the emulated device: the file system of /dev */
	char sig1_signer[65];
	char source[400]; /* the file a scenario's source mapping came from, for path= */
	bool fixed;	  /* scenario 24: the policy with audit2allow's rules */
};

struct sc_encl {
	struct sgxk_file *f;
	uint64_t base;
	struct sgx_measure m;
	uint64_t attributes;
};

/* The emulated device has no host inode: the driver's synthetic one ("SGX" 0x534758, 1). */
#define ENCLAVE_DEV_INO 0x5347580001ull

static const char *policy_file(const char *name)
{
	static char path[2][PATH_MAX];
	static int slot;
	const char *root = getenv("SOFTSGX_BUILD_ROOT");
	char *p = path[slot++ % 2];

	if (!root) {
		printf("SKIP: SOFTSGX_BUILD_ROOT is not set (run through meson test)\n");
		exit(77);
	}
	snprintf(p, PATH_MAX, "%s/tests/security/policies/%s.bin", root, name);
	return p;
}

/* SHA-256 of the modulus (MRSIGNER), computed here with OpenSSL. */
static void mrsigner_hex(const struct sgx_sigstruct *s, char hex[65])
{
	uint8_t h[32];

	SHA256(s->modulus, sizeof(s->modulus), h);
	softsgx_hex(hex, h, 32);
}

static void write_contexts(struct sc *s)
{
	char path[400], text[1024];
	struct sgx_sigstruct sig;
	uint8_t zero[32] = {0};

	dt_sign(&sig, zero, SGX_ATTR_MODE64BIT, ~0ull, SGX_XFRM_LEGACY);
	mrsigner_hex(&sig, s->sig1_signer);
	snprintf(path, sizeof(path), "%s/enclave_contexts", s->dir);
	snprintf(text, sizeof(text),
		 "# the vectors' sig1 key signs acme's enclaves\n"
		 "mrsigner %s u:object_r:acme_enclave_t\n",
		 s->sig1_signer);
	sectest_write_file(path, text);
	snprintf(s->cfg.enclave_contexts, sizeof(s->cfg.enclave_contexts), "%s", path);
	snprintf(path, sizeof(path), "%s/file_contexts", s->dir);
	snprintf(text, sizeof(text),
		 "/dev/sgx_enclave\t-c\tu:object_r:sgx_enclave_device_t\n"
		 "/dev/sgx_provision\t-c\tu:object_r:sgx_provision_device_t\n"
		 "%s/code(/.*)?\tu:object_r:enclave_exec_t\n",
		 s->dir);
	sectest_write_file(path, text);
	snprintf(s->cfg.file_contexts, sizeof(s->cfg.file_contexts), "%s", path);
}

/* The enclave code file, labeled enclave_exec_t by xattr when it can be, else file_contexts. */
static void write_code(struct sc *s, const char *name, char *out, size_t size)
{
	static const char label[] = "u:object_r:enclave_exec_t";
	char dir[300];
	uint8_t page[PAGE];
	FILE *f;

	snprintf(dir, sizeof(dir), "%s/code", s->dir);
	mkdir(dir, 0700);
	snprintf(out, size, "%s/%s", dir, name);
	for (int i = 0; i < PAGE; i++)
		page[i] = (uint8_t)(i * 13 + 5);
	f = fopen(out, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(page, 1, PAGE, f), PAGE);
	fclose(f);
	setxattr(out, "security.selinux", label, sizeof(label), 0); /* else file_contexts */
}

static void sc_setup(struct sc *s, const char *policy, const char *context)
{
	struct stat st;

	memset(s, 0, sizeof(*s));
	s->fixed = getenv("SC_FIXED_POLICY") != NULL;
	sectest_tmpdir(s->dir, sizeof(s->dir));
	softsgx_config_defaults(&s->cfg);
	s->cfg.nr_modules = 1;
	snprintf(s->cfg.modules[0], sizeof(s->cfg.modules[0]), "selinux");
	snprintf(s->cfg.policy, sizeof(s->cfg.policy), "%s",
		 s->fixed ? getenv("SC_FIXED_POLICY") : policy_file(policy));
	snprintf(s->audit, sizeof(s->audit), "%s/audit.log", s->dir);
	snprintf(s->cfg.audit, sizeof(s->cfg.audit), "%s", s->audit);
	snprintf(s->cfg.default_enclave_context, sizeof(s->cfg.default_enclave_context),
		 "u:object_r:unlabeled_enclave_t");
	snprintf(s->context, sizeof(s->context), "%s", context);
	write_contexts(s);
	write_code(s, "enclave.bin", s->code, sizeof(s->code));
	sectest_read_comm(s->comm, sizeof(s->comm));
	assert_int_equal(stat("/dev", &st), 0);
	sectest_dev_name(st.st_dev, s->devname, sizeof(s->devname));
}

static void sc_start(struct sc *s)
{
	struct softsgx_err err = {0};
	int ret = lsm_stack_create(&s->stack, &s->cfg, &err);

	if (ret)
		fail_msg("lsm_stack_create: %s", err.msg);
	dt_setup(&s->d, 0, true, false); /* the /proc reader: real source mappings */
	s->d.opts.config = s->cfg;
	s->d.opts.lsm = s->stack;
	s->d.opts.cred.pid = getpid();
	snprintf(s->d.opts.cred.comm, sizeof(s->d.opts.cred.comm), "%s", s->comm);
	s->d.opts.cred.context = s->context;
	dt_start(&s->d);
}

static void sc_fini(struct sc *s)
{
	const char *log = getenv("SC_AVC_LOG");

	if (log) {
		size_t len;
		char *text = sectest_read_file(s->audit, &len);
		FILE *f = fopen(log, "a");

		if (text && f)
			fwrite(text, 1, len, f);
		if (f)
			fclose(f);
		free(text);
	}
	dt_fini(&s->d);
	lsm_stack_destroy(s->stack);
	sectest_rmtree(s->dir);
}

/* The records must be exactly @n lines of @type equal to (AVC) or starting with the varargs. */
static void expect_records(struct sc *s, const char *type, size_t n, ...)
{
	va_list ap;

	va_start(ap, n);
	sectest_expect_records(s->audit, type, n, ap);
	va_end(ap);
}

#define expect_avc(s, n, ...) expect_records(s, "AVC", n, ##__VA_ARGS__)

/* "avc:  denied  { PERMS } for  pid=P comm="C"" + the rest. */
static const char *avc(struct sc *s, const char *perms, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static const char *avc(struct sc *s, const char *perms, const char *fmt, ...)
{
	const char *line;
	va_list ap;

	va_start(ap, fmt);
	line = sectest_avc_line((int)getpid(), s->comm, "denied", perms, fmt, ap);
	va_end(ap);
	return line;
}

/* The start of every launch-list record of this process. */
static const char *launch_denied(struct sc *s)
{
	static char buf[256];

	snprintf(buf, sizeof(buf), "launch:  denied  { init } for  pid=%d comm=\"%s\"",
		 (int)getpid(), s->comm);
	return buf;
}

static const char *device_fields(struct sc *s)
{
	static char buf[256];

	snprintf(buf, sizeof(buf), " path=\"/dev/sgx_enclave\" dev=\"%s\" ino=%llu", s->devname,
		 ENCLAVE_DEV_INO);
	return buf;
}

/* path/dev/ino of a real file, as the test sees it. */
static const char *file_fields(const char *path)
{
	static char buf[2][512];
	static int slot;
	char *b = buf[slot++ % 2], dev[64];
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	sectest_dev_name(st.st_dev, dev, sizeof(dev));
	snprintf(b, 512, " path=\"%s\" dev=\"%s\" ino=%lu", path, dev, (unsigned long)st.st_ino);
	return b;
}

/* --- enclaves --- */

static int encl_open(struct sc *s, struct sc_encl *e, int flags)
{
	memset(e, 0, sizeof(*e));
	return sgxk_open(s->d.k, SGXK_DEV_ENCLAVE, flags, &e->f);
}

static void encl_create(struct sc *s, struct sc_encl *e, int flags, uint64_t attributes)
{
	struct sgx_secs secs;

	assert_int_equal(encl_open(s, e, flags), 0);
	e->base = dt_reserve(ENCL_SIZE);
	e->attributes = SGX_ATTR_MODE64BIT | attributes;
	dt_secs(&secs, e->base, ENCL_SIZE);
	secs.attributes.flags = e->attributes;
	assert_int_equal(dt_create(&s->d, e->f, &secs), 0);
	assert_int_equal(sgx_measure_init(&e->m, NULL), 0);
	sgx_measure_ecreate(&e->m, secs.ssa_frame_size, ENCL_SIZE);
}

static long encl_add(struct sc *s, struct sc_encl *e, const void *src, uint64_t off,
		     uint64_t secinfo, bool measure)
{
	uint64_t count = 0;
	long ret = dt_add(&s->d, e->f, src, off, PAGE, secinfo | REG,
			  measure ? SGX_PAGE_MEASURE : 0, &count);

	if (!ret) {
		assert_int_equal(count, PAGE);
		sgx_measure_eadd(&e->m, off, secinfo | REG);
		if (measure)
			sgx_measure_eextend_page(&e->m, off, src);
	}
	return ret;
}

static struct sgx_signing_key *stranger_key(void)
{
	static struct sgx_signing_key *key;
	struct softsgx_err err = {0};

	if (!key && sgx_signing_key_generate(&key, &err))
		fail_msg("generating a key: %s", err.msg);
	return key;
}

/* INIT with a SIGSTRUCT (anonymous memory) by sig1, or by a key nobody listed. */
static long encl_init(struct sc *s, struct sc_encl *e, bool stranger, uint16_t isvsvn)
{
	struct sgx_sigstruct *sig = calloc(1, sizeof(*sig));
	struct softsgx_err err = {0};
	uint8_t mr[32];
	long ret;

	assert_non_null(sig);
	assert_int_equal(sgx_measure_final(&e->m, mr), 0);
	dt_sign(sig, mr, e->attributes, ~0ull, SGX_XFRM_LEGACY);
	sig->body.isv_svn = isvsvn;
	if (stranger)
		assert_int_equal(sgx_sigstruct_sign(sig, stranger_key(), &err), 0);
	else
		dt_resign(sig);
	ret = dt_init_encl(&s->d, e->f, sig);
	free(sig);
	return ret;
}

static void encl_fini(struct sc *s, struct sc_encl *e)
{
	if (e->f)
		sgxk_file_put(s->d.k, e->f);
	if (e->base) {
		sgx_measure_free(&e->m);
		dt_unreserve(e->base, ENCL_SIZE);
	}
}

/* A page of anonymous memory with @prot. */
static void *anon_page(int prot)
{
	uint8_t *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	assert_true(p != MAP_FAILED);
	for (int i = 0; i < PAGE; i++)
		p[i] = (uint8_t)(i * 3 + 1);
	assert_int_equal(mprotect(p, PAGE, prot), 0);
	return p;
}

/* A private mapping of @path with @prot. */
static void *file_page(const char *path, int prot)
{
	int fd = open(path, O_RDONLY);
	void *p;

	assert_true(fd >= 0);
	p = mmap(NULL, PAGE, prot, MAP_PRIVATE, fd, 0);
	close(fd);
	assert_true(p != MAP_FAILED);
	return p;
}

static void *encl_map(struct sc *s, struct sc_encl *e, int prot, int *err)
{
	return sgxk_mmap(s->d.k, e->f, (void *)(uintptr_t)e->base, PAGE, prot,
			 MAP_SHARED | MAP_FIXED, 0, err);
}

/* --- the operations of scenarios 1-20 --- */

/* An enclave with one page from the code file (R|X), mapped with @prot. */
static void map_one_page(struct sc *s, struct sc_encl *e, int open_flags, uint64_t secinfo,
			 int map_prot, int *err)
{
	void *src = file_page(s->code, PROT_READ | PROT_EXEC);

	encl_create(s, e, open_flags, 0);
	assert_int_equal(encl_add(s, e, src, 0, secinfo, true), 0);
	munmap(src, PAGE);
	*err = 0;
	encl_map(s, e, map_prot, err);
}

static void build_initable(struct sc *s, struct sc_encl *e, uint64_t attributes)
{
	void *src = anon_page(PROT_READ | PROT_WRITE);

	encl_create(s, e, O_RDONLY, attributes);
	assert_int_equal(encl_add(s, e, src, 0, R | W, true), 0);
	munmap(src, PAGE);
}

static long add_from(struct sc *s, struct sc_encl *e, void *src, uint64_t secinfo, bool measure)
{
	encl_create(s, e, O_RDONLY, 0);
	return encl_add(s, e, src, 0, secinfo, measure);
}

/* ADD_PAGES of one page with @secinfo from @src (then unmapped). */
static long add_and_unmap(struct sc *s, struct sc_encl *e, void *src, uint64_t secinfo,
			  bool measure)
{
	long ret = add_from(s, e, src, secinfo, measure);

	munmap(src, PAGE);
	return ret;
}

static long op_open_readonly(struct sc *s, struct sc_encl *e)
{
	return encl_open(s, e, O_RDONLY);
}

static long op_open_rdwr(struct sc *s, struct sc_encl *e)
{
	return encl_open(s, e, O_RDWR);
}

static long op_mmap_rx(struct sc *s, struct sc_encl *e)
{
	int err;

	map_one_page(s, e, O_RDONLY, R | X, PROT_READ | PROT_EXEC, &err);
	return err;
}

static long op_mmap_rw_shared(struct sc *s, struct sc_encl *e)
{
	int err;

	map_one_page(s, e, O_RDONLY, R | W, PROT_READ | PROT_WRITE, &err);
	return err;
}

static long op_mmap_wx(struct sc *s, struct sc_encl *e)
{
	int err;

	map_one_page(s, e, O_RDWR, R | W | X, PROT_READ | PROT_WRITE | PROT_EXEC, &err);
	return err;
}

/* SECINFO R|W|X from an R|X file mapping: mapped R|X, then mprotect to R|W|X. */
static long op_mprotect_beyond_source(struct sc *s, struct sc_encl *e)
{
	int err;

	map_one_page(s, e, O_RDWR, R | W | X, PROT_READ | PROT_EXEC, &err);
	assert_int_equal(err, 0);
	return sgxk_mprotect(s->d.k, (void *)(uintptr_t)e->base, PAGE,
			     PROT_READ | PROT_WRITE | PROT_EXEC);
}

static long op_add_code_from_file(struct sc *s, struct sc_encl *e)
{
	return add_and_unmap(s, e, file_page(s->code, PROT_READ | PROT_EXEC), R | X, true);
}

static long op_add_code_from_anon(struct sc *s, struct sc_encl *e)
{
	return add_and_unmap(s, e, anon_page(PROT_READ | PROT_WRITE), R | X, true);
}

static long op_add_code_from_written_file(struct sc *s, struct sc_encl *e)
{
	uint8_t *src;

	write_code(s, "written.bin", s->source, sizeof(s->source));
	src = file_page(s->source, PROT_READ | PROT_WRITE);
	src[100] ^= 0xff; /* copy on write: the mapping now has anonymous pages */
	return add_and_unmap(s, e, src, R | X, true);
}

static long op_add_wx_from_anon(struct sc *s, struct sc_encl *e)
{
	return add_and_unmap(s, e, anon_page(PROT_READ | PROT_WRITE), R | W | X, true);
}

static long op_add_unmeasured_code(struct sc *s, struct sc_encl *e)
{
	snprintf(s->source, sizeof(s->source), "%s", s->code);
	return add_and_unmap(s, e, file_page(s->code, PROT_READ | PROT_EXEC), R | X, false);
}

static long op_add_unmeasured_data_from_anon(struct sc *s, struct sc_encl *e)
{
	return add_and_unmap(s, e, anon_page(PROT_READ | PROT_WRITE), R | W, false);
}

static long op_init(struct sc *s, struct sc_encl *e)
{
	build_initable(s, e, 0);
	return encl_init(s, e, false, 0);
}

static long op_init_stranger(struct sc *s, struct sc_encl *e)
{
	build_initable(s, e, 0);
	return encl_init(s, e, true, 0);
}

static long op_init_debug(struct sc *s, struct sc_encl *e)
{
	build_initable(s, e, SGX_ATTR_DEBUG);
	return encl_init(s, e, false, 0);
}

/* SGX_IOC_ENCLAVE_PROVISION with /dev/sgx_provision, then INIT with the PROVISIONKEY. */
static long op_init_provision(struct sc *s, struct sc_encl *e)
{
	struct sgxk_file *prov = NULL;
	struct sgx_enclave_provision p;
	long ret;

	build_initable(s, e, SGX_ATTR_PROVISIONKEY);
	assert_int_equal(sgxk_open(s->d.k, SGXK_DEV_PROVISION, O_RDONLY, &prov), 0);
	p.fd = (uint64_t)dt_fd_of(&s->d, prov);
	assert_int_equal(sgxk_ioctl(s->d.k, e->f, SGX_IOC_ENCLAVE_PROVISION, (unsigned long)&p), 0);
	ret = encl_init(s, e, false, 0);
	sgxk_file_put(s->d.k, prov);
	return ret;
}

/* --- scenarios 1-20: one operation each --- */

/* The fields an AVC record carries before scontext=. */
enum sc_fields {
	NO_FIELDS,
	DEVICE_FIELDS, /* path/dev/ino of /dev/sgx_enclave */
	SOURCE_FIELDS, /* path/dev/ino of the source file (struct sc.source) */
};

/*
 * A scenario: its configuration, the operation, and what the operation must return with
 * the one AVC record it must leave (none when @perms is NULL).  Scenarios that are not one
 * operation name their own @test.
 */
struct scenario {
	const char *name;
	CMUnitTestFunction test;
	const char *policy;  /* default scenarios_all */
	const char *context; /* default u:r:app_t */
	enum softsgx_inode_mode inode;
	enum softsgx_page_prot_mode page_prot;
	long (*op)(struct sc *s, struct sc_encl *e);
	long ret;
	bool fixable; /* scenario 24: with SC_FIXED_POLICY, allowed and not audited */
	const char *perms;
	enum sc_fields fields;
	const char *rest; /* the record from " scontext=" on */
};

#define ON_DEVICE(scon)                                                                            \
	" scontext=" scon " tcontext=u:object_r:sgx_enclave_device_t tclass=chr_file permissive=0"
#define ON_SELF(type, cls)                                                                         \
	" scontext=u:r:" type " tcontext=u:r:" type " tclass=" cls " permissive=0"
#define ON_ENCLAVE(tcon) " scontext=u:r:app_t tcontext=" tcon " tclass=enclave permissive=0"

static const char *record_fields(struct sc *s, enum sc_fields fields)
{
	switch (fields) {
	case DEVICE_FIELDS:
		return device_fields(s);
	case SOURCE_FIELDS:
		return file_fields(s->source);
	default:
		return "";
	}
}

static void run_scenario(void **state)
{
	const struct scenario *t = *state;
	struct sc s;
	struct sc_encl e;
	long ret;

	sc_setup(&s, t->policy ? t->policy : "scenarios_all",
		 t->context ? t->context : "u:r:app_t");
	s.cfg.inode = t->inode;
	s.cfg.page_prot = t->page_prot;
	sc_start(&s);
	memset(&e, 0, sizeof(e));
	ret = t->op(&s, &e);
	if (t->fixable && s.fixed) {
		assert_int_equal(ret, 0);
		expect_avc(&s, 0);
	} else {
		assert_int_equal(ret, t->ret);
		if (t->perms)
			expect_avc(
			    &s, 1,
			    avc(&s, t->perms, "%s%s", record_fields(&s, t->fields), t->rest));
		else
			expect_avc(&s, 0);
	}
	encl_fini(&s, &e);
	sc_fini(&s);
}

/* --- 15: a noexec source --- */

static void scenario_15_source_on_noexec_mount_is_refused(void **state)
{
	struct sc s;
	struct sc_encl e;
	char mnt[300], path[400];
	void *src;
	FILE *f;
	uint8_t page[PAGE] = {1};

	(void)state;
	sc_setup(&s, "scenarios_all", "u:r:app_t");
	snprintf(mnt, sizeof(mnt), "%s/noexec", s.dir);
	assert_int_equal(mkdir(mnt, 0700), 0);
	if (mount("tmpfs", mnt, "tmpfs", MS_NOEXEC | MS_NOSUID | MS_NODEV, "size=64k")) {
		int e2 = errno;

		sc_start(&s);
		sc_fini(&s);
		print_message("SKIP: cannot mount a noexec tmpfs (%s): scenario 15 not run\n",
			      strerror(e2));
		skip();
	}
	sc_start(&s);
	snprintf(path, sizeof(path), "%s/code.bin", mnt);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(page, 1, PAGE, f), PAGE);
	fclose(f);
	src = file_page(path, PROT_READ); /* PROT_EXEC is refused on a noexec mount */
	assert_int_equal(add_from(&s, &e, src, R | X, true), -EACCES);
	expect_avc(&s, 0);
	munmap(src, PAGE);
	encl_fini(&s, &e);
	umount2(mnt, MNT_DETACH);
	sc_fini(&s);
}

/* --- 21: permissive --- */

static void scenario_21_permissive_mode_audits_2_9_17_and_allows(void **state)
{
	struct sc s;
	struct sc_encl e, e9, e17;
	void *src;

	(void)state;
	sc_setup(&s, "scenarios_all", "u:r:app_t");
	s.cfg.selinux_mode = SOFTSGX_SELINUX_PERMISSIVE;
	sc_start(&s);
	assert_int_equal(encl_open(&s, &e, O_RDWR), 0); /* 2 */
	src = anon_page(PROT_READ | PROT_WRITE);
	assert_int_equal(add_from(&s, &e9, src, R | X, true), 0); /* 9 */
	munmap(src, PAGE);
	build_initable(&s, &e17, 0);
	assert_int_equal(encl_init(&s, &e17, true, 0), 0); /* 17 */
	expect_avc(&s, 3,
		   avc(&s, "write",
		       "%s scontext=u:r:app_t tcontext=u:object_r:sgx_enclave_device_t"
		       " tclass=chr_file permissive=1",
		       device_fields(&s)),
		   avc(&s, "sgx_execanon",
		       " scontext=u:r:app_t tcontext=u:r:app_t "
		       "tclass=process2 permissive=1"),
		   avc(&s, "init",
		       " scontext=u:r:app_t tcontext=u:object_r:unlabeled_enclave_t "
		       "tclass=enclave permissive=1"));
	encl_fini(&s, &e17);
	encl_fini(&s, &e9);
	encl_fini(&s, &e);
	sc_fini(&s);
}

/* --- 22-23: the launch list --- */

static void launch_setup(struct sc *s, const char *modules[], int nr, const char *list)
{
	char path[400];

	sc_setup(s, "scenarios_all", "u:r:app_t");
	s->cfg.nr_modules = nr;
	for (int i = 0; i < nr; i++)
		snprintf(s->cfg.modules[i], sizeof(s->cfg.modules[i]), "%s", modules[i]);
	snprintf(path, sizeof(path), "%s/launch_list", s->dir);
	sectest_write_file(path, list);
	snprintf(s->cfg.launch_list, sizeof(s->cfg.launch_list), "%s", path);
	sc_start(s);
}

static long launch_init(struct sc *s, bool stranger, uint16_t isvsvn)
{
	struct sc_encl e;
	long ret;

	build_initable(s, &e, 0);
	ret = encl_init(s, &e, stranger, isvsvn);
	encl_fini(s, &e);
	return ret;
}

static void scenario_22_launch_list_admits_listed_signers_from_min_isvsvn(void **state)
{
	const char *mods[] = {"launch"};
	char list[256];
	struct sc s;

	(void)state;
	launch_setup(&s, mods, 1, "");
	snprintf(list, sizeof(list), "mrsigner %s min-isvsvn 2\n", s.sig1_signer);
	sc_fini(&s);
	launch_setup(&s, mods, 1, list);
	assert_int_equal(launch_init(&s, false, 1), -EACCES); /* listed, ISVSVN 1 < 2 */
	assert_int_equal(launch_init(&s, false, 2), 0);	      /* listed, ISVSVN 2 */
	assert_int_equal(launch_init(&s, true, 2), -EACCES);  /* unlisted */
	expect_records(&s, "SGX_LAUNCH", 2, launch_denied(&s), launch_denied(&s));
	sc_fini(&s);
	/* an empty list denies everything */
	launch_setup(&s, mods, 1, "# nothing may run\n");
	assert_int_equal(launch_init(&s, false, 2), -EACCES);
	expect_records(&s, "SGX_LAUNCH", 1, launch_denied(&s));
	sc_fini(&s);
}

static void scenario_23_stacked_launch_denies_what_selinux_allows(void **state)
{
	const char *mods[] = {"launch", "selinux"};
	struct sc s;

	(void)state;
	/* SELinux allows sig1's enclaves (acme_enclave_t); the list names another signer */
	launch_setup(&s, mods, 2,
		     "mrsigner 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n");
	assert_int_equal(launch_init(&s, false, 0), -EACCES);
	expect_records(&s, "SGX_LAUNCH", 1, launch_denied(&s));
	sc_fini(&s);
}

#define SCENARIO(fn)                                                                               \
	{                                                                                          \
		.name = #fn, .test = fn                                                            \
	}

static const struct scenario scenarios[] = {
    /* 1-5: the device */
    {.name = "scenario_01_open_readonly_needs_no_write", .op = op_open_readonly},
    {.name = "scenario_02_open_rdwr_needs_write",
     .op = op_open_rdwr,
     .ret = -EACCES,
     .fixable = true,
     .perms = "write",
     .fields = DEVICE_FIELDS,
     .rest = ON_DEVICE("u:r:app_t")},
    {.name = "scenario_03_mmap_rx_with_map_read_execute", .op = op_mmap_rx},
    {.name = "scenario_04_mmap_rw_shared_needs_write",
     .op = op_mmap_rw_shared,
     .ret = -EACCES,
     .perms = "write",
     .fields = DEVICE_FIELDS,
     .rest = ON_DEVICE("u:r:app_t")},
    {.name = "scenario_05_anon_inode_exec_mapping_needs_execmem",
     .inode = SOFTSGX_INODE_ANON,
     .op = op_mmap_rx,
     .ret = -EACCES,
     .perms = "execmem",
     .rest = ON_SELF("app_t", "process")},
    /* 6-7: ioctl extended permissions */
    {.name = "scenario_06_ioctl_init_outside_allowx_is_denied",
     .policy = "scenarios_noinit",
     .op = op_init,
     .ret = -EACCES,
     .perms = "ioctl",
     .fields = DEVICE_FIELDS,
     .rest = " ioctlcmd=0xa402" ON_DEVICE("u:r:app_t")},
    {.name = "scenario_07_anon_inode_skips_ioctl_checks",
     .policy = "scenarios_noinit",
     .inode = SOFTSGX_INODE_ANON,
     .op = op_init},
    /* 8-15: ADD_PAGES and its source mapping */
    {.name = "scenario_08_code_from_unmodified_file_with_sgx_execute", .op = op_add_code_from_file},
    {.name = "scenario_09_code_from_anonymous_memory_needs_sgx_execanon",
     .op = op_add_code_from_anon,
     .ret = -EACCES,
     .fixable = true,
     .perms = "sgx_execanon",
     .rest = ON_SELF("app_t", "process2")},
    {.name = "scenario_10_code_from_written_private_file_mapping_needs_sgx_execanon",
     .op = op_add_code_from_written_file,
     .ret = -EACCES,
     .perms = "sgx_execanon",
     .fields = SOURCE_FIELDS,
     .rest = ON_SELF("app_t", "process2")},
    {.name = "scenario_11_writable_code_needs_sgx_execdirty",
     .op = op_add_wx_from_anon,
     .ret = -EACCES,
     .fixable = true,
     .perms = "sgx_execdirty",
     .rest = ON_SELF("app_t", "process2")},
    {.name = "scenario_12_unmeasured_code_needs_sgx_execunmr",
     .op = op_add_unmeasured_code,
     .ret = -EACCES,
     .perms = "sgx_execunmr",
     .fields = SOURCE_FIELDS,
     .rest = ON_SELF("app_t", "process2")},
    {.name = "scenario_13_data_from_anonymous_memory_needs_nothing",
     .op = op_add_unmeasured_data_from_anon},
    /* the page's maximum is capped at the source's R|X: refused by the cap, not the policy */
    {.name = "scenario_14_page_prot_source_caps_at_the_source_mapping",
     .context = "u:r:app_rw_t",
     .page_prot = SOFTSGX_PAGE_PROT_SOURCE,
     .op = op_mprotect_beyond_source,
     .ret = -EACCES},
    SCENARIO(scenario_15_source_on_noexec_mount_is_refused),
    /* 16-20: INIT and mappings */
    {.name = "scenario_16_init_of_acme_signer_is_allowed", .op = op_init},
    {.name = "scenario_17_init_of_unlisted_signer_is_denied_on_default_label",
     .op = op_init_stranger,
     .ret = -EACCES,
     .fixable = true,
     .perms = "init",
     .rest = ON_ENCLAVE("u:object_r:unlabeled_enclave_t")},
    {.name = "scenario_18_init_of_debug_enclave_needs_debug",
     .op = op_init_debug,
     .ret = -EACCES,
     .perms = "debug",
     .rest = ON_ENCLAVE("u:object_r:acme_enclave_t")},
    {.name = "scenario_19_init_with_provisionkey_needs_provision",
     .op = op_init_provision,
     .ret = -EACCES,
     .perms = "provision",
     .rest = ON_ENCLAVE("u:object_r:acme_enclave_t")},
    {.name = "scenario_20_wx_mapping_needs_sgx_mapwx",
     .context = "u:r:app_rw_t",
     .op = op_mmap_wx,
     .ret = -EACCES,
     .perms = "sgx_mapwx",
     .rest = ON_SELF("app_rw_t", "process2")},
    SCENARIO(scenario_21_permissive_mode_audits_2_9_17_and_allows),
    SCENARIO(scenario_22_launch_list_admits_listed_signers_from_min_isvsvn),
    SCENARIO(scenario_23_stacked_launch_denies_what_selinux_allows),
};

int main(int argc, char **argv)
{
	struct CMUnitTest tests[sizeof(scenarios) / sizeof(scenarios[0])];

	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
		tests[i] = (struct CMUnitTest){
		    .name = scenarios[i].name,
		    .test_func = scenarios[i].test ? scenarios[i].test : run_scenario,
		    .initial_state = (void *)&scenarios[i],
		};
	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	/*
	 * Scenario 15 mounts a noexec tmpfs: in a mount namespace of our own it disappears with
	 * the process even when a failed assertion skips the umount.  Where unsharing is not
	 * allowed the mount is made in the caller's namespace and unmounted by the test.
	 */
	if (!unshare(CLONE_NEWNS))
		mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
