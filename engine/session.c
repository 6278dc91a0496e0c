/* Session state: growth of the per-token arrays, appending, recomputation
 * after interventions change, and the trace accessors. The compute is in
 * forward.c. */
#include <stdlib.h>
#include <string.h>

#include "quant.h"
#include "session_internal.h"

mt_session *mt_session_new(const mt_model *m, mt_backend *be, mt_err *err) {
    const mt_hparams *hp = &m->hp;
    mt_session *s = calloc(1, sizeof *s);
    if (!s) goto oom;
    s->m = m;
    s->be = be;
    s->dirty_from = hp->n_layer;
    s->logits_pos = UINT32_MAX;
    s->k = calloc(hp->n_layer, sizeof *s->k);
    s->v = calloc(hp->n_layer, sizeof *s->v);
    if (!s->k || !s->v || !mt_rope_init(&s->rope, hp) || !mt_iv_init(&s->iv, hp->n_layer, hp->n_expert)) goto oom;
    /* batch scratch: the widest row of each buffer, MT_BATCH tokens */
    size_t d = hp->d_model, qw = (size_t)hp->n_head * hp->head_dim, wide = d > qw ? d : qw;
    s->h = malloc(MT_BATCH * wide * sizeof(float));
    s->q = malloc(MT_BATCH * qw * sizeof(float));
    s->att = malloc(MT_BATCH * qw * sizeof(float));
    s->o = malloc(MT_BATCH * d * sizeof(float));
    s->moe = malloc(MT_BATCH * d * sizeof(float));
    s->order = malloc(hp->n_expert * sizeof *s->order);
    s->logits = malloc((size_t)hp->n_vocab * sizeof(float));
    if (!s->h || !s->q || !s->att || !s->o || !s->moe || !s->order || !s->logits) goto oom;
    return s;
oom:
    mt_err_set(err, "out of memory for a session");
    mt_session_free(s);
    return NULL;
}

void mt_session_free(mt_session *s) {
    if (!s) return;
    for (uint32_t l = 0; s->k && l < s->m->hp.n_layer; l++) {
        free(s->k[l]);
        free(s->v[l]);
    }
    free(s->k);
    free(s->v);
    mt_rope_free(&s->rope);
    mt_iv_free(&s->iv);
    free(s->ids);
    free(s->resid);
    free(s->router_logits);
    free(s->sel_experts);
    free(s->sel_weights);
    free(s->sel_n);
    free(s->margin);
    free(s->norms);
    free(s->logits);
    free(s->h);
    free(s->q);
    free(s->att);
    free(s->o);
    free(s->moe);
    free(s->order);
    free(s);
}

void mt_session_keep_all_logits(mt_session *s, bool all) {
    if (s->cap == 0) s->keep_all_logits = all; /* the logits' layout is fixed once tokens are held */
}

/* Resizes a [groups][old_cap][width] array to [groups][new_cap][width], keeping rows. */
static bool regroup(void **arr, size_t groups, size_t old_cap, size_t new_cap, size_t width, size_t elem) {
    char *fresh = malloc(groups * new_cap * width * elem + 1);
    if (!fresh) return false;
    for (size_t g = 0; g < groups && *arr; g++)
        memcpy(fresh + g * new_cap * width * elem, (char *)*arr + g * old_cap * width * elem, old_cap * width * elem);
    free(*arr);
    *arr = fresh;
    return true;
}

/* Capacity grows with the tokens actually used (doubling), never to the
 * context length up front. */
static bool reserve(mt_session *s, uint32_t need) {
    if (need <= s->cap) return true;
    const mt_hparams *hp = &s->m->hp;
    uint32_t cap = s->cap ? s->cap : 64;
    while (cap < need) cap *= 2;
    if (cap > hp->n_ctx) cap = hp->n_ctx;
    size_t L = hp->n_layer, E = hp->n_expert, kvw = (size_t)hp->n_kv * hp->head_dim, old = s->cap;
    bool ok = regroup((void **)&s->ids, 1, old, cap, 1, sizeof *s->ids) &&
              regroup((void **)&s->resid, L + 1, old, cap, hp->d_model, sizeof(float)) &&
              regroup((void **)&s->router_logits, L, old, cap, E, sizeof(float)) &&
              regroup((void **)&s->sel_experts, L, old, cap, E, sizeof(uint32_t)) &&
              regroup((void **)&s->sel_weights, L, old, cap, E, sizeof(float)) &&
              regroup((void **)&s->sel_n, L, old, cap, 1, sizeof(uint32_t)) &&
              regroup((void **)&s->margin, L, old, cap, 1, sizeof(float)) &&
              regroup((void **)&s->norms, L, old, cap, 3, sizeof(float));
    for (size_t l = 0; ok && l < L; l++)
        ok = regroup((void **)&s->k[l], 1, old, cap, kvw, sizeof(float)) && regroup((void **)&s->v[l], 1, old, cap, kvw, sizeof(float));
    if (ok && s->keep_all_logits) ok = regroup((void **)&s->logits, 1, old ? old : 1, cap, hp->n_vocab, sizeof(float));
    if (ok) s->cap = cap;
    return ok;
}

bool mt_session_set_interventions(mt_session *s, const mt_interventions *iv) {
    uint32_t first = mt_iv_first_difference(&s->iv, iv);
    if (first < s->dirty_from) s->dirty_from = first;
    return mt_iv_copy(&s->iv, iv);
}

const mt_interventions *mt_session_interventions(const mt_session *s) { return &s->iv; }

void mt_session_set_progress(mt_session *s, mt_progress_fn fn, void *user) {
    s->progress = fn;
    s->progress_user = user;
}

uint32_t mt_session_dirty_from(const mt_session *s) { return s->dirty_from; }

/* Evaluates positions [from, to) starting at layer0, in batches. */
static bool evaluate(mt_session *s, uint32_t from, uint32_t to, uint32_t layer0, mt_err *err) {
    s->work_done = 0;
    s->work_total = (uint64_t)((to - from + MT_BATCH - 1) / MT_BATCH) * (s->m->hp.n_layer - layer0);
    for (uint32_t p = from; p < to; p += MT_BATCH) {
        uint32_t T = to - p < MT_BATCH ? to - p : MT_BATCH;
        if (!mt_forward(s, p, T, layer0, err)) return false;
    }
    return true;
}

bool mt_session_update(mt_session *s, mt_err *err) {
    uint32_t L = s->m->hp.n_layer;
    if (s->dirty_from >= L) return true;
    if (s->n_tokens && !evaluate(s, 0, s->n_tokens, s->dirty_from, err)) return false;
    s->dirty_from = L;
    return true;
}

bool mt_session_append(mt_session *s, const uint32_t *ids, uint32_t n, mt_err *err) {
    const mt_hparams *hp = &s->m->hp;
    if ((uint64_t)s->n_tokens + n > hp->n_ctx) {
        mt_err_set(err, "%u tokens are more than the model's context of %u", s->n_tokens + n, hp->n_ctx);
        return false;
    }
    for (uint32_t i = 0; i < n; i++)
        if (ids[i] >= hp->n_vocab) {
            mt_err_set(err, "token id %u is outside the vocabulary (0..%u)", ids[i], hp->n_vocab - 1);
            return false;
        }
    if (!mt_session_update(s, err)) return false;
    if (!reserve(s, s->n_tokens + n)) {
        mt_err_set(err, "out of memory for %u tokens", s->n_tokens + n);
        return false;
    }
    uint32_t from = s->n_tokens;
    const mt_weight *embd = &s->m->token_embd;
    for (uint32_t i = 0; i < n; i++) {
        s->ids[from + i] = ids[i];
        mt_dequant_row(embd->type, mt_weight_row(embd, 0, ids[i]), s->resid + (size_t)(from + i) * hp->d_model, (int64_t)hp->d_model);
    }
    s->n_tokens += n;
    if (evaluate(s, from, s->n_tokens, 0, err)) return true;
    s->n_tokens = from; /* cancelled or failed: the new tokens are not held */
    if (s->logits_pos != UINT32_MAX && s->logits_pos >= from) s->logits_pos = UINT32_MAX;
    return false;
}

void mt_session_truncate(mt_session *s, uint32_t n) {
    if (n < s->n_tokens) s->n_tokens = n;
    if (s->logits_pos != UINT32_MAX && s->logits_pos >= n) s->logits_pos = UINT32_MAX;
}

uint32_t mt_session_length(const mt_session *s) { return s->n_tokens; }
uint32_t mt_session_context(const mt_session *s) { return s->m->hp.n_ctx; }
const uint32_t *mt_session_ids(const mt_session *s) { return s->ids; }
uint64_t mt_session_layer_evals(const mt_session *s) { return s->layer_evals; }

const float *mt_session_logits(const mt_session *s, uint32_t pos) {
    if (pos >= s->n_tokens) return NULL;
    if (s->keep_all_logits) return s->logits + (size_t)pos * s->m->hp.n_vocab;
    return pos == s->logits_pos ? s->logits : NULL;
}

const float *mt_session_router_logits(const mt_session *s, uint32_t layer, uint32_t pos) {
    return s->router_logits + ((size_t)layer * s->cap + pos) * s->m->hp.n_expert;
}

uint32_t mt_session_route(const mt_session *s, uint32_t layer, uint32_t pos, const uint32_t **experts, const float **weights,
                          float *margin) {
    size_t at = (size_t)layer * s->cap + pos, E = s->m->hp.n_expert;
    *experts = s->sel_experts + at * E;
    *weights = s->sel_weights + at * E;
    *margin = s->margin[at];
    return s->sel_n[at];
}

void mt_session_norms(const mt_session *s, uint32_t layer, uint32_t pos, float norms[3]) {
    const float *n = s->norms + ((size_t)layer * s->cap + pos) * 3;
    norms[0] = n[0];
    norms[1] = n[1];
    norms[2] = n[2];
}
