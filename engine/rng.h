/* A small seeded random generator (splitmix64): the same seed gives the same
 * numbers on every machine, which `synth` and the tests rely on. */
#ifndef MT_RNG_H
#define MT_RNG_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

typedef struct mt_rng {
    uint64_t state;
} mt_rng;

static inline mt_rng mt_rng_seed(uint64_t seed, uint64_t stream) {
    mt_rng r = { seed * 0x9e3779b97f4a7c15ull ^ (stream + 0x632be59bd9b4e019ull) * 0xbf58476d1ce4e5b9ull };
    return r;
}

static inline uint64_t mt_rng_u64(mt_rng *r) {
    uint64_t z = (r->state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static inline double mt_rng_uniform(mt_rng *r) { return (double)(mt_rng_u64(r) >> 11) * 0x1.0p-53; }

/* Uniform integer in [0, n). */
static inline uint64_t mt_rng_below(mt_rng *r, uint64_t n) { return n ? mt_rng_u64(r) % n : 0; }

/* Fisher-Yates over a[0..n): for i = n down to 2, a[i-1] swaps with
 * a[mt_rng_below(r, i)] (Knuth, TAOCP 3.4.2, algorithm P): every order
 * equally likely, n - 1 draws. */
static inline void mt_rng_shuffle_u32(mt_rng *r, uint32_t *a, size_t n) {
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)mt_rng_below(r, i);
        uint32_t t = a[i - 1];
        a[i - 1] = a[j];
        a[j] = t;
    }
}

/* Standard normal (Box-Muller; one value per call keeps the stream simple). */
static inline float mt_rng_normal(mt_rng *r) {
    double u1 = mt_rng_uniform(r), u2 = mt_rng_uniform(r);
    if (u1 < 1e-300) u1 = 1e-300;
    return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}

/* Roughly standard normal, fast: the Irwin-Hall sum of four 16-bit uniforms
 * (mean 0, variance 1, tails cut at +-3.5). Good enough for random weights. */
static inline float mt_rng_normal_fast(mt_rng *r) {
    uint64_t u = mt_rng_u64(r);
    int32_t s = (int32_t)(u & 0xffff) + (int32_t)((u >> 16) & 0xffff) + (int32_t)((u >> 32) & 0xffff) + (int32_t)(u >> 48);
    return (float)(s - 131070) * (1.7320508f / 65536.0f);
}

#endif
