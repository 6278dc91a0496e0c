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
    uint64_t *slots; /* entry number + 1; 0 is empty */
    uint64_t mask;   /* slot count - 1 (a power of two, at least twice the entries) */
} mt_name_index;

bool mt_name_index_init(mt_name_index *ix, uint64_t max_entries);
void mt_name_index_free(mt_name_index *ix);
/* Adds entry i (whose name must not be present yet). */
void mt_name_index_add(mt_name_index *ix, const void *entries, size_t stride, uint64_t i);
/* The entry number with this name, or MT_NAME_NONE. */
uint64_t mt_name_index_find(const mt_name_index *ix, const void *entries, size_t stride, mt_str name);

#endif
