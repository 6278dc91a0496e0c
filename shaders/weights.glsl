// The block loader over weights_read.glsl for the workgroup kernels and the
// embedding: a block of 32 elements at a time, as floats (any row length;
// the block formats' rows are whole blocks).
#include "weights_read.glsl"
#include "kquants.glsl"

// Elements 32 b .. 32 b + 31 of the row at byte offset row (0 past n).
void load_block(uint row, uint b, uint n, out float v[32]) {
    uint first = b * 32u;
    if (TYPE == T_F32) {
        [[unroll]] for (uint j = 0u; j < 32u; j++) v[j] = first + j < n ? uintBitsToFloat(w_at((row >> 2u) + first + j)) : 0.0;
    } else if (TYPE == T_F16 || TYPE == T_BF16) {
        [[unroll]] for (uint j = 0u; j < 32u; j += 2u) {
            uint word = first + j < n ? w_word(row + (first + j) * 2u) : 0u;
            if (TYPE == T_F16) {
                vec2 h = unpackHalf2x16(word);
                v[j] = h.x;
                v[j + 1u] = h.y;
            } else {
                v[j] = uintBitsToFloat(word << 16u);
                v[j + 1u] = uintBitsToFloat(word & 0xffff0000u);
            }
            if (first + j + 1u >= n) v[j + 1u] = 0.0;
        }
    } else if (kquant(TYPE)) { // Q4_0's block, or an eighth of a K-quant super-block
        W8 w = kq_decode(row, b, n);
        vec4 q[8] = vec4[8](w.v0, w.v1, w.v2, w.v3, w.v4, w.v5, w.v6, w.v7);
        [[unroll]] for (uint j = 0u; j < 32u; j++) v[j] = q[j >> 2u][j & 3u];
    } else if (TYPE == T_Q8_0_SPLIT || TYPE == T_MXFP4_SPLIT) {
        uint q = row + split_scales(n);
        if (TYPE == T_Q8_0_SPLIT) {
            float d = unpackHalf2x16((w_at((row + 2u * b) >> 2u) >> (((2u * b) & 2u) * 8u)) & 0xffffu).x;
            [[unroll]] for (uint j = 0u; j < 32u; j++) v[j] = d * float(bitfieldExtract(int(w_byte(q + 32u * b + j)), 0, 8));
        } else {
            float d = e8m0_half(w_byte(row + b));
            [[unroll]] for (uint j = 0u; j < 16u; j++) {
                uint byte = w_byte(q + 16u * b + j);
                v[j] = e2m1_doubled(byte & 15u) * d;
                v[j + 16u] = e2m1_doubled(byte >> 4u) * d;
            }
        }
    } else if (TYPE == T_Q8_0) {
        uint base = row + b * 34u;
        float d = unpackHalf2x16((w_at(base >> 2u) >> ((base & 2u) * 8u)) & 0xffffu).x;
        [[unroll]] for (uint j = 0u; j < 32u; j += 4u) {
            int q = int(w_word(base + 2u + j));
            v[j] = d * float(bitfieldExtract(q, 0, 8));
            v[j + 1u] = d * float(bitfieldExtract(q, 8, 8));
            v[j + 2u] = d * float(bitfieldExtract(q, 16, 8));
            v[j + 3u] = d * float(bitfieldExtract(q, 24, 8));
        }
    } else { // T_MXFP4
        uint base = row + b * 17u;
        float d = e8m0_half(w_byte(base));
        [[unroll]] for (uint j = 0u; j < 16u; j += 4u) {
            uint q = w_word(base + 1u + j);
            [[unroll]] for (uint c = 0u; c < 4u; c++) {
                uint byte = (q >> (8u * c)) & 0xffu;
                v[j + c] = e2m1_doubled(byte & 15u) * d;
                v[j + c + 16u] = e2m1_doubled(byte >> 4u) * d;
            }
        }
    }
}
