#include "name_index.h"

#include <stdlib.h>
#include <string.h>

static uint64_t hash_name(mt_str s) {
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

void mt_name_index_add(mt_name_index *ix, const void *entries, size_t stride, uint64_t i) {
    uint64_t h = hash_name(entry_name(entries, stride, i)) & ix->mask;
    while (ix->slots[h]) h = (h + 1) & ix->mask;
    ix->slots[h] = i + 1;
}

uint64_t mt_name_index_find(const mt_name_index *ix, const void *entries, size_t stride, mt_str name) {
    if (!ix->slots) return MT_NAME_NONE;
    for (uint64_t h = hash_name(name) & ix->mask; ix->slots[h]; h = (h + 1) & ix->mask) {
        mt_str s = entry_name(entries, stride, ix->slots[h] - 1);
        if (s.len == name.len && memcmp(s.ptr, name.ptr, name.len) == 0) return ix->slots[h] - 1;
    }
    return MT_NAME_NONE;
}
