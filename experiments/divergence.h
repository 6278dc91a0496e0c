/* Do two prompt sets route differently? Per layer, the Jensen-Shannon
 * divergence between the sets' expert-selection distributions, a permutation
 * test over prompts and split-half noise floors (shared/contracts/cli.md).
 *
 *   P_A(e)         selections of e over every token of set A's prompts / all
 *                  of A's selections (a selection: an expert with weight > 0)
 *   js_bits        JS(P_A, P_B) = (KL(P_A || M) + KL(P_B || M)) / 2, M the mean
 *                  of the two, logarithms base 2: 0 (the same) .. 1 (disjoint)
 *   p_permutation  (1 + #{permutations with JS >= the observed JS}) / (1 + N):
 *                  each permutation shuffles the prompts between the sets,
 *                  keeping their sizes (Phipson and Smyth 2010); ties within
 *                  1e-12 of the observed value count as reaching it
 *   js_floor       the mean JS between the two halves (sizes floor(n/2) and the
 *                  rest) of N random splits of the pooled prompts: what JS
 *                  prompts drawn from one population show
 *   js_floor_a, _b the same within set A and within set B alone
 * The permutations and splits use mt_rng seeded with the seed (streams
 * "perm", "pool", "a", "b"); a JS over an empty side, or a floor over fewer
 * than two prompts, is NaN. */
#ifndef MT_DIVERGENCE_H
#define MT_DIVERGENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* JS(p, q) in bits of two count vectors over E entries, each normalised by
 * its own sum; NaN when either sums to 0. */
double mt_js_bits(const uint64_t *p, const uint64_t *q, uint32_t E);

typedef struct mt_divergence_layer {
    double js_bits, p_permutation, js_floor, js_floor_a, js_floor_b;
    uint64_t selections_a, selections_b;
} mt_divergence_layer;

/* counts [P][L][E]: selections per prompt, layer and expert; in_b[p]: prompt
 * p belongs to set B (else A). N permutations and N splits. out [L]. False
 * when out of memory. */
bool mt_divergence(const uint64_t *counts, const bool *in_b, size_t P, uint32_t L, uint32_t E, uint32_t N, uint64_t seed,
                   mt_divergence_layer *out);

#endif
