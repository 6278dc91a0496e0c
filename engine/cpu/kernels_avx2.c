/* AVX2 + FMA + F16C kernels, compiled for those instructions whatever the
 * build's baseline and used only when the processor reports them.
 *
 * A row is walked in chunks of 32 weights: each chunk is decoded once into
 * four registers (already scaled) and multiplied into up to 8 tokens. */
#include "kernels.h"

#if defined(__x86_64__) && defined(__GNUC__)

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma,f16c"))), apply_to = function)
#else
#pragma GCC target("avx2,fma,f16c")
#endif
#include <immintrin.h>
#include <string.h>

#include "../quant.h"
#include "../quant_blocks.h"

static inline float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

static inline __m256 i8x8_to_f32(__m128i v) { return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(v)); }

/* Weights [32 c, 32 c + 32) of a row, scaled, in four registers: one decoder per format. */
static inline void decode_q8_0(const uint8_t *row, int64_t c, __m256 w[4]) {
    const uint8_t *b = row + c * (int64_t)sizeof(block_q8_0);
    uint16_t h;
    memcpy(&h, b, 2);
    __m256 d = _mm256_set1_ps(_cvtsh_ss(h));
    __m128i q0 = _mm_loadu_si128((const __m128i *)(const void *)(b + 2));
    __m128i q1 = _mm_loadu_si128((const __m128i *)(const void *)(b + 18));
    w[0] = _mm256_mul_ps(i8x8_to_f32(q0), d);
    w[1] = _mm256_mul_ps(i8x8_to_f32(_mm_srli_si128(q0, 8)), d);
    w[2] = _mm256_mul_ps(i8x8_to_f32(q1), d);
    w[3] = _mm256_mul_ps(i8x8_to_f32(_mm_srli_si128(q1, 8)), d);
}

static inline void decode_mxfp4(const uint8_t *row, int64_t c, __m256 w[4]) {
    const uint8_t *b = row + c * (int64_t)sizeof(block_mxfp4);
    const __m128i lut = _mm_loadu_si128((const __m128i *)(const void *)mxfp4_kvalues);
    const __m128i mask = _mm_set1_epi8(0x0f);
    __m128i q = _mm_loadu_si128((const __m128i *)(const void *)(b + 1));
    __m128i lo = _mm_shuffle_epi8(lut, _mm_and_si128(q, mask));                    /* elements 0..15 */
    __m128i hi = _mm_shuffle_epi8(lut, _mm_and_si128(_mm_srli_epi16(q, 4), mask)); /* elements 16..31 */
    __m256 d = _mm256_set1_ps(mxfp4_e8m0_half(b[0]));
    w[0] = _mm256_mul_ps(i8x8_to_f32(lo), d);
    w[1] = _mm256_mul_ps(i8x8_to_f32(_mm_srli_si128(lo, 8)), d);
    w[2] = _mm256_mul_ps(i8x8_to_f32(hi), d);
    w[3] = _mm256_mul_ps(i8x8_to_f32(_mm_srli_si128(hi, 8)), d);
}

static inline void decode_f32_fmt(const uint8_t *row, int64_t c, __m256 w[4]) {
    const float *f = (const float *)(const void *)row + c * 32;
    w[0] = _mm256_loadu_ps(f);
    w[1] = _mm256_loadu_ps(f + 8);
    w[2] = _mm256_loadu_ps(f + 16);
    w[3] = _mm256_loadu_ps(f + 24);
}

static inline __m128i load_half8(const uint8_t *row, int64_t i) { return _mm_loadu_si128((const __m128i *)(const void *)(row + 2 * i)); }

static inline void decode_f16(const uint8_t *row, int64_t c, __m256 w[4]) {
    w[0] = _mm256_cvtph_ps(load_half8(row, c * 32));
    w[1] = _mm256_cvtph_ps(load_half8(row, c * 32 + 8));
    w[2] = _mm256_cvtph_ps(load_half8(row, c * 32 + 16));
    w[3] = _mm256_cvtph_ps(load_half8(row, c * 32 + 24));
}

static inline __m256 bf16x8(__m128i h) { return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16)); }

static inline void decode_bf16(const uint8_t *row, int64_t c, __m256 w[4]) {
    w[0] = bf16x8(load_half8(row, c * 32));
    w[1] = bf16x8(load_half8(row, c * 32 + 8));
    w[2] = bf16x8(load_half8(row, c * 32 + 16));
    w[3] = bf16x8(load_half8(row, c * 32 + 24));
}

/* The K-quants and Q4_0, a 32-weight chunk at a time (a K-quant super-block
 * of 256 holds 8 chunks; its header is read again for each), each weight the
 * float32 that ggml's dequantizer computes, in its order of operations: Q4_K
 * and Q5_K (d sc) q - (dmin m), Q6_K (d sc) q, Q4_0 (q - 8) d. */
static inline __m256i u8x8(const uint8_t *p) {
    uint64_t v;
    memcpy(&v, p, 8);
    return _mm256_cvtepu8_epi32(_mm_cvtsi64_si128((long long)v));
}

static inline float f16_at(const uint8_t *p) {
    uint16_t h;
    memcpy(&h, p, 2);
    return _cvtsh_ss(h);
}

static inline void decode_q4_0(const uint8_t *row, int64_t c, __m256 w[4]) {
    const uint8_t *b = row + c * (int64_t)sizeof(block_q4_0), *q = b + offsetof(block_q4_0, qs);
    __m256 d = _mm256_set1_ps(f16_at(b + offsetof(block_q4_0, d)));
    const __m256i nib = _mm256_set1_epi32(15), eight = _mm256_set1_epi32(8);
    for (int g = 0; g < 4; g++) { /* low nibbles of bytes 0-7, 8-15, then their high nibbles */
        __m256i v = u8x8(q + 8 * (g & 1));
        if (g >= 2) v = _mm256_srli_epi32(v, 4);
        w[g] = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(_mm256_and_si256(v, nib), eight)), d);
    }
}

/* Q4_K and Q5_K: sub-block s of the super-block; fifth bits from qh (Q5_K) or none */
static inline void decode_k45(const uint8_t *b, int s, const uint8_t *scales, const uint8_t *qs, const uint8_t *qh, __m256 w[4]) {
    int sc, m;
    mt_q4k_scale_min(s, scales, &sc, &m);
    __m256 d1 = _mm256_set1_ps(f16_at(b) * (float)sc), m1 = _mm256_set1_ps(f16_at(b + 2) * (float)m);
    const uint8_t *q = qs + 32 * (s / 2); /* sub-blocks 2i and 2i + 1: low and high nibbles */
    const __m256i nib = _mm256_set1_epi32(15), one = _mm256_set1_epi32(1);
    for (int g = 0; g < 4; g++) {
        __m256i v = u8x8(q + 8 * g);
        if (s & 1) v = _mm256_srli_epi32(v, 4);
        v = _mm256_and_si256(v, nib);
        if (qh) v = _mm256_or_si256(v, _mm256_slli_epi32(_mm256_and_si256(_mm256_srli_epi32(u8x8(qh + 8 * g), s), one), 4));
        w[g] = _mm256_sub_ps(_mm256_mul_ps(d1, _mm256_cvtepi32_ps(v)), m1);
    }
}

static inline void decode_q4_k(const uint8_t *row, int64_t c, __m256 w[4]) {
    const uint8_t *b = row + (c / 8) * (int64_t)sizeof(block_q4_k);
    decode_k45(b, (int)(c % 8), b + offsetof(block_q4_k, scales), b + offsetof(block_q4_k, qs), NULL, w);
}

static inline void decode_q5_k(const uint8_t *row, int64_t c, __m256 w[4]) {
    const uint8_t *b = row + (c / 8) * (int64_t)sizeof(block_q5_k);
    decode_k45(b, (int)(c % 8), b + offsetof(block_q5_k, scales), b + offsetof(block_q5_k, qs), b + offsetof(block_q5_k, qh), w);
}

static inline void decode_q6_k(const uint8_t *row, int64_t c, __m256 w[4]) {
    const uint8_t *b = row + (c / 8) * (int64_t)sizeof(block_q6_k);
    int half = (int)(c % 8) / 4, k = (int)(c % 4); /* 128 weights a half; chunk k of 4 in it */
    const uint8_t *ql = b + offsetof(block_q6_k, ql) + 64 * half + 32 * (k & 1), *qh = b + offsetof(block_q6_k, qh) + 32 * half;
    const int8_t *sc = (const int8_t *)(b + offsetof(block_q6_k, scales)) + 8 * half + 2 * k;
    float d = f16_at(b + offsetof(block_q6_k, d));
    const __m256i nib = _mm256_set1_epi32(15), two = _mm256_set1_epi32(3), bias = _mm256_set1_epi32(32);
    for (int g = 0; g < 4; g++) { /* 8 weights each; 16 weights a scale */
        __m256i v = u8x8(ql + 8 * g);
        if (k >= 2) v = _mm256_srli_epi32(v, 4);
        __m256i top = _mm256_and_si256(_mm256_srli_epi32(u8x8(qh + 8 * g), 2 * k), two);
        v = _mm256_sub_epi32(_mm256_or_si256(_mm256_and_si256(v, nib), _mm256_slli_epi32(top, 4)), bias);
        w[g] = _mm256_mul_ps(_mm256_set1_ps(d * (float)sc[g / 2]), _mm256_cvtepi32_ps(v));
    }
}

/* For one format: a one-token dot with four independent accumulators (so
 * consecutive FMAs do not wait on each other), and G-token kernels (G a
 * constant, so every accumulator stays in a register). */
#define FMA4(acc, w, xt)                                                                                          \
    do {                                                                                                          \
        acc = _mm256_fmadd_ps(w[0], _mm256_loadu_ps(xt), acc);                                                    \
        acc = _mm256_fmadd_ps(w[1], _mm256_loadu_ps((xt) + 8), acc);                                              \
        acc = _mm256_fmadd_ps(w[2], _mm256_loadu_ps((xt) + 16), acc);                                             \
        acc = _mm256_fmadd_ps(w[3], _mm256_loadu_ps((xt) + 24), acc);                                             \
    } while (0)

#define DEFINE_GROUP(FMT, G)                                                                                      \
    static void group_##FMT##_##G(const uint8_t *row, const float *xp, size_t T, int64_t chunks, float *out,      \
                                  size_t out_stride, const float *bias) {                                         \
        __m256 acc[G];                                                                                            \
        _Pragma("GCC unroll 8") for (int t = 0; t < G; t++) acc[t] = _mm256_setzero_ps();                       \
        for (int64_t c = 0; c < chunks; c++) {                                                                    \
            __m256 w[4];                                                                                          \
            decode_##FMT(row, c, w);                                                                              \
            const float *xc = xp + (size_t)c * T * 32;                                                            \
            _Pragma("GCC unroll 8") for (int t = 0; t < G; t++) FMA4(acc[t], w, xc + (size_t)t * 32);             \
        }                                                                                                         \
        _Pragma("GCC unroll 8") for (int t = 0; t < G; t++) {                                            \
            float v_ = hsum(acc[t]);                                                                              \
            out[(size_t)t * out_stride] = bias ? v_ + *bias : v_;                                                 \
        }                                                                                                         \
    }

#define DEFINE_FORMAT(FMT)                                                                                        \
    static float dot_##FMT(const uint8_t *row, const float *x, int64_t chunks) {                                  \
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;                                               \
        for (int64_t c = 0; c < chunks; c++) {                                                                    \
            __m256 w[4];                                                                                          \
            decode_##FMT(row, c, w);                                                                              \
            const float *xc = x + c * 32;                                                                         \
            a0 = _mm256_fmadd_ps(w[0], _mm256_loadu_ps(xc), a0);                                                  \
            a1 = _mm256_fmadd_ps(w[1], _mm256_loadu_ps(xc + 8), a1);                                              \
            a2 = _mm256_fmadd_ps(w[2], _mm256_loadu_ps(xc + 16), a2);                                             \
            a3 = _mm256_fmadd_ps(w[3], _mm256_loadu_ps(xc + 24), a3);                                             \
        }                                                                                                         \
        return hsum(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));                                 \
    }                                                                                                             \
    DEFINE_GROUP(FMT, 2)                                                                                          \
    DEFINE_GROUP(FMT, 4)                                                                                          \
    DEFINE_GROUP(FMT, 8)                                                                                          \
    static void packed_##FMT(const uint8_t *row, const float *xp, size_t T, int64_t chunks, float *out,           \
                             size_t out_stride, const float *bias) {                                              \
        size_t t = 0; /* a group reads its tokens' slice of each chunk: xp offset by t tokens */                 \
        for (; T - t >= 8; t += 8) group_##FMT##_8(row, xp + t * 32, T, chunks, out + t * out_stride, out_stride, bias); \
        if (T - t >= 4) group_##FMT##_4(row, xp + t * 32, T, chunks, out + t * out_stride, out_stride, bias), t += 4;   \
        if (T - t >= 2) group_##FMT##_2(row, xp + t * 32, T, chunks, out + t * out_stride, out_stride, bias), t += 2;   \
        if (T - t >= 1) {                                                                                         \
            __m256 acc = _mm256_setzero_ps();                                                                     \
            for (int64_t c = 0; c < chunks; c++) {                                                                \
                __m256 w[4];                                                                                      \
                decode_##FMT(row, c, w);                                                                          \
                FMA4(acc, w, xp + ((size_t)c * T + t) * 32);                                                      \
            }                                                                                                     \
            out[t * out_stride] = bias ? hsum(acc) + *bias : hsum(acc);                                           \
        }                                                                                                         \
    }

DEFINE_FORMAT(q8_0)
DEFINE_FORMAT(mxfp4)
DEFINE_FORMAT(f32_fmt)
DEFINE_FORMAT(f16)
DEFINE_FORMAT(bf16)
DEFINE_FORMAT(q4_0)
DEFINE_FORMAT(q4_k)
DEFINE_FORMAT(q5_k)
DEFINE_FORMAT(q6_k)

static float dot(uint32_t type, const void *row, const float *x, int64_t n) {
    if (n % 32 == 0) switch (type) {
        case MT_TYPE_Q8_0: return dot_q8_0(row, x, n / 32);
        case MT_TYPE_MXFP4: return dot_mxfp4(row, x, n / 32);
        case MT_TYPE_F32: return dot_f32_fmt(row, x, n / 32);
        case MT_TYPE_F16: return dot_f16(row, x, n / 32);
        case MT_TYPE_BF16: return dot_bf16(row, x, n / 32);
        case MT_TYPE_Q4_0: return dot_q4_0(row, x, n / 32);
        case MT_TYPE_Q4_K: if (n % 256 == 0) return dot_q4_k(row, x, n / 32); break;
        case MT_TYPE_Q5_K: if (n % 256 == 0) return dot_q5_k(row, x, n / 32); break;
        case MT_TYPE_Q6_K: if (n % 256 == 0) return dot_q6_k(row, x, n / 32); break;
        default: break;
        }
    return mt_dot_row(type, row, x, n);
}

static void packed_row(uint32_t type, const void *row, const float *xp, size_t T, int64_t n, float *out, size_t out_stride,
                       const float *bias) {
    switch (type) {
    case MT_TYPE_Q8_0: packed_q8_0(row, xp, T, n / 32, out, out_stride, bias); return;
    case MT_TYPE_MXFP4: packed_mxfp4(row, xp, T, n / 32, out, out_stride, bias); return;
    case MT_TYPE_F32: packed_f32_fmt(row, xp, T, n / 32, out, out_stride, bias); return;
    case MT_TYPE_F16: packed_f16(row, xp, T, n / 32, out, out_stride, bias); return;
    case MT_TYPE_BF16: packed_bf16(row, xp, T, n / 32, out, out_stride, bias); return;
    case MT_TYPE_Q4_0: packed_q4_0(row, xp, T, n / 32, out, out_stride, bias); return;
    case MT_TYPE_Q4_K: packed_q4_k(row, xp, T, n / 32, out, out_stride, bias); return;
    case MT_TYPE_Q5_K: packed_q5_k(row, xp, T, n / 32, out, out_stride, bias); return;
    case MT_TYPE_Q6_K: packed_q6_k(row, xp, T, n / 32, out, out_stride, bias); return;
    default: mt_kernels_portable()->dot_packed(type, row, 0, 1, xp, T, n, out, out_stride, bias);
    }
}

static void dot_packed(uint32_t type, const void *rows, size_t row_bytes, size_t n_rows, const float *xp, size_t T, int64_t n,
                       float *out, size_t out_stride, const float *bias) {
    for (size_t r = 0; r < n_rows; r++)
        packed_row(type, (const uint8_t *)rows + r * row_bytes, xp, T, n, out + r, out_stride, bias ? bias + r : NULL);
}

static float dot_f32(const float *a, const float *b, size_t n) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), acc1);
    }
    float s = hsum(_mm256_add_ps(acc0, acc1));
    for (; i < n; i++) s += a[i] * b[i];
    return s;
}

static void scale_add(float *y, float c, float p, const float *x, size_t n) {
    __m256 cv = _mm256_set1_ps(c), pv = _mm256_set1_ps(p);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_fmadd_ps(pv, _mm256_loadu_ps(x + i), _mm256_mul_ps(cv, _mm256_loadu_ps(y + i))));
    for (; i < n; i++) y[i] = c * y[i] + p * x[i];
}

static void dot_rows(uint32_t type, const void *rows, size_t row_bytes, size_t n_rows, const float *x, int64_t n, float *out,
                     const float *bias) {
    mt_dot_rows_each(dot, type, rows, row_bytes, n_rows, x, n, out, bias);
}

static const mt_kernels avx2 = { "avx2", dot, dot_rows, dot_packed, dot_f32, scale_add };

#if defined(__clang__)
#pragma clang attribute pop
#endif

const mt_kernels *mt_kernels_avx2(void) {
    __builtin_cpu_init();
    /* F16C came with AVX (Ivy Bridge, Piledriver): every processor with AVX2 and FMA has it, and
     * clang's __builtin_cpu_supports does not know its name */
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return &avx2;
    return NULL;
}

#else

const mt_kernels *mt_kernels_avx2(void) { return NULL; }

#endif
