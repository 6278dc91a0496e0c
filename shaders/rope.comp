#version 450
// Rotates the pairs of every head of x[t] by cs[t][i] = (cos, sin), computed
// on the host for the batch's positions: pair i is (i, i + half) (NeoX), or
// with adjacent != 0 (2i, 2i + 1) (llama.cpp's LLAMA_ROPE_TYPE_NORM, Mixtral);
// (a, b) becomes (a c - b s, b c + a s) either way.
// Invocation (i, h) of token t (workgroup y); workgroup z = 1 does the same
// to a second tensor (x2, n_heads2 heads: the keys beside the queries) in
// the same dispatch.
layout(local_size_x = 64) in;
layout(std430, binding = 0) buffer X { float x[]; };
layout(std430, binding = 1) readonly buffer CS { float cs[]; };
layout(std430, binding = 2) buffer X2 { float x2[]; };
layout(push_constant) uniform Push {
    uint n_heads, half_dim;
    uint x_off, cs_off;
    uint n_heads2, x2_off;
    uint adjacent;
} p;

void main() {
    uint item = gl_GlobalInvocationID.x, t = gl_WorkGroupID.y;
    bool second = gl_WorkGroupID.z == 1u;
    uint nh = second ? p.n_heads2 : p.n_heads;
    if (item >= nh * p.half_dim) return;
    uint h = item / p.half_dim, i = item % p.half_dim;
    uint base = (second ? p.x2_off : p.x_off) + t * nh * 2u * p.half_dim + h * 2u * p.half_dim;
    float c = cs[p.cs_off + (t * p.half_dim + i) * 2u], s = cs[p.cs_off + (t * p.half_dim + i) * 2u + 1u];
    uint a = p.adjacent != 0u ? base + 2u * i : base + i, b = p.adjacent != 0u ? a + 1u : a + p.half_dim;
    if (second) {
        float x1 = x2[a], y1 = x2[b];
        x2[a] = x1 * c - y1 * s;
        x2[b] = y1 * c + x1 * s;
    } else {
        float x1 = x[a], y1 = x[b];
        x[a] = x1 * c - y1 * s;
        x[b] = y1 * c + x1 * s;
    }
}
