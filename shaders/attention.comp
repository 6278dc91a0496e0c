#version 450
// Attention with sinks for one (head, query token) per workgroup: each
// invocation runs a one-pass softmax over its share of the keys (every
// WIDTH-th), then the shares are merged; the sink enters the denominator
// only. Grouped queries: head h reads KV head h / (n_head / n_kv). With
// alone != 0 the batch's tokens are independent: each sits at position pos0
// and sees keys [0, pos0) (within the window) and its own key at pos0 + t.
layout(local_size_x_id = 0) in;
layout(constant_id = 1) const uint HEAD_DIM = 64;
layout(std430, binding = 0) readonly buffer Q { float q[]; };
layout(std430, binding = 1) readonly buffer K { float k[]; };
layout(std430, binding = 2) readonly buffer V { float v[]; };
layout(std430, binding = 3) readonly buffer Sinks { float sinks[]; };
layout(std430, binding = 4) writeonly buffer Out { float o[]; };
layout(push_constant) uniform Push {
    uint pos0, n_head, n_kv, window;
    uint q_off, k_off, v_off, s_off, o_off;
    float scale;
    uint alone;
} p;

shared float share_max[gl_WorkGroupSize.x], share_sum[gl_WorkGroupSize.x];
shared float share_acc[gl_WorkGroupSize.x * HEAD_DIM];

void main() {
    uint h = gl_WorkGroupID.x, t = gl_WorkGroupID.y, lane = gl_LocalInvocationID.x, width = gl_WorkGroupSize.x;
    uint pos = p.alone != 0u ? p.pos0 : p.pos0 + t, kvh = h / (p.n_head / p.n_kv);
    uint first = p.window != 0u && pos + 1u > p.window ? pos + 1u - p.window : 0u;
    uint qw = p.n_head * HEAD_DIM, kvw = p.n_kv * HEAD_DIM;
    float qv[HEAD_DIM], acc[HEAD_DIM];
    for (uint i = 0u; i < HEAD_DIM; i++) {
        qv[i] = q[p.q_off + t * qw + h * HEAD_DIM + i];
        acc[i] = 0.0;
    }
    float m = -1.0 / 0.0, sum = 0.0;
    for (uint j = first + lane; j <= pos; j += width) {
        uint kb = (p.alone != 0u && j == pos ? p.pos0 + t : j) * kvw + kvh * HEAD_DIM;
        float s = 0.0;
        for (uint i = 0u; i < HEAD_DIM; i++) s += qv[i] * k[p.k_off + kb + i];
        s *= p.scale;
        if (s > m) {
            float c = exp(m - s);
            sum *= c;
            for (uint i = 0u; i < HEAD_DIM; i++) acc[i] *= c;
            m = s;
        }
        float e = exp(s - m);
        sum += e;
        for (uint i = 0u; i < HEAD_DIM; i++) acc[i] += e * v[p.v_off + kb + i];
    }
    share_max[lane] = m;
    barrier();
    float top = sinks[p.s_off + h];
    for (uint i = 0u; i < width; i++) top = max(top, share_max[i]);
    float c = sum > 0.0 ? exp(m - top) : 0.0;
    share_sum[lane] = sum * c;
    for (uint i = 0u; i < HEAD_DIM; i++) share_acc[lane * HEAD_DIM + i] = acc[i] * c;
    barrier();
    float total = exp(sinks[p.s_off + h] - top);
    for (uint i = 0u; i < width; i++) total += share_sum[i];
    for (uint i = lane; i < HEAD_DIM; i += width) {
        float s = 0.0;
        for (uint j = 0u; j < width; j++) s += share_acc[j * HEAD_DIM + i];
        o[p.o_off + t * qw + h * HEAD_DIM + i] = s / total;
    }
}
