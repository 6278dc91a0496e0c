/* What the experiments read from one token's routing at one layer (the
 * session's trace: experts in the router's rank order, the mixing weights
 * applied, aligned with them), as shared/contracts/cli.md defines it:
 *   top expert    the one with the highest weight, ties to the earlier entry
 *                 of topk; none when no weight is > 0
 *   selected set  the experts with weight > 0
 *   Jaccard       |A n B| / |A u B| of two selected sets; 1 when both are empty */
#ifndef MT_ROUTING_H
#define MT_ROUTING_H

#include <stddef.h>
#include <stdint.h>

/* The top expert of n entries, or -1 when no weight is > 0. */
int32_t mt_route_top(const uint32_t *experts, const float *weights, uint32_t n);

/* Jaccard index of two selected sets (weight > 0), in [0, 1]. */
double mt_route_jaccard(const uint32_t *ea, const float *wa, uint32_t na, const uint32_t *eb, const float *wb, uint32_t nb);

/* The start of the last occurrence of pat[0..m) in ids[0..n) (matched id by
 * id, never by text), or -1; m = 0 gives -1. */
int64_t mt_ids_find_last(const uint32_t *ids, size_t n, const uint32_t *pat, size_t m);

#endif
