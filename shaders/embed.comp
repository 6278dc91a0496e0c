#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
// out[t] = row ids[t] of the embedding, dequantized, for the ids inside this
// chunk of rows [row0, row0 + rows). Invocation = one 32-element block.
#include "weights.glsl"

layout(local_size_x = 64) in;
layout(std430, binding = 1) readonly buffer Ids { uint ids[]; };
layout(std430, binding = 2) writeonly buffer Out { float o[]; };
layout(push_constant) uniform Push {
    uint n_in, row0, rows, row_bytes;
    uint ids_off, o_off;
} p;

void main() {
    uint b = gl_GlobalInvocationID.x, t = gl_WorkGroupID.y;
    uint id = ids[p.ids_off + t];
    if (b * 32u >= p.n_in || id < p.row0 || id - p.row0 >= p.rows) return;
    float v[32];
    load_block((id - p.row0) * p.row_bytes, b, p.n_in, v);
    uint span = min(32u, p.n_in - b * 32u);
    for (uint j = 0u; j < span; j++) o[p.o_off + t * p.n_in + b * 32u + j] = v[j];
}
