/* SPDX-License-Identifier: MIT */
/*
 * The EINIT matrix through SGX_IOC_ENCLAVE_INIT: each SIGSTRUCT or enclave defect gives the
 * documented errno, the SGX code EINIT returned appears by name in the driver log, and a
 * failed INIT leaves the enclave uninitialized (a correct SIGSTRUCT still succeeds after).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <fcntl.h>

#include "softsgx/sigstruct.h"

#include "drvtest.h"

#define ESIZE  0x8000ull
#define REG(p) (SGX_SECINFO_TYPE(SGX_PT_REG) | (p))

struct einit_case {
	const char *name;
	uint64_t secs_attributes; /* beyond MODE64BIT */
	bool provision;		  /* PROVISION before INIT */
	void (*edit)(struct sgx_sigstruct *s, const uint8_t mrenclave[32]);
	int expect;	  /* errno, 0 for success */
	const char *code; /* SGX code name expected in the log, NULL: none */
};

static void sign_plain(struct sgx_sigstruct *s, const uint8_t mr[32])
{
	dt_sign(s, mr, SGX_ATTR_MODE64BIT, ~0ull, SGX_XFRM_LEGACY);
}

static void bad_signature(struct sgx_sigstruct *s, const uint8_t mr[32])
{
	sign_plain(s, mr);
	s->signature[17] ^= 0x40;
}

static void wrong_enclavehash(struct sgx_sigstruct *s, const uint8_t mr[32])
{
	uint8_t other[32];

	memcpy(other, mr, 32);
	other[0] ^= 1;
	sign_plain(s, other);
}

/* SIGSTRUCT wants DEBUG under its mask; the SECS has no DEBUG. */
static void attribute_mismatch(struct sgx_sigstruct *s, const uint8_t mr[32])
{
	dt_sign(s, mr, SGX_ATTR_MODE64BIT | SGX_ATTR_DEBUG, ~0ull, SGX_XFRM_LEGACY);
}

/* The same difference outside the mask is ignored. */
static void attribute_mismatch_unmasked(struct sgx_sigstruct *s, const uint8_t mr[32])
{
	dt_sign(s, mr, SGX_ATTR_MODE64BIT | SGX_ATTR_DEBUG, ~SGX_ATTR_DEBUG, SGX_XFRM_LEGACY);
}

static void unknown_vendor(struct sgx_sigstruct *s, const uint8_t mr[32])
{
	/* The driver refuses it before EINIT looks at the signature. */
	sign_plain(s, mr);
	s->header.vendor = 0x1022;
}

static void intel_vendor(struct sgx_sigstruct *s, const uint8_t mr[32])
{
	sign_plain(s, mr);
	s->header.vendor = SGX_SIGSTRUCT_VENDOR_INTEL;
	dt_resign(s);
}

static void debug_sig(struct sgx_sigstruct *s, const uint8_t mr[32])
{
	dt_sign(s, mr, SGX_ATTR_MODE64BIT | SGX_ATTR_DEBUG, ~0ull, SGX_XFRM_LEGACY);
}

static void provision_sig(struct sgx_sigstruct *s, const uint8_t mr[32])
{
	dt_sign(s, mr, SGX_ATTR_MODE64BIT | SGX_ATTR_PROVISIONKEY, ~0ull, SGX_XFRM_LEGACY);
}

static const struct einit_case cases[] = {
    {"einit_bad_signature_is_eperm_invalid_signature", 0, false, bad_signature, EPERM,
     "SGX_INVALID_SIGNATURE"},
    {"einit_wrong_enclavehash_is_eperm_invalid_measurement", 0, false, wrong_enclavehash, EPERM,
     "SGX_INVALID_MEASUREMENT"},
    {"einit_attribute_mismatch_under_mask_is_eperm_invalid_attribute", 0, false, attribute_mismatch,
     EPERM, "SGX_INVALID_ATTRIBUTE"},
    {"einit_attribute_difference_outside_mask_succeeds", 0, false, attribute_mismatch_unmasked, 0,
     NULL},
    {"einit_unknown_vendor_is_einval", 0, false, unknown_vendor, EINVAL, NULL},
    {"einit_intel_vendor_succeeds", 0, false, intel_vendor, 0, NULL},
    {"einit_provisionkey_without_provision_is_eacces", SGX_ATTR_PROVISIONKEY, false, provision_sig,
     EACCES, NULL},
    {"einit_provisionkey_after_provision_succeeds", SGX_ATTR_PROVISIONKEY, true, provision_sig, 0,
     NULL},
    {"einit_einittokenkey_is_eacces", SGX_ATTR_EINITTOKENKEY, true, sign_plain, EACCES, NULL},
    {"einit_debug_enclave_succeeds", SGX_ATTR_DEBUG, false, debug_sig, 0, NULL},
};

static void run_case(const struct einit_case *tc)
{
	struct dt *d = calloc(1, sizeof(*d));
	struct sgx_sigstruct *s = calloc(1, sizeof(*s)), *good = calloc(1, sizeof(*good));
	struct sgxk_enclave_info info;
	struct dt_encl e;
	long ret;

	dt_init(d, 16ull << 20, true);
	dt_encl_build(d, &e, ESIZE, tc->secs_attributes);
	dt_encl_add(d, &e, 0, 1, SGX_SECINFO_TYPE(SGX_PT_TCS), true);
	dt_encl_add(d, &e, 0x1000, 2, REG(SGX_SECINFO_R | SGX_SECINFO_X), true);
	dt_encl_finish_measure(&e);
	if (tc->provision) {
		struct sgxk_file *p = NULL;
		struct sgx_enclave_provision pa;

		assert_int_equal(sgxk_open(d->k, SGXK_DEV_PROVISION, O_RDONLY, &p), 0);
		pa.fd = (uint64_t)dt_fd_of(d, p);
		assert_int_equal(
		    sgxk_ioctl(d->k, e.f, SGX_IOC_ENCLAVE_PROVISION, (unsigned long)&pa), 0);
	}
	tc->edit(s, e.mrenclave);
	ret = dt_init_encl(d, e.f, s);
	if (ret != -tc->expect)
		fail_msg("%s: INIT gave %ld, want %d (log: %s)", tc->name, ret, -tc->expect,
			 d->nr_log ? d->log[0] : "empty");
	if (tc->code && !dt_log_has(d, tc->code))
		fail_msg("%s: the log does not name %s (log: %s)", tc->name, tc->code,
			 d->nr_log ? d->log[0] : "empty");
	assert_int_equal(sgxk_enclave_info(e.f, &info), 0);
	assert_int_equal(info.initialized, tc->expect == 0);
	assert_int_equal(info.debug, (tc->secs_attributes & SGX_ATTR_DEBUG) != 0);
	if (tc->expect == EPERM) {
		/* EINIT failing with a code leaves the enclave ready for a correct SIGSTRUCT. */
		sign_plain(good, e.mrenclave);
		assert_int_equal(dt_init_encl(d, e.f, good), 0);
	}
	dt_encl_free(d, &e);
	for (int i = 0; i < 8; i++)
		if (d->files[i])
			sgxk_file_put(d->k, d->files[i]);
	dt_fini(d);
	free(s);
	free(good);
	free(d);
}

static void test_einit_matrix(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		print_message("[ CASE     ] %s\n", cases[i].name);
		run_case(&cases[i]);
	}
}

/* SGX_UNMASKED_EVENT is retried by the driver, invisibly to the caller. */
static void test_einit_retries_unmasked_event(void **state)
{
	struct dt *d = calloc(1, sizeof(*d));
	struct sgx_sigstruct *s = calloc(1, sizeof(*s));
	struct dt_encl e;

	(void)state;
	dt_init(d, 16ull << 20, true);
	dt_encl_build(d, &e, ESIZE, 0);
	dt_encl_add(d, &e, 0, 1, SGX_SECINFO_TYPE(SGX_PT_TCS), true);
	dt_encl_finish_measure(&e);
	sign_plain(s, e.mrenclave);
	sgx_cpu_inject_unmasked_events(sgxk_cpu(d->k), 3);
	assert_int_equal(dt_init_encl(d, e.f, s), 0);
	dt_encl_free(d, &e);
	dt_fini(d);
	free(s);
	free(d);
}

static volatile sig_atomic_t delivered;

static void on_usr1(int sig)
{
	(void)sig;
	delivered++;
}

static void *kick_later(void *arg)
{
	struct timespec ts = {0, 5 * 1000000L};

	nanosleep(&ts, NULL);
	pthread_kill(*(pthread_t *)arg, SIGUSR1);
	return NULL;
}

/* Unmasked events that do not stop, and a signal: INIT gives up with EINTR, nothing changed. */
static void test_einit_stuck_on_unmasked_events_yields_to_a_signal(void **state)
{
	struct sigaction sa = {.sa_handler = on_usr1};
	struct dt *d = calloc(1, sizeof(*d));
	struct sgx_sigstruct *s = calloc(1, sizeof(*s));
	struct sgxk_enclave_info info;
	pthread_t self = pthread_self(), t;
	struct dt_encl e;

	(void)state;
	sigaction(SIGUSR1, &sa, NULL);
	dt_init(d, 16ull << 20, true);
	dt_encl_build(d, &e, ESIZE, 0);
	dt_encl_add(d, &e, 0, 1, SGX_SECINFO_TYPE(SGX_PT_TCS), true);
	dt_encl_finish_measure(&e);
	sign_plain(s, e.mrenclave);
	sgx_cpu_inject_unmasked_events(sgxk_cpu(d->k), 1000000);
	delivered = 0;
	pthread_create(&t, NULL, kick_later, &self);
	assert_int_equal(dt_init_encl(d, e.f, s), -EINTR);
	pthread_join(t, NULL);
	assert_int_equal(delivered, 1);
	assert_int_equal(sgxk_enclave_info(e.f, &info), 0);
	assert_false(info.initialized);
	assert_false(dt_log_has(d, "EINIT"));
	sgx_cpu_inject_unmasked_events(sgxk_cpu(d->k), 0);
	assert_int_equal(dt_init_encl(d, e.f, s), 0);
	dt_encl_free(d, &e);
	dt_fini(d);
	free(s);
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_einit_matrix),
	    cmocka_unit_test(test_einit_retries_unmasked_event),
	    cmocka_unit_test(test_einit_stuck_on_unmasked_events_yields_to_a_signal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
