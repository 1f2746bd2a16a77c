/* SPDX-License-Identifier: MIT */
/*
 * EADD's source staged in the target EPC page itself (the kernel model's fast path, cpu.h):
 * the same page and measurement as from ordinary memory; a source in another EPC page is a
 * #GP.  sgx_encls_eextend_page: the measurement of sixteen EEXTENDs and of the offline
 * measurement, its callback after each chunk, and the leaf's faults.  And sgx_cpu_block_signals: the leaves run inside it leave the caller's blocked mask
 * alone, and the brackets nest and restore the mask from before.
 */
#include <signal.h>

#include "cpu_test_util.h"

static void fill(uint8_t *p, uint8_t seed)
{
	for (unsigned int i = 0; i < SGX_PAGE_SIZE; i++)
		p[i] = (uint8_t)(seed + i * 13 + i / 256);
}

static void count_chunk(void *ctx, unsigned int offset)
{
	unsigned int *next = ctx;

	assert_int_equal(offset, *next);
	*next += 256;
}

/*
 * ECREATE, then EADD + 16 EEXTEND of @data at offset 0x1000, staged in place or not, the
 * EEXTENDs one leaf at a time or through sgx_encls_eextend_page.
 */
static void build_page(struct t_cpu *t, const uint8_t *data, bool in_place, bool whole_page,
		       uint8_t mrenclave[32], uint8_t copy[SGX_PAGE_SIZE])
{
	static uint8_t src[SGX_PAGE_SIZE] __attribute__((aligned(4096)));
	struct sgx_secinfo si __attribute__((aligned(64))) = {.flags = T_REG_RW};
	struct sgx_pageinfo pi __attribute__((aligned(32))) = {0};
	struct sgx_measure m;
	struct sgx_secs secs;
	void *epc_secs;
	uint8_t *page;
	size_t sidx;

	t_secs(&secs);
	assert_int_equal(t_ecreate(t, &secs, &epc_secs), 0);
	page = t_page(t);
	if (in_place) {
		memcpy(page, data, SGX_PAGE_SIZE);
		pi.contents = (uintptr_t)page;
	} else {
		memcpy(src, data, SGX_PAGE_SIZE);
		pi.contents = (uintptr_t)src;
	}
	pi.addr = T_BASE + 0x1000;
	pi.metadata = (uintptr_t)&si;
	pi.secs = (uintptr_t)epc_secs;
	assert_int_equal(sgx_encls_eadd(t->cpu, &pi, page), 0);
	if (whole_page) {
		unsigned int next = 0;

		assert_int_equal(sgx_encls_eextend_page(t->cpu, epc_secs, page, count_chunk, &next),
				 0);
		assert_int_equal(next, SGX_PAGE_SIZE);
	} else {
		for (unsigned int off = 0; off < SGX_PAGE_SIZE; off += 256)
			assert_int_equal(sgx_encls_eextend(t->cpu, epc_secs, page + off), 0);
	}
	memcpy(copy, page, SGX_PAGE_SIZE);
	assert_non_null(sgx_secs_entry(t->cpu, epc_secs, &sidx));
	assert_int_equal(sgx_measure_copy(&m, &t->cpu->epcm[sidx].encl->measure, NULL), 0);
	assert_int_equal(sgx_measure_final(&m, mrenclave), 0);
}

static void build(struct t_cpu *t, const uint8_t *data, bool in_place, uint8_t mrenclave[32],
		  uint8_t copy[SGX_PAGE_SIZE])
{
	build_page(t, data, in_place, false, mrenclave, copy);
}

static void test_eextend_page_measures_as_sixteen_eextends_and_as_offline(void **state)
{
	uint8_t data[SGX_PAGE_SIZE], a[32], b[32], offline[32], page[SGX_PAGE_SIZE];
	struct t_cpu *t1 = t_cpu_new(), *t2 = t_cpu_new();
	struct sgx_secs secs;
	struct sgx_measure m;

	(void)state;
	fill(data, 5);
	build_page(t1, data, true, false, a, page);
	build_page(t2, data, true, true, b, page);
	assert_memory_equal(a, b, 32);
	t_secs(&secs);
	assert_int_equal(sgx_measure_init(&m, NULL), 0);
	assert_int_equal(sgx_measure_ecreate(&m, secs.ssa_frame_size, secs.size), 0);
	assert_int_equal(sgx_measure_eadd(&m, 0x1000, T_REG_RW), 0);
	assert_int_equal(sgx_measure_eextend_page(&m, 0x1000, data), 0);
	assert_int_equal(sgx_measure_final(&m, offline), 0);
	assert_memory_equal(a, offline, 32);
	/* A different byte anywhere in the page is a different measurement. */
	data[4095] ^= 1;
	build_page(t1, data, true, true, b, page);
	assert_memory_not_equal(a, b, 32);
	t_cpu_free(t1);
	t_cpu_free(t2);
}

static void test_eextend_page_faults_as_the_leaf_does(void **state)
{
	struct t_cpu *t = t_cpu_new();
	void *secs, *secs2, *page, *free_page;
	struct sgx_secs params;

	(void)state;
	t_secs(&params);
	assert_int_equal(t_ecreate(t, &params, &secs), 0);
	assert_int_equal(t_ecreate(t, &params, &secs2), 0);
	assert_int_equal(t_eadd_at(t, secs, T_BASE + 0x2000, T_REG_RW, NULL, &page), 0);
	free_page = t_page(t);
	assert_int_equal(sgx_encls_eextend_page(t->cpu, secs, (uint8_t *)page + 256, NULL, NULL),
			 SGX_FAULT_GP);
	assert_int_equal(sgx_encls_eextend_page(t->cpu, secs, free_page, NULL, NULL),
			 SGX_FAULT_PF);
	assert_int_equal(sgx_encls_eextend_page(t->cpu, secs2, page, NULL, NULL), SGX_FAULT_GP);
	assert_int_equal(sgx_encls_eextend_page(t->cpu, page, page, NULL, NULL), SGX_FAULT_PF);
	assert_int_equal(sgx_encls_eextend_page(t->cpu, secs, page, NULL, NULL), 0);
	t_cpu_free(t);
}

static void test_eadd_from_the_target_page_itself_equals_eadd_from_memory(void **state)
{
	uint8_t data[SGX_PAGE_SIZE], a[32], b[32], page_a[SGX_PAGE_SIZE], page_b[SGX_PAGE_SIZE];
	struct t_cpu *t1 = t_cpu_new(), *t2 = t_cpu_new();

	(void)state;
	fill(data, 3);
	build(t1, data, false, a, page_a);
	build(t2, data, true, b, page_b);
	assert_memory_equal(page_a, data, SGX_PAGE_SIZE);
	assert_memory_equal(page_b, data, SGX_PAGE_SIZE);
	assert_memory_equal(a, b, 32);
	t_cpu_free(t1);
	t_cpu_free(t2);
}

static void test_eadd_from_another_epc_page_is_gp_and_adds_nothing(void **state)
{
	struct sgx_secinfo si __attribute__((aligned(64))) = {.flags = T_REG_RW};
	struct sgx_pageinfo pi __attribute__((aligned(32))) = {0};
	struct t_cpu *t = t_cpu_new();
	struct sgx_epcm_view view;
	void *epc_secs, *other, *page;
	struct sgx_secs secs;

	(void)state;
	t_secs(&secs);
	assert_int_equal(t_ecreate(t, &secs, &epc_secs), 0);
	other = t_page(t);
	page = t_page(t);
	fill(other, 9);
	/* A free EPC page and the enclave's own SECS: neither may be a source. */
	for (int i = 0; i < 2; i++) {
		pi.addr = T_BASE + 0x1000;
		pi.contents = (uintptr_t)(i ? epc_secs : other);
		pi.metadata = (uintptr_t)&si;
		pi.secs = (uintptr_t)epc_secs;
		assert_int_equal(sgx_encls_eadd(t->cpu, &pi, page), SGX_FAULT_GP);
		assert_int_equal(sgx_epcm_read(t->cpu, sgx_epc_index(t->cpu, page), &view), 0);
		assert_false(view.valid);
	}
	t_cpu_free(t);
}

static bool mask_equal(const sigset_t *a, const sigset_t *b)
{
	for (int sig = 1; sig < NSIG; sig++)
		if (sigismember(a, sig) != sigismember(b, sig))
			return false;
	return true;
}

static void current_mask(sigset_t *m)
{
	assert_int_equal(pthread_sigmask(SIG_SETMASK, NULL, m), 0);
}

static void test_blocked_signals_bracket_nests_and_restores_the_callers_mask(void **state)
{
	struct t_cpu *t = t_cpu_new();
	sigset_t before, outer, inner, all, now, usr2;
	void *epc_secs, *page;
	struct sgx_secs secs;

	(void)state;
	sigemptyset(&usr2);
	sigaddset(&usr2, SIGUSR2);
	pthread_sigmask(SIG_SETMASK, &usr2, NULL);
	current_mask(&before);
	sgx_cpu_block_signals(&outer);
	assert_true(mask_equal(&outer, &before));
	current_mask(&all);
	assert_int_equal(sigismember(&all, SIGUSR1), 1);
	assert_int_equal(sigismember(&all, SIGINT), 1);

	/* Leaves inside the bracket leave every signal blocked. */
	t_secs(&secs);
	assert_int_equal(t_ecreate(t, &secs, &epc_secs), 0);
	assert_int_equal(t_eadd_at(t, epc_secs, T_BASE, T_REG_RW, NULL, &page), 0);
	current_mask(&now);
	assert_true(mask_equal(&now, &all));

	sgx_cpu_block_signals(&inner);
	assert_true(mask_equal(&inner, &all));
	assert_int_equal(sgx_encls_eremove(t->cpu, page), 0);
	sgx_cpu_restore_signals(&inner);
	current_mask(&now);
	assert_true(mask_equal(&now, &all));

	sgx_cpu_restore_signals(&outer);
	current_mask(&now);
	assert_true(mask_equal(&now, &before));

	/* Outside any bracket a leaf restores the caller's own mask. */
	assert_int_equal(t_eadd_at(t, epc_secs, T_BASE + 0x1000, T_REG_RW, NULL, &page), 0);
	current_mask(&now);
	assert_true(mask_equal(&now, &before));
	pthread_sigmask(SIG_UNBLOCK, &usr2, NULL);
	t_cpu_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_eextend_page_measures_as_sixteen_eextends_and_as_offline),
	    cmocka_unit_test(test_eextend_page_faults_as_the_leaf_does),
	    cmocka_unit_test(test_eadd_from_the_target_page_itself_equals_eadd_from_memory),
	    cmocka_unit_test(test_eadd_from_another_epc_page_is_gp_and_adds_nothing),
	    cmocka_unit_test(test_blocked_signals_bracket_nests_and_restores_the_callers_mask),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
