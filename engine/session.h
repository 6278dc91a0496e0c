/* A prompt's state: its token ids, the KV cache of every layer, the residual
 * stream entering every layer, and the routing trace of every (token, layer).
 *
 * Appending tokens evaluates only the new positions. Changing interventions
 * marks layers dirty from the first layer whose intervention changed; the
 * next update recomputes layers l..L-1 for every token from the cached
 * residual entering layer l, and nothing when nothing changed. */
#ifndef MT_SESSION_H
#define MT_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "backend.h"
#include "error.h"
#include "intervene.h"
#include "model.h"

typedef struct mt_session mt_session;

mt_session *mt_session_new(const mt_model *m, mt_backend *be, mt_err *err);
void mt_session_free(mt_session *s);

/* Keep the logits of every position (else only the last position's). Only
 * before the first append; ignored after. */
void mt_session_keep_all_logits(mt_session *s, bool all);

/* Computes no logits at all (for analyses that read only the trace: on a
 * 201k-token vocabulary the output product is most of a short prompt's work).
 * mt_session_logits then returns NULL. */
void mt_session_skip_logits(mt_session *s, bool skip);

/* Keep the input of every layer's MoE (the normed residual its router and
 * experts read, [d] float32 per token), host-visible, for analyses that
 * recompute expert outputs. Only before the first append; ignored after.
 * False when out of memory. */
bool mt_session_capture_moe_input(mt_session *s, bool on);
/* The MoE input [d] of (layer, pos) when capturing, else NULL. */
const float *mt_session_moe_input(const mt_session *s, uint32_t layer, uint32_t pos);

/* Keep every layer's attention queries (RoPE applied) so that
 * mt_session_attention can give the attention probabilities. Only before the
 * first append; ignored after. False when out of memory. */
bool mt_session_capture_attention(mt_session *s, bool on);
/* The attention probabilities of (layer, pos), as the forward pass computes
 * them: for head h, probs[h * (pos + 1) + j] = exp(s_j) / (exp(sink_h) +
 * sum_i exp(s_i)) with s_j = q_h . k_j / sqrt(head_dim) over the positions j
 * the layer lets pos see (its sliding window on even layers, else 0..pos;
 * 0 outside it), sink[h] = exp(sink_h) / the same denominator (the share the
 * sink takes; sink may be NULL). out [n_head * head_dim] (may be NULL): the
 * attention's output sum_j probs_j v_j per head. Needs the capture; false with
 * err set otherwise, past the tokens held, or when the backend fails. */
bool mt_session_attention(const mt_session *s, uint32_t layer, uint32_t pos, float *probs, float *sink, float *out, mt_err *err);

/* Installs interventions (copied); computes nothing until the next append or update. */
bool mt_session_set_interventions(mt_session *s, const mt_interventions *iv);
const mt_interventions *mt_session_interventions(const mt_session *s);

/* Appends and evaluates n tokens (after bringing dirty layers up to date).
 * False with err set: past the context length (nothing appended), ids out of
 * the vocabulary, or out of memory. */
bool mt_session_append(mt_session *s, const uint32_t *ids, uint32_t n, mt_err *err);
/* Recomputes what changed interventions made stale. */
bool mt_session_update(mt_session *s, mt_err *err);
/* Forgets tokens from position n on (their cache is kept for nothing). */
void mt_session_truncate(mt_session *s, uint32_t n);

uint32_t mt_session_length(const mt_session *s);
/* The model's context length: the most tokens a session holds. */
uint32_t mt_session_context(const mt_session *s);
const uint32_t *mt_session_ids(const mt_session *s);

/* Logits [V] after the last evaluation at position pos: any position when
 * keeping all, else only the last one; NULL otherwise. */
const float *mt_session_logits(const mt_session *s, uint32_t pos);

/* The trace of (layer, pos): */
const float *mt_session_router_logits(const mt_session *s, uint32_t layer, uint32_t pos); /* [E], before interventions */
uint32_t mt_session_route(const mt_session *s, uint32_t layer, uint32_t pos, const uint32_t **experts, const float **weights,
                          float *margin);
/* L2 norms of the residual entering the layer, the attention update and the MoE update. */
void mt_session_norms(const mt_session *s, uint32_t layer, uint32_t pos, float norms[3]);

/* Captures, at position pos, the residual entering every layer, the one
 * leaving the last, and every layer's attention update (the output projection
 * with its bias, before it is added), as the position is evaluated by later
 * appends and updates: call before the position is evaluated. Then the MoE
 * update of layer l is resid[l + 1] - (resid[l] + attn[l]). One position at
 * a time (a new call replaces the old); false when out of memory. */
bool mt_session_capture_at(mt_session *s, uint32_t pos, mt_err *err);
/* The captured rows [d] of a layer (resid: 0..L, attn: 0..L-1; NULL where the
 * layer has none), or false when no position is captured or pos is not yet evaluated. */
bool mt_session_captured(const mt_session *s, uint32_t layer, const float **resid, const float **attn);

/* Evaluates n tokens (n <= 256) each alone after the session's P tokens
 * (the prefix): token i as the only token at position P, seeing the prefix and
 * itself, as P + 1-token sessions would, in one batch. Afterwards the session holds P + n positions whose trace rows
 * P..P+n-1 are the n independent tokens': read them, then truncate to P (they
 * are not a sequence). No logits. False with err set: a backend without the
 * mode (backend.h attention_alone), past the context, out of memory. */
bool mt_session_eval_alone(mt_session *s, const uint32_t *ids, uint32_t n, mt_err *err);

/* Progress of the work one append or update does, called after each layer
 * of each batch: done and total count layer evaluations. Returning false
 * stops it: the call fails with "cancelled", an append's tokens are dropped
 * (the session holds what it held before), an update's layers stay dirty
 * (the next update or append recomputes them). NULL: no calls. */
typedef bool (*mt_progress_fn)(void *user, uint64_t done, uint64_t total);
void mt_session_set_progress(mt_session *s, mt_progress_fn fn, void *user);
/* The first layer changed interventions left stale (n_layer when none). */
uint32_t mt_session_dirty_from(const mt_session *s);

/* Layer evaluations performed (one per layer per evaluated batch), for tests. */
uint64_t mt_session_layer_evals(const mt_session *s);

#endif
