/* The MoE families moetop runs, as data: what differs between gpt-oss,
 * Mixtral, Qwen3-MoE and OLMoE is a row of this table, read by the loader
 * (model.c), the forward pass (forward.c, written once) and the routing step
 * (intervene.c). Sources, per family, are llama.cpp's graph builders
 * (src/models/ (one .cpp each): llm_build_openai_moe_iswa, llm_build_llama,
 * llm_build_qwen3moe, llm_build_olmoe) and its tensor/key names
 * (llama-arch.cpp); gpt-oss also follows OpenAI's gpt_oss/torch/model.py. */
#ifndef MT_FAMILY_H
#define MT_FAMILY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gguf.h"
#include "intervene.h"

/* Which elements RoPE rotates together (llama.cpp's rope types). */
typedef enum {
    MT_ROPE_NEOX,     /* (x_i, x_{i+half}): LLAMA_ROPE_TYPE_NEOX (gpt-oss, qwen3moe, olmoe) */
    MT_ROPE_ADJACENT, /* (x_{2i}, x_{2i+1}): LLAMA_ROPE_TYPE_NORM (llama/Mixtral) */
} mt_rope_style;

/* RMSNorm of q and k after their projections, before RoPE. */
typedef enum {
    MT_QK_NORM_NONE,
    MT_QK_NORM_HEAD,  /* each head's head_dim values, one weight [head_dim] shared by the heads (qwen3moe) */
    MT_QK_NORM_WHOLE, /* the whole q [n_head*head_dim] and k [n_kv*head_dim] vectors (olmoe) */
} mt_qk_norm;

/* The experts' activation between the gate/up and down products. */
typedef enum {
    MT_ACT_SWIGLU_OAI, /* gpt-oss: g' sigmoid(1.702 g') (u' + 1), g' = min(g, 7), u' = clamp(u, -7, 7) */
    MT_ACT_SWIGLU,     /* silu(g) u = g / (1 + e^-g) u (llama.cpp's LLM_FFN_SILU with LLM_FFN_PAR) */
} mt_act;

typedef struct mt_family {
    const char *arch;        /* general.architecture, also the prefix of its keys */
    const char *label;       /* for people: "gpt-oss", "Mixtral (llama)", ... */
    mt_rope_style rope;
    mt_qk_norm qk_norm;
    mt_router_kind router;
    mt_act act;
    bool biases;             /* q/k/v/o, router and expert biases (all or none) */
    bool sinks;              /* attention sinks: one logit per query head in the softmax's denominator */
    bool sliding_window;     /* a window on even layers (attention.sliding_window) */
    bool yarn;               /* YaRN RoPE scaling keys (rope.scaling.*) */
    bool rope_ggml;          /* RoPE angles as llama.cpp computes them (rope.h), its reference for the family */
    bool need_experts;       /* the arch also names dense models: expert_count is required to run */
    bool tied_output;        /* output.weight may be absent: the logits use token_embd (llama.cpp's TENSOR_DUPLICATED) */
    bool split_experts;      /* experts may be stored one tensor each, blk.N.ffn_gate.E.weight (older Mixtral files) */
    const char *ff_key;      /* the experts' hidden width: "expert_feed_forward_length" or "feed_forward_length" */
    const char *moe_norm;    /* the MoE's input norm tensor: "post_attention_norm" or "ffn_norm" */
} mt_family;

/* The family of a general.architecture value; NULL when moetop does not run it. */
const mt_family *mt_family_find(mt_str arch);
/* "gpt-oss, llama (Mixtral), qwen3moe, olmoe": the architectures moetop runs. */
const char *mt_family_names(void);

/* One sentence on what the family computes, for `moetop info`: e.g. "q/k RMSNorm per head,
 * NeoX RoPE; router: softmax over all experts, top-k, renormalised; SwiGLU experts; no biases,
 * sinks or window". Into buf (truncated to size); returns buf. */
const char *mt_family_describe(const mt_family *f, char *buf, size_t size);

/* What a backend computes beyond gpt-oss (mt_backend.caps). */
enum {
    MT_CAP_ROPE_ADJACENT = 1,  /* rope_adjacent() */
    MT_CAP_SOFTMAX_ROUTER = 2, /* route() follows mt_route_out.kind for softmax-first routers */
    MT_CAP_SWIGLU = 4,         /* moe() follows mt_moe_args.act = MT_ACT_SWIGLU */
    MT_CAP_NO_SINKS = 8,       /* attention() with sinks == NULL */
    MT_CAP_QK_NORM = 16,       /* rmsnorm() in place over many short rows (q/k norms) */
    MT_CAP_SPLIT_EXPERTS = 32, /* expert weights stored one tensor per expert (mt_weight.expert_data) */
};
#define MT_CAPS_ALL 63u
/* (NULL biases need no capability: every backend's matmul() and moe() take them.) */

/* NULL when a backend with caps computes every op the family needs; else
 * what it lacks in buf, e.g. "OLMoE needs a softmax-before-top-k router, ...
 * and q/k RMSNorm, which this backend lacks", for prepare()'s one-line refusal. */
const char *mt_family_lacks(const mt_family *f, uint32_t caps, char *buf, size_t size);

#endif
