#include "model.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "quant.h"

typedef struct binder {
    const mt_gguf *g;
    mt_model *m;
    mt_err *err;
    bool ok;
} binder;

__attribute__((format(printf, 2, 3))) static void fail(binder *b, const char *fmt, ...) {
    if (!b->ok) return; /* keep the first error */
    char why[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    mt_err_set(b->err, "%s: %s", mt_gguf_path(b->g), why);
    b->ok = false;
}

static uint32_t key_u32(binder *b, const char *name, bool required, uint32_t def) {
    char key[128];
    snprintf(key, sizeof key, "%s.%s", b->m->family->arch, name);
    const mt_gguf_kv *kv = mt_gguf_find(b->g, key);
    uint64_t v;
    if (!kv) {
        if (required) fail(b, "key '%s' is missing", key);
        return def;
    }
    if (!mt_gguf_value_u64(&kv->value, &v) || v > UINT32_MAX) {
        fail(b, "key '%s': a %s, not an unsigned integer", key, mt_gguf_type_name(kv->value.type));
        return def;
    }
    return (uint32_t)v;
}

static float key_f32(binder *b, const char *name, bool required, float def) {
    char key[128];
    snprintf(key, sizeof key, "%s.%s", b->m->family->arch, name);
    const mt_gguf_kv *kv = mt_gguf_find(b->g, key);
    double v;
    if (!kv) {
        if (required) fail(b, "key '%s' is missing", key);
        return def;
    }
    if (!mt_gguf_value_f64(&kv->value, &v) || !isfinite(v)) {
        fail(b, "key '%s': a %s, not a number", key, mt_gguf_type_name(kv->value.type));
        return def;
    }
    return (float)v;
}

static const mt_gguf_tensor *tensor(binder *b, const char *name, uint32_t n_dims, uint64_t n0, uint64_t n1, uint64_t n2) {
    if (!b->ok) return NULL;
    const mt_gguf_tensor *t = mt_gguf_find_tensor(b->g, name);
    if (!t) {
        fail(b, "tensor '%s' is missing", name);
        return NULL;
    }
    uint64_t want[3] = { n0, n1, n2 };
    bool ok = t->n_dims == n_dims;
    for (uint32_t d = 0; d < 3; d++) ok = ok && t->ne[d] == (d < n_dims ? want[d] : 1);
    if (!ok) {
        char shape[96];
        int n = snprintf(shape, sizeof shape, "[%llu", (unsigned long long)n0);
        for (uint32_t d = 1; d < n_dims; d++) n += snprintf(shape + n, sizeof shape - (size_t)n, ", %llu", (unsigned long long)want[d]);
        snprintf(shape + n, sizeof shape - (size_t)n, "]");
        fail(b, "tensor '%s' has shape [%llu, %llu, %llu] (dims %u), expected %s", name, (unsigned long long)t->ne[0],
             (unsigned long long)t->ne[1], (unsigned long long)t->ne[2], t->n_dims, shape);
        return NULL;
    }
    return t;
}

/* A vector parameter (norm, bias, sinks): F32 in the files llama.cpp writes. */
static const float *vec(binder *b, const char *name, uint32_t n_dims, uint64_t n0, uint64_t n1) {
    const mt_gguf_tensor *t = tensor(b, name, n_dims, n0, n1, 1);
    if (!t) return NULL;
    if (t->type != MT_TYPE_F32) {
        fail(b, "tensor '%s' is %s; moetop reads norms, biases and sinks as F32", name, mt_type_get(t->type)->name);
        return NULL;
    }
    return t->data;
}

static mt_weight matrix(binder *b, const char *name, uint64_t in, uint64_t out, uint64_t experts) {
    mt_weight w = { 0 };
    const mt_gguf_tensor *t = tensor(b, name, experts ? 3 : 2, in, out, experts ? experts : 1);
    if (!t) return w;
    const mt_type_info *info = mt_type_get(t->type);
    if (!info->can_dequant) {
        fail(b, "tensor '%s' is %s, which moetop cannot compute with yet (F32, F16, BF16, Q4_0, Q8_0, MXFP4, Q4_K, Q5_K, Q6_K)",
             name, info->name);
        return w;
    }
    w.data = t->data;
    w.type = t->type;
    w.in = in;
    w.out = out;
    w.row_bytes = mt_row_bytes(t->type, in);
    w.expert_bytes = w.row_bytes * out;
    b->m->weight_bytes += t->nbytes;
    return w;
}

static void read_hparams(binder *b) {
    mt_hparams *hp = &b->m->hp;
    mt_str arch = mt_gguf_get_str(b->g, "general.architecture", (mt_str){ NULL, 0 });
    if (!arch.ptr) {
        fail(b, "key 'general.architecture' is missing");
        return;
    }
    const mt_family *f = b->m->family = mt_family_find(arch);
    if (!f) {
        fail(b, "key 'general.architecture': '%.*s' is not supported (moetop runs %s)", (int)(arch.len > 40 ? 40 : arch.len), arch.ptr,
             mt_family_names());
        return;
    }
    hp->n_layer = key_u32(b, "block_count", true, 0);
    hp->n_ctx = key_u32(b, "context_length", true, 0);
    hp->d_model = key_u32(b, "embedding_length", true, 0);
    hp->n_head = key_u32(b, "attention.head_count", true, 0);
    /* llama.cpp's defaults where a family's files may leave them out: as many KV heads as
     * query heads, head_dim = width / heads (Mixtral's files have no key_length) */
    bool oss = strcmp(f->arch, "gpt-oss") == 0; /* its files always carry every key: required, as ever */
    hp->n_kv = key_u32(b, "attention.head_count_kv", oss, hp->n_head);
    hp->head_dim = key_u32(b, "attention.key_length", oss, hp->n_head ? hp->d_model / hp->n_head : 0);
    uint32_t value_length = key_u32(b, "attention.value_length", false, hp->head_dim);
    hp->rms_eps = key_f32(b, "attention.layer_norm_rms_epsilon", true, 1e-5f);
    hp->sliding_window = f->sliding_window ? key_u32(b, "attention.sliding_window", true, 0) : 0;
    char experts_key[64];
    snprintf(experts_key, sizeof experts_key, "%s.expert_count", f->arch);
    if (b->ok && f->need_experts && !mt_gguf_find(b->g, experts_key)) {
        fail(b, "key '%s.expert_count' is missing: a dense model (moetop explores mixture-of-experts models)", f->arch);
        return;
    }
    hp->n_expert = key_u32(b, "expert_count", true, 0);
    hp->k = key_u32(b, "expert_used_count", true, 0);
    hp->ff = key_u32(b, f->ff_key, true, 0);
    hp->rope_base = key_f32(b, "rope.freq_base", oss, 10000.0f); /* llama.cpp's default */
    uint32_t rope_dims = key_u32(b, "rope.dimension_count", false, hp->head_dim);
    hp->rope_factor = f->yarn ? key_f32(b, "rope.scaling.factor", false, 1.0f) : 1.0f;
    hp->rope_original_ctx = f->yarn ? key_u32(b, "rope.scaling.original_context_length", false, hp->n_ctx) : hp->n_ctx;
    hp->yarn_beta_fast = f->yarn ? key_f32(b, "rope.scaling.yarn_beta_fast", false, 32.0f) : 32.0f;
    hp->yarn_beta_slow = f->yarn ? key_f32(b, "rope.scaling.yarn_beta_slow", false, 1.0f) : 1.0f;
    if (!b->ok) return;
    const char *a = f->arch;
    if (value_length != hp->head_dim) fail(b, "key '%s.attention.value_length': %u differs from key_length %u", a, value_length, hp->head_dim);
    else if (!hp->n_layer || !hp->d_model || !hp->n_head || !hp->n_kv || !hp->head_dim || !hp->n_expert || !hp->ff || !hp->n_ctx)
        fail(b, "a %s size key is 0 (layers %u, width %u, heads %u/%u, head_dim %u, experts %u, ff %u, context %u)", a, hp->n_layer,
             hp->d_model, hp->n_head, hp->n_kv, hp->head_dim, hp->n_expert, hp->ff, hp->n_ctx);
    else if (hp->n_head % hp->n_kv) fail(b, "key '%s.attention.head_count': %u heads do not divide over %u KV heads", a, hp->n_head, hp->n_kv);
    else if (hp->k < 1 || hp->k > hp->n_expert) fail(b, "key '%s.expert_used_count': %u is outside 1..%u", a, hp->k, hp->n_expert);
    else if (hp->head_dim % 2) fail(b, "key '%s.attention.key_length': %u is odd; RoPE rotates pairs", a, hp->head_dim);
    else if (rope_dims != hp->head_dim)
        fail(b, "key '%s.rope.dimension_count': %u; moetop rotates whole heads (%u)", a, rope_dims, hp->head_dim);
    else if (hp->n_layer > 1024 || hp->n_expert > 4096 || hp->head_dim > 1024 || hp->n_head > 4096)
        fail(b, "hyper-parameters out of range (layers %u, experts %u, heads %u of %u)", hp->n_layer, hp->n_expert, hp->n_head, hp->head_dim);
    else if (!(hp->rope_base > 1.0f) || !(hp->rope_factor >= 1.0f) || !(hp->rms_eps > 0.0f))
        fail(b, "RoPE base %g, scaling factor %g or RMS epsilon %g out of range", (double)hp->rope_base, (double)hp->rope_factor, (double)hp->rms_eps);
}

/* One expert weight of layer l ("gate", "up" or "down"): the merged
 * blk.l.ffn_<which>_exps.weight, or (where the family allows it and that is
 * absent) one blk.l.ffn_<which>.<e>.weight per expert, all of one type. */
static mt_weight expert_matrix(binder *b, uint32_t l, const char *which, uint64_t in, uint64_t out, const uint8_t **ptrs) {
    char merged[96], one[96];
    const mt_hparams *hp = &b->m->hp;
    snprintf(merged, sizeof merged, "blk.%u.ffn_%s_exps.weight", l, which);
    snprintf(one, sizeof one, "blk.%u.ffn_%s.0.weight", l, which);
    if (!b->ok || mt_gguf_find_tensor(b->g, merged) || !b->m->family->split_experts || !mt_gguf_find_tensor(b->g, one))
        return matrix(b, merged, in, out, hp->n_expert);
    mt_weight w = { 0 };
    for (uint32_t e = 0; e < hp->n_expert && b->ok; e++) {
        snprintf(one, sizeof one, "blk.%u.ffn_%s.%u.weight", l, which, e);
        mt_weight we = matrix(b, one, in, out, 0);
        if (!b->ok) break;
        if (e == 0) w = we;
        else if (we.type != w.type)
            fail(b, "tensor '%s' is %s but expert 0's is %s; moetop needs one type per expert weight", one, mt_type_get(we.type)->name,
                 mt_type_get(w.type)->name);
        ptrs[e] = we.data;
    }
    w.expert_data = ptrs;
    b->m->split_experts = true;
    return w;
}

mt_model *mt_model_load(const mt_gguf *g, mt_err *err) {
    mt_model *m = calloc(1, sizeof *m);
    if (!m) {
        mt_err_set(err, "%s: out of memory", mt_gguf_path(g));
        return NULL;
    }
    binder b = { g, m, err, true };
    read_hparams(&b);
    const mt_hparams *hp = &m->hp;
    const mt_gguf_tensor *embd = NULL;
    if (b.ok) {
        const mt_gguf_tensor *t = mt_gguf_find_tensor(g, "token_embd.weight");
        if (!t) fail(&b, "tensor 'token_embd.weight' is missing");
        else if (t->n_dims != 2 || t->ne[0] != hp->d_model || t->ne[1] > (1u << 24))
            fail(&b, "tensor 'token_embd.weight' has shape [%llu, %llu], expected [%u, vocabulary]", (unsigned long long)t->ne[0],
                 (unsigned long long)t->ne[1], hp->d_model);
        else embd = t;
    }
    if (b.ok) {
        m->hp.n_vocab = (uint32_t)embd->ne[1];
        m->token_embd = matrix(&b, "token_embd.weight", hp->d_model, hp->n_vocab, 0);
        m->output_norm = vec(&b, "output_norm.weight", 1, hp->d_model, 1);
        if (m->family->tied_output && !mt_gguf_find_tensor(g, "output.weight")) m->output = m->token_embd;
        else m->output = matrix(&b, "output.weight", hp->d_model, hp->n_vocab, 0);
        m->layers = calloc(hp->n_layer, sizeof *m->layers);
        m->expert_ptrs = calloc((size_t)hp->n_layer * 3 * hp->n_expert, sizeof *m->expert_ptrs);
        if (!m->layers || !m->expert_ptrs) fail(&b, "out of memory");
    }
    const mt_family *f = m->family;
    uint64_t d = hp->d_model, q = (uint64_t)hp->n_head * hp->head_dim, kv = (uint64_t)hp->n_kv * hp->head_dim;
    for (uint32_t l = 0; b.ok && l < hp->n_layer; l++) {
        mt_layer_weights *w = &m->layers[l];
        char n[96];
#define NAME(s) (snprintf(n, sizeof n, "blk.%u." s, l), n)
        w->attn_norm = vec(&b, NAME("attn_norm.weight"), 1, d, 1);
        snprintf(n, sizeof n, "blk.%u.%s.weight", l, f->moe_norm);
        w->post_attn_norm = vec(&b, n, 1, d, 1);
        /* in llama.cpp's order, so the first missing tensor named is the same as before */
        const char *bias_names[] = { "attn_q.bias", "attn_k.bias", "attn_v.bias" };
        mt_weight *qkv[] = { &w->wq, &w->wk, &w->wv };
        const float **qkv_bias[] = { &w->bq, &w->bk, &w->bv };
        const char *qkv_names[] = { "attn_q.weight", "attn_k.weight", "attn_v.weight" };
        for (int i = 0; i < 3; i++) {
            snprintf(n, sizeof n, "blk.%u.%s", l, qkv_names[i]);
            *qkv[i] = matrix(&b, n, d, i ? kv : q, 0);
            snprintf(n, sizeof n, "blk.%u.%s", l, bias_names[i]);
            if (f->biases) *qkv_bias[i] = vec(&b, n, 1, i ? kv : q, 1);
        }
        w->wo = matrix(&b, NAME("attn_output.weight"), q, d, 0);
        if (f->biases) w->bo = vec(&b, NAME("attn_output.bias"), 1, d, 1);
        if (f->qk_norm != MT_QK_NORM_NONE) {
            bool head = f->qk_norm == MT_QK_NORM_HEAD;
            w->q_norm = vec(&b, NAME("attn_q_norm.weight"), 1, head ? hp->head_dim : q, 1);
            w->k_norm = vec(&b, NAME("attn_k_norm.weight"), 1, head ? hp->head_dim : kv, 1);
        }
        if (f->sinks) w->sinks = vec(&b, NAME("attn_sinks.weight"), 1, hp->n_head, 1);
        w->router = matrix(&b, NAME("ffn_gate_inp.weight"), d, hp->n_expert, 0);
        if (f->biases) w->router_bias = vec(&b, NAME("ffn_gate_inp.bias"), 1, hp->n_expert, 1);
        const uint8_t **ptrs = m->expert_ptrs + (size_t)l * 3 * hp->n_expert;
        w->gate = expert_matrix(&b, l, "gate", d, hp->ff, ptrs);
        if (f->biases) w->gate_bias = vec(&b, NAME("ffn_gate_exps.bias"), 2, hp->ff, hp->n_expert);
        w->up = expert_matrix(&b, l, "up", d, hp->ff, ptrs + hp->n_expert);
        if (f->biases) w->up_bias = vec(&b, NAME("ffn_up_exps.bias"), 2, hp->ff, hp->n_expert);
        w->down = expert_matrix(&b, l, "down", hp->ff, d, ptrs + 2 * hp->n_expert);
        if (f->biases) w->down_bias = vec(&b, NAME("ffn_down_exps.bias"), 2, d, hp->n_expert);
#undef NAME
    }
    if (!b.ok) {
        mt_model_free(m);
        return NULL;
    }
    return m;
}

void mt_model_free(mt_model *m) {
    if (!m) return;
    free(m->layers);
    free(m->expert_ptrs);
    free(m);
}

const char *mt_model_lacks(const mt_model *m, uint32_t caps, char *buf, size_t size) {
    if (mt_family_lacks(m->family, caps, buf, size)) return buf;
    if (m->split_experts && !(caps & MT_CAP_SPLIT_EXPERTS)) {
        snprintf(buf, size, "the experts are stored one tensor each (blk.N.ffn_gate.E.weight), which this backend does not read");
        return buf;
    }
    return NULL;
}

static uint64_t matrix_bytes(const mt_weight *w) { return w->out * w->row_bytes; }
static uint64_t floats(const float *v, uint64_t n) { return v ? n * sizeof(float) : 0; }

uint64_t mt_model_decode_bytes(const mt_model *m) {
    const mt_hparams *hp = &m->hp;
    uint64_t d = hp->d_model, q = (uint64_t)hp->n_head * hp->head_dim, kv = (uint64_t)hp->n_kv * hp->head_dim;
    bool head = m->family->qk_norm == MT_QK_NORM_HEAD;
    uint64_t sum = 0;
    for (uint32_t l = 0; l < hp->n_layer; l++) {
        const mt_layer_weights *w = &m->layers[l];
        sum += floats(w->attn_norm, d) + floats(w->post_attn_norm, d);
        sum += matrix_bytes(&w->wq) + matrix_bytes(&w->wk) + matrix_bytes(&w->wv) + matrix_bytes(&w->wo);
        sum += floats(w->bq, q) + floats(w->bk, kv) + floats(w->bv, kv) + floats(w->bo, d);
        sum += floats(w->q_norm, head ? hp->head_dim : q) + floats(w->k_norm, head ? hp->head_dim : kv);
        sum += floats(w->sinks, hp->n_head);
        sum += matrix_bytes(&w->router) + floats(w->router_bias, hp->n_expert);
        uint64_t expert = w->gate.expert_bytes + w->up.expert_bytes + w->down.expert_bytes;
        expert += floats(w->gate_bias, hp->ff) + floats(w->up_bias, hp->ff) + floats(w->down_bias, d);
        sum += (uint64_t)hp->k * expert;
    }
    sum += floats(m->output_norm, d) + matrix_bytes(&m->output);
    if (m->output.data != m->token_embd.data) sum += m->token_embd.row_bytes;
    return sum;
}
