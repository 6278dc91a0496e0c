/* The vocabulary of a synthetic model: byte-level BPE tokens in the GPT-2
 * byte-to-unicode spelling (as GGUF stores them), merges, then the harmony
 * special tokens in the order the oracle fixtures use. */
#ifndef MT_SYNTH_VOCAB_H
#define MT_SYNTH_VOCAB_H

#include "synth.h"

typedef struct mt_synth_vocab {
    char **tokens;     /* n_tokens strings */
    int32_t *types;    /* 1 normal, 3 control (llama.cpp's token types) */
    uint64_t n_tokens;
    char **merges;     /* "left right" */
    uint64_t n_merges;
    uint32_t bos, eos, pad;
} mt_synth_vocab;

bool mt_synth_vocab_build(const mt_synth_spec *spec, mt_synth_vocab *v, mt_err *err);
void mt_synth_vocab_free(mt_synth_vocab *v);

#endif
