#include "synth.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "family.h"
#include "gguf_write.h"
#include "quant.h"
#include "rng.h"
#include "synth_vocab.h"

mt_synth_spec mt_synth_default_spec(void) {
    mt_synth_spec s = {
        .name = "moetop-synth", .seed = 1,
        .n_layer = 4, .d_model = 256, .n_head = 4, .n_kv = 2, .head_dim = 64,
        .n_expert = 8, .k = 2, .ff = 128, .swa = 16, .context_length = 4096,
        .rope_base = 150000.0f, .rope_factor = 32.0f, .rope_original_context = 4096,
        .vocab_base = 1024,
        .type_embd = MT_TYPE_Q8_0, .type_output = MT_TYPE_Q8_0, .type_attn = MT_TYPE_Q8_0,
        .type_router = MT_TYPE_F32, .type_experts = MT_TYPE_MXFP4,
    };
    return s;
}

bool mt_synth_preset(const char *name, mt_synth_spec *spec) {
    mt_synth_spec s = mt_synth_default_spec();
    if (strcmp(name, "a") == 0) {
        /* the default is fixture a's shape */
    } else if (strcmp(name, "b") == 0) {
        s.seed = 7; s.n_layer = 3; s.d_model = 192; s.n_head = 3; s.n_kv = 1; s.n_expert = 32; s.k = 4;
        s.ff = 96; s.swa = 32; s.vocab_base = 2048;
        s.type_embd = MT_TYPE_BF16; s.type_output = MT_TYPE_F16; s.type_attn = MT_TYPE_BF16;
    } else if (strcmp(name, "c") == 0) {
        s.seed = 11; s.n_layer = 3; s.d_model = 192; s.n_head = 8; s.n_kv = 2; s.n_expert = 16; s.k = 4;
        s.ff = 96; s.swa = 20; s.type_embd = MT_TYPE_F16;
    } else if (strcmp(name, "tiny") == 0) {
        s.n_layer = 2; s.d_model = 64; s.n_head = 2; s.n_kv = 1; s.head_dim = 32; s.n_expert = 4; s.k = 2;
        s.ff = 64; s.swa = 8; s.vocab_base = 256;
    } else if (strcmp(name, "gpt-oss-20b") == 0) {
        s.n_layer = 24; s.d_model = 2880; s.n_head = 64; s.n_kv = 8; s.head_dim = 64; s.n_expert = 32; s.k = 4;
        s.ff = 2880; s.swa = 128; s.context_length = 131072; s.vocab_base = 199998;
    } else {
        return false;
    }
    s.name = spec->name ? spec->name : s.name;
    *spec = s;
    return true;
}

static bool positive(uint32_t v, const char *field, mt_err *err) {
    if (v == 0) mt_err_set(err, "%s: must be at least 1", field);
    return v != 0;
}

static bool writable_type(uint32_t type, uint64_t row, const char *field, mt_err *err) {
    const mt_type_info *info = mt_type_get(type);
    if (!info || !info->can_quantize) {
        mt_err_set(err, "%s: type %s cannot be written (F32, F16, BF16, Q8_0 and MXFP4 can)", field, info ? info->name : "?");
        return false;
    }
    if (row % info->block_size) {
        mt_err_set(err, "%s: rows of %llu elements are not a multiple of %s's block of %u", field, (unsigned long long)row,
                   info->name, info->block_size);
        return false;
    }
    return true;
}

/* The spec's family (gpt-oss without arch); NULL for an architecture moetop does not run. */
static const mt_family *spec_family(const mt_synth_spec *s) {
    const char *arch = s->arch ? s->arch : "gpt-oss";
    return mt_family_find((mt_str){ arch, strlen(arch) });
}

bool mt_synth_check(const mt_synth_spec *s, mt_err *err) {
    const mt_family *f = spec_family(s);
    if (!f) {
        mt_err_set(err, "--arch: '%s' is not an architecture moetop runs (%s)", s->arch, mt_family_names());
        return false;
    }
    if (s->split_experts && !f->split_experts) {
        mt_err_set(err, "--split-experts: only Mixtral (llama) files store one tensor per expert");
        return false;
    }
    if (!positive(s->n_layer, "--layers", err) || !positive(s->d_model, "--d-model", err) ||
        !positive(s->n_head, "--heads", err) || !positive(s->n_kv, "--kv-heads", err) ||
        !positive(s->head_dim, "--head-dim", err) || !positive(s->n_expert, "--experts", err) ||
        !positive(s->k, "--k", err) || !positive(s->ff, "--ff", err) || (f->sliding_window && !positive(s->swa, "--swa", err)) ||
        !positive(s->context_length, "--context", err))
        return false;
    if (s->n_head % s->n_kv) {
        mt_err_set(err, "--heads: %u query heads do not divide evenly over %u KV heads", s->n_head, s->n_kv);
        return false;
    }
    if (s->k > s->n_expert) {
        mt_err_set(err, "--k: %u is more than the %u experts", s->k, s->n_expert);
        return false;
    }
    if (s->head_dim % 2) {
        mt_err_set(err, "--head-dim: %u is odd; RoPE rotates pairs", s->head_dim);
        return false;
    }
    if (s->vocab_base < 1 || s->vocab_base > 1000000) {
        mt_err_set(err, "--vocab-base: %u is outside 1..1000000", s->vocab_base);
        return false;
    }
    if (!s->vocab_from && s->vocab_base < 256) {
        mt_err_set(err, "--vocab-base: %u is below the 256 byte tokens (give --vocab FILE for a prefix of its vocabulary)", s->vocab_base);
        return false;
    }
    uint64_t qwidth = (uint64_t)s->n_head * s->head_dim;
    return writable_type(s->type_embd, s->d_model, "--types embd", err) &&
           writable_type(s->type_output, s->d_model, "--types output", err) &&
           writable_type(s->type_attn, s->d_model, "--types attn", err) &&
           writable_type(s->type_attn, qwidth, "--types attn (attn_output rows are the query width)", err) &&
           writable_type(s->type_router, s->d_model, "--types router", err) &&
           writable_type(s->type_experts, s->d_model, "--types experts", err) &&
           writable_type(s->type_experts, s->ff, "--types experts (ffn_down rows are --ff)", err);
}

/* How each tensor's random values are drawn. Matrices get N(0, 1/fan_in) so
 * activations keep their scale through the layers. */
typedef enum { INIT_MATRIX, INIT_EMBED, INIT_NORM, INIT_BIAS, INIT_SINK } init_kind;

typedef struct synth_tensor {
    char name[64];
    uint32_t type, n_dims;
    uint64_t ne[4];
    init_kind init;
} synth_tensor;

typedef struct synth_ctx {
    const mt_synth_spec *spec;
    const mt_family *family;
    synth_tensor *tensors;
    uint64_t n;
} synth_ctx;

static void add(synth_ctx *c, const char *name, uint32_t type, init_kind init, uint32_t n_dims, uint64_t n0, uint64_t n1, uint64_t n2) {
    synth_tensor *t = &c->tensors[c->n++];
    snprintf(t->name, sizeof t->name, "%s", name);
    t->type = type;
    t->n_dims = n_dims;
    t->ne[0] = n0; t->ne[1] = n1; t->ne[2] = n2; t->ne[3] = 1;
    t->init = init;
}

/* The tensor list in llama.cpp's order for gpt-oss. Shapes in GGUF order:
 * a weight [in, out] multiplies a vector of `in` into one of `out`. */
static void list_gptoss(synth_ctx *c, uint64_t n_vocab) {
    const mt_synth_spec *s = c->spec;
    uint64_t d = s->d_model, q = (uint64_t)s->n_head * s->head_dim, kv = (uint64_t)s->n_kv * s->head_dim;
    add(c, "token_embd.weight", s->type_embd, INIT_EMBED, 2, d, n_vocab, 1);
    add(c, "output_norm.weight", MT_TYPE_F32, INIT_NORM, 1, d, 1, 1);
    add(c, "output.weight", s->type_output, INIT_MATRIX, 2, d, n_vocab, 1);
    for (uint32_t l = 0; l < s->n_layer; l++) {
        char n[64];
#define NAME(suffix) (snprintf(n, sizeof n, "blk.%u." suffix, l), n)
        add(c, NAME("attn_norm.weight"), MT_TYPE_F32, INIT_NORM, 1, d, 1, 1);
        add(c, NAME("post_attention_norm.weight"), MT_TYPE_F32, INIT_NORM, 1, d, 1, 1);
        add(c, NAME("attn_q.weight"), s->type_attn, INIT_MATRIX, 2, d, q, 1);
        add(c, NAME("attn_q.bias"), MT_TYPE_F32, INIT_BIAS, 1, q, 1, 1);
        add(c, NAME("attn_k.weight"), s->type_attn, INIT_MATRIX, 2, d, kv, 1);
        add(c, NAME("attn_k.bias"), MT_TYPE_F32, INIT_BIAS, 1, kv, 1, 1);
        add(c, NAME("attn_v.weight"), s->type_attn, INIT_MATRIX, 2, d, kv, 1);
        add(c, NAME("attn_v.bias"), MT_TYPE_F32, INIT_BIAS, 1, kv, 1, 1);
        add(c, NAME("attn_output.weight"), s->type_attn, INIT_MATRIX, 2, q, d, 1);
        add(c, NAME("attn_output.bias"), MT_TYPE_F32, INIT_BIAS, 1, d, 1, 1);
        add(c, NAME("attn_sinks.weight"), MT_TYPE_F32, INIT_SINK, 1, s->n_head, 1, 1);
        add(c, NAME("ffn_gate_inp.weight"), s->type_router, INIT_MATRIX, 2, d, s->n_expert, 1);
        add(c, NAME("ffn_gate_inp.bias"), MT_TYPE_F32, INIT_BIAS, 1, s->n_expert, 1, 1);
        add(c, NAME("ffn_gate_exps.weight"), s->type_experts, INIT_MATRIX, 3, d, s->ff, s->n_expert);
        add(c, NAME("ffn_gate_exps.bias"), MT_TYPE_F32, INIT_BIAS, 2, s->ff, s->n_expert, 1);
        add(c, NAME("ffn_up_exps.weight"), s->type_experts, INIT_MATRIX, 3, d, s->ff, s->n_expert);
        add(c, NAME("ffn_up_exps.bias"), MT_TYPE_F32, INIT_BIAS, 2, s->ff, s->n_expert, 1);
        add(c, NAME("ffn_down_exps.weight"), s->type_experts, INIT_MATRIX, 3, s->ff, d, s->n_expert);
        add(c, NAME("ffn_down_exps.bias"), MT_TYPE_F32, INIT_BIAS, 2, d, s->n_expert, 1);
#undef NAME
    }
}

/* The other families (llama.cpp's llama-arch.cpp names, its loader's
 * shapes): no biases or sinks; q/k norms where the family has them; the
 * MoE's input norm is ffn_norm; Mixtral's experts merged or one tensor each. */
static void list_family(synth_ctx *c, uint64_t n_vocab) {
    const mt_synth_spec *s = c->spec;
    const mt_family *f = c->family;
    uint64_t d = s->d_model, q = (uint64_t)s->n_head * s->head_dim, kv = (uint64_t)s->n_kv * s->head_dim;
    add(c, "token_embd.weight", s->type_embd, INIT_EMBED, 2, d, n_vocab, 1);
    add(c, "output_norm.weight", MT_TYPE_F32, INIT_NORM, 1, d, 1, 1);
    add(c, "output.weight", s->type_output, INIT_MATRIX, 2, d, n_vocab, 1);
    static const char *const which[3] = { "gate", "up", "down" };
    for (uint32_t l = 0; l < s->n_layer; l++) {
        char n[64];
#define NAME(suffix) (snprintf(n, sizeof n, "blk.%u." suffix, l), n)
        add(c, NAME("attn_norm.weight"), MT_TYPE_F32, INIT_NORM, 1, d, 1, 1);
        add(c, NAME("attn_q.weight"), s->type_attn, INIT_MATRIX, 2, d, q, 1);
        add(c, NAME("attn_k.weight"), s->type_attn, INIT_MATRIX, 2, d, kv, 1);
        add(c, NAME("attn_v.weight"), s->type_attn, INIT_MATRIX, 2, d, kv, 1);
        add(c, NAME("attn_output.weight"), s->type_attn, INIT_MATRIX, 2, q, d, 1);
        if (f->qk_norm != MT_QK_NORM_NONE) {
            bool head = f->qk_norm == MT_QK_NORM_HEAD;
            add(c, NAME("attn_q_norm.weight"), MT_TYPE_F32, INIT_NORM, 1, head ? s->head_dim : q, 1, 1);
            add(c, NAME("attn_k_norm.weight"), MT_TYPE_F32, INIT_NORM, 1, head ? s->head_dim : kv, 1, 1);
        }
        add(c, NAME("ffn_norm.weight"), MT_TYPE_F32, INIT_NORM, 1, d, 1, 1);
        add(c, NAME("ffn_gate_inp.weight"), s->type_router, INIT_MATRIX, 2, d, s->n_expert, 1);
        for (int w = 0; w < 3; w++) {
            uint64_t in = w == 2 ? s->ff : d, out = w == 2 ? d : s->ff;
            if (!s->split_experts) {
                snprintf(n, sizeof n, "blk.%u.ffn_%s_exps.weight", l, which[w]);
                add(c, n, s->type_experts, INIT_MATRIX, 3, in, out, s->n_expert);
                continue;
            }
            for (uint32_t e = 0; e < s->n_expert; e++) {
                snprintf(n, sizeof n, "blk.%u.ffn_%s.%u.weight", l, which[w], e);
                add(c, n, s->type_experts, INIT_MATRIX, 2, in, out, 1);
            }
        }
#undef NAME
    }
}

/* Trained values: DIR/<name>.f32 holding exactly the tensor's elements. */
static FILE *open_weights(const synth_ctx *c, const synth_tensor *t, uint64_t elements, mt_err *err) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.f32", c->spec->weights_dir, t->name);
    FILE *f = fopen(path, "rb");
    if (!f) {
        mt_err_set(err, "%s: cannot open the weights of tensor '%s'", path, t->name);
        return NULL;
    }
    if (fseek(f, 0, SEEK_END) != 0 || (uint64_t)ftell(f) != elements * sizeof(float) || fseek(f, 0, SEEK_SET) != 0) {
        mt_err_set(err, "%s: holds %ld bytes, tensor '%s' needs %llu", path, ftell(f), t->name,
                   (unsigned long long)(elements * sizeof(float)));
        fclose(f);
        return NULL;
    }
    return f;
}

static bool fill_tensor(void *ctx, uint64_t index, void *dst, uint64_t nbytes, mt_err *err) {
    const synth_ctx *c = ctx;
    const synth_tensor *t = &c->tensors[index];
    uint64_t row = t->ne[0], rows = t->ne[1] * t->ne[2];
    uint64_t row_bytes = mt_row_bytes(t->type, row);
    float *buf = malloc(row * sizeof *buf);
    if (!buf) {
        mt_err_set(err, "tensor '%s': out of memory", t->name);
        return false;
    }
    if (c->spec->weights_dir) {
        FILE *f = open_weights(c, t, row * rows, err);
        bool ok = f != NULL;
        for (uint64_t r = 0; ok && r < rows; r++) {
            ok = fread(buf, sizeof *buf, row, f) == row;
            if (ok) mt_quantize_row(t->type, buf, (uint8_t *)dst + r * row_bytes, (int64_t)row);
            else mt_err_set(err, "%s/%s.f32: read failed", c->spec->weights_dir, t->name);
        }
        if (f) fclose(f);
        free(buf);
        return ok;
    }
    /* one stream per tensor: a tensor's values do not depend on the others */
    mt_rng rng = mt_rng_seed(c->spec->seed, index + 1);
    float scale = t->init == INIT_MATRIX ? 1.0f / sqrtf((float)row) : t->init == INIT_BIAS ? 0.05f : 1.0f;
    for (uint64_t r = 0; r < rows; r++) {
        for (uint64_t i = 0; i < row; i++) {
            float z = mt_rng_normal_fast(&rng);
            buf[i] = t->init == INIT_NORM ? 1.0f + 0.1f * z : scale * z;
        }
        mt_quantize_row(t->type, buf, (uint8_t *)dst + r * row_bytes, (int64_t)row);
    }
    free(buf);
    (void)nbytes;
    return true;
}

/* The tokenizer's keys, as llama.cpp writes them for gpt-oss. */
static void set_tokenizer_keys(mt_gguf_writer *w, const mt_synth_vocab *v) {
    mt_gguf_set_str(w, "tokenizer.ggml.model", "gpt2");
    mt_gguf_set_str(w, "tokenizer.ggml.pre", "gpt-4o");
    mt_gguf_set_str_array(w, "tokenizer.ggml.tokens", (const char *const *)v->tokens, v->n_tokens);
    mt_gguf_set_array(w, "tokenizer.ggml.token_type", MT_GGUF_INT32, v->types, v->n_tokens);
    mt_gguf_set_str_array(w, "tokenizer.ggml.merges", (const char *const *)v->merges, v->n_merges);
    mt_gguf_set_u32(w, "tokenizer.ggml.bos_token_id", v->bos);
    mt_gguf_set_u32(w, "tokenizer.ggml.eos_token_id", v->eos);
    mt_gguf_set_u32(w, "tokenizer.ggml.padding_token_id", v->pad);
}

bool mt_synth_write(const mt_synth_spec *s, const char *path, mt_err *err) {
    mt_err check;
    if (!mt_synth_check(s, &check)) {
        mt_err_set(err, "%s", check.msg);
        return false;
    }
    mt_synth_vocab v;
    if (!mt_synth_vocab_build(s, &v, err)) return false;
    mt_gguf_writer *w = mt_gguf_writer_new();
    synth_ctx c = { .spec = s, .tensors = calloc(3 + (19ull + 3ull * s->n_expert) * s->n_layer, sizeof(synth_tensor)) };
    if (!w || !c.tensors) {
        mt_err_set(err, "%s: out of memory", path);
        mt_gguf_writer_free(w);
        free(c.tensors);
        mt_synth_vocab_free(&v);
        return false;
    }
    /* metadata in the order llama.cpp writes it; --vocab-only: the tokenizer's keys alone */
    const mt_family *f = c.family = spec_family(s);
    const char *a = f->arch;
    char key[128];
#define KEY(suffix) (snprintf(key, sizeof key, "%s." suffix, a), key)
    mt_gguf_set_str(w, "general.architecture", a);
    mt_gguf_set_str(w, "general.name", s->name);
    mt_gguf_writer_set_alignment(w, MT_GGUF_DEFAULT_ALIGNMENT);
    if (!s->vocab_only) {
        mt_gguf_set_u32(w, KEY("block_count"), s->n_layer);
        mt_gguf_set_u32(w, KEY("context_length"), s->context_length);
        mt_gguf_set_u32(w, KEY("embedding_length"), s->d_model);
        mt_gguf_set_u32(w, KEY("feed_forward_length"), s->ff);
        mt_gguf_set_u32(w, KEY("attention.head_count"), s->n_head);
        mt_gguf_set_u32(w, KEY("attention.head_count_kv"), s->n_kv);
        mt_gguf_set_u32(w, KEY("attention.key_length"), s->head_dim);
        mt_gguf_set_u32(w, KEY("attention.value_length"), s->head_dim);
        mt_gguf_set_f32(w, KEY("attention.layer_norm_rms_epsilon"), 1e-5f);
        if (f->sliding_window) mt_gguf_set_u32(w, KEY("attention.sliding_window"), s->swa);
        if (!f->yarn) {
            mt_gguf_set_f32(w, KEY("rope.freq_base"), s->rope_base);
            mt_gguf_set_u32(w, KEY("rope.dimension_count"), s->head_dim);
        }
        mt_gguf_set_u32(w, KEY("expert_count"), s->n_expert);
        mt_gguf_set_u32(w, KEY("expert_used_count"), s->k);
        if (strcmp(f->ff_key, "expert_feed_forward_length") == 0) mt_gguf_set_u32(w, KEY("expert_feed_forward_length"), s->ff);
        if (f->yarn) {
            mt_gguf_set_f32(w, KEY("rope.freq_base"), s->rope_base);
            mt_gguf_set_str(w, KEY("rope.scaling.type"), "yarn");
            mt_gguf_set_f32(w, KEY("rope.scaling.factor"), s->rope_factor);
            mt_gguf_set_u32(w, KEY("rope.scaling.original_context_length"), s->rope_original_context);
        }
    }
#undef KEY
    set_tokenizer_keys(w, &v);
    if (!s->vocab_only) (strcmp(f->arch, "gpt-oss") == 0 ? list_gptoss : list_family)(&c, v.n_tokens);
    for (uint64_t i = 0; i < c.n; i++) mt_gguf_add_tensor(w, c.tensors[i].name, c.tensors[i].type, c.tensors[i].n_dims, c.tensors[i].ne, NULL);
    bool ok = mt_gguf_writer_write(w, path, fill_tensor, &c, err);
    mt_gguf_writer_free(w);
    free(c.tensors);
    mt_synth_vocab_free(&v);
    return ok;
}
