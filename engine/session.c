/* Session state: growth of the per-token arrays, appending, recomputation
 * after interventions change, and the trace accessors. The compute is in
 * forward.c. */
#include <stdlib.h>
#include <string.h>

#include "quant.h"
#include "session_internal.h"

static uint32_t section_width(const mt_session *s, int section) {
    uint32_t E = s->m->hp.n_expert;
    static const uint8_t fixed[MT_TR_SECTIONS] = { 0, 0, 0, 1, 1, 3 };
    return section <= MT_TR_WEIGHTS ? E : fixed[section];
}

/* Byte offset of row pos of a section in a trace buffer of cap rows per section. */
static uint64_t trace_offset_in(const mt_session *s, int section, uint32_t pos, uint32_t cap) {
    uint64_t before = 0;
    for (int i = 0; i < section; i++) before += section_width(s, i);
    return (before * cap + (uint64_t)pos * section_width(s, section)) * 4;
}

uint64_t mt_trace_offset(const mt_session *s, int section, uint32_t pos) { return trace_offset_in(s, section, pos, s->cap); }

static uint64_t trace_bytes(const mt_session *s, uint32_t cap) {
    uint64_t row = 0;
    for (int i = 0; i < MT_TR_SECTIONS; i++) row += section_width(s, i);
    return row * cap * 4;
}

mt_session *mt_session_new(const mt_model *m, mt_backend *be, mt_err *err) {
    const mt_hparams *hp = &m->hp;
    if (!be->prepare(be, m, err)) return NULL;
    mt_session *s = calloc(1, sizeof *s);
    if (!s) goto oom;
    s->m = m;
    s->be = be;
    s->dirty_from = hp->n_layer;
    s->logits_pos = UINT32_MAX;
    s->capture_pos = UINT32_MAX;
    s->resid = calloc(hp->n_layer + 1, sizeof *s->resid);
    s->k = calloc(hp->n_layer, sizeof *s->k);
    s->v = calloc(hp->n_layer, sizeof *s->v);
    s->trace = calloc(hp->n_layer, sizeof *s->trace);
    s->trace_host = calloc(hp->n_layer, sizeof *s->trace_host);
    if (!s->resid || !s->k || !s->v || !s->trace || !s->trace_host || !mt_rope_init(&s->rope, hp, m->family->rope_ggml) ||
        !mt_iv_init(&s->iv, hp->n_layer, hp->n_expert))
        goto oom;
    /* batch scratch: the widest row of each buffer, MT_BATCH tokens */
    uint64_t d = hp->d_model, qw = (uint64_t)hp->n_head * hp->head_dim, wide = d > qw ? d : qw, f = sizeof(float);
    s->h = be->buf_new(be, MT_BATCH * wide * f, false);
    s->q = be->buf_new(be, MT_BATCH * qw * f, false);
    s->att = be->buf_new(be, MT_BATCH * qw * f, false);
    s->o = be->buf_new(be, MT_BATCH * d * f, false);
    s->moe = be->buf_new(be, MT_BATCH * d * f, false);
    s->rope_cs = be->buf_new(be, MT_BATCH * (uint64_t)(hp->head_dim / 2) * 2 * f + 4, true);
    s->logits = be->buf_new(be, (uint64_t)hp->n_vocab * f, true);
    if (!s->h || !s->q || !s->att || !s->o || !s->moe || !s->rope_cs || !s->logits) goto oom;
    return s;
oom:
    mt_err_set(err, "out of memory for a session");
    mt_session_free(s);
    return NULL;
}

void mt_session_free(mt_session *s) {
    if (!s) return;
    mt_backend *be = s->be;
    uint32_t L = s->m->hp.n_layer;
    for (uint32_t l = 0; l <= L; l++) {
        if (s->resid) be->buf_free(be, s->resid[l]);
        if (l == L) break;
        if (s->k) be->buf_free(be, s->k[l]);
        if (s->v) be->buf_free(be, s->v[l]);
        if (s->trace) be->buf_free(be, s->trace[l]);
        if (s->moe_in) be->buf_free(be, s->moe_in[l]);
        if (s->q_in) be->buf_free(be, s->q_in[l]);
    }
    free(s->moe_in);
    free(s->moe_in_host);
    free(s->q_in);
    free(s->q_in_host);
    free(s->resid);
    free(s->k);
    free(s->v);
    free(s->trace);
    free(s->trace_host);
    mt_rope_free(&s->rope);
    mt_iv_free(&s->iv);
    be->buf_free(be, s->ids);
    be->buf_free(be, s->logits);
    be->buf_free(be, s->h);
    be->buf_free(be, s->q);
    be->buf_free(be, s->att);
    be->buf_free(be, s->o);
    be->buf_free(be, s->moe);
    be->buf_free(be, s->rope_cs);
    be->buf_free(be, s->capture);
    free(s);
}

void mt_session_keep_all_logits(mt_session *s, bool all) {
    if (s->cap == 0) s->keep_all_logits = all; /* the logits' layout is fixed once tokens are held */
}

void mt_session_skip_logits(mt_session *s, bool skip) {
    s->skip_logits = skip;
    if (skip) s->logits_pos = UINT32_MAX;
}

/* Turns an opt-in capture (a per-layer array of buffers and their host
 * addresses) on or off; only while no token is held. */
static bool capture_set(mt_session *s, mt_buf ***bufs, const float ***host, bool on) {
    if (s->cap != 0 || on == (*bufs != NULL)) return true;
    if (on) {
        *bufs = calloc(s->m->hp.n_layer, sizeof **bufs);
        *host = calloc(s->m->hp.n_layer, sizeof **host);
        if (*bufs && *host) return true;
    }
    free(*bufs);
    free(*host);
    *bufs = NULL;
    *host = NULL;
    return !on;
}

bool mt_session_capture_moe_input(mt_session *s, bool on) { return capture_set(s, &s->moe_in, &s->moe_in_host, on); }

bool mt_session_capture_attention(mt_session *s, bool on) { return capture_set(s, &s->q_in, &s->q_in_host, on); }

const float *mt_session_moe_input(const mt_session *s, uint32_t layer, uint32_t pos) {
    if (!s->moe_in || layer >= s->m->hp.n_layer || pos >= s->n_tokens) return NULL;
    return s->moe_in_host[layer] + (size_t)pos * s->m->hp.d_model;
}

/* Replaces *slot by fresh, its first bytes copied over (queued). */
static void swap_in(mt_backend *be, mt_buf **slot, mt_buf *fresh, uint64_t bytes) {
    if (bytes) be->copy(be, mt_ten_at(fresh, 0), mt_ten_at(*slot, 0), bytes);
    be->buf_free(be, *slot);
    *slot = fresh;
}

/* Capacity grows with the tokens actually used (doubling), never to the
 * context length up front; no buffer one op addresses may pass the backend's
 * span. Every new buffer is made before any old one is replaced, so running
 * out of memory leaves the session as it was. */
static bool reserve(mt_session *s, uint32_t need, mt_err *err) {
    if (need <= s->cap) return true;
    const mt_hparams *hp = &s->m->hp;
    mt_backend *be = s->be;
    uint32_t cap = s->cap ? s->cap : 64;
    while (cap < need) cap *= 2;
    if (cap > hp->n_ctx) cap = hp->n_ctx;
    uint32_t L = hp->n_layer, old = s->cap;
    uint64_t kv_row = (uint64_t)hp->n_kv * hp->head_dim * 4, d_row = (uint64_t)hp->d_model * 4;
    uint64_t q_row = (uint64_t)hp->n_head * hp->head_dim * 4;
    uint64_t widest = kv_row > d_row ? kv_row : d_row;
    if (s->q_in && q_row > widest) widest = q_row;
    if (trace_bytes(s, 1) > widest) widest = trace_bytes(s, 1);
    if (widest * need > be->max_bind_bytes) {
        mt_err_set(err, "%u tokens need %llu KiB per layer buffer; %s addresses at most %llu KiB", need,
                   (unsigned long long)(widest * need >> 10), be->device, (unsigned long long)(be->max_bind_bytes >> 10));
        return false;
    }
    if (widest * cap > be->max_bind_bytes) cap = (uint32_t)(be->max_bind_bytes / widest);
    /* the new buffers, in the order: ids, resid[0..L], k[0..L), v[0..L), trace[0..L), moe_in[0..L) when
     * captured, logits */
    size_t n_in = s->moe_in ? L : 0, n_q = s->q_in ? L : 0, n = 1 + (L + 1) + 3 * (size_t)L + n_in + n_q + 1;
    mt_buf **fresh = calloc(n, sizeof *fresh);
    bool ok = fresh != NULL;
    size_t at = 0;
    if (ok) fresh[at++] = be->buf_new(be, (uint64_t)cap * 4, true);
    for (uint32_t l = 0; ok && l <= L; l++) fresh[at++] = be->buf_new(be, cap * d_row, false);
    for (uint32_t l = 0; ok && l < 2 * L; l++) fresh[at++] = be->buf_new(be, cap * kv_row, false);
    for (uint32_t l = 0; ok && l < L; l++) fresh[at++] = be->buf_new(be, trace_bytes(s, cap), true);
    for (size_t l = 0; ok && l < n_in; l++) fresh[at++] = be->buf_new(be, cap * d_row, true);
    for (size_t l = 0; ok && l < n_q; l++) fresh[at++] = be->buf_new(be, cap * q_row, true);
    if (ok) fresh[at++] = s->keep_all_logits ? be->buf_new(be, (uint64_t)cap * hp->n_vocab * 4, true) : NULL;
    for (size_t i = 0; ok && i < n; i++)
        if (!fresh[i] && !(i == n - 1 && !s->keep_all_logits)) ok = false;
    if (!ok) {
        for (size_t i = 0; fresh && i < n; i++) be->buf_free(be, fresh[i]);
        free(fresh);
        mt_err_set(err, "out of memory for %u tokens", need);
        return false;
    }
    /* copy the rows held and swap */
    at = 0;
    swap_in(be, &s->ids, fresh[at++], (uint64_t)old * 4);
    for (uint32_t l = 0; l <= L; l++) swap_in(be, &s->resid[l], fresh[at++], old * d_row);
    for (uint32_t l = 0; l < L; l++) swap_in(be, &s->k[l], fresh[at++], old * kv_row);
    for (uint32_t l = 0; l < L; l++) swap_in(be, &s->v[l], fresh[at++], old * kv_row);
    for (uint32_t l = 0; l < L; l++, at++) { /* each section's rows move to the new section starts */
        for (int i = 0; i < MT_TR_SECTIONS && old; i++)
            be->copy(be, mt_ten_at(fresh[at], trace_offset_in(s, i, 0, cap)), mt_ten_at(s->trace[l], trace_offset_in(s, i, 0, old)),
                     (uint64_t)old * section_width(s, i) * 4);
        be->buf_free(be, s->trace[l]);
        s->trace[l] = fresh[at];
    }
    for (size_t l = 0; l < n_in; l++) swap_in(be, &s->moe_in[l], fresh[at++], old * d_row);
    for (size_t l = 0; l < n_q; l++) swap_in(be, &s->q_in[l], fresh[at++], old * q_row);
    if (s->keep_all_logits) swap_in(be, &s->logits, fresh[at], (uint64_t)old * hp->n_vocab * 4);
    free(fresh);
    s->cap = cap;
    for (uint32_t l = 0; l < L; l++) s->trace_host[l] = be->buf_host(be, s->trace[l]);
    for (size_t l = 0; l < n_in; l++) s->moe_in_host[l] = be->buf_host(be, s->moe_in[l]);
    for (size_t l = 0; l < n_q; l++) s->q_in_host[l] = be->buf_host(be, s->q_in[l]);
    /* the copies finish before the host reads the new buffers */
    uint64_t ticket;
    return be->submit(be, &ticket, err) && be->wait(be, ticket, err);
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
    if (!reserve(s, s->n_tokens + n, err)) return false;
    uint32_t from = s->n_tokens;
    memcpy((uint32_t *)s->be->buf_host(s->be, s->ids) + from, ids, (size_t)n * sizeof *ids);
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
const uint32_t *mt_session_ids(const mt_session *s) { return s->ids ? s->be->buf_host(s->be, s->ids) : NULL; }
uint64_t mt_session_layer_evals(const mt_session *s) { return s->layer_evals; }

const float *mt_session_logits(const mt_session *s, uint32_t pos) {
    if (pos >= s->n_tokens || s->skip_logits) return NULL;
    const float *logits = s->be->buf_host(s->be, s->logits);
    if (s->keep_all_logits) return logits + (size_t)pos * s->m->hp.n_vocab;
    return pos == s->logits_pos ? logits : NULL;
}

static const void *trace_row(const mt_session *s, uint32_t layer, int section, uint32_t pos) {
    return s->trace_host[layer] + mt_trace_offset(s, section, pos);
}

const float *mt_session_router_logits(const mt_session *s, uint32_t layer, uint32_t pos) {
    return trace_row(s, layer, MT_TR_LOGITS, pos);
}

uint32_t mt_session_route(const mt_session *s, uint32_t layer, uint32_t pos, const uint32_t **experts, const float **weights,
                          float *margin) {
    *experts = trace_row(s, layer, MT_TR_EXPERTS, pos);
    *weights = trace_row(s, layer, MT_TR_WEIGHTS, pos);
    *margin = *(const float *)trace_row(s, layer, MT_TR_MARGIN, pos);
    return *(const uint32_t *)trace_row(s, layer, MT_TR_NSEL, pos);
}

void mt_session_norms(const mt_session *s, uint32_t layer, uint32_t pos, float norms[3]) {
    memcpy(norms, trace_row(s, layer, MT_TR_NORMS, pos), 3 * sizeof *norms);
}

bool mt_session_capture_at(mt_session *s, uint32_t pos, mt_err *err) {
    uint64_t d = s->m->hp.d_model, L = s->m->hp.n_layer;
    if (!s->capture && !(s->capture = s->be->buf_new(s->be, (2 * L + 1) * d * 4, true))) {
        mt_err_set(err, "out of memory for a capture");
        return false;
    }
    s->capture_pos = pos;
    return true;
}

bool mt_session_captured(const mt_session *s, uint32_t layer, const float **resid, const float **attn) {
    uint32_t L = s->m->hp.n_layer;
    if (!s->capture || s->capture_pos >= s->n_tokens || layer > L) return false;
    const float *base = s->be->buf_host(s->be, s->capture);
    size_t d = s->m->hp.d_model;
    *resid = base + (size_t)layer * d;
    *attn = layer < L ? base + (size_t)(L + 1 + layer) * d : NULL;
    return true;
}

bool mt_session_eval_alone(mt_session *s, const uint32_t *ids, uint32_t n, mt_err *err) {
    const mt_hparams *hp = &s->m->hp;
    if (!s->be->attention_alone) {
        mt_err_set(err, "the %s backend cannot evaluate independent tokens in one batch", s->be->name);
        return false;
    }
    if (n == 0 || n > MT_BATCH) {
        mt_err_set(err, "%u independent tokens: 1 to %u at a time", n, MT_BATCH);
        return false;
    }
    if ((uint64_t)s->n_tokens + n > hp->n_ctx) {
        mt_err_set(err, "%u tokens are more than the model's context of %u", s->n_tokens + n, hp->n_ctx);
        return false;
    }
    for (uint32_t i = 0; i < n; i++)
        if (ids[i] >= hp->n_vocab) {
            mt_err_set(err, "token id %u is outside the vocabulary (0..%u)", ids[i], hp->n_vocab - 1);
            return false;
        }
    if (!mt_session_update(s, err) || !reserve(s, s->n_tokens + n, err)) return false;
    uint32_t from = s->n_tokens;
    memcpy((uint32_t *)s->be->buf_host(s->be, s->ids) + from, ids, (size_t)n * sizeof *ids);
    if (s->logits_pos != UINT32_MAX) s->logits_pos = UINT32_MAX; /* none is computed */
    s->n_tokens += n;
    s->alone = true;
    s->work_done = 0;
    s->work_total = s->m->hp.n_layer;
    bool ok = mt_forward(s, from, n, 0, err);
    s->alone = false;
    if (!ok) s->n_tokens = from;
    return ok;
}
