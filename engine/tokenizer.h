/* The tokenizer, read from GGUF metadata in llama.cpp's keys (files holding
 * only a vocabulary load too); llama.cpp's src/llama-vocab.cpp is the
 * reference for what each key means:
 * - byte-level BPE (tokenizer.ggml.model "gpt2") with the pre-tokenizer of
 *   tokenizer.ggml.pre: "gpt-4o" (o200k, gpt-oss; merges as tiktoken),
 *   "qwen2" (Qwen3) or "olmo" (OLMoE, GPT-2's pattern), see pretok.h; the last
 *   two merge by pair rank, as Hugging Face's BPE model;
 * - SentencePiece BPE (tokenizer.ggml.model "llama": Mistral, Mixtral): pieces
 *   merge by tokenizer.ggml.scores, a space (U+2581) goes first, what no piece
 *   covers falls back to byte tokens <0xNN> (llm_tokenizer_spm_session).
 * Any other model or pre-tokenizer is refused in one line naming the key.
 *
 * mt_tok_encode never adds BOS (mt_tok_encode_prompt does, where the
 * vocabulary asks). Special tokens (token type 3 "control", 4 "user defined",
 * and SentencePiece's 2 "unknown", such as <|start|>, <|im_start|>, <s>) are
 * recognised in text only when asked; otherwise their text is ordinary text,
 * as tiktoken's encode_ordinary. Any byte string encodes and decodes back to
 * exactly the same bytes, invalid UTF-8 included (byte-level BPE: every byte
 * is a token; SentencePiece: byte fallback), except that SentencePiece adds
 * its leading space and reads U+2581 in the text as a space. */
#ifndef MT_TOKENIZER_H
#define MT_TOKENIZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "gguf.h"

typedef struct mt_tokenizer mt_tokenizer;

/* A growable list of token ids. */
typedef struct mt_ids {
    uint32_t *ids;
    size_t n, cap;
} mt_ids;

bool mt_ids_push(mt_ids *v, uint32_t id);
void mt_ids_free(mt_ids *v);

/* Reads the vocabulary from g (which must outlive nothing: the tokenizer
 * copies what it needs). Every key it reads is required with its type:
 * tokenizer.ggml.model, .pre, .tokens, .token_type and .merges; the bos and
 * eos ids may be absent, but must be token ids when present. NULL with
 * "<file>: key '<key>' ...: <why>" in err. */
mt_tokenizer *mt_tokenizer_load(const mt_gguf *g, mt_err *err);
void mt_tokenizer_free(mt_tokenizer *t);

uint32_t mt_tok_vocab_size(const mt_tokenizer *t);

/* Which tokenizer: "o200k", "qwen2", "olmo" (byte-level BPE by pre-tokenizer)
 * or "sentencepiece". */
const char *mt_tok_kind_name(const mt_tokenizer *t);

/* Appends the ids of text[0..len) to out. parse_special: special-token
 * strings in the text become their ids. False only when out of memory. */
bool mt_tok_encode(const mt_tokenizer *t, const char *text, size_t len, bool parse_special, mt_ids *out);

/* The bytes a token stands for (a special token: its text). id must be < vocab size. */
const char *mt_tok_bytes(const mt_tokenizer *t, uint32_t id, size_t *len);
bool mt_tok_is_special(const mt_tokenizer *t, uint32_t id);
/* The longest token's length in bytes. */
size_t mt_tok_max_bytes(const mt_tokenizer *t);

/* The id of the token whose text is exactly text (special or ordinary), or -1. */
int64_t mt_tok_find(const mt_tokenizer *t, const char *text);

/* End of generation: <|return|>, <|call|>, <|endoftext|>, <|im_end|> and the
 * metadata's eos id, where the vocabulary has them; never <|end|> (it closes a
 * channel). */
bool mt_tok_is_eog(const mt_tokenizer *t, uint32_t id);

/* Like mt_tok_encode, with BOS first when the vocabulary asks for it
 * (mt_tok_add_bos): the ids of a prompt, as llama.cpp's tokenize with
 * add_special. False only when out of memory. */
bool mt_tok_encode_prompt(const mt_tokenizer *t, const char *text, size_t len, bool parse_special, mt_ids *out);

/* Whether a prompt starts with BOS: tokenizer.ggml.add_bos_token, by default
 * true for SentencePiece ("llama") and false for byte-level BPE, as llama.cpp. */
bool mt_tok_add_bos(const mt_tokenizer *t);

/* tokenizer.ggml.{bos,eos}_token_id, or -1 when absent. */
int64_t mt_tok_bos(const mt_tokenizer *t);
int64_t mt_tok_eos(const mt_tokenizer *t);

/* Streaming decode: bytes of successive tokens come out as soon as they form
 * complete UTF-8 characters; a character split across tokens is held back
 * until its last byte arrives. Bytes that can never form a character come out
 * as they are (the caller chooses how to show them). */
typedef struct mt_detok {
    uint8_t pending[4];
    int n_pending;
} mt_detok;

/* Writes the newly complete bytes of token id to out (which must hold the
 * token's length + 4) and returns their count. */
size_t mt_detok_push(mt_detok *d, const mt_tokenizer *t, uint32_t id, char *out);
/* Whatever is still held back (an incomplete character at the end). */
size_t mt_detok_flush(mt_detok *d, char *out);

#endif
