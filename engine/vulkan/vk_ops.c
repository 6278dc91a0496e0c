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
/* invocations in a workgroup of matmul_rows.comp and moe_matmul_rows.comp (local_size_x): small
 * workgroups spread a one-token product over both threads of lavapipe (16: 380 us a 1024x1024
 * Q8_0 product, 64: 700 us) */
#define ROWS_WORKGROUP 16u

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
    if (mt_model_lacks(m, b->caps, why, sizeof why)) { /* a family whose ops have no shader yet: the CLI falls back */
        mt_err_set(err, "%s", why);
        return false;
    }
    vk_free_weights(v);
    vk_buf_free(v, v->iv);
    vk_buf_free(v, v->zeros);
    const mt_hparams *hp = &m->hp;
    v->iv = vk_buf_new(v, (2ull * hp->n_layer + (uint64_t)hp->n_layer * hp->n_expert) * 4, true);
    v->zeros = vk_buf_new(v, 256, false);
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

static void be_embed(mt_backend *b, const mt_weight *w, mt_ten ids, uint32_t T, mt_ten out) {
    vk_backend *v = (vk_backend *)b;
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

static void be_rmsnorm(mt_backend *b, mt_ten x, const float *w, mt_ten out, uint32_t T, uint32_t d, float eps) {
    vk_backend *v = (vk_backend *)b;
    vk_bind binds[3] = { vk_bind_ten(v, x), vector(v, w, "norm"), vk_bind_ten(v, out) };
    mt_push_rmsnorm p = { d, binds[0].elem, binds[1].elem, binds[2].elem, eps };
    vk_dispatch(v, MT_VK_RMSNORM, NULL, binds, &p, T, 1, 1);
}

/* rows_dot.glsl's BROADCAST: x passed between lanes in groups of 8 */
static uint32_t broadcast(const vk_backend *v) {
    const mt_vk_device_info *in = &v->vk.info[v->vk.chosen];
    return in->subgroup_shuffle && in->subgroup_size >= 8 && in->subgroup_size % 8 == 0 && ROWS_WORKGROUP % in->subgroup_size == 0;
}

/* rows_dot.glsl's fast path: whole 32-element blocks, x 16-byte aligned, and
 * (the float types, read as uvec4) every row start 16-byte aligned */
static bool rows_fast(const vk_weight *vw, uint64_t n_in, uint32_t x_elem) {
    if (x_elem % 4 || n_in % 32) return false;
    return vw->type == MT_TYPE_Q8_0 || vw->type == MT_TYPE_MXFP4 || vw->type >= MT_VK_SPLIT_TYPE || vw->row_bytes % 16 == 0;
}

static void be_matmul(mt_backend *b, const mt_weight *w, mt_ten x, uint32_t T, const float *bias, mt_ten y) {
    vk_backend *v = (vk_backend *)b;
    const vk_weight *vw = need_weight(v, w->data, "matrix");
    if (!vw) return;
    vk_bind xb = vk_bind_ten(v, x), bb = vector(v, bias, "bias"), yb = vk_bind_ten(v, y);
    for (uint32_t c = 0; c < vw->n_chunks; c++) {
        const vk_chunk *ch = &vw->chunks[c];
        vk_bind binds[4] = { vk_bind_buf(v, ch->buf), xb, bb, yb };
        mt_push_matmul p = {
            .n_in = (uint32_t)w->in, .y_stride = (uint32_t)w->out, .row0 = (uint32_t)ch->first_unit, .rows = (uint32_t)ch->units,
            .row_bytes = (uint32_t)vw->row_bytes, .T = T, .x_off = xb.elem, .y_off = yb.elem, .bias_off = bb.elem,
            .has_bias = bias != NULL, .rows_per_group = ROWS_PER_GROUP, .fast = rows_fast(vw, w->in, xb.elem),
        };
        if (v->row_per_invocation) {
            /* 4 rows an invocation; with several tokens and split rows, 4 tokens too (one dequantization for the four) */
            p.rows_per_group = T >= 4 && vw->type >= MT_VK_SPLIT_TYPE && p.fast ? 4 : 1;
            uint32_t spec[2] = { vw->type, broadcast(v) };
            vk_dispatch(v, MT_VK_MATMUL_ROWS, spec, binds, &p, div_up(ch->units, ROWS_WORKGROUP * 4), div_up(T, p.rows_per_group), 1);
        } else {
            uint32_t spec[2] = { vw->type, MATMUL_WIDTH };
            vk_dispatch(v, MT_VK_MATMUL, spec, binds, &p, div_up(ch->units, ROWS_PER_GROUP), div_up(T, TOKEN_TILE), 1);
        }
    }
}

static void be_rope(mt_backend *b, mt_ten x, uint32_t T, uint32_t n_heads, uint32_t half, mt_ten cs) {
    vk_backend *v = (vk_backend *)b;
    vk_bind binds[2] = { vk_bind_ten(v, x), vk_bind_ten(v, cs) };
    mt_push_rope p = { n_heads, half, binds[0].elem, binds[1].elem };
    vk_dispatch(v, MT_VK_ROPE, NULL, binds, &p, div_up((uint64_t)n_heads * half, 64), T, 1);
}

static void be_attention(mt_backend *b, const mt_attention_args *a) {
    vk_backend *v = (vk_backend *)b;
    /* invocations per (head, token): as many as the shared memory holds, up to 32 */
    uint32_t width = 32, shared = v->vk.info[v->vk.chosen].max_shared_bytes;
    while (width > 1 && (uint64_t)width * (a->head_dim + 2) * 4 > shared) width /= 2;
    vk_bind binds[5] = { vk_bind_ten(v, a->q), vk_bind_ten(v, a->k), vk_bind_ten(v, a->v), vector(v, a->sinks, "sinks"), vk_bind_ten(v, a->out) };
    mt_push_attention p = { a->pos0, a->n_head, a->n_kv, a->window, binds[0].elem, binds[1].elem, binds[2].elem, binds[3].elem, binds[4].elem, a->scale, a->alone };
    uint32_t spec[2] = { width, a->head_dim };
    vk_dispatch(v, MT_VK_ATTENTION, spec, binds, &p, a->n_head, a->T, 1);
}

static void be_add(mt_backend *b, mt_ten a, mt_ten bb, mt_ten out, uint32_t T, uint32_t d, mt_ten norms, int norm_a, int norm_b) {
    vk_backend *v = (vk_backend *)b;
    vk_bind binds[4] = { vk_bind_ten(v, a), vk_bind_ten(v, bb), vk_bind_ten(v, out), vk_bind_ten(v, norms) };
    mt_push_add p = { d, binds[0].elem, binds[1].elem, binds[2].elem, binds[3].elem, norm_a < 0 ? 3u : (uint32_t)norm_a, norm_b < 0 ? 3u : (uint32_t)norm_b };
    vk_dispatch(v, MT_VK_ADD, NULL, binds, &p, T, 1, 1);
}

static void be_route(mt_backend *b, mt_ten z, uint32_t layer, uint32_t model_k, uint32_t T, uint32_t E, const mt_route_out *o) {
    vk_backend *v = (vk_backend *)b;
    vk_bind binds[6] = { vk_bind_ten(v, z), vk_bind_buf(v, v->iv), vk_bind_ten(v, o->experts), vk_bind_ten(v, o->weights),
                         vk_bind_ten(v, o->n_sel), vk_bind_ten(v, o->margin) };
    mt_push_route p = { T, E, model_k, layer, v->iv_host.n_layer, binds[0].elem, binds[2].elem, binds[3].elem, binds[4].elem, binds[5].elem };
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
    vk_bind sel = vk_bind_ten(v, a->route.experts), wts = vk_bind_ten(v, a->route.weights), nsel = vk_bind_ten(v, a->route.n_sel);
    vk_bind plan = vk_bind_buf(v, v->plan), iv = vk_bind_buf(v, v->iv), h = vk_bind_ten(v, a->h);
    vk_bind g = vk_bind_buf(v, v->gate), u = vk_bind_buf(v, v->up), ys = vk_bind_buf(v, v->ys), out = vk_bind_ten(v, a->out);
    {
        vk_bind binds[5] = { sel, wts, nsel, iv, plan };
        uint32_t rows_per_group = v->row_per_invocation ? ROWS_WORKGROUP * 4 : ROWS_PER_GROUP; /* rows a workgroup of the products takes */
        mt_push_moe_plan p = { T, E, a->layer, v->iv_host.n_layer, epc, n_chunks, div_up(a->ff, rows_per_group), div_up(a->d, rows_per_group),
                               sel.elem, wts.elem, nsel.elem };
        vk_dispatch(v, MT_VK_MOE_PLAN, NULL, binds, &p, 1, 1, 1);
    }
    /* gate and up: rows of ff from each token's h; then the activation in place in gate */
    const vk_weight *gu[2] = { gate, up };
    const float *gu_bias[2] = { w->gate_bias, w->up_bias };
    vk_bind gu_out[2] = { g, u };
    for (int which = 0; which < 2; which++)
        for (uint32_t c = 0; c < n_chunks; c++) {
            vk_bind binds[5] = { vk_bind_buf(v, gu[which]->chunks[c].buf), h, vector(v, gu_bias[which], "expert bias"), gu_out[which], plan };
            mt_push_moe_matmul p = { (uint32_t)w->gate.in, a->ff, (uint32_t)gu[which]->row_bytes, (uint32_t)gu[which]->unit_bytes, E, T, c, c * epc, 1,
                                     h.elem, binds[2].elem, ROWS_PER_GROUP, rows_fast(gu[which], w->gate.in, h.elem) };
            uint32_t spec[2] = { gu[which]->type, v->row_per_invocation ? broadcast(v) : MATMUL_WIDTH };
            vk_dispatch_indirect(v, v->row_per_invocation ? MT_VK_MOE_MATMUL_ROWS : MT_VK_MOE_MATMUL, spec, binds, &p, v->plan,
                                 (mt_plan_indirect(E) + c * 3ull) * 4);
        }
    {
        vk_bind binds[3] = { g, u, plan };
        mt_push_swiglu p = { a->ff, E };
        uint64_t groups = div_up(entries * a->ff, 64);
        uint32_t gx = groups < 65535 ? (uint32_t)groups : 65535u;
        vk_dispatch(v, MT_VK_SWIGLU, NULL, binds, &p, gx, div_up(groups, gx), 1);
    }
    /* down: rows of d from each entry's activation, times the entry's weight */
    for (uint32_t c = 0; c < n_chunks; c++) {
        vk_bind binds[5] = { vk_bind_buf(v, down->chunks[c].buf), g, vector(v, w->down_bias, "expert bias"), ys, plan };
        mt_push_moe_matmul p = { a->ff, a->d, (uint32_t)down->row_bytes, (uint32_t)down->unit_bytes, E, T, c, c * epc, 0, 0, binds[2].elem, ROWS_PER_GROUP,
                                 rows_fast(down, a->ff, 0) };
        uint32_t spec[2] = { down->type, v->row_per_invocation ? broadcast(v) : MATMUL_WIDTH };
        vk_dispatch_indirect(v, v->row_per_invocation ? MT_VK_MOE_MATMUL_ROWS : MT_VK_MOE_MATMUL, spec, binds, &p, v->plan,
                             (mt_plan_indirect(E) + (MT_MOE_MAX_CHUNKS + c) * 3ull) * 4);
    }
    {
        vk_bind binds[4] = { ys, nsel, plan, out };
        mt_push_moe_sum p = { a->d, E, T, nsel.elem, out.elem };
        vk_dispatch(v, MT_VK_MOE_SUM, NULL, binds, &p, div_up(a->d, 64), T, 1);
    }
    return true;
}

void vk_ops_install(mt_backend *b) {
    b->prepare = be_prepare;
    b->set_interventions = be_set_interventions;
    b->embed = be_embed;
    b->rmsnorm = be_rmsnorm;
    b->matmul = be_matmul;
    b->rope = be_rope;
    b->attention = be_attention;
    b->attention_alone = true;
    b->add = be_add;
    b->route = be_route;
    b->moe = be_moe;
}
