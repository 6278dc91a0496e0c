/* The C backend's heavy ops: matrix products split by output rows over a
 * thread pool and attention split by (token, head); the MoE is cpu_moe.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../quant.h"
#include "cpu_internal.h"

/* ---- matmul ------------------------------------------------------------------- */

typedef struct matmul_job {
    const mt_weight *w;
    uint64_t expert;
    const float *x;  /* T rows of w->in, packed by 32-element chunks when T > 1 */
    size_t T;
    const float *bias;
    float *y;        /* T rows of w->out */
    const mt_kernels *k;
} matmul_job;

/* Rows [begin, end) of W against every token: y[t][r]. */
static void matmul_rows(void *ctx, size_t begin, size_t end, int thread) {
    const matmul_job *j = ctx;
    const mt_weight *w = j->w;
    (void)thread;
    if (j->T > 1) {
        j->k->dot_packed(w->type, mt_weight_row(w, j->expert, begin), w->row_bytes, end - begin, j->x, j->T, (int64_t)w->in,
                         j->y + begin, w->out, j->bias ? j->bias + begin : NULL);
        return;
    }
    j->k->dot_rows(w->type, mt_weight_row(w, j->expert, begin), w->row_bytes, end - begin, j->x, (int64_t)w->in, j->y + begin,
                   j->bias ? j->bias + begin : NULL);
}

/* Per-token fallback for row lengths the packed layout cannot hold (not a multiple of 32). */
static void matmul_rows_unpacked(void *ctx, size_t begin, size_t end, int thread) {
    const matmul_job *j = ctx;
    const mt_weight *w = j->w;
    (void)thread;
    for (size_t r = begin; r < end; r++)
        for (size_t t = 0; t < j->T; t++)
            j->y[t * w->out + r] = j->k->dot(w->type, mt_weight_row(w, j->expert, r), j->x + t * w->in, (int64_t)w->in) +
                                   (j->bias ? j->bias[r] : 0.0f);
}

void cpu_matmul_host(cpu_backend *c, const mt_weight *w, uint64_t expert, const float *x, size_t T, const float *bias, float *y) {
    matmul_job j = { w, expert, x, T, bias, y, c->k };
    size_t min_chunk = T > 1 ? 4 : 16; /* rows per hand-off worth a thread */
    if (T > 1 && w->in % 32 == 0) {
        size_t need = T * w->in;
        if (need > c->packed_cap) {
            float *p = realloc(c->packed, need * sizeof *p);
            if (!p) { /* no memory to pack: the slower path still gives the answer */
                mt_pool_for(c->pool, w->out, min_chunk, matmul_rows_unpacked, &j);
                return;
            }
            c->packed = p;
            c->packed_cap = need;
        }
        mt_pack_tokens(x, T, w->in, c->packed);
        j.x = c->packed;
        mt_pool_for(c->pool, w->out, min_chunk, matmul_rows, &j);
    } else {
        mt_pool_for(c->pool, w->out, min_chunk, T > 1 ? matmul_rows_unpacked : matmul_rows, &j);
    }
}

void cpu_matmul(mt_backend *b, const mt_weight *w, mt_ten x, uint32_t T, const float *bias, mt_ten y) {
    cpu_matmul_host((cpu_backend *)b, w, 0, cpu_ptr(x), T, bias, cpu_ptr(y));
}

/* ---- attention -------------------------------------------------------------------- */

typedef struct attention_job {
    mt_attention_args args;
    const float *q, *k, *v;
    float *out;
    const mt_kernels *kernels;
} attention_job;

static void attention_items(void *ctx, size_t begin, size_t end, int thread) {
    const attention_job *job = ctx;
    const mt_attention_args *a = &job->args;
    (void)thread;
    uint32_t hd = a->head_dim, q_per_kv = a->n_head / a->n_kv;
    size_t qw = (size_t)a->n_head * hd, kvw = (size_t)a->n_kv * hd;
    for (size_t item = begin; item < end; item++) {
        uint32_t t = (uint32_t)(item / a->n_head), h = (uint32_t)(item % a->n_head);
        uint32_t pos = a->alone ? a->pos0 : a->pos0 + t, kvh = h / q_per_kv;
        uint32_t first = a->window && pos + 1 > a->window ? pos + 1 - a->window : 0;
        uint32_t n = pos + 1 - first; /* alone: the last key is the token's own, at row pos0 + t */
        const float *q = job->q + t * qw + (size_t)h * hd;
        float *out = job->out + t * qw + (size_t)h * hd;
        /* running softmax (one pass): max and sum rescaled as keys arrive;
         * the sink starts it, entering the denominator only (no sinks:
         * an empty start, which the first key's c = 0 clears) */
        float m = a->sinks ? a->sinks[h] : -INFINITY, sum = a->sinks ? 1.0f : 0.0f;
        for (uint32_t i = 0; i < hd; i++) out[i] = 0.0f;
        for (uint32_t j = 0; j < n; j++) {
            size_t row = a->alone && j + 1 == n ? (size_t)a->pos0 + t : (size_t)(first + j);
            const float *k = job->k + row * kvw + (size_t)kvh * hd;
            const float *v = job->v + row * kvw + (size_t)kvh * hd;
            float s = job->kernels->dot_f32(q, k, hd) * a->scale, c = 1.0f;
            if (s > m) {
                c = expf(m - s);
                sum *= c;
                m = s;
            }
            float p = expf(s - m);
            sum += p;
            job->kernels->scale_add(out, c, p, v, hd);
        }
        float inv = 1.0f / sum;
        for (uint32_t i = 0; i < hd; i++) out[i] *= inv;
    }
}

void cpu_attention(mt_backend *b, const mt_attention_args *a) {
    attention_job job = { *a, cpu_ptr(a->q), cpu_ptr(a->k), cpu_ptr(a->v), cpu_ptr(a->out), ((cpu_backend *)b)->k };
    mt_pool_for(((cpu_backend *)b)->pool, (size_t)a->T * a->n_head, 1, attention_items, &job);
}
