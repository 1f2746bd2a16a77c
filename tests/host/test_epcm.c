/* SPDX-License-Identifier: MIT */
/*
 * EPCM permissions are enforced on enclave code that runs natively: the host mapping of an
 * enclave page is the VMA's protections intersected with the EPCM's, so an access the EPCM
 * refuses faults and reaches the program as the hardware reports it, a #PF with error-code
 * bit 15 (SGX).  Driven as the kernel selftests drive SGX2 (tools/testing/selftests/sgx:
 * "restrict permissions", "augment"): the upstream ioctls, EACCEPT/EMODPE inside the enclave,
 * the vDSO reporting the exception; run as a real program under `softsgx run`.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../examples/enclave/encl_ops.h"
#include "host_encl.h"

struct host_test_args host_test_args;

/* One EENTER (or the ERESUME that continues it) through TCS @tcs; the vDSO's return value. */
static int call(struct host_encl_fixture *f, int tcs, void *op, unsigned int function)
{
	struct encl_call c = {.rdi = (uint64_t)(uintptr_t)op, .function = function};

	if (function == EENTER) {
		memset(&f->run[tcs], 0, sizeof(f->run[tcs]));
		f->run[tcs].tcs = (uint64_t)(uintptr_t)encl_addr(&f->encl, (uint64_t)tcs * 4096);
	}
	c.run = &f->run[tcs];
	return encl_vdso_call(f->enter, &c);
}

static uint64_t buffer_offset(void)
{
	int64_t off = encl_elf_symbol(host_test_args.elf, "encl_buffer");

	assert_true(off > 0);
	return (uint64_t)off;
}

/* EACCEPT inside the enclave (through TCS 1): the leaf's status. */
static uint64_t eaccept(struct host_encl_fixture *f, void *page, uint64_t flags)
{
	struct encl_op_eaccept op = {{ENCL_OP_EACCEPT}, (uint64_t)(uintptr_t)page, flags, ~0ull};

	assert_int_equal(call(f, 1, &op, EENTER), 0);
	assert_int_equal(f->run[1].function, EEXIT);
	return op.ret;
}

/* What the user handler saw at each exit of TCS 0, and what it does about it. */
#define MAX_EXITS 4

struct exit_seen {
	uint32_t function;
	uint8_t vector;
	uint16_t error_code;
	uint64_t addr;
};

static struct {
	struct host_encl_fixture *f;
	void *page;
	int nr;
	struct exit_seen exits[MAX_EXITS];
	/* At exception number fix_at (1-based): EMODPE or EACCEPT through TCS 1 with flags. */
	int fix_at;
	unsigned int fix_op;
	uint64_t fix_flags;
	uint64_t fix_ret;
} seen;

/*
 * The vDSO's user handler: record the exit; on an exception, maybe let the enclave fix it
 * (through the other TCS), then resume.  Resuming from the handler, inside the same vDSO
 * call, is what real runtimes do: the enclave's saved RBP is that call's frame.
 */
static int on_exit_of_tcs0(long rdi, long rsi, long rdx, long rsp, long r8, long r9,
			   struct sgx_enclave_run *run)
{
	struct exit_seen *e = &seen.exits[seen.nr < MAX_EXITS ? seen.nr : MAX_EXITS - 1];

	(void)rdi, (void)rsi, (void)rdx, (void)rsp, (void)r8, (void)r9;
	*e = (struct exit_seen){run->function, run->exception_vector, run->exception_error_code,
				run->exception_addr};
	seen.nr++;
	if (run->function != ERESUME || seen.nr >= MAX_EXITS)
		return 0;
	if (seen.nr == seen.fix_at) {
		/* struct encl_op_emodpe is the beginning of struct encl_op_eaccept. */
		struct encl_op_eaccept op = {
		    {seen.fix_op}, (uint64_t)(uintptr_t)seen.page, seen.fix_flags, ~0ull};

		if (call(seen.f, 1, &op, EENTER) || seen.f->run[1].function != EEXIT)
			return -1;
		seen.fix_ret = op.ret;
	}
	return ERESUME;
}

/* EENTER TCS 0 with the handler above; the vDSO's return value. */
static int call_handled(struct host_encl_fixture *f, void *op, void *page)
{
	struct encl_call c = {.rdi = (uint64_t)(uintptr_t)op, .function = EENTER};

	seen.f = f;
	seen.page = page;
	seen.nr = 0;
	memset(&f->run[0], 0, sizeof(f->run[0]));
	f->run[0].tcs = (uint64_t)(uintptr_t)encl_addr(&f->encl, 0);
	f->run[0].user_handler = (uint64_t)(uintptr_t)on_exit_of_tcs0;
	c.run = &f->run[0];
	return encl_vdso_call(f->enter, &c);
}

static void assert_epcm_fault(const struct exit_seen *e, uint32_t error_code, void *page)
{
	assert_int_equal(e->function, ERESUME);
	assert_int_equal(e->vector, PF_VECTOR);
	assert_int_equal(e->error_code, error_code);
	assert_int_equal(e->addr, (uint64_t)(uintptr_t)page);
}

/*
 * RESTRICT_PERMISSIONS to R (EMODPR), EACCEPT: the enclave still reads the page, its write
 * faults with P|W|U|SGX (0x8007) at the page although the VMA is RW; EMODPE back to RW from
 * the other TCS widens the mapping again and ERESUME completes the write.
 */
static void write_to_page_restricted_to_read_faults_with_epcm_bit(void **state)
{
	struct host_encl_fixture *f = *state;
	uint64_t off = buffer_offset();
	void *page = encl_addr(&f->encl, off);
	struct encl_op_put_to_buf put = {{ENCL_OP_PUT_TO_BUFFER}, 0x1111};
	struct encl_op_get_from_buf get = {{ENCL_OP_GET_FROM_BUFFER}, 0};
	struct sgx_enclave_restrict_permissions rp = {
	    .offset = off, .length = 4096, .permissions = SECINFO_R};

	assert_int_equal(call(f, 0, &put, EENTER), 0);
	assert_int_equal(f->run[0].function, EEXIT);

	assert_int_equal(ioctl(f->encl.fd, SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS, &rp), 0);
	assert_int_equal(rp.count, 4096);
	assert_int_equal(rp.result, 0);
	assert_int_equal(eaccept(f, page, SECINFO_R | SECINFO_REG | SECINFO_PR), 0);

	assert_int_equal(call(f, 0, &get, EENTER), 0);
	assert_int_equal(f->run[0].function, EEXIT);
	assert_int_equal(get.value, 0x1111);

	/* The write faults; the enclave extends the permission again; the write completes. */
	put.value = 0x2222;
	memset(&seen, 0, sizeof(seen));
	seen.fix_at = 1;
	seen.fix_op = ENCL_OP_EMODPE;
	seen.fix_flags = SECINFO_R | SECINFO_W;
	assert_int_equal(call_handled(f, &put, page), 0);
	assert_int_equal(seen.nr, 2);
	assert_epcm_fault(&seen.exits[0], PFEC_SGX | PFEC_U | PFEC_W | PFEC_P, page);
	assert_int_equal(seen.exits[1].function, EEXIT);
	assert_int_equal(call(f, 0, &get, EENTER), 0);
	assert_int_equal(get.value, 0x2222);
}

/* The last page of ELRANGE when the image leaves it unused (a hole EAUG may fill). */
static void *hole_page(struct host_encl_fixture *f)
{
	uint64_t off = f->encl.size - 4096;

	if (encl_segment_at(&f->encl, off))
		return NULL;
	return encl_addr(&f->encl, off);
}

/*
 * A touch of a hole in an initialized SGX2 enclave EAUGs a PENDING page: the enclave's access
 * faults with bit 15 (P|U|SGX for a read) until it EACCEPTs the page, then reads zeros and
 * keeps what it writes.
 */
static void eaug_page_touched_before_eaccept_faults_with_epcm_bit(void **state)
{
	struct host_encl_fixture *f = *state;
	void *page = hole_page(f);
	struct encl_op_get_from_addr get = {{ENCL_OP_GET_FROM_ADDRESS}, 0x5a5a, 0};
	struct encl_op_put_to_addr put = {{ENCL_OP_PUT_TO_ADDRESS}, 0x3333, 0};

	if (!page)
		skip();
	assert_ptr_equal(
	    mmap(page, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, f->encl.fd, 0), page);
	get.addr = put.addr = (uint64_t)(uintptr_t)page;

	/* Faults, resumes still PENDING and faults again, then EACCEPT and the read completes. */
	memset(&seen, 0, sizeof(seen));
	seen.fix_at = 2;
	seen.fix_op = ENCL_OP_EACCEPT;
	seen.fix_flags = SECINFO_R | SECINFO_W | SECINFO_REG | SECINFO_PENDING;
	assert_int_equal(call_handled(f, &get, page), 0);
	assert_int_equal(seen.nr, 3);
	assert_epcm_fault(&seen.exits[0], PFEC_SGX | PFEC_U | PFEC_P, page);
	assert_epcm_fault(&seen.exits[1], PFEC_SGX | PFEC_U | PFEC_P, page);
	assert_int_equal(seen.fix_ret, 0);
	assert_int_equal(seen.exits[2].function, EEXIT);
	assert_int_equal(get.value, 0);

	assert_int_equal(call(f, 0, &put, EENTER), 0);
	assert_int_equal(f->run[0].function, EEXIT);
	get.value = 0;
	assert_int_equal(call(f, 1, &get, EENTER), 0);
	assert_int_equal(get.value, 0x3333);
}

/*
 * The EPCM refuses enclave code any access to a TCS page, whatever the VMA allows: a read of
 * the other TCS faults with P|U|SGX, a write with P|W|U|SGX, at the TCS page.  (The TCSs are
 * the enclave's first two pages, in a VMA mapped RWX.)
 */
static void enclave_access_to_a_tcs_page_faults_with_epcm_bit(void **state)
{
	struct host_encl_fixture *f = *state;
	void *tcs0 = encl_addr(&f->encl, 0), *tcs1 = encl_addr(&f->encl, 4096);
	struct encl_op_get_from_addr get = {
	    {ENCL_OP_GET_FROM_ADDRESS}, 0x5a5a, (uint64_t)(uintptr_t)tcs1};
	struct encl_op_put_to_addr put = {
	    {ENCL_OP_PUT_TO_ADDRESS}, 0x3333, (uint64_t)(uintptr_t)tcs0};
	struct exit_seen e;

	assert_int_equal(call(f, 0, &get, EENTER), 0);
	e = (struct exit_seen){f->run[0].function, f->run[0].exception_vector,
			       f->run[0].exception_error_code, f->run[0].exception_addr};
	assert_epcm_fault(&e, PFEC_SGX | PFEC_U | PFEC_P, tcs1);
	assert_int_equal(get.value, 0x5a5a);

	assert_int_equal(call(f, 1, &put, EENTER), 0);
	e = (struct exit_seen){f->run[1].function, f->run[1].exception_vector,
			       f->run[1].exception_error_code, f->run[1].exception_addr};
	assert_epcm_fault(&e, PFEC_SGX | PFEC_U | PFEC_W | PFEC_P, tcs0);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(write_to_page_restricted_to_read_faults_with_epcm_bit,
					    host_encl_setup, host_encl_teardown),
	    cmocka_unit_test_setup_teardown(eaug_page_touched_before_eaccept_faults_with_epcm_bit,
					    host_encl_setup, host_encl_teardown),
	    cmocka_unit_test_setup_teardown(enclave_access_to_a_tcs_page_faults_with_epcm_bit,
					    host_encl_setup, host_encl_teardown),
	};

	host_test_parse_args(argc, argv);
	host_test_require_emulation();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
