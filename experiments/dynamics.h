/* Dynamics: how a layer's routing changes from one token to the next, over
 * the positions of a sequence (a prompt, or the tokens a greedy generation
 * produced). Sums are integers or fixed point (units of 2^-32, each value
 * rounded once), so shards of a prompt set add to exactly one run's sums.
 *
 * Definitions (shared/contracts/cli.md, dynamics), per layer, over the
 * consecutive pairs (t-1, t), t >= 1, of each sequence whose two tokens both
 * have a selected expert:
 *   jaccard_consecutive  mean of |S_t ∩ S_{t-1}| / |S_t ∪ S_{t-1}| (S: selected sets)
 *   persistence          share of pairs whose top expert is the same (lag-1)
 *   persistence_chance   sum_e p_e^2, p_e = the layer's top-expert shares over
 *                        the tokens: the persistence of independent draws from
 *                        the layer's own top-expert use (1/E only when use is even)
 *   persistence_shuffled the persistence after shuffling each sequence's
 *                        positions: `shuffles` seeded shuffles, mean over them
 *   handoffs[i][j]       pairs whose top expert goes from i (at t-1) to j != i */
#ifndef MT_DYNAMICS_H
#define MT_DYNAMICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One token's routing at a layer: experts in topk order, weights aligned. */
typedef struct mt_token_sel {
    const uint32_t *experts;
    const float *weights;
    uint32_t n;
} mt_token_sel;

typedef struct mt_dyn_sums {
    uint32_t n_expert;
    uint64_t tokens;            /* tokens with a top expert */
    uint64_t pairs;             /* consecutive pairs counted */
    uint64_t jaccard_fx;        /* sum of the pairs' Jaccard (fixed point, 2^-32) */
    uint64_t persist;           /* pairs keeping the top expert */
    uint64_t shuffled_persist;  /* sum over shuffles of the pairs keeping it */
    uint64_t shuffled_pairs;    /* sum over shuffles of the pairs counted */
    uint64_t *top;              /* [E]: tokens whose top expert is e */
    uint64_t *handoffs;         /* [E][E] */
} mt_dyn_sums;

bool mt_dyn_init(mt_dyn_sums *d, uint32_t n_expert);
void mt_dyn_free(mt_dyn_sums *d);
/* a += b (same E). */
void mt_dyn_add(mt_dyn_sums *a, const mt_dyn_sums *b);

/* Adds one sequence of n tokens at one layer. The shuffles use mt_rng seeded
 * with (seed, stream): give each (sequence, layer) its own stream (such as
 * its index in the prompt set times the layers plus the layer) so that a
 * shard draws what the unsharded run draws. False when out of memory. */
bool mt_dyn_observe(mt_dyn_sums *d, const mt_token_sel *seq, size_t n, uint32_t shuffles, uint64_t seed, uint64_t stream);

typedef struct mt_dyn_summary {
    double jaccard_consecutive, persistence, persistence_chance, persistence_shuffled; /* NaN without pairs */
} mt_dyn_summary;

void mt_dyn_summarize(const mt_dyn_sums *d, mt_dyn_summary *out);

#endif
