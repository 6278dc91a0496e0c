/* A token's top expert and selected set (routes.h). */
#include "routes.h"

uint32_t mt_top_expert(const uint32_t *experts, const float *weights, uint32_t n) {
    uint32_t top = MT_NO_EXPERT;
    float best = 0.0f;
    for (uint32_t i = 0; i < n; i++)
        if (weights[i] > best) { /* strictly greater: ties go to the earlier entry */
            best = weights[i];
            top = experts[i];
        }
    return top;
}

uint32_t mt_session_top(const mt_session *s, uint32_t layer, uint32_t pos) {
    const uint32_t *ex;
    const float *w;
    float margin;
    uint32_t n = mt_session_route(s, layer, pos, &ex, &w, &margin);
    return mt_top_expert(ex, w, n);
}

static bool selects(const uint32_t *e, const float *w, uint32_t n, uint32_t x) {
    for (uint32_t i = 0; i < n; i++)
        if (e[i] == x && w[i] > 0.0f) return true;
    return false;
}

double mt_jaccard_selected(const uint32_t *ea, const float *wa, uint32_t na, const uint32_t *eb, const float *wb, uint32_t nb) {
    uint32_t inter = 0, size_a = 0, size_b = 0;
    for (uint32_t i = 0; i < na; i++)
        if (wa[i] > 0.0f) {
            size_a++;
            inter += selects(eb, wb, nb, ea[i]);
        }
    for (uint32_t i = 0; i < nb; i++) size_b += wb[i] > 0.0f;
    uint32_t uni = size_a + size_b - inter;
    return uni ? (double)inter / uni : -1.0;
}
