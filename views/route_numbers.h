/* The numbers the dashboard computes from a trace row or from logits, apart
 * from the drawing so they are tested against hand-computed cases. */
#ifndef MT_ROUTE_NUMBERS_H
#define MT_ROUTE_NUMBERS_H

#include <stdint.h>

/* p[i] = softmax(z)_i = exp(z_i - max z) / sum_j exp(z_j - max z) over the E
 * router logits; returns max_i p[i]. NaN (and every p NaN) when a logit is
 * NaN or infinite, or E is 0. */
double mt_softmax_probs(const float *z, uint32_t E, double *p);
/* The n likeliest of V tokens under softmax(logits), highest first (a tie:
 * the lower id first): ids[n] and p[n]. Entries past V are id 0, p -1. */
void mt_top_tokens(const float *logits, uint32_t V, uint32_t n, uint32_t *ids, double *p);
/* How many experts each column of a bar chart shows when E experts share
 * cols columns: 1 when they fit, else ceil(E / cols) (each column then shows
 * the largest of its experts). cols <= 0 gives E. */
uint32_t mt_experts_per_column(uint32_t E, int cols);

#endif
