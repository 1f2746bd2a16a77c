/* SPDX-License-Identifier: MIT */
/*
 * sgx-ocall ENCLAVE.sgxs ENCLAVE.sig [COUNT]: the host side of ocall_encl.S.  Two threads,
 * each with its own TCS, start an OCALL loop in the enclave and answer every OCALL
 * (response = 2 * request) by entering the enclave again with OCALL_OP_RETURN, until the
 * enclave reports it is done; the sum it computed from the answers is checked.  Only the
 * upstream driver interface and the vDSO are used (runs unmodified on SGX hardware).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ocall_ops.h"
#include "sgx_loader.h"

#define NR_THREADS 2

static struct encl encl;
static vdso_sgx_enter_enclave_t enter;
static uint64_t count = 2000;

struct worker {
	pthread_t thread;
	int tcs;
	uint64_t ocalls;
	int ok;
};

static int ecall(int tcs, struct ocall_op *op)
{
	struct sgx_enclave_run run;
	struct encl_call c = {.rdi = (uint64_t)(uintptr_t)op, .function = 2, .run = &run};

	memset(&run, 0, sizeof(run));
	run.tcs = (uint64_t)(uintptr_t)encl_addr(&encl, 4096ull * tcs);
	return encl_vdso_call(enter, &c) || run.function != 4;
}

static void *worker(void *arg)
{
	struct worker *w = arg;
	struct ocall_op op = {.type = OCALL_OP_LOOP, .count = count};
	uint64_t expected = 0;

	for (uint64_t i = 0; i < count; i++)
		expected += 2 * (3 * i + 1);
	if (ecall(w->tcs, &op))
		return NULL;
	while (op.state == OCALL_STATE_PENDING) {
		/* The OCALL itself: the host's work for the enclave. */
		op.response = 2 * op.request;
		op.state = 0;
		op.type = OCALL_OP_RETURN;
		w->ocalls++;
		if (ecall(w->tcs, &op))
			return NULL;
	}
	w->ok = op.state == OCALL_STATE_DONE && op.sum == expected && w->ocalls == count;
	return NULL;
}

int main(int argc, char **argv)
{
	struct worker w[NR_THREADS];
	char msg[256];
	int bad = 0;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: sgx-ocall ENCLAVE.sgxs ENCLAVE.sig [COUNT]\n");
		return 2;
	}
	if (argc == 4)
		count = strtoull(argv[3], NULL, 0);
	enter = vdso_find_by_dynamic();
	if (!enter || encl_load(&encl, argv[1], argv[2], msg, sizeof(msg)) ||
	    encl_build(&encl, msg, sizeof(msg))) {
		fprintf(stderr, "sgx-ocall: %s\n", enter ? msg : "no __vdso_sgx_enter_enclave");
		return 1;
	}
	for (int i = 0; i < NR_THREADS; i++) {
		w[i] = (struct worker){.tcs = i};
		pthread_create(&w[i].thread, NULL, worker, &w[i]);
	}
	for (int i = 0; i < NR_THREADS; i++) {
		pthread_join(w[i].thread, NULL);
		printf("%s: thread %d, TCS %d: %llu OCALLs answered, the enclave's sum checks\n",
		       w[i].ok ? "ok" : "FAILED", i, w[i].tcs, (unsigned long long)w[i].ocalls);
		bad |= !w[i].ok;
	}
	encl_delete(&encl);
	return bad;
}
