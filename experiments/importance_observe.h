/* Importance observed on a forward pass: for every layer, each selected
 * expert's output norm ||f_e(x)||_2 recomputed on the token's captured MoE
 * input (experiments/expert_eval.h), then mt_imp_observe per token and
 * mt_imp_end_prompt per prompt (experiments/importance.h gives the sums and
 * their definitions). What `moetop importance` and `moetop prune --by
 * importance` both run. */
#ifndef MT_IMPORTANCE_OBSERVE_H
#define MT_IMPORTANCE_OBSERVE_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/error.h"
#include "engine/intervene.h"
#include "engine/model.h"
#include "engine/session.h"
#include "experiments/expert_eval.h"
#include "experiments/importance.h"

/* Buffers reused across prompts; zero-initialise, free with
 * mt_imp_scratch_free. */
typedef struct mt_imp_scratch {
    float *in, *out, *norms; /* [T][d], [T][d], [T][E] */
    uint32_t *rows;          /* [T] */
    uint32_t cap;
} mt_imp_scratch;

void mt_imp_scratch_free(mt_imp_scratch *sc);

/* Adds the prompt held by s (its whole length, computed with the MoE input
 * captured: mt_session_capture_moe_input) to layers[0..n_layer) as one prompt
 * of domain `domain`. iv: the interventions s ran under (an expert --zero'd
 * at a layer, and not forced there, contributes norm 0). False with err set
 * when out of memory. */
bool mt_imp_observe_session(mt_imp_layer *layers, uint32_t domain, const mt_session *s, const mt_model *m,
                            const mt_interventions *iv, mt_expert_eval *ev, mt_imp_scratch *sc, mt_err *err);

#endif
