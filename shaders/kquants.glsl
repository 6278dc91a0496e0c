// Q4_0 and the K-quants Q4_K, Q5_K and Q6_K, read in place as the file
// stores them, 32 elements (a "sub-block") at a time: Q4_0's block of 32, or
// one eighth of a K-quant super-block of 256. Layouts are ggml's
// (ggml-common.h; engine/quant_blocks.h describes them), little-endian:
//   Q4_0   18 bytes / 32:  d f16 | qs[16]: element j < 16 the low nibble of qs[j], j >= 16 the high
//                          nibble of qs[j - 16]; value (q - 8) d
//   Q4_K  144 bytes / 256: d, dmin f16 | scales[12] (8 six-bit scales and mins) | qs[128]: sub-blocks
//                          2p and 2p + 1 the low and high nibbles of qs[32p .. 32p + 32);
//                          value (d sc) q - (dmin m)
//   Q5_K  176 bytes / 256: d, dmin | scales[12] | qh[32] (bit s of qh[j]: the fifth bit of element j of
//                          sub-block s) | qs[128] as Q4_K; value as Q4_K
//   Q6_K  210 bytes / 256: ql[128] | qh[64] | int8 scales[16] (one per 16 elements) | d f16: sub-block
//                          c = 4h + k (h the half of 128) reads ql[64h + 32(k & 1) + j] (low nibble for
//                          k < 2, high for k >= 2), bits 2k, 2k + 1 of qh[32h + j], scales[8h + 2k + j / 16];
//                          value (d sc) (q - 32)
// Each weight is the float32 engine/quant_dequant.c (llama.cpp's reference
// dequantizer) computes, in its order of operations: d sc, dmin m and
// (d sc) q are exact in float32 (11-bit halves times integers of at most
// 13 bits: Q6_K's 7-bit scale magnitude and 6-bit code), so only the
// Q4_K/Q5_K subtraction rounds, once, fused into a multiply-add or not.
// Q4_K and Q5_K super-blocks are 16-byte multiples, so rows of them stay
// 16-byte aligned; Q4_0 and Q6_K blocks are 2-byte aligned only, so for the
// row kernels (CPU devices, where every load is made lane by lane) their rows
// are split at upload (engine/vulkan/vk_weights.c), as Q8_0's and MXFP4's
// are: the blocks' f16 d first (2 bytes a block, padded to 16), then the rest
// of each block in order, 16 bytes a Q4_0 block (qs) and 208 a Q6_K super-block
// (ql, qh, scales), every piece 16-byte aligned. T_Q4_0_SPLIT, T_Q6_K_SPLIT.
//
// Needs weights_read.glsl (w_at, w_word, w_byte); with KQ_TEXEL16 defined,
// w4_at (16 bytes a texel) serves the aligned loads.

const uint T_Q4_0 = 2u, T_Q4_K = 12u, T_Q5_K = 13u, T_Q6_K = 14u; // and T_Q4_0_SPLIT, T_Q6_K_SPLIT (weights_read.glsl)

// the formats decoded here
bool kquant(uint t) { return t == T_Q4_0 || t == T_Q4_K || t == T_Q5_K || t == T_Q6_K || t == T_Q4_0_SPLIT || t == T_Q6_K_SPLIT; }

// 32 weights: elements 4i .. 4i + 3 in vi
struct W8 { vec4 v0, v1, v2, v3, v4, v5, v6, v7; };

// 16 bytes at a 16-byte aligned byte offset
#ifdef KQ_TEXEL16
uvec4 w16a(uint off) { return w4_at(off >> 4u); }
#else
uvec4 w16a(uint off) {
    uint i = off >> 2u;
    return uvec4(w_at(i), w_at(i + 1u), w_at(i + 2u), w_at(i + 3u));
}
#endif

// 16 bytes at any byte offset: five words funnel-shifted (the buffers are padded past the end)
uvec4 w16u(uint off) {
    uint i = off >> 2u, sh = (off & 3u) * 8u;
    uvec4 a = uvec4(w_at(i), w_at(i + 1u), w_at(i + 2u), w_at(i + 3u));
    if (sh == 0u) return a;
    uvec4 b = uvec4(a.yzw, w_at(i + 4u));
    return (a >> sh) | (b << (32u - sh));
}

// the four bytes of q, each shifted right by sh and masked: four codes
uvec4 bytes4(uint q, uint sh, uint mask) { return (uvec4(q) >> (uvec4(0u, 8u, 16u, 24u) + sh)) & mask; }

// byte k (0..11) of a Q4_K/Q5_K super-block's scales: the header h is its first 16 bytes
uint scale_byte(uvec4 h, uint k) { return (h[1u + (k >> 2u)] >> ((k & 3u) * 8u)) & 0xffu; }

// (d sc, dmin m) of sub-block s (ggml's get_scale_min_k4)
vec2 k45_scale_min(uvec4 h, uint s) {
    uint sc, m;
    if (s < 4u) {
        sc = scale_byte(h, s) & 63u;
        m = scale_byte(h, s + 4u) & 63u;
    } else {
        sc = (scale_byte(h, s + 4u) & 15u) | ((scale_byte(h, s - 4u) >> 6u) << 4u);
        m = (scale_byte(h, s + 4u) >> 4u) | ((scale_byte(h, s) >> 6u) << 4u);
    }
    vec2 dm = unpackHalf2x16(h.x);
    return vec2(dm.x * float(sc), dm.y * float(m));
}

// bytes of a super-block (K-quants) or block (Q4_0)
uint kq_block_bytes() { return TYPE == T_Q4_0 ? 18u : TYPE == T_Q4_K ? 144u : TYPE == T_Q5_K ? 176u : 210u; }

// a split row's f16 d of block (Q4_0) or super-block (Q6_K) i
float split_d(uint row, uint i) { return unpackHalf2x16(w_at((row + 2u * i) >> 2u) >> (((2u * i) & 2u) * 8u)).x; }

// Q6_K: where super-block sb's ql starts (its qh 128 bytes on, its scales 192), and its d; n elements a row
uint q6_base(uint row, uint sb, uint n) { return TYPE == T_Q6_K_SPLIT ? row + split_scales(n) + sb * 208u : row + sb * 210u; }
float q6_d(uint row, uint sb, uint n) { return TYPE == T_Q6_K_SPLIT ? split_d(row, sb) : unpackHalf2x16(w_word(row + sb * 210u + 208u)).x; }

// Sub-block b (elements 32 b .. 32 b + 31) of the row at byte offset row, of n elements.
W8 kq_decode(uint row, uint b, uint n) {
    if (TYPE == T_Q4_0 || TYPE == T_Q4_0_SPLIT) {
        float d;
        uvec4 q;
        if (TYPE == T_Q4_0_SPLIT) {
            d = split_d(row, b);
            q = w16a(row + split_scales(n) + 16u * b);
        } else {
            d = unpackHalf2x16(w_word(row + b * 18u)).x;
            q = w16u(row + b * 18u + 2u);
        }
        return W8(vec4(ivec4(bytes4(q.x, 0u, 15u)) - 8) * d, vec4(ivec4(bytes4(q.y, 0u, 15u)) - 8) * d,
                  vec4(ivec4(bytes4(q.z, 0u, 15u)) - 8) * d, vec4(ivec4(bytes4(q.w, 0u, 15u)) - 8) * d,
                  vec4(ivec4(bytes4(q.x, 4u, 15u)) - 8) * d, vec4(ivec4(bytes4(q.y, 4u, 15u)) - 8) * d,
                  vec4(ivec4(bytes4(q.z, 4u, 15u)) - 8) * d, vec4(ivec4(bytes4(q.w, 4u, 15u)) - 8) * d);
    }
    if (TYPE == T_Q6_K || TYPE == T_Q6_K_SPLIT) {
        uint blk = q6_base(row, b >> 3u, n), c = b & 7u, h = c >> 2u, k = c & 3u;
        uint lo_at = blk + 64u * h + 32u * (k & 1u), hi_at = blk + 128u + 32u * h, nsh = 4u * (k >> 1u), hsh = 2u * k;
        uvec4 l0, l1, h0, h1;
        int sw;
        if (TYPE == T_Q6_K_SPLIT) { // every piece 16-byte aligned
            l0 = w16a(lo_at), l1 = w16a(lo_at + 16u), h0 = w16a(hi_at), h1 = w16a(hi_at + 16u);
            uvec4 scales = w16a(blk + 192u);
            sw = int(scales[2u * h + (k >> 1u)] >> ((k & 1u) * 16u));
        } else {
            l0 = w16u(lo_at), l1 = w16u(lo_at + 16u), h0 = w16u(hi_at), h1 = w16u(hi_at + 16u);
            sw = int(w_word(blk + 192u + 8u * h + 2u * k));
        }
        float d = q6_d(row, b >> 3u, n);
        float da = d * float(bitfieldExtract(sw, 0, 8)), db = d * float(bitfieldExtract(sw, 8, 8));
        return W8(da * vec4(ivec4(bytes4(l0.x, nsh, 15u) | (bytes4(h0.x, hsh, 3u) << 4u)) - 32),
                  da * vec4(ivec4(bytes4(l0.y, nsh, 15u) | (bytes4(h0.y, hsh, 3u) << 4u)) - 32),
                  da * vec4(ivec4(bytes4(l0.z, nsh, 15u) | (bytes4(h0.z, hsh, 3u) << 4u)) - 32),
                  da * vec4(ivec4(bytes4(l0.w, nsh, 15u) | (bytes4(h0.w, hsh, 3u) << 4u)) - 32),
                  db * vec4(ivec4(bytes4(l1.x, nsh, 15u) | (bytes4(h1.x, hsh, 3u) << 4u)) - 32),
                  db * vec4(ivec4(bytes4(l1.y, nsh, 15u) | (bytes4(h1.y, hsh, 3u) << 4u)) - 32),
                  db * vec4(ivec4(bytes4(l1.z, nsh, 15u) | (bytes4(h1.z, hsh, 3u) << 4u)) - 32),
                  db * vec4(ivec4(bytes4(l1.w, nsh, 15u) | (bytes4(h1.w, hsh, 3u) << 4u)) - 32));
    }
    // Q4_K, Q5_K
    uint blk = row + (b >> 3u) * kq_block_bytes(), s = b & 7u;
    vec2 dm = k45_scale_min(w16a(blk), s);
    uint qs = blk + (TYPE == T_Q4_K ? 16u : 48u) + 32u * (s >> 1u), nsh = 4u * (s & 1u);
    uvec4 q0 = w16a(qs), q1 = w16a(qs + 16u);
    uvec4 c0 = uvec4(bytes4(q0.x, nsh, 15u)), c1 = bytes4(q0.y, nsh, 15u), c2 = bytes4(q0.z, nsh, 15u), c3 = bytes4(q0.w, nsh, 15u);
    uvec4 c4 = bytes4(q1.x, nsh, 15u), c5 = bytes4(q1.y, nsh, 15u), c6 = bytes4(q1.z, nsh, 15u), c7 = bytes4(q1.w, nsh, 15u);
    if (TYPE == T_Q5_K) { // the fifth bits: bit s of qh[j]
        uvec4 h0 = w16a(blk + 16u), h1 = w16a(blk + 32u);
        c0 |= bytes4(h0.x, s, 1u) << 4u; c1 |= bytes4(h0.y, s, 1u) << 4u; c2 |= bytes4(h0.z, s, 1u) << 4u; c3 |= bytes4(h0.w, s, 1u) << 4u;
        c4 |= bytes4(h1.x, s, 1u) << 4u; c5 |= bytes4(h1.y, s, 1u) << 4u; c6 |= bytes4(h1.z, s, 1u) << 4u; c7 |= bytes4(h1.w, s, 1u) << 4u;
    }
    return W8(dm.x * vec4(c0) - dm.y, dm.x * vec4(c1) - dm.y, dm.x * vec4(c2) - dm.y, dm.x * vec4(c3) - dm.y,
              dm.x * vec4(c4) - dm.y, dm.x * vec4(c5) - dm.y, dm.x * vec4(c6) - dm.y, dm.x * vec4(c7) - dm.y);
}

// Element i of the row at byte offset row, of n elements, alone (the row kernels' path for unaligned x).
float kq_element(uint row, uint i, uint n) {
    uint b = i >> 5u, j = i & 31u;
    if (TYPE == T_Q4_0 || TYPE == T_Q4_0_SPLIT) {
        bool split = TYPE == T_Q4_0_SPLIT;
        uint q = w_byte(split ? row + split_scales(n) + 16u * b + (j & 15u) : row + b * 18u + 2u + (j & 15u));
        return float(int(j < 16u ? q & 15u : q >> 4u) - 8) * (split ? split_d(row, b) : unpackHalf2x16(w_word(row + b * 18u)).x);
    }
    if (TYPE == T_Q6_K || TYPE == T_Q6_K_SPLIT) {
        uint blk = q6_base(row, b >> 3u, n), c = b & 7u, h = c >> 2u, k = c & 3u;
        uint l = (w_byte(blk + 64u * h + 32u * (k & 1u) + j) >> (4u * (k >> 1u))) & 15u;
        uint hb = (w_byte(blk + 128u + 32u * h + j) >> (2u * k)) & 3u;
        int sc = bitfieldExtract(int(w_byte(blk + 192u + 8u * h + 2u * k + j / 16u)), 0, 8);
        return q6_d(row, b >> 3u, n) * float(sc) * float(int(l | (hb << 4u)) - 32);
    }
    uint blk = row + (b >> 3u) * kq_block_bytes(), s = b & 7u;
    vec2 dm = k45_scale_min(w16a(blk), s);
    uint q = (w_byte(blk + (TYPE == T_Q4_K ? 16u : 48u) + 32u * (s >> 1u) + j) >> (4u * (s & 1u))) & 15u;
    if (TYPE == T_Q5_K) q |= ((w_byte(blk + 16u + j) >> s) & 1u) << 4u;
    return dm.x * float(q) - dm.y;
}
