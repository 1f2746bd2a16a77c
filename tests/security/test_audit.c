/* SPDX-License-Identifier: MIT */
/*
 * The audit sink: AVC lines exactly in the Linux audit format (checked against hand-written
 * kernel-format lines and read back by sepolgen, the parser audit2allow uses), untrusted
 * strings hex-encoded as the kernel does, timestamps and serials, and concurrency: 8 threads
 * over two sinks on one file, every line whole and present.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "audit.h"
#include "sectest.h"

struct fixture {
	char dir[256], path[300];
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	sectest_tmpdir(fx->dir, sizeof(fx->dir));
	snprintf(fx->path, sizeof(fx->path), "%s/audit.log", fx->dir);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	sectest_rmtree(fx->dir);
	free(fx);
	return 0;
}

static const char *const p_execanon[] = {"sgx_execanon"};
static const char *const p_open_read[] = {"open", "read"};
static const char *const p_ioctl[] = {"ioctl"};
static const char *const p_init[] = {"init"};

struct avc_case {
	struct lsm_avc_record rec;
	const char *want;
};

/* Lines written the way the kernel's avc_audit_pre/post_callback and common_lsm_audit do. */
static const struct avc_case avc_cases[] = {
    {{.perms = p_execanon,
      .nr_perms = 1,
      .pid = 4242,
      .comm = "loader",
      .scontext = "u:r:app_t",
      .tcontext = "u:r:app_t",
      .tclass = "process2"},
     "avc:  denied  { sgx_execanon } for  pid=4242 comm=\"loader\" scontext=u:r:app_t "
     "tcontext=u:r:app_t tclass=process2 permissive=0"},
    {{.perms = p_open_read,
      .nr_perms = 2,
      .pid = 1,
      .comm = "init",
      .scontext = "system_u:system_r:app_t:s0",
      .tcontext = "system_u:object_r:sgx_enclave_device_t:s0",
      .tclass = "chr_file",
      .permissive = true},
     "avc:  denied  { open read } for  pid=1 comm=\"init\" "
     "scontext=system_u:system_r:app_t:s0 tcontext=system_u:object_r:sgx_enclave_device_t:s0 "
     "tclass=chr_file permissive=1"},
    {{.granted = true,
      .perms = p_init,
      .nr_perms = 1,
      .pid = 77,
      .comm = "app",
      .scontext = "u:r:app_t",
      .tcontext = "u:object_r:acme_enclave_t",
      .tclass = "enclave"},
     "avc:  granted  { init } for  pid=77 comm=\"app\" scontext=u:r:app_t "
     "tcontext=u:object_r:acme_enclave_t tclass=enclave"},
    /* A comm with a blank or a quote is hex-encoded, in upper case, without quotes. */
    {{.perms = p_init,
      .nr_perms = 1,
      .pid = 5,
      .comm = "my app",
      .scontext = "u:r:app_t",
      .tcontext = "u:r:e_t",
      .tclass = "enclave"},
     "avc:  denied  { init } for  pid=5 comm=6D7920617070 scontext=u:r:app_t "
     "tcontext=u:r:e_t tclass=enclave permissive=0"},
    {{.perms = p_init,
      .nr_perms = 1,
      .pid = 5,
      .comm = "a\"b",
      .scontext = "u:r:app_t",
      .tcontext = "u:r:e_t",
      .tclass = "enclave"},
     "avc:  denied  { init } for  pid=5 comm=612262 scontext=u:r:app_t "
     "tcontext=u:r:e_t tclass=enclave permissive=0"},
};

static void avc_lines_follow_the_kernel_format(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(avc_cases) / sizeof(avc_cases[0]); i++) {
		char buf[1024];
		int n = lsm_avc_format(buf, sizeof(buf), &avc_cases[i].rec);

		assert_int_equal(n, (int)strlen(avc_cases[i].want));
		assert_string_equal(buf, avc_cases[i].want);
	}
}

/* path/dev/ino and ioctlcmd, in the kernel's LSM_AUDIT_DATA_IOCTL_OP order. */
static void avc_file_fields_and_ioctlcmd(void **state)
{
	struct fixture *fx = *state;
	struct lsm_avc_record rec = {.perms = p_ioctl,
				     .nr_perms = 1,
				     .pid = 10,
				     .comm = "x",
				     .scontext = "u:r:app_t",
				     .tcontext = "u:object_r:sgx_enclave_device_t",
				     .tclass = "chr_file",
				     .has_ioctlcmd = true,
				     .ioctlcmd = 0xc008a402};
	char buf[1024], want[1024], dev[64], path[400];
	struct stat st;

	snprintf(path, sizeof(path), "%s/with space", fx->dir);
	sectest_write_file(path, "");
	assert_int_equal(stat(path, &st), 0);
	rec.path = path;
	rec.dev = st.st_dev;
	rec.ino = st.st_ino;
	lsm_audit_dev_name(st.st_dev, dev, sizeof(dev));
	assert_string_not_equal(dev, "?");
	{
		char hexpath[900] = "";

		for (const char *c = path; *c; c++)
			snprintf(hexpath + strlen(hexpath), 3, "%02X", (unsigned char)*c);
		snprintf(
		    want, sizeof(want),
		    "avc:  denied  { ioctl } for  pid=10 comm=\"x\" path=%s dev=\"%s\" ino=%lu "
		    "ioctlcmd=0xa402 scontext=u:r:app_t tcontext=u:object_r:sgx_enclave_device_t "
		    "tclass=chr_file permissive=0",
		    hexpath, dev, (unsigned long)st.st_ino);
	}
	assert_true(lsm_avc_format(buf, sizeof(buf), &rec) > 0);
	assert_string_equal(buf, want);

	/* The kernel prints the command with %hx: no leading zeroes. */
	rec.path = NULL;
	rec.ioctlcmd = 0x0001a4ff & 0xffff;
	assert_true(lsm_avc_format(buf, sizeof(buf), &rec) > 0);
	assert_non_null(strstr(buf, "comm=\"x\" ioctlcmd=0xa4ff scontext="));
	rec.ioctlcmd = 0x00000a;
	assert_true(lsm_avc_format(buf, sizeof(buf), &rec) > 0);
	assert_non_null(strstr(buf, " ioctlcmd=0xa scontext="));
}

/* The kernel's s_id: the file system type for file systems without a block device. */
static void dev_names_are_the_kernels(void **state)
{
	struct stat st;
	struct statfs sf;
	char dev[64];

	(void)state;
	assert_int_equal(stat("/proc/self/status", &st), 0);
	lsm_audit_dev_name(st.st_dev, dev, sizeof(dev));
	assert_string_equal(dev, "proc");
	if (stat("/dev/shm", &st) == 0 && statfs("/dev/shm", &sf) == 0 && sf.f_type == 0x01021994) {
		lsm_audit_dev_name(st.st_dev, dev, sizeof(dev));
		assert_string_equal(dev, "tmpfs");
	}
	lsm_audit_dev_name(makedev(4095, 1048575), dev, sizeof(dev));
	assert_string_equal(dev, "?");
}

/* A full 16-byte comm array (no NUL) prints as the kernel's: its first 15 bytes. */
static void comm_is_cut_to_fifteen_bytes_like_the_kernels(void **state)
{
	struct {
		char comm[16];
		char after[8];
	} task;
	struct lsm_avc_record rec = avc_cases[0].rec;
	char buf[512];

	(void)state;
	memset(task.comm, 'c', sizeof(task.comm));
	memset(task.after, 'Z', sizeof(task.after));
	rec.comm = task.comm;
	assert_true(lsm_avc_format(buf, sizeof(buf), &rec) > 0);
	assert_non_null(strstr(buf, " comm=\"ccccccccccccccc\" scontext="));
	rec.comm = NULL;
	assert_true(lsm_avc_format(buf, sizeof(buf), &rec) > 0);
	assert_non_null(strstr(buf, " comm=\"\" scontext="));
}

static void too_small_buffers_are_refused(void **state)
{
	char buf[40];

	(void)state;
	assert_int_equal(lsm_avc_format(buf, sizeof(buf), &avc_cases[0].rec), -ENOSPC);
	assert_int_equal(lsm_audit_untrusted(buf, 6, 0, "abcd"), -ENOSPC);
	assert_int_equal(lsm_audit_untrusted(buf, 7, 0, "abcd"), 6);
	assert_string_equal(buf, "\"abcd\"");
	assert_int_equal(lsm_audit_untrusted(buf, 10, 0, "a\tb c"), -ENOSPC);
	assert_int_equal(lsm_audit_untrusted(buf, 11, 0, "a\tb c"), 10);
	assert_string_equal(buf, "6109622063");
}

static void line_framing_is_auditds(void **state)
{
	char buf[256];

	(void)state;
	assert_int_equal(lsm_audit_format_line(buf, sizeof(buf), "AVC", 1764243000, 123, 42,
					       "avc:  denied  { x } for  pid=1"),
			 (int)strlen("type=AVC msg=audit(1764243000.123:42): avc:  denied  { x } "
				     "for  pid=1\n"));
	assert_string_equal(
	    buf, "type=AVC msg=audit(1764243000.123:42): avc:  denied  { x } for  pid=1\n");
	assert_int_equal(lsm_audit_format_line(buf, sizeof(buf), "AVC", 1, 7, 1, "b"),
			 (int)strlen("type=AVC msg=audit(1.007:1): b\n"));
	assert_string_equal(buf, "type=AVC msg=audit(1.007:1): b\n");
}

static void records_carry_time_and_increasing_serials(void **state)
{
	struct fixture *fx = *state;
	struct lsm_audit *a;
	struct sectest_audit r;
	time_t before = time(NULL);
	char *text;

	assert_int_equal(lsm_audit_open(&a, fx->path, NULL), 0);
	assert_int_equal(lsm_audit_avc(a, &avc_cases[0].rec), 0);
	assert_int_equal(lsm_audit_log(a, "SGX_LAUNCH", "launch:  denied  %s", "x"), 0);
	lsm_audit_close(a);
	sectest_audit_read(fx->path, &r);
	assert_int_equal(r.nr, 2);
	assert_string_equal(r.type[0], "AVC");
	assert_string_equal(r.body[0], avc_cases[0].want);
	assert_string_equal(r.type[1], "SGX_LAUNCH");
	assert_string_equal(r.body[1], "launch:  denied  x");
	assert_true(r.serial[1] > r.serial[0]);
	sectest_audit_free(&r);
	text = sectest_read_file(fx->path, NULL);
	{
		long long sec = atoll(strchr(text, '(') + 1);

		assert_true(sec >= before && sec <= time(NULL) + 1);
	}
	free(text);
	/* Appending: a second sink on the same file adds after what is there. */
	assert_int_equal(lsm_audit_open(&a, fx->path, NULL), 0);
	assert_int_equal(lsm_audit_log(a, "T", "third"), 0);
	lsm_audit_close(a);
	sectest_audit_read(fx->path, &r);
	assert_int_equal(r.nr, 3);
	assert_string_equal(r.body[2], "third");
	sectest_audit_free(&r);
}

static void oversized_records_stay_one_line(void **state)
{
	struct fixture *fx = *state;
	struct lsm_audit *a;
	struct sectest_audit r;
	char *big = malloc(3 * LSM_AUDIT_MAX);

	assert_non_null(big);
	memset(big, 'x', 3 * LSM_AUDIT_MAX - 1);
	big[3 * LSM_AUDIT_MAX - 1] = '\0';
	assert_int_equal(lsm_audit_open(&a, fx->path, NULL), 0);
	assert_int_equal(lsm_audit_log(a, "T", "%s", big), 0);
	assert_int_equal(lsm_audit_log(a, "T", "after"), 0);
	lsm_audit_close(a);
	sectest_audit_read(fx->path, &r);
	assert_int_equal(r.nr, 2);
	assert_true(strlen(r.body[0]) < LSM_AUDIT_MAX);
	assert_string_equal(r.body[1], "after");
	sectest_audit_free(&r);
	free(big);
}

static void destinations_are_checked(void **state)
{
	struct fixture *fx = *state;
	struct lsm_audit *a = (struct lsm_audit *)1;
	struct softsgx_err err = {0};
	char bad[400];

	assert_int_equal(lsm_audit_open(&a, "", &err), -EINVAL);
	assert_null(a);
	assert_string_equal(err.msg, "audit: no destination (\"stderr\" or a path)");
	snprintf(bad, sizeof(bad), "%s/missing/audit.log", fx->dir);
	assert_int_equal(lsm_audit_open(&a, bad, &err), -ENOENT);
	/* A NULL sink takes records and writes nothing. */
	assert_int_equal(lsm_audit_log(NULL, "T", "nothing"), 0);
	assert_int_equal(lsm_audit_avc(NULL, &avc_cases[0].rec), 0);
}

static void stderr_destination_writes_to_fd_2(void **state)
{
	struct fixture *fx = *state;
	struct lsm_audit *a;
	struct sectest_audit r;
	int saved = dup(STDERR_FILENO);
	int fd = open(fx->path, O_WRONLY | O_CREAT | O_APPEND, 0600);

	assert_true(saved >= 0 && fd >= 0);
	assert_int_equal(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	assert_int_equal(lsm_audit_open(&a, "stderr", NULL), 0);
	assert_int_equal(lsm_audit_log(a, "T", "on stderr"), 0);
	lsm_audit_close(a);
	/* Closing the sink leaves the process's stderr open. */
	assert_true(fcntl(STDERR_FILENO, F_GETFD) >= 0);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(fd);
	sectest_audit_read(fx->path, &r);
	assert_int_equal(r.nr, 1);
	assert_string_equal(r.body[0], "on stderr");
	sectest_audit_free(&r);
}

#define NR_THREADS	 8
#define LINES_PER_THREAD 3000

struct writer {
	struct lsm_audit *sink;
	int id;
	int lines;
};

static void *write_lines(void *arg)
{
	struct writer *w = arg;
	char pad[2500];

	memset(pad, 'a' + w->id, sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = '\0';
	for (int i = 0; i < w->lines; i++) {
		/* Lengths from a few bytes to a few kilobytes, so writes race at every size. */
		int padlen = (i * 37 + w->id * 101) % (int)(sizeof(pad) - 1);

		if (lsm_audit_log(w->sink, "AVC", "thread=%d seq=%d pad=%.*s end", w->id, i, padlen,
				  pad))
			return (void *)1;
	}
	return NULL;
}

static void check_concurrent_record(const char *body, char seen[NR_THREADS][LINES_PER_THREAD])
{
	int id, seq, used = 0;
	const char *pad;

	if (sscanf(body, "thread=%d seq=%d pad=%n", &id, &seq, &used) != 2 || !used)
		fail_msg("torn record: \"%.80s\"", body);
	assert_true(id >= 0 && id < NR_THREADS && seq >= 0 && seq < LINES_PER_THREAD);
	pad = body + used;
	size_t n = strspn(pad, (char[]){(char)('a' + id), 0});
	assert_int_equal(n, (size_t)((seq * 37 + id * 101) % 2499));
	assert_string_equal(pad + n, " end");
	if (seen[id][seq])
		fail_msg("record thread=%d seq=%d written twice", id, seq);
	seen[id][seq] = 1;
}

static void concurrent_writers_never_tear_or_lose_lines(void **state)
{
	struct fixture *fx = *state;
	struct lsm_audit *sinks[2];
	struct writer w[NR_THREADS];
	pthread_t t[NR_THREADS];
	struct sectest_audit r;
	static char seen[NR_THREADS][LINES_PER_THREAD];

	/* Two sinks on one file, as two stacks (or two processes) would have. */
	assert_int_equal(lsm_audit_open(&sinks[0], fx->path, NULL), 0);
	assert_int_equal(lsm_audit_open(&sinks[1], fx->path, NULL), 0);
	for (int i = 0; i < NR_THREADS; i++) {
		w[i] = (struct writer){.sink = sinks[i % 2], .id = i, .lines = LINES_PER_THREAD};
		assert_int_equal(pthread_create(&t[i], NULL, write_lines, &w[i]), 0);
	}
	for (int i = 0; i < NR_THREADS; i++) {
		void *rc;

		assert_int_equal(pthread_join(t[i], &rc), 0);
		assert_null(rc);
	}
	lsm_audit_close(sinks[0]);
	lsm_audit_close(sinks[1]);

	memset(seen, 0, sizeof(seen));
	sectest_audit_read(fx->path, &r);
	assert_int_equal(r.nr, NR_THREADS * LINES_PER_THREAD);
	for (size_t i = 0; i < r.nr; i++) {
		check_concurrent_record(r.body[i], seen);
		for (size_t j = i + 1; j < r.nr && j < i + 50; j++)
			assert_true(r.serial[i] != r.serial[j]);
	}
	sectest_audit_free(&r);
}

struct drain {
	int fd;
	FILE *out;
};

/* A slow reader: small reads with pauses, so the writers meet a full pipe again and again. */
static void *drain_pipe(void *arg)
{
	struct drain *d = arg;
	char buf[700];
	ssize_t n;

	while ((n = read(d->fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return (void *)1;
		fwrite(buf, 1, (size_t)n, d->out);
		usleep(20);
	}
	return NULL;
}

#define SLOW_WRITERS 4
#define SLOW_LINES   400

/*
 * stderr as a non-blocking pipe of one page with a slow reader: writes come back short and
 * with EAGAIN, and every record must still arrive whole, once.
 */
static void full_nonblocking_stderr_neither_tears_nor_drops(void **state)
{
	struct fixture *fx = *state;
	static char seen[NR_THREADS][LINES_PER_THREAD];
	struct writer w[SLOW_WRITERS];
	pthread_t t[SLOW_WRITERS], reader;
	struct drain d;
	struct lsm_audit *sink;
	struct sectest_audit r;
	int p[2], saved;
	void *rc;

	assert_int_equal(pipe(p), 0);
	assert_int_equal(fcntl(p[1], F_SETFL, O_NONBLOCK), 0);
	if (fcntl(p[1], F_SETPIPE_SZ, 4096) < 0)
		fprintf(stdout, "note: F_SETPIPE_SZ refused; the pipe keeps its default size\n");
	d.fd = p[0];
	d.out = fopen(fx->path, "w");
	assert_non_null(d.out);
	saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	assert_int_equal(dup2(p[1], STDERR_FILENO), STDERR_FILENO);
	close(p[1]);
	assert_int_equal(pthread_create(&reader, NULL, drain_pipe, &d), 0);
	assert_int_equal(lsm_audit_open(&sink, "stderr", NULL), 0);
	for (int i = 0; i < SLOW_WRITERS; i++) {
		w[i] = (struct writer){.sink = sink, .id = i, .lines = SLOW_LINES};
		assert_int_equal(pthread_create(&t[i], NULL, write_lines, &w[i]), 0);
	}
	for (int i = 0; i < SLOW_WRITERS; i++) {
		assert_int_equal(pthread_join(t[i], &rc), 0);
		assert_null(rc);
	}
	lsm_audit_close(sink);
	/* The last write end goes away with fd 2: the reader sees the end of the pipe. */
	dup2(saved, STDERR_FILENO);
	close(saved);
	assert_int_equal(pthread_join(reader, &rc), 0);
	assert_null(rc);
	assert_int_equal(fclose(d.out), 0);

	memset(seen, 0, sizeof(seen));
	sectest_audit_read(fx->path, &r);
	assert_int_equal(r.nr, SLOW_WRITERS * SLOW_LINES);
	for (size_t i = 0; i < r.nr; i++)
		check_concurrent_record(r.body[i], seen);
	sectest_audit_free(&r);
}

/* sepolgen (audit2allow's parser) reads our AVC lines to the same fields. */
static void audit2allow_parser_reads_our_lines(void **state)
{
	struct fixture *fx = *state;
	struct lsm_audit *a;
	char cmd[1024], out[4096] = "";
	size_t n;
	FILE *p;

	const char *py = "/usr/bin/python3"; /* the interpreter audit2allow itself runs on */

	if (access(py, X_OK) || system("/usr/bin/python3 -c 'import sepolgen.audit' 2>/dev/null")) {
		fprintf(stderr, "skip: sepolgen (policycoreutils-python-utils) is not installed\n");
		skip();
	}
	assert_int_equal(lsm_audit_open(&a, fx->path, NULL), 0);
	for (size_t i = 0; i < sizeof(avc_cases) / sizeof(avc_cases[0]); i++)
		assert_int_equal(lsm_audit_avc(a, &avc_cases[i].rec), 0);
	lsm_audit_close(a);
	snprintf(
	    cmd, sizeof(cmd),
	    "%s -c '\n"
	    "import sys, sepolgen.audit as A\n"
	    "p = A.AuditParser(); p.parse_file(open(sys.argv[1]))\n"
	    "for m in p.avc_msgs:\n"
	    "    print(\"denied\" if m.denial else \"granted\", m.comm, m.scontext, m.tcontext,"
	    " m.tclass, \",\".join(m.accesses))\n' %s",
	    py, fx->path);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	assert_int_equal(pclose(p), 0);
	assert_string_equal(out, "denied loader u:r:app_t u:r:app_t process2 sgx_execanon\n"
				 "denied init system_u:system_r:app_t:s0 "
				 "system_u:object_r:sgx_enclave_device_t:s0 chr_file open,read\n"
				 "granted app u:r:app_t u:object_r:acme_enclave_t enclave init\n"
				 "denied D792061707 u:r:app_t u:r:e_t enclave init\n"
				 "denied 1226 u:r:app_t u:r:e_t enclave init\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(avc_lines_follow_the_kernel_format),
	    cmocka_unit_test_setup_teardown(avc_file_fields_and_ioctlcmd, setup, teardown),
	    cmocka_unit_test(dev_names_are_the_kernels),
	    cmocka_unit_test(comm_is_cut_to_fifteen_bytes_like_the_kernels),
	    cmocka_unit_test(too_small_buffers_are_refused),
	    cmocka_unit_test(line_framing_is_auditds),
	    cmocka_unit_test_setup_teardown(records_carry_time_and_increasing_serials, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(oversized_records_stay_one_line, setup, teardown),
	    cmocka_unit_test_setup_teardown(destinations_are_checked, setup, teardown),
	    cmocka_unit_test_setup_teardown(stderr_destination_writes_to_fd_2, setup, teardown),
	    cmocka_unit_test_setup_teardown(concurrent_writers_never_tear_or_lose_lines, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(full_nonblocking_stderr_neither_tears_nor_drops, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(audit2allow_parser_reads_our_lines, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
