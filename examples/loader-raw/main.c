/* SPDX-License-Identifier: MIT */
/*
 * sgx-loader-raw ENCLAVE.sgxs ENCLAVE.sig ENCLAVE.elf: the example loader's enclave, entered
 * with raw ENCLU (no vDSO), the way Gramine's Linux-SGX PAL does.  Exceptions inside the
 * enclave reach this program as signals at the AEP, as the kernel delivers them: it puts and
 * gets a value through every TCS, then makes the enclave page-fault on a read-only data page,
 * sees SIGSEGV at the AEP with the page address, fixes the protection and returns, and the
 * enclave resumes (ERESUME) and finishes.  Runs unmodified on SGX hardware.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

#include "../enclave/encl_ops.h"
#include "sgx_loader.h"

void raw_eenter(void *tcs, void *op);
extern const char raw_aep[];

static struct {
	void *page;
	int faults;
	void *addr;
	long trapno, err;
	int at_aep;
} seen;

static void on_segv(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;

	(void)sig;
	seen.faults++;
	seen.addr = si->si_addr;
	seen.trapno = uc->uc_mcontext.gregs[REG_TRAPNO];
	seen.err = uc->uc_mcontext.gregs[REG_ERR];
	seen.at_aep = uc->uc_mcontext.gregs[REG_RIP] == (greg_t)raw_aep;
	/* Let the enclave write: returning to the AEP resumes it. */
	if (!seen.at_aep || mprotect(seen.page, 4096, PROT_READ | PROT_WRITE))
		_exit(3);
}

static int check(int ok, const char *what)
{
	printf("%s: %s\n", ok ? "ok" : "FAILED", what);
	return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct sigaction sa = {.sa_sigaction = on_segv, .sa_flags = SA_SIGINFO};
	char msg[256];
	struct encl e;
	int64_t buf;
	int bad = 0;

	if (argc != 4) {
		fprintf(stderr, "usage: sgx-loader-raw ENCLAVE.sgxs ENCLAVE.sig ENCLAVE.elf\n");
		return 2;
	}
	buf = encl_elf_symbol(argv[3], "encl_buffer");
	if (buf < 0 || encl_load(&e, argv[1], argv[2], msg, sizeof(msg)) ||
	    encl_build(&e, msg, sizeof(msg))) {
		fprintf(stderr, "sgx-loader-raw: %s\n", buf < 0 ? "no encl_buffer symbol" : msg);
		return 1;
	}
	for (int tcs = 0; tcs < ENCL_NR_TCS; tcs++) {
		struct encl_op_put_to_buf put = {{ENCL_OP_PUT_TO_BUFFER}, 0xabc0 + tcs};
		struct encl_op_get_from_buf get = {{ENCL_OP_GET_FROM_BUFFER}, 0};

		raw_eenter(encl_addr(&e, 4096ull * tcs), &put);
		raw_eenter(encl_addr(&e, 4096ull * ((tcs + 1) % ENCL_NR_TCS)), &get);
		bad |= check(get.value == put.value, "put through one TCS, get through the other");
	}

	struct encl_op_put_to_buf put = {{ENCL_OP_PUT_TO_BUFFER}, 0xfa17};
	struct encl_op_get_from_buf get = {{ENCL_OP_GET_FROM_BUFFER}, 0};

	seen.page = encl_addr(&e, (uint64_t)buf);
	sigaction(SIGSEGV, &sa, NULL);
	mprotect(seen.page, 4096, PROT_READ);
	raw_eenter(encl_addr(&e, 0), &put);
	bad |= check(seen.faults == 1, "one SIGSEGV for the write to the read-only page");
	bad |= check(seen.at_aep, "delivered at the AEP");
	bad |= check(seen.addr == seen.page, "si_addr is the page");
	printf("trap %ld error code %#lx\n", seen.trapno, seen.err);
	bad |= check(seen.trapno == 14 && seen.err == 0x7, "#PF, error code P|W|U");
	raw_eenter(encl_addr(&e, 0), &get);
	bad |= check(get.value == 0xfa17, "the resumed write landed");
	encl_delete(&e);
	return bad;
}
