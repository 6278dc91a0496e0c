/* The session's fields, shared by session.c (state) and forward.c (compute).
 * Everything per token lives in backend buffers (backend.h): the residual
 * stream and the KV cache where the backend computes (device memory for
 * Vulkan), the trace and the logits where the host can read them. */
#ifndef MT_SESSION_INTERNAL_H
#define MT_SESSION_INTERNAL_H

#include "rope.h"
#include "session.h"

/* Tokens evaluated per batch: bounds the scratch memory of a long prompt. */
#define MT_BATCH 256

/* One layer's trace buffer, host-visible, in sections of cap rows:
 * router logits [cap][E] f32 | experts [cap][E] u32 | weights [cap][E] f32 |
 * n_sel [cap] u32 | margin [cap] f32 | norms [cap][3] f32. */
enum { MT_TR_LOGITS, MT_TR_EXPERTS, MT_TR_WEIGHTS, MT_TR_NSEL, MT_TR_MARGIN, MT_TR_NORMS, MT_TR_SECTIONS };

struct mt_session {
    const mt_model *m;
    mt_backend *be;
    mt_rope rope;
    mt_interventions iv;
    uint32_t dirty_from;   /* first layer to recompute for all tokens; n_layer when clean */
    uint32_t n_tokens, cap;
    mt_buf *ids;           /* u32 [cap], host-visible */
    mt_buf **resid;        /* [n_layer + 1] of [cap][d]: resid[l] enters layer l; resid[L] leaves the last */
    mt_buf **k, **v;       /* [n_layer] of [cap][n_kv * head_dim], RoPE applied to k */
    mt_buf **trace;        /* [n_layer], host-visible, laid out as MT_TR_* */
    uint8_t **trace_host;  /* [n_layer]: their host addresses */
    bool keep_all_logits;
    bool skip_logits;      /* mt_session_skip_logits */
    mt_buf **moe_in;       /* [n_layer] of [cap][d], host-visible: the MoE's normed input, when captured (else NULL) */
    const float **moe_in_host; /* [n_layer]: their host addresses */
    mt_buf **q_in;         /* [n_layer] of [cap][n_head * head_dim], host-visible: the attention's queries (RoPE
                              applied), when captured (else NULL); session_attention.c reads them */
    const float **q_in_host;
    mt_buf *logits;        /* host-visible: [cap][V] when keeping all, else [V] */
    uint32_t logits_pos;   /* the position held when not keeping all (UINT32_MAX: none) */
    uint64_t layer_evals;
    mt_progress_fn progress; /* see mt_session_set_progress */
    void *progress_user;
    uint64_t work_done, work_total; /* layer evaluations of the current call */
    /* batch scratch (backend memory): h [B][max(d, q)], q and att [B][q], o and moe [B][d],
     * z [B][E] for the final norm's logits path; rope_cs [B][half][2] host-visible */
    mt_buf *h, *q, *att, *o, *moe, *rope_cs;
    /* mt_session_capture_at: host-visible [L + 1][d] residual rows entering each layer (row L: after
     * the last), then [L][d] attention updates, of position capture_pos (UINT32_MAX: none) */
    uint32_t capture_pos;
    mt_buf *capture;
    bool alone; /* the batch being evaluated is mt_session_eval_alone's */
};

/* Byte offset of row pos of a trace section (cap rows per section). */
uint64_t mt_trace_offset(const mt_session *s, int section, uint32_t pos);

/* Evaluates positions [pos0, pos0 + T) from layer0 to the last layer, then
 * the logits those positions need. resid[layer0] must hold their input
 * (layer0 = 0: the token embeddings are looked up first). */
bool mt_forward(mt_session *s, uint32_t pos0, uint32_t T, uint32_t layer0, mt_err *err);

#endif
