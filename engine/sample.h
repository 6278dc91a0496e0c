/* Choosing the next token from logits: greedy (temperature 0: the highest
 * logit, the lowest id on a tie) or seeded sampling from softmax(logits / T)
 * restricted to the smallest set of most likely tokens whose probability
 * reaches top_p (nucleus sampling; top_p = 1 keeps every token). */
#ifndef MT_SAMPLE_H
#define MT_SAMPLE_H

#include <stdint.h>

#include "rng.h"

uint32_t mt_argmax(const float *logits, uint32_t n);

/* scratch holds n floats and n uint32s (as two arrays). */
uint32_t mt_sample(const float *logits, uint32_t n, float temperature, float top_p, mt_rng *rng, float *prob_scratch,
                   uint32_t *index_scratch);

#endif
