/* The o200k pre-tokenizer: splits text into the pieces tiktoken's o200k_base
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

#endif
