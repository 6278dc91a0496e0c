// Dot products of weight rows with x for the per-invocation kernels
// (matmul_rows.comp, moe_matmul_rows.comp): no private arrays, x's block
// loaded once for four rows, 16-byte loads where aligned. Needs
// weights_read.glsl, w4_at (16 bytes of weights), x (binding 1) and x4_at (16 bytes of x),
// and p.n_in in the push block. Q4_0 and the K-quants are decoded 32
// elements at a time by kquants.glsl (16-byte texel loads for Q4_K and Q5_K).
#define KQ_TEXEL16
#include "kquants.glsl"

// rows whose 32-element blocks are decoded to floats once for four x vectors (dot4x4_split)
bool decoded_blocks() { return TYPE == T_Q8_0_SPLIT || TYPE == T_MXFP4_SPLIT || kquant(TYPE); }

vec4 f32x4(uvec4 q) { return uintBitsToFloat(q); }
vec4 lo_halves(uvec4 q) { return vec4(unpackHalf2x16(q.x), unpackHalf2x16(q.y)); }
vec4 hi_halves(uvec4 q) { return vec4(unpackHalf2x16(q.z), unpackHalf2x16(q.w)); }
vec4 lo_bf16(uvec4 q) { return uintBitsToFloat(uvec4(q.x << 16u, q.x & 0xffff0000u, q.y << 16u, q.y & 0xffff0000u)); }
vec4 hi_bf16(uvec4 q) { return uintBitsToFloat(uvec4(q.z << 16u, q.z & 0xffff0000u, q.w << 16u, q.w & 0xffff0000u)); }
// four signed bytes, sign-extended as one vector operation
vec4 q8x4(uint q) { return vec4(ivec4(uvec4(q) << uvec4(24u, 16u, 8u, 0u)) >> 24); }
// E2M1 codes as IEEE halves: the sign (bit 3) moved to bit 15 and the three
// magnitude bits to 9..11 make a half whose value is the code's E2M1 value
// times 2^-14 exactly (code 1 a subnormal half, which the conversion keeps);
// a word's two 16-bit halves convert together. mx_pair: the nibbles at bits
// s and s + 16 of q; MX_UNIT undoes the 2^-14 and doubles (0 1 2 3 4 6 8 12,
// to go with half the E8M0 scale), applied after the block's sum (a power of
// two: the same rounding as scaling each element).
const float MX_UNIT = 32768.0;
vec2 mx_pair(uint q, uint s) {
    uint t = (q >> s) & 0x000f000fu;
    return unpackHalf2x16(((t & 0x00080008u) << 12u) | ((t & 0x00070007u) << 9u));
}
// the low nibbles of q's four bytes (elements j .. j + 3), and the high ones (j + 16 ..)
vec4 nibbles_lo(uint q) {
    vec2 a = mx_pair(q, 0u), b = mx_pair(q, 8u);
    return vec4(a.x, b.x, a.y, b.y);
}
vec4 nibbles_hi(uint q) {
    vec2 a = mx_pair(q, 4u), b = mx_pair(q, 12u);
    return vec4(a.x, b.x, a.y, b.y);
}

// element i of the row at byte offset row (any alignment, any length)
float element(uint row, uint i) {
    if (TYPE == T_F32) return uintBitsToFloat(w_word(row + 4u * i));
    if (TYPE == T_F16) return unpackHalf2x16(w_word(row + 2u * i) & 0xffffu).x;
    if (TYPE == T_BF16) return uintBitsToFloat(w_word(row + 2u * i) << 16u);
    if (kquant(TYPE)) return kq_element(row, i, p.n_in);
    uint b = i / 32u, j = i % 32u;
    if (TYPE == T_Q8_0_SPLIT) {
        float d = unpackHalf2x16((w_at((row + 2u * b) >> 2u) >> (((2u * b) & 2u) * 8u)) & 0xffffu).x;
        return d * float(bitfieldExtract(int(w_byte(row + split_scales(p.n_in) + 32u * b + j)), 0, 8));
    }
    if (TYPE == T_MXFP4_SPLIT) {
        uint q = w_byte(row + split_scales(p.n_in) + 16u * b + j % 16u);
        return e8m0_half(w_byte(row + b)) * e2m1_doubled(j < 16u ? q & 15u : q >> 4u);
    }
    if (TYPE == T_Q8_0) {
        uint base = row + b * 34u;
        float d = unpackHalf2x16((w_at(base >> 2u) >> ((base & 2u) * 8u)) & 0xffffu).x;
        return d * float(bitfieldExtract(int(w_byte(base + 2u + j)), 0, 8));
    }
    uint base = row + b * 17u, q = w_byte(base + 1u + j % 16u);
    return e8m0_half(w_byte(base)) * e2m1_doubled(j < 16u ? q & 15u : q >> 4u);
}

// x's 32 elements of one block, loaded once for every row an invocation takes
struct X8 { vec4 v0, v1, v2, v3, v4, v5, v6, v7; };

// With BROADCAST (specialization constant 1; subgroups of 8 or more lanes,
// all active), the 8 lanes of each group of 8 load one vec4 each and pass
// them round: on a CPU device a load is made lane by lane, a broadcast is a
// register shuffle, so the block costs one load instead of eight.
layout(constant_id = 1) const uint BROADCAST = 0u;

X8 load_x8(uint xq) {
    if (BROADCAST != 0u) {
        vec4 mine = x4_at(xq + (gl_SubgroupInvocationID & 7u));
        uint g = gl_SubgroupInvocationID & ~7u; // the first lane of this lane's group of 8
        return X8(subgroupShuffle(mine, g), subgroupShuffle(mine, g + 1u), subgroupShuffle(mine, g + 2u), subgroupShuffle(mine, g + 3u),
                  subgroupShuffle(mine, g + 4u), subgroupShuffle(mine, g + 5u), subgroupShuffle(mine, g + 6u), subgroupShuffle(mine, g + 7u));
    }
    return X8(x4_at(xq), x4_at(xq + 1u), x4_at(xq + 2u), x4_at(xq + 3u), x4_at(xq + 4u), x4_at(xq + 5u), x4_at(xq + 6u), x4_at(xq + 7u));
}

// block b (32 elements) of the row at byte offset row, dotted with x. The
// float formats' 32 products are summed pairwise (four lanes of eight, then
// the lanes), as the quantized formats' lanes are: a chain of eight adds left
// Mixtral's oracle routing weights 4.0e-6 off on lavapipe, pairwise 2.1e-6
// (the oracle's tolerance is 3e-6; the C backend's 2.1e-6).
float block_dot(uint row, uint b, X8 x) {
    vec4 a;
    if (TYPE == T_F32) {
        uint w = row / 16u + b * 8u;
        a = ((f32x4(w4_at(w)) * x.v0 + f32x4(w4_at(w + 1u)) * x.v1) + (f32x4(w4_at(w + 2u)) * x.v2 + f32x4(w4_at(w + 3u)) * x.v3)) +
            ((f32x4(w4_at(w + 4u)) * x.v4 + f32x4(w4_at(w + 5u)) * x.v5) + (f32x4(w4_at(w + 6u)) * x.v6 + f32x4(w4_at(w + 7u)) * x.v7));
    } else if (TYPE == T_F16) {
        uint w = row / 16u + b * 4u;
        uvec4 q0 = w4_at(w), q1 = w4_at(w + 1u), q2 = w4_at(w + 2u), q3 = w4_at(w + 3u);
        a = ((lo_halves(q0) * x.v0 + hi_halves(q0) * x.v1) + (lo_halves(q1) * x.v2 + hi_halves(q1) * x.v3)) +
            ((lo_halves(q2) * x.v4 + hi_halves(q2) * x.v5) + (lo_halves(q3) * x.v6 + hi_halves(q3) * x.v7));
    } else if (TYPE == T_BF16) {
        uint w = row / 16u + b * 4u;
        uvec4 q0 = w4_at(w), q1 = w4_at(w + 1u), q2 = w4_at(w + 2u), q3 = w4_at(w + 3u);
        a = ((lo_bf16(q0) * x.v0 + hi_bf16(q0) * x.v1) + (lo_bf16(q1) * x.v2 + hi_bf16(q1) * x.v3)) +
            ((lo_bf16(q2) * x.v4 + hi_bf16(q2) * x.v5) + (lo_bf16(q3) * x.v6 + hi_bf16(q3) * x.v7));
    } else if (kquant(TYPE)) { // each weight decoded, then multiplied (the CPU's values), summed pairwise
        W8 w = kq_decode(row, b, p.n_in);
        a = ((w.v0 * x.v0 + w.v1 * x.v1) + (w.v2 * x.v2 + w.v3 * x.v3)) + ((w.v4 * x.v4 + w.v5 * x.v5) + (w.v6 * x.v6 + w.v7 * x.v7));
    } else if (TYPE == T_Q8_0_SPLIT) { // one scale, two aligned 16-byte loads of quants
        float d = unpackHalf2x16((w_at((row + 2u * b) >> 2u) >> (((2u * b) & 2u) * 8u)) & 0xffffu).x;
        uint w = (row + split_scales(p.n_in)) / 16u + 2u * b;
        uvec4 q0 = w4_at(w), q1 = w4_at(w + 1u);
        a = d * (q8x4(q0.x) * x.v0 + q8x4(q0.y) * x.v1 + q8x4(q0.z) * x.v2 + q8x4(q0.w) * x.v3 + q8x4(q1.x) * x.v4 + q8x4(q1.y) * x.v5 +
                 q8x4(q1.z) * x.v6 + q8x4(q1.w) * x.v7);
    } else if (TYPE == T_MXFP4_SPLIT) { // one scale byte, one aligned 16-byte load of nibbles
        uvec4 q = w4_at((row + split_scales(p.n_in)) / 16u + b);
        a = e8m0_half(w_byte(row + b)) * (MX_UNIT * (nibbles_lo(q.x) * x.v0 + nibbles_lo(q.y) * x.v1 + nibbles_lo(q.z) * x.v2 + nibbles_lo(q.w) * x.v3 +
                                                     nibbles_hi(q.x) * x.v4 + nibbles_hi(q.y) * x.v5 + nibbles_hi(q.z) * x.v6 + nibbles_hi(q.w) * x.v7));
    } else if (TYPE == T_Q8_0) {
        uint base = row + b * 34u;
        float d = unpackHalf2x16((w_at(base >> 2u) >> ((base & 2u) * 8u)) & 0xffffu).x;
        a = d * (q8x4(w_word(base + 2u)) * x.v0 + q8x4(w_word(base + 6u)) * x.v1 + q8x4(w_word(base + 10u)) * x.v2 + q8x4(w_word(base + 14u)) * x.v3 +
                 q8x4(w_word(base + 18u)) * x.v4 + q8x4(w_word(base + 22u)) * x.v5 + q8x4(w_word(base + 26u)) * x.v6 + q8x4(w_word(base + 30u)) * x.v7);
    } else { // MXFP4: byte j holds elements j (low nibble) and j + 16 (high)
        uint base = row + b * 17u;
        uint q0 = w_word(base + 1u), q1 = w_word(base + 5u), q2 = w_word(base + 9u), q3 = w_word(base + 13u);
        a = e8m0_half(w_byte(base)) * (MX_UNIT * (nibbles_lo(q0) * x.v0 + nibbles_lo(q1) * x.v1 + nibbles_lo(q2) * x.v2 + nibbles_lo(q3) * x.v3 +
                                                  nibbles_hi(q0) * x.v4 + nibbles_hi(q1) * x.v5 + nibbles_hi(q2) * x.v6 + nibbles_hi(q3) * x.v7));
    }
    return a.x + a.y + a.z + a.w;
}

// Rows r0 .. r0 + 3 (row stride row_bytes; rows past `rows` repeat the last
// one and are not written) against x at vec4 offset xq: x is loaded once per
// block for four rows.
vec4 dot4_fast(uint row0, uint row_bytes, uint rows_left, uint xq) {
    uint r1 = min(1u, rows_left - 1u), r2 = min(2u, rows_left - 1u), r3 = min(3u, rows_left - 1u);
    vec4 s = vec4(0.0);
    for (uint b = 0u; b < p.n_in / 32u; b++) {
        X8 xv = load_x8(xq + b * 8u);
        s += vec4(block_dot(row0, b, xv), block_dot(row0 + r1 * row_bytes, b, xv), block_dot(row0 + r2 * row_bytes, b, xv),
                  block_dot(row0 + r3 * row_bytes, b, xv));
    }
    return s;
}


// Split rows, Q4_0 and K-quant rows r0 .. r0 + 3 against four x vectors (four
// tokens, or four entries of an expert): each row's block is dequantized once
// for the four, each x block loaded once for the four rows. s_j holds x j's
// four rows. (W8: kquants.glsl)

W8 dequant8(uint row, uint b) {
    if (kquant(TYPE)) return kq_decode(row, b, p.n_in);
    if (TYPE == T_Q8_0_SPLIT) {
        float d = unpackHalf2x16((w_at((row + 2u * b) >> 2u) >> (((2u * b) & 2u) * 8u)) & 0xffffu).x;
        uint w = (row + split_scales(p.n_in)) / 16u + 2u * b;
        uvec4 q0 = w4_at(w), q1 = w4_at(w + 1u);
        return W8(d * q8x4(q0.x), d * q8x4(q0.y), d * q8x4(q0.z), d * q8x4(q0.w), d * q8x4(q1.x), d * q8x4(q1.y), d * q8x4(q1.z), d * q8x4(q1.w));
    } else if (TYPE == T_MXFP4_SPLIT) {
        uvec4 q = w4_at((row + split_scales(p.n_in)) / 16u + b);
        float d = e8m0_half(w_byte(row + b));
        return W8(d * (MX_UNIT * nibbles_lo(q.x)), d * (MX_UNIT * nibbles_lo(q.y)), d * (MX_UNIT * nibbles_lo(q.z)), d * (MX_UNIT * nibbles_lo(q.w)),
                  d * (MX_UNIT * nibbles_hi(q.x)), d * (MX_UNIT * nibbles_hi(q.y)), d * (MX_UNIT * nibbles_hi(q.z)), d * (MX_UNIT * nibbles_hi(q.w)));
    }
    // only decoded_blocks() types come here: the callers check TYPE
    return W8(vec4(0.0), vec4(0.0), vec4(0.0), vec4(0.0), vec4(0.0), vec4(0.0), vec4(0.0), vec4(0.0));
}

float dot8(W8 w, X8 x) {
    vec4 a = w.v0 * x.v0 + w.v1 * x.v1 + w.v2 * x.v2 + w.v3 * x.v3 + w.v4 * x.v4 + w.v5 * x.v5 + w.v6 * x.v6 + w.v7 * x.v7;
    return a.x + a.y + a.z + a.w;
}

void dot4x4_split(uint row0, uint row_bytes, uint rows_left, uvec4 xq, out vec4 s0, out vec4 s1, out vec4 s2, out vec4 s3) {
    uint r1 = min(1u, rows_left - 1u), r2 = min(2u, rows_left - 1u), r3 = min(3u, rows_left - 1u);
    s0 = s1 = s2 = s3 = vec4(0.0);
    for (uint b = 0u; b < p.n_in / 32u; b++) {
        X8 x0 = load_x8(xq.x + b * 8u), x1 = load_x8(xq.y + b * 8u), x2 = load_x8(xq.z + b * 8u), x3 = load_x8(xq.w + b * 8u);
        W8 w = dequant8(row0, b);
        s0.x += dot8(w, x0); s1.x += dot8(w, x1); s2.x += dot8(w, x2); s3.x += dot8(w, x3);
        w = dequant8(row0 + r1 * row_bytes, b);
        s0.y += dot8(w, x0); s1.y += dot8(w, x1); s2.y += dot8(w, x2); s3.y += dot8(w, x3);
        w = dequant8(row0 + r2 * row_bytes, b);
        s0.z += dot8(w, x0); s1.z += dot8(w, x1); s2.z += dot8(w, x2); s3.z += dot8(w, x3);
        w = dequant8(row0 + r3 * row_bytes, b);
        s0.w += dot8(w, x0); s1.w += dot8(w, x1); s2.w += dot8(w, x2); s3.w += dot8(w, x3);
    }
}
