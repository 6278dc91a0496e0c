/* A domain's candidate specialist and its max-T permutation p (specialist.h). */
#include "specialist.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/rng.h"
#include "engine/stats.h"

#define SPECIALIST_STREAM 0x73706563ull /* "spec" */
/* Differences within this are equal: the rounding of a diff in double
 * precision is below 4e-16, while two distinct diffs over the same token
 * totals differ by at least 1 / (in_tokens out_tokens), more than this
 * unless the sides hold millions of tokens each. */
#define TIE 1e-13

/* The in side's sums at every (l, e) and l for the labelling lab (1: in). */
static void sum_in(const uint64_t *counts, const uint64_t *tokens, const uint32_t *lab, size_t P, uint32_t L, uint32_t E,
                   uint64_t *in_count, uint64_t *in_tokens) {
    memset(in_count, 0, (size_t)L * E * sizeof *in_count);
    memset(in_tokens, 0, L * sizeof *in_tokens);
    for (size_t p = 0; p < P; p++) {
        if (!lab[p]) continue;
        const uint64_t *c = counts + (size_t)p * L * E;
        for (uint32_t l = 0; l < L; l++) {
            in_tokens[l] += tokens[(size_t)p * L + l];
            for (uint32_t e = 0; e < E; e++) in_count[(size_t)l * E + e] += c[(size_t)l * E + e];
        }
    }
}

static double diff_of(uint64_t ic, uint64_t it, uint64_t tc, uint64_t tt) {
    return (double)ic / (double)it - (double)(tc - ic) / (double)(tt - it);
}

/* The largest diff over the cells with tokens on both sides; -inf when none. */
static double max_diff(const uint64_t *in_count, const uint64_t *in_tokens, const uint64_t *tot_count, const uint64_t *tot_tokens, uint32_t L,
                       uint32_t E) {
    double best = -INFINITY;
    for (uint32_t l = 0; l < L; l++) {
        if (in_tokens[l] == 0 || in_tokens[l] == tot_tokens[l]) continue;
        for (uint32_t e = 0; e < E; e++) {
            size_t i = (size_t)l * E + e;
            double d = diff_of(in_count[i], in_tokens[l], tot_count[i], tot_tokens[l]);
            if (d > best) best = d;
        }
    }
    return best;
}

static int by_value(const void *a, const void *b) {
    const mt_specialist_cell *x = a, *y = b;
    return x->diff > y->diff ? -1 : x->diff < y->diff;
}

/* Ranks by key (the diff of the run of equal diffs it belongs to), then
 * layer, then expert: a total order, so ties go the stated way. */
static int by_rank(const void *a, const void *b) {
    const mt_specialist_cell *x = a, *y = b;
    if (x->p_maxt != y->p_maxt) return x->p_maxt > y->p_maxt ? -1 : 1;
    if (x->layer != y->layer) return x->layer < y->layer ? -1 : 1;
    return x->expert < y->expert ? -1 : x->expert > y->expert;
}

static int ascending(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Permutation maxima at least d (sorted ascending): by binary search. */
static uint64_t at_least(const double *sorted, uint32_t N, double d) {
    double bar = d - TIE;
    uint32_t lo = 0, hi = N;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (sorted[mid] >= bar) hi = mid;
        else lo = mid + 1;
    }
    return N - lo;
}

bool mt_specialist_find(const uint64_t *counts, const uint64_t *tokens, const bool *in_domain, size_t P, uint32_t L, uint32_t E,
                        uint32_t N, uint64_t seed, mt_specialist *out, mt_err *err) {
    memset(out, 0, sizeof *out);
    if (N == 0 || L == 0 || E == 0) {
        mt_err_set(err, "specialist: N, L and E must be at least 1");
        return false;
    }
    for (size_t p = 0; p < P; p++) {
        if (in_domain[p]) out->in_prompts++;
        else out->out_prompts++;
        for (uint32_t l = 0; l < L; l++)
            for (uint32_t e = 0; e < E; e++)
                if (counts[((size_t)p * L + l) * E + e] > tokens[(size_t)p * L + l]) {
                    mt_err_set(err, "specialist: prompt %zu selects expert %u at layer %u more often than it has tokens", p, e, l);
                    return false;
                }
    }
    if (!out->in_prompts || !out->out_prompts) {
        mt_err_set(err, "specialist: the domain needs prompts on both sides (%zu in it, %zu not)", out->in_prompts, out->out_prompts);
        return false;
    }
    size_t LE = (size_t)L * E;
    uint64_t *tot_count = calloc(LE, sizeof *tot_count), *tot_tokens = calloc(L, sizeof *tot_tokens);
    uint64_t *in_count = malloc(LE * sizeof *in_count), *in_tokens = malloc(L * sizeof *in_tokens);
    uint32_t *lab = malloc(P * sizeof *lab);
    mt_specialist_cell *cells = malloc(LE * sizeof *cells);
    double *maxima = malloc((size_t)N * sizeof *maxima);
    bool ok = tot_count && tot_tokens && in_count && in_tokens && lab && cells && maxima;
    if (!ok) mt_err_set(err, "out of memory");
    if (ok) {
        for (size_t p = 0; p < P; p++) {
            lab[p] = in_domain[p] ? 1 : 0;
            for (uint32_t l = 0; l < L; l++) {
                tot_tokens[l] += tokens[(size_t)p * L + l];
                for (uint32_t e = 0; e < E; e++) tot_count[(size_t)l * E + e] += counts[((size_t)p * L + l) * E + e];
            }
        }
        sum_in(counts, tokens, lab, P, L, E, in_count, in_tokens);
        uint32_t n = 0;
        for (uint32_t l = 0; l < L; l++) {
            uint64_t it = in_tokens[l], ot = tot_tokens[l] - it;
            if (!it || !ot) continue;
            for (uint32_t e = 0; e < E; e++) {
                size_t i = (size_t)l * E + e;
                mt_specialist_cell *c = &cells[n++];
                c->layer = l;
                c->expert = e;
                c->in_count = in_count[i];
                c->in_tokens = it;
                c->out_count = tot_count[i] - in_count[i];
                c->out_tokens = ot;
                c->in_rate = (double)c->in_count / (double)it;
                c->out_rate = (double)c->out_count / (double)ot;
                c->diff = diff_of(in_count[i], it, tot_count[i], tot_tokens[l]);
            }
        }
        if (!n) {
            mt_err_set(err, "specialist: no layer has tokens on both sides");
            ok = false;
        } else {
            /* runs of equal diffs share their first's value as the key (held in p_maxt until it is set) */
            qsort(cells, n, sizeof *cells, by_value);
            for (uint32_t i = 0, run = 0; i < n; i++) {
                if (cells[run].diff - cells[i].diff > TIE) run = i;
                cells[i].p_maxt = cells[run].diff;
            }
            qsort(cells, n, sizeof *cells, by_rank);
            mt_rng r = mt_rng_seed(seed, SPECIALIST_STREAM);
            for (uint32_t k = 0; k < N; k++) {
                mt_rng_shuffle_u32(&r, lab, P);
                sum_in(counts, tokens, lab, P, L, E, in_count, in_tokens);
                maxima[k] = max_diff(in_count, in_tokens, tot_count, tot_tokens, L, E);
            }
            qsort(maxima, N, sizeof *maxima, ascending);
            out->n_cells = n;
            out->permutations = N;
            out->n_top = n < MT_SPECIALIST_TOP ? n : MT_SPECIALIST_TOP;
            for (uint32_t i = 0; i < out->n_top; i++) {
                out->top[i] = cells[i];
                out->top[i].p_maxt = (1.0 + (double)at_least(maxima, N, cells[i].diff)) / (1.0 + (double)N);
            }
            out->reach = at_least(maxima, N, cells[0].diff);
            out->p_max = out->top[0].p_maxt;
        }
    }
    free(tot_count);
    free(tot_tokens);
    free(in_count);
    free(in_tokens);
    free(lab);
    free(cells);
    free(maxima);
    return ok;
}

void mt_specialist_count_session(const mt_session *s, uint32_t L, uint32_t E, uint64_t *counts, uint64_t *tokens) {
    uint32_t T = mt_session_length(s);
    for (uint32_t l = 0; l < L; l++)
        for (uint32_t t = 0; t < T; t++) {
            if (!mt_logits_finite(mt_session_router_logits(s, l, t), E)) continue;
            const uint32_t *ex;
            const float *w;
            float margin;
            uint32_t n = mt_session_route(s, l, t, &ex, &w, &margin);
            tokens[l]++;
            for (uint32_t i = 0; i < n; i++) counts[(size_t)l * E + ex[i]]++;
        }
}

bool mt_specialist_count_prompts(const mt_model *m, mt_backend *be, const mt_ids *prompts, size_t P, mt_exp_progress_fn progress,
                                 void *user, uint64_t *counts, uint64_t *tokens, mt_err *err) {
    uint32_t L = m->hp.n_layer, E = m->hp.n_expert;
    memset(counts, 0, P * L * E * sizeof *counts);
    memset(tokens, 0, P * L * sizeof *tokens);
    mt_session *s = mt_session_new(m, be, err);
    if (!s) return false;
    mt_session_skip_logits(s, true); /* the trace is all this reads */
    bool ok = true;
    for (size_t p = 0; p < P && ok; p++) {
        mt_session_truncate(s, 0);
        if (!prompts[p].n) {
            mt_err_set(err, "prompt %zu: no tokens", p);
            ok = false;
        } else if (!mt_session_append(s, prompts[p].ids, (uint32_t)prompts[p].n, err)) ok = false;
        else {
            mt_specialist_count_session(s, L, E, counts + p * L * E, tokens + p * L);
            if (progress && !progress(user, p + 1, P)) {
                mt_err_set(err, "cancelled");
                ok = false;
            }
        }
    }
    mt_session_free(s);
    return ok;
}
