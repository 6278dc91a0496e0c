/* The session's fields, shared by session.c (state) and forward.c (compute). */
#ifndef MT_SESSION_INTERNAL_H
#define MT_SESSION_INTERNAL_H

#include "rope.h"
#include "session.h"

/* Tokens evaluated per batch: bounds the scratch memory of a long prompt. */
#define MT_BATCH 256

struct mt_session {
    const mt_model *m;
    mt_backend *be;
    mt_rope rope;
    mt_interventions iv;
    uint32_t dirty_from;   /* first layer to recompute for all tokens; n_layer when clean */
    uint32_t n_tokens, cap;
    uint32_t *ids;         /* [cap] */
    float *resid;          /* [n_layer + 1][cap][d]: resid[l] enters layer l; resid[L] leaves the last */
    float **k, **v;        /* per layer [cap][n_kv * head_dim], RoPE applied to k */
    /* trace, per layer [cap][...] */
    float *router_logits;  /* [L][cap][E] */
    uint32_t *sel_experts; /* [L][cap][E] */
    float *sel_weights;    /* [L][cap][E] */
    uint32_t *sel_n;       /* [L][cap] */
    float *margin;         /* [L][cap] */
    float *norms;          /* [L][cap][3] */
    bool keep_all_logits;
    float *logits;         /* [cap][V] when keeping all, else [V] */
    uint32_t logits_pos;   /* the position held when not keeping all (UINT32_MAX: none) */
    uint64_t layer_evals;
    mt_progress_fn progress; /* see mt_session_set_progress */
    void *progress_user;
    uint64_t work_done, work_total; /* layer evaluations of the current call */
    /* batch scratch */
    float *h, *q, *att, *o, *z, *moe;
    uint32_t *order;
};

/* Evaluates positions [pos0, pos0 + T) from layer0 to the last layer, then
 * the logits those positions need. resid[layer0] must hold their input. */
bool mt_forward(mt_session *s, uint32_t pos0, uint32_t T, uint32_t layer0, mt_err *err);

#endif
