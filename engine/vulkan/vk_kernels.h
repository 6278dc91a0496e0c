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
    /* group kernels with each row summed by one subgroup (subgroupAdd), MT_VK_SG_ROWS rows of a
     * workgroup at once: matmul_sg.comp and moe_matmul_sg.comp. Off by default until a GPU's parity
     * run is on record; MOETOP_VK_KERNELS=subgroup asks for them where the device sums over subgroups */
    bool subgroup;
    /* with subgroup, products of MT_VK_TILE_MIN_TOKENS tokens or more in shared-memory tiles of
     * MT_VK_TILE_ROWS rows x 32 tokens (matmul_tiled.comp, moe_matmul_tiled.comp), where the device's
     * shared memory holds MT_VK_TILE_SHARED bytes */
    bool tiled;
    uint32_t x_broadcast;     /* row kernels: 1 = x passed between lanes by subgroup shuffles, 0 = loaded by each lane */
    const char *why;          /* what decided rows: "CPU device", "GPU", "MOETOP_VK_KERNELS" */
} mt_vk_kernels;

/* invocations in a workgroup of matmul_rows.comp and moe_matmul_rows.comp (local_size_x): small
 * workgroups spread a one-token product over both threads of lavapipe (16: 380 us a 1024x1024
 * Q8_0 product, 64: 700 us) */
#define MT_VK_ROWS_WORKGROUP 16u
/* invocations in a workgroup of the subgroup kernels (local_size_x of matmul_sg.comp and
 * moe_matmul_sg.comp), and the rows such a workgroup takes: each of its subgroups one row at a time */
#define MT_VK_SG_WORKGROUP 128u
#define MT_VK_SG_ROWS 8u
/* tile_gemm.glsl: 64 rows x 32 tokens a workgroup; its shared arrays (64 + 32) x 33 floats */
#define MT_VK_TILE_ROWS 64u
#define MT_VK_TILE_SHARED ((64u + 32u) * 33u * 4u)
#define MT_VK_TILE_MIN_TOKENS 16u

/* The choice for a device; override: MOETOP_VK_KERNELS ("row", "group", "subgroup" (group kernels reduced by
 * subgroups, where the device has subgroup arithmetic; else group), NULL, "" or any other value for the
 * device's own). */
/* Whether override names a kernel set (row, group, subgroup). */
bool mt_vk_kernels_known(const char *override);
/* An override that is set but names no kernel set: the line to tell the user, in buf (a speed setting
 * is no reason to refuse to run; the device's own choice is used); NULL for NULL, "" or a known set. */
const char *mt_vk_kernels_override_problem(const char *override, char *buf, size_t size);
mt_vk_kernels mt_vk_choose_kernels(const mt_vk_device_info *in, const char *override);
/* Invocations per (head, token) in attention.comp for heads of head_dim: a subgroup on CPU devices,
 * else 32; fewer where shared memory holds fewer. */
uint32_t mt_vk_attention_width(const mt_vk_device_info *in, const mt_vk_kernels *k, uint32_t head_dim);
/* One line for people: "row kernels (CPU device): ..." */
void mt_vk_kernels_describe(const mt_vk_kernels *k, char *out, size_t cap);

#endif
