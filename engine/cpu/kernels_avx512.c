/* AVX-512F kernels, compiled for those instructions whatever the build's
 * baseline and used only when the processor (and the operating system, for
 * the ZMM state) reports them.
 *
 * A row is walked in chunks of 32 weights, each decoded once into two ZMM
 * registers holding the float32 weights the portable dequantizer gives (a
 * Q8_0 int8 times its f16 scale has at most 19 significant bits and an MXFP4
 * E2M1 value times its power-of-two scale is exact; the K-quants follow
 * ggml's order of operations), then multiplied into the tokens: two rows by
 * up to 8 tokens or one row by up to 16 at a time, or, for one token, row
 * after row with sixteen rows' sums reduced together. The per-element
 * products and the float32 accumulation are those of the AVX2 and portable
 * kernels; only the order of the sum's terms differs.
 *
 * MXFP4 decodes through a 16-entry float table and one vpermps per 16 codes
 * (the permute reads an index's low 4 bits, so a byte's low nibble needs no
 * mask), where AVX2 needs a byte shuffle and two conversions per 8. */
#include "kernels.h"

#if defined(__x86_64__) && defined(__GNUC__)

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx2,fma,f16c"))), apply_to = function)
#else
#pragma GCC target("avx512f,avx2,fma,f16c")
#endif
#include <immintrin.h>
#include <stdbool.h>
#include <pthread.h>
#include <string.h>

#include "../quant.h"
#include "../quant_blocks.h"

/* Weights [32 c, 32 c + 32) of a row, scaled, in two registers: one decoder per format. */
static inline void decode_q8_0(const uint8_t *row, int64_t c, __m512 w[2]) {
    const uint8_t *b = row + c * (int64_t)sizeof(block_q8_0);
    uint16_t h;
    memcpy(&h, b, 2);
    __m512 d = _mm512_set1_ps(_cvtsh_ss(h));
    w[0] = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(const void *)(b + 2)))), d);
    w[1] = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(const void *)(b + 18)))), d);
}

/* mxfp4_kvalues as floats, for vpermps */
static inline __m512 mxfp4_table(void) {
    return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(const void *)mxfp4_kvalues)));
}

/* mxfp4_e8m0_half of every exponent byte, for a one-load broadcast */
static float e8m0_half[256];
static void e8m0_table_init(void) {
    for (int e = 0; e < 256; e++) e8m0_half[e] = mxfp4_e8m0_half((uint8_t)e);
}

/* The table is scaled by the block's scale first (16 exact products), so each
 * weight is the table's entry: one multiply a block instead of two. */
static inline void decode_mxfp4_t(const uint8_t *row, int64_t c, __m512 w[2], __m512 table) {
    const uint8_t *b = row + c * (int64_t)sizeof(block_mxfp4);
    __m512i q = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(const void *)(b + 1)));
    __m512 scaled = _mm512_mul_ps(table, _mm512_set1_ps(e8m0_half[b[0]]));
    w[0] = _mm512_permutexvar_ps(q, scaled);                      /* elements 0..15: low nibbles */
    w[1] = _mm512_permutexvar_ps(_mm512_srli_epi32(q, 4), scaled); /* elements 16..31: high nibbles */
}

static inline void decode_f32_fmt(const uint8_t *row, int64_t c, __m512 w[2]) {
    const float *f = (const float *)(const void *)row + c * 32;
    w[0] = _mm512_loadu_ps(f);
    w[1] = _mm512_loadu_ps(f + 16);
}

static inline __m256i load_half16(const uint8_t *row, int64_t i) { return _mm256_loadu_si256((const __m256i *)(const void *)(row + 2 * i)); }

static inline void decode_f16(const uint8_t *row, int64_t c, __m512 w[2]) {
    w[0] = _mm512_cvtph_ps(load_half16(row, c * 32));
    w[1] = _mm512_cvtph_ps(load_half16(row, c * 32 + 16));
}

static inline __m512 bf16x16(__m256i h) { return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16)); }

static inline void decode_bf16(const uint8_t *row, int64_t c, __m512 w[2]) {
    w[0] = bf16x16(load_half16(row, c * 32));
    w[1] = bf16x16(load_half16(row, c * 32 + 16));
}

/* The K-quants and Q4_0, a 32-weight chunk at a time (a K-quant super-block
 * of 256 holds 8 chunks; its header is read again for each), each weight the
 * float32 that ggml's dequantizer computes, in its order of operations: Q4_K
 * and Q5_K (d sc) q - (dmin m), Q6_K (d sc) q, Q4_0 (q - 8) d. A 4-bit code
 * becomes a float through a 16-entry table and vpermps. */
static inline __m512i u8x16(const uint8_t *p) { return _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(const void *)p)); }

static inline float f16_at(const uint8_t *p) {
    uint16_t h;
    memcpy(&h, p, 2);
    return _cvtsh_ss(h);
}

static inline __m512 iota16(void) { return _mm512_setr_ps(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15); }

static inline void decode_q4_k_t(const uint8_t *row, int64_t c, __m512 w[2], __m512 iota) {
    const uint8_t *b = row + (c / 8) * (int64_t)sizeof(block_q4_k);
    int s = (int)(c % 8), sc, m;
    mt_q4k_scale_min(s, b + offsetof(block_q4_k, scales), &sc, &m);
    __m512 d1 = _mm512_set1_ps(f16_at(b + offsetof(block_q4_k, d)) * (float)sc);
    __m512 m1 = _mm512_set1_ps(f16_at(b + offsetof(block_q4_k, dmin)) * (float)m);
    const uint8_t *q = b + offsetof(block_q4_k, qs) + 32 * (s / 2); /* sub-blocks 2i and 2i + 1: low and high nibbles */
    __m512i lo = u8x16(q), hi = u8x16(q + 16);
    if (s & 1) lo = _mm512_srli_epi32(lo, 4), hi = _mm512_srli_epi32(hi, 4);
    w[0] = _mm512_sub_ps(_mm512_mul_ps(d1, _mm512_permutexvar_ps(lo, iota)), m1);
    w[1] = _mm512_sub_ps(_mm512_mul_ps(d1, _mm512_permutexvar_ps(hi, iota)), m1);
}

static inline void decode_q5_k_t(const uint8_t *row, int64_t c, __m512 w[2], __m512 iota) {
    (void)iota;
    const uint8_t *b = row + (c / 8) * (int64_t)sizeof(block_q5_k);
    int s = (int)(c % 8), sc, m;
    mt_q4k_scale_min(s, b + offsetof(block_q5_k, scales), &sc, &m);
    __m512 d1 = _mm512_set1_ps(f16_at(b + offsetof(block_q5_k, d)) * (float)sc);
    __m512 m1 = _mm512_set1_ps(f16_at(b + offsetof(block_q5_k, dmin)) * (float)m);
    const uint8_t *q = b + offsetof(block_q5_k, qs) + 32 * (s / 2), *qh = b + offsetof(block_q5_k, qh);
    const __m512i nib = _mm512_set1_epi32(15), one = _mm512_set1_epi32(1);
    for (int h = 0; h < 2; h++) {
        __m512i v = u8x16(q + 16 * h);
        if (s & 1) v = _mm512_srli_epi32(v, 4);
        __m512i fifth = _mm512_and_si512(_mm512_srli_epi32(u8x16(qh + 16 * h), (unsigned)s), one);
        v = _mm512_or_si512(_mm512_and_si512(v, nib), _mm512_slli_epi32(fifth, 4));
        w[h] = _mm512_sub_ps(_mm512_mul_ps(d1, _mm512_cvtepi32_ps(v)), m1);
    }
}

static inline void decode_q6_k_t(const uint8_t *row, int64_t c, __m512 w[2], __m512 iota) {
    (void)iota;
    const uint8_t *b = row + (c / 8) * (int64_t)sizeof(block_q6_k);
    int half = (int)(c % 8) / 4, k = (int)(c % 4); /* 128 weights a half; chunk k of 4 in it */
    const uint8_t *ql = b + offsetof(block_q6_k, ql) + 64 * half + 32 * (k & 1), *qh = b + offsetof(block_q6_k, qh) + 32 * half;
    const int8_t *sc = (const int8_t *)(b + offsetof(block_q6_k, scales)) + 8 * half + 2 * k;
    float d = f16_at(b + offsetof(block_q6_k, d));
    const __m512i nib = _mm512_set1_epi32(15), two = _mm512_set1_epi32(3), bias = _mm512_set1_epi32(32);
    for (int h = 0; h < 2; h++) { /* 16 weights each, one scale each */
        __m512i v = u8x16(ql + 16 * h);
        if (k >= 2) v = _mm512_srli_epi32(v, 4);
        __m512i top = _mm512_and_si512(_mm512_srli_epi32(u8x16(qh + 16 * h), (unsigned)(2 * k)), two);
        v = _mm512_sub_epi32(_mm512_or_si512(_mm512_and_si512(v, nib), _mm512_slli_epi32(top, 4)), bias);
        w[h] = _mm512_mul_ps(_mm512_set1_ps(d * (float)sc[h]), _mm512_cvtepi32_ps(v));
    }
}

static inline void decode_q4_0_t(const uint8_t *row, int64_t c, __m512 w[2], __m512 minus8) {
    const uint8_t *b = row + c * (int64_t)sizeof(block_q4_0);
    __m512 d = _mm512_set1_ps(f16_at(b + offsetof(block_q4_0, d)));
    __m512i q = u8x16(b + offsetof(block_q4_0, qs));
    w[0] = _mm512_mul_ps(_mm512_permutexvar_ps(q, minus8), d);
    w[1] = _mm512_mul_ps(_mm512_permutexvar_ps(_mm512_srli_epi32(q, 4), minus8), d);
}

/* Each format's table for its decoder (none for most). */
static inline __m512 table_mxfp4(void) { return mxfp4_table(); }
static inline __m512 table_q4_k(void) { return iota16(); }
static inline __m512 table_q4_0(void) { return _mm512_sub_ps(iota16(), _mm512_set1_ps(8.0f)); }
#define NO_TABLE(FMT)                                                                                             \
    static inline __m512 table_##FMT(void) { return _mm512_setzero_ps(); }
NO_TABLE(q8_0)
NO_TABLE(f32_fmt)
NO_TABLE(f16)
NO_TABLE(bf16)
NO_TABLE(q5_k)
NO_TABLE(q6_k)

/* Every decoder takes its format's table (the others ignore it), so one macro serves all. */
#define TABLE_DECODER(FMT)                                                                                        \
    static inline void decode_##FMT##_t(const uint8_t *row, int64_t c, __m512 w[2], __m512 table) {               \
        (void)table;                                                                                              \
        decode_##FMT(row, c, w);                                                                                  \
    }
TABLE_DECODER(q8_0)
TABLE_DECODER(f32_fmt)
TABLE_DECODER(f16)
TABLE_DECODER(bf16)

/* Sixteen accumulators to their sixteen sums, by halving: each step adds
 * pairs of registers, each holding half of the other's lanes, so 15 adds and
 * 30 shuffles serve 16 rows. Lane l of the result is the sum of
 * a[REDUCE16_SLOT[l]]'s lanes (the slot order is its own inverse: put row i's
 * accumulator in a[REDUCE16_SLOT[i]] and lane i is row i's sum). */
static const int REDUCE16_SLOT[16] = { 0, 2, 1, 3, 8, 10, 9, 11, 4, 6, 5, 7, 12, 14, 13, 15 };
static inline __m512 reduce16(__m512 a[16]) {
    __m512 b[8], c[4], d[2];
    for (int i = 0; i < 8; i++) /* 256-bit halves */
        b[i] = _mm512_add_ps(_mm512_shuffle_f32x4(a[i], a[i + 8], 0x44), _mm512_shuffle_f32x4(a[i], a[i + 8], 0xEE));
    for (int i = 0; i < 4; i++) /* 128-bit quarters */
        c[i] = _mm512_add_ps(_mm512_shuffle_f32x4(b[i], b[i + 4], 0x88), _mm512_shuffle_f32x4(b[i], b[i + 4], 0xDD));
    for (int i = 0; i < 2; i++) /* pairs of floats */
        d[i] = _mm512_add_ps(_mm512_shuffle_ps(c[i], c[i + 2], 0x44), _mm512_shuffle_ps(c[i], c[i + 2], 0xEE));
    return _mm512_add_ps(_mm512_shuffle_ps(d[0], d[1], 0x88), _mm512_shuffle_ps(d[0], d[1], 0xDD));
}

/* For one format: a one-token dot with four accumulators (two chunks in
 * flight, so consecutive FMAs do not wait on each other), and kernels of R
 * rows x G tokens (constants, so every accumulator stays in a register; each
 * x load serves R rows, which is what a long batch needs: its packed x does
 * not fit in L1). Each (row, token) sums in the same order whatever R is. */
#define DEFINE_GROUP(FMT, R, G)                                                                                   \
    static void group_##FMT##_##R##x##G(const uint8_t *row, size_t row_bytes, const float *xp, size_t T,          \
                                        int64_t chunks, float *out, size_t out_stride, const float *bias) {       \
        const __m512 table = table_##FMT();                                                                       \
        __m512 acc[R][G];                                                                                         \
        _Pragma("GCC unroll 4") for (int r = 0; r < R; r++)                                                      \
        _Pragma("GCC unroll 16") for (int t = 0; t < G; t++) acc[r][t] = _mm512_setzero_ps();                   \
        for (int64_t c = 0; c < chunks; c++) {                                                                    \
            __m512 w[R][2];                                                                                       \
            _Pragma("GCC unroll 4") for (int r = 0; r < R; r++) decode_##FMT##_t(row + r * row_bytes, c, w[r], table); \
            const float *xc = xp + (size_t)c * T * 32;                                                            \
            _Pragma("GCC unroll 16") for (int t = 0; t < G; t++) {                                                \
                __m512 x0 = _mm512_loadu_ps(xc + (size_t)t * 32), x1 = _mm512_loadu_ps(xc + (size_t)t * 32 + 16); \
                _Pragma("GCC unroll 4") for (int r = 0; r < R; r++) {                                            \
                    acc[r][t] = _mm512_fmadd_ps(w[r][0], x0, acc[r][t]);                                          \
                    acc[r][t] = _mm512_fmadd_ps(w[r][1], x1, acc[r][t]);                                          \
                }                                                                                                 \
            }                                                                                                     \
        }                                                                                                         \
        _Pragma("GCC unroll 4") for (int r = 0; r < R; r++)                                                      \
        _Pragma("GCC unroll 16") for (int t = 0; t < G; t++) {                                                   \
            float v_ = _mm512_reduce_add_ps(acc[r][t]);                                                           \
            out[(size_t)t * out_stride + r] = bias ? v_ + bias[r] : v_;                                           \
        }                                                                                                         \
    }

#define DEFINE_FORMAT(FMT)                                                                                        \
    static inline __m512 acc_##FMT(const uint8_t *row, const float *x, int64_t chunks, __m512 table) {           \
        __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;                                               \
        int64_t c = 0;                                                                                            \
        for (; c + 2 <= chunks; c += 2) {                                                                         \
            __m512 w[2], v[2];                                                                                    \
            decode_##FMT##_t(row, c, w, table);                                                                   \
            decode_##FMT##_t(row, c + 1, v, table);                                                               \
            const float *xc = x + c * 32;                                                                         \
            a0 = _mm512_fmadd_ps(w[0], _mm512_loadu_ps(xc), a0);                                                  \
            a1 = _mm512_fmadd_ps(w[1], _mm512_loadu_ps(xc + 16), a1);                                             \
            a2 = _mm512_fmadd_ps(v[0], _mm512_loadu_ps(xc + 32), a2);                                             \
            a3 = _mm512_fmadd_ps(v[1], _mm512_loadu_ps(xc + 48), a3);                                             \
        }                                                                                                         \
        if (c < chunks) {                                                                                         \
            __m512 w[2];                                                                                          \
            decode_##FMT##_t(row, c, w, table);                                                                   \
            a0 = _mm512_fmadd_ps(w[0], _mm512_loadu_ps(x + c * 32), a0);                                          \
            a1 = _mm512_fmadd_ps(w[1], _mm512_loadu_ps(x + c * 32 + 16), a1);                                     \
        }                                                                                                         \
        return _mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3));                                      \
    }                                                                                                             \
    static float dot_##FMT(const uint8_t *row, const float *x, int64_t chunks) {                                  \
        return _mm512_reduce_add_ps(acc_##FMT(row, x, chunks, table_##FMT()));                                   \
    }                                                                                                             \
    /* rows one after another (the weights stream in order), their sums reduced 16 at a time */                  \
    static void rows_##FMT(const uint8_t *rows, size_t row_bytes, size_t n_rows, const float *x, int64_t chunks,  \
                           float *out, const float *bias) {                                                       \
        const __m512 table = table_##FMT();                                                                       \
        size_t r = 0;                                                                                             \
        for (; n_rows - r >= 16; r += 16) {                                                                       \
            __m512 a[16];                                                                                         \
            for (int i = 0; i < 16; i++) a[REDUCE16_SLOT[i]] = acc_##FMT(rows + (r + i) * row_bytes, x, chunks, table); \
            __m512 s = reduce16(a);                                                                               \
            if (bias) s = _mm512_add_ps(s, _mm512_loadu_ps(bias + r));                                            \
            _mm512_storeu_ps(out + r, s);                                                                         \
        }                                                                                                         \
        for (; r < n_rows; r++) {                                                                                 \
            float v = _mm512_reduce_add_ps(acc_##FMT(rows + r * row_bytes, x, chunks, table));                    \
            out[r] = bias ? v + bias[r] : v;                                                                      \
        }                                                                                                         \
    }                                                                                                             \
    DEFINE_GROUP(FMT, 1, 1)                                                                                       \
    DEFINE_GROUP(FMT, 1, 2)                                                                                       \
    DEFINE_GROUP(FMT, 1, 4)                                                                                       \
    DEFINE_GROUP(FMT, 1, 8)                                                                                       \
    DEFINE_GROUP(FMT, 2, 4)                                                                                       \
    DEFINE_GROUP(FMT, 2, 1)                                                                                       \
    DEFINE_GROUP(FMT, 2, 2)                                                                                       \
    DEFINE_GROUP(FMT, 2, 3)                                                                                       \
    DEFINE_GROUP(FMT, 4, 1)                                                                                       \
    DEFINE_GROUP(FMT, 4, 2)                                                                                       \
    DEFINE_GROUP(FMT, 4, 3)                                                                                       \
    DEFINE_GROUP(FMT, 4, 4)                                                                                       \
    /* four rows (row_bytes apart) against T tokens: 4 x 4 blocks, then the last T % 4 tokens */                  \
    static void rows4_##FMT(const uint8_t *row, size_t row_bytes, const float *xp, size_t T, int64_t chunks,      \
                            float *out, size_t out_stride, const float *bias) {                                   \
        size_t t = 0; /* a group reads its tokens' slice of each chunk: xp offset by t tokens */                 \
        for (; T - t >= 4; t += 4) group_##FMT##_4x4(row, row_bytes, xp + t * 32, T, chunks, out + t * out_stride, out_stride, bias); \
        switch (T - t) {                                                                                          \
        case 3: group_##FMT##_4x3(row, row_bytes, xp + t * 32, T, chunks, out + t * out_stride, out_stride, bias); break; \
        case 2: group_##FMT##_4x2(row, row_bytes, xp + t * 32, T, chunks, out + t * out_stride, out_stride, bias); break; \
        case 1: group_##FMT##_4x1(row, row_bytes, xp + t * 32, T, chunks, out + t * out_stride, out_stride, bias); break; \
        default: break;                                                                                           \
        }                                                                                                         \
    }                                                                                                             \
    /* the last rows of a run (fewer than four): two at a time, then one */                                       \
    static void rows_tail_##FMT(const uint8_t *row, size_t row_bytes, size_t n_rows, const float *xp, size_t T,  \
                                int64_t chunks, float *out, size_t out_stride, const float *bias) {               \
        if (n_rows >= 2) {                                                                                        \
            size_t t = 0;                                                                                         \
            for (; T - t >= 4; t += 4) group_##FMT##_2x4(row, row_bytes, xp + t * 32, T, chunks, out + t * out_stride, out_stride, bias); \
            switch (T - t) {                                                                                      \
            case 3: group_##FMT##_2x3(row, row_bytes, xp + t * 32, T, chunks, out + t * out_stride, out_stride, bias); break; \
            case 2: group_##FMT##_2x2(row, row_bytes, xp + t * 32, T, chunks, out + t * out_stride, out_stride, bias); break; \
            case 1: group_##FMT##_2x1(row, row_bytes, xp + t * 32, T, chunks, out + t * out_stride, out_stride, bias); break; \
            default: break;                                                                                       \
            }                                                                                                     \
            row += 2 * row_bytes, out += 2, bias = bias ? bias + 2 : NULL, n_rows -= 2;                           \
        }                                                                                                         \
        if (n_rows == 1) {                                                                                        \
            size_t t = 0;                                                                                         \
            for (; T - t >= 8; t += 8) group_##FMT##_1x8(row, 0, xp + t * 32, T, chunks, out + t * out_stride, out_stride, bias); \
            if (T - t >= 4) group_##FMT##_1x4(row, 0, xp + t * 32, T, chunks, out + t * out_stride, out_stride, bias), t += 4; \
            if (T - t >= 2) group_##FMT##_1x2(row, 0, xp + t * 32, T, chunks, out + t * out_stride, out_stride, bias), t += 2; \
            if (T - t >= 1) group_##FMT##_1x1(row, 0, xp + t * 32, T, chunks, out + t * out_stride, out_stride, bias); \
        }                                                                                                         \
    }                                                                                                             \
    static void packed_##FMT(const uint8_t *rows, size_t row_bytes, size_t n_rows, const float *xp, size_t T,    \
                             int64_t chunks, float *out, size_t out_stride, const float *bias) {                  \
        size_t r = 0;                                                                                             \
        for (; n_rows - r >= 4; r += 4)                                                                           \
            rows4_##FMT(rows + r * row_bytes, row_bytes, xp, T, chunks, out + r, out_stride, bias ? bias + r : NULL); \
        if (r < n_rows)                                                                                           \
            rows_tail_##FMT(rows + r * row_bytes, row_bytes, n_rows - r, xp, T, chunks, out + r, out_stride, bias ? bias + r : NULL); \
    }

DEFINE_FORMAT(q8_0)
DEFINE_FORMAT(mxfp4)
DEFINE_FORMAT(q4_0)
DEFINE_FORMAT(q4_k)
DEFINE_FORMAT(q5_k)
DEFINE_FORMAT(q6_k)
DEFINE_FORMAT(f32_fmt)
DEFINE_FORMAT(f16)
DEFINE_FORMAT(bf16)

/* Anything else (a row whose length is not whole blocks) goes to the AVX2 set. */
static const mt_kernels *fallback(void) { return mt_kernels_avx2(); }

static float dot(uint32_t type, const void *row, const float *x, int64_t n) {
    if (n % 32 == 0) switch (type) {
        case MT_TYPE_Q8_0: return dot_q8_0(row, x, n / 32);
        case MT_TYPE_MXFP4: return dot_mxfp4(row, x, n / 32);
        case MT_TYPE_Q4_0: return dot_q4_0(row, x, n / 32);
        case MT_TYPE_Q4_K: if (n % 256 == 0) return dot_q4_k(row, x, n / 32); break;
        case MT_TYPE_Q5_K: if (n % 256 == 0) return dot_q5_k(row, x, n / 32); break;
        case MT_TYPE_Q6_K: if (n % 256 == 0) return dot_q6_k(row, x, n / 32); break;
        case MT_TYPE_F32: return dot_f32_fmt(row, x, n / 32);
        case MT_TYPE_F16: return dot_f16(row, x, n / 32);
        case MT_TYPE_BF16: return dot_bf16(row, x, n / 32);
        default: break;
        }
    return fallback()->dot(type, row, x, n);
}

static void dot_rows(uint32_t type, const void *rows, size_t row_bytes, size_t n_rows, const float *x, int64_t n, float *out,
                     const float *bias) {
    if (n % 32 == 0) switch (type) {
        case MT_TYPE_Q8_0: rows_q8_0(rows, row_bytes, n_rows, x, n / 32, out, bias); return;
        case MT_TYPE_MXFP4: rows_mxfp4(rows, row_bytes, n_rows, x, n / 32, out, bias); return;
        case MT_TYPE_Q4_0: rows_q4_0(rows, row_bytes, n_rows, x, n / 32, out, bias); return;
        case MT_TYPE_Q4_K: if (n % 256 == 0) { rows_q4_k(rows, row_bytes, n_rows, x, n / 32, out, bias); return; } break;
        case MT_TYPE_Q5_K: if (n % 256 == 0) { rows_q5_k(rows, row_bytes, n_rows, x, n / 32, out, bias); return; } break;
        case MT_TYPE_Q6_K: if (n % 256 == 0) { rows_q6_k(rows, row_bytes, n_rows, x, n / 32, out, bias); return; } break;
        case MT_TYPE_F32: rows_f32_fmt(rows, row_bytes, n_rows, x, n / 32, out, bias); return;
        case MT_TYPE_F16: rows_f16(rows, row_bytes, n_rows, x, n / 32, out, bias); return;
        case MT_TYPE_BF16: rows_bf16(rows, row_bytes, n_rows, x, n / 32, out, bias); return;
        default: break;
        }
    fallback()->dot_rows(type, rows, row_bytes, n_rows, x, n, out, bias);
}

static void dot_packed(uint32_t type, const void *rows, size_t row_bytes, size_t n_rows, const float *xp, size_t T, int64_t n,
                       float *out, size_t out_stride, const float *bias) {
    switch (type) {
    case MT_TYPE_Q8_0: packed_q8_0(rows, row_bytes, n_rows, xp, T, n / 32, out, out_stride, bias); return;
    case MT_TYPE_MXFP4: packed_mxfp4(rows, row_bytes, n_rows, xp, T, n / 32, out, out_stride, bias); return;
    case MT_TYPE_Q4_0: packed_q4_0(rows, row_bytes, n_rows, xp, T, n / 32, out, out_stride, bias); return;
    case MT_TYPE_Q4_K: packed_q4_k(rows, row_bytes, n_rows, xp, T, n / 32, out, out_stride, bias); return;
    case MT_TYPE_Q5_K: packed_q5_k(rows, row_bytes, n_rows, xp, T, n / 32, out, out_stride, bias); return;
    case MT_TYPE_Q6_K: packed_q6_k(rows, row_bytes, n_rows, xp, T, n / 32, out, out_stride, bias); return;
    case MT_TYPE_F32: packed_f32_fmt(rows, row_bytes, n_rows, xp, T, n / 32, out, out_stride, bias); return;
    case MT_TYPE_F16: packed_f16(rows, row_bytes, n_rows, xp, T, n / 32, out, out_stride, bias); return;
    case MT_TYPE_BF16: packed_bf16(rows, row_bytes, n_rows, xp, T, n / 32, out, out_stride, bias); return;
    default: fallback()->dot_packed(type, rows, row_bytes, n_rows, xp, T, n, out, out_stride, bias);
    }
}

static float dot_f32(const float *a, const float *b, size_t n) {
    __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), acc0);
        acc1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), acc1);
    }
    for (; i + 16 <= n; i += 16) acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), acc0);
    float s = _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));
    for (; i < n; i++) s += a[i] * b[i];
    return s;
}

static void scale_add(float *y, float c, float p, const float *x, size_t n) {
    __m512 cv = _mm512_set1_ps(c), pv = _mm512_set1_ps(p);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, _mm512_fmadd_ps(pv, _mm512_loadu_ps(x + i), _mm512_mul_ps(cv, _mm512_loadu_ps(y + i))));
    for (; i < n; i++) y[i] = c * y[i] + p * x[i];
}

static const mt_kernels avx512 = { "avx512", dot, dot_rows, dot_packed, dot_f32, scale_add };

#if defined(__clang__)
#pragma clang attribute pop
#endif

const mt_kernels *mt_kernels_avx512(void) {
    __builtin_cpu_init();
    /* the compiler's check reads CPUID and, for AVX-512, that the OS saves the ZMM state (XCR0) */
    if (__builtin_cpu_supports("avx512f") && mt_kernels_avx2()) {
        static pthread_once_t once = PTHREAD_ONCE_INIT;
        pthread_once(&once, e8m0_table_init);
        return &avx512;
    }
    return NULL;
}

#else

const mt_kernels *mt_kernels_avx512(void) { return NULL; }

#endif
