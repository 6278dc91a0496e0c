#include "ppl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "distribution.h"
#include "engine/sample.h"
#include "engine/session.h"
#include "prompt_run.h"
#include "significance.h"

size_t mt_ppl_plan(uint32_t document, uint32_t n, uint32_t ctx, uint32_t stride, mt_ppl_window *out) {
    if (n < 2) return 0;
    size_t count = 0;
    uint32_t begin = 0, end = 0;
    for (;;) {
        uint32_t prev_end = end;
        if (count) {
            /* every stride tokens; but never at or past the previous end (stride = ctx), where the
             * first scored token would have no earlier token in its window */
            begin = begin + stride < prev_end - 1 ? begin + stride : prev_end - 1;
        }
        end = (uint64_t)begin + ctx < n ? begin + ctx : n;
        if (out) out[count] = (mt_ppl_window){ document, (uint32_t)count, begin, end, count ? prev_end : 1 };
        count++;
        if (end == n) return count;
    }
}

struct mt_ppl_scorer {
    const mt_model *m;
    mt_session *base, *cond;
    double *lp_base, *lp;
};

mt_ppl_scorer *mt_ppl_scorer_new(const mt_model *m, mt_backend *be, uint32_t ctx, mt_err *err) {
    (void)ctx; /* sessions grow with the tokens they hold */
    mt_ppl_scorer *sc = calloc(1, sizeof *sc);
    if (!sc) {
        mt_err_set(err, "out of memory");
        return NULL;
    }
    sc->m = m;
    sc->lp_base = malloc((size_t)m->hp.n_vocab * sizeof *sc->lp_base);
    sc->lp = malloc((size_t)m->hp.n_vocab * sizeof *sc->lp);
    if (!sc->lp_base || !sc->lp) mt_err_set(err, "out of memory");
    else if ((sc->base = mt_session_new(m, be, err)) && (sc->cond = mt_session_new(m, be, err))) {
        mt_session_keep_all_logits(sc->base, true);
        mt_session_keep_all_logits(sc->cond, true);
        return sc;
    }
    mt_ppl_scorer_free(sc);
    return NULL;
}

void mt_ppl_scorer_free(mt_ppl_scorer *sc) {
    if (!sc) return;
    mt_session_free(sc->base);
    mt_session_free(sc->cond);
    free(sc->lp_base);
    free(sc->lp);
    free(sc);
}

static int64_t fix(double x) { return (int64_t)llround(x * MT_PPL_FIX_ONE); }

bool mt_ppl_score_window(mt_ppl_scorer *sc, const mt_conditions *c, const uint32_t *doc_ids, const mt_ppl_window *w,
                         mt_ppl_sums *out, mt_err *err) {
    uint32_t V = sc->m->hp.n_vocab, T = w->end - w->begin;
    const uint32_t *ids = doc_ids + w->begin;
    memset(out, 0, c->n * sizeof *out);
    if (!mt_exp_eval_prompt(sc->base, &c->items[0].iv, ids, T, false, err)) return false;
    for (size_t ci = 0; ci < c->n; ci++) {
        mt_session *s = sc->base;
        if (ci > 0) {
            s = sc->cond; /* holds this window from the previous condition after the first */
            if (!mt_exp_eval_prompt(s, &c->items[ci].iv, ids, T, ci > 1, err)) return false;
        }
        mt_ppl_sums *sum = &out[ci];
        for (uint32_t p = w->score_from; p < w->end; p++) {
            uint32_t at = p - 1 - w->begin; /* the logits that predict token p */
            const float *zb = mt_session_logits(sc->base, at), *z = mt_session_logits(s, at);
            mt_log_softmax(zb, V, sc->lp_base);
            if (ci > 0) mt_log_softmax(z, V, sc->lp);
            const double *lp = ci > 0 ? sc->lp : sc->lp_base;
            double nll = -lp[ids[p - w->begin]], kl = ci > 0 ? mt_kl_logp(sc->lp_base, sc->lp, V) : 0.0;
            if (!isfinite(nll) || !isfinite(kl)) {
                mt_err_set(err, "condition '%s': a non-finite log-probability at token %u of document %u (NaN or infinite logits)",
                           c->items[ci].name, p, w->document);
                return false;
            }
            sum->tokens++;
            sum->nll_fx += fix(nll);
            sum->kl_fx += fix(kl);
            sum->top1 += ci == 0 || mt_argmax(z, V) == mt_argmax(zb, V);
        }
    }
    return true;
}

bool mt_ppl_summarize(const mt_ppl_window *w, const mt_ppl_sums *sums, size_t n, size_t n_cond, size_t ci, uint32_t resamples,
                      uint64_t seed, mt_ppl_summary *out) {
    memset(out, 0, sizeof *out);
    int64_t nll = 0, kl = 0;
    uint64_t top1 = 0;
    size_t docs = 0;
    for (size_t i = 0; i < n; i++) {
        const mt_ppl_sums *s = &sums[i * n_cond + ci];
        out->tokens += s->tokens;
        nll += s->nll_fx;
        kl += s->kl_fx;
        top1 += s->top1;
        if (s->tokens && (docs == 0 || i == 0 || w[i].document != w[i - 1].document)) docs++;
    }
    double T = (double)out->tokens;
    out->nll_mean = T ? (double)nll / MT_PPL_FIX_ONE / T : NAN;
    out->ppl = exp(out->nll_mean);
    out->kl_mean = T ? (double)kl / MT_PPL_FIX_ONE / T : NAN;
    out->top1_agreement = T ? (double)top1 / T : NAN;
    /* bootstrap units: documents with scored tokens, or windows when only one document has them */
    double *num = malloc((n + 1) * sizeof *num), *den = malloc((n + 1) * sizeof *den);
    if (!num || !den) {
        free(num);
        free(den);
        return false;
    }
    /* each unit's sums exactly (integers), converted once */
    size_t units = 0;
    int64_t unit_nll = 0;
    uint64_t unit_tokens = 0;
    for (size_t i = 0; i < n; i++) {
        const mt_ppl_sums *s = &sums[i * n_cond + ci];
        if (!s->tokens) continue;
        unit_nll += s->nll_fx;
        unit_tokens += s->tokens;
        bool unit_ends = docs <= 1 || i + 1 == n || w[i + 1].document != w[i].document;
        if (unit_ends) {
            num[units] = (double)unit_nll / MT_PPL_FIX_ONE;
            den[units] = (double)unit_tokens;
            units++;
            unit_nll = 0;
            unit_tokens = 0;
        }
    }
    bool ok = mt_bootstrap_exp_ratio95(num, den, units, resamples, seed, &out->ppl_lo, &out->ppl_hi);
    free(num);
    free(den);
    return ok;
}
