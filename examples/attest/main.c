/* SPDX-License-Identifier: MIT */
/*
 * sgx-attest ENCLAVE.sgxs ENCLAVE.sig: local attestation and sealing with the example enclave,
 * through the Linux SGX driver and the vDSO only (runs unmodified on SGX hardware).
 *
 * Two instances of the enclave, A and B.  B's TARGETINFO comes from a report B makes for
 * itself; A makes a REPORT for B; B derives its REPORT key with EGETKEY and the MAC over the
 * report body must verify.  A report for another target, or a changed body, must not.  (B hands
 * its report key to this host program only so that the example can check the CMAC with
 * OpenSSL; a real enclave verifies inside.)  Then the SEAL keys for the MRENCLAVE and MRSIGNER
 * policies are printed: they stay the same across runs on one platform (state_dir) and differ
 * between platforms, which tests/host/seal_across_runs.sh checks.
 */
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "../enclave/encl_ops.h"
#include "sgx_loader.h"

/* REPORT and TARGETINFO offsets (Intel SDM; sgx-architecture.md). */
#define REPORT_CPUSVN	  0
#define REPORT_MISCSELECT 16
#define REPORT_ATTRIBUTES 48
#define REPORT_MRENCLAVE  64
#define REPORT_CONFIGID	  192
#define REPORT_ISVSVN	  258
#define REPORT_CONFIGSVN  260
#define REPORT_REPORTDATA 320
#define REPORT_KEYID	  384
#define REPORT_MAC	  416
#define TI_ATTRIBUTES	  32
#define TI_CONFIGSVN	  50
#define TI_MISCSELECT	  52
#define TI_CONFIGID	  64
#define KEYNAME_REPORT	  3
#define KEYNAME_SEAL	  4
#define POLICY_MRENCLAVE  1
#define POLICY_MRSIGNER	  2

static vdso_sgx_enter_enclave_t enter;

static int ecall(struct encl *e, void *op)
{
	struct sgx_enclave_run run;
	struct encl_call c = {.rdi = (uint64_t)(uintptr_t)op, .function = 2, .run = &run};

	memset(&run, 0, sizeof(run));
	run.tcs = (uint64_t)(uintptr_t)encl_addr(e, 0);
	if (encl_vdso_call(enter, &c) || run.function != 4) {
		fprintf(stderr, "sgx-attest: ECALL failed: function %u vector %u\n", run.function,
			run.exception_vector);
		return -1;
	}
	return 0;
}

static int report(struct encl *e, const uint8_t ti[512], const char *data, uint8_t out[432])
{
	static struct encl_op_report op;

	memset(&op, 0, sizeof(op));
	op.header.type = ENCL_OP_EREPORT;
	memcpy(op.targetinfo, ti, 512);
	memcpy(op.reportdata, data, strnlen(data, sizeof(op.reportdata)));
	if (ecall(e, &op))
		return -1;
	memcpy(out, op.report, 432);
	return 0;
}

static int getkey(struct encl *e, uint16_t name, uint16_t policy, const uint8_t rep[432],
		  uint8_t key[16])
{
	static struct encl_op_get_key op;

	memset(&op, 0, sizeof(op));
	op.header.type = ENCL_OP_EGETKEY;
	memcpy(op.keyrequest, &name, 2);
	memcpy(op.keyrequest + 2, &policy, 2);
	memcpy(op.keyrequest + 4, rep + REPORT_ISVSVN, 2);  /* ISVSVN */
	memcpy(op.keyrequest + 8, rep + REPORT_CPUSVN, 16); /* CPUSVN */
	memset(op.keyrequest + 24, 0xff, 8);		    /* ATTRIBUTEMASK.FLAGS */
	if (name == KEYNAME_REPORT)
		memcpy(op.keyrequest + 40, rep + REPORT_KEYID, 32); /* KEYID */
	if (ecall(e, &op))
		return -1;
	if (op.status) {
		fprintf(stderr, "sgx-attest: EGETKEY returned SGX error %llu\n",
			(unsigned long long)op.status);
		return -1;
	}
	memcpy(key, op.key, 16);
	return 0;
}

static int cmac(const uint8_t key[16], const uint8_t *data, size_t len, uint8_t mac[16])
{
	OSSL_PARAM params[] = {
	    OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, "AES-128-CBC", 0),
	    OSSL_PARAM_construct_end(),
	};
	EVP_MAC *m = EVP_MAC_fetch(NULL, "CMAC", NULL);
	EVP_MAC_CTX *ctx = m ? EVP_MAC_CTX_new(m) : NULL;
	size_t n = 0;
	int ok = ctx && EVP_MAC_init(ctx, key, 16, params) && EVP_MAC_update(ctx, data, len) &&
		 EVP_MAC_final(ctx, mac, &n, 16) && n == 16;

	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(m);
	return ok ? 0 : -1;
}

/* Whether B's REPORT key verifies @rep's MAC. */
static int verifies(struct encl *b, const uint8_t rep[432])
{
	uint8_t key[16], mac[16];

	if (getkey(b, KEYNAME_REPORT, 0, rep, key) || cmac(key, rep, 384, mac))
		return -1;
	return !memcmp(mac, rep + REPORT_MAC, 16);
}

static void targetinfo_from(const uint8_t rep[432], uint8_t ti[512])
{
	memset(ti, 0, 512);
	memcpy(ti, rep + REPORT_MRENCLAVE, 32);
	memcpy(ti + TI_ATTRIBUTES, rep + REPORT_ATTRIBUTES, 16);
	memcpy(ti + TI_CONFIGSVN, rep + REPORT_CONFIGSVN, 2);
	memcpy(ti + TI_MISCSELECT, rep + REPORT_MISCSELECT, 4);
	memcpy(ti + TI_CONFIGID, rep + REPORT_CONFIGID, 64);
}

static void print_hex(const char *label, const uint8_t *p, size_t n)
{
	printf("%s ", label);
	for (size_t i = 0; i < n; i++)
		printf("%02x", p[i]);
	printf("\n");
}

static int check(int ok, const char *what)
{
	printf("%s: %s\n", ok ? "ok" : "FAILED", what);
	return ok ? 0 : 1;
}

static int attest(struct encl *a, struct encl *b)
{
	uint8_t zero_ti[512] = {0}, self[432], ti[512], rep[432], other_ti[512], k1[16], k2[16],
		k3[16];
	int bad = 0;

	if (report(b, zero_ti, "B, for itself", self))
		return 1;
	targetinfo_from(self, ti);
	if (report(a, ti, "A, for B", rep))
		return 1;
	bad |= check(!memcmp(rep + REPORT_REPORTDATA, "A, for B", 8), "REPORTDATA carried");
	bad |= check(verifies(b, rep) == 1, "B verifies A's report with its REPORT key");
	rep[REPORT_REPORTDATA] ^= 1;
	bad |= check(verifies(b, rep) == 0, "a changed report body does not verify");
	memcpy(other_ti, ti, 512);
	other_ti[0] ^= 0xff; /* another MRENCLAVE */
	if (report(a, other_ti, "A, for someone else", rep))
		return 1;
	bad |= check(verifies(b, rep) == 0, "a report for another target does not verify at B");

	if (getkey(a, KEYNAME_SEAL, POLICY_MRENCLAVE, self, k1) ||
	    getkey(b, KEYNAME_SEAL, POLICY_MRENCLAVE, self, k2) ||
	    getkey(a, KEYNAME_SEAL, POLICY_MRSIGNER, self, k3))
		return 1;
	bad |= check(!memcmp(k1, k2, 16), "both instances derive the same MRENCLAVE seal key");
	bad |= check(memcmp(k1, k3, 16) != 0, "MRENCLAVE and MRSIGNER seal keys differ");
	print_hex("seal-mrenclave", k1, 16);
	print_hex("seal-mrsigner", k3, 16);
	return bad;
}

int main(int argc, char **argv)
{
	struct encl a, b;
	char msg[256];
	int bad;

	if (argc != 3) {
		fprintf(stderr, "usage: sgx-attest ENCLAVE.sgxs ENCLAVE.sig\n");
		return 2;
	}
	enter = vdso_find_by_dynamic();
	if (!enter) {
		fprintf(stderr, "sgx-attest: no __vdso_sgx_enter_enclave in the vDSO\n");
		return 1;
	}
	if (encl_load(&a, argv[1], argv[2], msg, sizeof(msg)) || encl_build(&a, msg, sizeof(msg)) ||
	    encl_load(&b, argv[1], argv[2], msg, sizeof(msg)) || encl_build(&b, msg, sizeof(msg))) {
		fprintf(stderr, "sgx-attest: %s\n", msg);
		return 1;
	}
	bad = attest(&a, &b);
	encl_delete(&a);
	encl_delete(&b);
	return bad;
}
