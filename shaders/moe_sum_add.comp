#version 450
#extension GL_GOOGLE_include_directive : require
// moe_sum.comp and add.comp in one dispatch (one workgroup per token): the
// MoE output m[t] = sum over t's selections (in selection order) of the
// entry's weighted expert output, written to m, then out = a + m with the
// norms of a and m as add.comp writes them (the same sums, the same order).
#include "moe_layout.glsl"
layout(local_size_x = 64) in;
layout(std430, binding = 0) readonly buffer Ys { float ys[]; };
layout(std430, binding = 1) readonly buffer NSel { uint n_sel[]; };
layout(std430, binding = 2) readonly buffer Plan { uint plan[]; };
layout(std430, binding = 3) buffer M { float m[]; };
layout(std430, binding = 4) buffer A { float a[]; };
layout(std430, binding = 5) buffer Out { float o[]; };
layout(std430, binding = 6) buffer Norms { float norms[]; };
layout(push_constant) uniform Push {
    uint d, E, T, n_off, m_off;
    uint a_off, o_off, nm_off, norm_a, norm_b;
} p;

shared float sa[64], sb[64];

void main() {
    uint t = gl_WorkGroupID.x, lane = gl_LocalInvocationID.x;
    uint n = n_sel[p.n_off + t];
    float qa = 0.0, qb = 0.0;
    for (uint c = lane; c < p.d; c += 64u) {
        float s = 0.0;
        for (uint i = 0u; i < n; i++) {
            uint entry = plan[plan_slot_entry(p.E, p.T) + t * p.E + i];
            if (entry != 0xffffffffu) s += ys[entry * p.d + c];
        }
        m[p.m_off + t * p.d + c] = s;
        float va = a[p.a_off + t * p.d + c];
        qa += va * va;
        qb += s * s;
        o[p.o_off + t * p.d + c] = va + s;
    }
    sa[lane] = qa;
    sb[lane] = qb;
    barrier();
    for (uint k = 32u; k > 0u; k /= 2u) {
        if (lane < k) {
            sa[lane] += sa[lane + k];
            sb[lane] += sb[lane + k];
        }
        barrier();
    }
    if (lane == 0u) {
        if (p.norm_a < 3u) norms[p.nm_off + t * 3u + p.norm_a] = sqrt(sa[0]);
        if (p.norm_b < 3u) norms[p.nm_off + t * 3u + p.norm_b] = sqrt(sb[0]);
    }
}
