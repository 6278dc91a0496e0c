/* A hash index from names to entry numbers, for the GGUF reader's keys and
 * tensors: lookups and duplicate checks in O(1), so a file with a million
 * entries cannot make opening it quadratic.
 *
 * The entries live in the caller's array; each begins with its name (an mt_str
 * as the first member), and `stride` is the size of one entry. */
#ifndef MT_NAME_INDEX_H
#define MT_NAME_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gguf.h"

#define MT_NAME_NONE UINT64_MAX

typedef struct mt_name_index {
    uint64_t *slots; /* high 32 bits: the name's hash; low 32: entry number + 1; 0 is empty */
    uint64_t mask;   /* slot count - 1 (a power of two, at least twice the entries) */
} mt_name_index;

/* At most 2^32 - 2 entries (every GGUF count is checked against that first). */
bool mt_name_index_init(mt_name_index *ix, uint64_t max_entries);
void mt_name_index_free(mt_name_index *ix);
/* Adds entry i (whose name must not be present yet). */
void mt_name_index_add(mt_name_index *ix, const void *entries, size_t stride, uint64_t i);
/* The entry number with this name, or MT_NAME_NONE. */
uint64_t mt_name_index_find(const mt_name_index *ix, const void *entries, size_t stride, mt_str name);

/* For bulk lookups (a vocabulary's 446k merges): hash a batch of names, ask
 * for their slots early, then find them, so cache misses overlap. */
uint64_t mt_name_hash(mt_str name);
void mt_name_index_prefetch(const mt_name_index *ix, uint64_t hash);
uint64_t mt_name_index_find_hashed(const mt_name_index *ix, const void *entries, size_t stride, mt_str name, uint64_t hash);

#endif
