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
    snprintf(key, sizeof key, "gpt-oss.%s", name);
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
    snprintf(key, sizeof key, "gpt-oss.%s", name);
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

/* A vector parameter (norm, bias, sinks): always F32 in gpt-oss files. */
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
    if (!mt_str_eq(arch, "gpt-oss")) {
        fail(b, "key 'general.architecture': '%.*s' is not supported yet (gpt-oss is)", (int)(arch.len > 40 ? 40 : arch.len), arch.ptr);
        return;
    }
    hp->n_layer = key_u32(b, "block_count", true, 0);
    hp->n_ctx = key_u32(b, "context_length", true, 0);
    hp->d_model = key_u32(b, "embedding_length", true, 0);
    hp->n_head = key_u32(b, "attention.head_count", true, 0);
    hp->n_kv = key_u32(b, "attention.head_count_kv", true, 0);
    hp->head_dim = key_u32(b, "attention.key_length", true, 0);
    uint32_t value_length = key_u32(b, "attention.value_length", false, hp->head_dim);
    hp->rms_eps = key_f32(b, "attention.layer_norm_rms_epsilon", true, 1e-5f);
    hp->sliding_window = key_u32(b, "attention.sliding_window", true, 0);
    hp->n_expert = key_u32(b, "expert_count", true, 0);
    hp->k = key_u32(b, "expert_used_count", true, 0);
    hp->ff = key_u32(b, "expert_feed_forward_length", true, 0);
    hp->rope_base = key_f32(b, "rope.freq_base", true, 0);
    hp->rope_factor = key_f32(b, "rope.scaling.factor", false, 1.0f);
    hp->rope_original_ctx = key_u32(b, "rope.scaling.original_context_length", false, hp->n_ctx);
    hp->yarn_beta_fast = key_f32(b, "rope.scaling.yarn_beta_fast", false, 32.0f);
    hp->yarn_beta_slow = key_f32(b, "rope.scaling.yarn_beta_slow", false, 1.0f);
    if (!b->ok) return;
    if (value_length != hp->head_dim) fail(b, "key 'gpt-oss.attention.value_length': %u differs from key_length %u", value_length, hp->head_dim);
    else if (!hp->n_layer || !hp->d_model || !hp->n_head || !hp->n_kv || !hp->head_dim || !hp->n_expert || !hp->ff || !hp->n_ctx)
        fail(b, "a gpt-oss size key is 0 (layers %u, width %u, heads %u/%u, head_dim %u, experts %u, ff %u, context %u)", hp->n_layer,
             hp->d_model, hp->n_head, hp->n_kv, hp->head_dim, hp->n_expert, hp->ff, hp->n_ctx);
    else if (hp->n_head % hp->n_kv) fail(b, "key 'gpt-oss.attention.head_count': %u heads do not divide over %u KV heads", hp->n_head, hp->n_kv);
    else if (hp->k < 1 || hp->k > hp->n_expert) fail(b, "key 'gpt-oss.expert_used_count': %u is outside 1..%u", hp->k, hp->n_expert);
    else if (hp->head_dim % 2) fail(b, "key 'gpt-oss.attention.key_length': %u is odd; RoPE rotates pairs", hp->head_dim);
    else if (hp->n_layer > 1024 || hp->n_expert > 4096 || hp->head_dim > 1024 || hp->n_head > 4096)
        fail(b, "hyper-parameters out of range (layers %u, experts %u, heads %u of %u)", hp->n_layer, hp->n_expert, hp->n_head, hp->head_dim);
    else if (!(hp->rope_base > 1.0f) || !(hp->rope_factor >= 1.0f) || !(hp->rms_eps > 0.0f))
        fail(b, "RoPE base %g, scaling factor %g or RMS epsilon %g out of range", (double)hp->rope_base, (double)hp->rope_factor, (double)hp->rms_eps);
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
        m->output = matrix(&b, "output.weight", hp->d_model, hp->n_vocab, 0);
        m->layers = calloc(hp->n_layer, sizeof *m->layers);
        if (!m->layers) fail(&b, "out of memory");
    }
    uint64_t d = hp->d_model, q = (uint64_t)hp->n_head * hp->head_dim, kv = (uint64_t)hp->n_kv * hp->head_dim;
    for (uint32_t l = 0; b.ok && l < hp->n_layer; l++) {
        mt_layer_weights *w = &m->layers[l];
        char n[96];
#define NAME(s) (snprintf(n, sizeof n, "blk.%u." s, l), n)
        w->attn_norm = vec(&b, NAME("attn_norm.weight"), 1, d, 1);
        w->post_attn_norm = vec(&b, NAME("post_attention_norm.weight"), 1, d, 1);
        w->wq = matrix(&b, NAME("attn_q.weight"), d, q, 0);
        w->bq = vec(&b, NAME("attn_q.bias"), 1, q, 1);
        w->wk = matrix(&b, NAME("attn_k.weight"), d, kv, 0);
        w->bk = vec(&b, NAME("attn_k.bias"), 1, kv, 1);
        w->wv = matrix(&b, NAME("attn_v.weight"), d, kv, 0);
        w->bv = vec(&b, NAME("attn_v.bias"), 1, kv, 1);
        w->wo = matrix(&b, NAME("attn_output.weight"), q, d, 0);
        w->bo = vec(&b, NAME("attn_output.bias"), 1, d, 1);
        w->sinks = vec(&b, NAME("attn_sinks.weight"), 1, hp->n_head, 1);
        w->router = matrix(&b, NAME("ffn_gate_inp.weight"), d, hp->n_expert, 0);
        w->router_bias = vec(&b, NAME("ffn_gate_inp.bias"), 1, hp->n_expert, 1);
        w->gate = matrix(&b, NAME("ffn_gate_exps.weight"), d, hp->ff, hp->n_expert);
        w->gate_bias = vec(&b, NAME("ffn_gate_exps.bias"), 2, hp->ff, hp->n_expert);
        w->up = matrix(&b, NAME("ffn_up_exps.weight"), d, hp->ff, hp->n_expert);
        w->up_bias = vec(&b, NAME("ffn_up_exps.bias"), 2, hp->ff, hp->n_expert);
        w->down = matrix(&b, NAME("ffn_down_exps.weight"), hp->ff, d, hp->n_expert);
        w->down_bias = vec(&b, NAME("ffn_down_exps.bias"), 2, d, hp->n_expert);
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
    free(m);
}
