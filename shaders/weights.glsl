// Reading weight rows in their GGUF formats from 32-bit words: binding 0
// holds rows (or experts) of one tensor chunk, TYPE (specialization constant
// 0) is the ggml type id. Q8_0 blocks are 34 bytes and MXFP4 blocks 17, so
// words are read unaligned and unpacked by hand. The buffer is padded by 4
// bytes so the word after a row's last byte exists.
layout(constant_id = 0) const uint TYPE = 0;
layout(std430, binding = 0) readonly buffer Weights { uint W[]; };

const uint T_F32 = 0u, T_F16 = 1u, T_Q8_0 = 8u, T_BF16 = 30u, T_MXFP4 = 39u;
// E2M1 codes doubled (ggml's kvalues_mxfp4), to go with half the E8M0 scale
const float MXFP4_VALUES[16] = float[16](0.0, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 0.0, -1.0, -2.0, -3.0, -4.0, -6.0, -8.0, -12.0);

// little-endian 32 bits at any byte offset
uint w_word(uint off) {
    uint i = off >> 2u, shift = (off & 3u) * 8u;
    uint lo = W[i];
    return shift == 0u ? lo : (lo >> shift) | (W[i + 1u] << (32u - shift));
}

uint w_byte(uint off) { return (W[off >> 2u] >> ((off & 3u) * 8u)) & 0xffu; }

// 2^(e - 128): e = 0, 1 are subnormal (a device may flush them to zero)
float e8m0_half(uint e) {
    if (e < 2u) return uintBitsToFloat(0x00200000u << e);
    return uintBitsToFloat((e - 1u) << 23u);
}

// Elements 32 b .. 32 b + 31 of the row at byte offset row (0 past n).
void load_block(uint row, uint b, uint n, out float v[32]) {
    uint first = b * 32u;
    if (TYPE == T_F32) {
        for (uint j = 0u; j < 32u; j++) v[j] = first + j < n ? uintBitsToFloat(W[(row >> 2u) + first + j]) : 0.0;
    } else if (TYPE == T_F16 || TYPE == T_BF16) {
        for (uint j = 0u; j < 32u; j += 2u) {
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
    } else if (TYPE == T_Q8_0) {
        uint base = row + b * 34u;
        float d = unpackHalf2x16((W[base >> 2u] >> ((base & 2u) * 8u)) & 0xffffu).x;
        for (uint j = 0u; j < 32u; j += 4u) {
            int q = int(w_word(base + 2u + j));
            v[j] = d * float(bitfieldExtract(q, 0, 8));
            v[j + 1u] = d * float(bitfieldExtract(q, 8, 8));
            v[j + 2u] = d * float(bitfieldExtract(q, 16, 8));
            v[j + 3u] = d * float(bitfieldExtract(q, 24, 8));
        }
    } else { // T_MXFP4
        uint base = row + b * 17u;
        float d = e8m0_half(w_byte(base));
        for (uint j = 0u; j < 16u; j += 4u) {
            uint q = w_word(base + 1u + j);
            for (uint c = 0u; c < 4u; c++) {
                uint byte = (q >> (8u * c)) & 0xffu;
                v[j + c] = MXFP4_VALUES[byte & 15u] * d;
                v[j + c + 16u] = MXFP4_VALUES[byte >> 4u] * d;
            }
        }
    }
}
