#include "context.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/stats.h"
#include "routing.h"

bool mt_context_capture(const mt_session *s, uint32_t start, uint32_t pos, uint32_t L, uint32_t E, mt_context_item *it) {
    memset(it, 0, sizeof *it);
    it->start = start;
    it->position = pos;
    it->id = mt_session_ids(s)[pos];
    it->n_layer = L;
    it->n_expert = E;
    it->n_sel = calloc(L, sizeof *it->n_sel);
    it->experts = calloc((size_t)L * E, sizeof *it->experts);
    it->weights = calloc((size_t)L * E, sizeof *it->weights);
    it->entropy = calloc(L, sizeof *it->entropy);
    if (!it->n_sel || !it->experts || !it->weights || !it->entropy) {
        mt_context_item_free(it);
        return false;
    }
    for (uint32_t l = 0; l < L; l++) {
        const uint32_t *ex;
        const float *w;
        float margin;
        uint32_t n = mt_session_route(s, l, pos, &ex, &w, &margin);
        it->n_sel[l] = n;
        memcpy(it->experts + (size_t)l * E, ex, n * sizeof *ex);
        memcpy(it->weights + (size_t)l * E, w, n * sizeof *w);
        it->entropy[l] = mt_entropy_full(mt_session_router_logits(s, l, pos), E);
    }
    return true;
}

void mt_context_item_free(mt_context_item *it) {
    free(it->n_sel);
    free(it->experts);
    free(it->weights);
    free(it->entropy);
    memset(it, 0, sizeof *it);
}

static int32_t top_of(const mt_context_item *it, uint32_t l) {
    size_t o = (size_t)l * it->n_expert;
    return mt_route_top(it->experts + o, it->weights + o, it->n_sel[l]);
}

/* distinct top experts among the items with start == 0 (group 1), > 0 (group 2), or all (group 0) */
static uint32_t distinct(const mt_context_item *items, size_t n, uint32_t l, int group, bool *seen) {
    uint32_t E = items[0].n_expert, count = 0;
    memset(seen, 0, E * sizeof *seen);
    for (size_t i = 0; i < n; i++) {
        if ((group == 1 && items[i].start != 0) || (group == 2 && items[i].start == 0)) continue;
        int32_t t = top_of(&items[i], l);
        if (t >= 0 && !seen[t]) seen[t] = true, count++;
    }
    return count;
}

bool mt_context_summarize(const mt_context_item *items, size_t n, uint32_t l, mt_context_layer *out) {
    memset(out, 0, sizeof *out);
    double sum[4] = { 0 }; /* all, start, later, across */
    uint64_t pairs[4] = { 0 };
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            size_t o = (size_t)l * items[i].n_expert;
            double J = mt_route_jaccard(items[i].experts + o, items[i].weights + o, items[i].n_sel[l], items[j].experts + o,
                                        items[j].weights + o, items[j].n_sel[l]);
            bool si = items[i].start == 0, sj = items[j].start == 0;
            int g = si && sj ? 1 : !si && !sj ? 2 : 3;
            sum[0] += J, pairs[0]++;
            sum[g] += J, pairs[g]++;
        }
    double *mean[4] = { &out->jaccard_mean, &out->jaccard_start, &out->jaccard_later, &out->jaccard_across };
    for (int g = 0; g < 4; g++) *mean[g] = pairs[g] ? sum[g] / (double)pairs[g] : NAN;
    if (n == 0) return true;
    bool *seen = malloc(items[0].n_expert * sizeof *seen);
    if (!seen) return false;
    out->distinct_top = distinct(items, n, l, 0, seen);
    out->distinct_top_start = distinct(items, n, l, 1, seen);
    out->distinct_top_later = distinct(items, n, l, 2, seen);
    free(seen);
    return true;
}
