/* Circuits: how the top expert of one layer goes with the top expert of
 * another, over the tokens of a prompt set. Expert ids are never compared
 * across layers: expert 6 at layer 0 and expert 6 at layer 12 are different
 * networks, so everything here is a contingency table between two layers'
 * labels, and the measures are invariant to renaming either layer's experts.
 *
 * Definitions (shared/contracts/cli.md, circuits):
 *   counts[i][j] = tokens whose top expert is i at `from` and j at `to`
 *                  (tokens with no selected expert at either layer are left out)
 *   P(j | i)     = counts[i][j] / sum_j counts[i][j]
 *   NMI          = I / sqrt(H_from H_to), natural logs, from the counts;
 *                  0 when either entropy is 0
 *   shuffled     = the NMI after shuffling the tokens' labels at `to`
 *                  (marginals kept, the pairing broken): what NMI looks like
 *                  when the layers are independent but the loads are as seen. */
#ifndef MT_CIRCUITS_H
#define MT_CIRCUITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* counts [E][E] += the pairs (top_from[t], top_to[t]), t < n; a pair with
 * MT_NO_EXPERT (routes.h) on either side is skipped. */
void mt_circuit_count(uint64_t *counts, uint32_t E, const uint32_t *top_from, const uint32_t *top_to, size_t n);

/* NMI of a contingency table [E][E] (rows: from, columns: to). */
double mt_nmi(const uint64_t *counts, uint32_t E);

/* The shuffled baseline of a table: `shuffles` Fisher-Yates shuffles (mt_rng
 * seeded with (seed, stream)) of the column labels of the table's tokens,
 * laid out row by row, each table's NMI. Writes their mean and the
 * permutation p-value (1 + #{shuffled >= observed}) / (1 + shuffles). Depends
 * only on the counts, the seed and the stream, so merged shards give the
 * unsharded result. False when out of memory. */
bool mt_nmi_shuffled(const uint64_t *counts, uint32_t E, uint32_t shuffles, uint64_t seed, uint64_t stream, double *mean,
                     double *p_value);

/* Top-expert paths over a window of `width` consecutive layers: each token
 * gives one path (its top expert at each layer of the window; tokens with
 * MT_NO_EXPERT at any of them give none). The support of a path is its
 * tokens over the tokens with a path. */
typedef struct mt_paths {
    uint32_t width;
    size_t n, cap;
    uint32_t *ids;   /* [n][width] */
    uint64_t *count; /* [n] */
} mt_paths;

void mt_paths_init(mt_paths *p, uint32_t width);
void mt_paths_free(mt_paths *p);
/* Adds count tokens of the path ids[width] (not yet combined); false when out of memory. */
bool mt_paths_add(mt_paths *p, const uint32_t *ids, uint64_t count);
/* Combines equal paths and orders them by count, most frequent first, ties
 * by ids ascending; false when out of memory. */
bool mt_paths_compact(mt_paths *p);
/* The tokens with a path: the sum of the counts. */
uint64_t mt_paths_total(const mt_paths *p);

#endif
