/* How every experiment evaluates a prompt under a condition, so that equal
 * interventions give bit-identical numbers whichever order conditions run in:
 * the prompt's first n-1 positions as one append (or, when the session already
 * holds them, recomputed from the first layer whose interventions changed), then
 * the last position as a one-token append (fresh logits, the continuation's
 * starting point). */
#ifndef MT_PROMPT_RUN_H
#define MT_PROMPT_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/session.h"

/* ids[0..n), n >= 1. cached: s holds these same first n-1 tokens (from an
 * earlier call with the same ids). False with err set (the backend failed,
 * past the context, cancelled). */
bool mt_exp_eval_prompt(mt_session *s, const mt_interventions *iv, const uint32_t *ids, uint32_t n, bool cached, mt_err *err);

#endif
