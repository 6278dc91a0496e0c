/* The forward pass over a backend: the one place that knows the model. It
 * is written once for every family; what differs (family.h) is data read
 * here: the q/k norm, the RoPE pairing, biases and sinks (NULL when the
 * family has none), the sliding window, the router's kind and the activation.
 *
 * Per layer l, for a batch of T tokens (x = the residual entering l):
 *   h = RMSNorm(x) attn_norm;  q, k, v = W h (+ b)
 *   q/k RMSNorm (qwen3moe per head, olmoe whole);  RoPE on q and k (NeoX or adjacent pairs)
 *   attention (gpt-oss: sinks, sliding window on even layers);  x += Wo att (+ bo)
 *   h = RMSNorm(x) post_attention_norm / ffn_norm;  z = Wr h (+ br) (router logits)
 *   route (the family's router with interventions: intervene.c);  x += sum w_e FFN_e(h)
 * After the last layer: logits = W_out RMSNorm(x) output_norm.
 * Sources: llama.cpp's llm_build_openai_moe_iswa, llm_build_llama,
 * llm_build_qwen3moe, llm_build_olmoe; OpenAI's gpt_oss/torch/model.py.
 *
 * Each layer is submitted as it is queued. With a progress callback the host
 * waits for the layer before it (a device always has one queued behind the
 * one running) and then reports it; without one it waits once, at the end. */
#include <math.h>
#include <string.h>

#include "session_internal.h"

static bool wants_logits(const mt_session *s, uint32_t pos) {
    return s->keep_all_logits || pos + 1 == s->n_tokens;
}

static mt_ten trace_at(mt_session *s, uint32_t l, int section, uint32_t pos) {
    return mt_ten_at(s->trace[l], mt_trace_offset(s, section, pos));
}

/* Queues layer l for the batch. */
static bool queue_layer(mt_session *s, uint32_t l, uint32_t pos0, uint32_t T) {
    const mt_model *m = s->m;
    const mt_hparams *hp = &m->hp;
    mt_backend *be = s->be;
    const mt_layer_weights *w = &m->layers[l];
    uint32_t d = hp->d_model, E = hp->n_expert, half = hp->head_dim / 2;
    uint64_t kvw = (uint64_t)hp->n_kv * hp->head_dim;
    mt_ten x = mt_ten_at(s->resid[l], (uint64_t)pos0 * d * 4), xn = mt_ten_at(s->resid[l + 1], (uint64_t)pos0 * d * 4);
    mt_ten h = mt_ten_at(s->h, 0), q = mt_ten_at(s->q, 0), att = mt_ten_at(s->att, 0), o = mt_ten_at(s->o, 0);
    mt_ten k = mt_ten_at(s->k[l], pos0 * kvw * 4), v = mt_ten_at(s->v[l], pos0 * kvw * 4), cs = mt_ten_at(s->rope_cs, 0);
    mt_ten norms = trace_at(s, l, MT_TR_NORMS, pos0);

    be->rmsnorm(be, x, w->attn_norm, h, T, d, hp->rms_eps);
    be->matmul(be, &w->wq, h, T, w->bq, q);
    be->matmul(be, &w->wk, h, T, w->bk, k);
    be->matmul(be, &w->wv, h, T, w->bv, v);
    const mt_family *f = m->family;
    if (f->qk_norm == MT_QK_NORM_HEAD) { /* every head's row of head_dim, one weight for all heads */
        be->rmsnorm(be, q, w->q_norm, q, T * hp->n_head, hp->head_dim, hp->rms_eps);
        be->rmsnorm(be, k, w->k_norm, k, T * hp->n_kv, hp->head_dim, hp->rms_eps);
    } else if (f->qk_norm == MT_QK_NORM_WHOLE) {
        be->rmsnorm(be, q, w->q_norm, q, T, hp->n_head * hp->head_dim, hp->rms_eps);
        be->rmsnorm(be, k, w->k_norm, k, T, (uint32_t)kvw, hp->rms_eps);
    }
    void (*rope)(mt_backend *, mt_ten, uint32_t, uint32_t, uint32_t, mt_ten) = f->rope == MT_ROPE_ADJACENT ? be->rope_adjacent : be->rope;
    rope(be, q, T, hp->n_head, half, cs);
    rope(be, k, T, hp->n_kv, half, cs);
    if (s->q_in) be->copy(be, mt_ten_at(s->q_in[l], (uint64_t)pos0 * hp->n_head * hp->head_dim * 4), q, (uint64_t)T * hp->n_head * hp->head_dim * 4);
    mt_attention_args aa = {
        .q = q, .k = mt_ten_at(s->k[l], 0), .v = mt_ten_at(s->v[l], 0), .sinks = w->sinks, .out = att, .T = T, .pos0 = pos0,
        .n_head = hp->n_head, .n_kv = hp->n_kv, .head_dim = hp->head_dim,
        .window = l % 2 == 0 ? hp->sliding_window : 0, /* 0 (no window) but for gpt-oss */ .scale = 1.0f / sqrtf((float)hp->head_dim), .alone = s->alone,
    };
    be->attention(be, &aa);
    be->matmul(be, &w->wo, att, T, w->bo, o);
    bool capture = s->capture_pos >= pos0 && s->capture_pos - pos0 < T; /* mt_session_capture_at */
    uint64_t row = (uint64_t)(s->capture_pos - pos0) * d * 4, L = hp->n_layer;
    if (capture) {
        be->copy(be, mt_ten_at(s->capture, (uint64_t)l * d * 4), mt_ten_add(x, row), (uint64_t)d * 4);
        be->copy(be, mt_ten_at(s->capture, (L + 1 + l) * d * 4), mt_ten_add(o, row), (uint64_t)d * 4);
    }
    be->add(be, x, o, xn, T, d, norms, 0, 1);
    be->rmsnorm(be, xn, w->post_attn_norm, h, T, d, hp->rms_eps);
    if (s->moe_in) be->copy(be, mt_ten_at(s->moe_in[l], (uint64_t)pos0 * d * 4), h, (uint64_t)T * d * 4); /* opt-in capture */
    /* router: logits over all experts, kept for the trace before any intervention */
    mt_ten z = trace_at(s, l, MT_TR_LOGITS, pos0);
    be->matmul(be, &w->router, h, T, w->router_bias, z);
    mt_route_out route = {
        .experts = trace_at(s, l, MT_TR_EXPERTS, pos0), .weights = trace_at(s, l, MT_TR_WEIGHTS, pos0),
        .n_sel = trace_at(s, l, MT_TR_NSEL, pos0), .margin = trace_at(s, l, MT_TR_MARGIN, pos0), .kind = f->router,
    };
    be->route(be, z, l, hp->k, T, E, &route);
    mt_moe_args ma = {
        .w = w, .layer = l, .h = h, .T = T, .d = d, .ff = hp->ff, .n_expert = E, .route = route, .out = mt_ten_at(s->moe, 0),
        .act = f->act,
    };
    if (!be->moe(be, &ma)) return false;
    be->add(be, xn, ma.out, xn, T, d, norms, -1, 2);
    if (capture && l + 1 == L) be->copy(be, mt_ten_at(s->capture, L * d * 4), mt_ten_add(xn, row), (uint64_t)d * 4);
    return true;
}

/* Queues the logits of positions [pos0, pos0 + T) that are kept, in token
 * groups whose logits fit the backend's span. */
static void queue_logits(mt_session *s, uint32_t pos0, uint32_t T) {
    const mt_model *m = s->m;
    const mt_hparams *hp = &m->hp;
    mt_backend *be = s->be;
    uint64_t d = hp->d_model, V = hp->n_vocab;
    mt_ten final = mt_ten_at(s->resid[hp->n_layer], (uint64_t)pos0 * d * 4), h = mt_ten_at(s->h, 0);
    if (s->keep_all_logits) {
        uint64_t group = be->max_bind_bytes / (V * 4);
        if (group > T) group = T;
        if (group == 0) group = 1;
        be->rmsnorm(be, final, m->output_norm, h, T, (uint32_t)d, hp->rms_eps);
        for (uint32_t t = 0; t < T; t += (uint32_t)group) {
            uint32_t n = T - t < group ? T - t : (uint32_t)group;
            be->matmul(be, &m->output, mt_ten_add(h, t * d * 4), n, NULL, mt_ten_at(s->logits, (uint64_t)(pos0 + t) * V * 4));
        }
    } else if (wants_logits(s, pos0 + T - 1)) {
        be->rmsnorm(be, mt_ten_add(final, (uint64_t)(T - 1) * d * 4), m->output_norm, h, 1, (uint32_t)d, hp->rms_eps);
        be->matmul(be, &m->output, h, 1, NULL, mt_ten_at(s->logits, 0));
        s->logits_pos = pos0 + T - 1;
    }
}

bool mt_forward(mt_session *s, uint32_t pos0, uint32_t T, uint32_t layer0, mt_err *err) {
    const mt_hparams *hp = &s->m->hp;
    mt_backend *be = s->be;
    uint32_t L = hp->n_layer;
    /* nothing is in flight between calls: the host may write the batch's
     * rotation table and install this session's interventions (sessions may
     * share a backend) */
    if (!be->set_interventions(be, &s->iv)) {
        mt_err_set(err, "out of memory for the interventions");
        return false;
    }
    float *cs = be->buf_host(be, s->rope_cs);
    if (s->alone) { /* every token of the batch at position pos0 */
        size_t row = (size_t)(hp->head_dim / 2) * 2;
        mt_rope_cos_sin(&s->rope, pos0, 1, cs);
        for (uint32_t t = 1; t < T; t++) memcpy(cs + t * row, cs, row * sizeof *cs);
    } else mt_rope_cos_sin(&s->rope, pos0, T, cs);
    if (layer0 == 0) be->embed(be, &s->m->token_embd, mt_ten_at(s->ids, (uint64_t)pos0 * 4), T, mt_ten_at(s->resid[0], (uint64_t)pos0 * hp->d_model * 4));
    uint64_t previous = 0;
    bool have_previous = false, ok = true, cancelled = false;
    for (uint32_t l = layer0; l < L && ok && !cancelled; l++) {
        uint64_t ticket;
        if (!queue_layer(s, l, pos0, T)) {
            mt_err_set(err, "out of memory in the experts of layer %u", l);
            ok = false;
            break;
        }
        if (l + 1 == L && !s->alone && !s->skip_logits) queue_logits(s, pos0, T);
        ok = be->submit(be, &ticket, err);
        /* only progress needs to know a layer has finished; otherwise the queue runs on */
        if (ok && have_previous && s->progress) ok = be->wait(be, previous, err);
        if (ok && have_previous && s->progress && !s->progress(s->progress_user, ++s->work_done, s->work_total)) cancelled = true;
        previous = ticket;
        have_previous = ok;
        s->layer_evals++;
    }
    /* the last layer queued, and the logits after it */
    if (have_previous) ok = be->wait(be, previous, ok ? err : NULL) && ok;
    if (ok && !cancelled && s->progress && !s->progress(s->progress_user, ++s->work_done, s->work_total)) cancelled = true;
    if (cancelled && ok) {
        mt_err_set(err, "cancelled");
        return false;
    }
    return ok;
}
