#version 450
#extension GL_GOOGLE_include_directive : require
// Groups a batch's (token, expert) selections by expert, on the device, so
// the expert products read their tokens without a trip to the host. Skips
// selections with weight 0 (dropped) or a zeroed expert. One workgroup.
#include "moe_layout.glsl"

layout(local_size_x = 64) in;
layout(std430, binding = 0) readonly buffer Sel { uint sel[]; };
layout(std430, binding = 1) readonly buffer Wts { float wts[]; };
layout(std430, binding = 2) readonly buffer NSel { uint n_sel[]; };
layout(std430, binding = 3) readonly buffer Iv { uint iv[]; };
layout(std430, binding = 4) coherent buffer Plan { uint plan[]; };
layout(push_constant) uniform Push {
    uint T, E, layer, n_layer;
    uint experts_per_chunk, n_chunks, groups_up, groups_down;
    uint sel_off, w_off, n_off;
} p;

const uint ZERO = 4u;

bool computes(uint t, uint i, uint e) {
    return sel[p.sel_off + t * p.E + i] == e && wts[p.w_off + t * p.E + i] != 0.0 &&
           (iv[2u * p.n_layer + p.layer * p.E + e] & ZERO) == 0u;
}

void main() {
    uint lane = gl_LocalInvocationID.x, E = p.E, T = p.T;
    uint se = plan_slot_entry(E, T);
    for (uint e = lane; e < E; e += 64u) {
        uint n = 0u;
        for (uint t = 0u; t < T; t++)
            for (uint i = 0u; i < n_sel[p.n_off + t]; i++)
                if (computes(t, i, e)) n++;
        plan[plan_count(E) + e] = n;
    }
    for (uint s = lane; s < T * E; s += 64u) plan[se + s] = 0xffffffffu;
    memoryBarrierBuffer();
    barrier();
    if (lane == 0u) {
        uint at = 0u, n_active = 0u, chunk = 0u;
        for (uint e = 0u; e < E; e++) {
            while (chunk < p.n_chunks && e >= chunk * p.experts_per_chunk) plan[plan_chunk_active(E) + chunk++] = n_active;
            uint n = plan[plan_count(E) + e];
            plan[plan_start(E) + e] = at;
            at += n;
            if (n != 0u) plan[plan_active(E) + n_active++] = e;
        }
        while (chunk <= p.n_chunks) plan[plan_chunk_active(E) + chunk++] = n_active;
        plan[plan_total(E)] = at;
        for (uint c = 0u; c < p.n_chunks; c++) {
            uint in_chunk = plan[plan_chunk_active(E) + c + 1u] - plan[plan_chunk_active(E) + c];
            uint up = plan_indirect(E) + c * 3u, down = plan_indirect(E) + (MAX_CHUNKS + c) * 3u;
            plan[up] = p.groups_up;
            plan[up + 1u] = in_chunk;
            plan[up + 2u] = 1u;
            plan[down] = p.groups_down;
            plan[down + 1u] = in_chunk;
            plan[down + 2u] = 1u;
        }
    }
    memoryBarrierBuffer();
    barrier();
    for (uint e = lane; e < E; e += 64u) {
        uint at = plan[plan_start(E) + e];
        for (uint t = 0u; t < T; t++)
            for (uint i = 0u; i < n_sel[p.n_off + t]; i++)
                if (computes(t, i, e)) {
                    plan[plan_entry_token(E) + at] = t;
                    plan[plan_entry_weight(E, T) + at] = floatBitsToUint(wts[p.w_off + t * E + i]);
                    plan[se + t * E + i] = at;
                    at++;
                }
    }
}
