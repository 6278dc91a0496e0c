/* Random rows of a quantized format for the tests: random codes with
 * modest, finite scales (random f16, bf16 or f32 bits can be NaN or inf). */
#ifndef MT_QUANT_ROWS_H
#define MT_QUANT_ROWS_H

#include <stdint.h>

#include "engine/rng.h"

/* Writes one row of n elements of type (n a multiple of its block size) to
 * raw (mt_row_bytes(type, n) bytes). Float formats hold normal(0, 1) values;
 * block formats random codes, f16 scales in [0.01, 0.11), MXFP4 exponents in
 * [100, 150). */
void t_random_row(uint32_t type, int64_t n, mt_rng *rng, uint8_t *raw);

/* The same for model weights: random codes with scales that keep every
 * value small (|w| below about 0.3: Q4_0 d in [0.015, 0.03), Q4_K and Q5_K
 * d in [1e-4, 2e-4) scaled by the code range and dmin = 15.25 d, which
 * centres them, Q6_K d in [2.5e-5, 5e-5)); other types as t_random_row
 * (float types scaled by 0.1). */
void t_modest_row(uint32_t type, int64_t n, mt_rng *rng, uint8_t *raw);

#endif
