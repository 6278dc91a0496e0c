/* An MoE model bound to a GGUF file: its family (family.h) from
 * general.architecture, hyper-parameters from the `<arch>.*` keys and every
 * weight by llama.cpp's tensor name (llama-arch.cpp), shapes checked.
 * Weights stay in their file formats inside the mapping.
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
#include "family.h"
#include "gguf.h"

typedef struct mt_weight {
    const uint8_t *data;
    uint32_t type;      /* ggml type id (quant.h) */
    uint64_t in, out;   /* row length and rows (per expert for expert tensors) */
    uint64_t row_bytes;
    uint64_t expert_bytes; /* bytes of one expert's [in, out] slice (expert tensors) */
    const uint8_t *const *expert_data; /* [E]: each expert's slice where the file stores one tensor per
                                        * expert (older Mixtral files: blk.N.ffn_gate.E.weight); NULL when
                                        * the experts are one tensor, expert e at data + e * expert_bytes */
} mt_weight;

typedef struct mt_layer_weights {
    const float *attn_norm;       /* [d] */
    const float *post_attn_norm;  /* [d]: the MoE's input norm */
    mt_weight wq, wk, wv;         /* [d, q], [d, kv], [d, kv] */
    const float *bq, *bk, *bv;    /* [q], [kv], [kv] */
    mt_weight wo;                 /* [q, d] */
    const float *bo;              /* [d] */
    const float *q_norm, *k_norm; /* MT_QK_NORM_HEAD: [head_dim] each; MT_QK_NORM_WHOLE: [q], [kv]; else NULL */
    const float *sinks;           /* [n_head]: each query head's sink logit */
    mt_weight router;             /* [d, E] */
    const float *router_bias;     /* [E] */
    mt_weight gate, up;           /* [d, ff, E] */
    const float *gate_bias, *up_bias; /* [ff, E] */
    mt_weight down;               /* [ff, d, E] */
    const float *down_bias;       /* [d, E] */
} mt_layer_weights;
/* Families without biases or sinks (family.h) have those pointers NULL. */

typedef struct mt_hparams {
    uint32_t n_layer, n_ctx, d_model;
    uint32_t n_head, n_kv, head_dim; /* key_length == value_length */
    uint32_t n_expert, k, ff;
    uint32_t sliding_window;         /* applies to even layers; 0: none (every family but gpt-oss) */
    uint32_t n_vocab;
    float rms_eps;
    float rope_base;
    float rope_factor;               /* YaRN scaling factor; 1 = no scaling */
    uint32_t rope_original_ctx;
    float yarn_beta_fast, yarn_beta_slow;
} mt_hparams;

typedef struct mt_model {
    const mt_family *family;     /* what the forward pass and the router do differently */
    mt_hparams hp;
    mt_weight token_embd;        /* [d, V] */
    const float *output_norm;    /* [d] */
    mt_weight output;            /* [d, V] */
    mt_layer_weights *layers;
    uint64_t weight_bytes;       /* all weights, as stored */
    bool split_experts;          /* some expert weight has expert_data (one tensor per expert) */
    const uint8_t **expert_ptrs; /* owned: every expert_data array */
} mt_model;

/* Binds g (which must outlive the model). NULL with "<file>: <key or tensor>: <why>"
 * (an architecture moetop does not run, a missing key or tensor, a shape). */
mt_model *mt_model_load(const mt_gguf *g, mt_err *err);
void mt_model_free(mt_model *m);

/* NULL when a backend with caps (family.h's MT_CAP_*) computes this model;
 * else why not, in buf (the family's needs, or experts stored one tensor each). */
const char *mt_model_lacks(const mt_model *m, uint32_t caps, char *buf, size_t size);

/* Bytes of weights one decoded token reads at least once, as stored in the
 * file: for each layer its attention matrices (q, k, v, o), the router, the
 * norms, biases and sinks, and k experts' gate, up and down slices with their
 * biases; then the output norm, the output head and one row of the embedding
 * table (none when the head is the embedding table, tied). A lower bound on
 * the memory traffic of a decode step (the KV cache and activations are not
 * counted); with tok/s it gives the bandwidth a decode achieves. */
uint64_t mt_model_decode_bytes(const mt_model *m);

/* Row r of a weight (for expert tensors, of expert e). */
static inline const uint8_t *mt_weight_row(const mt_weight *w, uint64_t e, uint64_t r) {
    return (w->expert_data ? w->expert_data[e] : w->data + e * w->expert_bytes) + r * w->row_bytes;
}

#endif
