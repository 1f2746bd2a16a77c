// SPDX-License-Identifier: MIT
/* The access vector cache (avc.h): a chained hash table under a read-write lock. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "avcache.h"

#define AVC_SLOTS 512

struct avc_node {
	struct avc_key key;
	struct avc_decision d;
	struct sepolicy_xperms xp;
	struct avc_node *next;
};

struct sel_avc {
	pthread_rwlock_t lock;
	struct avc_node *slots[AVC_SLOTS];
	unsigned int entries, max_entries;
	unsigned long lookups, misses; /* updated with relaxed atomics */
};

static unsigned int sel_avc_hash(const struct avc_key *k)
{
	uint32_t h = k->ssid * 0x9e3779b1u;

	h ^= k->tsid * 0x85ebca6bu;
	h ^= ((uint32_t)k->cls << 16 | k->driver) * 0xc2b2ae35u;
	h ^= h >> 15;
	return h & (AVC_SLOTS - 1);
}

static bool key_eq(const struct avc_key *a, const struct avc_key *b)
{
	return a->ssid == b->ssid && a->tsid == b->tsid && a->cls == b->cls &&
	       a->driver == b->driver;
}

int sel_avc_create(struct sel_avc **avc, unsigned int max_entries)
{
	struct sel_avc *a = calloc(1, sizeof(*a));

	if (!a)
		return -ENOMEM;
	if (pthread_rwlock_init(&a->lock, NULL)) {
		free(a);
		return -ENOMEM;
	}
	a->max_entries = max_entries;
	*avc = a;
	return 0;
}

static void sel_avc_flush_locked(struct sel_avc *a)
{
	for (unsigned int i = 0; i < AVC_SLOTS; i++) {
		struct avc_node *n = a->slots[i], *next;

		for (; n; n = next) {
			next = n->next;
			free(n);
		}
		a->slots[i] = NULL;
	}
	a->entries = 0;
}

void sel_avc_destroy(struct sel_avc *a)
{
	if (!a)
		return;
	sel_avc_flush_locked(a);
	pthread_rwlock_destroy(&a->lock);
	free(a);
}

static struct avc_node *find(struct sel_avc *a, const struct avc_key *k)
{
	struct avc_node *n;

	for (n = a->slots[sel_avc_hash(k)]; n; n = n->next)
		if (key_eq(&n->key, k))
			return n;
	return NULL;
}

bool sel_avc_lookup(struct sel_avc *a, const struct avc_key *k, struct avc_decision *d)
{
	struct avc_node *n;

	__atomic_add_fetch(&a->lookups, 1, __ATOMIC_RELAXED);
	pthread_rwlock_rdlock(&a->lock);
	n = find(a, k);
	if (n)
		*d = n->d;
	pthread_rwlock_unlock(&a->lock);
	if (!n) /* the rare case pays for the statistics */
		__atomic_add_fetch(&a->misses, 1, __ATOMIC_RELAXED);
	return n != NULL;
}

bool sel_avc_lookup_xperms(struct sel_avc *a, const struct avc_key *k, struct sepolicy_xperms *xp)
{
	struct avc_node *n;

	pthread_rwlock_rdlock(&a->lock);
	n = find(a, k);
	if (n)
		*xp = n->xp;
	pthread_rwlock_unlock(&a->lock);
	return n != NULL;
}

static int insert(struct sel_avc *a, const struct avc_key *k, const struct avc_decision *d,
		  const struct sepolicy_xperms *xp)
{
	struct avc_node *n;
	unsigned int h = sel_avc_hash(k);

	pthread_rwlock_wrlock(&a->lock);
	n = find(a, k);
	if (!n) {
		if (a->entries >= a->max_entries)
			sel_avc_flush_locked(a);
		n = calloc(1, sizeof(*n));
		if (!n) {
			pthread_rwlock_unlock(&a->lock);
			return -ENOMEM;
		}
		n->key = *k;
		n->next = a->slots[h];
		a->slots[h] = n;
		a->entries++;
	}
	if (d)
		n->d = *d;
	if (xp)
		n->xp = *xp;
	pthread_rwlock_unlock(&a->lock);
	return 0;
}

int sel_avc_insert(struct sel_avc *a, const struct avc_key *k, const struct avc_decision *d)
{
	return insert(a, k, d, NULL);
}

int sel_avc_insert_xperms(struct sel_avc *a, const struct avc_key *k,
			  const struct sepolicy_xperms *xp)
{
	return insert(a, k, NULL, xp);
}

void sel_avc_grant(struct sel_avc *a, const struct avc_key *k, uint32_t perms)
{
	struct avc_node *n;

	pthread_rwlock_wrlock(&a->lock);
	n = find(a, k);
	if (n)
		n->d.allowed |= perms;
	pthread_rwlock_unlock(&a->lock);
}

void sel_avc_grant_xperm(struct sel_avc *a, const struct avc_key *k, uint8_t function)
{
	struct avc_node *n;

	pthread_rwlock_wrlock(&a->lock);
	n = find(a, k);
	if (n) {
		n->xp.driver_flagged = true;
		n->xp.allowed[function >> 5] |= 1u << (function & 31);
	}
	pthread_rwlock_unlock(&a->lock);
}

void sel_avc_get_stats(struct sel_avc *a, struct avc_stats *st)
{
	st->lookups = __atomic_load_n(&a->lookups, __ATOMIC_RELAXED);
	st->hits = st->lookups - __atomic_load_n(&a->misses, __ATOMIC_RELAXED);
	pthread_rwlock_rdlock(&a->lock);
	st->entries = a->entries;
	pthread_rwlock_unlock(&a->lock);
}
