/* The pre-tokenizers of byte-level BPE, by tokenizer.ggml.pre (llama.cpp's
 * llama_vocab::impl::load and llm_tokenizer_bpe's regex_exprs): each splits
 * text into the pieces its regular expression finds, without a regex library.
 * Alternatives are tried in order at each position (the first that matches
 * wins; inside one, greedy with backtracking). Classes: \p{L} letters (Lu Ll
 * Lt Lm Lo), \p{N} numbers (Nd Nl No), \s the White_Space property (as Rust's
 * regex, Oniguruma and llama.cpp have it; JavaScript's \s differs on U+0085
 * and U+FEFF).
 *
 * "gpt-4o": the o200k pre-tokenizer: splits text into the pieces tiktoken's o200k_base
 * regular expression finds, without a regex library. The pattern is seven
 * alternatives, tried in order at each position (the first that matches wins;
 * inside one, greedy with backtracking):
 *   1. [^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?
 *   2. [^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?
 *   3. \p{N}{1,3}
 *   4.  ?[^\s\p{L}\p{N}]+[\r\n/]*
 *   5. \s*[\r\n]+
 *   6. \s+(?!\S)
 *   7. \s+
 * Every character is matched by one of them, so the pieces tile the text.
 *
 * Invalid UTF-8: each maximal invalid subpart (see utf8.h) counts as one
 * character of class "other" (as U+FFFD would), and keeps its bytes. */
#ifndef MT_PRETOK_H
#define MT_PRETOK_H

#include <stddef.h>
#include <stdint.h>

/* The end (exclusive, > pos) of the piece that starts at byte pos < n. */
size_t mt_pretok_o200k(const uint8_t *s, size_t n, size_t pos);

/* "qwen2" (Qwen2, Qwen3; Hugging Face's Split pattern, with (?i:'s|...) read
 * as ASCII [sS] as llama.cpp and transformers.js do):
 *   1. '[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD]
 *   2. [^\r\n\p{L}\p{N}]?\p{L}+
 *   3. \p{N}
 *   4.  ?[^\s\p{L}\p{N}]+[\r\n]*
 *   5. \s*[\r\n]+    6. \s+(?!\S)    7. \s+
 * Same contract as mt_pretok_o200k. */
size_t mt_pretok_qwen2(const uint8_t *s, size_t n, size_t pos);

/* "olmo" (OLMoE; also GPT-2's own): Hugging Face's ByteLevel pattern
 *   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 * (llama.cpp lists it without the last \s+, which its own GPT-2 splitter,
 * unicode_regex_split_custom_gpt2, still applies). Same contract. */
size_t mt_pretok_gpt2(const uint8_t *s, size_t n, size_t pos);

#endif
