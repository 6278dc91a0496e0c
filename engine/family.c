#include "family.h"

#include <stdio.h>
#include <string.h>

/* One row per architecture; see family.h for each field's source. */
static const mt_family families[] = {
    /* OpenAI gpt_oss/torch/model.py; llama.cpp llm_build_openai_moe_iswa */
    { .arch = "gpt-oss", .label = "gpt-oss", .rope = MT_ROPE_NEOX, .qk_norm = MT_QK_NORM_NONE, .router = MT_ROUTER_TOPK_SOFTMAX,
      .act = MT_ACT_SWIGLU_OAI, .biases = true, .sinks = true, .sliding_window = true, .yarn = true,
      .ff_key = "expert_feed_forward_length", .moe_norm = "post_attention_norm" },
    /* llama.cpp llm_build_llama with n_expert > 0 (Mixtral): rope type NORM, build_moe_ffn(SILU, norm_w = true, SOFTMAX) */
    { .arch = "llama", .label = "Mixtral (llama)", .rope = MT_ROPE_ADJACENT, .qk_norm = MT_QK_NORM_NONE,
      .router = MT_ROUTER_SOFTMAX_TOPK_NORM, .act = MT_ACT_SWIGLU, .rope_ggml = true, .need_experts = true, .tied_output = true, .split_experts = true, .ff_key = "feed_forward_length",
      .moe_norm = "ffn_norm" },
    /* llama.cpp llm_build_qwen3moe: attn_q_norm/attn_k_norm per head before NEOX rope; norm_w = true */
    { .arch = "qwen3moe", .label = "Qwen3-MoE", .rope = MT_ROPE_NEOX, .qk_norm = MT_QK_NORM_HEAD,
      .router = MT_ROUTER_SOFTMAX_TOPK_NORM, .act = MT_ACT_SWIGLU, .rope_ggml = true, .tied_output = true, .ff_key = "expert_feed_forward_length", .moe_norm = "ffn_norm" },
    /* llama.cpp llm_build_olmoe: attn_q_norm/attn_k_norm over the whole q and k; norm_w = false */
    { .arch = "olmoe", .label = "OLMoE", .rope = MT_ROPE_NEOX, .qk_norm = MT_QK_NORM_WHOLE, .router = MT_ROUTER_SOFTMAX_TOPK,
      .act = MT_ACT_SWIGLU, .rope_ggml = true, .ff_key = "feed_forward_length", .moe_norm = "ffn_norm" },
};
#define N_FAMILIES (sizeof families / sizeof *families)

const mt_family *mt_family_find(mt_str arch) {
    for (size_t i = 0; i < N_FAMILIES; i++)
        if (mt_str_eq(arch, families[i].arch)) return &families[i];
    return NULL;
}

const char *mt_family_names(void) { return "gpt-oss, llama (Mixtral, with experts), qwen3moe, olmoe"; }

const char *mt_family_lacks(const mt_family *f, uint32_t caps, char *buf, size_t size) {
    static const struct { uint32_t cap; const char *what; } needs[] = {
        { MT_CAP_ROPE_ADJACENT, "RoPE on adjacent pairs" }, { MT_CAP_SOFTMAX_ROUTER, "a softmax-before-top-k router" },
        { MT_CAP_SWIGLU, "plain SwiGLU experts" },          { MT_CAP_NO_SINKS, "attention without sinks" },
        { MT_CAP_QK_NORM, "q/k RMSNorm" },
    };
    uint32_t want = (f->rope == MT_ROPE_ADJACENT ? MT_CAP_ROPE_ADJACENT : 0) |
                    (f->router != MT_ROUTER_TOPK_SOFTMAX ? MT_CAP_SOFTMAX_ROUTER : 0) | (f->act == MT_ACT_SWIGLU ? MT_CAP_SWIGLU : 0) |
                    (!f->sinks ? MT_CAP_NO_SINKS : 0) | (f->qk_norm != MT_QK_NORM_NONE ? MT_CAP_QK_NORM : 0);
    uint32_t missing = want & ~caps, left = 0;
    if (!missing) return NULL;
    for (size_t i = 0; i < sizeof needs / sizeof *needs; i++) left += !!(missing & needs[i].cap);
    size_t n = (size_t)snprintf(buf, size, "%s needs", f->label);
    for (size_t i = 0; i < sizeof needs / sizeof *needs && n < size; i++)
        if (missing & needs[i].cap) {
            left--;
            n += (size_t)snprintf(buf + n, size - n, " %s%s", needs[i].what, left > 1 ? "," : left == 1 ? " and" : "");
        }
    if (n < size) snprintf(buf + n, size - n, ", which this backend lacks");
    return buf;
}

const char *mt_family_describe(const mt_family *f, char *buf, size_t size) {
    static const char *const qk[] = { "no q/k norm", "q/k RMSNorm per head", "q/k RMSNorm over the whole q and k" };
    static const char *const router[] = { "top-k of the logits, softmax over the k", "softmax over all experts, top-k, renormalised",
                                          "softmax over all experts, top-k, not renormalised" };
    snprintf(buf, size, "%s, %s RoPE%s; router: %s; %s experts; %s", qk[f->qk_norm], f->rope == MT_ROPE_NEOX ? "NeoX" : "adjacent-pair",
             f->yarn ? " (YaRN)" : "", router[f->router], f->act == MT_ACT_SWIGLU_OAI ? "clamped SwiGLU (alpha 1.702, limit 7)" : "SwiGLU",
             f->biases ? "biases, attention sinks, a window on even layers" : "no biases, sinks or window");
    return buf;
}
