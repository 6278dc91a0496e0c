/* The ops of backend.h as dispatches of the shaders in shaders/. Each op
 * binds its tensors (an aligned start plus an element offset in the push
 * block), splits weights into their chunks, and leaves every result on the
 * device; only the trace and logits buffers are host-visible. */
#include <string.h>

#include "../quant.h"
#include "vk_internal.h"
#include "vk_push.h"

#define MATMUL_WIDTH 32u   /* invocations splitting one row's blocks */
#define ROWS_PER_GROUP 4u  /* rows one workgroup takes: fewer, larger workgroups */
#define TOKEN_TILE 8u      /* tokens sharing each dequantized block (matmul.comp TILE) */

static uint32_t div_up(uint64_t a, uint64_t b) { return (uint32_t)((a + b - 1) / b); }

static const vk_weight *need_weight(vk_backend *v, const void *host, const char *what) {
    const vk_weight *w = vk_find(v, host);
    if (!w) vk_fail(v, "%s: a weight that was not uploaded (%s)", v->base.device, what);
    return w;
}

/* a float vector's binding, or the zero buffer when absent */
static vk_bind vector(vk_backend *v, const float *host, const char *what) {
    if (!host) return vk_bind_buf(v, v->zeros);
    const vk_weight *w = need_weight(v, host, what);
    return w ? vk_bind_buf(v, w->chunks[0].buf) : vk_bind_buf(v, v->zeros);
}

static bool be_prepare(mt_backend *b, const mt_model *m, mt_err *err) {
    vk_backend *v = (vk_backend *)b;
    if (v->model == m) return true;
    char why[200];
    if (mt_model_lacks(m, b->caps, why, sizeof why)) { /* a model that needs an op this backend lacks: the CLI falls back */
        mt_err_set(err, "%s", why);
        return false;
    }
    vk_free_weights(v);
    vk_buf_free(v, v->iv);
    vk_buf_free(v, v->zeros);
    mt_iv_free(&v->iv_host); /* a model before this one: its interventions' shape */
    const mt_hparams *hp = &m->hp;
    v->iv = vk_buf_new(v, (2ull * hp->n_layer + (uint64_t)hp->n_layer * hp->n_expert) * 4, true);
    /* bound for an absent bias: as wide as any bias a shader reads (the experts', [E][max(ff, d)]) */
    uint64_t wide = hp->ff > hp->d_model ? hp->ff : hp->d_model;
    v->zeros = vk_buf_new(v, 4 * (wide * hp->n_expert > 64 ? wide * hp->n_expert : 64), false);
    if (!v->iv || !v->zeros || !mt_iv_init(&v->iv_host, hp->n_layer, hp->n_expert)) {
        mt_err_set(err, "%s: out of memory", b->device);
        return false;
    }
    return vk_upload_model(v, m, err);
}

/* Called with nothing in flight (the forward pass installs a session's interventions first). */
static bool be_set_interventions(mt_backend *b, const mt_interventions *iv) {
    vk_backend *v = (vk_backend *)b;
    if (!mt_iv_copy(&v->iv_host, iv)) return false;
    uint32_t *w = v->iv->host, L = iv->n_layer, E = iv->n_expert;
    for (uint32_t l = 0; l < L; l++) {
        w[l] = (uint32_t)iv->force[l]; /* -1: ~0, none */
        w[L + l] = iv->k[l];
    }
    for (uint64_t i = 0; i < (uint64_t)L * E; i++) w[2 * L + i] = iv->flags[i];
    return true;
}

/* The embedding from host memory: the batch's rows dequantized on the host into a
 * host-visible staging buffer, then copied to out (ids are host-visible and
 * written before the forward pass queues anything; the stage is reused only
 * after the pass that used it has been waited for). An id past the table
 * gives a zero row. */
static void embed_host(vk_backend *v, const mt_weight *w, mt_ten ids, uint32_t T, mt_ten out) {
    uint64_t row = (uint64_t)w->in * 4, bytes = row * T;
    if (!v->embed_stage || v->embed_stage->bytes < bytes) {
        vk_buf_free(v, v->embed_stage);
        v->embed_stage = vk_buf_new(v, bytes, true);
    }
    const uint32_t *id = ids.buf->host ? (const uint32_t *)((const char *)ids.buf->host + ids.off) : NULL;
    if (!v->embed_stage || !v->embed_stage->host || !id) {
        vk_fail(v, "%s: out of memory for the token embedding's rows", v->base.device);
        return;
    }
    float *dst = v->embed_stage->host;
    for (uint32_t t = 0; t < T; t++) {
        if (id[t] < w->out) mt_dequant_row(w->type, (const char *)w->data + (uint64_t)id[t] * w->row_bytes, dst + (uint64_t)t * w->in, (int64_t)w->in);
        else memset(dst + (uint64_t)t * w->in, 0, row);
    }
    v->base.copy(&v->base, out, mt_ten_at(v->embed_stage, 0), bytes);
}

static void be_embed(mt_backend *b, const mt_weight *w, mt_ten ids, uint32_t T, mt_ten out) {
    vk_backend *v = (vk_backend *)b;
    vk_flush_pending(v);
    if (!vk_find(v, w->data)) {
        embed_host(v, w, ids, T, out);
        return;
    }
    const vk_weight *vw = need_weight(v, w->data, "token_embd");
    if (!vw) return;
    vk_bind ib = vk_bind_ten(v, ids), ob = vk_bind_ten(v, out);
    for (uint32_t c = 0; c < vw->n_chunks; c++) {
        const vk_chunk *ch = &vw->chunks[c];
        vk_bind binds[3] = { vk_bind_buf(v, ch->buf), ib, ob };
        mt_push_embed p = { (uint32_t)w->in, (uint32_t)ch->first_unit, (uint32_t)ch->units, (uint32_t)vw->row_bytes, ib.elem, ob.elem };
        uint32_t spec[2] = { vw->type, 0 };
        vk_dispatch(v, MT_VK_EMBED, spec, binds, &p, div_up(div_up(w->in, 32), 64), T, 1);
    }
}

static bool same_ten(mt_ten a, mt_ten b) { return a.buf == b.buf && a.off == b.off; }

static void be_rmsnorm(mt_backend *b, mt_ten x, const float *w, mt_ten out, uint32_t T, uint32_t d, float eps) {
    vk_backend *v = (vk_backend *)b;
    vk_pending *pd = &v->pending;
    if (pd->kind == VK_PEND_ADD && same_ten(pd->out, x) && pd->T == T && pd->d == d) {
        /* the add before, and this norm of its sum: one dispatch */
        vk_bind binds[6] = { vk_bind_ten(v, pd->a), vk_bind_ten(v, pd->b), vk_bind_ten(v, pd->out), vk_bind_ten(v, pd->norms), vector(v, w, "norm"),
                             vk_bind_ten(v, out) };
        mt_push_add_norm p = { d, binds[0].elem, binds[1].elem, binds[2].elem, binds[3].elem, pd->norm_a < 0 ? 3u : (uint32_t)pd->norm_a,
                               pd->norm_b < 0 ? 3u : (uint32_t)pd->norm_b, binds[4].elem, binds[5].elem, eps };
        pd->kind = VK_PEND_NONE;
        vk_dispatch(v, MT_VK_ADD_NORM, NULL, binds, &p, T, 1, 1);
        return;
    }
    vk_flush_pending(v);
    if (T == 0) return;
    /* T rows: tokens, or (q/k norms, in place) heads of every token; past the device's workgroup count in x, in y too */
    vk_bind binds[3] = { vk_bind_ten(v, x), vector(v, w, "norm"), vk_bind_ten(v, out) };
    mt_push_rmsnorm p = { d, binds[0].elem, binds[1].elem, binds[2].elem, eps, T };
    uint32_t gx = T < v->vk.info[v->vk.chosen].max_groups[0] ? T : v->vk.info[v->vk.chosen].max_groups[0];
    vk_dispatch(v, MT_VK_RMSNORM, NULL, binds, &p, gx, div_up(T, gx), 1);
}

/* Q4_0 and the K-quants: rows_dot.glsl decodes their 32-element blocks (kquants.glsl) */
static bool kquant(uint32_t type) {
    return type == MT_TYPE_Q4_0 || type == MT_TYPE_Q4_K || type == MT_TYPE_Q5_K || type == MT_TYPE_Q6_K;
}

/* rows_dot.glsl's fast path: whole 32-element blocks, x 16-byte aligned, and
 * (the float types, read as uvec4) every row start 16-byte aligned */
static bool rows_fast(const vk_weight *vw, uint64_t n_in, uint32_t x_elem) {
    if (x_elem % 4 || n_in % 32) return false;
    return vw->type == MT_TYPE_Q8_0 || vw->type == MT_TYPE_MXFP4 || kquant(vw->type) || vw->type >= MT_VK_SPLIT_TYPE || vw->row_bytes % 16 == 0;
}

/* floats from a buffer's start to a binding's start: where the binding's elements sit in a texel view of the whole buffer */
static uint32_t x_base(vk_bind b) { return (uint32_t)(b.offset / 4); }

static void be_matmul(mt_backend *b, const mt_weight *w, mt_ten x, uint32_t T, const float *bias, mt_ten y) {
    vk_backend *v = (vk_backend *)b;
    vk_flush_pending(v);
    const vk_weight *vw = need_weight(v, w->data, "matrix");
    if (!vw) return;
    vk_bind xb = vk_bind_ten(v, x), bb = vector(v, bias, "bias"), yb = vk_bind_ten(v, y);
    for (uint32_t c = 0; c < vw->n_chunks; c++) {
        const vk_chunk *ch = &vw->chunks[c];
        /* the row kernels read the weights through texel views (binding 0: 16 bytes, 4: 4 bytes), and x (5) */
        bool rows = v->kernels.rows;
        vk_bind binds[6] = { rows ? vk_bind_texel(v, ch->buf, VK_TEXEL_U4) : vk_bind_buf(v, ch->buf), xb, bb, yb,
                             rows ? vk_bind_texel(v, ch->buf, VK_TEXEL_U1) : vk_bind_buf(v, ch->buf), rows ? vk_bind_texel(v, x.buf, VK_TEXEL_F4) : xb };
        mt_push_matmul p = {
            .n_in = (uint32_t)w->in, .y_stride = (uint32_t)w->out, .row0 = (uint32_t)ch->first_unit, .rows = (uint32_t)ch->units,
            .row_bytes = (uint32_t)vw->row_bytes, .T = T, .x_off = xb.elem, .y_off = yb.elem, .bias_off = bb.elem,
            .has_bias = bias != NULL, .rows_per_group = ROWS_PER_GROUP, .fast = rows_fast(vw, w->in, x_base(xb) + xb.elem),
            .x_base = x_base(xb),
        };
        if (v->kernels.rows) {
            /* 4 rows an invocation; with several tokens and split, Q4_0 or K-quant rows, 4 tokens too (one dequantization for the four) */
            p.rows_per_group = T >= 4 && (vw->type >= MT_VK_SPLIT_TYPE || kquant(vw->type)) && p.fast ? 4 : 1;
            uint32_t spec[2] = { vw->type, v->kernels.x_broadcast };
            vk_dispatch(v, MT_VK_MATMUL_ROWS, spec, binds, &p, div_up(ch->units, MT_VK_ROWS_WORKGROUP * 4), div_up(T, p.rows_per_group), 1);
        } else if (v->kernels.tiled && T >= MT_VK_TILE_MIN_TOKENS) {
            uint32_t spec[2] = { vw->type, 0 };
            vk_dispatch(v, MT_VK_MATMUL_TILED, spec, binds, &p, div_up(ch->units, MT_VK_TILE_ROWS), div_up(T, 32), 1);
        } else if (v->kernels.subgroup) {
            p.rows_per_group = MT_VK_SG_ROWS;
            uint32_t spec[2] = { vw->type, 0 };
            vk_dispatch(v, MT_VK_MATMUL_SG, spec, binds, &p, div_up(ch->units, MT_VK_SG_ROWS), div_up(T, TOKEN_TILE), 1);
        } else {
            uint32_t spec[2] = { vw->type, MATMUL_WIDTH };
            vk_dispatch(v, MT_VK_MATMUL, spec, binds, &p, div_up(ch->units, ROWS_PER_GROUP), div_up(T, TOKEN_TILE), 1);
        }
    }
}

static void rope(vk_backend *v, mt_ten x, uint32_t n_heads, mt_ten x2, uint32_t n_heads2, uint32_t T, uint32_t half, mt_ten cs, bool adjacent) {
    vk_bind binds[3] = { vk_bind_ten(v, x), vk_bind_ten(v, cs), vk_bind_ten(v, x2) };
    mt_push_rope p = { n_heads, half, binds[0].elem, binds[1].elem, n_heads2, binds[2].elem, adjacent };
    uint32_t most = n_heads2 > n_heads ? n_heads2 : n_heads;
    vk_dispatch(v, MT_VK_ROPE, NULL, binds, &p, div_up((uint64_t)most * half, 64), T, n_heads2 ? 2 : 1);
}

/* NeoX pairs (be_rope) or adjacent pairs (be_rope_adjacent): rope.comp either way, the pairing in its push block */
static void rope_pairs(mt_backend *b, mt_ten x, uint32_t T, uint32_t n_heads, uint32_t half, mt_ten cs, bool adjacent) {
    vk_backend *v = (vk_backend *)b;
    vk_pending *pd = &v->pending;
    if (pd->kind == VK_PEND_ROPE && pd->T == T && pd->half == half && pd->adjacent == adjacent && same_ten(pd->cs, cs) && !same_ten(pd->x, x)) {
        pd->kind = VK_PEND_NONE; /* the queries' rotation before and this one (the keys'): one dispatch */
        rope(v, pd->x, pd->n_heads, x, n_heads, T, half, cs, adjacent);
        return;
    }
    vk_flush_pending(v);
    *pd = (vk_pending){ .kind = VK_PEND_ROPE, .x = x, .cs = cs, .T = T, .n_heads = n_heads, .half = half, .adjacent = adjacent };
}

static void be_rope(mt_backend *b, mt_ten x, uint32_t T, uint32_t n_heads, uint32_t half, mt_ten cs) { rope_pairs(b, x, T, n_heads, half, cs, false); }

static void be_rope_adjacent(mt_backend *b, mt_ten x, uint32_t T, uint32_t n_heads, uint32_t half, mt_ten cs) {
    rope_pairs(b, x, T, n_heads, half, cs, true);
}

static void be_attention(mt_backend *b, const mt_attention_args *a) {
    vk_backend *v = (vk_backend *)b;
    vk_flush_pending(v);
    uint32_t width = mt_vk_attention_width(&v->vk.info[v->vk.chosen], &v->kernels, a->head_dim);
    vk_bind binds[8] = { vk_bind_ten(v, a->q), vk_bind_ten(v, a->k), vk_bind_ten(v, a->v), vector(v, a->sinks, "sinks"), vk_bind_ten(v, a->out),
                         vk_bind_texel(v, a->q.buf, VK_TEXEL_F4), vk_bind_texel(v, a->k.buf, VK_TEXEL_F4), vk_bind_texel(v, a->v.buf, VK_TEXEL_F4) };
    mt_push_attention p = { a->pos0, a->n_head, a->n_kv, a->window, binds[0].elem, binds[1].elem, binds[2].elem, binds[3].elem, binds[4].elem, a->scale,
                            a->alone, x_base(binds[0]), x_base(binds[1]), x_base(binds[2]), a->sinks != NULL };
    /* q, k and v as texels on CPU devices (attention.comp's TEXEL): whole 16-byte texels only */
    bool texel = v->kernels.rows && a->head_dim % 4 == 0 && (p.q_base + p.q_off) % 4 == 0 && (p.k_base + p.k_off) % 4 == 0 &&
                 (p.v_base + p.v_off) % 4 == 0;
    uint32_t spec[2] = { width, a->head_dim | (texel ? 1u << 16 : 0u) };
    vk_dispatch(v, MT_VK_ATTENTION, spec, binds, &p, a->n_head, a->T, 1);
}

static void add(vk_backend *v, mt_ten a, mt_ten bb, mt_ten out, uint32_t T, uint32_t d, mt_ten norms, int norm_a, int norm_b) {
    vk_bind binds[4] = { vk_bind_ten(v, a), vk_bind_ten(v, bb), vk_bind_ten(v, out), vk_bind_ten(v, norms) };
    mt_push_add p = { d, binds[0].elem, binds[1].elem, binds[2].elem, binds[3].elem, norm_a < 0 ? 3u : (uint32_t)norm_a, norm_b < 0 ? 3u : (uint32_t)norm_b };
    vk_dispatch(v, MT_VK_ADD, NULL, binds, &p, T, 1, 1);
}

static void moe_sum(vk_backend *v, mt_ten n_sel, mt_ten out, uint32_t T, uint32_t d, uint32_t E) {
    vk_bind binds[4] = { vk_bind_buf(v, v->ys), vk_bind_ten(v, n_sel), vk_bind_buf(v, v->plan), vk_bind_ten(v, out) };
    mt_push_moe_sum p = { d, E, T, binds[1].elem, binds[3].elem };
    vk_dispatch(v, MT_VK_MOE_SUM, NULL, binds, &p, div_up(d, 64), T, 1);
}

void vk_flush_pending(vk_backend *v) {
    vk_pending pd = v->pending;
    v->pending.kind = VK_PEND_NONE;
    if (pd.kind == VK_PEND_ADD) add(v, pd.a, pd.b, pd.out, pd.T, pd.d, pd.norms, pd.norm_a, pd.norm_b);
    else if (pd.kind == VK_PEND_ROPE) rope(v, pd.x, pd.n_heads, pd.x, 0, pd.T, pd.half, pd.cs, pd.adjacent);
    else if (pd.kind == VK_PEND_MOE_SUM) moe_sum(v, pd.b, pd.out, pd.T, pd.d, pd.E);
}

static void be_add(mt_backend *b, mt_ten a, mt_ten bb, mt_ten out, uint32_t T, uint32_t d, mt_ten norms, int norm_a, int norm_b) {
    vk_backend *v = (vk_backend *)b;
    vk_pending *pd = &v->pending;
    if (pd->kind == VK_PEND_MOE_SUM && same_ten(pd->out, bb) && pd->T == T && pd->d == d) {
        /* the MoE's sum before, and this add of it: one dispatch */
        vk_bind binds[7] = { vk_bind_buf(v, v->ys), vk_bind_ten(v, pd->b), vk_bind_buf(v, v->plan), vk_bind_ten(v, pd->out), vk_bind_ten(v, a),
                             vk_bind_ten(v, out), vk_bind_ten(v, norms) };
        mt_push_moe_sum_add p = { d, pd->E, T, binds[1].elem, binds[3].elem, binds[4].elem, binds[5].elem, binds[6].elem,
                                  norm_a < 0 ? 3u : (uint32_t)norm_a, norm_b < 0 ? 3u : (uint32_t)norm_b };
        pd->kind = VK_PEND_NONE;
        vk_dispatch(v, MT_VK_MOE_SUM_ADD, NULL, binds, &p, T, 1, 1);
        return;
    }
    vk_flush_pending(v);
    *pd = (vk_pending){ .kind = VK_PEND_ADD, .a = a, .b = bb, .out = out, .norms = norms, .T = T, .d = d, .norm_a = norm_a, .norm_b = norm_b };
}

static void be_route(mt_backend *b, mt_ten z, uint32_t layer, uint32_t model_k, uint32_t T, uint32_t E, const mt_route_out *o) {
    vk_backend *v = (vk_backend *)b;
    vk_flush_pending(v);
    vk_bind binds[6] = { vk_bind_ten(v, z), vk_bind_buf(v, v->iv), vk_bind_ten(v, o->experts), vk_bind_ten(v, o->weights),
                         vk_bind_ten(v, o->n_sel), vk_bind_ten(v, o->margin) };
    mt_push_route p = { T, E, model_k, layer, v->iv_host.n_layer, binds[0].elem, binds[2].elem, binds[3].elem, binds[4].elem, binds[5].elem,
                      (uint32_t)o->kind };
    vk_dispatch(v, MT_VK_ROUTE, NULL, binds, &p, div_up(T, 64), 1, 1);
}

/* the most selections a token can have at a layer under the installed interventions */
static uint32_t max_selected(const vk_backend *v, uint32_t layer, uint32_t model_k, uint32_t E) {
    if (v->iv_host.force[layer] >= 0) return 1;
    uint32_t k = v->iv_host.k[layer] ? v->iv_host.k[layer] : model_k;
    return k < E ? k : E;
}

static bool be_moe(mt_backend *b, const mt_moe_args *a) {
    vk_backend *v = (vk_backend *)b;
    vk_flush_pending(v);
    const mt_layer_weights *w = a->w;
    const vk_weight *gate = need_weight(v, w->gate.data, "gate"), *up = need_weight(v, w->up.data, "up"),
                    *down = need_weight(v, w->down.data, "down");
    if (!gate || !up || !down) return true; /* reported at submit */
    uint32_t E = a->n_expert, T = a->T, n_max = max_selected(v, a->layer, v->model->hp.k, E);
    uint64_t entries = (uint64_t)T * n_max;
    if (!vk_scratch(v, &v->plan, mt_plan_words(E, T) * 4) || !vk_scratch(v, &v->gate, entries * a->ff * 4) ||
        !vk_scratch(v, &v->up, entries * a->ff * 4) || !vk_scratch(v, &v->ys, entries * a->d * 4))
        return false;
    uint32_t epc = v->experts_per_chunk, n_chunks = gate->n_chunks;
    bool rows = v->kernels.rows, tiled = v->kernels.tiled && T >= MT_VK_TILE_MIN_TOKENS;
    mt_vk_kind kind = rows ? MT_VK_MOE_MATMUL_ROWS : tiled ? MT_VK_MOE_MATMUL_TILED : v->kernels.subgroup ? MT_VK_MOE_MATMUL_SG : MT_VK_MOE_MATMUL;
    vk_bind sel = vk_bind_ten(v, a->route.experts), wts = vk_bind_ten(v, a->route.weights), nsel = vk_bind_ten(v, a->route.n_sel);
    vk_bind plan = vk_bind_buf(v, v->plan), iv = vk_bind_buf(v, v->iv), h = vk_bind_ten(v, a->h);
    vk_bind g = vk_bind_buf(v, v->gate), u = vk_bind_buf(v, v->up), ys = vk_bind_buf(v, v->ys);
    {
        vk_bind binds[5] = { sel, wts, nsel, iv, plan };
        uint32_t rows_per_group = v->kernels.rows ? MT_VK_ROWS_WORKGROUP * 4 : tiled ? MT_VK_TILE_ROWS : v->kernels.subgroup ? MT_VK_SG_ROWS : ROWS_PER_GROUP; /* rows a workgroup of the products takes */
        mt_push_moe_plan p = { T, E, a->layer, v->iv_host.n_layer, epc, n_chunks, div_up(a->ff, rows_per_group), div_up(a->d, rows_per_group),
                               sel.elem, wts.elem, nsel.elem };
        vk_dispatch(v, MT_VK_MOE_PLAN, NULL, binds, &p, 1, 1, 1);
    }
    /* gate and up: rows of ff from each token's h; then the activation in place in gate (the row
     * kernels apply it as the up product is written: one dispatch fewer) */
    const vk_weight *gu[2] = { gate, up };
    const float *gu_bias[2] = { w->gate_bias, w->up_bias };
    vk_bind gu_out[2] = { g, rows ? g : u };
    for (int which = 0; which < 2; which++)
        for (uint32_t c = 0; c < n_chunks; c++) {
            mt_buf *wb = gu[which]->chunks[c].buf;
            vk_bind binds[7] = { rows ? vk_bind_texel(v, wb, VK_TEXEL_U4) : vk_bind_buf(v, wb), h, vector(v, gu_bias[which], "expert bias"),
                                 gu_out[which], plan, rows ? vk_bind_texel(v, wb, VK_TEXEL_U1) : vk_bind_buf(v, wb),
                                 rows ? vk_bind_texel(v, a->h.buf, VK_TEXEL_F4) : h };
            mt_push_moe_matmul p = { (uint32_t)w->gate.in, a->ff, (uint32_t)gu[which]->row_bytes, (uint32_t)gu[which]->unit_bytes, E, T, c, c * epc, 1,
                                     h.elem, binds[2].elem, rows && which == 1 ? (a->act == MT_ACT_SWIGLU ? 3u : 2u) : ROWS_PER_GROUP,
                                     rows_fast(gu[which], w->gate.in, x_base(h) + h.elem), x_base(h) };
            if (v->kernels.subgroup) p.rows_per_group = MT_VK_SG_ROWS;
            uint32_t spec[2] = { gu[which]->type, v->kernels.rows ? v->kernels.x_broadcast : v->kernels.subgroup ? 0 : MATMUL_WIDTH };
            vk_dispatch_indirect(v, kind, spec, binds, &p, v->plan,
                                 (mt_plan_indirect(E) + c * 3ull) * 4);
        }
    if (!rows) {
        vk_bind binds[3] = { g, u, plan };
        mt_push_swiglu p = { a->ff, E, a->act == MT_ACT_SWIGLU };
        uint64_t groups = div_up(entries * a->ff, 64);
        uint32_t gx = groups < 65535 ? (uint32_t)groups : 65535u;
        vk_dispatch(v, MT_VK_SWIGLU, NULL, binds, &p, gx, div_up(groups, gx), 1);
    }
    /* down: rows of d from each entry's activation, times the entry's weight */
    for (uint32_t c = 0; c < n_chunks; c++) {
        mt_buf *wb = down->chunks[c].buf;
        vk_bind binds[7] = { rows ? vk_bind_texel(v, wb, VK_TEXEL_U4) : vk_bind_buf(v, wb), g, vector(v, w->down_bias, "expert bias"), ys, plan,
                             rows ? vk_bind_texel(v, wb, VK_TEXEL_U1) : vk_bind_buf(v, wb), rows ? vk_bind_texel(v, v->gate, VK_TEXEL_F4) : g };
        mt_push_moe_matmul p = { a->ff, a->d, (uint32_t)down->row_bytes, (uint32_t)down->unit_bytes, E, T, c, c * epc, 0, 0, binds[2].elem, ROWS_PER_GROUP,
                                 rows_fast(down, a->ff, 0), 0 };
        if (v->kernels.subgroup) p.rows_per_group = MT_VK_SG_ROWS;
        uint32_t spec[2] = { down->type, v->kernels.rows ? v->kernels.x_broadcast : v->kernels.subgroup ? 0 : MATMUL_WIDTH };
        vk_dispatch_indirect(v, kind, spec, binds, &p, v->plan,
                             (mt_plan_indirect(E) + (MT_MOE_MAX_CHUNKS + c) * 3ull) * 4);
    }
    /* the weighted sum: held back, as the residual add of it follows */
    v->pending = (vk_pending){ .kind = VK_PEND_MOE_SUM, .b = a->route.n_sel, .out = a->out, .T = T, .d = a->d, .E = E };
    return true;
}

void vk_ops_install(mt_backend *b) {
    b->prepare = be_prepare;
    b->set_interventions = be_set_interventions;
    b->embed = be_embed;
    b->rmsnorm = be_rmsnorm;
    b->matmul = be_matmul;
    b->rope = be_rope;
    b->rope_adjacent = be_rope_adjacent;
    b->attention = be_attention;
    b->attention_alone = true;
    b->caps = MT_CAPS_ALL; /* every family (family.h): adjacent-pair RoPE, softmax-first routers, plain SwiGLU,
                            * no sinks, q/k norms in place, experts stored one tensor each (gathered at upload) */
    b->add = be_add;
    b->route = be_route;
    b->moe = be_moe;
}
