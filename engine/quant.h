/* Tensor element formats, as ggml numbers and lays them out.
 *
 * A row of n elements is n / block_size blocks of type_size bytes each. Every
 * ggml type id is known here (so `moetop info` can describe any file); the ones
 * with can_dequant can be computed with, the ones with can_quantize can be
 * written by `synth` and exports. */
#ifndef MT_QUANT_H
#define MT_QUANT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    MT_TYPE_F32 = 0,
    MT_TYPE_F16 = 1,
    MT_TYPE_Q4_0 = 2,
    MT_TYPE_Q8_0 = 8,
    MT_TYPE_Q4_K = 12,
    MT_TYPE_Q5_K = 13,
    MT_TYPE_Q6_K = 14,
    MT_TYPE_BF16 = 30,
    MT_TYPE_MXFP4 = 39,
    MT_TYPE_COUNT = 40 /* one past the largest id known */
};

typedef struct mt_type_info {
    const char *name;   /* ggml's name: "F32", "Q8_0", "MXFP4", ... */
    uint32_t block_size;  /* elements per block */
    uint32_t type_size;   /* bytes per block */
    bool can_dequant;   /* dequantize and dot are implemented */
    bool can_quantize;  /* quantize from float32 is implemented */
} mt_type_info;

/* NULL for an id ggml never assigned or has removed. */
const mt_type_info *mt_type_get(uint32_t type);

/* The id whose name matches (case-insensitive), or -1. */
int mt_type_from_name(const char *name);

/* Bytes of a row of n elements; 0 when n is not a multiple of the block size. */
uint64_t mt_row_bytes(uint32_t type, uint64_t n);

/* dst[0..n) = the n elements of row src. n must be a multiple of the block size. */
void mt_dequant_row(uint32_t type, const void *src, float *dst, int64_t n);

/* sum over i of row[i] * x[i]; accumulated in float32 per block, as a
 * dequantize-then-multiply would. */
float mt_dot_row(uint32_t type, const void *row, const float *x, int64_t n);

/* Writes the n elements of src in the given format (F32, F16, BF16, Q8_0, MXFP4)
 * with llama.cpp's rounding rules; returns the bytes written (mt_row_bytes). */
size_t mt_quantize_row(uint32_t type, const float *src, void *dst, int64_t n);

#endif
