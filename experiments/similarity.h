/* Similarity of a layer's experts: in weight space, from the stored weights
 * block by block (never a dequantized copy of a tensor), and in function, on
 * the inputs that reach the layer's MoE.
 *
 * Definitions:
 *   Gram        G[i][j] = <W_i, W_j> over every weight of one projection
 *               (gate, up or down; biases left out), W_i expert i's matrix
 *               flattened; "all" adds the three projections' Grams (the
 *               experts' three matrices concatenated)
 *   cosine      G[i][j] / sqrt(G[i][i] G[j][j])
 *   null        for independent weights with mean 0 the cosine of two
 *               n-weight matrices has mean 0 and sd 1/sqrt(n); z = cos sqrt(n)
 *   eff. rank   the experts' differences from their mean expert, D_i = W_i -
 *               mean_j W_j, have the Gram C = H G H (H = I - 11'/E); its
 *               eigenvalues (LAPACK dsyev) sorted descending, the effective
 *               rank is the fewest whose sum reaches 95% of their total: at
 *               most E - 1; independent experts of equal size give
 *               ceil(0.95 (E - 1)), experts that are small edits of one
 *               another along a few directions far less
 *   functional  cosine of two experts' outputs over the same tokens:
 *               sum_t <f_i(x_t), f_j(x_t)> / sqrt(sum_t |f_i(x_t)|^2 sum_t |f_j(x_t)|^2)
 *               (x_t: the MoE input of every token of the prompt set, whether
 *               or not the router chose i or j) */
#ifndef MT_SIMILARITY_H
#define MT_SIMILARITY_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/model.h"

/* G [E][E] of one expert tensor (mt_weight with expert_bytes), accumulated
 * in double from chunks of rows dequantized for all experts at once (BLAS
 * ssyrk per chunk). False when out of memory or the type cannot be read. */
bool mt_expert_gram(const mt_weight *w, uint32_t E, double *G);

/* cos [E][E] from G [E][E] (0 where a norm is 0). */
void mt_gram_cosines(const double *G, uint32_t E, double *cos);

/* The effective rank at `energy` (0.95) of the centred Gram; writes the
 * eigenvalues descending when eig is not NULL. 0 when every difference is
 * 0; -1 when LAPACK fails or out of memory. */
int mt_gram_effective_rank(const double *G, uint32_t E, double energy, double *eig);

/* Accumulates functional Gram sums from one token: F[i][j] += <o_i, o_j>
 * where outs is [E][d] (each expert's output on the token). */
void mt_functional_add(double *F, uint32_t E, const float *outs, uint32_t d);

#endif
