/* The vocabulary's routing: every token id of a range as a one-token prompt
 * (at position 0, or after a fixed prefix evaluated once), its top-k and
 * weights at every layer, and per layer how many tokens each expert takes as
 * top expert (mt_route_top). Independent one-token prompts are evaluated in
 * batches (mt_session_eval_alone) where the backend can, else one pass each.
 * Counts add exactly, so shards of the vocabulary merge. */
#ifndef MT_VOCAB_MAP_H
#define MT_VOCAB_MAP_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/session.h"

typedef struct mt_vocab_map {
    uint32_t n_layer, n_expert;
    uint64_t tokens;
    uint64_t *top;     /* [L][E]: tokens whose top expert is e */
    uint64_t *no_top;  /* [L]: tokens with no expert of weight > 0 */
} mt_vocab_map;

bool mt_vocab_map_init(mt_vocab_map *v, uint32_t n_layer, uint32_t n_expert);
void mt_vocab_map_free(mt_vocab_map *v);

/* Called for every token and layer in order (token ascending, then layer):
 * the selected experts in rank order and their weights. False stops the run. */
typedef bool (*mt_vocab_row_fn)(void *user, uint32_t token, uint32_t layer, const uint32_t *experts, const float *weights, uint32_t n);

/* Tokens [first, end) of s's model, each alone after the P tokens s holds
 * (s keeps them; its interventions apply). batch 1..256: that many tokens per
 * mt_session_eval_alone (the backend must have attention_alone); 0: one
 * append each (the reference). A batch of 1 runs the same kernels as an
 * append, so it equals the reference bit for bit; larger batches use the
 * backend's several-token kernels (float32 sums in another order: equal within
 * rounding, as a prefill equals token-by-token decoding). progress(user,
 * done, total) after each batch, may be NULL. False with err set
 * ("cancelled" when fn stopped it). */
bool mt_vocab_map_run(mt_session *s, uint32_t first, uint32_t end, uint32_t batch, mt_vocab_row_fn fn, void *fn_user,
                      bool (*progress)(void *, uint64_t, uint64_t), void *progress_user, mt_vocab_map *out, mt_err *err);

#endif
