/* SPDX-License-Identifier: MIT */
/*
 * The example enclave through the example loader and the vDSO, in the spirit of the kernel's
 * SGX selftests (tools/testing/selftests/sgx/test_sgx.c), run as a real program under
 * `softsgx run`: the loader knows nothing of softsgx.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../examples/enclave/encl_ops.h"
#include "host_encl.h"

struct host_test_args host_test_args;

/*
 * One ECALL through TCS @tcs with @function; returns the vDSO's return value.  These tests
 * run one thread: every call, whichever TCS it enters, goes through run[0].
 */
static int call(struct host_encl_fixture *f, int tcs, void *op, unsigned int function,
		struct encl_call *c)
{
	struct encl_call local;

	if (!c)
		c = &local;
	memset(c, 0, sizeof(*c));
	c->rdi = (uint64_t)(uintptr_t)op;
	c->function = function;
	c->run = &f->run[0];
	if (function == EENTER) {
		memset(&f->run[0], 0, sizeof(f->run[0]));
		f->run[0].tcs = (uint64_t)(uintptr_t)encl_addr(&f->encl, (uint64_t)tcs * 4096);
	}
	return encl_vdso_call(f->enter, c);
}

static uint64_t buffer_offset(void)
{
	int64_t off = encl_elf_symbol(host_test_args.elf, "encl_buffer");

	assert_true(off > 0);
	return (uint64_t)off;
}

static void put_then_get_returns_the_value(void **state)
{
	struct host_encl_fixture *f = *state;
	struct encl_op_put_to_buf put = {{ENCL_OP_PUT_TO_BUFFER}, 0xdeadbeefcafef00dull};
	struct encl_op_get_from_buf get = {{ENCL_OP_GET_FROM_BUFFER}, 0};

	assert_int_equal(call(f, 0, &put, EENTER, NULL), 0);
	assert_int_equal(f->run[0].function, EEXIT);
	assert_int_equal(call(f, 0, &get, EENTER, NULL), 0);
	assert_int_equal(f->run[0].function, EEXIT);
	assert_int_equal(get.value, put.value);
}

static void every_tcs_enters_and_sees_the_same_enclave(void **state)
{
	struct host_encl_fixture *f = *state;

	for (int tcs = 0; tcs < ENCL_NR_TCS; tcs++) {
		struct encl_op_put_to_buf put = {{ENCL_OP_PUT_TO_BUFFER}, 0x1000 + tcs};
		struct encl_op_get_from_buf get = {{ENCL_OP_GET_FROM_BUFFER}, 0};

		assert_int_equal(call(f, tcs, &put, EENTER, NULL), 0);
		assert_int_equal(call(f, (tcs + 1) % ENCL_NR_TCS, &get, EENTER, NULL), 0);
		assert_int_equal(f->run[0].function, EEXIT);
		assert_int_equal(get.value, 0x1000 + tcs);
	}
}

static void enclave_reads_and_writes_untrusted_memory(void **state)
{
	struct host_encl_fixture *f = *state;
	static uint64_t untrusted;
	struct encl_op_put_to_addr put = {{ENCL_OP_PUT_TO_ADDRESS}, 0x5a5a, 0};
	struct encl_op_get_from_addr get = {{ENCL_OP_GET_FROM_ADDRESS}, 0, 0};

	put.addr = get.addr = (uint64_t)(uintptr_t)&untrusted;
	assert_int_equal(call(f, 1, &put, EENTER, NULL), 0);
	assert_int_equal(untrusted, 0x5a5a);
	untrusted = 0x7777;
	assert_int_equal(call(f, 1, &get, EENTER, NULL), 0);
	assert_int_equal(get.value, 0x7777);
}

static void vdso_preserves_rbx_and_rbp_but_not_r12_to_r15(void **state)
{
	struct host_encl_fixture *f = *state;
	struct encl_op_header op = {ENCL_OP_CLOBBER_CALLEE_SAVED};
	struct encl_call c;

	assert_int_equal(call(f, 0, &op, EENTER, &c), 0);
	assert_int_equal(f->run[0].function, EEXIT);
	assert_int_equal(c.rbx, c.rbx_before);
	assert_int_equal(c.rbp, c.rbp_before);
	assert_int_equal(c.r12, ENCL_CLOBBER_R12);
	assert_int_equal(c.r13, ENCL_CLOBBER_R13);
	assert_int_equal(c.r14, ENCL_CLOBBER_R14);
	assert_int_equal(c.r15, ENCL_CLOBBER_R15);
}

/* What the user handler saw, checked after the call. */
static struct {
	int calls;
	long rsp;
	uintptr_t own_rsp;
	struct sgx_enclave_run *run;
	uint32_t function;
} handler_seen;

static int user_handler(long rdi, long rsi, long rdx, long rsp, long r8, long r9,
			struct sgx_enclave_run *run)
{
	(void)rdi, (void)rsi, (void)rdx, (void)r8, (void)r9;
	handler_seen.calls++;
	handler_seen.rsp = rsp;
	handler_seen.own_rsp = (uintptr_t)__builtin_frame_address(0);
	handler_seen.run = run;
	handler_seen.function = run->function;
	return -1234; /* <= 0: returned to the caller as is */
}

static void user_handler_runs_on_exit_and_its_value_is_returned(void **state)
{
	struct host_encl_fixture *f = *state;
	struct encl_op_header op = {ENCL_OP_NOP};

	memset(&handler_seen, 0, sizeof(handler_seen));
	memset(&f->run[0], 0, sizeof(f->run[0]));
	f->run[0].tcs = (uint64_t)(uintptr_t)encl_addr(&f->encl, 0);
	f->run[0].user_handler = (uint64_t)(uintptr_t)user_handler;
	assert_int_equal(f->enter((uint64_t)(uintptr_t)&op, 0, 0, EENTER, 0, 0, &f->run[0]), -1234);
	assert_int_equal(handler_seen.calls, 1);
	assert_ptr_equal(handler_seen.run, &f->run[0]);
	assert_int_equal(handler_seen.function, EEXIT);
	assert_true(handler_seen.rsp != 0);
	/* The handler's frame: 16-byte aligned stack at the call (frame address + 16). */
	assert_int_equal((handler_seen.own_rsp + 16) % 16, 0);
}

static void *fault_page;

static int resume_handler(long rdi, long rsi, long rdx, long rsp, long r8, long r9,
			  struct sgx_enclave_run *run)
{
	(void)rdi, (void)rsi, (void)rdx, (void)rsp, (void)r8, (void)r9;
	handler_seen.calls++;
	if (run->function != ERESUME || run->exception_vector != 14)
		return 0;
	/* Fix what faulted; a positive return is the next ENCLU leaf: resume the enclave. */
	if (mprotect(fault_page, 4096, PROT_READ | PROT_WRITE))
		return -errno;
	return ERESUME;
}

static void user_handler_positive_return_is_the_next_leaf(void **state)
{
	struct host_encl_fixture *f = *state;
	struct encl_op_put_to_buf put = {{ENCL_OP_PUT_TO_BUFFER}, 0x4e57};
	struct encl_op_get_from_buf get = {{ENCL_OP_GET_FROM_BUFFER}, 0};

	fault_page = encl_addr(&f->encl, buffer_offset());
	assert_int_equal(mprotect(fault_page, 4096, PROT_READ), 0);
	memset(&handler_seen, 0, sizeof(handler_seen));
	memset(&f->run[0], 0, sizeof(f->run[0]));
	f->run[0].tcs = (uint64_t)(uintptr_t)encl_addr(&f->encl, 4096);
	f->run[0].user_handler = (uint64_t)(uintptr_t)resume_handler;
	assert_int_equal(f->enter((uint64_t)(uintptr_t)&put, 0, 0, EENTER, 0, 0, &f->run[0]), 0);
	/* Called for the #PF (returned ERESUME) and for the EEXIT (returned 0). */
	assert_int_equal(handler_seen.calls, 2);
	assert_int_equal(f->run[0].function, EEXIT);
	assert_int_equal(call(f, 1, &get, EENTER, NULL), 0);
	assert_int_equal(get.value, 0x4e57);
}

static void page_fault_in_enclave_is_reported_and_eresume_continues(void **state)
{
	struct host_encl_fixture *f = *state;
	uint64_t off = buffer_offset();
	void *page = encl_addr(&f->encl, off);
	struct encl_op_put_to_buf put = {{ENCL_OP_PUT_TO_BUFFER}, 0x600d};
	struct encl_op_get_from_buf get = {{ENCL_OP_GET_FROM_BUFFER}, 0};

	assert_int_equal(mprotect(page, 4096, PROT_READ), 0);
	assert_int_equal(call(f, 0, &put, EENTER, NULL), 0);
	assert_int_equal(f->run[0].function, ERESUME);
	assert_int_equal(f->run[0].exception_vector, 14);
	assert_int_equal(f->run[0].exception_error_code,
			 0x7); /* P | W | U: page tables, not EPCM */
	assert_int_equal(f->run[0].exception_addr, (uint64_t)(uintptr_t)page);
	/* Fix the protection and resume: the write completes and the enclave exits normally. */
	assert_int_equal(mprotect(page, 4096, PROT_READ | PROT_WRITE), 0);
	assert_int_equal(call(f, 0, &put, ERESUME, NULL), 0);
	assert_int_equal(f->run[0].function, EEXIT);
	assert_int_equal(call(f, 0, &get, EENTER, NULL), 0);
	assert_int_equal(get.value, 0x600d);
}

static void eenter_with_every_ssa_frame_in_use_is_gp(void **state)
{
	struct host_encl_fixture *f = *state;
	uint64_t off = buffer_offset();
	void *page = encl_addr(&f->encl, off);
	struct encl_op_put_to_buf put = {{ENCL_OP_PUT_TO_BUFFER}, 1};
	struct sgx_enclave_run first;

	/* An AEX leaves TCS 1 with its only SSA frame in use; EENTER then needs another. */
	assert_int_equal(mprotect(page, 4096, PROT_READ), 0);
	assert_int_equal(call(f, 1, &put, EENTER, NULL), 0);
	assert_int_equal(f->run[0].function, ERESUME);
	first = f->run[0];
	/* CSSA == NSSA (one SSA frame, in use): EENTER #GP. */
	assert_int_equal(call(f, 1, &put, EENTER, NULL), 0);
	assert_int_equal(f->run[0].function, EENTER);
	assert_int_equal(f->run[0].exception_vector, 13);
	assert_int_equal(mprotect(page, 4096, PROT_READ | PROT_WRITE), 0);
	f->run[0] = first;
	assert_int_equal(call(f, 1, &put, ERESUME, NULL), 0);
	assert_int_equal(f->run[0].function, EEXIT);
}

static void enclave_fd_is_a_character_device_and_dup_keeps_it(void **state)
{
	struct host_encl_fixture *f = *state;
	struct stat st;
	struct sgx_enclave_create create = {0};
	int fd2;

	assert_int_equal(fstat(f->encl.fd, &st), 0);
	assert_true(S_ISCHR(st.st_mode));
	assert_int_equal(major(st.st_rdev), 10);
	fd2 = dup(f->encl.fd);
	assert_true(fd2 >= 0);
	/* The same enclave behind the copy: already created, so CREATE is EINVAL, not ENOTTY. */
	assert_int_equal(ioctl(fd2, SGX_IOC_ENCLAVE_CREATE, &create), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(close(fd2), 0);
	/* Closed: no longer an enclave fd. */
	assert_int_equal(ioctl(fd2, SGX_IOC_ENCLAVE_CREATE, &create), -1);
	assert_int_equal(errno, EBADF);
}

static void provision_takes_a_provision_fd_and_refuses_others(void **state)
{
	struct host_encl_fixture *f = *state;
	struct sgx_enclave_provision prov;
	int fd = open("/dev/sgx_provision", O_RDONLY);

	struct stat enclave_st, provision_st;

	assert_true(fd >= 0);
	/* Two distinct character devices of the misc major. */
	assert_int_equal(fstat(fd, &provision_st), 0);
	assert_int_equal(fstat(f->encl.fd, &enclave_st), 0);
	assert_true(S_ISCHR(provision_st.st_mode));
	assert_int_equal(major(provision_st.st_rdev), 10);
	assert_true(provision_st.st_rdev != enclave_st.st_rdev);
	prov.fd = (uint64_t)fd;
	assert_int_equal(ioctl(f->encl.fd, SGX_IOC_ENCLAVE_PROVISION, &prov), 0);
	prov.fd = (uint64_t)f->encl.fd; /* an enclave fd is not /dev/sgx_provision */
	assert_int_equal(ioctl(f->encl.fd, SGX_IOC_ENCLAVE_PROVISION, &prov), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(close(fd), 0);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(put_then_get_returns_the_value),
	    cmocka_unit_test(every_tcs_enters_and_sees_the_same_enclave),
	    cmocka_unit_test(enclave_reads_and_writes_untrusted_memory),
	    cmocka_unit_test(vdso_preserves_rbx_and_rbp_but_not_r12_to_r15),
	    cmocka_unit_test(user_handler_runs_on_exit_and_its_value_is_returned),
	    cmocka_unit_test(user_handler_positive_return_is_the_next_leaf),
	    cmocka_unit_test(page_fault_in_enclave_is_reported_and_eresume_continues),
	    cmocka_unit_test(eenter_with_every_ssa_frame_in_use_is_gp),
	    cmocka_unit_test(enclave_fd_is_a_character_device_and_dup_keeps_it),
	    cmocka_unit_test(provision_takes_a_provision_fd_and_refuses_others),
	};

	host_test_parse_args(argc, argv);
	host_test_require_emulation();
	return cmocka_run_group_tests(tests, host_encl_setup, host_encl_teardown);
}
