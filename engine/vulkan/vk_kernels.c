/* The kernel choice per device (vk_kernels.h). */
#include "vk_kernels.h"

#include <stdio.h>
#include <string.h>

bool mt_vk_kernels_known(const char *override) {
    return override && (strcmp(override, "row") == 0 || strcmp(override, "group") == 0 || strcmp(override, "subgroup") == 0);
}

const char *mt_vk_kernels_override_problem(const char *override, char *buf, size_t size) {
    if (!override || !*override || mt_vk_kernels_known(override)) return NULL;
    snprintf(buf, size, "MOETOP_VK_KERNELS=%.40s%s: not a kernel set (row, group or subgroup); using the device's own", override,
             strlen(override) > 40 ? "..." : "");
    return buf;
}

mt_vk_kernels mt_vk_choose_kernels(const mt_vk_device_info *in, const char *override) {
    mt_vk_kernels k = { 0 };
    if (mt_vk_kernels_known(override)) {
        k.rows = strcmp(override, "row") == 0;
        k.subgroup = strcmp(override, "subgroup") == 0 && in->subgroup_arithmetic;
        k.tiled = k.subgroup && in->max_shared_bytes >= MT_VK_TILE_SHARED;
        k.why = strcmp(override, "subgroup") == 0 && !k.subgroup ? "MOETOP_VK_KERNELS=subgroup, but this device has no subgroup sums" : "MOETOP_VK_KERNELS";
    } else {
        k.rows = in->type == VK_PHYSICAL_DEVICE_TYPE_CPU;
        k.why = k.rows ? "CPU device" : "GPU";
    }
    /* rows_dot.glsl's BROADCAST: x passed between lanes in groups of 8 */
    k.x_broadcast = in->subgroup_shuffle && in->subgroup_size >= 8 && in->subgroup_size % 8 == 0 && MT_VK_ROWS_WORKGROUP % in->subgroup_size == 0;
    return k;
}

uint32_t mt_vk_attention_width(const mt_vk_device_info *in, const mt_vk_kernels *k, uint32_t head_dim) {
    /* CPU devices: one subgroup (lavapipe: 8 lanes, one thread), so the merge through shared
     * memory, made lane by lane there, stays small; GPUs: 32 */
    uint32_t width = k->rows && in->subgroup_size >= 1 && in->subgroup_size <= 32 ? in->subgroup_size : 32;
    while (width > 1 && (uint64_t)width * (head_dim + 2) * 4 > in->max_shared_bytes) width /= 2;
    return width;
}

void mt_vk_kernels_describe(const mt_vk_kernels *k, char *out, size_t cap) {
    if (k->rows)
        snprintf(out, cap,
                 "row kernels (%s): products an invocation per 4 rows in workgroups of %u, weights and x as texels, x %s, "
                 "split Q8_0/MXFP4/Q4_0/Q6_K rows, SwiGLU in the up product, attention a subgroup wide reading texels",
                 k->why, MT_VK_ROWS_WORKGROUP, k->x_broadcast ? "shuffled between lanes" : "loaded by each lane");
    else if (k->subgroup)
        snprintf(out, cap, "subgroup kernels (%s): products a subgroup per row, %u rows a workgroup of %u, subgroup sums, 8 tokens a dequantized block%s; attention 32 wide",
                 k->why, MT_VK_SG_ROWS, MT_VK_SG_WORKGROUP, k->tiled ? "; from 16 tokens, tiles of 64 rows x 32 tokens in shared memory" : "");
    else
        snprintf(out, cap, "group kernels (%s): products a workgroup per 4 rows, shared-memory sums, 8 tokens a dequantized block; attention 32 wide",
                 k->why);
}
