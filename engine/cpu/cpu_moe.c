/* The C backend's mixture of experts: tokens grouped by expert, then every
 * active expert's gate and up products and their SwiGLU in one pass of the
 * thread pool (row by row, so the activations are computed in parallel too)
 * and every down product in a second (two hand-offs a layer, not three an
 * expert: a decoded token's four experts are twelve small products, and a
 * hand-off costs microseconds).
 *
 * Each row is the same kernel call on the same inputs as a product of one
 * expert at a time (one dot for a lone token, a packed dot for several), and
 * the weighted sum runs in expert order, so the result is bit for bit that of
 * the per-expert loop. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../quant.h"
#include "cpu_internal.h"

/* One active expert's share of the layer: n tokens, gathered at [first, first + n). */
typedef struct expert_task {
    uint32_t e, n;
    size_t first;
} expert_task;

/* Products over every task: row r of each w[j] (j < n_w) against the task's
 * inputs, for item i = item0[t] + r of task t; with act, then the SwiGLU of
 * the two (gate, up) into y[0]. */
typedef struct grouped_job {
    const mt_weight *w[2];
    const float *bias[2]; /* [n_expert][out], or NULL */
    int n_w;
    bool act;
    mt_act kind;          /* with act: which SwiGLU */
    uint64_t in, out;
    const expert_task *tasks;
    size_t n_tasks;
    const size_t *item0; /* [n_tasks + 1] */
    const float *x;      /* a task's n inputs at x + first * in: packed by chunks when packed and n > 1 */
    bool packed;
    float *y[2];         /* a task's outputs at y[j] + first * out: [n][out] */
    const mt_kernels *k;
} grouped_job;

static size_t task_of(const grouped_job *j, size_t item) {
    size_t lo = 0, hi = j->n_tasks; /* the last task whose item0 <= item */
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (j->item0[mid] <= item) lo = mid;
        else hi = mid;
    }
    return lo;
}

/* gpt-oss's SwiGLU (torch/model.py): a = g' sigmoid(1.702 g') (u' + 1), g' = min(g, 7), u' = clamp(u, -7, 7) */
static inline float swiglu(float g, float u) {
    float gc = g < 7.0f ? g : 7.0f;
    float uc = u < -7.0f ? -7.0f : u > 7.0f ? 7.0f : u;
    return gc / (1.0f + expf(-1.702f * gc)) * (uc + 1.0f);
}

/* the other families' SwiGLU: silu(g) u (llama.cpp's ggml_swiglu_split: g / (1 + e^-g) * u) */
static inline float swiglu_plain(float g, float u) { return g / (1.0f + expf(-g)) * u; }

/* Items [begin, end): runs of rows of one task at a time (a packed run lets
 * the kernels share x's loads between rows). */
static void grouped_rows(void *ctx, size_t begin, size_t end, int thread) {
    const grouped_job *j = ctx;
    (void)thread;
    size_t t = task_of(j, begin);
    for (size_t item = begin; item < end;) {
        while (item >= j->item0[t + 1]) t++;
        const expert_task *task = &j->tasks[t];
        uint64_t r0 = item - j->item0[t], n_rows = j->item0[t + 1] - item;
        if (n_rows > end - item) n_rows = end - item;
        const float *x = j->x + task->first * j->in;
        for (int which = 0; which < j->n_w; which++) {
            const mt_weight *w = j->w[which];
            float *y = j->y[which] + task->first * j->out;
            const float *bias = j->bias[which] ? j->bias[which] + (size_t)task->e * j->out : NULL;
            if (task->n == 1) {
                j->k->dot_rows(w->type, mt_weight_row(w, task->e, r0), w->row_bytes, n_rows, x, (int64_t)j->in, y + r0,
                               bias ? bias + r0 : NULL);
                continue;
            }
            if (j->packed) {
                j->k->dot_packed(w->type, mt_weight_row(w, task->e, r0), w->row_bytes, n_rows, x, task->n, (int64_t)j->in, y + r0,
                                 j->out, bias ? bias + r0 : NULL);
                continue;
            }
            const uint8_t *rows = mt_weight_row(w, task->e, 0); /* the expert's slice, once */
            uint64_t row_bytes = w->row_bytes;
            for (uint64_t r = r0; r < r0 + n_rows; r++)
                for (uint32_t i = 0; i < task->n; i++) {
                    float v = j->k->dot(w->type, rows + r * row_bytes, x + i * j->in, (int64_t)j->in);
                    y[i * j->out + r] = bias ? v + bias[r] : v;
                }
        }
        if (j->act)
            for (uint32_t i = 0; i < task->n; i++) {
                float *g = j->y[0] + (task->first + i) * j->out;
                const float *u = j->y[1] + (task->first + i) * j->out;
                if (j->kind == MT_ACT_SWIGLU)
                    for (uint64_t r = r0; r < r0 + n_rows; r++) g[r] = swiglu_plain(g[r], u[r]);
                else
                    for (uint64_t r = r0; r < r0 + n_rows; r++) g[r] = swiglu(g[r], u[r]);
            }
        item += n_rows;
    }
}

/* Runs the job's products over every task; x holds each task's inputs as rows
 * ([n][in] at first * in), packed into scratch when that pays. */
static void run_grouped(cpu_backend *c, grouped_job *j, const float *x, float *scratch) {
    j->packed = j->in % 32 == 0;
    j->x = x;
    if (j->packed) {
        for (size_t t = 0; t < j->n_tasks; t++) {
            const expert_task *task = &j->tasks[t];
            if (task->n > 1) mt_pack_tokens(x + task->first * j->in, task->n, j->in, scratch + task->first * j->in);
            else memcpy(scratch + task->first * j->in, x + task->first * j->in, j->in * sizeof *scratch);
        }
        j->x = scratch;
    }
    mt_pool_for(c->pool, j->item0[j->n_tasks], 4, grouped_rows, j);
}

typedef struct moe_scratch {
    uint32_t *count, *start, *tok;
    float *wt, *xs, *xp, *g, *u, *y;
    expert_task *tasks;
    size_t *item0;
} moe_scratch;

static void scratch_free(moe_scratch *s) {
    free(s->count), free(s->start), free(s->tok), free(s->wt), free(s->xs), free(s->xp);
    free(s->g), free(s->u), free(s->y), free(s->tasks), free(s->item0);
}

bool cpu_moe(mt_backend *b, const mt_moe_args *a) {
    cpu_backend *c = (cpu_backend *)b;
    size_t T = a->T, d = a->d, ff = a->ff, stride = a->n_expert, E = a->n_expert;
    const uint32_t *experts = cpu_ptr(a->route.experts), *n_sel = cpu_ptr(a->route.n_sel);
    const float *weights = cpu_ptr(a->route.weights), *h = cpu_ptr(a->h);
    const uint8_t *flags = c->iv.flags + (size_t)a->layer * a->n_expert;
    float *out = cpu_ptr(a->out);
    memset(out, 0, T * d * sizeof *out);
    /* (token, expert) pairs that contribute: selected, weight not 0, not zeroed */
    size_t pairs = 0;
    for (size_t t = 0; t < T; t++)
        for (uint32_t i = 0; i < n_sel[t]; i++) {
            uint32_t e = experts[t * stride + i];
            pairs += weights[t * stride + i] != 0.0f && !(flags[e] & MT_IV_ZERO);
        }
    if (!pairs) return true;
    moe_scratch s = { 0 };
    s.count = calloc(E + 1, sizeof *s.count);
    s.start = calloc(E + 1, sizeof *s.start);
    s.tok = malloc(pairs * sizeof *s.tok);
    s.wt = malloc(pairs * sizeof *s.wt);
    s.xs = malloc(pairs * d * sizeof *s.xs);
    s.xp = malloc(pairs * (d > ff ? d : ff) * sizeof *s.xp);
    s.g = malloc(pairs * ff * sizeof *s.g);
    s.u = malloc(pairs * ff * sizeof *s.u);
    s.y = malloc(pairs * d * sizeof *s.y);
    s.tasks = malloc(E * sizeof *s.tasks);
    s.item0 = malloc((E + 1) * sizeof *s.item0);
    if (!(s.count && s.start && s.tok && s.wt && s.xs && s.xp && s.g && s.u && s.y && s.tasks && s.item0)) {
        scratch_free(&s);
        return false;
    }
    /* tokens per expert: count, then fill in token order */
    for (size_t t = 0; t < T; t++)
        for (uint32_t i = 0; i < n_sel[t]; i++) {
            uint32_t e = experts[t * stride + i];
            if (weights[t * stride + i] != 0.0f && !(flags[e] & MT_IV_ZERO)) s.count[e]++;
        }
    for (size_t e = 0; e < E; e++) s.start[e + 1] = s.start[e] + s.count[e];
    size_t n_tasks = 0;
    for (size_t e = 0; e < E; e++) {
        if (s.count[e]) s.tasks[n_tasks++] = (expert_task){ (uint32_t)e, s.count[e], s.start[e] };
        s.count[e] = 0;
    }
    for (size_t t = 0; t < T; t++)
        for (uint32_t i = 0; i < n_sel[t]; i++) {
            uint32_t e = experts[t * stride + i];
            float w = weights[t * stride + i];
            if (w == 0.0f || (flags[e] & MT_IV_ZERO)) continue;
            uint32_t at = s.start[e] + s.count[e]++;
            s.tok[at] = (uint32_t)t;
            s.wt[at] = w;
            memcpy(s.xs + (size_t)at * d, h + t * d, d * sizeof *s.xs);
        }
    /* gate and up of every task, then the activations, then down */
    grouped_job j = { { &a->w->gate, &a->w->up }, { a->w->gate_bias, a->w->up_bias }, 2, true, a->act, d, ff, s.tasks, n_tasks,
                      s.item0, NULL, false, { s.g, s.u }, c->k };
    s.item0[0] = 0;
    for (size_t t = 0; t < n_tasks; t++) s.item0[t + 1] = s.item0[t] + ff;
    run_grouped(c, &j, s.xs, s.xp);
    j = (grouped_job){ { &a->w->down, NULL }, { a->w->down_bias, NULL }, 1, false, a->act, ff, d, s.tasks, n_tasks, s.item0,
                       NULL, false, { s.y, NULL }, c->k };
    for (size_t t = 0; t < n_tasks; t++) s.item0[t + 1] = s.item0[t] + d;
    run_grouped(c, &j, s.g, s.xp);
    /* the weighted sum, expert by expert */
    for (size_t at = 0; at < pairs; at++) {
        float *o = out + (size_t)s.tok[at] * d, w = s.wt[at];
        const float *y = s.y + at * d;
        for (size_t col = 0; col < d; col++) o[col] += w * y[col];
    }
    scratch_free(&s);
    return true;
}
