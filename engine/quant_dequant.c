/* Dequantization and dot products, one pair of functions per format.
 *
 * Dequantizers reproduce llama.cpp's reference dequantizers bit for bit (the
 * order of the float multiplications included): the oracle in
 * shared/oracle/quant checks every value exactly. */
#include "quant.h"

#include <math.h>
#include <string.h>

#include "half.h"
#include "quant_blocks.h"

/* Blocks are read in place from an mmap'd file whose offsets are only 32-byte
 * aligned at the tensor start, and 17- or 34-byte blocks are unaligned anyway,
 * so 16-bit fields are read through memcpy. */
static inline uint16_t load_u16(const void *p) {
    uint16_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* ---- one block -> floats --------------------------------------------------- */

static void dequant_q4_0(const uint8_t *b, float *y) {
    const float d = mt_f16_to_f32(load_u16(b + offsetof(block_q4_0, d)));
    const uint8_t *qs = b + offsetof(block_q4_0, qs);
    for (int j = 0; j < QK4_0 / 2; j++) {
        y[j] = (float)((qs[j] & 0x0f) - 8) * d;
        y[j + QK4_0 / 2] = (float)((qs[j] >> 4) - 8) * d;
    }
}

static void dequant_q8_0(const uint8_t *b, float *y) {
    const float d = mt_f16_to_f32(load_u16(b + offsetof(block_q8_0, d)));
    const int8_t *qs = (const int8_t *)(b + offsetof(block_q8_0, qs));
    for (int j = 0; j < QK8_0; j++) y[j] = (float)qs[j] * d;
}

static void dequant_mxfp4(const uint8_t *b, float *y) {
    const float d = mxfp4_e8m0_half(b[offsetof(block_mxfp4, e)]);
    const uint8_t *qs = b + offsetof(block_mxfp4, qs);
    for (int j = 0; j < QK_MXFP4 / 2; j++) {
        y[j] = (float)mxfp4_kvalues[qs[j] & 0x0f] * d;
        y[j + QK_MXFP4 / 2] = (float)mxfp4_kvalues[qs[j] >> 4] * d;
    }
}

static void dequant_q4_k(const uint8_t *b, float *y) {
    const float d = mt_f16_to_f32(load_u16(b + offsetof(block_q4_k, d)));
    const float dmin = mt_f16_to_f32(load_u16(b + offsetof(block_q4_k, dmin)));
    const uint8_t *scales = b + offsetof(block_q4_k, scales);
    const uint8_t *q = b + offsetof(block_q4_k, qs);
    int is = 0;
    for (int j = 0; j < QK_K; j += 64) {
        int sc, m;
        mt_q4k_scale_min(is + 0, scales, &sc, &m);
        const float d1 = d * sc, m1 = dmin * m;
        mt_q4k_scale_min(is + 1, scales, &sc, &m);
        const float d2 = d * sc, m2 = dmin * m;
        for (int l = 0; l < 32; l++) *y++ = d1 * (float)(q[l] & 0x0f) - m1;
        for (int l = 0; l < 32; l++) *y++ = d2 * (float)(q[l] >> 4) - m2;
        q += 32;
        is += 2;
    }
}

/* Q5_K (layout in quant_blocks.h): as Q4_K, with the fifth bit of each code
 * from qh, in ggml's order of operations (d * scale, then times the code,
 * minus dmin * min). */
static void dequant_q5_k(const uint8_t *b, float *y) {
    const float d = mt_f16_to_f32(load_u16(b + offsetof(block_q5_k, d)));
    const float dmin = mt_f16_to_f32(load_u16(b + offsetof(block_q5_k, dmin)));
    const uint8_t *scales = b + offsetof(block_q5_k, scales);
    const uint8_t *qh = b + offsetof(block_q5_k, qh);
    const uint8_t *q = b + offsetof(block_q5_k, qs);
    for (int s = 0; s < 8; s += 2) { /* sub-blocks s and s + 1 share 32 bytes of qs */
        int sc, m;
        mt_q4k_scale_min(s + 0, scales, &sc, &m);
        const float d1 = d * sc, m1 = dmin * m;
        mt_q4k_scale_min(s + 1, scales, &sc, &m);
        const float d2 = d * sc, m2 = dmin * m;
        for (int l = 0; l < 32; l++) *y++ = d1 * (float)((q[l] & 0x0f) | (((qh[l] >> s) & 1) << 4)) - m1;
        for (int l = 0; l < 32; l++) *y++ = d2 * (float)((q[l] >> 4) | (((qh[l] >> (s + 1)) & 1) << 4)) - m2;
        q += 32;
    }
}

static void dequant_q6_k(const uint8_t *b, float *y) {
    const float d = mt_f16_to_f32(load_u16(b + offsetof(block_q6_k, d)));
    const uint8_t *ql = b + offsetof(block_q6_k, ql);
    const uint8_t *qh = b + offsetof(block_q6_k, qh);
    const int8_t *sc = (const int8_t *)(b + offsetof(block_q6_k, scales));
    for (int n = 0; n < QK_K; n += 128) {
        for (int l = 0; l < 32; l++) {
            const int is = l / 16;
            const int q1 = ((ql[l + 0] & 0x0f) | (((qh[l] >> 0) & 3) << 4)) - 32;
            const int q2 = ((ql[l + 32] & 0x0f) | (((qh[l] >> 2) & 3) << 4)) - 32;
            const int q3 = ((ql[l + 0] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
            const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
            y[l + 0] = d * (float)sc[is + 0] * (float)q1;
            y[l + 32] = d * (float)sc[is + 2] * (float)q2;
            y[l + 64] = d * (float)sc[is + 4] * (float)q3;
            y[l + 96] = d * (float)sc[is + 6] * (float)q4;
        }
        y += 128;
        ql += 64;
        qh += 32;
        sc += 8;
    }
}

typedef void (*block_dequant_fn)(const uint8_t *block, float *out);

static block_dequant_fn block_dequantizer(uint32_t type) {
    switch (type) {
    case MT_TYPE_Q4_0: return dequant_q4_0;
    case MT_TYPE_Q8_0: return dequant_q8_0;
    case MT_TYPE_MXFP4: return dequant_mxfp4;
    case MT_TYPE_Q4_K: return dequant_q4_k;
    case MT_TYPE_Q5_K: return dequant_q5_k;
    case MT_TYPE_Q6_K: return dequant_q6_k;
    default: return NULL;
    }
}

void mt_dequant_row(uint32_t type, const void *src, float *dst, int64_t n) {
    const uint8_t *s = src;
    switch (type) {
    case MT_TYPE_F32: memcpy(dst, src, (size_t)n * sizeof(float)); return;
    case MT_TYPE_F16:
        for (int64_t i = 0; i < n; i++) dst[i] = mt_f16_to_f32(load_u16(s + 2 * i));
        return;
    case MT_TYPE_BF16:
        for (int64_t i = 0; i < n; i++) dst[i] = mt_bf16_to_f32(load_u16(s + 2 * i));
        return;
    default: break;
    }
    const mt_type_info *info = mt_type_get(type);
    block_dequant_fn fn = block_dequantizer(type);
    if (!info || !fn) return; /* callers check can_dequant first */
    for (int64_t i = 0; i < n; i += info->block_size) fn(s + (i / info->block_size) * info->type_size, dst + i);
}

/* ---- dot products ------------------------------------------------------------
 * Eight independent partial sums so the compiler can keep them in one vector
 * register without reassociating a single float sum (no -ffast-math needed). */

#define LANES 8

static inline float sum_lanes(const float *acc) {
    float s = 0.0f;
    for (int l = 0; l < LANES; l++) s += acc[l];
    return s;
}

static float dot_f32(const float *w, const float *x, int64_t n) {
    float acc[LANES] = { 0 };
    int64_t i = 0;
    for (; i + LANES <= n; i += LANES)
        for (int l = 0; l < LANES; l++) acc[l] += w[i + l] * x[i + l];
    float s = sum_lanes(acc);
    for (; i < n; i++) s += w[i] * x[i];
    return s;
}

static float dot_f16(const uint8_t *w, const float *x, int64_t n) {
    float s = 0.0f;
    for (int64_t i = 0; i < n; i++) s += mt_f16_to_f32(load_u16(w + 2 * i)) * x[i];
    return s;
}

static float dot_bf16(const uint8_t *w, const float *x, int64_t n) {
    float acc[LANES] = { 0 };
    int64_t i = 0;
    for (; i + LANES <= n; i += LANES)
        for (int l = 0; l < LANES; l++) acc[l] += mt_bf16_to_f32(load_u16(w + 2 * (i + l))) * x[i + l];
    float s = sum_lanes(acc);
    for (; i < n; i++) s += mt_bf16_to_f32(load_u16(w + 2 * i)) * x[i];
    return s;
}

/* Q8_0 and MXFP4 carry the experts and most matrices of gpt-oss: their dot
 * sums q * x over the block first and scales once, as ggml does. */
static float dot_q8_0(const uint8_t *w, const float *x, int64_t n) {
    float s = 0.0f;
    for (int64_t b = 0; b < n / QK8_0; b++, w += sizeof(block_q8_0), x += QK8_0) {
        const int8_t *qs = (const int8_t *)(w + offsetof(block_q8_0, qs));
        float acc[LANES] = { 0 };
        for (int j = 0; j < QK8_0; j += LANES)
            for (int l = 0; l < LANES; l++) acc[l] += (float)qs[j + l] * x[j + l];
        s += sum_lanes(acc) * mt_f16_to_f32(load_u16(w + offsetof(block_q8_0, d)));
    }
    return s;
}

static float dot_mxfp4(const uint8_t *w, const float *x, int64_t n) {
    float s = 0.0f;
    for (int64_t b = 0; b < n / QK_MXFP4; b++, w += sizeof(block_mxfp4), x += QK_MXFP4) {
        const uint8_t *qs = w + offsetof(block_mxfp4, qs);
        float acc[LANES] = { 0 };
        for (int j = 0; j < QK_MXFP4 / 2; j += LANES)
            for (int l = 0; l < LANES; l++)
                acc[l] += (float)mxfp4_kvalues[qs[j + l] & 0x0f] * x[j + l] +
                          (float)mxfp4_kvalues[qs[j + l] >> 4] * x[j + l + QK_MXFP4 / 2];
        s += sum_lanes(acc) * mxfp4_e8m0_half(w[offsetof(block_mxfp4, e)]);
    }
    return s;
}

/* The k-quants and Q4_0 are read rarely (users' own conversions): dequantize a
 * block at a time into a stack buffer and multiply. */
static float dot_by_blocks(uint32_t type, const uint8_t *w, const float *x, int64_t n) {
    const mt_type_info *info = mt_type_get(type);
    block_dequant_fn fn = block_dequantizer(type);
    float tmp[QK_K];
    float s = 0.0f;
    for (int64_t i = 0; i < n; i += info->block_size, w += info->type_size) {
        fn(w, tmp);
        s += dot_f32(tmp, x + i, info->block_size);
    }
    return s;
}

float mt_dot_row(uint32_t type, const void *row, const float *x, int64_t n) {
    switch (type) {
    case MT_TYPE_F32: return dot_f32(row, x, n);
    case MT_TYPE_F16: return dot_f16(row, x, n);
    case MT_TYPE_BF16: return dot_bf16(row, x, n);
    case MT_TYPE_Q8_0: return dot_q8_0(row, x, n);
    case MT_TYPE_MXFP4: return dot_mxfp4(row, x, n);
    case MT_TYPE_Q4_0:
    case MT_TYPE_Q4_K:
    case MT_TYPE_Q5_K:
    case MT_TYPE_Q6_K: return dot_by_blocks(type, row, x, n);
    default: return NAN;
    }
}
