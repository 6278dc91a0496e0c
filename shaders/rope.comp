#version 450
// Rotates the NeoX pairs (i, i + half) of every head of x[t] by cs[t][i] =
// (cos, sin), computed on the host for the batch's positions.
// Invocation (i, h) of token t (workgroup y).
layout(local_size_x = 64) in;
layout(std430, binding = 0) buffer X { float x[]; };
layout(std430, binding = 1) readonly buffer CS { float cs[]; };
layout(push_constant) uniform Push {
    uint n_heads, half_dim;
    uint x_off, cs_off;
} p;

void main() {
    uint item = gl_GlobalInvocationID.x, t = gl_WorkGroupID.y;
    if (item >= p.n_heads * p.half_dim) return;
    uint h = item / p.half_dim, i = item % p.half_dim;
    uint base = p.x_off + t * p.n_heads * 2u * p.half_dim + h * 2u * p.half_dim;
    float c = cs[p.cs_off + (t * p.half_dim + i) * 2u], s = cs[p.cs_off + (t * p.half_dim + i) * 2u + 1u];
    float x1 = x[base + i], x2 = x[base + i + p.half_dim];
    x[base + i] = x1 * c - x2 * s;
    x[base + i + p.half_dim] = x2 * c + x1 * s;
}
