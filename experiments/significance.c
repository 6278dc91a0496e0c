#include "significance.h"

#include <math.h>
#include <stdlib.h>

#include "engine/rng.h"

void mt_wilson95(uint64_t k, uint64_t n, double *lo, double *hi) {
    if (n == 0) {
        *lo = 0.0;
        *hi = 1.0;
        return;
    }
    double z = MT_Z95, nn = (double)n, p = (double)k / nn, z2 = z * z;
    double denom = 1.0 + z2 / nn;
    double centre = (p + z2 / (2.0 * nn)) / denom;
    double half = z * sqrt(p * (1.0 - p) / nn + z2 / (4.0 * nn * nn)) / denom;
    *lo = centre - half < 0.0 ? 0.0 : centre - half;
    *hi = centre + half > 1.0 ? 1.0 : centre + half;
}

double mt_mcnemar_exact(uint64_t f, uint64_t b) {
    uint64_t n = f + b, m = f < b ? f : b;
    if (n == 0) return 1.0;
    /* sum of C(n, i) / 2^n for i <= m, in logs so that large n neither
     * overflows nor underflows; C(n, i) grows with i up to n/2 >= m, so the
     * last term is the largest and the others are scaled by it */
    double log_2n = (double)n * log(2.0), lg_n = lgamma((double)n + 1.0);
    double top = lg_n - lgamma((double)m + 1.0) - lgamma((double)(n - m) + 1.0) - log_2n, sum = 0.0;
    for (uint64_t i = 0; i <= m; i++)
        sum += exp(lg_n - lgamma((double)i + 1.0) - lgamma((double)(n - i) + 1.0) - log_2n - top);
    double p = 2.0 * exp(top) * sum;
    return p > 1.0 ? 1.0 : p;
}

typedef struct ranked {
    double p;
    size_t index;
} ranked;

static int by_p(const void *a, const void *b) {
    const ranked *x = a, *y = b;
    if (x->p != y->p) return x->p < y->p ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

void mt_holm(const double *p, size_t m, double *out) {
    if (m == 0) return;
    ranked *r = malloc(m * sizeof *r);
    if (!r) { /* no memory for the sort: Bonferroni, which Holm never exceeds */
        for (size_t i = 0; i < m; i++) out[i] = p[i] * (double)m > 1.0 ? 1.0 : p[i] * (double)m;
        return;
    }
    for (size_t i = 0; i < m; i++) r[i] = (ranked){ p[i], i };
    qsort(r, m, sizeof *r, by_p);
    double running = 0.0;
    for (size_t j = 0; j < m; j++) {
        double adj = (double)(m - j) * r[j].p;
        if (adj > 1.0) adj = 1.0;
        if (adj > running) running = adj;
        out[r[j].index] = running;
    }
    free(r);
}

double mt_quantile_sorted(const double *x, size_t n, double q) {
    if (n == 0) return NAN;
    double h = (double)(n - 1) * q;
    size_t i = (size_t)floor(h);
    if (i + 1 >= n) return x[n - 1];
    return x[i] + (h - (double)i) * (x[i + 1] - x[i]);
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

bool mt_bootstrap_exp_ratio95(const double *num, const double *den, size_t n, uint32_t resamples, uint64_t seed, double *lo,
                             double *hi) {
    *lo = *hi = NAN;
    if (n < 2 || resamples == 0) return true;
    double *stat = malloc(resamples * sizeof *stat);
    if (!stat) return false;
    mt_rng rng = mt_rng_seed(seed, 0x626f6f74ull);
    for (uint32_t r = 0; r < resamples; r++) {
        double sn = 0.0, sd = 0.0;
        for (size_t i = 0; i < n; i++) {
            size_t u = (size_t)mt_rng_below(&rng, n);
            sn += num[u];
            sd += den[u];
        }
        stat[r] = exp(sn / sd);
    }
    qsort(stat, resamples, sizeof *stat, by_value);
    *lo = mt_quantile_sorted(stat, resamples, 0.025);
    *hi = mt_quantile_sorted(stat, resamples, 0.975);
    free(stat);
    return true;
}
