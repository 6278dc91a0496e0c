/* Profile files: the routing statistics of a corpus as JSON, every sum an
 * integer (counts, and fixed-point sums: see engine/stats.h), so shards
 * merge exactly. {"format": "moetop-profile", "version": 1, "model": ..,
 * "n_layer", "n_expert", "k", "docs", "seconds", "layers": [...]}; each
 * layer holds "tokens", "nonfinite" (tokens left out for NaN or infinite
 * router logits; absent in older profiles, read as 0), "selections" and the
 * sums of engine/stats.h. */
#ifndef MT_PROFILE_IO_H
#define MT_PROFILE_IO_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/stats.h"

typedef struct mt_profile {
    char model[256];
    uint32_t k;
    uint64_t docs;
    double seconds;
    mt_stats stats;
} mt_profile;

/* Writes atomically; false after printing the error. */
bool mt_profile_write(const char *path, const mt_profile *p);
/* Reads and validates; false after printing "moetop: <path>: <why>". */
bool mt_profile_read(const char *path, mt_profile *p);
void mt_profile_free(mt_profile *p);

#endif
