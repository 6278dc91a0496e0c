#version 450
#extension GL_GOOGLE_include_directive : require
// out[t] = sum over t's selections (in selection order) of the entry's
// weighted expert output; a selection with no entry (dropped, zeroed) adds nothing.
#include "moe_layout.glsl"
layout(local_size_x = 64) in;
layout(std430, binding = 0) readonly buffer Ys { float ys[]; };
layout(std430, binding = 1) readonly buffer NSel { uint n_sel[]; };
layout(std430, binding = 2) readonly buffer Plan { uint plan[]; };
layout(std430, binding = 3) writeonly buffer Out { float o[]; };
layout(push_constant) uniform Push { uint d, E, T, n_off, o_off; } p;

void main() {
    uint c = gl_GlobalInvocationID.x, t = gl_WorkGroupID.y;
    if (c >= p.d) return;
    float s = 0.0;
    for (uint i = 0u; i < n_sel[p.n_off + t]; i++) {
        uint entry = plan[plan_slot_entry(p.E, p.T) + t * p.E + i];
        if (entry != 0xffffffffu) s += ys[entry * p.d + c];
    }
    o[p.o_off + t * p.d + c] = s;
}
