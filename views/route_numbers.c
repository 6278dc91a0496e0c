/* views/route_numbers.h */
#include "route_numbers.h"

#include <math.h>

double mt_softmax_probs(const float *z, uint32_t E, double *p) {
    double top = -INFINITY, sum = 0;
    for (uint32_t e = 0; e < E; e++) {
        if (!isfinite(z[e])) top = NAN;
        if (!isnan(top)) top = fmax(top, z[e]);
    }
    if (E == 0 || isnan(top)) {
        for (uint32_t e = 0; e < E; e++) p[e] = NAN;
        return NAN;
    }
    for (uint32_t e = 0; e < E; e++) sum += exp(z[e] - top);
    double best = 0;
    for (uint32_t e = 0; e < E; e++) {
        p[e] = exp(z[e] - top) / sum;
        best = fmax(best, p[e]);
    }
    return best;
}

void mt_top_tokens(const float *logits, uint32_t V, uint32_t n, uint32_t *ids, double *p) {
    for (uint32_t k = 0; k < n; k++) ids[k] = 0, p[k] = -1;
    double top = -INFINITY, sum = 0;
    for (uint32_t v = 0; v < V; v++) top = fmax(top, logits[v]);
    if (!isfinite(top)) return;
    for (uint32_t v = 0; v < V; v++) sum += exp(logits[v] - top);
    for (uint32_t v = 0; v < V; v++) {
        double q = exp(logits[v] - top) / sum;
        if (!(q > (n ? p[n - 1] : 2))) continue; /* NaN never enters */
        uint32_t k = n - 1;
        while (k > 0 && q > p[k - 1]) p[k] = p[k - 1], ids[k] = ids[k - 1], k--;
        p[k] = q;
        ids[k] = v;
    }
}

uint32_t mt_experts_per_column(uint32_t E, int cols) {
    if (cols <= 0) return E;
    return E <= (uint32_t)cols ? 1 : (E + (uint32_t)cols - 1) / (uint32_t)cols;
}
