#include "name_index.h"

#include <stdlib.h>
#include <string.h>

uint64_t mt_name_hash(mt_str s) {
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (uint64_t i = 0; i < s.len; i++) {
        h ^= (unsigned char)s.ptr[i];
        h *= 1099511628211ull;
    }
    return h;
}

static mt_str entry_name(const void *entries, size_t stride, uint64_t i) {
    mt_str s;
    memcpy(&s, (const char *)entries + i * stride, sizeof s);
    return s;
}

bool mt_name_index_init(mt_name_index *ix, uint64_t max_entries) {
    if (max_entries >= 0xffffffffu) return false;
    uint64_t n = 8;
    while (n < 2 * max_entries) n *= 2;
    ix->slots = calloc(n, sizeof *ix->slots);
    ix->mask = n - 1;
    return ix->slots != NULL;
}

void mt_name_index_free(mt_name_index *ix) {
    free(ix->slots);
    ix->slots = NULL;
}

/* Each slot keeps the upper half of its name's hash, so a probe compares
 * names only when the hashes agree (few cache misses on large vocabularies). */
void mt_name_index_add(mt_name_index *ix, const void *entries, size_t stride, uint64_t i) {
    uint64_t hash = mt_name_hash(entry_name(entries, stride, i));
    uint64_t h = hash & ix->mask;
    while (ix->slots[h]) h = (h + 1) & ix->mask;
    ix->slots[h] = (hash & 0xffffffff00000000ull) | (i + 1);
}

void mt_name_index_prefetch(const mt_name_index *ix, uint64_t hash) {
    if (ix->slots) __builtin_prefetch(&ix->slots[hash & ix->mask]);
}

uint64_t mt_name_index_find(const mt_name_index *ix, const void *entries, size_t stride, mt_str name) {
    return mt_name_index_find_hashed(ix, entries, stride, name, mt_name_hash(name));
}

uint64_t mt_name_index_find_hashed(const mt_name_index *ix, const void *entries, size_t stride, mt_str name, uint64_t hash) {
    if (!ix->slots) return MT_NAME_NONE;
    uint64_t tag = hash & 0xffffffff00000000ull;
    for (uint64_t h = hash & ix->mask; ix->slots[h]; h = (h + 1) & ix->mask) {
        if ((ix->slots[h] & 0xffffffff00000000ull) != tag) continue;
        uint64_t i = (ix->slots[h] & 0xffffffffu) - 1;
        mt_str s = entry_name(entries, stride, i);
        if (s.len == name.len && memcmp(s.ptr, name.ptr, name.len) == 0) return i;
    }
    return MT_NAME_NONE;
}
