/* SPDX-License-Identifier: MIT */
/*
 * Isolation with protection keys: host code touching enclave memory faults (hardware would give
 * it the abort page), while the enclave reaches its own pages and untrusted memory.  Every way
 * back to host code leaves the key denied: EEXIT, an AEX, an ECALL from a signal handler, and
 * on another thread; and pages the kernel model maps later (EAUG, EPCM changes) have the key
 * with the protections the EPCM allows.  Skipped, saying why, on hosts without protection keys,
 * where softsgx runs with isolation off; tests/vm/ runs it in a QEMU guest whose CPU has them.
 */
#include <cpuid.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "../../examples/enclave/encl_ops.h"
#include "host_encl.h"

#ifndef SEGV_PKUERR
#define SEGV_PKUERR 4
#endif

#define PF_EPCM_WRITE 0x8007 /* P | W | U | SGX */
#define PF_EPCM_READ  0x8005 /* P | U | SGX */

struct host_test_args host_test_args;
static sigjmp_buf jump;
static volatile int fault_code;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)uc;
	fault_code = si->si_code;
	siglongjmp(jump, 1);
}

static uint32_t rdpkru(void)
{
	uint32_t eax, edx;

	asm volatile(".byte 0x0f, 0x01, 0xee" : "=a"(eax), "=d"(edx) : "c"(0));
	return eax;
}

/* The protection key of the mapping that holds @addr, from /proc/self/smaps; -1 if none. */
static int page_pkey(const void *addr)
{
	FILE *f = fopen("/proc/self/smaps", "re");
	uintptr_t a = (uintptr_t)addr, start, end;
	bool in = false;
	char line[512];
	int key = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2)
			in = a >= start && a < end;
		else if (in && sscanf(line, "ProtectionKey: %d", &key) == 1)
			break;
	}
	fclose(f);
	return key;
}

static void wrpkru(uint32_t pkru)
{
	asm volatile(".byte 0x0f, 0x01, 0xef" ::"a"(pkru), "c"(0), "d"(0) : "memory");
}

/* Whether host code with this thread's live PKRU is denied access to pages of @key. */
static bool denied(int key)
{
	return key > 0 && (rdpkru() >> (2 * key) & 1);
}

/* Touch @p (read, or write @value): the fault's si_code, or 0 when the access went through. */
static int touch(volatile uint64_t *p, bool write, uint64_t value)
{
	struct sigaction sa = {.sa_sigaction = on_segv, .sa_flags = SA_SIGINFO}, old;

	fault_code = 0;
	if (sigaction(SIGSEGV, &sa, &old))
		return -1;
	if (!sigsetjmp(jump, 1)) {
		if (write)
			*p = value;
		else
			(void)*p;
	}
	sigaction(SIGSEGV, &old, NULL);
	return fault_code;
}

static uint64_t *enclave_buffer(struct host_encl_fixture *f)
{
	int64_t off = encl_elf_symbol(host_test_args.elf, "encl_buffer");

	assert_true(off > 0);
	return encl_addr(&f->encl, (uint64_t)off);
}

/* One call through TCS @tcs and @run: the vDSO's return value. */
static int call(struct host_encl_fixture *f, struct sgx_enclave_run *run, int tcs, void *op,
		unsigned int function)
{
	struct encl_call c = {.rdi = (uint64_t)(uintptr_t)op, .function = function, .run = run};

	if (function == EENTER) {
		memset(run, 0, sizeof(*run));
		run->tcs = (uint64_t)(uintptr_t)encl_addr(&f->encl, (uint64_t)tcs * 4096);
	}
	return encl_vdso_call(f->enter, &c);
}

/* An ECALL that puts @value into the enclave's buffer, or reads it back: 0 when it returned. */
static int put(struct host_encl_fixture *f, int tcs, struct sgx_enclave_run *run, uint64_t value)
{
	struct encl_op_put_to_buf op = {{ENCL_OP_PUT_TO_BUFFER}, value};

	return call(f, run, tcs, &op, EENTER) || run->function != EEXIT;
}

static uint64_t get(struct host_encl_fixture *f, int tcs, struct sgx_enclave_run *run)
{
	struct encl_op_get_from_buf op = {{ENCL_OP_GET_FROM_BUFFER}, 0};

	if (call(f, run, tcs, &op, EENTER) || run->function != EEXIT)
		return ~0ull;
	return op.value;
}

/* Host code is denied @p's page, which has the key of the enclave's other pages. */
static void assert_host_denied_at(struct host_encl_fixture *f, volatile uint64_t *p)
{
	int key = page_pkey((const void *)p);

	assert_int_equal(key, page_pkey(encl_addr(&f->encl, 0)));
	assert_true(denied(key));
	assert_int_equal(touch(p, false, 0), SEGV_PKUERR);
	assert_int_equal(touch(p, true, 0xbad), SEGV_PKUERR);
}

/* Host code is denied the enclave's key: reads and writes fault with SEGV_PKUERR. */
static void assert_host_denied(struct host_encl_fixture *f)
{
	assert_host_denied_at(f, enclave_buffer(f));
}

static void enclave_pages_carry_one_key_that_host_code_runs_denied(void **state)
{
	struct host_encl_fixture *f = *state;
	int key = page_pkey(enclave_buffer(f));

	assert_true(key > 0);
	for (int tcs = 0; tcs < ENCL_NR_TCS; tcs++)
		assert_int_equal(page_pkey(encl_addr(&f->encl, (uint64_t)tcs * 4096)), key);
	assert_true(denied(key));
}

static void host_access_to_enclave_memory_faults_and_changes_nothing(void **state)
{
	struct host_encl_fixture *f = *state;

	assert_int_equal(put(f, 0, &f->run[0], 0x1501), 0);
	assert_host_denied(f);
	assert_int_equal(get(f, 0, &f->run[0]), 0x1501);
}

/* EENTER allows the key (the live PKRU), EEXIT denies it again (the PKRU of the trap's frame). */
static void enclave_reaches_its_pages_and_untrusted_memory(void **state)
{
	struct host_encl_fixture *f = *state;
	static uint64_t untrusted;
	struct encl_op_put_to_addr out = {
	    {ENCL_OP_PUT_TO_ADDRESS}, 0x151, (uint64_t)(uintptr_t)&untrusted};

	assert_int_equal(put(f, 0, &f->run[0], 0x150), 0);
	assert_int_equal(get(f, 1, &f->run[0]), 0x150);
	assert_int_equal(call(f, &f->run[0], 0, &out, EENTER), 0);
	assert_int_equal(f->run[0].function, EEXIT);
	assert_int_equal(untrusted, 0x151);
	assert_host_denied(f);
}

/* An AEX returns to host code denied; ERESUME allows the enclave again. */
static void aex_leaves_host_code_denied_and_eresume_continues(void **state)
{
	struct host_encl_fixture *f = *state;
	uint64_t *buf = enclave_buffer(f);
	void *page = (void *)((uintptr_t)buf & ~4095ul);
	int key = page_pkey(buf);
	struct encl_op_put_to_buf op = {{ENCL_OP_PUT_TO_BUFFER}, 0xae5};

	assert_int_equal(mprotect(page, 4096, PROT_READ), 0);
	assert_int_equal(page_pkey(buf), key); /* mprotect keeps the enclave's key */
	assert_int_equal(call(f, &f->run[0], 0, &op, EENTER), 0);
	assert_int_equal(f->run[0].function, ERESUME);
	assert_int_equal(f->run[0].exception_vector, 14);
	assert_host_denied(f);
	assert_int_equal(mprotect(page, 4096, PROT_READ | PROT_WRITE), 0);
	assert_int_equal(page_pkey(buf), key);
	assert_int_equal(call(f, &f->run[0], 0, &op, ERESUME), 0);
	assert_int_equal(f->run[0].function, EEXIT);
	assert_host_denied(f);
	assert_int_equal(get(f, 0, &f->run[0]), 0xae5);
}

/*
 * A program that allows every key (PKRU 0, the init state: XSAVE may leave it out of a signal
 * frame) gets exactly the enclave's key denied back after an ECALL, whose EEXIT is a trap.
 */
static void program_with_every_key_allowed_gets_only_the_enclave_key_denied(void **state)
{
	struct host_encl_fixture *f = *state;
	int key = page_pkey(enclave_buffer(f));
	uint32_t saved = rdpkru(), after;

	assert_true(key > 0);
	wrpkru(0);
	assert_int_equal(put(f, 0, &f->run[0], 0x9e0), 0);
	after = rdpkru();
	wrpkru(saved);
	assert_int_equal(after, 1u << (2 * key));
	assert_int_equal(get(f, 0, &f->run[0]), 0x9e0);
	assert_host_denied(f);
}

/* What the SIGUSR1 handler saw. */
static struct {
	struct host_encl_fixture *f;
	bool denied_on_entry, denied_after_ecall;
	int put;
	uint64_t got;
} in_handler;

static void on_usr1(int sig)
{
	struct host_encl_fixture *f = in_handler.f;
	int key = page_pkey(enclave_buffer(f));

	(void)sig;
	in_handler.denied_on_entry = denied(key);
	in_handler.put = put(f, 1, &f->run[1], 0x5161);
	in_handler.got = get(f, 1, &f->run[1]);
	in_handler.denied_after_ecall = denied(key);
}

/* A handler starts with the kernel's default PKRU; the ECALLs it makes leave it as it was. */
static void ecall_from_a_signal_handler_leaves_it_denied(void **state)
{
	struct host_encl_fixture *f = *state;
	struct sigaction sa = {.sa_handler = on_usr1}, old;

	memset(&in_handler, 0, sizeof(in_handler));
	in_handler.f = f;
	assert_int_equal(sigaction(SIGUSR1, &sa, &old), 0);
	assert_int_equal(raise(SIGUSR1), 0);
	assert_int_equal(sigaction(SIGUSR1, &old, NULL), 0);
	assert_true(in_handler.denied_on_entry);
	assert_int_equal(in_handler.put, 0);
	assert_int_equal(in_handler.got, 0x5161);
	assert_true(in_handler.denied_after_ecall);
	assert_host_denied(f);
}

static void *other_thread(void *arg)
{
	struct host_encl_fixture *f = arg;
	volatile uint64_t *p = enclave_buffer(f);
	static int results[4];

	results[0] = denied(page_pkey((const void *)p));
	results[1] = touch(p, false, 0);
	results[2] = put(f, 1, &f->run[1], 0x7407) == 0 && get(f, 1, &f->run[1]) == 0x7407;
	results[3] = touch(p, false, 0);
	return results;
}

/* A thread inherits the denied key, and its own ECALLs leave it denied. */
static void another_thread_runs_denied_and_enters(void **state)
{
	struct host_encl_fixture *f = *state;
	pthread_t thread;
	int *results;

	assert_int_equal(pthread_create(&thread, NULL, other_thread, f), 0);
	assert_int_equal(pthread_join(thread, (void **)&results), 0);
	assert_true(results[0]);
	assert_int_equal(results[1], SEGV_PKUERR);
	assert_true(results[2]);
	assert_int_equal(results[3], SEGV_PKUERR);
}

/* EACCEPT (or EMODPE) of @page with @flags through TCS 1: EACCEPT's status. */
static uint64_t accept_or_extend(struct host_encl_fixture *f, uint64_t op_type, void *page,
				 uint64_t flags)
{
	struct encl_op_eaccept op = {{op_type}, (uint64_t)(uintptr_t)page, flags, 0};

	assert_int_equal(call(f, &f->run[1], 1, &op, EENTER), 0);
	assert_int_equal(f->run[1].function, EEXIT);
	return op.ret;
}

/*
 * A page the kernel model maps after the fact keeps the key: an SGX2 hole EAUG'd at the
 * enclave's touch, then remapped RW by its EACCEPT.  (The mappings had key 0 before the
 * model keyed its own mappings: host code read the page.)
 */
static void page_eaugd_on_a_touch_and_accepted_has_the_key(void **state)
{
	struct host_encl_fixture *f = *state;
	uint64_t off = f->encl.size - 4096;
	void *page = encl_addr(&f->encl, off);
	struct encl_op_get_from_addr get = {{ENCL_OP_GET_FROM_ADDRESS}, 0x5a5a, 0};

	if (encl_segment_at(&f->encl, off))
		skip(); /* the image fills ELRANGE: no hole to EAUG */
	assert_ptr_equal(
	    mmap(page, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, f->encl.fd, 0), page);
	get.addr = (uint64_t)(uintptr_t)page;
	/* The touch EAUGs the page, still PENDING: the read faults with the EPCM bit. */
	assert_int_equal(call(f, &f->run[0], 0, &get, EENTER), 0);
	assert_int_equal(f->run[0].function, ERESUME);
	assert_int_equal(f->run[0].exception_vector, 14);
	assert_int_equal(f->run[0].exception_error_code, PF_EPCM_READ);
	assert_int_equal(accept_or_extend(f, ENCL_OP_EACCEPT, page,
					  SECINFO_R | SECINFO_W | SECINFO_REG | SECINFO_PENDING),
			 0);
	assert_int_equal(call(f, &f->run[0], 0, &get, ERESUME), 0);
	assert_int_equal(f->run[0].function, EEXIT);
	assert_int_equal(get.value, 0);
	assert_host_denied_at(f, page);
}

/*
 * Keying a range keeps the protections the model chose for each page: a page the EPCM
 * restricts to R stays read-only for enclave code after an mprotect to RW (the enclave's
 * write faults with the EPCM bit) and keeps the key through the remaps.  (Keying with the
 * caller's protections widened it to RW.)
 */
static void keying_keeps_what_the_epcm_narrows(void **state)
{
	struct host_encl_fixture *f = *state;
	uint64_t *buf = enclave_buffer(f);
	void *page = (void *)((uintptr_t)buf & ~4095ul);
	struct sgx_enclave_restrict_permissions rp = {
	    .offset = (uint64_t)((uintptr_t)page - f->encl.base),
	    .length = 4096,
	    .permissions = SECINFO_R};
	struct encl_op_put_to_buf op = {{ENCL_OP_PUT_TO_BUFFER}, 0xe9c};

	assert_int_equal(ioctl(f->encl.fd, SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS, &rp), 0);
	assert_int_equal(
	    accept_or_extend(f, ENCL_OP_EACCEPT, page, SECINFO_R | SECINFO_REG | SECINFO_PR), 0);
	assert_int_equal(mprotect(page, 4096, PROT_READ | PROT_WRITE), 0);
	assert_host_denied(f);
	assert_int_equal(call(f, &f->run[0], 0, &op, EENTER), 0);
	assert_int_equal(f->run[0].function, ERESUME);
	assert_int_equal(f->run[0].exception_vector, 14);
	assert_int_equal(f->run[0].exception_error_code, PF_EPCM_WRITE);
	/* EMODPE back to RW: the write completes, the page still has the key. */
	accept_or_extend(f, ENCL_OP_EMODPE, page, SECINFO_R | SECINFO_W);
	assert_int_equal(call(f, &f->run[0], 0, &op, ERESUME), 0);
	assert_int_equal(f->run[0].function, EEXIT);
	assert_host_denied(f);
	assert_int_equal(get(f, 0, &f->run[0]), 0xe9c);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(enclave_pages_carry_one_key_that_host_code_runs_denied),
	    cmocka_unit_test(host_access_to_enclave_memory_faults_and_changes_nothing),
	    cmocka_unit_test(enclave_reaches_its_pages_and_untrusted_memory),
	    cmocka_unit_test(aex_leaves_host_code_denied_and_eresume_continues),
	    cmocka_unit_test(program_with_every_key_allowed_gets_only_the_enclave_key_denied),
	    cmocka_unit_test(ecall_from_a_signal_handler_leaves_it_denied),
	    cmocka_unit_test(another_thread_runs_denied_and_enters),
	    cmocka_unit_test(page_eaugd_on_a_touch_and_accepted_has_the_key),
	    cmocka_unit_test(keying_keeps_what_the_epcm_narrows),
	};
	unsigned int a, b, c, d;

	host_test_parse_args(argc, argv);
	host_test_require_emulation();
	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) || !(c & (1u << 4))) {
		printf("SKIP: this host has no protection keys (CPUID.7.0:ECX.OSPKE clear): "
		       "softsgx runs with enclave isolation off here (tests/vm/ runs this test in "
		       "a QEMU guest that has them)\n");
		return SKIP_EXIT;
	}
	return cmocka_run_group_tests(tests, host_encl_setup, host_encl_teardown);
}
