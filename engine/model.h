/* A gpt-oss model bound to a GGUF file: hyper-parameters from the
 * `gpt-oss.*` keys and every weight by llama.cpp's tensor name, shapes
 * checked. Weights stay in their file formats inside the mapping.
 *
 * Shapes below are in GGUF order, [in, out(, experts)]: a weight [in, out]
 * is `out` rows of `in` contiguous elements and maps a vector of `in` to one
 * of `out`. d = model width, q = n_head * head_dim (the query width, its own
 * quantity: 4096 against d = 2880 in gpt-oss-20b), kv = n_kv * head_dim,
 * E = experts, ff = expert width, V = vocabulary. */
#ifndef MT_MODEL_H
#define MT_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "gguf.h"

typedef struct mt_weight {
    const uint8_t *data;
    uint32_t type;      /* ggml type id (quant.h) */
    uint64_t in, out;   /* row length and rows (per expert for expert tensors) */
    uint64_t row_bytes;
    uint64_t expert_bytes; /* bytes of one expert's [in, out] slice (expert tensors) */
} mt_weight;

typedef struct mt_layer_weights {
    const float *attn_norm;       /* [d] */
    const float *post_attn_norm;  /* [d]: the MoE's input norm */
    mt_weight wq, wk, wv;         /* [d, q], [d, kv], [d, kv] */
    const float *bq, *bk, *bv;    /* [q], [kv], [kv] */
    mt_weight wo;                 /* [q, d] */
    const float *bo;              /* [d] */
    const float *sinks;           /* [n_head]: each query head's sink logit */
    mt_weight router;             /* [d, E] */
    const float *router_bias;     /* [E] */
    mt_weight gate, up;           /* [d, ff, E] */
    const float *gate_bias, *up_bias; /* [ff, E] */
    mt_weight down;               /* [ff, d, E] */
    const float *down_bias;       /* [d, E] */
} mt_layer_weights;

typedef struct mt_hparams {
    uint32_t n_layer, n_ctx, d_model;
    uint32_t n_head, n_kv, head_dim; /* key_length == value_length */
    uint32_t n_expert, k, ff;
    uint32_t sliding_window;         /* applies to even layers */
    uint32_t n_vocab;
    float rms_eps;
    float rope_base;
    float rope_factor;               /* YaRN scaling factor; 1 = no scaling */
    uint32_t rope_original_ctx;
    float yarn_beta_fast, yarn_beta_slow;
} mt_hparams;

typedef struct mt_model {
    mt_hparams hp;
    mt_weight token_embd;        /* [d, V] */
    const float *output_norm;    /* [d] */
    mt_weight output;            /* [d, V] */
    mt_layer_weights *layers;
    uint64_t weight_bytes;       /* all weights, as stored */
} mt_model;

/* Binds g (which must outlive the model). NULL with "<file>: <key or tensor>: <why>". */
mt_model *mt_model_load(const mt_gguf *g, mt_err *err);
void mt_model_free(mt_model *m);

/* Row r of a weight (for expert tensors, of expert e). */
static inline const uint8_t *mt_weight_row(const mt_weight *w, uint64_t e, uint64_t r) {
    return w->data + e * w->expert_bytes + r * w->row_bytes;
}

#endif
