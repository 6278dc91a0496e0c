/* `moetop synth`: a model of the gpt-oss architecture, in exactly the tensor
 * names, shapes, metadata keys and block layouts that llama.cpp writes for
 * openai/gpt-oss-20b (and that shared/oracle/gpt-oss uses): random weights for
 * benches, tests and fuzz seeds, or trained weights read from a directory (the
 * bundled model's export, tools/train). With arch, a model of another family
 * (family.h: llama with experts as Mixtral, qwen3moe, olmoe) in the names and
 * keys llama.cpp writes for it (as shared/oracle/families). */
#ifndef MT_SYNTH_H
#define MT_SYNTH_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "gguf.h"

typedef struct mt_synth_spec {
    const char *arch;        /* general.architecture: NULL or "gpt-oss", "llama", "qwen3moe", "olmoe" */
    bool split_experts;      /* llama only: one tensor per expert, blk.N.ffn_gate.E.weight (older Mixtral files) */
    const char *name;        /* general.name */
    uint64_t seed;
    uint32_t n_layer;
    uint32_t d_model;        /* embedding_length */
    uint32_t n_head, n_kv, head_dim; /* query width = n_head * head_dim, may differ from d_model */
    uint32_t n_expert, k, ff;        /* ff: expert_feed_forward_length */
    uint32_t swa;            /* sliding window on even layers (gpt-oss only) */
    uint32_t context_length;
    float rope_base, rope_factor; /* rope_factor: YaRN, gpt-oss only */
    uint32_t rope_original_context;
    uint32_t vocab_base;     /* ordinary tokens; 32 harmony specials follow */
    const mt_gguf *vocab_from; /* take the first vocab_base ranks and their merges from here, or NULL */
    const uint32_t *vocab_ranks; /* with vocab_from: take exactly these ranks (vocab_base of them, ascending,
                                    every single-byte token among them) instead of the first vocab_base */
    const char *weights_dir;   /* trained weights: DIR/<tensor name>.f32 (raw little-endian float32,
                                  GGUF element order), quantized to the types below; NULL: random */
    bool vocab_only;           /* write the tokenizer and no weights */
    /* ggml type ids per tensor group */
    uint32_t type_embd, type_output, type_attn, type_router, type_experts;
} mt_synth_spec;

/* The shape of shared/oracle/gpt-oss/oracle-gptoss-a (4 layers, width 256,
 * 8 experts, top-2, Q8_0/MXFP4), seed 1. */
mt_synth_spec mt_synth_default_spec(void);

/* Named shapes: "a", "b", "c" (the oracle fixtures' shapes), "tiny" and
 * "gpt-oss-20b". False for an unknown name. */
bool mt_synth_preset(const char *name, mt_synth_spec *spec);

/* Checks the spec (sizes, block multiples, types that can be written):
 * false with "<field>: <why>" in err. */
bool mt_synth_check(const mt_synth_spec *spec, mt_err *err);

/* Writes the model to path (atomically). */
bool mt_synth_write(const mt_synth_spec *spec, const char *path, mt_err *err);

/* Number of harmony special tokens appended after the ordinary ones. */
#define MT_SYNTH_N_SPECIAL 32

#endif
