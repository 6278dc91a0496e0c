/* The kernel choice per device (vk_kernels.h). */
#include "vk_kernels.h"

#include <stdio.h>
#include <string.h>

mt_vk_kernels mt_vk_choose_kernels(const mt_vk_device_info *in, const char *override) {
    mt_vk_kernels k = { 0 };
    if (override && *override) {
        k.rows = strcmp(override, "row") == 0;
        k.why = "MOETOP_VK_KERNELS";
    } else {
        k.rows = in->type == VK_PHYSICAL_DEVICE_TYPE_CPU;
        k.why = k.rows ? "CPU device" : "GPU";
    }
    /* rows_dot.glsl's BROADCAST: x passed between lanes in groups of 8 */
    k.x_broadcast = in->subgroup_shuffle && in->subgroup_size >= 8 && in->subgroup_size % 8 == 0 && MT_VK_ROWS_WORKGROUP % in->subgroup_size == 0;
    return k;
}

uint32_t mt_vk_attention_width(const mt_vk_device_info *in, uint32_t head_dim) {
    uint32_t width = 32;
    while (width > 1 && (uint64_t)width * (head_dim + 2) * 4 > in->max_shared_bytes) width /= 2;
    return width;
}

void mt_vk_kernels_describe(const mt_vk_kernels *k, char *out, size_t cap) {
    if (k->rows)
        snprintf(out, cap,
                 "row kernels (%s): products an invocation per 4 rows in workgroups of %u, weights and x as texels, x %s, "
                 "split Q8_0/MXFP4 rows, SwiGLU in the up product",
                 k->why, MT_VK_ROWS_WORKGROUP, k->x_broadcast ? "shuffled between lanes" : "loaded by each lane");
    else
        snprintf(out, cap, "group kernels (%s): products a workgroup per 4 rows, shared-memory sums, 8 tokens a dequantized block", k->why);
}
