#include "compare.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "distribution.h"
#include "engine/session.h"
#include "prompt_run.h"

/* Selected sets (weight > 0) of every (layer, token) as bitsets of `words` words. */
static void selected_sets(const mt_session *s, uint32_t L, uint32_t T, uint32_t words, uint64_t *sets) {
    memset(sets, 0, (size_t)L * T * words * sizeof *sets);
    for (uint32_t l = 0; l < L; l++)
        for (uint32_t t = 0; t < T; t++) {
            const uint32_t *ex;
            const float *w;
            float margin;
            uint32_t k = mt_session_route(s, l, t, &ex, &w, &margin);
            uint64_t *set = sets + ((size_t)l * T + t) * words;
            for (uint32_t i = 0; i < k; i++)
                if (w[i] > 0.0f) set[ex[i] / 64] |= 1ull << (ex[i] % 64);
        }
}

static int popcount(const uint64_t *a, uint32_t words) {
    int n = 0;
    for (uint32_t i = 0; i < words; i++) n += __builtin_popcountll(a[i]);
    return n;
}

static int popcount_and(const uint64_t *a, const uint64_t *b, uint32_t words) {
    int n = 0;
    for (uint32_t i = 0; i < words; i++) n += __builtin_popcountll(a[i] & b[i]);
    return n;
}

void mt_compare_free(mt_compare_result *out, size_t n) {
    for (size_t i = 0; i < n; i++) {
        mt_ids_free(&out[i].generated);
        free(out[i].overlap);
        out[i].overlap = NULL;
    }
}

typedef struct collect {
    mt_ids *ids;
} collect;

static bool keep_token(void *ctx, uint32_t id, uint32_t pos) {
    (void)pos;
    return mt_ids_push(((collect *)ctx)->ids, id);
}

bool mt_compare_run(const mt_model *m, mt_backend *be, const mt_tokenizer *tok, const mt_conditions *c, const uint32_t *ids,
                    uint32_t n, uint32_t max_tokens, mt_exp_progress_fn progress, void *user, mt_compare_result *out, mt_err *err) {
    const mt_hparams *hp = &m->hp;
    uint32_t L = hp->n_layer, V = hp->n_vocab, words = (hp->n_expert + 63) / 64;
    memset(out, 0, c->n * sizeof *out);
    if (n == 0) {
        mt_err_set(err, "the prompt has no tokens");
        return false;
    }
    if (n > hp->n_ctx) {
        mt_err_set(err, "the prompt's %u tokens are more than the model's context of %u", n, hp->n_ctx);
        return false;
    }
    double *lp_base = malloc((size_t)V * sizeof *lp_base), *lp = malloc((size_t)V * sizeof *lp);
    uint64_t *base_sets = malloc((size_t)L * n * words * sizeof *base_sets), *sets = malloc((size_t)L * n * words * sizeof *sets);
    mt_session *s = mt_session_new(m, be, err);
    bool ok = lp_base && lp && base_sets && sets && s;
    if (!ok && s) mt_err_set(err, "out of memory");
    for (size_t ci = 0; ok && ci < c->n; ci++) {
        mt_compare_result *r = &out[ci];
        r->first_difference = -1;
        if (!(r->overlap = malloc(L * sizeof *r->overlap))) {
            mt_err_set(err, "out of memory");
            ok = false;
            break;
        }
        if (!mt_exp_eval_prompt(s, &c->items[ci].iv, ids, n, ci > 0, err)) {
            ok = false;
            break;
        }
        double *mine = ci == 0 ? lp_base : lp;
        mt_log_softmax(mt_session_logits(s, n - 1), V, mine);
        mt_top_n(mine, V, V < MT_COMPARE_TOP ? V : MT_COMPARE_TOP, r->top_ids, r->top_p);
        r->kl_next = ci == 0 ? 0.0 : mt_kl_logp(lp_base, lp, V);
        selected_sets(s, L, n, words, ci == 0 ? base_sets : sets);
        const uint64_t *b = ci == 0 ? base_sets : sets;
        for (uint32_t l = 0; l < L; l++) {
            double sum = 0.0;
            uint32_t counted = 0;
            for (uint32_t t = 0; t < n; t++) {
                const uint64_t *A = base_sets + ((size_t)l * n + t) * words, *B = b + ((size_t)l * n + t) * words;
                int na = popcount(A, words);
                if (na == 0) continue;
                sum += (double)popcount_and(A, B, words) / na;
                counted++;
            }
            r->overlap[l] = counted ? sum / counted : NAN;
        }
        mt_gen_opts o = { .max_tokens = max_tokens, .temperature = 0.0f, .top_p = 1.0f, .seed = 0 };
        collect col = { &r->generated };
        if (max_tokens && !mt_generate(s, tok, &o, keep_token, &col, &r->stop, err)) {
            ok = false;
            break;
        }
        if (ci > 0) {
            const mt_ids *g0 = &out[0].generated, *g = &r->generated;
            size_t common = g0->n < g->n ? g0->n : g->n, i = 0;
            while (i < common && g0->ids[i] == g->ids[i]) i++;
            r->first_difference = i < common || g0->n != g->n ? (int64_t)i : -1;
        }
        if (progress && !progress(user, ci + 1, c->n)) {
            mt_err_set(err, "cancelled");
            ok = false;
        }
    }
    mt_session_free(s);
    free(lp_base);
    free(lp);
    free(base_sets);
    free(sets);
    if (!ok) mt_compare_free(out, c->n);
    return ok;
}
