/* Perplexity of conditions over documents (moetop ppl; shared/contracts/cli.md):
 * each document is scored alone in windows of `ctx` tokens starting every
 * `stride` tokens; the first window scores its tokens 1..end-1, each later
 * one the tokens after the previous window's end, so every token but a
 * document's first is scored exactly once, given the earlier tokens of its
 * window. Per scored token and condition: NLL = -log p(token | window so far)
 * in nats, KL(baseline || condition) of the whole next-token distribution,
 * and whether the condition's argmax equals the baseline's.
 *
 * Sums are kept per window in fixed point (units of 2^-24 nats, each token's
 * value rounded once), so shards of a corpus merge into exactly the numbers
 * of one run. */
#ifndef MT_PPL_H
#define MT_PPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "condition.h"
#include "engine/backend.h"
#include "engine/model.h"

#define MT_PPL_FIX_ONE 16777216.0 /* 2^24 */

typedef struct mt_ppl_window {
    uint32_t document;   /* the document's number, from 0 */
    uint32_t index;      /* the window's number within it, from 0 */
    uint32_t begin, end; /* its tokens [begin, end) of the document */
    uint32_t score_from; /* it scores the tokens [score_from, end) */
} mt_ppl_window;

/* Writes the windows of a document of n tokens to out (when not NULL) and
 * returns their count: none when n < 2. 1 <= stride <= ctx, ctx >= 2. */
size_t mt_ppl_plan(uint32_t document, uint32_t n, uint32_t ctx, uint32_t stride, mt_ppl_window *out);

/* A window's sums under one condition. */
typedef struct mt_ppl_sums {
    uint64_t tokens;  /* scored tokens */
    int64_t nll_fx;   /* sum of round(NLL * 2^24) */
    int64_t kl_fx;    /* sum of round(KL * 2^24); 0 for the baseline */
    uint64_t top1;    /* scored tokens whose argmax equals the baseline's */
} mt_ppl_sums;

/* A scorer holds two sessions keeping every position's logits (the baseline
 * and the condition under test), sized for windows of ctx tokens. */
typedef struct mt_ppl_scorer mt_ppl_scorer;
mt_ppl_scorer *mt_ppl_scorer_new(const mt_model *m, mt_backend *be, uint32_t ctx, mt_err *err);
void mt_ppl_scorer_free(mt_ppl_scorer *sc);

/* Scores window w of a document's ids under every condition: out[c->n].
 * False with err set (the backend failed, out of memory, a non-finite
 * log-probability, naming the condition). */
bool mt_ppl_score_window(mt_ppl_scorer *sc, const mt_conditions *c, const uint32_t *doc_ids, const mt_ppl_window *w,
                         mt_ppl_sums *out, mt_err *err);

typedef struct mt_ppl_summary {
    uint64_t tokens;
    double nll_mean;           /* sum NLL / tokens */
    double ppl;                /* exp(nll_mean) */
    double ppl_lo, ppl_hi;     /* percentile bootstrap 95% interval (significance.h) over units; NaN
                                  (no interval) with fewer than two units */
    double kl_mean;            /* sum KL / tokens */
    double top1_agreement;     /* top1 / tokens */
} mt_ppl_summary;

/* The summary of condition ci over n windows (sorted by document, then
 * index) with sums[window * n_cond + condition]. The bootstrap's units are the
 * documents that have scored tokens, or the windows when only one document
 * has. False when out of memory. */
bool mt_ppl_summarize(const mt_ppl_window *w, const mt_ppl_sums *sums, size_t n, size_t n_cond, size_t ci, uint32_t resamples,
                      uint64_t seed, mt_ppl_summary *out);

#endif
