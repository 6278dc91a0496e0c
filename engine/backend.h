/* The operations a compute backend provides to the forward pass (forward.c,
 * the one place that knows the model). Activations are float32 rows in host
 * memory for now: the CPU backend works on them in place; a device backend
 * will keep its own copies (the Vulkan issue widens this interface).
 *
 * Shapes: T = tokens in the batch; rows are contiguous. */
#ifndef MT_BACKEND_H
#define MT_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"

typedef struct mt_attention_args {
    const float *q;        /* [T][n_head * head_dim], RoPE applied */
    const float *k, *v;    /* the layer's cache: [pos0 + T][n_kv * head_dim] */
    const float *sinks;    /* [n_head] */
    float *out;            /* [T][n_head * head_dim] */
    uint32_t T, pos0;      /* query t sits at position pos0 + t */
    uint32_t n_head, n_kv, head_dim;
    uint32_t window;       /* 0: full causal; else a token sees itself and window-1 before */
    float scale;           /* 1 / sqrt(head_dim) */
} mt_attention_args;

typedef struct mt_moe_args {
    const mt_layer_weights *w;
    const float *h;          /* [T][d]: the MoE's normed input */
    uint32_t T, d, ff, n_expert;
    const uint32_t *experts; /* [T][stride]: selected experts per token */
    const float *weights;    /* [T][stride]: their mixing weights */
    const uint32_t *n_sel;   /* [T] */
    uint32_t stride;
    const uint8_t *skip;     /* [n_expert]: 1 = the expert's output counts as zero */
    float *out;              /* [T][d]: the weighted sum of expert outputs */
} mt_moe_args;

typedef struct mt_backend mt_backend;

struct mt_backend {
    const char *name;   /* "cpu" */
    char device[128];   /* what it runs on, for humans and JSON */
    int n_threads;
    /* y[t][r] = bias[r] + sum_i W[r][i] x[t][i] for t < T; W is the expert's slice */
    void (*matmul)(mt_backend *b, const mt_weight *w, uint64_t expert, const float *x, size_t T, const float *bias, float *y);
    void (*attention)(mt_backend *b, const mt_attention_args *a);
    /* false when out of memory */
    int (*moe)(mt_backend *b, const mt_moe_args *a);
    void (*destroy)(mt_backend *b);
};

/* The C backend: n_threads <= 0 uses every online CPU. NULL on failure. */
mt_backend *mt_cpu_backend_new(int n_threads);

#endif
