/* The C backend: host memory, the element-wise ops and routing; the products,
 * attention and experts are in cpu_ops.c. Every op runs when called, so
 * submit() and wait() have nothing left to do. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../quant.h"
#include "cpu_internal.h"

static bool cpu_prepare(mt_backend *b, const mt_model *m, mt_err *err) {
    cpu_backend *c = (cpu_backend *)b;
    char why[200];
    if (mt_model_lacks(m, b->caps, why, sizeof why)) { /* every family: cannot happen, said all the same */
        mt_err_set(err, "%s", why);
        return false;
    }
    if (c->iv.n_expert == m->hp.n_expert && c->iv.n_layer == m->hp.n_layer) return true;
    mt_iv_free(&c->iv);
    free(c->order);
    c->order = malloc(m->hp.n_expert * sizeof *c->order);
    if (!c->order || !mt_iv_init(&c->iv, m->hp.n_layer, m->hp.n_expert)) {
        mt_err_set(err, "out of memory for the CPU backend");
        return false;
    }
    return true;
}

static mt_buf *cpu_buf_new(mt_backend *b, uint64_t bytes, bool host_visible) {
    (void)b;
    (void)host_visible; /* host memory is always visible */
    mt_buf *buf = calloc(1, sizeof *buf);
    if (!buf || bytes > SIZE_MAX - 1 || !(buf->p = calloc(1, (size_t)bytes + 1))) {
        free(buf);
        return NULL;
    }
    buf->bytes = bytes;
    return buf;
}

static void cpu_buf_free(mt_backend *b, mt_buf *buf) {
    (void)b;
    if (buf) free(buf->p);
    free(buf);
}

static void *cpu_buf_host(mt_backend *b, mt_buf *buf) {
    (void)b;
    return buf->p;
}

static void cpu_copy(mt_backend *b, mt_ten dst, mt_ten src, uint64_t bytes) {
    (void)b;
    memmove(cpu_ptr(dst), cpu_ptr(src), (size_t)bytes);
}

static bool cpu_set_interventions(mt_backend *b, const mt_interventions *iv) {
    return mt_iv_copy(&((cpu_backend *)b)->iv, iv);
}

static void cpu_embed(mt_backend *b, const mt_weight *w, mt_ten ids, uint32_t T, mt_ten out) {
    (void)b;
    const uint32_t *id = cpu_ptr(ids);
    float *o = cpu_ptr(out);
    for (uint32_t t = 0; t < T; t++) mt_dequant_row(w->type, mt_weight_row(w, 0, id[t]), o + (size_t)t * w->in, (int64_t)w->in);
}

/* out = x / sqrt(mean(x^2) + eps) * w, the sum in double so long rows stay exact */
static void cpu_rmsnorm(mt_backend *b, mt_ten x, const float *w, mt_ten out, uint32_t T, uint32_t d, float eps) {
    (void)b;
    for (uint32_t t = 0; t < T; t++) {
        const float *xt = (const float *)cpu_ptr(x) + (size_t)t * d;
        float *ot = (float *)cpu_ptr(out) + (size_t)t * d;
        double ss = 0.0;
        for (uint32_t i = 0; i < d; i++) ss += (double)xt[i] * xt[i];
        float scale = (float)(1.0 / sqrt(ss / d + eps));
        for (uint32_t i = 0; i < d; i++) ot[i] = xt[i] * scale * w[i];
    }
}

/* Rotates pair i of every head by cs[t][i] = (cos, sin); pair i is elements
 * (step i, step i + other): NeoX's (i, i + half) or, llama.cpp's rope_f32 for
 * LLAMA_ROPE_TYPE_NORM, adjacent ones (2i, 2i + 1). */
static void rope_pairs(mt_ten x, uint32_t T, uint32_t n_heads, uint32_t half, mt_ten cs, uint32_t step, uint32_t other) {
    for (uint32_t t = 0; t < T; t++) {
        float *xt = (float *)cpu_ptr(x) + (size_t)t * n_heads * 2 * half;
        const float *cst = (const float *)cpu_ptr(cs) + (size_t)t * half * 2;
        for (uint32_t h = 0; h < n_heads; h++) {
            float *v = xt + (size_t)h * 2 * half;
            for (uint32_t i = 0; i < half; i++) {
                float c = cst[2 * i], s = cst[2 * i + 1], x1 = v[step * i], x2 = v[step * i + other];
                v[step * i] = x1 * c - x2 * s;
                v[step * i + other] = x2 * c + x1 * s;
            }
        }
    }
}

static void cpu_rope(mt_backend *b, mt_ten x, uint32_t T, uint32_t n_heads, uint32_t half, mt_ten cs) {
    (void)b;
    rope_pairs(x, T, n_heads, half, cs, 1, half);
}

static void cpu_rope_adjacent(mt_backend *b, mt_ten x, uint32_t T, uint32_t n_heads, uint32_t half, mt_ten cs) {
    (void)b;
    rope_pairs(x, T, n_heads, half, cs, 2, 1);
}

static float l2norm(const float *x, uint32_t d) {
    double ss = 0.0;
    for (uint32_t i = 0; i < d; i++) ss += (double)x[i] * x[i];
    return (float)sqrt(ss);
}

static void cpu_add(mt_backend *b, mt_ten a, mt_ten bb, mt_ten out, uint32_t T, uint32_t d, mt_ten norms, int norm_a, int norm_b) {
    (void)b;
    for (uint32_t t = 0; t < T; t++) {
        const float *at = (const float *)cpu_ptr(a) + (size_t)t * d, *bt = (const float *)cpu_ptr(bb) + (size_t)t * d;
        float *ot = (float *)cpu_ptr(out) + (size_t)t * d, *nt = (float *)cpu_ptr(norms) + (size_t)t * 3;
        if (norm_a >= 0) nt[norm_a] = l2norm(at, d);
        if (norm_b >= 0) nt[norm_b] = l2norm(bt, d);
        for (uint32_t i = 0; i < d; i++) ot[i] = at[i] + bt[i];
    }
}

static void cpu_route(mt_backend *b, mt_ten z, uint32_t layer, uint32_t model_k, uint32_t T, uint32_t E, const mt_route_out *o) {
    cpu_backend *c = (cpu_backend *)b;
    const float *zz = cpu_ptr(z);
    uint32_t *sel = cpu_ptr(o->experts), *n_sel = cpu_ptr(o->n_sel);
    float *wts = cpu_ptr(o->weights), *margin = cpu_ptr(o->margin);
    for (uint32_t t = 0; t < T; t++)
        n_sel[t] = mt_iv_route(&c->iv, layer, model_k, o->kind, zz + (size_t)t * E, sel + (size_t)t * E, wts + (size_t)t * E, &margin[t],
                               c->order);
}

static bool cpu_submit(mt_backend *b, uint64_t *ticket, mt_err *err) {
    (void)b;
    (void)err;
    *ticket = 0;
    return true;
}

static bool cpu_wait(mt_backend *b, uint64_t ticket, mt_err *err) {
    (void)b;
    (void)ticket;
    (void)err;
    return true;
}

static void cpu_destroy(mt_backend *b) {
    if (!b) return;
    cpu_backend *c = (cpu_backend *)b;
    mt_pool_free(c->pool);
    mt_iv_free(&c->iv);
    free(c->order);
    free(c->packed);
    free(c);
}

/* An environment switch is on unless unset, empty, "0", "no", "false" or "off". */
static bool env_on(const char *name) {
    const char *v = getenv(name);
    return v && *v && strcmp(v, "0") && strcasecmp(v, "no") && strcasecmp(v, "false") && strcasecmp(v, "off");
}

/* The best set, unless $MOETOP_KERNELS names one (c, avx2, avx512: for
 * tests and comparisons) or $MOETOP_PORTABLE_KERNELS is on (c). A name that
 * is no set, or a set the processor lacks, is said in b's notice and the
 * best one used (a speed setting is no reason to refuse to run). */
static const mt_kernels *pick_kernels(mt_backend *b) {
    const char *want = getenv("MOETOP_KERNELS");
    if (!(want && *want) && env_on("MOETOP_PORTABLE_KERNELS")) want = "c";
    if (!want || !*want) return mt_kernels_best();
    const mt_kernels *k = mt_kernels_named(want);
    if (k) return k;
    bool known = !strcmp(want, "c") || !strcmp(want, "avx2") || !strcmp(want, "avx512");
    k = mt_kernels_best();
    mt_backend_notice(b, "MOETOP_KERNELS=%.40s%s: %s; using %s", want, strlen(want) > 40 ? "..." : "",
                      known ? "this processor lacks that kernel set" : "not a kernel set (c, avx2 or avx512)", k->name);
    return k;
}

mt_backend *mt_cpu_backend_new(int n_threads) {
    cpu_backend *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->pool = mt_pool_new(n_threads);
    if (!c->pool) {
        free(c);
        return NULL;
    }
    c->k = pick_kernels(&c->base);
    mt_backend *b = &c->base;
    b->name = "cpu";
    b->n_threads = mt_pool_threads(c->pool);
    b->max_bind_bytes = UINT64_MAX;
    b->attention_alone = true;
    b->caps = MT_CAPS_ALL;
    snprintf(b->device, sizeof b->device, "C (%s kernels), %d thread%s", c->k->name, b->n_threads, b->n_threads == 1 ? "" : "s");
    b->prepare = cpu_prepare;
    b->buf_new = cpu_buf_new;
    b->buf_free = cpu_buf_free;
    b->buf_host = cpu_buf_host;
    b->copy = cpu_copy;
    b->set_interventions = cpu_set_interventions;
    b->embed = cpu_embed;
    b->rmsnorm = cpu_rmsnorm;
    b->matmul = cpu_matmul;
    b->rope = cpu_rope;
    b->rope_adjacent = cpu_rope_adjacent;
    b->attention = cpu_attention;
    b->add = cpu_add;
    b->route = cpu_route;
    b->moe = cpu_moe;
    b->submit = cpu_submit;
    b->wait = cpu_wait;
    b->destroy = cpu_destroy;
    return b;
}

void mt_cpu_backend_profile(mt_backend *b) { cpu_profile_install((cpu_backend *)b); }

const char *mt_cpu_backend_kernels(const mt_backend *b) { return ((const cpu_backend *)b)->k->name; }
