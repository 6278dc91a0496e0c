/* The statistics experiments report their differences with: intervals and
 * exact tests, each as shared/contracts/cli.md (Experiments) defines it. */
#ifndef MT_SIGNIFICANCE_H
#define MT_SIGNIFICANCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MT_Z95 1.959963984540054 /* the standard normal's 97.5th percentile */

/* The Wilson score interval for k successes in n trials at 95%, without
 * continuity correction (Wilson 1927; Newcombe 1998, method 3):
 *   centre = (p + z^2/2n) / (1 + z^2/n),
 *   half   = z sqrt(p(1-p)/n + z^2/4n^2) / (1 + z^2/n),  p = k/n.
 * n = 0 gives [0, 1]. */
void mt_wilson95(uint64_t k, uint64_t n, double *lo, double *hi);

/* The exact two-sided McNemar test on the discordant pairs: f problems right
 * only in the condition, b right only in the baseline:
 *   p = min(1, 2 sum_{i <= min(f,b)} C(f+b, i) / 2^(f+b)),  1 when f + b = 0
 * (the binomial test of f against Bin(f+b, 1/2); Fagerland et al. 2013). */
double mt_mcnemar_exact(uint64_t f, uint64_t b);

/* Holm's step-down adjustment of m p-values (Holm 1979): with p sorted
 * ascending, adj_(i) = max over j <= i of min(1, (m - j + 1) p_(j)), written
 * back in the input order. out may be p. */
void mt_holm(const double *p, size_t m, double *out);

/* The q-quantile (0 <= q <= 1) of n sorted values, interpolated linearly
 * between order statistics: x[floor(h)] + (h - floor(h)) (x[floor(h)+1] -
 * x[floor(h)]), h = (n - 1) q (Hyndman and Fan's type 7, numpy's default). */
double mt_quantile_sorted(const double *x, size_t n, double q);

/* Percentile bootstrap 95% interval of exp(sum num / sum den) over n units
 * (unit i holds num[i], den[i] > 0): `resamples` resamples of n units drawn
 * with replacement by mt_rng seeded with (seed, stream 0x626f6f74), each
 * giving exp(sum num / sum den); the interval is their 2.5% and 97.5%
 * quantiles (mt_quantile_sorted). Fewer than two units give NaN, NaN: one
 * unit resampled is no interval. False when out of memory. */
bool mt_bootstrap_exp_ratio95(const double *num, const double *den, size_t n, uint32_t resamples, uint64_t seed, double *lo,
                             double *hi);

#endif
