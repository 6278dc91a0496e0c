/* AVX2 + FMA + F16C kernels, compiled for those instructions whatever the
 * build's baseline and used only when the processor reports them.
 *
 * Each block is decoded once into registers (32 floats) and multiplied into
 * up to 8 tokens at a time, so a batch reads the weights once per 8 tokens. */
#include "kernels.h"

#if defined(__x86_64__) && defined(__GNUC__)

#pragma GCC target("avx2,fma,f16c")
#include <immintrin.h>
#include <string.h>

#include "../quant.h"
#include "../quant_blocks.h"

#define GROUP 8 /* tokens per pass over a row */

static inline float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

static inline __m256 i8x8_to_f32(__m128i v) { return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(v)); }

/* A block's 32 weights, unscaled, and its scale. */
static inline float decode_q8_0(const uint8_t *b, __m256 w[4]) {
    uint16_t h;
    memcpy(&h, b, 2);
    const uint8_t *qs = b + 2;
    for (int k = 0; k < 4; k++) w[k] = i8x8_to_f32(_mm_loadl_epi64((const __m128i *)(const void *)(qs + 8 * k)));
    return _cvtsh_ss(h);
}

static inline float decode_mxfp4(const uint8_t *b, __m256 w[4]) {
    const __m128i lut = _mm_loadu_si128((const __m128i *)(const void *)mxfp4_kvalues);
    const __m128i mask = _mm_set1_epi8(0x0f);
    __m128i q = _mm_loadu_si128((const __m128i *)(const void *)(b + 1));
    __m128i lo = _mm_shuffle_epi8(lut, _mm_and_si128(q, mask));                    /* elements 0..15 */
    __m128i hi = _mm_shuffle_epi8(lut, _mm_and_si128(_mm_srli_epi16(q, 4), mask)); /* elements 16..31 */
    w[0] = i8x8_to_f32(lo);
    w[1] = i8x8_to_f32(_mm_srli_si128(lo, 8));
    w[2] = i8x8_to_f32(hi);
    w[3] = i8x8_to_f32(_mm_srli_si128(hi, 8));
    return mxfp4_e8m0_half(b[0]);
}

/* Q8_0 and MXFP4: sum q x over the block, then scale once. */
static void dot_rows_blocks(uint32_t type, const uint8_t *row, const float *x, size_t x_stride, size_t T, int64_t n,
                            float *out, size_t out_stride) {
    size_t block_bytes = type == MT_TYPE_Q8_0 ? sizeof(block_q8_0) : sizeof(block_mxfp4);
    int64_t blocks = n / 32;
    for (size_t t0 = 0; t0 < T; t0 += GROUP) {
        size_t g = T - t0 < GROUP ? T - t0 : GROUP;
        __m256 acc[GROUP];
        for (size_t t = 0; t < g; t++) acc[t] = _mm256_setzero_ps();
        for (int64_t b = 0; b < blocks; b++) {
            __m256 w[4];
            const uint8_t *blk = row + b * (int64_t)block_bytes;
            float d = type == MT_TYPE_Q8_0 ? decode_q8_0(blk, w) : decode_mxfp4(blk, w);
            __m256 dv = _mm256_set1_ps(d);
            for (size_t t = 0; t < g; t++) {
                const float *xt = x + (t0 + t) * x_stride + b * 32;
                __m256 s = _mm256_mul_ps(w[0], _mm256_loadu_ps(xt));
                s = _mm256_fmadd_ps(w[1], _mm256_loadu_ps(xt + 8), s);
                s = _mm256_fmadd_ps(w[2], _mm256_loadu_ps(xt + 16), s);
                s = _mm256_fmadd_ps(w[3], _mm256_loadu_ps(xt + 24), s);
                acc[t] = _mm256_fmadd_ps(s, dv, acc[t]);
            }
        }
        for (size_t t = 0; t < g; t++) out[(t0 + t) * out_stride] = hsum(acc[t]);
    }
}

/* F32, F16, BF16: eight weights at a time, the tail in scalar code. */
static inline __m256 load8(uint32_t type, const uint8_t *row, int64_t i) {
    if (type == MT_TYPE_F32) return _mm256_loadu_ps((const float *)(const void *)row + i);
    __m128i h = _mm_loadu_si128((const __m128i *)(const void *)(row + 2 * i));
    if (type == MT_TYPE_F16) return _mm256_cvtph_ps(h);
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16)); /* BF16 */
}

static void dot_rows_plain(uint32_t type, const uint8_t *row, const float *x, size_t x_stride, size_t T, int64_t n,
                           float *out, size_t out_stride) {
    int64_t n8 = n / 8 * 8;
    float tail[8];
    for (size_t t0 = 0; t0 < T; t0 += GROUP) {
        size_t g = T - t0 < GROUP ? T - t0 : GROUP;
        __m256 acc[GROUP];
        for (size_t t = 0; t < g; t++) acc[t] = _mm256_setzero_ps();
        for (int64_t i = 0; i < n8; i += 8) {
            __m256 w = load8(type, row, i);
            for (size_t t = 0; t < g; t++) acc[t] = _mm256_fmadd_ps(w, _mm256_loadu_ps(x + (t0 + t) * x_stride + i), acc[t]);
        }
        int64_t rest = n - n8;
        if (rest) mt_dequant_row(type, row + mt_row_bytes(type, (uint64_t)n8), tail, rest);
        for (size_t t = 0; t < g; t++) {
            float s = hsum(acc[t]);
            for (int64_t i = 0; i < rest; i++) s += tail[i] * x[(t0 + t) * x_stride + n8 + i];
            out[(t0 + t) * out_stride] = s;
        }
    }
}

static void dot_rows(uint32_t type, const void *row, const float *x, size_t x_stride, size_t T, int64_t n, float *out,
                     size_t out_stride) {
    switch (type) {
    case MT_TYPE_Q8_0:
    case MT_TYPE_MXFP4: dot_rows_blocks(type, row, x, x_stride, T, n, out, out_stride); return;
    case MT_TYPE_F32:
    case MT_TYPE_F16:
    case MT_TYPE_BF16: dot_rows_plain(type, row, x, x_stride, T, n, out, out_stride); return;
    default: mt_kernels_portable()->dot_rows(type, row, x, x_stride, T, n, out, out_stride);
    }
}

static float dot_f32(const float *a, const float *b, size_t n) {
    float out;
    dot_rows_plain(MT_TYPE_F32, (const uint8_t *)a, b, 0, 1, (int64_t)n, &out, 1);
    return out;
}

static const mt_kernels avx2 = { "avx2", dot_rows, dot_f32 };

const mt_kernels *mt_kernels_avx2(void) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c")) return &avx2;
    return NULL;
}

#else

const mt_kernels *mt_kernels_avx2(void) { return NULL; }

#endif
