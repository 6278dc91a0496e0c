#version 450
#extension GL_GOOGLE_include_directive : require
// In place, for the plan's entries ([entry][ff]): act 0 (gpt-oss)
// g = g' sigmoid(1.702 g') (u' + 1) with g' = min(g, 7), u' = clamp(u, -7, 7);
// act 1 (the other families) g = silu(g) u = g / (1 + e^-g) u (mt_act).
#include "moe_layout.glsl"
layout(local_size_x = 64) in;
layout(std430, binding = 0) buffer G { float g[]; };
layout(std430, binding = 1) readonly buffer U { float u[]; };
layout(std430, binding = 2) readonly buffer Plan { uint plan[]; };
layout(push_constant) uniform Push { uint ff, E, act; } p;

void main() {
    uint i = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    if (i >= plan[plan_total(p.E)] * p.ff) return;
    if (p.act != 0u) {
        g[i] = g[i] / (1.0 + exp(-g[i])) * u[i];
        return;
    }
    float gc = min(g[i], 7.0), uc = clamp(u[i], -7.0, 7.0);
    g[i] = gc / (1.0 + exp(-1.702 * gc)) * (uc + 1.0);
}
