#version 450
// out[t] = x[t] / sqrt(mean(x[t]^2) + eps) * w: one workgroup per token.
layout(local_size_x = 64) in;
layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) readonly buffer Wt { float w[]; };
layout(std430, binding = 2) writeonly buffer Out { float o[]; };
layout(push_constant) uniform Push {
    uint d;
    uint x_off, w_off, o_off;
    float eps;
} p;

shared float partial[64];

void main() {
    uint t = gl_WorkGroupID.x, lane = gl_LocalInvocationID.x;
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
