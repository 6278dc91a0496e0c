/* The attention probabilities of one (layer, position), recomputed from the
 * captured queries and the session's key cache with the forward pass's own
 * formula: scaled dot products, the head's sink logit in the denominator,
 * the sliding window of even layers (session.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "session_internal.h"

bool mt_session_attention(const mt_session *s, uint32_t layer, uint32_t pos, float *probs, float *sink, float *out, mt_err *err) {
    const mt_hparams *hp = &s->m->hp;
    if (!s->q_in) {
        mt_err_set(err, "attention probabilities need mt_session_capture_attention before the first append");
        return false;
    }
    if (layer >= hp->n_layer || pos >= s->n_tokens) {
        mt_err_set(err, "attention of layer %u at position %u: the session holds %u layers and %u tokens", layer, pos, hp->n_layer, s->n_tokens);
        return false;
    }
    mt_backend *be = s->be;
    uint32_t hd = hp->head_dim, n_head = hp->n_head, n_kv = hp->n_kv, q_per_kv = n_head / n_kv;
    uint64_t kvw = (uint64_t)n_kv * hd, rows = (uint64_t)pos + 1;
    /* the keys and values of positions 0..pos, copied where the host can read them */
    mt_buf *kv = be->buf_new(be, 2 * rows * kvw * 4, true);
    if (!kv) {
        mt_err_set(err, "out of memory for %u positions' keys", pos + 1);
        return false;
    }
    be->copy(be, mt_ten_at(kv, 0), mt_ten_at(s->k[layer], 0), rows * kvw * 4);
    be->copy(be, mt_ten_at(kv, rows * kvw * 4), mt_ten_at(s->v[layer], 0), rows * kvw * 4);
    uint64_t ticket;
    if (!be->submit(be, &ticket, err) || !be->wait(be, ticket, err)) {
        be->buf_free(be, kv);
        return false;
    }
    const float *k = be->buf_host(be, kv), *v = k + rows * kvw;
    const float *q = s->q_in_host[layer] + (size_t)pos * n_head * hd;
    uint32_t window = layer % 2 == 0 ? hp->sliding_window : 0; /* as forward.c */
    uint32_t first = window && pos + 1 > window ? pos + 1 - window : 0;
    float scale = 1.0f / sqrtf((float)hd);
    for (uint32_t h = 0; h < n_head; h++) {
        const float *qh = q + (size_t)h * hd;
        const float *sinks = s->m->layers[layer].sinks; /* NULL: a family without sinks */
        float *p = probs + (size_t)h * rows, m = sinks ? sinks[h] : -INFINITY;
        for (uint32_t j = 0; j < rows; j++) {
            if (j < first) {
                p[j] = 0.0f;
                continue;
            }
            const float *kj = k + (size_t)j * kvw + (size_t)(h / q_per_kv) * hd;
            float dot = 0.0f;
            for (uint32_t i = 0; i < hd; i++) dot += qh[i] * kj[i];
            p[j] = dot * scale;
            if (p[j] > m) m = p[j];
        }
        double sum = sinks ? exp((double)sinks[h] - m) : 0.0;
        float sink_share = (float)sum;
        for (uint32_t j = first; j < rows; j++) sum += p[j] = expf(p[j] - m);
        for (uint32_t j = first; j < rows; j++) p[j] = (float)(p[j] / sum);
        if (sink) sink[h] = (float)(sink_share / sum);
        if (out) {
            float *o = out + (size_t)h * hd;
            memset(o, 0, hd * sizeof *o);
            for (uint32_t j = first; j < rows; j++)
                for (uint32_t i = 0; i < hd; i++) o[i] += p[j] * v[(size_t)j * kvw + (size_t)(h / q_per_kv) * hd + i];
        }
    }
    be->buf_free(be, kv);
    return true;
}
