/* The model's weights on the device: uploaded once by prepare(), each
 * tensor split into chunks of whole rows (experts, for expert tensors) that
 * fit the device's storage-buffer range and allocation limit, found again by
 * the model's own pointer, in the file's own formats: the shaders read F32,
 * F16, BF16, Q8_0, MXFP4, Q4_0, Q4_K, Q5_K and Q6_K blocks in place (Q8_0,
 * MXFP4, Q4_0 and Q6_K rows split for CPU devices, see split_row), so the
 * device holds the file's bytes (and at most 14 of padding a split row). A
 * type a CPU dequantizer gains before a shader reads it would be expanded to
 * F16 on the way, with a notice (none is, today). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../half.h"
#include "../quant.h"
#include "vk_internal.h"
#include "vk_push.h"

static bool device_reads(uint32_t type) {
    switch (type) {
    case MT_TYPE_F32: case MT_TYPE_F16: case MT_TYPE_BF16: case MT_TYPE_Q8_0: case MT_TYPE_MXFP4: /* weights_read.glsl */
    case MT_TYPE_Q4_0: case MT_TYPE_Q4_K: case MT_TYPE_Q5_K: case MT_TYPE_Q6_K: return true; /* kquants.glsl */
    default: return false;
    }
}

/* A tensor to upload: units of unit_bytes (as stored in the file) */
typedef struct pending {
    const void *host;
    uint32_t type;
    uint64_t in, rows_per_unit, units; /* in: row length in elements (for expansion) */
    uint64_t row_bytes, unit_bytes;
    bool expert;
    bool split; /* Q8_0 / MXFP4 / Q4_0 / Q6_K rows laid out for CPU devices (see split_row) */
    const uint8_t *const *expert_data; /* one tensor per expert in the file (mt_weight): gathered by fill() */
} pending;

typedef struct plan_list {
    pending *items;
    size_t n, cap;
} plan_list;

static bool add(plan_list *p, pending item) {
    if (!item.host) return true;
    for (size_t i = 0; i < p->n; i++)
        if (p->items[i].host == item.host) return true; /* tied weights: once */
    if (p->n == p->cap) {
        size_t cap = p->cap ? 2 * p->cap : 64;
        pending *grown = realloc(p->items, cap * sizeof *grown);
        if (!grown) return false;
        p->items = grown;
        p->cap = cap;
    }
    p->items[p->n++] = item;
    return true;
}

static bool add_vector(plan_list *p, const float *v, uint64_t n) {
    pending item = { v, MT_TYPE_F32, n, 1, 1, n * 4, n * 4, false, false, NULL };
    return add(p, item);
}

static bool add_weight(plan_list *p, const mt_weight *w, uint64_t n_expert) {
    pending item = { w->data, w->type, w->in, n_expert ? w->out : 1, n_expert ? n_expert : w->out, w->row_bytes,
                     n_expert ? w->expert_bytes : w->row_bytes, n_expert != 0, false, w->expert_data };
    return add(p, item);
}

static bool list_model(plan_list *p, const mt_model *m) {
    const mt_hparams *hp = &m->hp;
    uint64_t d = hp->d_model, qw = (uint64_t)hp->n_head * hp->head_dim, kvw = (uint64_t)hp->n_kv * hp->head_dim, E = hp->n_expert, ff = hp->ff;
    /* the token embedding stays in host memory (vk_ops.c's embed uploads a batch's rows), unless the
     * output head shares it; gpt-oss-20b's is 201k rows, 0.6 GB the device would hold for nothing */
    bool ok = (m->token_embd.data != m->output.data || add_weight(p, &m->token_embd, 0)) && add_vector(p, m->output_norm, d) &&
              add_weight(p, &m->output, 0);
    /* q/k norms (family.h): one weight of head_dim for every head, or one over the whole q and k */
    bool per_head = m->family->qk_norm == MT_QK_NORM_HEAD;
    for (uint32_t l = 0; ok && l < hp->n_layer; l++) {
        const mt_layer_weights *w = &m->layers[l];
        ok = add_vector(p, w->q_norm, per_head ? hp->head_dim : qw) && add_vector(p, w->k_norm, per_head ? hp->head_dim : kvw);
        ok = ok && add_vector(p, w->attn_norm, d) && add_vector(p, w->post_attn_norm, d) && add_weight(p, &w->wq, 0) && add_weight(p, &w->wk, 0) &&
             add_weight(p, &w->wv, 0) && add_vector(p, w->bq, qw) && add_vector(p, w->bk, kvw) && add_vector(p, w->bv, kvw) &&
             add_weight(p, &w->wo, 0) && add_vector(p, w->bo, d) && add_vector(p, w->sinks, hp->n_head) && add_weight(p, &w->router, 0) &&
             add_vector(p, w->router_bias, E) && add_weight(p, &w->gate, E) && add_weight(p, &w->up, E) && add_weight(p, &w->down, E) &&
             add_vector(p, w->gate_bias, ff * E) && add_vector(p, w->up_bias, ff * E) && add_vector(p, w->down_bias, d * E);
    }
    return ok;
}

/* A row "split" for CPU devices (lavapipe): the blocks' scales first (2-byte
 * F16 d for Q8_0, Q4_0 and Q6_K, 1-byte E8M0 for MXFP4), padded to 16 bytes,
 * then the rest of each block in its order (32 bytes of Q8_0 quants, 16 of
 * MXFP4 or Q4_0 nibbles, Q6_K's 208 of ql, qh and scales), so that a block's
 * quants are aligned 16-byte loads instead of unaligned words: on a CPU
 * device every load is made lane by lane. Values and order are untouched.
 * Device type ids: the ggml id + MT_VK_SPLIT_TYPE (shaders/weights_read.glsl,
 * kquants.glsl). */
typedef struct split_form {
    uint32_t type, block, block_bytes; /* elements and bytes of a block (a super-block for Q6_K) */
    uint32_t scale_at, scale_bytes;    /* its scale; the other block_bytes - scale_bytes bytes are the quants, in order */
} split_form;

static const split_form SPLIT_FORMS[] = {
    { MT_TYPE_Q8_0, 32, 34, 0, 2 }, { MT_TYPE_MXFP4, 32, 17, 0, 1 }, { MT_TYPE_Q4_0, 32, 18, 0, 2 }, { MT_TYPE_Q6_K, 256, 210, 208, 2 },
};

static const split_form *split_form_of(uint32_t type) {
    for (size_t i = 0; i < sizeof SPLIT_FORMS / sizeof *SPLIT_FORMS; i++)
        if (SPLIT_FORMS[i].type == type) return &SPLIT_FORMS[i];
    return NULL;
}

static uint64_t split_scales_bytes(const pending *t) {
    const split_form *f = split_form_of(t->type);
    return (t->in / f->block * f->scale_bytes + 15) / 16 * 16;
}

static uint64_t device_row_bytes(const pending *t) {
    if (t->split) {
        const split_form *f = split_form_of(t->type);
        return split_scales_bytes(t) + t->in / f->block * (f->block_bytes - f->scale_bytes);
    }
    return device_reads(t->type) ? t->row_bytes : t->in * 2;
}

/* bytes of one unit on the device */
static uint64_t device_unit_bytes(const pending *t) {
    if (t->split || !device_reads(t->type)) return t->rows_per_unit * device_row_bytes(t);
    return t->unit_bytes;
}

static void split_row(const pending *t, const uint8_t *src, uint8_t *dst) {
    const split_form *f = split_form_of(t->type);
    uint64_t nb = t->in / f->block, scales = split_scales_bytes(t), quants = f->block_bytes - f->scale_bytes;
    memset(dst, 0, scales);
    for (uint64_t b = 0; b < nb; b++) {
        const uint8_t *blk = src + b * f->block_bytes;
        uint8_t *q = dst + scales + b * quants;
        memcpy(dst + b * f->scale_bytes, blk + f->scale_at, f->scale_bytes);
        memcpy(q, blk, f->scale_at); /* the bytes before the scale (Q6_K: all its quants) */
        memcpy(q + f->scale_at, blk + f->scale_at + f->scale_bytes, f->block_bytes - f->scale_at - f->scale_bytes); /* and after */
    }
}

/* Copies units [first, first + n) of t into dst (host memory), expanding to F16 where needed. */
static bool fill(const pending *t, uint64_t first, uint64_t n, uint8_t *dst) {
    if (t->expert_data) { /* experts stored one tensor each: gathered into the merged layout, unit (expert) by unit */
        pending one = *t;
        one.expert_data = NULL;
        for (uint64_t u = 0; u < n; u++) {
            one.host = t->expert_data[first + u];
            if (!fill(&one, 0, 1, dst + u * device_unit_bytes(t))) return false;
        }
        return true;
    }
    const uint8_t *src = (const uint8_t *)t->host + first * t->unit_bytes;
    if (t->split) {
        uint64_t out = device_row_bytes(t);
        for (uint64_t r = 0; r < n * t->rows_per_unit; r++) split_row(t, src + r * t->row_bytes, dst + r * out);
        return true;
    }
    if (device_reads(t->type)) {
        memcpy(dst, src, n * t->unit_bytes);
        return true;
    }
    float *row = malloc(t->in * sizeof *row);
    if (!row) return false;
    for (uint64_t r = 0; r < n * t->rows_per_unit; r++) {
        mt_dequant_row(t->type, src + r * t->row_bytes, row, (int64_t)t->in);
        for (uint64_t i = 0; i < t->in; i++) {
            uint16_t h = mt_f32_to_f16(row[i]);
            memcpy(dst + (r * t->in + i) * 2, &h, 2);
        }
    }
    free(row);
    return true;
}

/* Writes bytes into a device buffer: directly where it is mapped, else
 * through a host-visible staging buffer piece by piece. */
static bool upload(vk_backend *v, const pending *t, uint64_t first, uint64_t n, mt_buf *dst, mt_err *err) {
    uint64_t unit = device_unit_bytes(t);
    if (dst->host) {
        if (!fill(t, first, n, dst->host)) goto oom;
        return true;
    }
    uint64_t per = (64ull << 20) / unit;
    if (per == 0) per = 1;
    if (per > n) per = n;
    mt_buf *stage = vk_buf_new(v, per * unit, true);
    if (!stage) goto oom;
    for (uint64_t u = 0; u < n; u += per) {
        uint64_t k = n - u < per ? n - u : per, ticket;
        if (!fill(t, first + u, k, stage->host)) {
            vk_buf_free(v, stage);
            goto oom;
        }
        v->base.copy(&v->base, mt_ten_at(dst, u * unit), mt_ten_at(stage, 0), k * unit);
        if (!v->base.submit(&v->base, &ticket, err) || !v->base.wait(&v->base, ticket, err)) {
            vk_buf_free(v, stage);
            return false;
        }
    }
    vk_buf_free(v, stage);
    return true;
oom:
    mt_err_set(err, "%s: out of memory uploading the weights", v->base.device);
    return false;
}

const vk_weight *vk_find(vk_backend *v, const void *host) {
    for (size_t i = 0; i < v->n_weights; i++)
        if (v->weights[i].host == host) return &v->weights[i];
    return NULL;
}

void vk_free_weights(vk_backend *v) {
    for (size_t i = 0; i < v->n_weights; i++) {
        for (uint32_t c = 0; c < v->weights[i].n_chunks; c++) vk_buf_free(v, v->weights[i].chunks[c].buf);
        free(v->weights[i].chunks);
    }
    free(v->weights);
    v->weights = NULL;
    v->n_weights = 0;
    v->model = NULL;
}

bool vk_upload_model(vk_backend *v, const mt_model *m, mt_err *err) {
    plan_list p = { 0 };
    if (!list_model(&p, m)) {
        free(p.items);
        mt_err_set(err, "out of memory");
        return false;
    }
    uint64_t span = v->base.max_bind_bytes - 16, need = 0, expanded = 0;
    /* one expert count per chunk for every expert tensor: one MoE plan serves them all */
    uint64_t per_chunk = UINT32_MAX;
    for (size_t i = 0; i < p.n; i++) {
        p.items[i].split = v->kernels.rows && split_form_of(p.items[i].type) != NULL;
        uint64_t unit = device_unit_bytes(&p.items[i]);
        if (unit > span) {
            mt_err_set(err, "%s: one %s of a weight is %llu bytes, more than the %llu the device addresses at once", v->base.device,
                       p.items[i].expert ? "expert" : "row", (unsigned long long)unit, (unsigned long long)span);
            free(p.items);
            return false;
        }
        if (p.items[i].expert && span / unit < per_chunk) per_chunk = span / unit;
        need += unit * p.items[i].units;
        if (!device_reads(p.items[i].type)) expanded++;
    }
    uint64_t avail = v->vk.info[v->vk.chosen].device_local_bytes;
    if (v->simulated_memory_limit) avail = v->simulated_memory_limit;
    /* the session's own buffers come on top; keep a margin of an eighth */
    if (need > avail - avail / 8) {
        mt_err_set(err, "the model needs %.1f MiB of device memory and %s has %.1f MiB (less an eighth kept for the session)",
                   (double)need / (1 << 20), v->base.device, (double)avail / (1 << 20));
        free(p.items);
        return false;
    }
    if (per_chunk > m->hp.n_expert) per_chunk = m->hp.n_expert;
    v->experts_per_chunk = (uint32_t)per_chunk;
    if ((m->hp.n_expert + per_chunk - 1) / per_chunk > MT_MOE_MAX_CHUNKS) {
        mt_err_set(err, "%s: the experts of a layer need more than 16 chunks of %llu MiB", v->base.device, (unsigned long long)(span >> 20));
        free(p.items);
        return false;
    }
    if (expanded)
        mt_backend_notice(&v->base, "%zu weight tensor%s of types the shaders do not read %s expanded to F16 on %s", expanded,
                          expanded == 1 ? "" : "s", expanded == 1 ? "is" : "are", v->base.device);
    v->weights = calloc(p.n, sizeof *v->weights);
    bool ok = v->weights != NULL;
    for (size_t i = 0; ok && i < p.n; i++) {
        const pending *t = &p.items[i];
        vk_weight *w = &v->weights[v->n_weights++];
        uint64_t unit = device_unit_bytes(t), per = t->expert ? per_chunk : span / unit;
        w->host = t->host;
        w->type = t->split ? t->type + MT_VK_SPLIT_TYPE : device_reads(t->type) ? t->type : MT_TYPE_F16;
        w->row_bytes = device_row_bytes(t);
        w->unit_bytes = unit;
        w->n_chunks = (uint32_t)((t->units + per - 1) / per);
        w->chunks = calloc(w->n_chunks, sizeof *w->chunks);
        ok = w->chunks != NULL;
        for (uint32_t c = 0; ok && c < w->n_chunks; c++) {
            vk_chunk *ch = &w->chunks[c];
            ch->first_unit = c * per;
            ch->units = t->units - ch->first_unit < per ? t->units - ch->first_unit : per;
            ch->buf = vk_buf_new(v, ch->units * unit, false);
            if (!ch->buf) {
                mt_err_set(err, "%s: out of device memory for the weights (%.1f GiB needed)", v->base.device, (double)need / (1 << 30));
                ok = false;
            } else {
                ok = upload(v, t, ch->first_unit, ch->units, ch->buf, err);
            }
        }
    }
    free(p.items);
    uint64_t ticket;
    if (ok) ok = v->base.submit(&v->base, &ticket, err) && v->base.wait(&v->base, ticket, err);
    if (!ok) vk_free_weights(v);
    else v->model = m;
    return ok;
}
