/* Frequency, co-occurrence and logistic-probe predictors of a later layer's
 * experts, and their scores (predict.h). */
#include "predict.h"

#include "linalg.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mt_pred_init(mt_pred_set *s, uint32_t E, uint32_t n_feat) {
    memset(s, 0, sizeof *s);
    s->E = E;
    s->n_feat = n_feat;
}

void mt_pred_free(mt_pred_set *s) {
    free(s->feat);
    free(s->in_a);
    free(s->in_b);
    mt_pred_init(s, s->E, s->n_feat);
}

bool mt_pred_push(mt_pred_set *s, const float *feat, const uint8_t *in_a, const uint8_t *in_b) {
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 256;
        float *f = realloc(s->feat, cap * s->n_feat * sizeof *f + 1);
        if (!f) return false;
        s->feat = f;
        uint8_t *a = realloc(s->in_a, cap * s->E);
        if (!a) return false;
        s->in_a = a;
        uint8_t *b = realloc(s->in_b, cap * s->E);
        if (!b) return false;
        s->in_b = b;
        s->cap = cap;
    }
    memcpy(s->feat + s->n * s->n_feat, feat, s->n_feat * sizeof *feat);
    memcpy(s->in_a + s->n * s->E, in_a, s->E);
    memcpy(s->in_b + s->n * s->E, in_b, s->E);
    s->n++;
    return true;
}

/* order[0..E) = experts by score descending, ties to the lower id */
static void rank_scores(const double *score, uint32_t E, uint32_t *order) {
    for (uint32_t i = 0; i < E; i++) order[i] = i;
    for (uint32_t i = 1; i < E; i++) /* insertion sort, stable */
        for (uint32_t j = i; j > 0 && score[order[j]] > score[order[j - 1]]; j--) {
            uint32_t x = order[j];
            order[j] = order[j - 1];
            order[j - 1] = x;
        }
}

static void score_token(const double *score, const uint8_t *in_b, uint32_t E, uint32_t k, uint32_t kp, uint32_t *order,
                        mt_pred_result *r) {
    uint32_t size = 0, hit_k = 0, hit_kp = 0;
    for (uint32_t e = 0; e < E; e++) size += in_b[e];
    if (size == 0) return;
    rank_scores(score, E, order);
    for (uint32_t i = 0; i < kp; i++) hit_kp += in_b[order[i]];
    for (uint32_t i = 0; i < k; i++) hit_k += in_b[order[i]];
    r->tokens++;
    r->precision += (double)hit_k / k;
    r->recall += (double)hit_k / size;
    r->hit += (double)hit_kp / size;
    r->chance_precision += (double)size / E;
}

static void quiet(const char *s) { (void)s; }

/* One logistic regression per expert; probability of "selected" for every
 * test token into prob [test n][E] (a constant where training had one class). */
static bool probe(const mt_pred_set *tr, const mt_pred_set *test, double *prob, char *why, size_t why_cap) {
    uint32_t E = tr->E, F = tr->n_feat;
    size_t n = tr->n;
    double *mean = calloc(F + 1, sizeof *mean), *sd = calloc(F + 1, sizeof *sd), *y = malloc((n + 1) * sizeof *y);
    struct feature_node *nodes = malloc((n + 1) * (F + 2) * sizeof *nodes); /* the training rows, then one test row */
    struct feature_node **rows = malloc((n + 1) * sizeof *rows);
    bool ok = mean && sd && y && nodes && rows;
    if (!ok) snprintf(why, why_cap, "out of memory for the probe");
    for (size_t t = 0; ok && t < n; t++)
        for (uint32_t f = 0; f < F; f++) mean[f] += tr->feat[t * F + f] / (double)n;
    for (size_t t = 0; ok && t < n; t++)
        for (uint32_t f = 0; f < F; f++) sd[f] += pow(tr->feat[t * F + f] - mean[f], 2) / (double)n;
    for (uint32_t f = 0; ok && f < F; f++) sd[f] = sd[f] > 1e-24 ? sqrt(sd[f]) : 1.0;
    /* a row: the F standardised features, the bias (index F + 1), the end marker */
    mt_err lerr;
    const mt_liblinear *ll = ok ? mt_liblinear_get(&lerr) : NULL;
    if (ok && !ll) {
        snprintf(why, why_cap, "%s", lerr.msg);
        ok = false;
    }
    if (ok) ll->set_print_string_function(quiet);
    for (size_t t = 0; ok && t < n; t++) {
        struct feature_node *x = nodes + t * (F + 2);
        for (uint32_t f = 0; f < F; f++) x[f] = (struct feature_node){ (int)f + 1, (tr->feat[t * F + f] - mean[f]) / sd[f] };
        x[F] = (struct feature_node){ (int)F + 1, 1.0 }; /* liblinear's bias node: the caller adds it */
        x[F + 1] = (struct feature_node){ -1, 0 };
        rows[t] = x;
    }
    for (uint32_t e = 0; ok && e < E; e++) {
        size_t pos = 0;
        for (size_t t = 0; t < n; t++) pos += (y[t] = tr->in_b[t * E + e] ? 1 : 0) > 0;
        double constant = n ? (double)pos / (double)n : 0;
        if (pos == 0 || pos == n) {
            for (size_t t = 0; t < test->n; t++) prob[t * E + e] = constant;
            continue;
        }
        struct problem pb = { (int)n, (int)F + 1, y, rows, 1.0 }; /* n counts the bias feature */
        struct parameter pa = { L2R_LR, 0.01, 1.0, 0, NULL, NULL, 0.1, NULL };
        const char *bad = ll->check_parameter(&pb, &pa);
        struct model *m = bad ? NULL : ll->train(&pb, &pa);
        if (!m) {
            snprintf(why, why_cap, "liblinear: %s", bad ? bad : "training failed");
            ok = false;
            break;
        }
        int labels[2];
        ll->get_labels(m, labels);
        struct feature_node *x = nodes + n * (F + 2);
        for (size_t t = 0; t < test->n; t++) {
            for (uint32_t f = 0; f < F; f++) x[f] = (struct feature_node){ (int)f + 1, (test->feat[t * F + f] - mean[f]) / sd[f] };
            x[F] = (struct feature_node){ (int)F + 1, 1.0 };
            x[F + 1] = (struct feature_node){ -1, 0 };
            double pr[2];
            ll->predict_probability(m, x, pr);
            prob[t * E + e] = labels[0] == 1 ? pr[0] : pr[1];
        }
        ll->free_and_destroy_model(&m);
    }
    free(mean);
    free(sd);
    free(y);
    free(nodes);
    free(rows);
    return ok;
}

bool mt_predict_evaluate(const mt_pred_set *train, const mt_pred_set *test, uint32_t k, uint32_t k_prefetch,
                         mt_pred_result out[MT_PRED_KINDS], char *why, size_t why_cap) {
    uint32_t E = train->E;
    memset(out, 0, MT_PRED_KINDS * sizeof *out);
    double *freq = calloc(E, sizeof *freq), *co = calloc((size_t)E * E, sizeof *co), *na = calloc(E, sizeof *na);
    double *score = malloc(E * sizeof *score), *prob = malloc((test->n * E + 1) * sizeof *prob);
    uint32_t *order = malloc(E * sizeof *order);
    bool ok = freq && co && na && score && prob && order;
    if (!ok) snprintf(why, why_cap, "out of memory");
    for (size_t t = 0; ok && t < train->n; t++) {
        const uint8_t *a = train->in_a + t * E, *b = train->in_b + t * E;
        for (uint32_t j = 0; j < E; j++) freq[j] += b[j];
        for (uint32_t i = 0; i < E; i++)
            if (a[i]) {
                na[i]++;
                for (uint32_t j = 0; j < E; j++) co[(size_t)i * E + j] += b[j];
            }
    }
    if (ok) ok = probe(train, test, prob, why, why_cap);
    double fmax = 1;
    for (uint32_t j = 0; j < E; j++) fmax = freq[j] > fmax ? freq[j] : fmax;
    for (size_t t = 0; ok && t < test->n; t++) {
        const uint8_t *a = test->in_a + t * E, *b = test->in_b + t * E;
        score_token(freq, b, E, k, k_prefetch, order, &out[MT_PRED_FREQ]);
        for (uint32_t j = 0; j < E; j++) {
            score[j] = 1e-6 * freq[j] / fmax; /* ties: frequency */
            for (uint32_t i = 0; i < E; i++)
                if (a[i] && na[i] > 0) score[j] += co[(size_t)i * E + j] / na[i];
        }
        score_token(score, b, E, k, k_prefetch, order, &out[MT_PRED_COOC]);
        for (uint32_t j = 0; j < E; j++) score[j] = prob[t * E + j];
        score_token(score, b, E, k, k_prefetch, order, &out[MT_PRED_PROBE]);
    }
    for (int p = 0; p < MT_PRED_KINDS; p++) {
        mt_pred_result *r = &out[p];
        double n = r->tokens ? (double)r->tokens : NAN;
        r->precision /= n;
        r->recall /= n;
        r->hit /= n;
        r->chance_precision /= n;
        r->chance_recall = (double)k / E;
        r->chance_hit = (double)k_prefetch / E;
    }
    free(freq);
    free(co);
    free(na);
    free(score);
    free(prob);
    free(order);
    return ok;
}
