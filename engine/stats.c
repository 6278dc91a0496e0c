#include "stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const mt_stats_help[] = {
    "count_e   tokens whose selected experts include e (after interventions)",
    "load f_e  count_e / selections (= count/(T k) without interventions); uniform 1/E",
    "rate r_e  count_e / T, the share of tokens using e; uniform k/E",
    "soft load mean over tokens of softmax(z)_e, z the biased router logits",
    "CV        std(f) / mean(f) over experts",
    "Gini      sum|f_i - f_j| / (2 E^2 mean f): 0 even, 1 - 1/E one expert",
    "MaxVio    (max count - mean count) / mean count",
    "H_full    H(softmax(z)) / ln E: entropy of the full router distribution",
    "H_mix     H(mixing weights) / ln n, n = experts with weight > 0; 0 when n = 1",
    "          (one expert, forced or k 1: ln 1 = 0, and no uncertainty among the selected)",
    "top-1     the expert with the highest mixing weight; share = its mean weight",
    "CoAct     N(i,j) / N(i): of the tokens using i, the share also using j",
    "overlap   |A n B| / max(|A|,|B|) between two conditions' selections",
    "nonfinite tokens whose router logits hold NaN or infinity: left out of all the above",
    NULL,
};

bool mt_stats_init(mt_stats *s, uint32_t n_layer, uint32_t n_expert) {
    memset(s, 0, sizeof *s);
    s->n_layer = n_layer;
    s->n_expert = n_expert;
    s->layers = calloc(n_layer ? n_layer : 1, sizeof *s->layers);
    if (!s->layers) return false;
    for (uint32_t l = 0; l < n_layer; l++) {
        mt_layer_stats *ls = &s->layers[l];
        ls->n_expert = n_expert;
        ls->count = calloc(n_expert, sizeof *ls->count);
        ls->top1 = calloc(n_expert, sizeof *ls->top1);
        ls->coact = calloc((size_t)n_expert * n_expert, sizeof *ls->coact);
        ls->soft = calloc(n_expert, sizeof *ls->soft);
        if (!ls->count || !ls->top1 || !ls->coact || !ls->soft) {
            mt_stats_free(s);
            return false;
        }
    }
    return true;
}

void mt_stats_free(mt_stats *s) {
    for (uint32_t l = 0; s->layers && l < s->n_layer; l++) {
        free(s->layers[l].count);
        free(s->layers[l].top1);
        free(s->layers[l].coact);
        free(s->layers[l].soft);
    }
    free(s->layers);
    memset(s, 0, sizeof *s);
}

void mt_stats_add(mt_stats *a, const mt_stats *b) {
    uint32_t E = a->n_expert;
    for (uint32_t l = 0; l < a->n_layer; l++) {
        mt_layer_stats *x = &a->layers[l];
        const mt_layer_stats *y = &b->layers[l];
        x->tokens += y->tokens;
        x->nonfinite += y->nonfinite;
        x->selections += y->selections;
        for (uint32_t e = 0; e < E; e++) {
            x->count[e] += y->count[e];
            x->top1[e] += y->top1[e];
            x->soft[e] += y->soft[e];
        }
        for (size_t i = 0; i < (size_t)E * E; i++) x->coact[i] += y->coact[i];
        x->h_full += y->h_full;
        x->h_full_sq += y->h_full_sq;
        x->h_mix += y->h_mix;
        x->h_mix_sq += y->h_mix_sq;
        x->top1_weight += y->top1_weight;
        for (int b2 = 0; b2 < MT_STATS_BINS; b2++) {
            x->hist_top1[b2] += y->hist_top1[b2];
            x->hist_h_full[b2] += y->hist_h_full[b2];
        }
    }
}

/* softmax(z) into p (double), returning H(p) in nats */
static double softmax_entropy(const float *z, uint32_t E, double *p) {
    double top = -INFINITY, sum = 0.0, h = 0.0;
    for (uint32_t e = 0; e < E; e++) top = z[e] > top ? z[e] : top;
    for (uint32_t e = 0; e < E; e++) sum += p[e] = exp((double)z[e] - top);
    for (uint32_t e = 0; e < E; e++) {
        p[e] /= sum;
        if (p[e] > 0.0) h -= p[e] * log(p[e]);
    }
    return h;
}

bool mt_logits_finite(const float *z, uint32_t E) {
    for (uint32_t e = 0; e < E; e++)
        if (!isfinite(z[e])) return false;
    return true;
}

double mt_entropy_full(const float *z, uint32_t E) {
    if (!mt_logits_finite(z, E)) return NAN;
    if (E < 2) return 0.0;
    double stack[256], *p = E <= 256 ? stack : malloc(E * sizeof *p);
    if (!p) return NAN;
    double h = softmax_entropy(z, E, p) / log((double)E);
    if (p != stack) free(p);
    return h;
}

double mt_entropy_mix(const float *w, uint32_t n) {
    uint32_t positive = 0;
    double sum = 0.0, h = 0.0;
    for (uint32_t i = 0; i < n; i++)
        if (w[i] > 0.0f) {
            positive++;
            sum += w[i];
        }
    if (positive <= 1) return 0.0;
    for (uint32_t i = 0; i < n; i++)
        if (w[i] > 0.0f) {
            double p = w[i] / sum;
            h -= p * log(p);
        }
    return h / log((double)positive);
}

double mt_overlap(const uint32_t *a, uint32_t na, const uint32_t *b, uint32_t nb) {
    uint32_t both = 0, most = na > nb ? na : nb;
    if (most == 0) return 1.0; /* two empty selections agree */
    for (uint32_t i = 0; i < na; i++)
        for (uint32_t j = 0; j < nb; j++) both += a[i] == b[j];
    return (double)both / most;
}

static uint64_t fix(double v) { return v <= 0.0 ? 0 : (uint64_t)llround(v * MT_FIX_ONE); }
static double unfix(uint64_t v) { return (double)v / MT_FIX_ONE; }

static int bin_of(double v) {
    int b = (int)(v * MT_STATS_BINS);
    return b < 0 ? 0 : b >= MT_STATS_BINS ? MT_STATS_BINS - 1 : b;
}

void mt_stats_observe(mt_layer_stats *ls, const float *z, const uint32_t *experts, const float *weights, uint32_t n) {
    uint32_t E = ls->n_expert;
    if (!mt_logits_finite(z, E)) {
        ls->nonfinite++;
        return;
    }
    ls->tokens++;
    ls->selections += n;
    double stack[256], *p = E <= 256 ? stack : malloc(E * sizeof *p);
    if (p) {
        double h = E > 1 ? softmax_entropy(z, E, p) / log((double)E) : 0.0;
        for (uint32_t e = 0; e < E; e++) ls->soft[e] += fix(p[e]);
        ls->h_full += fix(h);
        ls->h_full_sq += fix(h * h);
        ls->hist_h_full[bin_of(h)]++;
        if (p != stack) free(p);
    }
    double hm = mt_entropy_mix(weights, n);
    ls->h_mix += fix(hm);
    ls->h_mix_sq += fix(hm * hm);
    uint32_t top = UINT32_MAX;
    float best = -1.0f;
    for (uint32_t i = 0; i < n; i++) {
        ls->count[experts[i]]++;
        for (uint32_t j = 0; j < n; j++)
            if (j != i) ls->coact[(size_t)experts[i] * E + experts[j]]++;
        if (weights[i] > best) { /* the top expert: the highest weight, the first in rank on a tie */
            best = weights[i];
            top = experts[i];
        }
    }
    for (uint32_t i = 0; i < n; i++) ls->coact[(size_t)experts[i] * E + experts[i]]++;
    if (top != UINT32_MAX && best > 0.0f) {
        ls->top1[top]++;
        ls->top1_weight += fix(best);
        ls->hist_top1[bin_of(best)]++;
    }
}

double mt_soft_load(const mt_layer_stats *ls, uint32_t e) { return ls->tokens ? unfix(ls->soft[e]) / (double)ls->tokens : NAN; }

double mt_load(const mt_layer_stats *ls, uint32_t e) { return ls->selections ? (double)ls->count[e] / (double)ls->selections : NAN; }
double mt_rate(const mt_layer_stats *ls, uint32_t e) { return ls->tokens ? (double)ls->count[e] / (double)ls->tokens : NAN; }

double mt_coact(const mt_layer_stats *ls, uint32_t i, uint32_t j) {
    uint64_t ni = ls->coact[(size_t)i * ls->n_expert + i];
    return ni ? (double)ls->coact[(size_t)i * ls->n_expert + j] / (double)ni : 0.0;
}

void mt_layer_metrics_compute(const mt_layer_stats *ls, double cold_rate, mt_layer_metrics *m) {
    memset(m, 0, sizeof *m);
    m->h_full_mean = m->h_full_std = m->h_mix_mean = m->h_mix_std = m->top1_share = NAN; /* no tokens: no mean */
    m->cv = m->gini = m->max_vio = NAN;
    uint32_t E = ls->n_expert;
    if (ls->tokens) {
        double T = (double)ls->tokens;
        m->h_full_mean = unfix(ls->h_full) / T;
        m->h_full_std = sqrt(fmax(0.0, unfix(ls->h_full_sq) / T - m->h_full_mean * m->h_full_mean));
        m->h_mix_mean = unfix(ls->h_mix) / T;
        m->h_mix_std = sqrt(fmax(0.0, unfix(ls->h_mix_sq) / T - m->h_mix_mean * m->h_mix_mean));
        m->top1_share = unfix(ls->top1_weight) / T;
    }
    if (ls->selections && E) {
        double mean = 1.0 / E, var = 0.0, diffs = 0.0, mean_count = (double)ls->selections / E;
        uint64_t max_count = 0;
        for (uint32_t e = 0; e < E; e++) {
            double f = mt_load(ls, e);
            var += (f - mean) * (f - mean);
            if (ls->count[e] > max_count) max_count = ls->count[e];
            for (uint32_t g = 0; g < E; g++) diffs += fabs(f - mt_load(ls, g));
        }
        m->cv = sqrt(var / E) / mean;
        m->gini = diffs / (2.0 * E * E * mean);
        m->max_vio = ((double)max_count - mean_count) / mean_count;
    }
    for (uint32_t e = 0; ls->tokens && e < E; e++) m->cold += mt_rate(ls, e) < cold_rate;
}

/* ---- chi-square ---------------------------------------------------------------------
 * The p-value is Q(dof/2, chi2/2), the regularized upper incomplete gamma
 * function: a series below a + 1, a continued fraction (Lentz) above. */

static double gamma_q(double a, double x) {
    if (x <= 0.0) return 1.0;
    double lg = lgamma(a);
    if (x < a + 1.0) {
        double term = 1.0 / a, sum = term;
        for (int n = 1; n < 10000; n++) {
            term *= x / (a + n);
            sum += term;
            if (fabs(term) < fabs(sum) * 1e-15) break;
        }
        return 1.0 - sum * exp(-x + a * log(x) - lg);
    }
    double tiny = 1e-300, b = x + 1.0 - a, c = 1.0 / tiny, d = 1.0 / b, h = d;
    for (int i = 1; i < 10000; i++) {
        double an = -i * (i - a);
        b += 2.0;
        d = an * d + b;
        if (fabs(d) < tiny) d = tiny;
        c = b + an / c;
        if (fabs(c) < tiny) c = tiny;
        d = 1.0 / d;
        double delta = d * c;
        h *= delta;
        if (fabs(delta - 1.0) < 1e-15) break;
    }
    return exp(-x + a * log(x) - lg) * h;
}

void mt_chi_square(const uint64_t *table, uint32_t rows, uint32_t cols, double *chi2, uint32_t *dof, double *p) {
    double *row_sum = calloc(rows + 1, sizeof *row_sum), *col_sum = calloc(cols + 1, sizeof *col_sum), total = 0.0;
    *chi2 = 0.0;
    *dof = 0;
    *p = 1.0;
    if (!row_sum || !col_sum) goto done;
    for (uint32_t r = 0; r < rows; r++)
        for (uint32_t c = 0; c < cols; c++) {
            double v = (double)table[(size_t)r * cols + c];
            row_sum[r] += v;
            col_sum[c] += v;
            total += v;
        }
    uint32_t live_rows = 0, live_cols = 0;
    for (uint32_t r = 0; r < rows; r++) live_rows += row_sum[r] > 0;
    for (uint32_t c = 0; c < cols; c++) live_cols += col_sum[c] > 0;
    if (live_rows < 2 || live_cols < 2) goto done;
    for (uint32_t r = 0; r < rows; r++)
        for (uint32_t c = 0; c < cols; c++) {
            if (row_sum[r] == 0 || col_sum[c] == 0) continue;
            double expected = row_sum[r] * col_sum[c] / total, diff = (double)table[(size_t)r * cols + c] - expected;
            *chi2 += diff * diff / expected;
        }
    *dof = (live_rows - 1) * (live_cols - 1);
    *p = gamma_q(*dof / 2.0, *chi2 / 2.0);
done:
    free(row_sum);
    free(col_sum);
}
