/* The operations a compute backend provides to the forward pass (forward.c,
 * the one place that knows the model), over memory the backend owns.
 *
 * Activations live in backend buffers (mt_buf): host memory for the CPU
 * backend, device memory for Vulkan. A buffer made with host_visible = true
 * can be read (and written) by the host through buf_host() whenever no work
 * is in flight; the trace and the logits live in such buffers, so a device
 * backend writes them from its shaders and the host reads them after wait().
 *
 * Ops are queued in order: the CPU backend runs each at once, a device
 * backend records them and runs them at submit(). Every op sees the results
 * of the ops before it. Weights are passed as the model's own pointers
 * (mt_weight, float vectors in the mapping); a device backend looks up its
 * uploaded copy, made by prepare().
 *
 * Shapes: T = tokens in the batch; rows are contiguous float32 unless noted;
 * an mt_ten is a byte offset into a buffer. */
#ifndef MT_BACKEND_H
#define MT_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "intervene.h"
#include "model.h"

typedef struct mt_buf mt_buf;
typedef struct mt_ten {
    mt_buf *buf;
    uint64_t off; /* bytes */
} mt_ten;

static inline mt_ten mt_ten_at(mt_buf *buf, uint64_t off_bytes) {
    mt_ten t = { buf, off_bytes };
    return t;
}
static inline mt_ten mt_ten_add(mt_ten t, uint64_t bytes) {
    t.off += bytes;
    return t;
}

typedef struct mt_attention_args {
    mt_ten q;              /* [T][n_head * head_dim], RoPE applied */
    mt_ten k, v;           /* the layer's cache from position 0: [pos0 + T][n_kv * head_dim] */
    const float *sinks;    /* [n_head], or NULL: no sinks (MT_CAP_NO_SINKS) */
    mt_ten out;            /* [T][n_head * head_dim] */
    uint32_t T, pos0;      /* query t sits at position pos0 + t */
    uint32_t n_head, n_kv, head_dim;
    uint32_t window;       /* 0: full causal; else a token sees itself and window-1 before */
    float scale;           /* 1 / sqrt(head_dim) */
    bool alone;            /* independent tokens (backends with attention_alone only): query t sits at
                            * position pos0 and sees keys [0, pos0) (within the window) and its own key
                            * at pos0 + t, nothing of the batch's other tokens */
} mt_attention_args;

/* The router's output for T tokens, each row E wide (E = n_expert). */
typedef struct mt_route_out {
    mt_ten experts;  /* u32 [T][E]: selected experts, highest logit first */
    mt_ten weights;  /* [T][E]: their mixing weights (0 for a dropped expert) */
    mt_ten n_sel;    /* u32 [T] */
    mt_ten margin;   /* [T]: see mt_iv_route */
    mt_router_kind kind; /* the model's router (family.h); not TOPK_SOFTMAX needs MT_CAP_SOFTMAX_ROUTER */
} mt_route_out;

typedef struct mt_moe_args {
    const mt_layer_weights *w;
    uint32_t layer;          /* its interventions' zero flags apply */
    mt_ten h;                /* [T][d]: the MoE's normed input */
    uint32_t T, d, ff, n_expert;
    mt_route_out route;      /* as route() wrote it */
    mt_ten out;              /* [T][d]: the weighted sum of expert outputs */
    mt_act act;              /* the experts' activation (family.h); MT_ACT_SWIGLU needs MT_CAP_SWIGLU */
} mt_moe_args;

typedef struct mt_backend mt_backend;

struct mt_backend {
    const char *name;   /* "cpu" or "vulkan" */
    char device[300];   /* what it runs on, for humans and JSON */
    int n_threads;
    uint64_t max_bind_bytes; /* the largest buffer span one op may address (a device's storage-buffer range) */
    bool attention_alone;    /* attention() implements mt_attention_args.alone */
    uint32_t caps;           /* MT_CAP_* (family.h): what it computes beyond gpt-oss; prepare() refuses a
                              * model that needs more (mt_model_lacks), in one line */
    char notice[600];        /* what the user should be told and the engine does not print (design.md): a
                              * setting it could not honour, weights it converted; lines, each ending in
                              * '\n', added by mt_backend_notice; "" when none. The caller shows them. */

    /* Uploads or binds the model's weights; once per model. False with err set
     * (a model that does not fit says how much it needs and how much there is). */
    bool (*prepare)(mt_backend *b, const mt_model *m, mt_err *err);

    /* ---- memory: NULL when out of memory; buffers start zeroed */
    mt_buf *(*buf_new)(mt_backend *b, uint64_t bytes, bool host_visible);
    void (*buf_free)(mt_backend *b, mt_buf *buf);
    void *(*buf_host)(mt_backend *b, mt_buf *buf); /* NULL unless host_visible */
    /* queued copy between buffers */
    void (*copy)(mt_backend *b, mt_ten dst, mt_ten src, uint64_t bytes);

    /* ---- ops */
    /* the installed interventions: route() and moe() follow them (copied) */
    bool (*set_interventions)(mt_backend *b, const mt_interventions *iv);
    /* out[t] = row ids[t] of w (u32 ids), dequantized: [T][w->in] */
    void (*embed)(mt_backend *b, const mt_weight *w, mt_ten ids, uint32_t T, mt_ten out);
    /* out[t] = x[t] / sqrt(mean(x[t]^2) + eps) * w. With MT_CAP_QK_NORM out may be x (in place): the
     * q/k norms run it over T * heads rows of head_dim (per head) or T rows of the whole width */
    void (*rmsnorm)(mt_backend *b, mt_ten x, const float *w, mt_ten out, uint32_t T, uint32_t d, float eps);
    /* y[t][r] = bias[r] + sum_i W[r][i] x[t][i]; bias may be NULL */
    void (*matmul)(mt_backend *b, const mt_weight *w, mt_ten x, uint32_t T, const float *bias, mt_ten y);
    /* rotates n_heads heads of x[t] (n_heads * 2 half wide) by cs[t][i] = (cos, sin), NeoX pairs (i, i + half) */
    void (*rope)(mt_backend *b, mt_ten x, uint32_t T, uint32_t n_heads, uint32_t half, mt_ten cs);
    /* the same rotation on adjacent pairs (2i, 2i + 1): llama.cpp's LLAMA_ROPE_TYPE_NORM (Mixtral);
     * (x_2i, x_2i+1) becomes (x_2i c - x_2i+1 s, x_2i+1 c + x_2i s). NULL without MT_CAP_ROPE_ADJACENT */
    void (*rope_adjacent)(mt_backend *b, mt_ten x, uint32_t T, uint32_t n_heads, uint32_t half, mt_ten cs);
    void (*attention)(mt_backend *b, const mt_attention_args *a);
    /* out = a + b; norms[t][norm_a] = |a[t]|, norms[t][norm_b] = |b[t]| (a column < 0: not written).
     * out may be a. norms is [T][3]. */
    void (*add)(mt_backend *b, mt_ten a, mt_ten bb, mt_ten out, uint32_t T, uint32_t d, mt_ten norms, int norm_a, int norm_b);
    /* routing of T tokens from the biased router logits z [T][E], as mt_iv_route does it */
    void (*route)(mt_backend *b, mt_ten z, uint32_t layer, uint32_t model_k, uint32_t T, uint32_t E, const mt_route_out *out);
    /* false when out of memory */
    bool (*moe)(mt_backend *b, const mt_moe_args *a);

    /* ---- execution: submit() starts what is queued and returns its ticket;
     * wait(ticket) returns when it (and all before it) finished. False with
     * err set when the device failed. The CPU backend has done everything already. */
    bool (*submit)(mt_backend *b, uint64_t *ticket, mt_err *err);
    bool (*wait)(mt_backend *b, uint64_t ticket, mt_err *err);

    /* time per op since the backend was made, when profiling (NULL: none kept) */
    void (*profile_report)(mt_backend *b, void *file);
    /* the same ops' total time so far in ms (GPU time, or the C backend's wall time per op), when profiling
     * (NULL: none kept); after wait(), every finished op is counted. A caller's wall time minus the change
     * of this over the same stretch is the time outside the ops: recording, submission, waiting, the host's own work */
    double (*profile_ms)(mt_backend *b);
    void (*destroy)(mt_backend *b);
};

/* The C backend: n_threads <= 0 uses every online CPU. NULL on failure. */
mt_backend *mt_cpu_backend_new(int n_threads);
/* Makes a C backend keep wall time per op for profile_report() (before its first op). */
void mt_cpu_backend_profile(mt_backend *b);
/* The kernel set a C backend uses ($MOETOP_KERNELS honoured, or the best): "c", "avx2" or "avx512". */
const char *mt_cpu_backend_kernels(const mt_backend *b);

/* Appends one line (printf's format; no newline needed; a newline in it is
 * written \x0a, so it stays one line) to b->notice; a line that does not
 * fit whole is dropped (the field keeps whole lines). */
void mt_backend_notice(mt_backend *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
