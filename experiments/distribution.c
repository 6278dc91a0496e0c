#include "distribution.h"

#include <math.h>

void mt_log_softmax(const float *z, uint32_t V, double *out) {
    double top = -INFINITY;
    for (uint32_t i = 0; i < V; i++)
        if (z[i] > top) top = z[i];
    double sum = 0.0;
    for (uint32_t i = 0; i < V; i++) sum += exp((double)z[i] - top);
    double lse = top + log(sum);
    for (uint32_t i = 0; i < V; i++) out[i] = (double)z[i] - lse;
}

double mt_kl_logp(const double *lp, const double *lq, uint32_t V) {
    double kl = 0.0;
    for (uint32_t i = 0; i < V; i++) {
        double p = exp(lp[i]);
        if (p > 0.0) kl += p * (lp[i] - lq[i]);
    }
    return kl < 0.0 ? 0.0 : kl; /* rounding can leave -1e-17 for equal distributions */
}

void mt_top_n(const double *lp, uint32_t V, uint32_t n, uint32_t *ids, double *probs) {
    uint32_t have = 0;
    for (uint32_t i = 0; i < V; i++) {
        /* insertion into the kept list, strictly greater to keep the lower id first on ties */
        uint32_t at = have;
        while (at > 0 && lp[i] > lp[ids[at - 1]]) at--;
        if (at >= n) continue;
        uint32_t last = have < n ? have : n - 1;
        for (uint32_t j = last; j > at; j--) ids[j] = ids[j - 1];
        ids[at] = i;
        if (have < n) have++;
    }
    for (uint32_t j = 0; j < have; j++) probs[j] = exp(lp[ids[j]]);
}
