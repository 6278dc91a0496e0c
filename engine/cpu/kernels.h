/* Row kernels of the C backend, chosen once at run time: AVX-512F where the
 * processor has it, else AVX2 + FMA + F16C, else portable C (each set hands
 * the formats it does not cover to the next). All give the same sums up to
 * float32 summation order.
 *
 * Several tokens are passed "packed" by 32-element chunks, so that one chunk
 * of every token is contiguous: xp[(c * T + t) * 32 + i] = x[t][32 c + i].
 * (Token rows of 2^k floats would otherwise all fall in the same cache sets.) */
#ifndef MT_KERNELS_H
#define MT_KERNELS_H

#include <stddef.h>
#include <stdint.h>

typedef struct mt_kernels {
    const char *name; /* "avx512", "avx2" or "c" */
    /* out[0] = sum_i row[i] x[i]; row has n elements of type */
    float (*dot)(uint32_t type, const void *row, const float *x, int64_t n);
    /* out[r] = sum_i rows[r][i] x[i] (+ bias[r], added last, when bias is not NULL) for r < n_rows,
     * row r at rows + r * row_bytes: several rows against one token */
    void (*dot_rows)(uint32_t type, const void *rows, size_t row_bytes, size_t n_rows, const float *x, int64_t n, float *out,
                     const float *bias);
    /* out[t * out_stride + r] = sum_i rows[r][i] x[t][i] (+ bias[r], added last, when bias is not
     * NULL) for r < n_rows and t < T: row r at rows + r * row_bytes, x packed; n a multiple of 32 */
    void (*dot_packed)(uint32_t type, const void *rows, size_t row_bytes, size_t n_rows, const float *xp, size_t T, int64_t n,
                       float *out, size_t out_stride, const float *bias);
    /* sum_i a[i] b[i] */
    float (*dot_f32)(const float *a, const float *b, size_t n);
    /* y[i] = c y[i] + p x[i] for i < n (attention's running weighted sum of values) */
    void (*scale_add)(float *y, float c, float p, const float *x, size_t n);
} mt_kernels;

/* dot_rows for a set without a many-row kernel: out[r] = dot(row r) (+ bias[r]). */
void mt_dot_rows_each(float (*dot)(uint32_t type, const void *row, const float *x, int64_t n), uint32_t type, const void *rows,
                      size_t row_bytes, size_t n_rows, const float *x, int64_t n, float *out, const float *bias);

/* Packs T rows of n floats (n a multiple of 32) into xp (T * n floats). */
void mt_pack_tokens(const float *x, size_t T, size_t n, float *xp);

/* The fastest set this processor runs. */
const mt_kernels *mt_kernels_best(void);
/* "c", "avx2" or "avx512"; NULL for another name or a set this processor lacks. */
const mt_kernels *mt_kernels_named(const char *name);
const mt_kernels *mt_kernels_portable(void);
/* NULL when the processor lacks AVX2, FMA or F16C. */
const mt_kernels *mt_kernels_avx2(void);
/* NULL when the processor or the OS lacks AVX-512F (or the AVX2 set). */
const mt_kernels *mt_kernels_avx512(void);

#endif
