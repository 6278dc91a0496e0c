/* Quantized formats: the oracle's blocks exactly, dot products against
 * dequantize-then-multiply, quantize/dequantize error bounds, and the 16-bit
 * float conversions over every input that matters. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/gguf.h"
#include "engine/half.h"
#include "engine/quant.h"
#include "engine/rng.h"
#include "support/harness.h"
#include "support/quant_rows.h"
#include "cli/json_read.h"

/* Every value of every tensor "q.<TYPE>" of the oracle file against the
 * expected JSON; want_types: how many types the JSON must hold. */
static void check_oracle_blocks(const char *gguf_file, const char *json_file, int want_types) {
    const char *gguf_path = t_shared_file(gguf_file);
    const char *json_path = t_shared_file(json_file);
    if (!gguf_path || !json_path) return;
    mt_err err;
    mt_gguf *g = mt_gguf_open(gguf_path, &err);
    if (!CHECKF(g != NULL, "open: %s", err.msg)) return;
    char jerr[256];
    jv *expected = jv_parse_file(json_path, jerr, sizeof jerr);
    if (!CHECKF(expected != NULL, "%s", jerr)) { mt_gguf_close(g); return; }
    int types_checked = 0;
    for (size_t k = 0; k < expected->len; k++) {
        const char *type_name = expected->keys[k];
        const jv *values = jv_get(&expected->items[k], "values");
        char tensor_name[64];
        snprintf(tensor_name, sizeof tensor_name, "q.%s", type_name);
        const mt_gguf_tensor *t = mt_gguf_find_tensor(g, tensor_name);
        if (!CHECKF(t && values, "%s: tensor or values missing", tensor_name)) continue;
        CHECKF((int)t->type == mt_type_from_name(type_name), "%s: type %u", tensor_name, t->type);
        CHECK(mt_type_get(t->type)->can_dequant);
        uint64_t row_bytes = mt_row_bytes(t->type, t->ne[0]);
        float *row = malloc(t->ne[0] * sizeof *row);
        int mismatches = 0;
        for (uint64_t r = 0; r < t->ne[1]; r++) {
            mt_dequant_row(t->type, (const uint8_t *)t->data + r * row_bytes, row, (int64_t)t->ne[0]);
            const jv *want_row = jv_at(values, r);
            for (uint64_t i = 0; i < t->ne[0]; i++) {
                const jv *w = jv_at(want_row, i);
                float want = w ? (float)w->num : NAN;
                /* exact: the same bits (so -0.0 is not 0.0), NaN matching NaN */
                bool same = mt_f32_bits(want) == mt_f32_bits(row[i]) || (isnan(want) && isnan(row[i]));
                if (!same && mismatches++ < 3)
                    CHECKF(false, "%s row %llu element %llu: got %.9g, llama.cpp gives %.9g", type_name,
                           (unsigned long long)r, (unsigned long long)i, (double)row[i], (double)want);
            }
        }
        CHECKF(mismatches == 0, "%s: %d values differ", type_name, mismatches);
        free(row);
        types_checked++;
    }
    CHECKF(types_checked == want_types, "%s: checked %d types, expected %d", json_file, types_checked, want_types);
    jv_free(expected);
    mt_gguf_close(g);
}

static void oracle_blocks_dequantize_exactly(void) {
    check_oracle_blocks("oracle/quant/blocks.gguf", "oracle/quant/blocks.expected.json", 7);
}

/* Q5_K has its own pair of oracle files (4 x 512: 8 random super-blocks). */
static void oracle_q5_k_blocks_dequantize_exactly(void) {
    check_oracle_blocks("oracle/quant/blocks-q5k.gguf", "oracle/quant/blocks-q5k.expected.json", 1);
}

/* Q5_K's fifth bits, from the layout alone (not from the oracle): with d = 1,
 * dmin = 0, every scale 1 and every nibble 0, setting bit s of qh[i] makes
 * element 32 s + i exactly 16 and leaves the other 255 at 0; all nibbles 15
 * and all of qh set give 31 everywhere; the mins subtract dmin * min per
 * sub-block. */
static void q5_k_high_bits_and_mins(void) {
    uint8_t blk[176] = { 0 };
    const uint16_t one = mt_f32_to_f16(1.0f);
    memcpy(blk, &one, 2);
    /* scales 1 for sub-blocks 0..7: bytes 0..3 hold scales 0..3, bytes 8..11 the
     * low nibbles of scales 4..7 (high bits 0) */
    for (int j = 0; j < 4; j++) blk[4 + j] = 1;
    for (int j = 8; j < 12; j++) blk[4 + j] = 0x01;
    float y[256];
    int wrong = 0;
    for (int s = 0; s < 8; s++)
        for (int i = 0; i < 32; i += 7) {
            memset(blk + 16, 0, 32);
            blk[16 + i] = (uint8_t)(1u << s);
            mt_dequant_row(MT_TYPE_Q5_K, blk, y, 256);
            for (int e = 0; e < 256; e++)
                if (y[e] != (e == 32 * s + i ? 16.0f : 0.0f) && wrong++ < 3)
                    CHECKF(false, "qh[%d] bit %d: element %d is %g", i, s, e, (double)y[e]);
        }
    CHECKF(wrong == 0, "%d elements wrong", wrong);
    memset(blk + 16, 0xff, 32 + 128);
    mt_dequant_row(MT_TYPE_Q5_K, blk, y, 256);
    wrong = 0;
    for (int e = 0; e < 256; e++) wrong += y[e] != 31.0f;
    CHECKF(wrong == 0, "all bits set: %d elements are not 31 (element 0: %g)", wrong, (double)y[0]);
    /* dmin = 0.5, min of sub-block s = s + 1 (six bits: mins 0..3 in bytes 4..7,
     * 4..7 in the high nibbles of bytes 8..11) */
    const uint16_t half = mt_f32_to_f16(0.5f);
    memcpy(blk + 2, &half, 2);
    for (int j = 0; j < 4; j++) blk[4 + 4 + j] = (uint8_t)(j + 1);
    for (int j = 0; j < 4; j++) blk[4 + 8 + j] = (uint8_t)(0x01 | ((j + 5) << 4));
    mt_dequant_row(MT_TYPE_Q5_K, blk, y, 256);
    wrong = 0;
    for (int e = 0; e < 256; e++) wrong += y[e] != 31.0f - 0.5f * (float)(e / 32 + 1);
    CHECKF(wrong == 0, "mins: %d elements wrong (element 255: %g, want 27)", wrong, (double)y[255]);
}

/* Random blocks of each format, a random vector: dot == sum(dequant * x) up to
 * float32 summation order. */
static void dot_matches_dequantize_then_multiply(void) {
    static const uint32_t types[] = { MT_TYPE_F32, MT_TYPE_F16, MT_TYPE_BF16, MT_TYPE_Q4_0, MT_TYPE_Q8_0,
                                      MT_TYPE_MXFP4, MT_TYPE_Q4_K, MT_TYPE_Q5_K, MT_TYPE_Q6_K };
    mt_rng rng = mt_rng_seed(42, 0);
    enum { N = 1024 };
    float x[N], w[N];
    uint8_t raw[N * 4];
    for (int i = 0; i < N; i++) x[i] = mt_rng_normal(&rng);
    for (size_t t = 0; t < sizeof types / sizeof *types; t++) {
        for (int trial = 0; trial < 20; trial++) {
            t_random_row(types[t], N, &rng, raw);
            mt_dequant_row(types[t], raw, w, N);
            double ref = 0, mag = 0;
            for (int i = 0; i < N; i++) {
                ref += (double)w[i] * x[i];
                mag += fabs((double)w[i] * x[i]);
            }
            float got = mt_dot_row(types[t], raw, x, N);
            CHECKF(fabs(got - ref) <= 1e-5 * mag + 1e-30, "%s trial %d: dot %.9g, dequantize-then-multiply %.9g (magnitude %g)",
                   mt_type_get(types[t])->name, trial, (double)got, ref, mag);
        }
    }
}

static void quantize_error_bounds(void) {
    mt_rng rng = mt_rng_seed(7, 0);
    enum { N = 4096 };
    float *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y);
    uint8_t *q = malloc(N * 4);
    for (int i = 0; i < N; i++) x[i] = mt_rng_normal(&rng) * (i % 64 == 0 ? 40.0f : 1.0f); /* outliers */
    x[5] = 0.0f;
    /* F16 and BF16: relative error within half an ulp */
    mt_quantize_row(MT_TYPE_F16, x, q, N);
    mt_dequant_row(MT_TYPE_F16, q, y, N);
    for (int i = 0; i < N; i++) CHECKF(fabsf(y[i] - x[i]) <= fabsf(x[i]) * 0x1p-11f, "F16 element %d: %g -> %g", i, (double)x[i], (double)y[i]);
    mt_quantize_row(MT_TYPE_BF16, x, q, N);
    mt_dequant_row(MT_TYPE_BF16, q, y, N);
    for (int i = 0; i < N; i++) CHECKF(fabsf(y[i] - x[i]) <= fabsf(x[i]) * 0x1p-8f, "BF16 element %d: %g -> %g", i, (double)x[i], (double)y[i]);
    /* Q8_0: within half a step (max|x| / 127 / 2) plus the step's own F16 rounding */
    CHECK(mt_quantize_row(MT_TYPE_Q8_0, x, q, N) == N / 32 * 34);
    mt_dequant_row(MT_TYPE_Q8_0, q, y, N);
    for (int b = 0; b < N / 32; b++) {
        float amax = 0;
        for (int j = 0; j < 32; j++) amax = fmaxf(amax, fabsf(x[b * 32 + j]));
        float step = amax / 127.0f;
        for (int j = 0; j < 32; j++) {
            int i = b * 32 + j;
            CHECKF(fabsf(y[i] - x[i]) <= 0.5f * step + 127.0f * step * 0x1p-11f, "Q8_0 element %d: %g -> %g", i, (double)x[i], (double)y[i]);
        }
    }
    /* MXFP4: scale s = 2^(floor(log2 max|x|) - 2) puts max|x| in [4s, 8s); the
     * grid 0, .5, 1, 1.5, 2, 3, 4, 6 (x s) is at most 1s from any point up to
     * 6s, and values beyond 6s clamp to 6s, at most 2s away. */
    mt_quantize_row(MT_TYPE_MXFP4, x, q, N);
    mt_dequant_row(MT_TYPE_MXFP4, q, y, N);
    for (int b = 0; b < N / 32; b++) {
        float amax = 0;
        for (int j = 0; j < 32; j++) amax = fmaxf(amax, fabsf(x[b * 32 + j]));
        float s = amax > 0 ? ldexpf(1.0f, (int)floorf(log2f(amax)) - 2) : 0;
        for (int j = 0; j < 32; j++) {
            int i = b * 32 + j;
            float bound = fabsf(x[i]) <= 6 * s ? s : 2 * s;
            CHECKF(fabsf(y[i] - x[i]) <= bound, "MXFP4 element %d: %g -> %g (scale %g)", i, (double)x[i], (double)y[i], (double)s);
        }
    }
    /* values already on the MXFP4 grid survive a second round trip unchanged */
    float *z = malloc(N * sizeof *z);
    mt_quantize_row(MT_TYPE_MXFP4, y, q, N);
    mt_dequant_row(MT_TYPE_MXFP4, q, z, N);
    int moved = 0;
    for (int i = 0; i < N; i++) moved += y[i] != z[i];
    CHECKF(moved == 0, "%d MXFP4 grid values moved on a second round trip", moved);
    free(z);
    free(x);
    free(y);
    free(q);
}

static void mxfp4_scale_bytes_subnormal_and_nan(void) {
    uint8_t block[17] = { 0 };
    float y[32];
    block[1] = 0x71; /* element 0 = code 1 (0.5), element 16 = code 7 (6) */
    block[0] = 0;
    mt_dequant_row(MT_TYPE_MXFP4, block, y, 32);
    CHECKF(y[0] == ldexpf(0.5f, -127) && y[0] > 0, "e=0: 0.5 x 2^-127 not flushed (got %g)", (double)y[0]);
    CHECKF(y[16] == ldexpf(6.0f, -127), "e=0: 6 x 2^-127 (got %g)", (double)y[16]);
    block[0] = 1;
    mt_dequant_row(MT_TYPE_MXFP4, block, y, 32);
    CHECKF(y[0] == ldexpf(0.5f, -126), "e=1: got %g", (double)y[0]);
    block[0] = 127;
    mt_dequant_row(MT_TYPE_MXFP4, block, y, 32);
    CHECK(y[0] == 0.5f && y[16] == 6.0f && y[1] == 0.0f);
    block[0] = 255;
    mt_dequant_row(MT_TYPE_MXFP4, block, y, 32);
    CHECKF(isnan(y[0]) && isnan(y[16]), "e=255 is NaN (got %g)", (double)y[0]);
    block[0] = 127;
    block[1] = 0xf8; /* element 0: code 8 (-0), element 16: code 15 (-6) */
    mt_dequant_row(MT_TYPE_MXFP4, block, y, 32);
    CHECK(y[0] == 0.0f && y[16] == -6.0f);
}

/* llama.cpp's quantizers, on inputs whose answers are worked out by hand. */
static void quantize_rounding_rules(void) {
    float x[32] = { 0 };
    uint8_t q[34];
    /* Q8_0: d = 127 / 127 = 1; roundf rounds halves away from zero (2.5 -> 3, -2.5 -> -3) */
    x[0] = 127.0f, x[1] = 2.5f, x[2] = -2.5f, x[3] = 0.49f, x[4] = -126.6f;
    mt_quantize_row(MT_TYPE_Q8_0, x, q, 32);
    uint16_t d;
    memcpy(&d, q, 2);
    const int8_t *qs = (const int8_t *)(q + 2);
    CHECKF(d == 0x3c00, "Q8_0 scale 0x%04x, expected 1.0 (0x3c00)", d);
    CHECKF(qs[0] == 127 && qs[1] == 3 && qs[2] == -3 && qs[3] == 0 && qs[4] == -127, "Q8_0 codes %d %d %d %d %d", qs[0], qs[1], qs[2], qs[3], qs[4]);
    memset(x, 0, sizeof x);
    mt_quantize_row(MT_TYPE_Q8_0, x, q, 32);
    memcpy(&d, q, 2);
    CHECK(d == 0 && qs[0] == 0); /* an all-zero block has scale 0, not NaN */
    /* MXFP4: max|x| = 6 gives e = floor(log2 6) - 2 + 127 = 127, so codes are
     * E2M1 values x 1. Ties between two codes take the lower code: 5 is as
     * near 4 (code 6) as 6 (code 7) -> 6; -0.25 is as near 0 (code 0) as -0.5 (code 9) -> 0. */
    memset(x, 0, sizeof x);
    x[0] = 6.0f, x[1] = 5.0f, x[2] = -0.25f, x[3] = 1.6f, x[16] = -6.0f, x[17] = 2.9f;
    mt_quantize_row(MT_TYPE_MXFP4, x, q, 32);
    CHECKF(q[0] == 127, "MXFP4 scale byte %u, expected 127", q[0]);
    int lo[4] = { q[1] & 15, q[2] & 15, q[3] & 15, q[4] & 15 }, hi[2] = { q[1] >> 4, q[2] >> 4 };
    CHECKF(lo[0] == 7 && lo[1] == 6 && lo[2] == 0 && lo[3] == 3, "MXFP4 low codes %d %d %d %d", lo[0], lo[1], lo[2], lo[3]);
    CHECKF(hi[0] == 15 && hi[1] == 5, "MXFP4 high codes %d %d (expected 15 = -6, 5 = 3)", hi[0], hi[1]);
    /* a block of tiny values: the scale byte bottoms out at 0, never wraps */
    for (int i = 0; i < 32; i++) x[i] = 1e-42f;
    mt_quantize_row(MT_TYPE_MXFP4, x, q, 32);
    CHECKF(q[0] == 0, "MXFP4 scale byte for 1e-42 is %u", q[0]);
}

/* ggml's MXFP4 quantizer as written there (a scan of all 16 codes), to check
 * moetop's shortened scan bit for bit on random and awkward blocks. */
static void mxfp4_reference_block(const float *x, uint8_t *out) {
    static const int8_t kv[16] = { 0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12 };
    float amax = 0.0f;
    for (int j = 0; j < 32; j++) amax = fmaxf(amax, fabsf(x[j]));
    int e = amax > 0.0f ? (int)(floorf(log2f(amax)) - 2.0f + 127.0f) : 0;
    e = e < 0 ? 0 : e > 254 ? 254 : e;
    out[0] = (uint8_t)e;
    float d = e < 2 ? mt_bits_f32(0x00200000u << e) : mt_bits_f32((uint32_t)(e - 1) << 23);
    for (int j = 0; j < 16; j++) {
        int code[2];
        for (int h = 0; h < 2; h++) {
            float v = x[j + 16 * h], best_err = fabsf(kv[0] * d - v);
            code[h] = 0;
            for (int c = 1; c < 16; c++) {
                float err = fabsf(kv[c] * d - v);
                if (err < best_err) best_err = err, code[h] = c;
            }
        }
        out[1 + j] = (uint8_t)(code[0] | code[1] << 4);
    }
}

static void mxfp4_matches_ggml_scan(void) {
    mt_rng rng = mt_rng_seed(11, 0);
    int differing = 0;
    for (int trial = 0; trial < 20000; trial++) {
        float x[32];
        float scale = ldexpf(1.0f, (int)mt_rng_below(&rng, 60) - 30);
        for (int j = 0; j < 32; j++) {
            x[j] = mt_rng_normal(&rng) * scale;
            if (trial % 3 == 0) x[j] = (float)((int)mt_rng_below(&rng, 25) - 12) * 0.25f * scale; /* exact ties */
            if (trial % 7 == 0 && j % 5 == 0) x[j] = -0.0f;
        }
        uint8_t got[17], want[17];
        mt_quantize_row(MT_TYPE_MXFP4, x, got, 32);
        mxfp4_reference_block(x, want);
        differing += memcmp(got, want, 17) != 0;
    }
    CHECKF(differing == 0, "%d of 20000 blocks differ from ggml's full scan", differing);
}

static void f16_conversions(void) {
    int bad = 0;
    for (uint32_t h = 0; h < 65536; h++) {
        float f = mt_f16_to_f32((uint16_t)h);
        if (isnan(f)) {
            bad += !isnan(mt_f16_to_f32(mt_f32_to_f16(f)));
            continue;
        }
        if (mt_f32_to_f16(f) != h && bad++ < 3) CHECKF(false, "f16 0x%04x -> %g -> 0x%04x", h, (double)f, mt_f32_to_f16(f));
    }
    CHECKF(bad == 0, "%d f16 values do not round-trip", bad);
    CHECK(mt_f16_to_f32(0x3c00) == 1.0f && mt_f16_to_f32(0x0001) == 0x1p-24f && mt_f16_to_f32(0x7bff) == 65504.0f);
    CHECK(mt_f32_to_f16(1.0f + 0x1p-11f) == 0x3c00);             /* tie: to even (down) */
    CHECK(mt_f32_to_f16(1.0f + 3 * 0x1p-11f) == 0x3c02);         /* tie: to even (up) */
    CHECK(mt_f32_to_f16(65519.0f) == 0x7bff && mt_f32_to_f16(65520.0f) == 0x7c00);
    CHECK(mt_f32_to_f16(0x1p-25f) == 0x0000 && mt_f32_to_f16(0x1.8p-25f) == 0x0001);
    CHECK(mt_f32_to_f16(-0.0f) == 0x8000 && mt_f32_to_f16(-INFINITY) == 0xfc00);
    CHECK((mt_f32_to_f16(NAN) & 0x7c00) == 0x7c00 && (mt_f32_to_f16(NAN) & 0x3ff) != 0);
}

static void bf16_conversions(void) {
    CHECK(mt_f32_to_bf16(1.0f) == 0x3f80);
    CHECK(mt_f32_to_bf16(mt_bits_f32(0x3f808000u)) == 0x3f80); /* tie: even stays */
    CHECK(mt_f32_to_bf16(mt_bits_f32(0x3f818000u)) == 0x3f82); /* tie: odd rounds up */
    CHECK(mt_f32_to_bf16(mt_bits_f32(0x3f808001u)) == 0x3f81);
    CHECK(mt_f32_to_bf16(mt_bits_f32(0x00012345u)) == 0x0001); /* subnormals kept, as llama.cpp now does */
    uint16_t qnan = mt_f32_to_bf16(mt_bits_f32(0x7f800001u)); /* signalling NaN becomes quiet */
    CHECKF((qnan & 0x7fc0) == 0x7fc0, "NaN -> 0x%04x", qnan);
    for (uint32_t h = 0; h < 65536; h++)
        if (!isnan(mt_bf16_to_f32((uint16_t)h)) && mt_f32_to_bf16(mt_bf16_to_f32((uint16_t)h)) != h) {
            CHECKF(false, "bf16 0x%04x does not round-trip", h);
            break;
        }
}

static void type_table(void) {
    CHECK(mt_row_bytes(MT_TYPE_MXFP4, 2880) == 90 * 17);
    CHECK(mt_row_bytes(MT_TYPE_Q8_0, 64) == 68);
    CHECK(mt_row_bytes(MT_TYPE_Q6_K, 256) == 210);
    CHECK(mt_row_bytes(MT_TYPE_Q8_0, 33) == 0);
    CHECK(mt_type_get(4) == NULL && mt_type_get(38) == NULL && mt_type_get(40) == NULL && mt_type_get(UINT32_MAX) == NULL);
    CHECK(mt_type_from_name("mxfp4") == MT_TYPE_MXFP4 && mt_type_from_name("bf16") == MT_TYPE_BF16);
    CHECK(mt_type_from_name("Q9_9") == -1);
    CHECK(strcmp(mt_type_get(MT_TYPE_Q4_K)->name, "Q4_K") == 0 && mt_type_get(MT_TYPE_Q4_K)->can_dequant);
    CHECK(mt_row_bytes(MT_TYPE_Q5_K, 512) == 2 * 176);
    const mt_type_info *q5 = mt_type_get(13);
    CHECK(q5 && strcmp(q5->name, "Q5_K") == 0 && q5->can_dequant && !q5->can_quantize);
    CHECK(mt_type_get(11)->can_dequant == false); /* Q3_K: still refused */
}

int main(void) {
    t_begin("quant");
    RUN(oracle_blocks_dequantize_exactly);
    RUN(oracle_q5_k_blocks_dequantize_exactly);
    RUN(q5_k_high_bits_and_mins);
    RUN(dot_matches_dequantize_then_multiply);
    RUN(quantize_error_bounds);
    RUN(mxfp4_scale_bytes_subnormal_and_nan);
    RUN(quantize_rounding_rules);
    RUN(mxfp4_matches_ggml_scan);
    RUN(f16_conversions);
    RUN(bf16_conversions);
    RUN(type_table);
    return t_end();
}
