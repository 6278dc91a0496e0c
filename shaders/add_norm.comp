#version 450
// add.comp and rmsnorm.comp in one dispatch (one workgroup per token):
// out = a + b with the norms of a and b as add.comp writes them, then
// h = out / sqrt(mean(out^2) + eps) * w, summed in the order rmsnorm.comp
// sums (so the results are the two dispatches' exactly). Each lane reads
// back only the elements it wrote.
layout(local_size_x = 64) in;
layout(std430, binding = 0) buffer A { float a[]; };
layout(std430, binding = 1) readonly buffer B { float b[]; };
layout(std430, binding = 2) buffer Out { float o[]; };
layout(std430, binding = 3) buffer Norms { float norms[]; };
layout(std430, binding = 4) readonly buffer Wt { float w[]; };
layout(std430, binding = 5) writeonly buffer H { float h[]; };
layout(push_constant) uniform Push {
    uint d;
    uint a_off, b_off, o_off, n_off;
    uint norm_a, norm_b;
    uint w_off, h_off;
    float eps;
} p;

shared float sa[64], sb[64], so[64];

void main() {
    uint t = gl_WorkGroupID.x, lane = gl_LocalInvocationID.x;
    float qa = 0.0, qb = 0.0, qo = 0.0;
    for (uint i = lane; i < p.d; i += 64u) {
        float va = a[p.a_off + t * p.d + i], vb = b[p.b_off + t * p.d + i], vo = va + vb;
        qa += va * va;
        qb += vb * vb;
        qo += vo * vo;
        o[p.o_off + t * p.d + i] = vo;
    }
    sa[lane] = qa;
    sb[lane] = qb;
    so[lane] = qo;
    barrier();
    for (uint k = 32u; k > 0u; k /= 2u) {
        if (lane < k) {
            sa[lane] += sa[lane + k];
            sb[lane] += sb[lane + k];
            so[lane] += so[lane + k];
        }
        barrier();
    }
    if (lane == 0u) {
        if (p.norm_a < 3u) norms[p.n_off + t * 3u + p.norm_a] = sqrt(sa[0]);
        if (p.norm_b < 3u) norms[p.n_off + t * 3u + p.norm_b] = sqrt(sb[0]);
    }
    float scale = 1.0 / sqrt(so[0] / float(p.d) + p.eps);
    for (uint i = lane; i < p.d; i += 64u) h[p.h_off + t * p.d + i] = o[p.o_off + t * p.d + i] * scale * w[p.w_off + i];
}
