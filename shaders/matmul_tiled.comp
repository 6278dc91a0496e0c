#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
// y[t][row0 + r] = bias[row0 + r] + W[r] . x[t] over many tokens: a
// workgroup per tile of 64 rows (workgroup x) x 32 tokens (workgroup y),
// through shared memory (tile_gemm.glsl). The subgroup kernels' product for
// 16 tokens or more; GPUs, off by default (MOETOP_VK_KERNELS=subgroup). Same
// bindings and push block as matmul.comp.
#include "weights.glsl"

layout(local_size_x = 128) in;
layout(std430, binding = 1) readonly buffer X { float x[]; };
layout(std430, binding = 2) readonly buffer Bias { float bias[]; };
layout(std430, binding = 3) writeonly buffer Y { float y[]; };

layout(push_constant) uniform Push {
    uint n_in, y_stride, row0, rows, row_bytes, T, x_off, y_off, bias_off, has_bias;
    uint rows_per_group, fast, x_base; // unused here
} p;

uint t0;
float x_at(uint t, uint i) { return x[p.x_off + (t0 + t) * p.n_in + i]; }
uint row_at(uint r) { return r * p.row_bytes; }

#include "tile_gemm.glsl"

void main() {
    t0 = gl_WorkGroupID.y * TT;
    uint r0 = gl_WorkGroupID.x * TR, n_tok = min(TT, p.T - t0);
    tile_gemm(r0, p.rows, n_tok, p.n_in);
    uint i = gl_LocalInvocationID.x, tr = i % 16u, tt = i / 16u;
    [[unroll]] for (uint a = 0u; a < 4u; a++) {
        uint r = r0 + tr + 16u * a;
        if (r >= p.rows) continue;
        float b0 = p.has_bias != 0u ? bias[p.bias_off + p.row0 + r] : 0.0;
        [[unroll]] for (uint b = 0u; b < 4u; b++) {
            uint t = tt + 8u * b;
            if (t < n_tok) y[p.y_off + (t0 + t) * p.y_stride + p.row0 + r] = acc[a][b] + b0;
        }
    }
}
