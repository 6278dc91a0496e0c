/* The context experiment: one target token in several contexts, its routing
 * at every layer, and how much the routing agrees across the contexts.
 *
 * Per layer, over the contexts (shared/contracts/cli.md):
 *   distinct_top    distinct top experts (mt_route_top) among the contexts
 *   jaccard_mean    mean over unordered pairs of contexts of the Jaccard index
 *                   of their selected sets (NaN with fewer than two contexts)
 * and the same split by where the target stands, so that position and context
 * effects are told apart: "start" contexts are those where the target's ids
 * begin at position 0 (nothing before it), "later" the others:
 *   jaccard_start, jaccard_later   pairs of two start / two later contexts
 *   jaccard_across                 pairs of one start and one later context
 *   distinct_top_start, _later     distinct top experts within each group
 * A mean over no pair is NaN. */
#ifndef MT_CONTEXT_H
#define MT_CONTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/session.h"

typedef struct mt_context_item {
    uint32_t start;     /* position of the target's first id */
    uint32_t position;  /* position of its last id: the one whose routing is read */
    uint32_t id;        /* that token */
    uint32_t n_layer, n_expert;
    uint32_t *n_sel;    /* [L]: entries of topk */
    uint32_t *experts;  /* [L][E]: topk in rank order (first n_sel[l] used) */
    float *weights;     /* [L][E]: weights applied, aligned with experts */
    double *entropy;    /* [L]: H(softmax(z)) / ln E over all experts, z the biased router logits */
} mt_context_item;

/* Copies the routing of position pos (< length) of s into it; start is the
 * target's first position. False when out of memory. */
bool mt_context_capture(const mt_session *s, uint32_t start, uint32_t pos, uint32_t n_layer, uint32_t n_expert, mt_context_item *it);
void mt_context_item_free(mt_context_item *it);

typedef struct mt_context_layer {
    uint32_t distinct_top, distinct_top_start, distinct_top_later;
    double jaccard_mean, jaccard_start, jaccard_later, jaccard_across; /* NaN: no pair */
} mt_context_layer;

/* The summary of layer l over n items. False when out of memory. */
bool mt_context_summarize(const mt_context_item *items, size_t n, uint32_t l, mt_context_layer *out);

#endif
