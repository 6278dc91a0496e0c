/* Overflow-safe size arithmetic: every count, length, offset and byte size read
 * from a file goes through these before it is used. Each returns 0 on overflow
 * and leaves *out unspecified. */
#ifndef MT_CHECKED_H
#define MT_CHECKED_H

#include <stdbool.h>
#include <stdint.h>

static inline bool mt_add_u64(uint64_t a, uint64_t b, uint64_t *out) {
    return !__builtin_add_overflow(a, b, out);
}

static inline bool mt_mul_u64(uint64_t a, uint64_t b, uint64_t *out) {
    return !__builtin_mul_overflow(a, b, out);
}

/* Rounds x up to a multiple of align (a power of two). */
static inline bool mt_align_up_u64(uint64_t x, uint64_t align, uint64_t *out) {
    uint64_t sum;
    if (!mt_add_u64(x, align - 1, &sum)) return false;
    *out = sum & ~(align - 1);
    return true;
}

#endif
