#version 450
// out = a + b, row by row (one workgroup per token), and the L2 norms of the
// rows of a and b into norms[t][norm_a] and norms[t][norm_b] (a column of 3
// or more: not written). out may be a: each element is read and written by
// one invocation.
layout(local_size_x = 64) in;
layout(std430, binding = 0) buffer A { float a[]; };
layout(std430, binding = 1) readonly buffer B { float b[]; };
layout(std430, binding = 2) buffer Out { float o[]; };
layout(std430, binding = 3) buffer Norms { float norms[]; };
layout(push_constant) uniform Push {
    uint d;
    uint a_off, b_off, o_off, n_off;
    uint norm_a, norm_b;
} p;

shared float sa[64], sb[64];

void main() {
    uint t = gl_WorkGroupID.x, lane = gl_LocalInvocationID.x;
    float qa = 0.0, qb = 0.0;
    for (uint i = lane; i < p.d; i += 64u) {
        float va = a[p.a_off + t * p.d + i], vb = b[p.b_off + t * p.d + i];
        qa += va * va;
        qb += vb * vb;
        o[p.o_off + t * p.d + i] = va + vb;
    }
    sa[lane] = qa;
    sb[lane] = qb;
    barrier();
    for (uint h = 32u; h > 0u; h /= 2u) {
        if (lane < h) {
            sa[lane] += sa[lane + h];
            sb[lane] += sb[lane + h];
        }
        barrier();
    }
    if (lane == 0u) {
        if (p.norm_a < 3u) norms[p.n_off + t * 3u + p.norm_a] = sqrt(sa[0]);
        if (p.norm_b < 3u) norms[p.n_off + t * 3u + p.norm_b] = sqrt(sb[0]);
    }
}
