/* SPDX-License-Identifier: MIT */
/*
 * The example enclave's entry ABI (encl_ops.h, docs/elf-enclave.md), run natively: the image
 * is mapped at a SIZE-aligned base, entered as EENTER would enter it, and its EEXIT (ENCLU
 * faults outside enclave mode: SIGILL, or SIGSEGV under some hypervisors) is completed by
 * a signal handler that records the registers the enclave leaves behind.  This pins down the
 * template independently of the emulator: per-TCS stacks, the untrusted stack restored, the
 * return through RBX, caller-saved registers cleared, and each operation.
 */
#include <setjmp.h>
#include <stdbool.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

#include <cmocka.h>

#include "softsgx/image.h"

#include "encl_ops.h"
#include "format_testutil.h"

void enclave_call(uint64_t tcs, uint64_t entry, void *op, uint64_t r12_to_r15);
extern uint64_t enclave_call_rsp;

static struct {
	uint8_t *base;
	uint64_t size;
	uint64_t entry[ENCL_NR_TCS];
	uint64_t rw_page; /* offset of the last writable page */
	uint64_t end;	  /* the pages are contiguous from 0 to here */
} encl;

/* The registers at the enclave's EEXIT. */
static volatile int eexits;
static greg_t at_eexit[NGREG];

/*
 * ENCLU outside enclave mode: #UD (SIGILL) on most CPUs without SGX; some hypervisors
 * deliver #GP (SIGSEGV) instead.  Either way the handler completes EEXIT.
 */
static void on_enclu(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	greg_t *g = uc->uc_mcontext.gregs;
	const uint8_t *ip = (const uint8_t *)g[REG_RIP];

	(void)sig;
	(void)si;
	if (ip[0] != 0x0f || ip[1] != 0x01 || ip[2] != 0xd7 || g[REG_RAX] != 4) {
		signal(sig, SIG_DFL); /* not our EEXIT: a real fault, let it kill the test */
		return;
	}
	memcpy(at_eexit, g, sizeof(at_eexit));
	eexits++;
	g[REG_RCX] = g[REG_RIP] + 3;
	g[REG_RIP] = g[REG_RBX];
}

static int map_enclave(void **state)
{
	struct softsgx_err err = {0};
	struct sgx_image img;
	uint8_t *raw;

	(void)state;
	if (sgx_image_load_file(ft_path("SOFTSGX_BUILD_ROOT", "examples/enclave/enclave.elf"), &img,
				&err))
		fail_msg("%s", err.msg);
	raw = mmap(NULL, 2 * img.size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(raw != MAP_FAILED);
	encl.size = img.size;
	encl.base = (uint8_t *)(((uintptr_t)raw + img.size - 1) & ~(uintptr_t)(img.size - 1));
	for (size_t i = 0; i < img.nr_pages; i++) {
		uint8_t *p = encl.base + img.pages[i].offset;

		assert_int_equal(mprotect(p, 4096, PROT_READ | PROT_WRITE | PROT_EXEC), 0);
		memcpy(p, img.pages[i].data, 4096);
		assert_int_equal(img.pages[i].offset, 4096 * i);
		encl.end = img.pages[i].offset + 4096;
		if (img.pages[i].secinfo_flags & SGX_SECINFO_W)
			encl.rw_page = img.pages[i].offset;
	}
	for (int t = 0; t < ENCL_NR_TCS; t++) {
		const struct sgx_tcs *tcs = (const struct sgx_tcs *)(encl.base + 4096 * t);

		encl.entry[t] = (uint64_t)(uintptr_t)encl.base + tcs->entry_offset;
	}
	sgx_image_free(&img);
	return 0;
}

static int unmap_enclave(void **state)
{
	(void)state;
	munmap(encl.base, encl.size); /* the rest of the reservation stays: the test ends */
	return 0;
}

static void call(int tcs, void *op)
{
	struct sigaction sa = {.sa_sigaction = on_enclu, .sa_flags = SA_SIGINFO}, old_ill, old_segv;
	int before = eexits;

	/* cmocka installs its own handlers for each test: take ENCLU's signals for this call. */
	assert_int_equal(sigaction(SIGILL, &sa, &old_ill), 0);
	assert_int_equal(sigaction(SIGSEGV, &sa, &old_segv), 0);

	enclave_call((uint64_t)(uintptr_t)encl.base + 4096 * tcs, encl.entry[tcs], op,
		     0x5a5a5a5a5a5a5a5aull);
	sigaction(SIGILL, &old_ill, NULL);
	sigaction(SIGSEGV, &old_segv, NULL);
	assert_int_equal(eexits, before + 1);
}

static void eexit_restores_the_untrusted_stack_and_clears_registers(void **state)
{
	struct encl_op_header nop = {ENCL_OP_NOP};

	(void)state;
	for (int t = 0; t < ENCL_NR_TCS; t++) {
		call(t, &nop);
		/* enclave_call jumped with RSP as stored; the enclave put it back. */
		assert_int_equal(at_eexit[REG_RSP], enclave_call_rsp);
		assert_int_equal(at_eexit[REG_RAX], 4);
		for (int r = 0; r < NGREG; r++) {
			if (r == REG_RDX || r == REG_RSI || r == REG_RDI || r == REG_RCX ||
			    r == REG_R8 || r == REG_R9 || r == REG_R10 || r == REG_R11)
				assert_int_equal(at_eexit[r], 0);
		}
		/* Callee-saved registers survive a NOP. */
		assert_int_equal(at_eexit[REG_R12], 0x5a5a5a5a5a5a5a5aull);
		assert_int_equal(at_eexit[REG_R15], 0x5a5a5a5a5a5a5a5aull);
	}
}

/*
 * The entry pushes the untrusted RSP and the return address on the TCS's stack: find that
 * pair in enclave memory (wiping older copies first) to see where the stack was.
 */
static uint64_t *find_saved_frame(bool wipe)
{
	uint64_t *words = (uint64_t *)encl.base, *found = NULL;

	for (size_t i = 1; i < encl.end / 8; i++) {
		if (words[i] == enclave_call_rsp && words[i - 1] == (uint64_t)at_eexit[REG_RBX]) {
			if (wipe)
				words[i] = 0;
			else if (found)
				fail_msg("two saved frames in the enclave");
			else
				found = &words[i];
		}
	}
	return found;
}

static void each_tcs_runs_on_its_own_stack_inside_the_enclave(void **state)
{
	struct encl_op_header nop = {ENCL_OP_NOP};
	uint64_t *frame[ENCL_NR_TCS];

	(void)state;
	for (int t = 0; t < ENCL_NR_TCS; t++) {
		call(t, &nop);
		find_saved_frame(true);
		call(t, &nop);
		frame[t] = find_saved_frame(false);
		assert_non_null(frame[t]);
		/* The saved RSP is the first word pushed: the top of a 16-byte aligned stack. */
		assert_int_equal(((uintptr_t)frame[t] + 8) % 16, 0);
	}
	for (int t = 1; t < ENCL_NR_TCS; t++)
		assert_true((uintptr_t)frame[t] - (uintptr_t)frame[t - 1] >= 4096);
}

static void buffer_keeps_what_was_put_across_both_tcs(void **state)
{
	struct encl_op_put_to_buf put = {{ENCL_OP_PUT_TO_BUFFER}, 0xdeadbeefcafef00dull};
	struct encl_op_get_from_buf get = {{ENCL_OP_GET_FROM_BUFFER}, 0};

	(void)state;
	call(0, &put);
	call(1, &get);
	assert_int_equal(get.value, 0xdeadbeefcafef00dull);
}

static void put_and_get_address_reach_enclave_memory(void **state)
{
	uint64_t target = (uint64_t)(uintptr_t)encl.base + encl.rw_page + 4088;
	struct encl_op_put_to_addr put = {{ENCL_OP_PUT_TO_ADDRESS}, 0x0123456789abcdefull, target};
	struct encl_op_get_from_addr get = {{ENCL_OP_GET_FROM_ADDRESS}, 0, target};

	(void)state;
	call(0, &put);
	assert_int_equal(*(uint64_t *)(uintptr_t)target, 0x0123456789abcdefull);
	call(1, &get);
	assert_int_equal(get.value, 0x0123456789abcdefull);
}

static void clobber_op_leaves_the_documented_r12_to_r15(void **state)
{
	struct encl_op_header op = {ENCL_OP_CLOBBER_CALLEE_SAVED};

	(void)state;
	call(0, &op);
	assert_int_equal(at_eexit[REG_R12], ENCL_CLOBBER_R12);
	assert_int_equal(at_eexit[REG_R13], ENCL_CLOBBER_R13);
	assert_int_equal(at_eexit[REG_R14], ENCL_CLOBBER_R14);
	assert_int_equal(at_eexit[REG_R15], ENCL_CLOBBER_R15);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(eexit_restores_the_untrusted_stack_and_clears_registers),
	    cmocka_unit_test(each_tcs_runs_on_its_own_stack_inside_the_enclave),
	    cmocka_unit_test(buffer_keeps_what_was_put_across_both_tcs),
	    cmocka_unit_test(put_and_get_address_reach_enclave_memory),
	    cmocka_unit_test(clobber_op_leaves_the_documented_r12_to_r15),
	};

	return cmocka_run_group_tests(tests, map_enclave, unmap_enclave);
}
