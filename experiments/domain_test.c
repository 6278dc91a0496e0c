/* The prompt-level permutation test of domain x expert independence
 * (domain_test.h). */
#include "domain_test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/rng.h"
#include "engine/stats.h"
#include "experiments/significance.h"

/* table[D][E] = the sum of counts of the prompts labelled d, at layer l */
static void pool(const uint64_t *counts, const uint32_t *label, size_t P, uint32_t L, uint32_t E, uint32_t l, uint32_t D,
                 uint64_t *table) {
    memset(table, 0, (size_t)D * E * sizeof *table);
    for (size_t p = 0; p < P; p++) {
        const uint64_t *c = counts + ((size_t)p * L + l) * E;
        uint64_t *row = table + (size_t)label[p] * E;
        for (uint32_t e = 0; e < E; e++) row[e] += c[e];
    }
}

bool mt_domain_test_run(const uint64_t *counts, const uint32_t *domain, size_t P, uint32_t D, uint32_t L, uint32_t E, uint32_t N,
                        uint64_t seed, mt_domain_test *out) {
    if (N == 0 || D == 0 || E == 0) return false;
    for (size_t p = 0; p < P; p++)
        if (domain[p] >= D) return false;
    uint64_t *table = malloc((size_t)D * E * sizeof *table);
    uint32_t *label = malloc((P ? P : 1) * sizeof *label);
    double *tested = calloc(L ? L : 1, sizeof *tested);
    if (!table || !label || !tested) {
        free(table);
        free(label);
        free(tested);
        return false;
    }
    uint32_t m = 0;
    for (uint32_t l = 0; l < L; l++) {
        mt_domain_test *o = &out[l];
        pool(counts, domain, P, L, E, l, D, table);
        mt_chi_square(table, D, E, &o->chi2, &o->dof, &o->p_chi2);
        o->p_permutation = o->p_holm = NAN;
        if (o->dof == 0) continue;
        /* >= with a relative tolerance: a permutation that rebuilds the same
         * table must count, whatever the order its sums were taken in */
        double bar = o->chi2 * (1.0 - 1e-9);
        memcpy(label, domain, P * sizeof *label);
        mt_rng r = mt_rng_seed(seed, 0x646f6d73ull + l);
        uint64_t reach = 0;
        for (uint32_t n = 0; n < N; n++) {
            mt_rng_shuffle_u32(&r, label, P);
            double chi2, p;
            uint32_t dof;
            pool(counts, label, P, L, E, l, D, table);
            mt_chi_square(table, D, E, &chi2, &dof, &p);
            reach += chi2 >= bar;
        }
        o->p_permutation = (1.0 + (double)reach) / (1.0 + (double)N);
        tested[m++] = o->p_permutation;
    }
    mt_holm(tested, m, tested);
    for (uint32_t l = 0, i = 0; l < L; l++)
        if (!isnan(out[l].p_permutation)) out[l].p_holm = tested[i++];
    free(table);
    free(label);
    free(tested);
    return true;
}
