// Reading weight rows in their GGUF formats from 32-bit words: binding 0
// holds rows (or experts) of one tensor chunk, TYPE (specialization constant
// 0) is the ggml type id. Q8_0 blocks are 34 bytes, MXFP4 blocks 17, Q4_0
// blocks 18 and Q6_K super-blocks 210 (kquants.glsl), so words are read
// unaligned and unpacked by hand. The buffer is padded by 16 bytes so the
// words after a row's last byte exist.
layout(constant_id = 0) const uint TYPE = 0;
#ifdef WEIGHTS_TEXEL
// the row kernels: words through a 4-byte texel view (binding WEIGHTS_TEXEL);
// on lavapipe a texel fetch serves a SIMD row of lanes at once, where a
// storage-buffer load is made lane by lane
layout(binding = WEIGHTS_TEXEL) uniform usamplerBuffer WT1;
uint w_at(uint i) { return texelFetch(WT1, int(i)).x; }
#else
layout(std430, binding = 0) readonly buffer Weights { uint W[]; };
uint w_at(uint i) { return W[i]; }
#endif

const uint T_F32 = 0u, T_F16 = 1u, T_Q8_0 = 8u, T_BF16 = 30u, T_MXFP4 = 39u;
// rows split into the blocks' scales (padded to 16 bytes), then their quants
// (engine/vulkan/vk_weights.c: CPU devices); the ggml id + 1000 (Q4_0's and
// Q6_K's are read by kquants.glsl)
const uint T_Q8_0_SPLIT = 1008u, T_MXFP4_SPLIT = 1039u, T_Q4_0_SPLIT = 1002u, T_Q6_K_SPLIT = 1014u;

// bytes of a split row's scales: n elements; a 2-byte d per 32 (Q8_0, Q4_0) or per 256 (Q6_K),
// a 1-byte exponent per 32 (MXFP4)
uint split_scales(uint n) {
    uint bytes = TYPE == T_Q6_K_SPLIT ? (n / 256u) * 2u : (n / 32u) * (TYPE == T_MXFP4_SPLIT ? 1u : 2u);
    return (bytes + 15u) / 16u * 16u;
}

// little-endian 32 bits at any byte offset
uint w_word(uint off) {
    uint i = off >> 2u, shift = (off & 3u) * 8u;
    uint lo = w_at(i);
    return shift == 0u ? lo : (lo >> shift) | (w_at(i + 1u) << (32u - shift));
}

uint w_byte(uint off) { return (w_at(off >> 2u) >> ((off & 3u) * 8u)) & 0xffu; }

// 2^(e - 128): e = 0, 1 are subnormal (a device may flush them to zero)
float e8m0_half(uint e) {
    if (e < 2u) return uintBitsToFloat(0x00200000u << e);
    return uintBitsToFloat((e - 1u) << 23u);
}

// E2M1 code c doubled (ggml's kvalues_mxfp4: 0 1 2 3 4 6 8 12, bit 3 the
// sign), to go with half the E8M0 scale; arithmetic, not a table, so no
// array is indexed per lane
float e2m1_doubled(uint c) {
    uint m = c & 7u;
    float v = m < 4u ? float(m) : float((2u + (m & 1u)) << ((m >> 1u) - 1u));
    return (c & 8u) != 0u ? -v : v;
}
