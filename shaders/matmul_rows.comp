#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_KHR_shader_subgroup_shuffle : require
// y[t][row0 + r] = bias[row0 + r] + W[r] . x[t], one invocation per (four
// rows, token): the product for CPU devices such as lavapipe, where a workgroup's
// invocations are the SIMD lanes of one thread. No barriers, no shared
// memory and no private arrays (each costs a trip through memory lane by
// lane there); weights and x are read 16 bytes at a time where aligned
// (fast = 1), element by element otherwise. Same bindings and push block as
// matmul.comp.
#define WEIGHTS_TEXEL 4
#include "weights_read.glsl"

layout(local_size_x = 16) in; // MT_VK_ROWS_WORKGROUP in engine/vulkan/vk_kernels.h
layout(binding = 0) uniform usamplerBuffer WT4; // the weights again, 16 bytes a texel
uvec4 w4_at(uint i) { return texelFetch(WT4, int(i)); }
layout(std430, binding = 1) readonly buffer X { float x[]; };
layout(binding = 5) uniform samplerBuffer XT4; // x's buffer again, as 16-byte texels from its start
vec4 x4_at(uint i) { return texelFetch(XT4, int(i)); }
layout(std430, binding = 2) readonly buffer Bias { float bias[]; };
layout(std430, binding = 3) writeonly buffer Y { float y[]; };

layout(push_constant) uniform Push {
    uint n_in, y_stride, row0, rows, row_bytes, T, x_off, y_off, bias_off, has_bias;
    uint rows_per_group; // here: tokens an invocation takes, 1 or 4 (4: decoded_blocks() types and the fast path only)
    uint fast;           // rows and x are 16-byte aligned and every block whole
    uint x_base;         // floats from x's buffer start to its binding's start (the texel view's index)
} p;

#include "rows_dot.glsl"

void main() {
    // lanes past the last row compute row 0 and write nothing: every lane stays
    // active for load_x8's shuffles
    uint r = gl_GlobalInvocationID.x * 4u, t = gl_WorkGroupID.y * p.rows_per_group;
    bool live = r < p.rows;
    r = live ? r : 0u;
    uint n = min(4u, p.rows - r), xb = p.x_off + t * p.n_in;
    if (p.rows_per_group == 4u && decoded_blocks()) {
        // four tokens (past the last: the last again, not written), each dequantized block serving all four
        uvec4 tk = min(uvec4(t) + uvec4(0u, 1u, 2u, 3u), uvec4(p.T - 1u));
        uvec4 xq = (uvec4(p.x_base + p.x_off) + tk * p.n_in) / 4u;
        vec4 st[4];
        dot4x4_split(r * p.row_bytes, p.row_bytes, n, xq, st[0], st[1], st[2], st[3]);
        for (uint j = 0u; j < 4u; j++) {
            if (t + j >= p.T) break;
            uint out_row = p.y_off + (t + j) * p.y_stride + p.row0 + r;
            for (uint k = 0u; k < n && live; k++) y[out_row + k] = st[j][k] + (p.has_bias != 0u ? bias[p.bias_off + p.row0 + r + k] : 0.0);
        }
        return;
    }
    vec4 s = vec4(0.0);
    if (p.fast != 0u) {
        s = dot4_fast(r * p.row_bytes, p.row_bytes, n, (p.x_base + xb) / 4u);
    } else {
        for (uint k = 0u; k < n; k++) {
            float a = 0.0;
            for (uint i = 0u; i < p.n_in; i++) a += element((r + k) * p.row_bytes, i) * x[xb + i];
            s[k] = a;
        }
    }
    uint out_row = p.y_off + t * p.y_stride + p.row0 + r;
    for (uint k = 0u; k < n && live; k++) y[out_row + k] = s[k] + (p.has_bias != 0u ? bias[p.bias_off + p.row0 + r + k] : 0.0);
}
