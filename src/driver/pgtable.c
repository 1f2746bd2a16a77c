/* SPDX-License-Identifier: MIT */
/*
 * The page tables the emulated CPU walks (struct sgx_mmu's translate): a radix tree of the
 * enclave pages mm.c shows, keyed by linear address, with x86's shape (five levels of 512
 * entries, 4 KiB nodes, a leaf entry holding the EPC index and the mapping's protections).
 *
 * The read side takes no lock at all, because it is reached from signal handlers that may have
 * interrupted the very thread that holds the kernel model's locks (an asynchronous signal while
 * the thread is inside sgxk_mmap or an ioctl, whose handler enters an enclave): a walk is a few
 * atomic loads.  Writers are the mapping changes of mm.c, made under encl->lock or mm_lock for
 * writing; a leaf entry is only ever written by the one enclave its address belongs to, so leaf
 * stores need no lock of their own, and a missing node is installed with a compare-and-swap.
 * Nodes come from mmap (async-signal-safe: a fault handler may add an SGX2 page) and are never
 * freed before the kernel model is destroyed, so a walker never reads freed memory.  A reader
 * racing with a change sees the entry before or after it, as a hardware walk racing with a PTE
 * update does.
 */
#include <errno.h>
#include <sys/mman.h>

#include "driver.h"

#define PT_BITS	   9
#define PT_ENTRIES SGXK_PT_ENTRIES

/* Every node, the top one included, is a struct sgxk_pt: 512 entries, 4 KiB. */
_Static_assert(sizeof(struct sgxk_pt) == 4096, "a page-table node is one page");

static unsigned int pt_index(uint64_t addr, int level)
{
	return (addr >> (12 + PT_BITS * level)) & (PT_ENTRIES - 1);
}

/* Addresses the five levels cover (57 bits, LA57); beyond that nothing is ever mapped. */
static bool pt_covers(uint64_t addr)
{
	return addr >> (12 + PT_BITS * SGXK_PT_LEVELS) == 0;
}

static struct sgxk_pt *pt_child(_Atomic uint64_t *slot)
{
	return (struct sgxk_pt *)(uintptr_t)atomic_load_explicit(slot, memory_order_acquire);
}

/* The child under @slot, created when @create; NULL when absent or out of memory. */
static struct sgxk_pt *pt_descend(_Atomic uint64_t *slot, bool create)
{
	struct sgxk_pt *n = pt_child(slot), *fresh;
	uint64_t expected = 0;

	if (n || !create)
		return n;
	fresh =
	    mmap(NULL, sizeof(*fresh), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (fresh == MAP_FAILED)
		return NULL;
	if (atomic_compare_exchange_strong_explicit(slot, &expected, (uint64_t)(uintptr_t)fresh,
						    memory_order_acq_rel, memory_order_acquire))
		return fresh;
	munmap(fresh, sizeof(*fresh)); /* another enclave's writer installed it first */
	return (struct sgxk_pt *)(uintptr_t)expected;
}

/* The leaf slot of @addr, or NULL (absent and not created, or out of memory). */
static _Atomic uint64_t *pt_leaf(struct sgxk_pt *pt, uint64_t addr, bool create)
{
	_Atomic uint64_t *slot = &pt->e[pt_index(addr, SGXK_PT_LEVELS - 1)];

	if (!pt_covers(addr))
		return NULL;
	for (int level = SGXK_PT_LEVELS - 2; level >= 0; level--) {
		struct sgxk_pt *n = pt_descend(slot, create);

		if (!n)
			return NULL;
		slot = &n->e[pt_index(addr, level)];
	}
	return slot;
}

uint64_t sgxk_pt_lookup(struct sgxk_pt *pt, uint64_t addr)
{
	_Atomic uint64_t *slot = pt_leaf(pt, addr, false);

	return slot ? atomic_load_explicit(slot, memory_order_acquire) : 0;
}

int sgxk_pt_set(struct sgxk_pt *pt, uint64_t addr, size_t epc, int prot)
{
	_Atomic uint64_t *slot = pt_leaf(pt, addr, true);

	if (!slot)
		return -ENOMEM;
	atomic_store_explicit(slot, (uint64_t)epc << 12 | SGXK_PTE_PRESENT | (prot & SGXK_PROT_RWX),
			      memory_order_release);
	return 0;
}

/* Clear the leaves of [start, end) under @n at @level, skipping absent subtrees. */
static void pt_clear_node(struct sgxk_pt *n, int level, uint64_t start, uint64_t end)
{
	uint64_t span = 1ull << (12 + PT_BITS * level);

	while (start < end) {
		_Atomic uint64_t *slot = &n->e[pt_index(start, level)];
		uint64_t next = (start | (span - 1)) + 1;
		struct sgxk_pt *child;

		if (!next || next > end)
			next = end;
		if (level == 0)
			atomic_store_explicit(slot, 0, memory_order_release);
		else if ((child = pt_child(slot)))
			pt_clear_node(child, level - 1, start, next);
		start = next;
	}
}

void sgxk_pt_clear(struct sgxk_pt *pt, uint64_t start, uint64_t end)
{
	uint64_t top = 1ull << (12 + PT_BITS * SGXK_PT_LEVELS);

	start &= SGXK_PAGE_MASK;
	if (end > top)
		end = top;
	if (start < end)
		pt_clear_node(pt, SGXK_PT_LEVELS - 1, start, end);
}

static void pt_free_node(struct sgxk_pt *n, int level)
{
	for (unsigned int i = 0; level > 0 && i < PT_ENTRIES; i++) {
		struct sgxk_pt *child = pt_child(&n->e[i]);

		if (child) {
			pt_free_node(child, level - 1);
			munmap(child, sizeof(*child));
		}
	}
}

void sgxk_pt_destroy(struct sgxk_pt *pt)
{
	pt_free_node(pt, SGXK_PT_LEVELS - 1);
	for (unsigned int i = 0; i < PT_ENTRIES; i++)
		atomic_store(&pt->e[i], 0);
}
