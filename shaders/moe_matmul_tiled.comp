#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
// moe_matmul.comp's product (one expert's rows against its entries, workgroup
// y indexing the chunk's active experts, dispatched indirectly from the plan;
// gate/up by_token = 1, down by_token = 0 times the entry's weight) over
// many tokens: a workgroup per 64 rows (workgroup x), the expert's entries 32
// at a time, through shared memory (tile_gemm.glsl). The subgroup kernels'
// expert product for batches of 16 tokens or more; GPUs, off by default.
// Same bindings and push block as moe_matmul.comp.
#include "weights.glsl"
#include "moe_layout.glsl"

layout(local_size_x = 128) in;
layout(std430, binding = 1) readonly buffer X { float x[]; };
layout(std430, binding = 2) readonly buffer Bias { float bias[]; };
layout(std430, binding = 3) writeonly buffer Y { float y[]; };
layout(std430, binding = 4) readonly buffer Plan { uint plan[]; };
layout(push_constant) uniform Push {
    uint n_in, n_out, row_bytes, expert_bytes;
    uint E, T, chunk, first_expert;
    uint by_token, x_off, bias_off, rows_per_group;
    uint fast, x_base; // unused here
} p;

uint first, wbase;
uint input_row(uint entry) { return p.by_token != 0u ? plan[plan_entry_token(p.E) + entry] : entry; }
float x_at(uint t, uint i) { return x[p.x_off + input_row(first + t) * p.n_in + i]; }
uint row_at(uint r) { return wbase + r * p.row_bytes; }

#include "tile_gemm.glsl"

void main() {
    uint e = plan[plan_active(p.E) + plan[plan_chunk_active(p.E) + p.chunk] + gl_WorkGroupID.y];
    uint start = plan[plan_start(p.E) + e], count = plan[plan_count(p.E) + e];
    wbase = (e - p.first_expert) * p.expert_bytes;
    uint r0 = gl_WorkGroupID.x * TR, i = gl_LocalInvocationID.x, tr = i % 16u, tt = i / 16u;
    for (uint e0 = 0u; e0 < count; e0 += TT) { // the same for the whole workgroup
        first = start + e0;
        uint n_tok = min(TT, count - e0);
        tile_gemm(r0, p.n_out, n_tok, p.n_in);
        [[unroll]] for (uint a = 0u; a < 4u; a++) {
            uint r = r0 + tr + 16u * a;
            if (r >= p.n_out) continue;
            float b0 = bias[p.bias_off + e * p.n_out + r];
            [[unroll]] for (uint b = 0u; b < 4u; b++) {
                uint t = tt + 8u * b;
                if (t >= n_tok) continue;
                uint entry = first + t;
                float value = acc[a][b] + b0;
                if (p.by_token == 0u) value *= uintBitsToFloat(plan[plan_entry_weight(p.E, p.T) + entry]);
                y[entry * p.n_out + r] = value;
            }
        }
    }
}
