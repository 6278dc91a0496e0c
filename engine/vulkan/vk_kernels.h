/* Which kernels a device runs: a row of data chosen from the device's
 * properties (mt_vk_choose_kernels), used by the ops (vk_ops.c) and the
 * upload (vk_weights.c) and reported by `moetop devices` and --profile. */
#ifndef MT_VK_KERNELS_H
#define MT_VK_KERNELS_H

#include <stddef.h>

#include "vk_device.h"

typedef struct mt_vk_kernels {
    /* products: "row" kernels, one invocation per four rows, weights and x read
     * through texel views, Q8_0/MXFP4/Q4_0/Q6_K rows split at upload into scales and
     * 16-byte-aligned quants, SwiGLU applied by the up product (CPU devices:
     * a workgroup's invocations are the SIMD lanes of one thread); else "group"
     * kernels, a workgroup per row with shared-memory sums (GPUs) */
    bool rows;
    uint32_t x_broadcast;     /* row kernels: 1 = x passed between lanes by subgroup shuffles, 0 = loaded by each lane */
    const char *why;          /* what decided rows: "CPU device", "GPU", "MOETOP_VK_KERNELS" */
} mt_vk_kernels;

/* invocations in a workgroup of matmul_rows.comp and moe_matmul_rows.comp (local_size_x): small
 * workgroups spread a one-token product over both threads of lavapipe (16: 380 us a 1024x1024
 * Q8_0 product, 64: 700 us) */
#define MT_VK_ROWS_WORKGROUP 16u

/* The choice for a device; override: MOETOP_VK_KERNELS ("row", "group", NULL or "" for the device's own). */
mt_vk_kernels mt_vk_choose_kernels(const mt_vk_device_info *in, const char *override);
/* Invocations per (head, token) in attention.comp for heads of head_dim: a subgroup on CPU devices,
 * else 32; fewer where shared memory holds fewer. */
uint32_t mt_vk_attention_width(const mt_vk_device_info *in, const mt_vk_kernels *k, uint32_t head_dim);
/* One line for people: "row kernels (CPU device): ..." */
void mt_vk_kernels_describe(const mt_vk_kernels *k, char *out, size_t cap);

#endif
