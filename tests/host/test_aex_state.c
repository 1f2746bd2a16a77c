/* SPDX-License-Identifier: MIT */
/*
 * What an AEX saves is what ERESUME restores: the enclave (examples/ocall) loads XMM0-15 with
 * known values and reads a page the host made inaccessible; the AEX reaches the vDSO's user
 * handler, which clobbers every XMM register, fixes the page and asks for ERESUME; the enclave
 * then finds its values intact.  Also: the enclave's EXITINFO-bearing exception is reported
 * with the page address, and the thread's FS base is the host's again in the handler.
 */
#include <asm/prctl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmocka.h>

#include "host_test.h"
#include "ocall_ops.h"

struct host_test_args host_test_args;
static struct encl encl;
static void *page;
static struct {
	int calls;
	uint16_t vector, error_code;
	uint64_t addr;
	uint64_t fsbase;
} seen;

static uint64_t fsbase(void)
{
	uint64_t base = 0;

	syscall(SYS_arch_prctl, ARCH_GET_FS, &base);
	return base;
}

static int handler(long rdi, long rsi, long rdx, long rsp, long r8, long r9,
		   struct sgx_enclave_run *run)
{
	(void)rdi, (void)rsi, (void)rdx, (void)rsp, (void)r8, (void)r9;
	seen.calls++;
	if (run->function != 3)
		return 0;
	seen.vector = run->exception_vector;
	seen.error_code = run->exception_error_code;
	seen.addr = run->exception_addr;
	seen.fsbase = fsbase();
	/* Host code between AEX and ERESUME uses the vector registers as it pleases. */
	asm volatile("pcmpeqd %%xmm0, %%xmm0\n\t"
		     "pcmpeqd %%xmm1, %%xmm1\n\t"
		     "pcmpeqd %%xmm7, %%xmm7\n\t"
		     "pcmpeqd %%xmm8, %%xmm8\n\t"
		     "pcmpeqd %%xmm15, %%xmm15" ::
			 : "xmm0", "xmm1", "xmm7", "xmm8", "xmm15");
	if (mprotect(page, 4096, PROT_READ | PROT_WRITE))
		return -1;
	return 3; /* ERESUME */
}

static void xmm_registers_survive_an_aex_and_eresume(void **state)
{
	struct ocall_op op = {.type = OCALL_OP_XMM_ACROSS_AEX};
	vdso_sgx_enter_enclave_t enter = vdso_find_by_dynamic();
	struct sgx_enclave_run run;
	uint64_t host_fs = fsbase();

	(void)state;
	page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(page != MAP_FAILED);
	op.request = (uint64_t)(uintptr_t)page + 8;
	memset(&run, 0, sizeof(run));
	run.tcs = (uint64_t)(uintptr_t)encl_addr(&encl, 0);
	run.user_handler = (uint64_t)(uintptr_t)handler;
	struct encl_call c = {.rdi = (uint64_t)(uintptr_t)&op, .function = 2, .run = &run};

	/* Through the wrapper: the enclave returns with R12-R15 cleared, as the vDSO allows. */
	assert_int_equal(encl_vdso_call(enter, &c), 0);
	assert_int_equal(seen.calls, 2); /* the AEX, then the EEXIT */
	assert_int_equal(seen.vector, 14);
	assert_int_equal(seen.error_code & 0x7, 0x4); /* user read of a not-present page */
	assert_int_equal(seen.addr, (uint64_t)(uintptr_t)page);
	assert_int_equal(seen.fsbase, host_fs);
	assert_int_equal(run.function, 4);
	assert_int_equal(op.state, OCALL_STATE_DONE);
	munmap(page, 4096);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(xmm_registers_survive_an_aex_and_eresume),
	};
	char msg[256];

	if (argc < 3) {
		fprintf(stderr, "usage: %s OCALL-ENCLAVE.sgxs OCALL-ENCLAVE.sig\n", argv[0]);
		return 2;
	}
	host_test_require_emulation();
	if (encl_load(&encl, argv[1], argv[2], msg, sizeof(msg)) ||
	    encl_build(&encl, msg, sizeof(msg))) {
		fprintf(stderr, "%s\n", msg);
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
