/* Byte-pair merging: within a piece, repeatedly merge the adjacent pair of
 * lowest rank (the leftmost on a tie), until no adjacent pair forms a token.
 *
 * Two rank orders, chosen at init:
 * - token ranks (tiktoken): a pair ranks as the token it makes, whose rank is
 *   the index of the first merge in tokenizer.ggml.merges that produces it (in
 *   o200k's merges, which list every split of every token in the order of the
 *   tokens' ranks, this is exactly tiktoken's rank order);
 * - pair ranks (GPT-2, Hugging Face's BPE model, llama.cpp's
 *   llm_tokenizer_bpe_session with find_bpe_rank): a pair ranks as its own
 *   index in the merges, so two pairs making one token rank apart. */
#ifndef MT_BPE_H
#define MT_BPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MT_BPE_NO_RANK UINT32_MAX

typedef struct mt_bpe {
    uint64_t *keys;   /* ((uint64_t)left << 32 | right) + 1; 0 marks an empty slot */
    uint32_t *result; /* the merged token's id */
    uint64_t mask;
    uint32_t *rank;   /* per token id; MT_BPE_NO_RANK for tokens no merge produces */
    uint32_t *pair_rank; /* per slot, the pair's merge index (pair ranks only, else NULL) */
    uint32_t n_vocab;
} mt_bpe;

/* pair_ranks: rank pairs by their own merge index (GPT-2) rather than by the
 * token they make (tiktoken). False when out of memory. */
bool mt_bpe_init(mt_bpe *b, uint32_t n_vocab, uint64_t n_merges, bool pair_ranks);
void mt_bpe_free(mt_bpe *b);
/* Records merge number index: left + right -> result. */
void mt_bpe_add(mt_bpe *b, uint32_t left, uint32_t right, uint32_t result, uint32_t index);
/* Asks for the slot of a pair early (bulk loading). */
void mt_bpe_prefetch(const mt_bpe *b, uint32_t left, uint32_t right);
/* The merged token of an adjacent pair, or UINT32_MAX. */
uint32_t mt_bpe_pair(const mt_bpe *b, uint32_t left, uint32_t right);

/* Working memory for mt_bpe_merge, grown as needed and reused. */
typedef struct mt_bpe_scratch {
    uint32_t *next, *prev;
    uint64_t *heap; /* (rank << 32 | left symbol index) */
    size_t cap, heap_cap;
} mt_bpe_scratch;

void mt_bpe_scratch_free(mt_bpe_scratch *s);

/* ids[0..n) are a piece's symbols (initially its bytes' tokens); merges them
 * in place and returns the new count, or 0 when out of memory. */
size_t mt_bpe_merge(const mt_bpe *b, uint32_t *ids, size_t n, mt_bpe_scratch *s);

#endif
