#include "routing.h"

int32_t mt_route_top(const uint32_t *experts, const float *weights, uint32_t n) {
    int32_t best = -1;
    float w = 0.0f;
    for (uint32_t i = 0; i < n; i++)
        if (weights[i] > w) w = weights[i], best = (int32_t)experts[i]; /* strictly greater: ties keep the earlier entry */
    return best;
}

static int selected_has(const uint32_t *e, const float *w, uint32_t n, uint32_t x) {
    for (uint32_t i = 0; i < n; i++)
        if (e[i] == x && w[i] > 0.0f) return 1;
    return 0;
}

double mt_route_jaccard(const uint32_t *ea, const float *wa, uint32_t na, const uint32_t *eb, const float *wb, uint32_t nb) {
    uint32_t inter = 0, size_a = 0, size_b = 0;
    for (uint32_t i = 0; i < na; i++)
        if (wa[i] > 0.0f) size_a++, inter += (uint32_t)selected_has(eb, wb, nb, ea[i]);
    for (uint32_t i = 0; i < nb; i++) size_b += wb[i] > 0.0f;
    uint32_t uni = size_a + size_b - inter;
    return uni ? (double)inter / uni : 1.0;
}

int64_t mt_ids_find_last(const uint32_t *ids, size_t n, const uint32_t *pat, size_t m) {
    if (m == 0 || m > n) return -1;
    for (size_t s = n - m + 1; s-- > 0;) {
        size_t i = 0;
        while (i < m && ids[s + i] == pat[i]) i++;
        if (i == m) return (int64_t)s;
    }
    return -1;
}
