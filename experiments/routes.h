/* A token's routing as the experiments read it (shared/contracts/cli.md,
 * Experiments): the top expert is the selected one with the highest mixing
 * weight, ties to the earlier entry of topk; the selected set is the experts
 * with weight > 0. */
#ifndef MT_ROUTES_H
#define MT_ROUTES_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/session.h"

#define MT_NO_EXPERT UINT32_MAX /* a token whose every weight is 0 (all dropped) */

/* The top expert of n entries (experts in topk order, weights aligned), or
 * MT_NO_EXPERT when no weight is > 0. */
uint32_t mt_top_expert(const uint32_t *experts, const float *weights, uint32_t n);

/* The top expert of (layer, pos) of a session's trace. */
uint32_t mt_session_top(const mt_session *s, uint32_t layer, uint32_t pos);

/* |A ∩ B| / |A ∪ B| of two selected sets (weight > 0); both empty: returns
 * -1 (no value). Experts are ids < 2^32, lists of at most n entries each. */
double mt_jaccard_selected(const uint32_t *ea, const float *wa, uint32_t na, const uint32_t *eb, const float *wb, uint32_t nb);

#endif
