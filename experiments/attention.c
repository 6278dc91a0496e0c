/* Attention patterns, their similarity, the most attended positions and the
 * Mantel test (attention.h). */
#include "attention.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/rng.h"

void mt_attention_pattern(const float *probs, const float *sink, uint32_t n_head, uint32_t pos, uint32_t D, double *pattern) {
    memset(pattern, 0, (size_t)n_head * (D + 1) * sizeof *pattern);
    for (uint32_t h = 0; h < n_head; h++) {
        double *p = pattern + (size_t)h * (D + 1);
        for (uint32_t off = 0; off < D && off <= pos; off++) p[off] = probs[(size_t)h * (pos + 1) + (pos - off)];
        p[D] = sink ? sink[h] : 0.0;
    }
}

double mt_attention_similarity(const double *a, const double *b, uint32_t n_head, uint32_t D) {
    double sum = 0;
    for (uint32_t h = 0; h < n_head; h++) {
        const double *x = a + (size_t)h * (D + 1), *y = b + (size_t)h * (D + 1);
        double xy = 0, xx = 0, yy = 0;
        for (uint32_t i = 0; i <= D; i++) xy += x[i] * y[i], xx += x[i] * x[i], yy += y[i] * y[i];
        sum += xx > 0 && yy > 0 ? xy / sqrt(xx * yy) : 0.0;
    }
    return n_head ? sum / n_head : 0.0;
}

void mt_attention_top(const float *probs, uint32_t n_head, uint32_t pos, uint32_t n, uint32_t *positions, double *weight) {
    if (n > pos + 1) n = pos + 1;
    for (uint32_t i = 0; i < n; i++) weight[i] = -1;
    for (uint32_t j = 0; j <= pos; j++) {
        double m = 0;
        for (uint32_t h = 0; h < n_head; h++) m += probs[(size_t)h * (pos + 1) + j];
        m /= n_head ? n_head : 1;
        for (uint32_t i = 0; i < n; i++)
            if (m > weight[i]) { /* strictly: ties keep the earlier position */
                memmove(weight + i + 1, weight + i, (n - 1 - i) * sizeof *weight);
                memmove(positions + i + 1, positions + i, (n - 1 - i) * sizeof *positions);
                weight[i] = m;
                positions[i] = j;
                break;
            }
    }
}

static double pearson(const double *x, const double *y, const uint32_t *perm, uint32_t n) {
    double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0, m = 0;
    for (uint32_t i = 0; i < n; i++)
        for (uint32_t j = i + 1; j < n; j++) {
            double a = x[(size_t)i * n + j], b = y[(size_t)perm[i] * n + perm[j]];
            sx += a, sy += b, sxx += a * a, syy += b * b, sxy += a * b, m++;
        }
    double vx = sxx - sx * sx / m, vy = syy - sy * sy / m;
    if (vx <= 1e-15 * (sxx + 1e-300) || vy <= 1e-15 * (syy + 1e-300)) return NAN;
    return (sxy - sx * sy / m) / sqrt(vx * vy);
}

bool mt_mantel(const double *x, const double *y, uint32_t n, uint32_t permutations, uint64_t seed, double *r, double *p) {
    uint32_t *perm = malloc(n * sizeof *perm);
    if (!perm) return false;
    for (uint32_t i = 0; i < n; i++) perm[i] = i;
    *r = pearson(x, y, perm, n);
    uint32_t at_least = 0;
    mt_rng g = mt_rng_seed(seed, 0x6d616e74);
    for (uint32_t k = 0; k < permutations && !isnan(*r); k++) {
        mt_rng_shuffle_u32(&g, perm, n);
        double rp = pearson(x, y, perm, n);
        at_least += !isnan(rp) && rp >= *r - 1e-12;
    }
    *p = isnan(*r) ? 1.0 : (1.0 + at_least) / (1.0 + permutations);
    free(perm);
    return true;
}
