/* SPDX-License-Identifier: MIT */
/*
 * fork under `softsgx run`, as upstream: the child inherits no enclave mapping (enclave VMAs
 * are VM_DONTCOPY), so touching the parent's enclave range faults as unmapped; the enclave fd
 * it inherited refuses ioctl and mmap (softsgx's documented deviation: upstream would act on
 * the parent's enclave, which a separate process model cannot share); and the enclaves the
 * child builds are its own, never sharing EPC pages with enclaves the parent builds at the same
 * time.  The parent's enclaves are untouched by all of it.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../examples/enclave/encl_ops.h"
#include "host_test.h"

struct host_test_args host_test_args;

static vdso_sgx_enter_enclave_t enter;

/* The values each enclave holds, all different. */
#define VALUE_PARENT   0xa11ce0000001ull
#define VALUE_CHILD    0xb0b000000002ull
#define VALUE_PARENT_2 0xc4a1e0000003ull

/* How the child reports the first thing that went wrong (its exit status). */
enum child_failure {
	CHILD_OK = 0,
	CHILD_PARENT_RANGE_READABLE = 10,
	CHILD_PARENT_RANGE_WRONG_FAULT,
	CHILD_INHERITED_IOCTL_NOT_EINVAL,
	CHILD_INHERITED_MMAP_NOT_EINVAL,
	CHILD_CLOSE_OR_MUNMAP_FAILED,
	CHILD_BUILD_FAILED,
	CHILD_OWN_ENCLAVE_WRONG_VALUE,
	CHILD_OWN_ENCLAVE_CHANGED_BY_PARENT,
	CHILD_PIPE,
};

static int ecall(struct encl *e, int tcs, void *op)
{
	struct sgx_enclave_run run;
	struct encl_call c = {.rdi = (uint64_t)(uintptr_t)op, .function = EENTER, .run = &run};

	memset(&run, 0, sizeof(run));
	run.tcs = (uint64_t)(uintptr_t)encl_addr(e, (uint64_t)tcs * 4096);
	if (encl_vdso_call(enter, &c) || run.function != EEXIT)
		return -1;
	return 0;
}

static int put(struct encl *e, uint64_t value)
{
	struct encl_op_put_to_buf op = {{ENCL_OP_PUT_TO_BUFFER}, value};

	return ecall(e, 0, &op);
}

/* The buffer's value read through TCS @tcs, or 0 when the call failed. */
static uint64_t get(struct encl *e, int tcs)
{
	struct encl_op_get_from_buf op = {{ENCL_OP_GET_FROM_BUFFER}, 0};

	return ecall(e, tcs, &op) ? 0 : op.value;
}

static int build(struct encl *e)
{
	char msg[256];

	memset(e, 0, sizeof(*e));
	if (encl_load(e, host_test_args.sgxs, host_test_args.sig, msg, sizeof(msg)) ||
	    encl_build(e, msg, sizeof(msg))) {
		fprintf(stderr, "build: %s\n", msg);
		encl_delete(e);
		return -1;
	}
	return 0;
}

static sigjmp_buf probe_jump;
static volatile sig_atomic_t probe_code;
static void *volatile probe_addr;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)uc;
	probe_code = si->si_code;
	probe_addr = si->si_addr;
	siglongjmp(probe_jump, 1);
}

/* A read of @p: 0 when it faulted as unmapped memory does (SEGV_MAPERR at @p). */
static enum child_failure probe_unmapped(void *p)
{
	struct sigaction sa = {.sa_sigaction = on_segv, .sa_flags = SA_SIGINFO}, old;
	enum child_failure ret = CHILD_PARENT_RANGE_READABLE;

	sigaction(SIGSEGV, &sa, &old);
	if (!sigsetjmp(probe_jump, 1)) {
		(void)*(volatile uint64_t *)p;
	} else {
		ret = probe_code == SEGV_MAPERR && probe_addr == p ? CHILD_OK
								   : CHILD_PARENT_RANGE_WRONG_FAULT;
	}
	sigaction(SIGSEGV, &old, NULL);
	return ret;
}

/* What the child does with what it inherited: nothing of it may work. */
static enum child_failure child_inherited(struct encl *parent, uint64_t buf_off)
{
	struct sgx_enclave_restrict_permissions rp = {
	    .offset = buf_off, .length = 4096, .permissions = SECINFO_R | SECINFO_W};
	enum child_failure ret;
	void *p;

	ret = probe_unmapped(encl_addr(parent, buf_off));
	if (ret)
		return ret;
	if (ioctl(parent->fd, SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS, &rp) != -1 || errno != EINVAL)
		return CHILD_INHERITED_IOCTL_NOT_EINVAL;
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, parent->fd, 0);
	if (p != MAP_FAILED || errno != EINVAL)
		return CHILD_INHERITED_MMAP_NOT_EINVAL;
	/* What a child that cleans up does: it must not reach the parent's enclave. */
	if (close(parent->fd) || munmap(encl_addr(parent, 0), parent->size))
		return CHILD_CLOSE_OR_MUNMAP_FAILED;
	return CHILD_OK;
}

/*
 * The child: checks what it inherited, builds and enters its own enclave, lets the parent
 * build one meanwhile (@to_parent / @from_parent), then checks its enclave was not touched.
 */
static enum child_failure child(struct encl *parent, uint64_t buf_off, int to_parent,
				int from_parent)
{
	enum child_failure ret = child_inherited(parent, buf_off);
	struct encl own;
	char c = 'b';

	if (ret)
		return ret;
	if (build(&own))
		return CHILD_BUILD_FAILED;
	if (put(&own, VALUE_CHILD) || get(&own, 1) != VALUE_CHILD)
		return CHILD_OWN_ENCLAVE_WRONG_VALUE;
	if (write(to_parent, &c, 1) != 1 || read(from_parent, &c, 1) != 1)
		return CHILD_PIPE;
	for (int tcs = 0; tcs < ENCL_NR_TCS; tcs++)
		if (get(&own, tcs) != VALUE_CHILD)
			return CHILD_OWN_ENCLAVE_CHANGED_BY_PARENT;
	encl_delete(&own);
	return CHILD_OK;
}

static void child_has_its_own_enclaves_and_none_of_the_parents(void **state)
{
	int64_t buf_off = encl_elf_symbol(host_test_args.elf, "encl_buffer");
	int to_parent[2], to_child[2], status;
	struct encl a, b;
	char c;
	pid_t pid;

	(void)state;
	assert_true(buf_off > 0);
	enter = vdso_find_by_dynamic();
	assert_non_null(enter);
	assert_int_equal(build(&a), 0);
	assert_int_equal(put(&a, VALUE_PARENT), 0);
	assert_int_equal(get(&a, 1), VALUE_PARENT);
	assert_int_equal(pipe(to_parent), 0);
	assert_int_equal(pipe(to_child), 0);

	pid = fork();
	assert_true(pid >= 0);
	if (!pid)
		_exit(child(&a, (uint64_t)buf_off, to_parent[1], to_child[0]));

	/* A child that stops early closes its pipe ends: the read below then sees EOF. */
	close(to_parent[1]);
	close(to_child[0]);
	/* The child has built its enclave: build one here meanwhile, from the same free EPC. */
	if (read(to_parent[0], &c, 1) != 1) {
		assert_int_equal(waitpid(pid, &status, 0), pid);
		fail_msg("the child stopped early: exit status %d (enum child_failure)",
			 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	}
	assert_int_equal(build(&b), 0);
	assert_int_equal(put(&b, VALUE_PARENT_2), 0);
	assert_int_equal(write(to_child[1], &c, 1), 1);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), CHILD_OK);
	close(to_parent[0]);
	close(to_child[1]);

	/* The parent's enclaves kept their values, through either TCS. */
	for (int tcs = 0; tcs < ENCL_NR_TCS; tcs++) {
		assert_int_equal(get(&a, tcs), VALUE_PARENT);
		assert_int_equal(get(&b, tcs), VALUE_PARENT_2);
	}
	assert_int_equal(put(&a, VALUE_PARENT + 1), 0);
	assert_int_equal(get(&a, 0), VALUE_PARENT + 1);
	encl_delete(&b);
	encl_delete(&a);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(child_has_its_own_enclaves_and_none_of_the_parents),
	};

	host_test_parse_args(argc, argv);
	host_test_require_emulation();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
