#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require
// y[t][row0 + r] = bias[row0 + r] + W[r] . x[t], for the rows of one weight
// chunk and a tile of up to 8 tokens (workgroup y): matmul.comp's product
// with each row taken by one subgroup and summed by subgroupAdd, so the
// workgroup's subgroups work on rows_per_group rows at once with no shared
// memory and no barriers (matmul.comp takes its rows one after another and
// halves a shared-memory array, a barrier a step). GPUs, off by default:
// MOETOP_VK_KERNELS=subgroup (engine/vulkan/vk_kernels.h). Same bindings and
// push block as matmul.comp.
#include "weights.glsl"

layout(local_size_x = 128) in; // MT_VK_SG_WORKGROUP in engine/vulkan/vk_kernels.h
layout(std430, binding = 1) readonly buffer X { float x[]; };
layout(std430, binding = 2) readonly buffer Bias { float bias[]; };
layout(std430, binding = 3) writeonly buffer Y { float y[]; };

layout(push_constant) uniform Push {
    uint n_in, y_stride, row0, rows, row_bytes, T, x_off, y_off, bias_off, has_bias;
    uint rows_per_group; // rows a workgroup takes
    uint fast, x_base;   // matmul_rows.comp only
} p;

const uint TILE = 8u;

// v . x[xb, xb + span): a whole block's 32 products summed pairwise (a chain
// of 32 adds is twice as far from the exact sum, in the worst case, as
// rows_dot.glsl's and the C backend's sums), a partial block in order
float block_sum(float v[32], uint xb, uint span) {
    if (span < 32u) {
        float s = 0.0;
        for (uint j = 0u; j < span; j++) s += v[j] * x[xb + j];
        return s;
    }
    float q[16];
    [[unroll]] for (uint j = 0u; j < 16u; j++) q[j] = v[2u * j] * x[xb + 2u * j] + v[2u * j + 1u] * x[xb + 2u * j + 1u];
    [[unroll]] for (uint w = 8u; w > 0u; w /= 2u)
        [[unroll]] for (uint j = 0u; j < w; j++) q[j] = q[2u * j] + q[2u * j + 1u];
    return q[0];
}

void main() {
    uint lane = gl_SubgroupInvocationID, width = gl_SubgroupSize;
    uint t0 = gl_WorkGroupID.y * TILE, nt = min(TILE, p.T - t0);
    uint n_blocks = (p.n_in + 31u) / 32u;
    // every branch below is uniform within a subgroup but the block loop's
    for (uint rr = gl_SubgroupID; rr < p.rows_per_group; rr += gl_NumSubgroups) {
        uint r = gl_WorkGroupID.x * p.rows_per_group + rr;
        if (r >= p.rows) break;
        float acc[TILE];
        [[unroll]] for (uint t = 0u; t < TILE; t++) acc[t] = 0.0;
        float v[32];
        for (uint b = lane; b < n_blocks; b += width) {
            load_block(r * p.row_bytes, b, p.n_in, v);
            uint span = min(32u, p.n_in - b * 32u);
            for (uint t = 0u; t < nt; t++) {
                uint xb = p.x_off + (t0 + t) * p.n_in + b * 32u;
                acc[t] += block_sum(v, xb, span);
            }
        }
        float b0 = p.has_bias != 0u ? bias[p.bias_off + p.row0 + r] : 0.0;
        for (uint t = 0u; t < nt; t++) {
            float sum = subgroupAdd(acc[t]);
            if (subgroupElect()) y[p.y_off + (t0 + t) * p.y_stride + p.row0 + r] = sum + b0;
        }
    }
}
