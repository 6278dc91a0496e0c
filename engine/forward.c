/* The gpt-oss forward pass over a backend: the one place that knows the model.
 *
 * Per layer l, for a batch of T tokens (x = the residual entering l):
 *   h = RMSNorm(x) attn_norm;  q, k, v = W h + b;  RoPE on q and k
 *   attention with sinks (sliding window on even layers);  x += Wo att + bo
 *   h = RMSNorm(x) post_attention_norm;  z = Wr h + br (router logits)
 *   route (top-k with interventions, softmax over the k);  x += sum w_e FFN_e(h)
 * After the last layer: logits = W_out RMSNorm(x) output_norm. */
#include <math.h>
#include <string.h>

#include "quant.h"
#include "session_internal.h"

/* out = x / sqrt(mean(x^2) + eps) * w, the sum in double so long rows stay exact */
static void rmsnorm(const float *x, const float *w, float *out, uint32_t d, float eps) {
    double ss = 0.0;
    for (uint32_t i = 0; i < d; i++) ss += (double)x[i] * x[i];
    float scale = (float)(1.0 / sqrt(ss / d + eps));
    for (uint32_t i = 0; i < d; i++) out[i] = x[i] * scale * w[i];
}

static float l2norm(const float *x, uint32_t d) {
    double ss = 0.0;
    for (uint32_t i = 0; i < d; i++) ss += (double)x[i] * x[i];
    return (float)sqrt(ss);
}

static bool wants_logits(const mt_session *s, uint32_t pos) {
    return s->keep_all_logits || pos + 1 == s->n_tokens;
}

bool mt_forward(mt_session *s, uint32_t pos0, uint32_t T, uint32_t layer0, mt_err *err) {
    const mt_model *m = s->m;
    const mt_hparams *hp = &m->hp;
    mt_backend *be = s->be;
    uint32_t d = hp->d_model, E = hp->n_expert, L = hp->n_layer;
    uint32_t qw = hp->n_head * hp->head_dim, kvw = hp->n_kv * hp->head_dim;
    size_t cap = s->cap;
    for (uint32_t l = layer0; l < L; l++) {
        const mt_layer_weights *w = &m->layers[l];
        float *x = s->resid + ((size_t)l * cap + pos0) * d;
        float *xn = s->resid + ((size_t)(l + 1) * cap + pos0) * d;
        float *k = s->k[l] + (size_t)pos0 * kvw, *v = s->v[l] + (size_t)pos0 * kvw;
        for (uint32_t t = 0; t < T; t++) rmsnorm(x + (size_t)t * d, w->attn_norm, s->h + (size_t)t * d, d, hp->rms_eps);
        be->matmul(be, &w->wq, 0, s->h, T, w->bq, s->q);
        be->matmul(be, &w->wk, 0, s->h, T, w->bk, k);
        be->matmul(be, &w->wv, 0, s->h, T, w->bv, v);
        for (uint32_t t = 0; t < T; t++) {
            mt_rope_apply(&s->rope, s->q + (size_t)t * qw, hp->n_head, pos0 + t);
            mt_rope_apply(&s->rope, k + (size_t)t * kvw, hp->n_kv, pos0 + t);
        }
        mt_attention_args aa = {
            .q = s->q, .k = s->k[l], .v = s->v[l], .sinks = w->sinks, .out = s->att, .T = T, .pos0 = pos0,
            .n_head = hp->n_head, .n_kv = hp->n_kv, .head_dim = hp->head_dim,
            .window = l % 2 == 0 ? hp->sliding_window : 0, .scale = 1.0f / sqrtf((float)hp->head_dim),
        };
        be->attention(be, &aa);
        be->matmul(be, &w->wo, 0, s->att, T, w->bo, s->o);
        float *norms = s->norms + ((size_t)l * cap + pos0) * 3;
        for (uint32_t t = 0; t < T; t++) {
            const float *xt = x + (size_t)t * d, *ot = s->o + (size_t)t * d;
            float *xnt = xn + (size_t)t * d;
            for (uint32_t i = 0; i < d; i++) xnt[i] = xt[i] + ot[i];
            norms[3 * t + 0] = l2norm(xt, d);
            norms[3 * t + 1] = l2norm(ot, d);
            rmsnorm(xnt, w->post_attn_norm, s->h + (size_t)t * d, d, hp->rms_eps);
        }
        /* router: logits over all experts, kept for the trace before any intervention */
        float *z = s->router_logits + ((size_t)l * cap + pos0) * E;
        be->matmul(be, &w->router, 0, s->h, T, w->router_bias, z);
        uint32_t *sel = s->sel_experts + ((size_t)l * cap + pos0) * E;
        float *wts = s->sel_weights + ((size_t)l * cap + pos0) * E;
        uint32_t *n_sel = s->sel_n + (size_t)l * cap + pos0;
        float *margin = s->margin + (size_t)l * cap + pos0;
        for (uint32_t t = 0; t < T; t++)
            n_sel[t] = mt_iv_route(&s->iv, l, hp->k, z + (size_t)t * E, sel + (size_t)t * E, wts + (size_t)t * E, &margin[t], s->order);
        uint8_t skip[4096];
        for (uint32_t e = 0; e < E; e++) skip[e] = (s->iv.flags[(size_t)l * E + e] & MT_IV_ZERO) != 0;
        mt_moe_args ma = {
            .w = w, .h = s->h, .T = T, .d = d, .ff = hp->ff, .n_expert = E,
            .experts = sel, .weights = wts, .n_sel = n_sel, .stride = E, .skip = skip, .out = s->moe,
        };
        if (!be->moe(be, &ma)) {
            mt_err_set(err, "out of memory in the experts of layer %u", l);
            return false;
        }
        for (uint32_t t = 0; t < T; t++) {
            float *xnt = xn + (size_t)t * d;
            const float *mt = s->moe + (size_t)t * d;
            for (uint32_t i = 0; i < d; i++) xnt[i] += mt[i];
            norms[3 * t + 2] = l2norm(mt, d);
        }
        s->layer_evals++;
        if (s->progress && !s->progress(s->progress_user, ++s->work_done, s->work_total)) {
            mt_err_set(err, "cancelled");
            return false;
        }
    }
    /* logits for the positions that keep them: every one, or only the last */
    const float *final = s->resid + ((size_t)L * cap + pos0) * d;
    if (s->keep_all_logits) {
        for (uint32_t t = 0; t < T; t++) rmsnorm(final + (size_t)t * d, m->output_norm, s->h + (size_t)t * d, d, hp->rms_eps);
        be->matmul(be, &m->output, 0, s->h, T, NULL, s->logits + (size_t)pos0 * hp->n_vocab);
    } else if (wants_logits(s, pos0 + T - 1)) {
        rmsnorm(final + (size_t)(T - 1) * d, m->output_norm, s->h, d, hp->rms_eps);
        be->matmul(be, &m->output, 0, s->h, 1, NULL, s->logits);
        s->logits_pos = pos0 + T - 1;
    }
    return true;
}
