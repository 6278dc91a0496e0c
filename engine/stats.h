/* Routing statistics: one implementation for the explorer and the command
 * line. A layer's accumulator takes one token's routing at a time; the
 * metrics are computed from the sums, so shards of a corpus add exactly.
 *
 * Definitions (the help screen shows the same text, from mt_stats_help):
 *   count_e     tokens whose selected experts include e (after interventions)
 *   load f_e    count_e / selections, where selections = sum over tokens of
 *               the experts selected (= T k without interventions): sums to 1,
 *               uniform 1/E
 *   rate r_e    count_e / T: the share of tokens that use e, uniform k/E
 *   soft load   mean over tokens of softmax(z)_e, z the biased router logits
 *   CV          std(f) / mean(f) over experts (population std)
 *   Gini        sum_i sum_j |f_i - f_j| / (2 E^2 mean(f)): 0 even, 1 - 1/E one expert
 *   MaxVio      (max_e count_e - mean count) / mean count
 *   H_full      H(softmax(z)) / ln E per token: the full router distribution
 *   H_mix       H(mixing weights) / ln n per token, n = experts with weight > 0
 *               (n <= 1 gives 0)
 *   top-1       the expert with the highest mixing weight; top-1 share is the
 *               mean of that weight
 *   CoAct(i,j)  N(i,j) / N(i), N(i,j) = tokens selecting both, N(i) = count_i
 *   overlap     |A n B| / max(|A|, |B|) between two conditions' selections
 * H uses natural logarithms; 0 ln 0 = 0.
 *
 * Router logits that are not all finite: a (token, layer) with a NaN or an
 * infinite logit among z is counted in that layer's nonfinite and left out of
 * every other sum (tokens, selections, counts, entropies, shares), so it can
 * never look certain or uncertain; T above counts only the tokens kept. A
 * mean over no tokens (and a load share over no selections) is NaN, never 0. */
#ifndef MT_STATS_H
#define MT_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MT_STATS_BINS 20 /* histogram bins over [0, 1] */

/* Sums of quantities in [0, 1] are kept in fixed point (units of 2^-32,
 * each token's value rounded once), so that they add exactly in any order:
 * shards of a corpus merge to the same bits as one run. */
#define MT_FIX_ONE 4294967296.0

typedef struct mt_layer_stats {
    uint32_t n_expert;
    uint64_t tokens;           /* tokens counted: router logits all finite */
    uint64_t nonfinite;        /* tokens left out: a NaN or infinite router logit */
    uint64_t selections;       /* sum over tokens of experts selected */
    uint64_t *count;           /* [E] */
    uint64_t *top1;            /* [E]: tokens whose highest-weight expert is e */
    uint64_t *coact;           /* [E][E]: N(i, j); the diagonal is count */
    uint64_t *soft;            /* [E]: sum of softmax(z)_e (fixed point) */
    uint64_t h_full, h_full_sq; /* sums of H_full and its square (fixed point) */
    uint64_t h_mix, h_mix_sq;
    uint64_t top1_weight;      /* sum of the highest mixing weight (fixed point) */
    uint64_t hist_top1[MT_STATS_BINS];  /* highest mixing weight */
    uint64_t hist_h_full[MT_STATS_BINS];
} mt_layer_stats;

typedef struct mt_stats {
    uint32_t n_layer, n_expert;
    mt_layer_stats *layers;
} mt_stats;

bool mt_stats_init(mt_stats *s, uint32_t n_layer, uint32_t n_expert);
void mt_stats_free(mt_stats *s);
/* a += b (same shape). */
void mt_stats_add(mt_stats *a, const mt_stats *b);

/* One token at one layer: its biased router logits z[E] (before
 * interventions), the selected experts and their applied weights. A token
 * whose z is not all finite only adds 1 to nonfinite. */
void mt_stats_observe(mt_layer_stats *ls, const float *z, const uint32_t *experts, const float *weights, uint32_t n);

/* Per-token measures (exposed for the views and the tests). */
bool mt_logits_finite(const float *z, uint32_t E);             /* no NaN, no infinity */
double mt_entropy_full(const float *z, uint32_t E);            /* H(softmax(z)) / ln E; NaN unless z is finite */
double mt_entropy_mix(const float *weights, uint32_t n);       /* H(w) / ln(#w > 0) */
double mt_overlap(const uint32_t *a, uint32_t na, const uint32_t *b, uint32_t nb);

/* Per-layer metrics from the sums: the entropies and the top-1 share are
 * NaN when the layer counted no tokens, CV, Gini and MaxVio when it counted
 * no selections (no data is not an even load); cold is then 0. */
typedef struct mt_layer_metrics {
    double h_full_mean, h_full_std, h_mix_mean, h_mix_std;
    double top1_share;
    double cv, gini, max_vio;
    uint32_t cold;              /* experts with rate below the threshold */
} mt_layer_metrics;

void mt_layer_metrics_compute(const mt_layer_stats *ls, double cold_rate, mt_layer_metrics *out);
double mt_load(const mt_layer_stats *ls, uint32_t e);   /* f_e; NaN with no selections */
double mt_rate(const mt_layer_stats *ls, uint32_t e);   /* r_e; NaN with no tokens */
double mt_soft_load(const mt_layer_stats *ls, uint32_t e); /* mean softmax(z)_e; NaN with no tokens */
double mt_coact(const mt_layer_stats *ls, uint32_t i, uint32_t j); /* N(i,j)/N(i); 0 when N(i) = 0 */

/* Chi-square test of independence on a rows x cols table of counts (rows
 * or columns that are all zero are left out): the statistic, its degrees of
 * freedom and the p-value (upper tail). */
void mt_chi_square(const uint64_t *table, uint32_t rows, uint32_t cols, double *chi2, uint32_t *dof, double *p);

/* The definitions above, as lines of text for help screens. */
extern const char *const mt_stats_help[];

#endif
