#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
// y[t][row0 + r] = bias[row0 + r] + W[r] . x[t], for the rows of one weight
// chunk and a tile of up to 8 tokens (workgroup y), each dequantized block
// serving the whole tile: a workgroup per rows_per_group rows, its
// invocations splitting a row's blocks and summing through shared memory
// (GPUs; CPU devices use matmul_rows.comp).
#include "weights.glsl"

layout(local_size_x_id = 1) in;
layout(std430, binding = 1) readonly buffer X { float x[]; };
layout(std430, binding = 2) readonly buffer Bias { float bias[]; };
layout(std430, binding = 3) writeonly buffer Y { float y[]; };

layout(push_constant) uniform Push {
    uint n_in;          // row length (elements)
    uint y_stride;      // floats between tokens in y (the weight's rows)
    uint row0, rows;    // the chunk's first row of the weight, rows in the chunk
    uint row_bytes;
    uint T;
    uint x_off, y_off, bias_off; // element offsets into their bindings
    uint has_bias;
    uint rows_per_group;
    uint fast;          // matmul_rows.comp only
    uint x_base;        // matmul_rows.comp only
} p;

const uint TILE = 8u;
shared float partial[TILE][gl_WorkGroupSize.x];

void main() {
    uint lane = gl_LocalInvocationID.x, width = gl_WorkGroupSize.x;
    uint t0 = gl_WorkGroupID.y * TILE, nt = min(TILE, p.T - t0);
    uint n_blocks = (p.n_in + 31u) / 32u;
    for (uint rr = 0u; rr < p.rows_per_group; rr++) {
        uint r = gl_WorkGroupID.x * p.rows_per_group + rr;
        if (r >= p.rows) break; // the same for every invocation
        float acc[TILE];
        for (uint t = 0u; t < TILE; t++) acc[t] = 0.0;
        float v[32];
        for (uint b = lane; b < n_blocks; b += width) {
            load_block(r * p.row_bytes, b, p.n_in, v);
            uint span = min(32u, p.n_in - b * 32u);
            for (uint t = 0u; t < nt; t++) {
                uint xb = p.x_off + (t0 + t) * p.n_in + b * 32u;
                float s = 0.0;
                if (span == 32u) {
                    for (uint j = 0u; j < 32u; j++) s += v[j] * x[xb + j];
                } else {
                    for (uint j = 0u; j < span; j++) s += v[j] * x[xb + j];
                }
                acc[t] += s;
            }
        }
        for (uint t = 0u; t < TILE; t++) partial[t][lane] = acc[t];
        barrier();
        for (uint half_width = width / 2u; half_width > 0u; half_width /= 2u) {
            if (lane < half_width)
                for (uint t = 0u; t < nt; t++) partial[t][lane] += partial[t][lane + half_width];
            barrier();
        }
        if (lane == 0u)
            for (uint t = 0u; t < nt; t++)
                y[p.y_off + (t0 + t) * p.y_stride + p.row0 + r] = partial[t][0] + (p.has_bias != 0u ? bias[p.bias_off + p.row0 + r] : 0.0);
        barrier();
    }
}
