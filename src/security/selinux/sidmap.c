// SPDX-License-Identifier: MIT
/* String -> (SID, context) map (sidmap.h). */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "sidmap.h"

#define SIDMAP_SLOTS 256

struct sidmap_node {
	struct sidmap_node *next;
	uint32_t hash;
	uint32_t sid;
	char *context;
	char key[];
};

struct sidmap {
	pthread_rwlock_t lock;
	struct sidmap_node *slots[SIDMAP_SLOTS];
};

static uint32_t str_hash(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

int sidmap_create(struct sidmap **map)
{
	struct sidmap *m = calloc(1, sizeof(*m));

	if (!m)
		return -ENOMEM;
	if (pthread_rwlock_init(&m->lock, NULL)) {
		free(m);
		return -ENOMEM;
	}
	*map = m;
	return 0;
}

void sidmap_destroy(struct sidmap *m)
{
	if (!m)
		return;
	for (int i = 0; i < SIDMAP_SLOTS; i++) {
		struct sidmap_node *n = m->slots[i], *next;

		for (; n; n = next) {
			next = n->next;
			if (n->context != n->key)
				free(n->context);
			free(n);
		}
	}
	pthread_rwlock_destroy(&m->lock);
	free(m);
}

static struct sidmap_node *find(struct sidmap *m, const char *key, uint32_t h)
{
	struct sidmap_node *n;

	for (n = m->slots[h % SIDMAP_SLOTS]; n; n = n->next)
		if (n->hash == h && !strcmp(n->key, key))
			return n;
	return NULL;
}

bool sidmap_get(struct sidmap *m, const char *key, uint32_t *sid, const char **context)
{
	uint32_t h = str_hash(key);
	struct sidmap_node *n;

	pthread_rwlock_rdlock(&m->lock);
	n = find(m, key, h);
	if (n) {
		*sid = n->sid;
		if (context)
			*context = n->context;
	}
	pthread_rwlock_unlock(&m->lock);
	return n != NULL;
}

int sidmap_put(struct sidmap *m, const char *key, uint32_t sid, const char *context,
	       const char **stored)
{
	uint32_t h = str_hash(key);
	size_t klen = strlen(key);
	struct sidmap_node *n;

	pthread_rwlock_wrlock(&m->lock);
	n = find(m, key, h);
	if (!n) {
		n = calloc(1, sizeof(*n) + klen + 1);
		if (!n)
			goto nomem;
		memcpy(n->key, key, klen + 1);
		n->hash = h;
		n->context = strcmp(key, context) ? strdup(context) : n->key;
		if (!n->context) {
			free(n);
			goto nomem;
		}
		n->sid = sid;
		n->next = m->slots[h % SIDMAP_SLOTS];
		m->slots[h % SIDMAP_SLOTS] = n;
	}
	if (stored)
		*stored = n->context;
	pthread_rwlock_unlock(&m->lock);
	return 0;
nomem:
	pthread_rwlock_unlock(&m->lock);
	return -ENOMEM;
}
