#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require
// moe_matmul.comp's product (one expert's rows against its entries, for the
// experts of one weight chunk that have tokens: workgroup y indexes them,
// dispatched indirectly from the plan; gate/up by_token = 1, down by_token =
// 0 times the entry's weight), with each row taken by one subgroup and summed
// by subgroupAdd: the workgroup's subgroups work on rows_per_group rows at
// once, no shared memory, no barriers. GPUs, off by default:
// MOETOP_VK_KERNELS=subgroup. Same bindings and push block as moe_matmul.comp.
#include "weights.glsl"
#include "moe_layout.glsl"

layout(local_size_x = 128) in; // MT_VK_SG_WORKGROUP in engine/vulkan/vk_kernels.h
layout(std430, binding = 1) readonly buffer X { float x[]; };
layout(std430, binding = 2) readonly buffer Bias { float bias[]; };
layout(std430, binding = 3) writeonly buffer Y { float y[]; };
layout(std430, binding = 4) readonly buffer Plan { uint plan[]; };
layout(push_constant) uniform Push {
    uint n_in, n_out, row_bytes, expert_bytes;
    uint E, T, chunk, first_expert;
    uint by_token, x_off, bias_off, rows_per_group;
    uint fast, x_base; // moe_matmul_rows.comp only
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
    uint e = plan[plan_active(p.E) + plan[plan_chunk_active(p.E) + p.chunk] + gl_WorkGroupID.y];
    uint first = plan[plan_start(p.E) + e], count = plan[plan_count(p.E) + e];
    uint n_blocks = (p.n_in + 31u) / 32u;
    uint wbase = (e - p.first_expert) * p.expert_bytes;
    for (uint rr = gl_SubgroupID; rr < p.rows_per_group; rr += gl_NumSubgroups) {
        uint r = gl_WorkGroupID.x * p.rows_per_group + rr;
        if (r >= p.n_out) break;
        float b0 = bias[p.bias_off + e * p.n_out + r];
        for (uint e0 = 0u; e0 < count; e0 += TILE) {
            uint nt = min(TILE, count - e0);
            uint xrow[TILE];
            for (uint t = 0u; t < nt; t++) {
                uint entry = first + e0 + t;
                xrow[t] = p.x_off + (p.by_token != 0u ? plan[plan_entry_token(p.E) + entry] : entry) * p.n_in;
            }
            float acc[TILE];
            [[unroll]] for (uint t = 0u; t < TILE; t++) acc[t] = 0.0;
            float v[32];
            for (uint b = lane; b < n_blocks; b += width) {
                load_block(wbase + r * p.row_bytes, b, p.n_in, v);
                uint span = min(32u, p.n_in - b * 32u);
                for (uint t = 0u; t < nt; t++) {
                    uint xb = xrow[t] + b * 32u;
                    acc[t] += block_sum(v, xb, span);
                }
            }
            for (uint t = 0u; t < nt; t++) {
                float sum = subgroupAdd(acc[t]);
                if (subgroupElect()) {
                    uint entry = first + e0 + t;
                    float value = sum + b0;
                    if (p.by_token == 0u) value *= uintBitsToFloat(plan[plan_entry_weight(p.E, p.T) + entry]);
                    y[entry * p.n_out + r] = value;
                }
            }
        }
    }
}
