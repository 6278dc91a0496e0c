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

#endif
