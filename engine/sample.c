#include "sample.h"

#include <math.h>
#include <stdlib.h>

uint32_t mt_argmax(const float *logits, uint32_t n) {
    uint32_t best = 0;
    for (uint32_t i = 1; i < n; i++)
        if (logits[i] > logits[best]) best = i;
    return best;
}

/* idx[i] before idx[j] in the nucleus order: higher probability, then lower id */
static int before(const float *p, uint32_t a, uint32_t b) { return p[a] > p[b] || (p[a] == p[b] && a < b); }

/* Heap sort of idx[0..n) into nucleus order (no global comparator state). */
static void sort_nucleus(uint32_t *idx, uint32_t n, const float *p) {
    for (uint32_t start = n / 2; start-- > 0;) {
        for (uint32_t r = start;;) { /* sift down: the root is the latest in order, so the end fills from the last */
            uint32_t c = 2 * r + 1;
            if (c >= n) break;
            if (c + 1 < n && before(p, idx[c], idx[c + 1])) c++;
            if (!before(p, idx[r], idx[c])) break;
            uint32_t t = idx[r]; idx[r] = idx[c]; idx[c] = t;
            r = c;
        }
    }
    for (uint32_t end = n; end-- > 1;) {
        uint32_t t = idx[0]; idx[0] = idx[end]; idx[end] = t;
        for (uint32_t r = 0;;) {
            uint32_t c = 2 * r + 1;
            if (c >= end) break;
            if (c + 1 < end && before(p, idx[c], idx[c + 1])) c++;
            if (!before(p, idx[r], idx[c])) break;
            t = idx[r]; idx[r] = idx[c]; idx[c] = t;
            r = c;
        }
    }
}

uint32_t mt_sample(const float *logits, uint32_t n, float temperature, float top_p, mt_rng *rng, float *prob,
                   uint32_t *index) {
    if (!(temperature > 0.0f)) return mt_argmax(logits, n);
    float top = logits[mt_argmax(logits, n)];
    double sum = 0.0;
    for (uint32_t i = 0; i < n; i++) {
        prob[i] = expf((logits[i] - top) / temperature);
        sum += prob[i];
    }
    for (uint32_t i = 0; i < n; i++) prob[i] = (float)(prob[i] / sum);
    uint32_t keep = n;
    if (top_p < 1.0f) {
        /* the nucleus: most likely first, until the mass reaches top_p */
        for (uint32_t i = 0; i < n; i++) index[i] = i;
        sort_nucleus(index, n, prob);
        double mass = 0.0;
        keep = 0;
        while (keep < n && (keep == 0 || mass < top_p)) mass += prob[index[keep++]];
        double u = mt_rng_uniform(rng) * mass;
        for (uint32_t i = 0; i < keep; i++) {
            u -= prob[index[i]];
            if (u < 0.0) return index[i];
        }
        return index[keep - 1];
    }
    double u = mt_rng_uniform(rng);
    for (uint32_t i = 0; i < n; i++) {
        u -= prob[i];
        if (u < 0.0) return i;
    }
    return mt_argmax(logits, n); /* rounding left a sliver: the likeliest */
}
