#include "prune_report.h"

#include <stdlib.h>
#include <string.h>

bool mt_prune_conditions(const mt_prune_plan *p, mt_conditions *out) {
    mt_interventions none, mask;
    if (!mt_iv_init(&none, p->n_layer, p->n_expert)) return false;
    bool ok = mt_conds_init(out, &none);
    mt_iv_free(&none);
    if (!ok) return false;
    if (!mt_iv_init(&mask, p->n_layer, p->n_expert)) {
        mt_conds_free(out);
        return false;
    }
    for (size_t i = 0; i < (size_t)p->n_layer * p->n_expert; i++)
        if (!p->keep[i]) mask.flags[i] |= MT_IV_MASK;
    mt_err err;
    ok = mt_conds_add(out, "pruned", &mask, &err);
    mt_iv_free(&mask);
    if (!ok) mt_conds_free(out);
    return ok;
}

/* Perplexity of both conditions over the documents. */
static bool run_ppl(const mt_model *m, mt_backend *be, const mt_conditions *c, const mt_ids *docs, size_t n_docs, uint32_t ctx,
                    uint32_t resamples, uint64_t seed, mt_prune_quality *q, mt_err *err) {
    size_t total = 0;
    for (size_t i = 0; i < n_docs; i++) total += mt_ppl_plan((uint32_t)i, (uint32_t)docs[i].n, ctx, ctx, NULL);
    if (total == 0) {
        mt_err_set(err, "perplexity: no document has two tokens");
        return false;
    }
    mt_ppl_window *w = malloc(total * sizeof *w);
    mt_ppl_sums *sums = malloc(total * c->n * sizeof *sums);
    mt_ppl_scorer *sc = w && sums ? mt_ppl_scorer_new(m, be, ctx, err) : NULL;
    bool ok = sc != NULL;
    if (!w || !sums) mt_err_set(err, "out of memory");
    size_t at = 0;
    for (size_t i = 0; ok && i < n_docs; i++) at += mt_ppl_plan((uint32_t)i, (uint32_t)docs[i].n, ctx, ctx, w + at);
    for (size_t i = 0; ok && i < total; i++) ok = mt_ppl_score_window(sc, c, docs[w[i].document].ids, &w[i], &sums[i * c->n], err);
    for (size_t ci = 0; ok && ci < 2; ci++)
        if (!(ok = mt_ppl_summarize(w, sums, total, c->n, ci, resamples, seed, &q->ppl[ci]))) mt_err_set(err, "out of memory");
    q->documents = n_docs;
    mt_ppl_scorer_free(sc);
    free(w);
    free(sums);
    return ok;
}

bool mt_prune_quality_run(const mt_model *m, mt_backend *be, const mt_tokenizer *tok, const mt_prune_plan *p, const mt_ids *docs,
                          size_t n_docs, uint32_t ctx, uint32_t resamples, uint64_t seed, const mt_problem *problems,
                          size_t n_problems, uint32_t max_tokens, mt_prune_quality *q, mt_err *err) {
    memset(q, 0, sizeof *q);
    mt_conditions c;
    if (!mt_prune_conditions(p, &c)) {
        mt_err_set(err, "out of memory");
        return false;
    }
    bool ok = run_ppl(m, be, &c, docs, n_docs, ctx, resamples, seed, q, err);
    mt_eval_result r = { 0 };
    if (ok && n_problems > 0) {
        ok = mt_eval_run(m, be, tok, &c, problems, n_problems, max_tokens, NULL, NULL, &r, err);
        if (ok) {
            q->problems = r.n_problems;
            q->eval[0] = r.summary[0];
            q->eval[1] = r.summary[1];
        }
        mt_eval_free(&r);
    }
    mt_conds_free(&c);
    return ok;
}
