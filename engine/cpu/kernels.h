/* Row kernels of the C backend, chosen once at run time: AVX2 + FMA + F16C
 * where the processor has them, portable C otherwise (and for the formats
 * the AVX2 set does not cover). Both give the same sums up to float32
 * summation order. */
#ifndef MT_KERNELS_H
#define MT_KERNELS_H

#include <stddef.h>
#include <stdint.h>

typedef struct mt_kernels {
    const char *name; /* "avx2" or "c" */
    /* out[t * out_stride] = sum_i row[i] x[t * x_stride + i] for t < T; row has n elements of type */
    void (*dot_rows)(uint32_t type, const void *row, const float *x, size_t x_stride, size_t T, int64_t n, float *out,
                     size_t out_stride);
    /* sum_i a[i] b[i] */
    float (*dot_f32)(const float *a, const float *b, size_t n);
} mt_kernels;

const mt_kernels *mt_kernels_best(void);
const mt_kernels *mt_kernels_portable(void);
/* NULL when the processor lacks AVX2, FMA or F16C. */
const mt_kernels *mt_kernels_avx2(void);

#endif
