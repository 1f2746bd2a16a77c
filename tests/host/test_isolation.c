/* SPDX-License-Identifier: MIT */
/*
 * Isolation with protection keys: host code touching enclave memory faults (hardware would give
 * it the abort page), while the enclave reaches its own pages and untrusted memory.  Skipped,
 * saying why, on hosts without protection keys, where softsgx runs with isolation off.
 */
#include <cpuid.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../examples/enclave/encl_ops.h"
#include "host_test.h"

#ifndef SEGV_PKUERR
#define SEGV_PKUERR 4
#endif

struct host_test_args host_test_args;
static struct encl encl;
static sigjmp_buf jump;
static volatile int fault_code;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)uc;
	fault_code = si->si_code;
	siglongjmp(jump, 1);
}

static int ecall(void *op)
{
	struct sgx_enclave_run run;
	struct encl_call c = {.rdi = (uint64_t)(uintptr_t)op, .function = 2, .run = &run};

	memset(&run, 0, sizeof(run));
	run.tcs = (uint64_t)(uintptr_t)encl_addr(&encl, 0);
	return encl_vdso_call(vdso_find_by_dynamic(), &c) || run.function != 4;
}

static void host_read_of_enclave_memory_faults(void **state)
{
	struct sigaction sa = {.sa_sigaction = on_segv, .sa_flags = SA_SIGINFO}, old;
	int64_t buf = encl_elf_symbol(host_test_args.elf, "encl_buffer");
	volatile uint64_t *p;

	(void)state;
	assert_true(buf > 0);
	p = encl_addr(&encl, (uint64_t)buf);
	fault_code = 0;
	assert_int_equal(sigaction(SIGSEGV, &sa, &old), 0);
	if (!sigsetjmp(jump, 1))
		(void)*p;
	assert_int_equal(sigaction(SIGSEGV, &old, NULL), 0);
	assert_int_equal(fault_code, SEGV_PKUERR);
}

static void enclave_reaches_its_pages_and_untrusted_memory(void **state)
{
	static uint64_t untrusted;
	struct encl_op_put_to_buf put = {{ENCL_OP_PUT_TO_BUFFER}, 0x150};
	struct encl_op_get_from_buf get = {{ENCL_OP_GET_FROM_BUFFER}, 0};
	struct encl_op_put_to_addr out = {
	    {ENCL_OP_PUT_TO_ADDRESS}, 0x151, (uint64_t)(uintptr_t)&untrusted};

	(void)state;
	assert_int_equal(ecall(&put), 0);
	assert_int_equal(ecall(&get), 0);
	assert_int_equal(get.value, 0x150);
	assert_int_equal(ecall(&out), 0);
	assert_int_equal(untrusted, 0x151);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(host_read_of_enclave_memory_faults),
	    cmocka_unit_test(enclave_reaches_its_pages_and_untrusted_memory),
	};
	unsigned int a, b, c, d;
	char msg[256];

	host_test_parse_args(argc, argv);
	host_test_require_emulation();
	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) || !(c & (1u << 4))) {
		printf("SKIP: this host has no protection keys (CPUID.7.0:ECX.OSPKE clear): "
		       "softsgx runs with enclave isolation off here\n");
		return SKIP_EXIT;
	}
	if (encl_load(&encl, host_test_args.sgxs, host_test_args.sig, msg, sizeof(msg)) ||
	    encl_build(&encl, msg, sizeof(msg))) {
		fprintf(stderr, "%s\n", msg);
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
