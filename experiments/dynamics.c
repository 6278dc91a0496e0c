/* Token-to-token routing change at one layer (dynamics.h). */
#include "dynamics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/rng.h"
#include "engine/stats.h"
#include "routes.h"

bool mt_dyn_init(mt_dyn_sums *d, uint32_t n_expert) {
    memset(d, 0, sizeof *d);
    d->n_expert = n_expert;
    d->top = calloc(n_expert, sizeof *d->top);
    d->handoffs = calloc((size_t)n_expert * n_expert, sizeof *d->handoffs);
    if (d->top && d->handoffs) return true;
    mt_dyn_free(d);
    return false;
}

void mt_dyn_free(mt_dyn_sums *d) {
    free(d->top);
    free(d->handoffs);
    d->top = d->handoffs = NULL;
}

void mt_dyn_add(mt_dyn_sums *a, const mt_dyn_sums *b) {
    a->tokens += b->tokens;
    a->pairs += b->pairs;
    a->jaccard_fx += b->jaccard_fx;
    a->persist += b->persist;
    a->shuffled_persist += b->shuffled_persist;
    a->shuffled_pairs += b->shuffled_pairs;
    for (uint32_t e = 0; e < a->n_expert; e++) a->top[e] += b->top[e];
    for (size_t c = 0; c < (size_t)a->n_expert * a->n_expert; c++) a->handoffs[c] += b->handoffs[c];
}

/* pairs of consecutive entries of top[0..n) both with an expert: counted, and kept */
static void count_pairs(const uint32_t *top, size_t n, uint64_t *pairs, uint64_t *kept) {
    for (size_t t = 1; t < n; t++)
        if (top[t] != MT_NO_EXPERT && top[t - 1] != MT_NO_EXPERT) {
            (*pairs)++;
            *kept += top[t] == top[t - 1];
        }
}

bool mt_dyn_observe(mt_dyn_sums *d, const mt_token_sel *seq, size_t n, uint32_t shuffles, uint64_t seed, uint64_t stream) {
    uint32_t E = d->n_expert;
    uint32_t *top = malloc((n ? n : 1) * sizeof *top);
    if (!top) return false;
    for (size_t t = 0; t < n; t++) {
        top[t] = mt_top_expert(seq[t].experts, seq[t].weights, seq[t].n);
        if (top[t] >= E) top[t] = MT_NO_EXPERT;
        if (top[t] != MT_NO_EXPERT) {
            d->tokens++;
            d->top[top[t]]++;
        }
        if (t == 0 || top[t] == MT_NO_EXPERT || top[t - 1] == MT_NO_EXPERT) continue;
        double j = mt_jaccard_selected(seq[t].experts, seq[t].weights, seq[t].n, seq[t - 1].experts, seq[t - 1].weights, seq[t - 1].n);
        d->jaccard_fx += (uint64_t)llround(j * MT_FIX_ONE);
        if (top[t] != top[t - 1]) d->handoffs[(size_t)top[t - 1] * E + top[t]]++;
    }
    count_pairs(top, n, &d->pairs, &d->persist);
    mt_rng r = mt_rng_seed(seed, stream);
    for (uint32_t s = 0; s < shuffles; s++) {
        mt_rng_shuffle_u32(&r, top, n);
        count_pairs(top, n, &d->shuffled_pairs, &d->shuffled_persist);
    }
    free(top);
    return true;
}

void mt_dyn_summarize(const mt_dyn_sums *d, mt_dyn_summary *out) {
    out->jaccard_consecutive = d->pairs ? (double)d->jaccard_fx / MT_FIX_ONE / (double)d->pairs : NAN;
    out->persistence = d->pairs ? (double)d->persist / (double)d->pairs : NAN;
    out->persistence_shuffled = d->shuffled_pairs ? (double)d->shuffled_persist / (double)d->shuffled_pairs : NAN;
    double chance = 0.0;
    for (uint32_t e = 0; e < d->n_expert && d->tokens; e++) {
        double p = (double)d->top[e] / (double)d->tokens;
        chance += p * p;
    }
    out->persistence_chance = d->tokens ? chance : NAN;
}
