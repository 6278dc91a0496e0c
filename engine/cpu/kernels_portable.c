/* Portable kernels: each format's own dot from quant.c for one token; for
 * several, each 32-element chunk is dequantized once and reused for every token. */
#include <string.h>

#include "../quant.h"
#include "kernels.h"

void mt_pack_tokens(const float *x, size_t T, size_t n, float *xp) {
    for (size_t c = 0; c < n / 32; c++)
        for (size_t t = 0; t < T; t++) memcpy(xp + (c * T + t) * 32, x + t * n + c * 32, 32 * sizeof *xp);
}

void mt_dot_rows_each(float (*dot)(uint32_t type, const void *row, const float *x, int64_t n), uint32_t type, const void *rows,
                      size_t row_bytes, size_t n_rows, const float *x, int64_t n, float *out, const float *bias) {
    for (size_t r = 0; r < n_rows; r++) {
        float v = dot(type, (const uint8_t *)rows + r * row_bytes, x, n);
        out[r] = bias ? v + bias[r] : v;
    }
}

static float dot_f32(const float *a, const float *b, size_t n) {
    float acc[8] = { 0 };
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int l = 0; l < 8; l++) acc[l] += a[i + l] * b[i + l];
    float s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
    for (; i < n; i++) s += a[i] * b[i];
    return s;
}

static float dot(uint32_t type, const void *row, const float *x, int64_t n) { return mt_dot_row(type, row, x, n); }

static void packed_row(uint32_t type, const void *row, const float *xp, size_t T, int64_t n, float *out, size_t out_stride,
                       const float *bias) {
    const mt_type_info *info = mt_type_get(type);
    size_t span = info->block_size > 32 ? info->block_size : 32; /* dequantize whole blocks, at least 32 elements */
    float block[256];
    for (size_t t = 0; t < T; t++) out[t * out_stride] = 0.0f;
    for (int64_t i = 0; i < n; i += (int64_t)span) {
        mt_dequant_row(type, (const uint8_t *)row + mt_row_bytes(type, (uint64_t)i), block, (int64_t)span);
        for (size_t c = 0; c < span / 32; c++) {
            size_t chunk = (size_t)i / 32 + c;
            for (size_t t = 0; t < T; t++) out[t * out_stride] += dot_f32(block + 32 * c, xp + (chunk * T + t) * 32, 32);
        }
    }
    if (bias)
        for (size_t t = 0; t < T; t++) out[t * out_stride] += *bias;
}

static void scale_add(float *y, float c, float p, const float *x, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = c * y[i] + p * x[i];
}

static void dot_packed(uint32_t type, const void *rows, size_t row_bytes, size_t n_rows, const float *xp, size_t T, int64_t n,
                       float *out, size_t out_stride, const float *bias) {
    for (size_t r = 0; r < n_rows; r++)
        packed_row(type, (const uint8_t *)rows + r * row_bytes, xp, T, n, out + r, out_stride, bias ? bias + r : NULL);
}

static void dot_rows(uint32_t type, const void *rows, size_t row_bytes, size_t n_rows, const float *x, int64_t n, float *out,
                     const float *bias) {
    mt_dot_rows_each(dot, type, rows, row_bytes, n_rows, x, n, out, bias);
}

static const mt_kernels portable = { "c", dot, dot_rows, dot_packed, dot_f32, scale_add };

const mt_kernels *mt_kernels_portable(void) { return &portable; }

const mt_kernels *mt_kernels_best(void) {
    const mt_kernels *k = mt_kernels_avx512();
    if (!k) k = mt_kernels_avx2();
    return k ? k : &portable;
}

const mt_kernels *mt_kernels_named(const char *name) {
    if (!strcmp(name, "c")) return &portable;
    if (!strcmp(name, "avx2")) return mt_kernels_avx2();
    if (!strcmp(name, "avx512")) return mt_kernels_avx512();
    return NULL;
}
