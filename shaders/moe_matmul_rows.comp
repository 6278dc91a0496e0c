#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_KHR_shader_subgroup_shuffle : require
// moe_matmul.comp for CPU devices (see matmul_rows.comp): one invocation per
// four rows of one expert (workgroup y indexes the chunk's experts that have
// tokens, dispatched indirectly from the plan), looping over the expert's
// entries. Same bindings and push block as moe_matmul.comp.
#define WEIGHTS_TEXEL 5
#include "weights_read.glsl"
#include "moe_layout.glsl"

layout(local_size_x = 16) in; // MT_VK_ROWS_WORKGROUP in engine/vulkan/vk_kernels.h
layout(binding = 0) uniform usamplerBuffer WT4; // the weights again, 16 bytes a texel
uvec4 w4_at(uint i) { return texelFetch(WT4, int(i)); }
layout(std430, binding = 1) readonly buffer X { float x[]; };
layout(binding = 6) uniform samplerBuffer XT4; // x's buffer again, as 16-byte texels from its start
vec4 x4_at(uint i) { return texelFetch(XT4, int(i)); }
layout(std430, binding = 2) readonly buffer Bias { float bias[]; };
layout(std430, binding = 3) buffer Y { float y[]; }; // read too when act: it holds the gate's output
layout(std430, binding = 4) readonly buffer Plan { uint plan[]; };
layout(push_constant) uniform Push {
    uint n_in, n_out, row_bytes, expert_bytes;
    uint E, T, chunk, first_expert;
    uint by_token, x_off, bias_off;
    uint act; // (rows_per_group of moe_matmul.comp) 2 or 3: this is the up product, y holds the gate's
              // output and gets the SwiGLU of the two (swiglu.comp's formulas) in place: 2 gpt-oss's
              // clamped one, 3 the plain silu(g) u
    uint fast; // rows and x 16-byte aligned, whole blocks
    uint x_base; // floats from x's buffer start to its binding's start (the texel view's index)
} p;

#include "rows_dot.glsl"

// what an entry's row r of y becomes: the product v, or with act the SwiGLU of
// the gate's output (in y) and v, the up product
float result(uint i, float v) {
    if (p.act == 3u) return y[i] / (1.0 + exp(-y[i])) * v;
    if (p.act != 2u) return v;
    float gc = min(y[i], 7.0), uc = clamp(v, -7.0, 7.0);
    return gc / (1.0 + exp(-1.702 * gc)) * (uc + 1.0);
}

void main() {
    uint r = gl_GlobalInvocationID.x * 4u;
    bool live = r < p.n_out; // lanes past the last row compute row 0, write nothing (load_x8's shuffles need every lane)
    r = live ? r : 0u;
    uint e = plan[plan_active(p.E) + plan[plan_chunk_active(p.E) + p.chunk] + gl_WorkGroupID.y];
    uint first = plan[plan_start(p.E) + e], count = plan[plan_count(p.E) + e];
    uint n = min(4u, p.n_out - r), row = (e - p.first_expert) * p.expert_bytes + r * p.row_bytes;
    vec4 b = vec4(bias[p.bias_off + e * p.n_out + r], bias[p.bias_off + e * p.n_out + r + min(1u, n - 1u)],
                  bias[p.bias_off + e * p.n_out + r + min(2u, n - 1u)], bias[p.bias_off + e * p.n_out + r + min(3u, n - 1u)]);
    uint i = 0u;
    // four entries at a time on split, Q4_0 and K-quant rows: each dequantized block serves four tokens
    if (p.fast != 0u && decoded_blocks())
        for (; i + 4u <= count; i += 4u) {
            uvec4 entry = uvec4(first + i) + uvec4(0u, 1u, 2u, 3u);
            uvec4 xq;
            for (uint k = 0u; k < 4u; k++) xq[k] = (p.x_base + p.x_off + (p.by_token != 0u ? plan[plan_entry_token(p.E) + entry[k]] : entry[k]) * p.n_in) / 4u;
            vec4 s[4];
            dot4x4_split(row, p.row_bytes, n, xq, s[0], s[1], s[2], s[3]);
            for (uint k = 0u; k < 4u; k++) {
                vec4 v = s[k] + b;
                if (p.by_token == 0u) v *= uintBitsToFloat(plan[plan_entry_weight(p.E, p.T) + entry[k]]);
                for (uint c = 0u; c < n && live; c++) y[entry[k] * p.n_out + r + c] = result(entry[k] * p.n_out + r + c, v[c]);
            }
        }
    for (; i < count; i++) {
        uint entry = first + i;
        uint xb = p.x_off + (p.by_token != 0u ? plan[plan_entry_token(p.E) + entry] : entry) * p.n_in;
        vec4 s = vec4(0.0);
        if (p.fast != 0u) {
            s = dot4_fast(row, p.row_bytes, n, (p.x_base + xb) / 4u);
        } else {
            for (uint k = 0u; k < n; k++) {
                float a = 0.0;
                for (uint j = 0u; j < p.n_in; j++) a += element(row + k * p.row_bytes, j) * x[xb + j];
                s[k] = a;
            }
        }
        s += b;
        if (p.by_token == 0u) s *= uintBitsToFloat(plan[plan_entry_weight(p.E, p.T) + entry]);
        for (uint k = 0u; k < n && live; k++) y[entry * p.n_out + r + k] = result(entry * p.n_out + r + k, s[k]);
    }
}
