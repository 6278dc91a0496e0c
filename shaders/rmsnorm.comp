#version 450
// out[t] = x[t] / sqrt(mean(x[t]^2) + eps) * w for rows t < rows of d (any d):
// one workgroup per row, row t = x + y * (workgroups in x). out may be x
// (the q/k norms run in place over a head or a token per row): each lane
// writes only elements it has read, after the row's sum.
layout(local_size_x = 64) in;
layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) readonly buffer Wt { float w[]; };
layout(std430, binding = 2) writeonly buffer Out { float o[]; };
layout(push_constant) uniform Push {
    uint d;
    uint x_off, w_off, o_off;
    float eps;
    uint rows;
} p;

shared float partial[64];

void main() {
    uint t = gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x, lane = gl_LocalInvocationID.x;
    if (t >= p.rows) return; // the whole workgroup
    uint xb = p.x_off + t * p.d, ob = p.o_off + t * p.d;
    float s = 0.0;
    for (uint i = lane; i < p.d; i += 64u) s += x[xb + i] * x[xb + i];
    partial[lane] = s;
    barrier();
    for (uint h = 32u; h > 0u; h /= 2u) {
        if (lane < h) partial[lane] += partial[lane + h];
        barrier();
    }
    float scale = 1.0 / sqrt(partial[0] / float(p.d) + p.eps);
    for (uint i = lane; i < p.d; i += 64u) o[ob + i] = x[xb + i] * scale * w[p.w_off + i];
}
