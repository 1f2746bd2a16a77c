/* SPDX-License-Identifier: MIT */
/*
 * A string-keyed map to a SID and its context string, under a read-write lock: context
 * strings to SIDs (so a cached decision never reaches libsepol), and device paths to their
 * labels.  Entries are never removed while the module lives; keys are bounded by the labels
 * the policy and the contexts files can name.
 */
#ifndef SOFTSGX_SELINUX_SIDMAP_H
#define SOFTSGX_SELINUX_SIDMAP_H

#include <stdbool.h>
#include <stdint.h>

struct sidmap;

int sidmap_create(struct sidmap **map);
void sidmap_destroy(struct sidmap *map);

/* The SID and (when @context is not NULL) a pointer to the context stored for @key. */
bool sidmap_get(struct sidmap *map, const char *key, uint32_t *sid, const char **context);
/* Store @key -> (@sid, @context); the stored context pointer is returned in *@stored. */
int sidmap_put(struct sidmap *map, const char *key, uint32_t sid, const char *context,
	       const char **stored);

#endif
