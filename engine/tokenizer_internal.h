/* The tokenizer's state, shared by tokenizer.c (loading, byte-level BPE,
 * specials, decoding) and tokenizer_spm.c (SentencePiece BPE); not a public
 * interface. */
#ifndef MT_TOKENIZER_INTERNAL_H
#define MT_TOKENIZER_INTERNAL_H

#include "bpe.h"
#include "name_index.h"
#include "tokenizer.h"

/* llama.cpp's token types (llama_token_type) */
enum { TOKEN_NORMAL = 1, TOKEN_UNKNOWN = 2, TOKEN_CONTROL = 3, TOKEN_USER_DEFINED = 4, TOKEN_UNUSED = 5, TOKEN_BYTE = 6 };

/* How text becomes ids: byte-level BPE with a pre-tokenizer, or SentencePiece BPE. */
typedef enum mt_tok_kind {
    MT_TOK_O200K, /* model "gpt2", pre "gpt-4o" */
    MT_TOK_QWEN2, /* model "gpt2", pre "qwen2" */
    MT_TOK_GPT2,  /* model "gpt2", pre "olmo" */
    MT_TOK_SPM,   /* model "llama" */
} mt_tok_kind;

/* SentencePiece BPE: pieces as the vocabulary writes them (U+2581 for a
 * space), merges derived from the pieces and their scores (tokenizer_spm.c). */
typedef struct mt_spm {
    mt_str *pieces;        /* per id; empty for tokens that are not normal */
    char *arena;
    mt_name_index index;   /* normal pieces -> id */
    mt_bpe bpe;            /* (left, right) -> piece, ranked by the piece's score */
} mt_spm;

struct mt_tokenizer {
    mt_tok_kind kind;
    bool add_bos;          /* a prompt starts with BOS (tokenizer.ggml.add_bos_token) */
    bool add_space_prefix; /* SentencePiece: a space before each run of text */
    uint32_t n_vocab;
    size_t max_bytes;      /* the longest token */
    mt_str *tokens;        /* bytes of each token (views into arena) */
    char *arena;
    uint8_t *special;      /* per id: 1 for a special token */
    mt_name_index ordinary_index, special_index;
    uint32_t byte_token[256];
    mt_bpe bpe;
    mt_spm spm;
    /* special-token matching: lengths that occur and first bytes that occur */
    uint32_t special_lengths[64];
    int n_special_lengths;
    uint8_t special_first_byte[256];
    int64_t bos, eos;
    int64_t eog[8];
    int n_eog;
};

/* Builds t->spm from the vocabulary in g (tokenizer.ggml.tokens, .token_type
 * and .scores, already checked for their types and counts): NULL, or why it
 * cannot (one line naming the key; the caller adds the file). */
const char *mt_spm_load(mt_tokenizer *t, const mt_gguf *g, const mt_gguf_array *scores);
void mt_spm_free(mt_spm *s);

/* Appends the ids of one run of ordinary text (no special tokens in it):
 * spaces become U+2581, a space is put first when prefix, pieces merge by
 * score, and what no piece covers falls back to byte tokens <0xNN> (llama.cpp's
 * llm_tokenizer_spm_session). False only when out of memory. */
bool mt_spm_encode(const mt_tokenizer *t, const char *text, size_t len, bool prefix, mt_ids *out);

#endif
