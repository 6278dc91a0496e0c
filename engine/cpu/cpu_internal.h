/* The C backend's state, shared by cpu_backend.c (memory, element-wise ops,
 * routing) and cpu_ops.c (products, attention, experts). */
#ifndef MT_CPU_INTERNAL_H
#define MT_CPU_INTERNAL_H

#include "../backend.h"
#include "kernels.h"
#include "pool.h"

struct mt_buf {
    uint8_t *p;
    uint64_t bytes;
};

#define CPU_PROFILE_KINDS 12

typedef struct cpu_backend {
    mt_backend base;
    mt_pool *pool;
    const mt_kernels *k;
    float *packed; /* tokens packed for the current matmul */
    size_t packed_cap;
    mt_interventions iv; /* installed by set_interventions */
    uint32_t *order;     /* [iv.n_expert]: routing scratch */
    /* profiling (cpu_profile.c): the ops it wraps, and wall time per kind of op */
    mt_backend inner;
    uint64_t profile_ns[CPU_PROFILE_KINDS], profile_count[CPU_PROFILE_KINDS];
} cpu_backend;

static inline void *cpu_ptr(mt_ten t) { return t.buf->p + t.off; }

/* y[t][r] = bias[r] + W_e[r] . x[t] over host arrays (W_e: expert e's slice) */
void cpu_matmul_host(cpu_backend *c, const mt_weight *w, uint64_t expert, const float *x, size_t T, const float *bias, float *y);
void cpu_matmul(mt_backend *b, const mt_weight *w, mt_ten x, uint32_t T, const float *bias, mt_ten y);
void cpu_attention(mt_backend *b, const mt_attention_args *a);
bool cpu_moe(mt_backend *b, const mt_moe_args *a);
/* Wraps the ops with wall-clock timers and sets profile_report. */
void cpu_profile_install(cpu_backend *c);

#endif
