/* A single expert's output through the C backend's MoE op (expert_eval.h). */
#include "expert_eval.h"

#include <stdlib.h>
#include <string.h>

#include "engine/backend.h"

#define ROWS 64 /* tokens per op */

struct mt_expert_eval {
    const mt_model *m;
    mt_backend *be;
    mt_buf *h, *experts, *weights, *n_sel, *margin, *out;
};

void mt_expert_eval_free(mt_expert_eval *x) {
    if (!x) return;
    if (x->be) {
        mt_buf *bufs[6] = { x->h, x->experts, x->weights, x->n_sel, x->margin, x->out };
        for (int i = 0; i < 6; i++) x->be->buf_free(x->be, bufs[i]);
        x->be->destroy(x->be);
    }
    free(x);
}

mt_expert_eval *mt_expert_eval_new(const mt_model *m, int threads, mt_err *err) {
    mt_expert_eval *x = calloc(1, sizeof *x);
    if (!x || !(x->be = mt_cpu_backend_new(threads))) {
        mt_expert_eval_free(x);
        mt_err_set(err, "out of memory for the expert evaluator");
        return NULL;
    }
    x->m = m;
    if (!x->be->prepare(x->be, m, err)) {
        mt_expert_eval_free(x);
        return NULL;
    }
    uint64_t d = m->hp.d_model, E = m->hp.n_expert;
    x->h = x->be->buf_new(x->be, ROWS * d * 4, true);
    x->out = x->be->buf_new(x->be, ROWS * d * 4, true);
    x->experts = x->be->buf_new(x->be, ROWS * E * 4, true);
    x->weights = x->be->buf_new(x->be, ROWS * E * 4, true);
    x->n_sel = x->be->buf_new(x->be, ROWS * 4, true);
    x->margin = x->be->buf_new(x->be, ROWS * 4, true);
    if (!x->h || !x->out || !x->experts || !x->weights || !x->n_sel || !x->margin) {
        mt_expert_eval_free(x);
        mt_err_set(err, "out of memory for the expert evaluator");
        return NULL;
    }
    return x;
}

bool mt_expert_eval_run(mt_expert_eval *x, uint32_t layer, uint32_t e, const float *h, uint32_t T, float *out, mt_err *err) {
    mt_backend *be = x->be;
    const mt_hparams *hp = &x->m->hp;
    uint32_t d = hp->d_model, E = hp->n_expert;
    uint32_t *ex = be->buf_host(be, x->experts), *n_sel = be->buf_host(be, x->n_sel);
    float *w = be->buf_host(be, x->weights);
    for (uint32_t t = 0; t < ROWS; t++) {
        ex[(size_t)t * E] = e;
        w[(size_t)t * E] = 1.0f;
        n_sel[t] = 1;
    }
    for (uint32_t t0 = 0; t0 < T; t0 += ROWS) {
        uint32_t n = T - t0 < ROWS ? T - t0 : ROWS;
        memcpy(be->buf_host(be, x->h), h + (size_t)t0 * d, (size_t)n * d * 4);
        mt_moe_args a = {
            .w = &x->m->layers[layer], .layer = layer, .h = mt_ten_at(x->h, 0), .T = n, .d = d, .ff = hp->ff, .n_expert = E,
            .route = { mt_ten_at(x->experts, 0), mt_ten_at(x->weights, 0), mt_ten_at(x->n_sel, 0), mt_ten_at(x->margin, 0) },
            .out = mt_ten_at(x->out, 0), .act = x->m->family->act,
        };
        uint64_t ticket;
        if (!be->moe(be, &a)) {
            mt_err_set(err, "out of memory for an expert's output");
            return false;
        }
        if (!be->submit(be, &ticket, err) || !be->wait(be, ticket, err)) return false;
        memcpy(out + (size_t)t0 * d, be->buf_host(be, x->out), (size_t)n * d * 4);
    }
    return true;
}

const mt_backend *mt_expert_eval_backend(const mt_expert_eval *x) { return x->be; }
