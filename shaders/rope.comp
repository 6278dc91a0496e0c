#version 450
// Rotates the NeoX pairs (i, i + half) of every head of x[t] by cs[t][i] =
// (cos, sin), computed on the host for the batch's positions.
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
} p;

void main() {
    uint item = gl_GlobalInvocationID.x, t = gl_WorkGroupID.y;
    bool second = gl_WorkGroupID.z == 1u;
    uint nh = second ? p.n_heads2 : p.n_heads;
    if (item >= nh * p.half_dim) return;
    uint h = item / p.half_dim, i = item % p.half_dim;
    uint base = (second ? p.x2_off : p.x_off) + t * nh * 2u * p.half_dim + h * 2u * p.half_dim;
    float c = cs[p.cs_off + (t * p.half_dim + i) * 2u], s = cs[p.cs_off + (t * p.half_dim + i) * 2u + 1u];
    if (second) {
        float x1 = x2[base + i], y1 = x2[base + i + p.half_dim];
        x2[base + i] = x1 * c - y1 * s;
        x2[base + i + p.half_dim] = y1 * c + x1 * s;
    } else {
        float x1 = x[base + i], y1 = x[base + i + p.half_dim];
        x[base + i] = x1 * c - y1 * s;
        x[base + i + p.half_dim] = y1 * c + x1 * s;
    }
}
