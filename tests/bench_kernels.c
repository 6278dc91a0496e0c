/* `make bench`: every kernel set this processor runs (portable C, AVX2,
 * AVX-512) on every format it computes, on a 2816 x 2816 matrix (whole
 * K-quant super-blocks): all rows against one token (dot_rows, as decoding
 * runs) and against 16 (dot_packed, as a prompt runs). GFLOP/s counts 2 per
 * weight and token, over this process's CPU time (one thread), so a busy
 * machine slows the figures less than it would wall time. Figures only. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "engine/cpu/kernels.h"
#include "engine/quant.h"
#include "engine/rng.h"
#include "support/quant_rows.h"

static double cpu_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int main(void) {
    enum { N = 2816, T = 16 };
    static const uint32_t types[] = { MT_TYPE_F32, MT_TYPE_F16, MT_TYPE_BF16, MT_TYPE_Q4_0, MT_TYPE_Q4_K,
                                      MT_TYPE_Q5_K, MT_TYPE_Q6_K, MT_TYPE_Q8_0, MT_TYPE_MXFP4 };
    static const char *const sets[] = { "c", "avx2", "avx512" };
    mt_rng rng = mt_rng_seed(1, 0);
    float *x = malloc((size_t)T * N * sizeof *x), *xp = malloc((size_t)T * N * sizeof *xp), *out = malloc((size_t)T * N * sizeof *out);
    uint8_t *w = malloc((size_t)N * N * 4);
    if (!x || !xp || !out || !w) return 1;
    for (size_t i = 0; i < (size_t)T * N; i++) x[i] = mt_rng_normal(&rng);
    mt_pack_tokens(x, T, N, xp);
    printf("kernel sets, one thread, %d x %d matrix, GFLOP/s over CPU time: one token / %d tokens\n  %-6s", N, N, T, "type");
    for (size_t s = 0; s < 3; s++) printf(" %22s", mt_kernels_named(sets[s]) ? sets[s] : "(not on this CPU)");
    printf("\n");
    for (size_t ti = 0; ti < sizeof types / sizeof *types; ti++) {
        uint64_t rb = mt_row_bytes(types[ti], N);
        for (int r = 0; r < N; r++) t_random_row(types[ti], N, &rng, w + (size_t)r * rb);
        printf("  %-6s", mt_type_get(types[ti])->name);
        for (size_t s = 0; s < 3; s++) {
            const mt_kernels *k = mt_kernels_named(sets[s]);
            if (!k) {
                printf(" %22s", "-");
                continue;
            }
            int reps = 0;
            double t0 = cpu_s(), t1;
            do {
                k->dot_rows(types[ti], w, rb, N, x, N, out, NULL);
                reps++;
            } while ((t1 = cpu_s()) - t0 < 0.25);
            double one = 2.0 * reps * N * N / (t1 - t0) / 1e9;
            reps = 0;
            t0 = cpu_s();
            do {
                k->dot_packed(types[ti], w, rb, N, xp, T, N, out, N, NULL);
                reps++;
            } while ((t1 = cpu_s()) - t0 < 0.25);
            printf(" %10.1f / %9.1f", one, 2.0 * T * reps * N * N / (t1 - t0) / 1e9);
        }
        printf("\n");
    }
    free(x), free(xp), free(out), free(w);
    return 0;
}
