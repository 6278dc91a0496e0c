/* Quantizing float32 rows, with the rounding rules of llama.cpp's reference
 * quantizers so that a file written here holds what llama.cpp would write. */
#include <math.h>
#include <string.h>

#include "half.h"
#include "quant.h"
#include "quant_blocks.h"

static void store_u16(void *p, uint16_t v) { memcpy(p, &v, sizeof v); }

/* Q8_0: d = max|x| / 127 stored as F16; q = round(x / d), halves away from zero.
 * The scale used for rounding is the float32 d, not its F16 rounding, as in
 * llama.cpp. */
static void quantize_q8_0(const float *x, uint8_t *b) {
    float amax = 0.0f;
    for (int j = 0; j < QK8_0; j++) {
        float a = fabsf(x[j]);
        amax = a > amax ? a : amax;
    }
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    store_u16(b + offsetof(block_q8_0, d), mt_f32_to_f16(d));
    int8_t *qs = (int8_t *)(b + offsetof(block_q8_0, qs));
    for (int j = 0; j < QK8_0; j++) qs[j] = (int8_t)roundf(x[j] * id);
}

/* MXFP4: the shared exponent e = floor(log2(max|x|)) - 2 + 127 puts the block's
 * largest magnitude in the top binade of E2M1 (4..6); each element takes the
 * nearest code by absolute error, the lowest code on a tie (ggml scans all 16
 * codes in order). Only codes of x's own sign can win, after code 0: for
 * x >= 0 the scan is codes 0..7; for x < 0, code 0 then 9..15 (code 8, -0,
 * always ties code 0 and loses). */
static uint8_t nearest_mxfp4(float v, float d) {
    int best = 0;
    float best_err = fabsf(v); /* code 0 */
    int first = v < 0.0f ? 9 : 1, last = v < 0.0f ? 15 : 7;
    for (int c = first; c <= last; c++) {
        const float err = fabsf((float)mxfp4_kvalues[c] * d - v);
        if (err < best_err) {
            best = c;
            best_err = err;
        }
    }
    return (uint8_t)best;
}

static void quantize_mxfp4(const float *x, uint8_t *b) {
    float amax = 0.0f;
    for (int j = 0; j < QK_MXFP4; j++) {
        float a = fabsf(x[j]);
        amax = a > amax ? a : amax;
    }
    int e = 0;
    if (amax > 0.0f) {
        float ef = floorf(log2f(amax)) - 2.0f + 127.0f;
        e = ef < 0.0f ? 0 : ef > 254.0f ? 254 : (int)ef;
    }
    b[offsetof(block_mxfp4, e)] = (uint8_t)e;
    const float d = mxfp4_e8m0_half((uint8_t)e);
    uint8_t *qs = b + offsetof(block_mxfp4, qs);
    for (int j = 0; j < QK_MXFP4 / 2; j++)
        qs[j] = (uint8_t)(nearest_mxfp4(x[j], d) | (nearest_mxfp4(x[j + QK_MXFP4 / 2], d) << 4));
}

size_t mt_quantize_row(uint32_t type, const float *src, void *dst, int64_t n) {
    uint8_t *d = dst;
    switch (type) {
    case MT_TYPE_F32: memcpy(dst, src, (size_t)n * sizeof(float)); break;
    case MT_TYPE_F16:
        for (int64_t i = 0; i < n; i++) store_u16(d + 2 * i, mt_f32_to_f16(src[i]));
        break;
    case MT_TYPE_BF16:
        for (int64_t i = 0; i < n; i++) store_u16(d + 2 * i, mt_f32_to_bf16(src[i]));
        break;
    case MT_TYPE_Q8_0:
        for (int64_t i = 0; i < n; i += QK8_0) quantize_q8_0(src + i, d + (i / QK8_0) * sizeof(block_q8_0));
        break;
    case MT_TYPE_MXFP4:
        for (int64_t i = 0; i < n; i += QK_MXFP4) quantize_mxfp4(src + i, d + (i / QK_MXFP4) * sizeof(block_mxfp4));
        break;
    default: return 0;
    }
    return (size_t)mt_row_bytes(type, (uint64_t)n);
}
