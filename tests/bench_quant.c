/* `make bench`: speed of the portable reference (quant.c: dot and dequantize) per format on a
 * gpt-oss-20b-sized matrix (2880 x 2880), and of opening the o200k vocabulary.
 * Figures only; no test depends on them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/gguf.h"
#include "engine/quant.h"
#include "engine/rng.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    enum { ROWS = 2880, COLS = 2880 };
    const uint32_t types[] = { MT_TYPE_F32, MT_TYPE_F16, MT_TYPE_BF16, MT_TYPE_Q8_0, MT_TYPE_MXFP4, MT_TYPE_Q4_0, MT_TYPE_Q4_K, MT_TYPE_Q5_K, MT_TYPE_Q6_K };
    float *x = malloc(COLS * sizeof *x), *src = malloc((size_t)ROWS * COLS * sizeof *src), *out = malloc(COLS * sizeof *out);
    uint8_t *w = malloc((size_t)ROWS * COLS * 4);
    mt_rng rng = mt_rng_seed(1, 0);
    for (size_t i = 0; i < (size_t)ROWS * COLS; i++) src[i] = mt_rng_normal(&rng) * 0.02f;
    for (int i = 0; i < COLS; i++) x[i] = mt_rng_normal(&rng);
    printf("portable quant.c (the reference the kernel sets are tested against; bench_kernels times the sets), one thread,\n"
           "%d x %d matrix (one gpt-oss-20b projection), wall time: GB/s of blocks, GFLOP/s at 2 per weight\n", ROWS, COLS);
    printf("  %-6s %12s %12s %14s\n", "type", "dot GB/s", "dot GFLOP/s", "dequant GB/s");
    volatile float sink = 0;
    for (size_t t = 0; t < sizeof types / sizeof *types; t++) {
        const mt_type_info *info = mt_type_get(types[t]);
        uint64_t row_bytes = mt_row_bytes(types[t], COLS);
        if (!row_bytes) {
            printf("  %-6s n/a: rows of %d are not a multiple of its %u-element block\n", info->name, COLS, info->block_size);
            continue;
        }
        if (info->can_quantize) {
            for (int r = 0; r < ROWS; r++) mt_quantize_row(types[t], src + (size_t)r * COLS, w + r * row_bytes, COLS);
        } else {
            /* formats moetop does not write: random bytes with sane f16 scales */
            for (size_t i = 0; i < ROWS * row_bytes; i++) w[i] = (uint8_t)mt_rng_u64(&rng);
            for (size_t b = 0; b < ROWS * row_bytes / info->type_size; b++) {
                uint8_t *blk = w + b * info->type_size;
                size_t at = types[t] == MT_TYPE_Q6_K ? 208 : 0;
                blk[at] = 0x00, blk[at + 1] = 0x20;
                if (types[t] == MT_TYPE_Q4_K || types[t] == MT_TYPE_Q5_K) blk[2] = 0x00, blk[3] = 0x20; /* dmin */
            }
        }
        int reps = 0;
        double t0 = now(), t1;
        do {
            for (int r = 0; r < ROWS; r++) sink += mt_dot_row(types[t], w + r * row_bytes, x, COLS);
            reps++;
            t1 = now();
        } while (t1 - t0 < 0.5);
        double dot_s = (t1 - t0) / reps;
        reps = 0;
        t0 = now();
        do {
            for (int r = 0; r < ROWS; r++) mt_dequant_row(types[t], w + r * row_bytes, out, COLS);
            sink += out[0];
            reps++;
            t1 = now();
        } while (t1 - t0 < 0.5);
        double deq_s = (t1 - t0) / reps;
        double bytes = (double)ROWS * (double)row_bytes;
        printf("  %-6s %12.2f %12.2f %14.2f\n", info->name, bytes / dot_s / 1e9, 2.0 * ROWS * COLS / dot_s / 1e9, bytes / deq_s / 1e9);
    }
    const char *vocab = argc > 1 ? argv[1] : "../shared/oracle/tokenizer/o200k_harmony.vocab.gguf";
    mt_err err;
    double t0 = now();
    int opens = 0;
    for (; opens < 20; opens++) {
        mt_gguf *g = mt_gguf_open(vocab, &err);
        if (!g) break;
        mt_gguf_close(g);
    }
    if (opens) printf("open + validate %s: %.1f ms\n", vocab, (now() - t0) / opens * 1e3);
    else printf("open %s: skipped (%s)\n", vocab, err.msg);
    free(x);
    free(src);
    free(out);
    free(w);
    return 0;
}
