/* One expert's output on given inputs, computed apart from the forward pass
 * by the C backend's own MoE op (so exactly the model's expert FFN, weights
 * read from their stored formats): the op is given a routing that sends every
 * token to that expert alone with weight 1. Inputs are a layer's MoE inputs
 * (mt_session_capture_moe_input). */
#ifndef MT_EXPERT_EVAL_H
#define MT_EXPERT_EVAL_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/backend.h"
#include "engine/error.h"
#include "engine/model.h"

typedef struct mt_expert_eval mt_expert_eval;

/* threads <= 0: every online CPU. NULL with err set when out of memory. */
mt_expert_eval *mt_expert_eval_new(const mt_model *m, int threads, mt_err *err);
void mt_expert_eval_free(mt_expert_eval *x);
/* The C backend it runs on (its notice: backend.h). */
const mt_backend *mt_expert_eval_backend(const mt_expert_eval *x);

/* out[t] = f_e(h[t]) for t < T: h and out are [T][d] float32 (d the model's
 * width); e < n_expert, layer < n_layer. False with err set when out of memory. */
bool mt_expert_eval_run(mt_expert_eval *x, uint32_t layer, uint32_t e, const float *h, uint32_t T, float *out, mt_err *err);

#endif
