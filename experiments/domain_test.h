/* Do domains route differently? A permutation test over prompts for
 * `moetop domains`. The chi-square test of the pooled domain x expert table
 * of selection counts (engine/stats.h, mt_chi_square) treats every
 * selection as independent; the tokens of one prompt are not (they share a
 * context, and each token makes k selections), so its p-value is far too
 * small on real text. This test keeps the chi-square as the statistic and
 * takes its null distribution from the prompts themselves:
 *
 *   chi2           Pearson's chi-square of the D x E table pooled over the
 *                  prompts (experts and domains with no selections left out)
 *   p_permutation  (1 + #{permutations with chi2 >= the observed chi2}) /
 *                  (1 + N): each of N permutations shuffles the domain labels
 *                  among the prompts (Fisher-Yates; each domain keeps its
 *                  number of prompts) and recomputes the pooled table's
 *                  chi-square (Phipson and Smyth 2010 for the +1s; the
 *                  smallest possible value is 1/(1+N)). Valid when prompts
 *                  are exchangeable under "domain does not matter"
 *   p_holm         Holm's step-down adjustment (experiments/significance.h)
 *                  of p_permutation over the layers tested
 *
 * Not tested (NaN) at a layer whose pooled table has fewer than two domains
 * or experts with selections. Permutations use mt_rng seeded with (seed,
 * stream 0x646f6d73 + layer), so a layer's p does not depend on the others. */
#ifndef MT_DOMAIN_TEST_H
#define MT_DOMAIN_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct mt_domain_test {
    double chi2;          /* pooled statistic; 0 when not tested */
    uint32_t dof;         /* (live domains - 1)(live experts - 1); 0 when not tested */
    double p_chi2;        /* the chi-square distribution's p (selections as independent) */
    double p_permutation; /* NaN when not tested */
    double p_holm;        /* NaN when not tested */
} mt_domain_test;

/* counts [P][L][E]: prompt p's selections of expert e at layer l (tokens
 * whose selected experts include e); domain [P], each < D; N permutations
 * (>= 1). out [L]. False when out of memory or an argument is out of range. */
bool mt_domain_test_run(const uint64_t *counts, const uint32_t *domain, size_t P, uint32_t D, uint32_t L, uint32_t E, uint32_t N,
                        uint64_t seed, mt_domain_test *out);

#endif
