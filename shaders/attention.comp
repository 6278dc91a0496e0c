#version 450
// Attention with sinks for one (head, query token) per workgroup: each
// invocation runs a one-pass softmax over its share of the keys (every
// WIDTH-th), then the shares are merged; the sink enters the denominator
// only (has_sinks = 0: no sinks, as if each were -inf). Grouped queries:
// head h reads KV head h / (n_head / n_kv). With alone != 0 the batch's tokens are independent: each sits at position pos0
// and sees keys [0, pos0) (within the window) and its own key at pos0 + t.
//
// TEXEL (bit 16 of specialization constant 1; CPU devices, head_dim a
// multiple of 4, q, k and v 16-byte aligned): q, k and v are read as 16-byte
// texels of whole-buffer views (bindings 5-7; *_base: floats from a buffer's
// start to its binding's start), one fetch serving a SIMD row of lanes where
// a storage-buffer load is made lane by lane. The same sums in the same order.
#extension GL_EXT_control_flow_attributes : require
layout(local_size_x_id = 0) in;
layout(constant_id = 1) const uint HEAD_SPEC = 64; // head_dim | TEXEL << 16
const uint HEAD_DIM = HEAD_SPEC & 0xffffu;
const bool TEXEL = (HEAD_SPEC >> 16u) != 0u;
layout(std430, binding = 0) readonly buffer Q { float q[]; };
layout(std430, binding = 1) readonly buffer K { float k[]; };
layout(std430, binding = 2) readonly buffer V { float v[]; };
layout(std430, binding = 3) readonly buffer Sinks { float sinks[]; };
layout(std430, binding = 4) writeonly buffer Out { float o[]; };
layout(binding = 5) uniform samplerBuffer QT;
layout(binding = 6) uniform samplerBuffer KT;
layout(binding = 7) uniform samplerBuffer VT;
layout(push_constant) uniform Push {
    uint pos0, n_head, n_kv, window;
    uint q_off, k_off, v_off, s_off, o_off;
    float scale;
    uint alone;
    uint q_base, k_base, v_base;
    uint has_sinks;
} p;

shared float share_max[gl_WorkGroupSize.x], share_sum[gl_WorkGroupSize.x];
shared float share_acc[gl_WorkGroupSize.x * HEAD_DIM];

void main() {
    uint h = gl_WorkGroupID.x, t = gl_WorkGroupID.y, lane = gl_LocalInvocationID.x, width = gl_WorkGroupSize.x;
    uint pos = p.alone != 0u ? p.pos0 : p.pos0 + t, kvh = h / (p.n_head / p.n_kv);
    uint first = p.window != 0u && pos + 1u > p.window ? pos + 1u - p.window : 0u;
    uint qw = p.n_head * HEAD_DIM, kvw = p.n_kv * HEAD_DIM;
    float qv[HEAD_DIM], acc[HEAD_DIM];
    float m = -1.0 / 0.0, sum = 0.0;
    if (TEXEL) {
        uint qb = (p.q_base + p.q_off + t * qw + h * HEAD_DIM) / 4u;
        [[unroll]] for (uint i = 0u; i < HEAD_DIM; i += 4u) {
            vec4 v4 = texelFetch(QT, int(qb + i / 4u));
            qv[i] = v4.x; qv[i + 1u] = v4.y; qv[i + 2u] = v4.z; qv[i + 3u] = v4.w;
            acc[i] = 0.0; acc[i + 1u] = 0.0; acc[i + 2u] = 0.0; acc[i + 3u] = 0.0;
        }
        for (uint j = first + lane; j <= pos; j += width) {
            uint kb = (p.alone != 0u && j == pos ? p.pos0 + t : j) * kvw + kvh * HEAD_DIM;
            uint kq = (p.k_base + p.k_off + kb) / 4u, vq = (p.v_base + p.v_off + kb) / 4u;
            float s = 0.0;
            [[unroll]] for (uint i = 0u; i < HEAD_DIM; i += 4u) {
                vec4 k4 = texelFetch(KT, int(kq + i / 4u));
                s += qv[i] * k4.x;
                s += qv[i + 1u] * k4.y;
                s += qv[i + 2u] * k4.z;
                s += qv[i + 3u] * k4.w;
            }
            s *= p.scale;
            if (s > m) {
                float c = exp(m - s);
                sum *= c;
                [[unroll]] for (uint i = 0u; i < HEAD_DIM; i++) acc[i] *= c;
                m = s;
            }
            float e = exp(s - m);
            sum += e;
            [[unroll]] for (uint i = 0u; i < HEAD_DIM; i += 4u) {
                vec4 v4 = texelFetch(VT, int(vq + i / 4u));
                acc[i] += e * v4.x;
                acc[i + 1u] += e * v4.y;
                acc[i + 2u] += e * v4.z;
                acc[i + 3u] += e * v4.w;
            }
        }
    } else {
        for (uint i = 0u; i < HEAD_DIM; i++) {
            qv[i] = q[p.q_off + t * qw + h * HEAD_DIM + i];
            acc[i] = 0.0;
        }
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
    }
    share_max[lane] = m;
    barrier();
    float top = p.has_sinks != 0u ? sinks[p.s_off + h] : -1.0 / 0.0;
    for (uint i = 0u; i < width; i++) top = max(top, share_max[i]);
    float c = sum > 0.0 ? exp(m - top) : 0.0;
    share_sum[lane] = sum * c;
    for (uint i = 0u; i < HEAD_DIM; i++) share_acc[lane * HEAD_DIM + i] = acc[i] * c;
    barrier();
    float total = p.has_sinks != 0u ? exp(sinks[p.s_off + h] - top) : 0.0;
    for (uint i = 0u; i < width; i++) total += share_sum[i];
    for (uint i = lane; i < HEAD_DIM; i += width) {
        float s = 0.0;
        for (uint j = 0u; j < width; j++) s += share_acc[j * HEAD_DIM + i];
        o[p.o_off + t * qw + h * HEAD_DIM + i] = s / total;
    }
}
