/* Byte layouts of the quantized blocks (ggml's, little-endian, no padding).
 * Fields are read through memcpy-free byte offsets, so the structs are only a
 * description: sizeof must equal ggml's type_size, checked below. */
#ifndef MT_QUANT_BLOCKS_H
#define MT_QUANT_BLOCKS_H

#include <math.h>
#include <stdint.h>

#include "half.h"

#define QK4_0 32
#define QK8_0 32
#define QK_MXFP4 32
#define QK_K 256

typedef struct { uint16_t d; uint8_t qs[QK4_0 / 2]; } block_q4_0;        /* d: f16 scale; value = d * (nibble - 8) */
typedef struct { uint16_t d; int8_t qs[QK8_0]; } block_q8_0;            /* value = d * q */
typedef struct { uint8_t e; uint8_t qs[QK_MXFP4 / 2]; } block_mxfp4;    /* value = e2m1(nibble) * 2^(e - 127) */
typedef struct {                                                       /* 8 sub-blocks of 32, 6-bit scales and mins */
    uint16_t d, dmin;
    uint8_t scales[12];
    uint8_t qs[QK_K / 2];
} block_q4_k;
/* Q5_K, after ggml's block_q5_K (ggml-common.h): a super-block of 256 weights
 * in 8 sub-blocks of 32. d and dmin are F16; scales packs the 8 six-bit
 * scales and 8 six-bit mins exactly as Q4_K does. Weight i of sub-block s has
 * a 5-bit code: its low 4 bits are a nibble of qs (sub-blocks 2p and 2p+1 share
 * the 32 bytes qs[32p..32p+32), the even one in the low nibbles, the odd one
 * in the high), its fifth bit is bit s of qh[i]. value = d * scale_s * code -
 * dmin * min_s. */
typedef struct {
    uint16_t d, dmin;
    uint8_t scales[12];
    uint8_t qh[QK_K / 8]; /* fifth bits: bit s of byte i for weight i of sub-block s */
    uint8_t qs[QK_K / 2]; /* low 4 bits */
} block_q5_k;
typedef struct {                                                       /* 16 sub-blocks of 16, 8-bit scales */
    uint8_t ql[QK_K / 2]; /* low 4 bits */
    uint8_t qh[QK_K / 4]; /* high 2 bits */
    int8_t scales[QK_K / 16];
    uint16_t d;
} block_q6_k;

_Static_assert(sizeof(block_q4_0) == 18, "Q4_0 block is 18 bytes");
_Static_assert(sizeof(block_q8_0) == 34, "Q8_0 block is 34 bytes");
_Static_assert(sizeof(block_mxfp4) == 17, "MXFP4 block is 17 bytes");
_Static_assert(sizeof(block_q4_k) == 144, "Q4_K block is 144 bytes");
_Static_assert(sizeof(block_q5_k) == 176, "Q5_K block is 176 bytes");
_Static_assert(sizeof(block_q6_k) == 210, "Q6_K block is 210 bytes");

/* Q4_K's and Q5_K's 12 scale bytes hold 8 six-bit scales and 8 six-bit mins:
 * those of sub-block j (ggml's get_scale_min_k4). */
static inline void mt_q4k_scale_min(int j, const uint8_t *q, int *sc, int *m) {
    if (j < 4) {
        *sc = q[j] & 63;
        *m = q[j + 4] & 63;
    } else {
        *sc = (q[j + 4] & 0x0f) | ((q[j - 4] >> 6) << 4);
        *m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
    }
}

/* E2M1 codes doubled to integers (ggml's kvalues_mxfp4): code c means
 * mxfp4_kvalues[c] / 2. Sign is bit 3; 8 is negative zero. */
static const int8_t mxfp4_kvalues[16] = { 0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12 };

/* 2^(e-128): half the E8M0 scale, to go with the doubled E2M1 integers.
 * e = 0 and 1 give the subnormals 2^-128 and 2^-127 (never flushed to zero);
 * e = 255 is NaN in the OCP format. */
static inline float mxfp4_e8m0_half(uint8_t e) {
    if (e == 255) return NAN;
    if (e < 2) return mt_bits_f32(0x00200000u << e);
    return mt_bits_f32((uint32_t)(e - 1) << 23);
}

#endif
