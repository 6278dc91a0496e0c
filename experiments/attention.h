/* Attention beside routing: what a position attends to, as vectors that can
 * be compared across contexts, and the Mantel test of whether contexts that
 * attend alike also route alike.
 *
 * Definitions:
 *   pattern     per head, the attention probabilities by offset back from the
 *               position (offset 0: itself; offsets >= D dropped) and the
 *               sink's share: n_head x (D + 1) numbers (mt_session_attention)
 *   similarity  of two contexts' patterns: mean over heads of the cosine of
 *               their (D + 1)-vectors
 *   Mantel      r = Pearson correlation of the upper triangles of two n x n
 *               similarity matrices; p = (1 + #{permutations with r' >= r}) /
 *               (1 + permutations), each permutation relabelling the contexts
 *               of the second matrix (rows and columns together), seeded:
 *               one-sided, for "attend alike, route alike" */
#ifndef MT_ATTENTION_H
#define MT_ATTENTION_H

#include <stdbool.h>
#include <stdint.h>

/* pattern [n_head][D + 1] from probs [n_head][pos + 1] and sink [n_head]. */
void mt_attention_pattern(const float *probs, const float *sink, uint32_t n_head, uint32_t pos, uint32_t D, double *pattern);

/* Mean over heads of the cosine of two patterns [n_head][D + 1]. */
double mt_attention_similarity(const double *a, const double *b, uint32_t n_head, uint32_t D);

/* The n positions <= pos most attended on average over heads, most first
 * (ties to the earlier position), their mean probabilities in weight; n is
 * at most pos + 1. For `context`'s most attended tokens. */
void mt_attention_top(const float *probs, uint32_t n_head, uint32_t pos, uint32_t n, uint32_t *positions, double *weight);

/* The Mantel test of two n x n symmetric matrices (n >= 3). r is NaN when
 * either triangle is constant (p then 1). False when out of memory. */
bool mt_mantel(const double *x, const double *y, uint32_t n, uint32_t permutations, uint64_t seed, double *r, double *p);

#endif
