/* SPDX-License-Identifier: MIT */
/*
 * A program's signal handler may call into an enclave whose code then faults and is resumed,
 * as software written for SGX hardware does (ECALLs from SIGALRM/SIGUSR1 handlers, nested
 * ECALLs): on hardware an AEX switches to the untrusted stack saved at EENTER and the kernel
 * delivers the fault there.  Here the handlers run on the host layer's alternate signal stack,
 * and a fault of enclave code (RSP on the enclave's stack, not on the alternate stack) is
 * delivered at the top of whatever alternate stack is armed: that must never be one that still
 * holds the frames of the handler that entered the enclave.
 *
 * Each case checks what the enclave did (the value written after the resumed fault is read
 * back through the other TCS) and how often the fault was seen; a frame overwritten by the
 * nested fault crashes the program or returns into the wrong place, and fails the test.
 *
 * - the signal arrives while the thread is outside any enclave (raise), with the program's
 *   handler on no stack of its own, and with SA_ONSTACK on the program's own sigaltstack;
 * - the handler enters with raw ENCLU (Gramine's way): the fault reaches the program's SIGSEGV
 *   handler at the AEP, one level deeper;
 * - a thread whose first ENCLU is made by a signal handler, then ECALLs normally, and one
 *   whose first ENCLU is a raw EENTER from ordinary code;
 * - the signal interrupts enclave code (the enclave reads untrusted memory that userfaultfd
 *   holds back, so the thread sits in enclave mode until the test lets it go), the handler
 *   makes nested ECALLs through the other TCS, and one of them is interrupted the same way by
 *   SIGALRM, whose handler enters a second enclave: three levels of handlers at once.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../examples/enclave/encl_ops.h"
#include "host_test.h"

#define X86_TRAP_PF   14
#define WAIT_SECONDS  10
#define OWN_STACKSIZE (256 * 1024)

struct host_test_args host_test_args;
static vdso_sgx_enter_enclave_t enter;
static struct encl encl, encl2; /* the second one: two more TCSs for the third level */
static uint64_t buffer_off;	/* encl_buffer's offset in the enclave */

/* raw_enclu.S of examples/loader-raw: EENTER with a raw ENCLU whose AEP is itself. */
void raw_eenter(void *tcs, void *op);
extern const char raw_aep[];

static void *buffer_page(struct encl *e)
{
	return (void *)((uintptr_t)encl_addr(e, buffer_off) & ~(uintptr_t)4095);
}

/* ---- ECALLs whose enclave code faults on a read-only page and is resumed ---- */

static volatile sig_atomic_t pf_seen; /* #PF reported by the vDSO or at the raw AEP */

/* The vDSO's user handler: make the faulting page writable and resume the enclave. */
static int resume_on_pf(long rdi, long rsi, long rdx, long rsp, long r8, long r9,
			struct sgx_enclave_run *run)
{
	(void)rdi, (void)rsi, (void)rdx, (void)rsp, (void)r8, (void)r9;
	if (run->function != ERESUME)
		return 0;
	if (run->exception_vector != X86_TRAP_PF)
		return -1;
	pf_seen++;
	if (mprotect((void *)(uintptr_t)run->exception_addr, 4096, PROT_READ | PROT_WRITE))
		return -2;
	return ERESUME;
}

static int vdso_ecall(struct encl *e, int tcs, void *op)
{
	struct sgx_enclave_run run;
	struct encl_call c = {.rdi = (uint64_t)(uintptr_t)op, .function = EENTER, .run = &run};

	memset(&run, 0, sizeof(run));
	run.tcs = (uint64_t)(uintptr_t)encl_addr(e, 4096ull * tcs);
	run.user_handler = (uint64_t)(uintptr_t)resume_on_pf;
	if (encl_vdso_call(enter, &c))
		return -1;
	return run.function == EEXIT ? 0 : -1;
}

/* The program's SIGSEGV handler for raw ENCLU: the enclave's #PF arrives at the AEP. */
static void raw_on_segv(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;

	if (uc->uc_mcontext.gregs[REG_RIP] != (greg_t)raw_aep ||
	    mprotect((void *)((uintptr_t)si->si_addr & ~(uintptr_t)4095), 4096,
		     PROT_READ | PROT_WRITE)) {
		signal(sig, SIG_DFL);
		return; /* not the enclave's fault: take it again, fatally */
	}
	pf_seen++;
}

static int raw_ecall(struct encl *e, int tcs, void *op)
{
	raw_eenter(encl_addr(e, 4096ull * tcs), op);
	return 0;
}

typedef int (*ecall_fn)(struct encl *e, int tcs, void *op);

/*
 * Write @value into the enclave's buffer through @put_tcs with the buffer read-only (the
 * enclave faults, the page is made writable, the enclave resumes), read it back through
 * @get_tcs: 0 when the value came back and exactly one fault was seen, else which step failed.
 */
static int fault_and_resume(ecall_fn ecall, struct encl *e, int put_tcs, int get_tcs,
			    uint64_t value)
{
	struct encl_op_put_to_buf put = {{ENCL_OP_PUT_TO_BUFFER}, value};
	struct encl_op_get_from_buf get = {{ENCL_OP_GET_FROM_BUFFER}, 0};
	sig_atomic_t before = pf_seen;

	if (mprotect(buffer_page(e), 4096, PROT_READ))
		return 1;
	if (ecall(e, put_tcs, &put))
		return 2;
	if (pf_seen != before + 1)
		return 3;
	if (ecall(e, get_tcs, &get))
		return 4;
	return get.value == value ? 0 : 5;
}

/* ---- a signal raised outside any enclave ---- */

static struct {
	ecall_fn ecall;
	volatile sig_atomic_t calls, result;
	stack_t own; /* the program's own sigaltstack, when it set one */
	volatile sig_atomic_t on_own_reported;
} h;

static void ecall_in_handler(int sig)
{
	stack_t cur;

	(void)sig;
	h.calls++;
	/* The program's sigaltstack() still reads back what it set. */
	if (h.own.ss_sp)
		h.on_own_reported = !sigaltstack(NULL, &cur) && cur.ss_sp == h.own.ss_sp &&
				    cur.ss_size == h.own.ss_size;
	h.result = fault_and_resume(h.ecall, &encl, 0, 1, 0x5100 + (uint64_t)h.calls);
}

struct outside_case {
	const char *name;
	int sig;
	int flags;
	bool own_altstack;
	ecall_fn ecall;
};

static void run_outside_case(const struct outside_case *c)
{
	struct sigaction sa = {.sa_handler = ecall_in_handler, .sa_flags = c->flags};
	struct sigaction segv = {.sa_sigaction = raw_on_segv, .sa_flags = SA_SIGINFO};
	stack_t off = {.ss_flags = SS_DISABLE};

	print_message("%s\n", c->name);
	memset(&h, 0, sizeof(h));
	h.ecall = c->ecall;
	if (c->own_altstack) {
		h.own.ss_sp = malloc(OWN_STACKSIZE);
		h.own.ss_size = OWN_STACKSIZE;
		assert_non_null(h.own.ss_sp);
		assert_int_equal(sigaltstack(&h.own, NULL), 0);
	}
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(c->sig, &sa, NULL), 0);
	assert_int_equal(sigaction(SIGSEGV, &segv, NULL), 0);
	/* Twice: the second time finds the alternate stacks as the first left them. */
	for (int i = 0; i < 2; i++) {
		assert_int_equal(raise(c->sig), 0);
		if (h.result)
			fail_msg("%s: step %d of the handler's ECALLs failed", c->name, h.result);
	}
	assert_int_equal(h.calls, 2);
	if (c->own_altstack) {
		assert_true(h.on_own_reported);
		assert_int_equal(sigaltstack(&off, NULL), 0);
		free(h.own.ss_sp);
	}
	/* Ordinary code still enters and leaves, faults included. */
	assert_int_equal(fault_and_resume(c->ecall, &encl, 1, 0, 0x600d), 0);
	signal(c->sig, SIG_DFL);
	signal(SIGSEGV, SIG_DFL);
}

static void
ecall_from_handler_of_a_signal_raised_outside_the_enclave_faults_and_resumes(void **state)
{
	static const struct outside_case cases[] = {
	    {"SIGUSR1, vDSO", SIGUSR1, 0, false, vdso_ecall},
	    {"SIGALRM, vDSO, SA_ONSTACK on the program's sigaltstack", SIGALRM, SA_ONSTACK, true,
	     vdso_ecall},
	    {"SIGUSR1, raw ENCLU", SIGUSR1, 0, false, raw_ecall},
	    {"SIGALRM, raw ENCLU, SA_ONSTACK on the program's sigaltstack", SIGALRM, SA_ONSTACK,
	     true, raw_ecall},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_outside_case(&cases[i]);
}

/* ---- a thread whose first ENCLU is made by a signal handler, or by ordinary code ---- */

struct first_enclu_case {
	const char *name;
	ecall_fn ecall;
	bool in_handler;
};

static void *first_enclu(void *arg)
{
	const struct first_enclu_case *c = arg;
	struct sigaction sa = {.sa_handler = ecall_in_handler};
	long failed;

	sigemptyset(&sa.sa_mask);
	h.ecall = c->ecall;
	if (c->in_handler) {
		if (sigaction(SIGUSR1, &sa, NULL) || raise(SIGUSR1) || h.calls != 1)
			return (void *)100l;
		if (h.result)
			return (void *)(long)h.result;
	}
	/* The state lives on: ENCLU from ordinary code, a fault, the alternate stack ours. */
	for (int i = 0; i < 2; i++) {
		failed = fault_and_resume(c->ecall, &encl, 1, 0, 0x7777 + (uint64_t)i);
		if (failed)
			return (void *)(200 + failed);
	}
	return NULL;
}

static void thread_whose_first_enclu_is_in_a_handler_or_raw_keeps_working(void **state)
{
	static const struct first_enclu_case cases[] = {
	    {"vDSO in a handler", vdso_ecall, true},
	    {"raw ENCLU in a handler", raw_ecall, true},
	    /* The raw EENTER's trap is the first handler: its sigreturn used to disarm ours. */
	    {"raw ENCLU from ordinary code", raw_ecall, false},
	};
	struct sigaction segv = {.sa_sigaction = raw_on_segv, .sa_flags = SA_SIGINFO};

	(void)state;
	assert_int_equal(sigaction(SIGSEGV, &segv, NULL), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pthread_t thread;
		void *failed;

		print_message("%s\n", cases[i].name);
		memset(&h, 0, sizeof(h));
		assert_int_equal(pthread_create(&thread, NULL, first_enclu, (void *)&cases[i]), 0);
		assert_int_equal(pthread_join(thread, &failed), 0);
		if (failed)
			fail_msg("%s: step %ld failed", cases[i].name, (long)failed);
	}
	signal(SIGUSR1, SIG_DFL);
	signal(SIGSEGV, SIG_DFL);
}

/* ---- signals interrupting enclave code, three levels deep ---- */

/*
 * Two untrusted pages registered with userfaultfd: an enclave reading one stays in enclave
 * mode (the thread waits in the kernel with RIP and RSP the enclave's) until the page is
 * supplied, and a signal sent meanwhile interrupts the enclave code.
 */
static struct {
	int uffd;
	uint8_t *pages;
	pthread_t main;
	volatile sig_atomic_t level1_result, level2_result, level1_done, level2_done;
	volatile sig_atomic_t level1_calls, level2_calls;
	long failed; /* the helper's own failure */
} u;

static int wait_fault(uint64_t addr)
{
	struct pollfd p = {.fd = u.uffd, .events = POLLIN};
	struct uffd_msg msg;

	if (poll(&p, 1, WAIT_SECONDS * 1000) != 1 || read(u.uffd, &msg, sizeof(msg)) != sizeof(msg))
		return -1;
	return msg.event == UFFD_EVENT_PAGEFAULT && (msg.arg.pagefault.address & ~4095ull) == addr
		   ? 0
		   : -1;
}

static int wait_flag(volatile sig_atomic_t *flag)
{
	for (int i = 0; i < WAIT_SECONDS * 1000 && !*flag; i++)
		usleep(1000);
	return *flag ? 0 : -1;
}

static int supply(uint8_t *page, uint8_t fill)
{
	static uint8_t src[4096];
	struct uffdio_copy copy = {
	    .dst = (uint64_t)(uintptr_t)page, .src = (uint64_t)(uintptr_t)src, .len = 4096};

	memset(src, fill, sizeof(src));
	return ioctl(u.uffd, UFFDIO_COPY, &copy);
}

/* The thread that holds the pages back and sends the signals while the enclave waits. */
static void *interrupter(void *arg)
{
	uint8_t *p0 = u.pages, *p1 = u.pages + 4096;

	(void)arg;
	if (wait_fault((uintptr_t)p0))
		u.failed = 1;
	else if (pthread_kill(u.main, SIGUSR1))
		u.failed = 2;
	else if (wait_fault((uintptr_t)p1))
		u.failed = 3;
	else if (pthread_kill(u.main, SIGALRM))
		u.failed = 4;
	else if (wait_flag(&u.level2_done))
		u.failed = 5;
	/* Whatever happened, let the enclave reads complete. */
	supply(p1, 0x11);
	if (!u.failed && wait_flag(&u.level1_done))
		u.failed = 6;
	supply(p0, 0x22);
	return NULL;
}

/* SIGALRM, interrupting the enclave code that SIGUSR1's handler entered: the other enclave. */
static void level2(int sig)
{
	(void)sig;
	u.level2_calls++;
	u.level2_result = fault_and_resume(vdso_ecall, &encl2, 0, 1, 0x2222);
	u.level2_done = 1;
}

/* SIGUSR1, interrupting the main thread's enclave code (TCS 0 is in its AEX): TCS 1. */
static void level1(int sig)
{
	struct encl_op_get_from_addr get = {
	    {ENCL_OP_GET_FROM_ADDRESS}, 0, (uint64_t)(uintptr_t)(u.pages + 4096)};

	(void)sig;
	u.level1_calls++;
	u.level1_result = fault_and_resume(vdso_ecall, &encl, 1, 1, 0x1111);
	/* This read waits for the helper, which sends SIGALRM meanwhile. */
	if (!u.level1_result && vdso_ecall(&encl, 1, &get))
		u.level1_result = 10;
	if (!u.level1_result && get.value != 0x1111111111111111ull)
		u.level1_result = 11;
	if (!u.level1_result)
		u.level1_result = fault_and_resume(vdso_ecall, &encl, 1, 1, 0x1112);
	u.level1_done = 1;
}

static int uffd_open(char *why, size_t len)
{
	struct uffdio_api api = {.api = UFFD_API};
	struct uffdio_register reg;

	u.uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC);
	if (u.uffd < 0) {
		snprintf(why, len, "userfaultfd: %s", strerror(errno));
		return -1;
	}
	if (ioctl(u.uffd, UFFDIO_API, &api)) {
		snprintf(why, len, "UFFDIO_API: %s", strerror(errno));
		close(u.uffd);
		return -1;
	}
	u.pages = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(u.pages != MAP_FAILED);
	reg = (struct uffdio_register){.range = {(uint64_t)(uintptr_t)u.pages, 2 * 4096},
				       .mode = UFFDIO_REGISTER_MODE_MISSING};
	if (ioctl(u.uffd, UFFDIO_REGISTER, &reg)) {
		snprintf(why, len, "UFFDIO_REGISTER: %s", strerror(errno));
		munmap(u.pages, 2 * 4096);
		close(u.uffd);
		return -1;
	}
	return 0;
}

static void nested_ecalls_from_handlers_interrupting_enclave_code(void **state)
{
	struct encl_op_get_from_addr get = {{ENCL_OP_GET_FROM_ADDRESS}, 0, 0};
	pthread_t thread;
	char why[128];

	(void)state;
	memset(&u, 0, sizeof(u));
	if (uffd_open(why, sizeof(why))) {
		print_message("skip: no userfaultfd to hold the enclave in enclave mode (%s)\n",
			      why);
		skip();
	}
	u.main = pthread_self();
	get.addr = (uint64_t)(uintptr_t)u.pages;
	signal(SIGUSR1, level1);
	signal(SIGALRM, level2);
	assert_int_equal(pthread_create(&thread, NULL, interrupter, NULL), 0);
	/* The enclave reads the first page: SIGUSR1 comes while it waits for it. */
	assert_int_equal(vdso_ecall(&encl, 0, &get), 0);
	assert_int_equal(pthread_join(thread, NULL), 0);
	signal(SIGUSR1, SIG_DFL);
	signal(SIGALRM, SIG_DFL);
	munmap(u.pages, 2 * 4096);
	close(u.uffd);
	assert_int_equal(u.failed, 0);
	assert_int_equal(u.level1_calls, 1);
	assert_int_equal(u.level2_calls, 1);
	assert_int_equal(u.level1_result, 0);
	assert_int_equal(u.level2_result, 0);
	/* The interrupted read completed with the page supplied last. */
	assert_int_equal(get.value, 0x2222222222222222ull);
	/* Both enclaves still work from ordinary code. */
	assert_int_equal(fault_and_resume(vdso_ecall, &encl, 0, 1, 0x3333), 0);
	assert_int_equal(fault_and_resume(vdso_ecall, &encl2, 1, 0, 0x4444), 0);
}

static int open_enclave(struct encl *e)
{
	char msg[256];

	if (encl_load(e, host_test_args.sgxs, host_test_args.sig, msg, sizeof(msg)) ||
	    encl_build(e, msg, sizeof(msg))) {
		fprintf(stderr, "%s\n", msg);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
		ecall_from_handler_of_a_signal_raised_outside_the_enclave_faults_and_resumes),
	    cmocka_unit_test(thread_whose_first_enclu_is_in_a_handler_or_raw_keeps_working),
	    cmocka_unit_test(nested_ecalls_from_handlers_interrupting_enclave_code),
	};
	int64_t off;

	host_test_parse_args(argc, argv);
	host_test_require_emulation();
	enter = vdso_find_by_dynamic();
	off = encl_elf_symbol(host_test_args.elf, "encl_buffer");
	if (!enter || off <= 0 || open_enclave(&encl) || open_enclave(&encl2))
		return 1;
	buffer_off = (uint64_t)off;
	/* One test at a time, by name (glob), when debugging. */
	if (getenv("HANDLER_ECALL_TEST"))
		cmocka_set_test_filter(getenv("HANDLER_ECALL_TEST"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
