/* The C backend's row kernels, every set this processor runs (portable C,
 * AVX2, AVX-512): one-token and packed many-token dots of every format
 * against dequantize-then-multiply in double, at row lengths and token
 * counts that reach every code path (two-chunk loop and its odd chunk,
 * blocks of four rows, two and one by up to 16 tokens, rows not a
 * multiple of 32), and the attention's scale_add. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcntl.h>
#include <unistd.h>

#include "engine/backend.h"
#include "engine/cpu/kernels.h"
#include "engine/quant.h"
#include "engine/rng.h"
#include "support/harness.h"
#include "support/quant_rows.h"

static const uint32_t TYPES[] = { MT_TYPE_F32, MT_TYPE_F16, MT_TYPE_BF16, MT_TYPE_Q4_0, MT_TYPE_Q8_0,
                                  MT_TYPE_MXFP4, MT_TYPE_Q4_K, MT_TYPE_Q5_K, MT_TYPE_Q6_K };
#define N_TYPES (sizeof TYPES / sizeof *TYPES)
enum { MAX_N = 512, MAX_T = 27, R = 7, STRIDE = R + 2 }; /* 7 rows: a run of four, a pair, one */

/* sum_i w[i] x[i] in double, and sum_i |w[i] x[i]| (the scale of float32's summation error) */
static double ref_dot(const float *w, const float *x, int64_t n, double *mag) {
    double s = 0;
    *mag = 0;
    for (int64_t i = 0; i < n; i++) {
        s += (double)w[i] * x[i];
        *mag += fabs((double)w[i] * x[i]);
    }
    return s;
}

/* Relative to the terms' magnitude: float32 sums of n terms in any order are within n * 2^-24 of it. */
static bool close_enough(double got, double ref, double mag, int64_t n) { return fabs(got - ref) <= (double)n * 0x1p-24 * mag + 1e-30; }

static void check_rows(const mt_kernels *k);

static void check_set(const mt_kernels *k) {
    check_rows(k);
    mt_rng rng = mt_rng_seed(2026, 0);
    static uint8_t raw[R * MAX_N * 4];
    static float w[R * MAX_N], x[MAX_T * MAX_N], xp[MAX_T * MAX_N], out[MAX_T * STRIDE];
    for (size_t i = 0; i < MAX_T * MAX_N; i++) x[i] = mt_rng_normal(&rng);
    static const int64_t lengths[] = { 32, 64, 96, 256, 512 };
    int checked = 0;
    for (size_t ti = 0; ti < N_TYPES; ti++) {
        uint32_t type = TYPES[ti];
        const mt_type_info *info = mt_type_get(type);
        for (size_t li = 0; li < sizeof lengths / sizeof *lengths; li++) {
            int64_t n = lengths[li];
            if (n % info->block_size) continue;
            /* R rows of the format, one after the other */
            uint64_t rb = mt_row_bytes(type, (uint64_t)n);
            for (int r = 0; r < R; r++) {
                t_random_row(type, n, &rng, raw + r * rb);
                mt_dequant_row(type, raw + r * rb, w + r * MAX_N, n);
            }
            double mag, ref = ref_dot(w, x, n, &mag);
            float got = k->dot(type, raw, x, n);
            if (!CHECKF(close_enough(got, ref, mag, n), "%s %s n=%lld: dot %.9g, want %.9g (magnitude %g)", k->name,
                        info->name, (long long)n, (double)got, ref, mag))
                return;
            /* packed: T tokens x R rows, each token's outputs R + 2 apart (the last two untouched) */
            for (size_t T = 1; T <= MAX_T; T++) {
                mt_pack_tokens(x, T, (size_t)n, xp);
                for (size_t i = 0; i < MAX_T * STRIDE; i++) out[i] = -1.0f;
                float bias[R];
                for (int r = 0; r < R; r++) bias[r] = T % 2 ? 0.0f : 0.25f * (float)(r + 1); /* odd T: no bias (NULL) */
                k->dot_packed(type, raw, rb, R, xp, T, n, out, STRIDE, T % 2 ? NULL : bias);
                for (size_t t = 0; t < T; t++) {
                    for (int r = 0; r < R; r++) {
                        ref = ref_dot(w + r * MAX_N, x + t * (size_t)n, n, &mag) + bias[r];
                        mag += bias[r];
                        if (!CHECKF(close_enough(out[t * STRIDE + r], ref, mag, n), "%s %s n=%lld T=%zu token %zu row %d: %.9g, want %.9g",
                                    k->name, info->name, (long long)n, T, t, r, (double)out[t * STRIDE + r], ref))
                            return;
                    }
                    if (!CHECKF(out[t * STRIDE + R] == -1.0f && out[t * STRIDE + R + 1] == -1.0f, "%s %s T=%zu: wrote past token %zu's outputs",
                                k->name, info->name, T, t))
                        return;
                }
                checked++;
            }
        }
    }
    /* F32 rows of a length no chunk divides take the one-token path's tail */
    for (int64_t n = 1; n <= 70; n += 23) {
        double mag, ref = ref_dot(x + MAX_N, x, n, &mag);
        float got = k->dot(MT_TYPE_F32, x + MAX_N, x, n);
        CHECKF(close_enough(got, ref, mag, n), "%s f32 n=%lld: dot %.9g, want %.9g", k->name, (long long)n, (double)got, ref);
        got = k->dot_f32(x + MAX_N, x, (size_t)n);
        CHECKF(close_enough(got, ref, mag, n), "%s dot_f32 n=%lld: %.9g, want %.9g", k->name, (long long)n, (double)got, ref);
    }
    CHECKF(checked > 100, "%s: only %d packed cases ran", k->name, checked);
    /* scale_add: y = c y + p x, each element two roundings at most (one with FMA) */
    for (size_t n = 1; n <= 70; n += 23) {
        float y[70];
        for (size_t i = 0; i < n; i++) y[i] = x[200 + i];
        float c = 0.375f, p = -1.25f;
        k->scale_add(y, c, p, x, n);
        for (size_t i = 0; i < n; i++) {
            double want = (double)c * x[200 + i] + (double)p * x[i];
            double mag = fabs((double)c * x[200 + i]) + fabs((double)p * x[i]);
            if (!CHECKF(fabs(y[i] - want) <= 0x1p-23 * mag + 1e-30, "%s scale_add n=%zu element %zu: %.9g, want %.9g", k->name, n, i,
                        (double)y[i], want))
                break;
        }
    }
}

/* dot_rows: 37 rows (two blocks of 16 reduced together, then five alone) against one token, with
 * and without a bias, each against its own dot in double */
static void check_rows(const mt_kernels *k) {
    enum { ROWS = 37, N = 256 };
    mt_rng rng = mt_rng_seed(77, 0);
    static uint8_t raw[ROWS * N * 4];
    static float w[ROWS * N], x[N], out[ROWS + 1], bias[ROWS];
    for (int i = 0; i < N; i++) x[i] = mt_rng_normal(&rng);
    for (int r = 0; r < ROWS; r++) bias[r] = 0.125f * (float)r - 2.0f;
    for (size_t ti = 0; ti < N_TYPES; ti++) {
        uint32_t type = TYPES[ti];
        uint64_t rb = mt_row_bytes(type, N);
        for (int r = 0; r < ROWS; r++) {
            t_random_row(type, N, &rng, raw + r * rb);
            mt_dequant_row(type, raw + r * rb, w + r * N, N);
        }
        for (int with_bias = 0; with_bias < 2; with_bias++) {
            out[ROWS] = -1.0f;
            k->dot_rows(type, raw, rb, ROWS, x, N, out, with_bias ? bias : NULL);
            CHECKF(out[ROWS] == -1.0f, "%s %s: dot_rows wrote past its last row", k->name, mt_type_get(type)->name);
            for (int r = 0; r < ROWS; r++) {
                double mag, ref = ref_dot(w + r * N, x, N, &mag) + (with_bias ? bias[r] : 0.0);
                mag += with_bias ? fabs(bias[r]) : 0.0;
                if (!CHECKF(close_enough(out[r], ref, mag, N), "%s %s row %d%s: %.9g, want %.9g", k->name, mt_type_get(type)->name, r,
                            with_bias ? " (bias)" : "", (double)out[r], ref))
                    return;
            }
        }
    }
}

static void portable_set(void) { check_set(mt_kernels_portable()); }

static void avx2_set(void) {
    const mt_kernels *k = mt_kernels_avx2();
    if (!k) {
        t_skip("this processor has no AVX2 + FMA");
        return;
    }
    check_set(k);
}

static void avx512_set(void) {
    const mt_kernels *k = mt_kernels_avx512();
    if (!k) {
        t_skip("this processor (or OS) has no AVX-512F");
        return;
    }
    check_set(k);
}

/* The names $MOETOP_KERNELS takes, and the best set is one of them. */
static void named_sets(void) {
    CHECK(mt_kernels_named("c") == mt_kernels_portable());
    CHECK(mt_kernels_named("avx2") == mt_kernels_avx2());
    CHECK(mt_kernels_named("avx512") == mt_kernels_avx512());
    CHECK(mt_kernels_named("sse") == NULL);
    const mt_kernels *best = mt_kernels_best();
    CHECKF(best == (mt_kernels_avx512() ? mt_kernels_avx512() : mt_kernels_avx2() ? mt_kernels_avx2() : mt_kernels_portable()),
           "best is %s", best->name);
}


/* A set that $MOETOP_KERNELS names and the processor lacks (or no set) is the
 * backend's notice for the caller to show: the engine itself prints nothing. */
static void unknown_set_is_a_notice(void) {
    char path[600];
    snprintf(path, sizeof path, "%s/stderr.txt", t_tmpdir());
    fflush(stderr);
    int saved = dup(2), fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (!CHECK(saved >= 0 && fd >= 0)) return;
    dup2(fd, 2);
    setenv("MOETOP_KERNELS", "sse9", 1);
    mt_backend *be = mt_cpu_backend_new(1);
    unsetenv("MOETOP_KERNELS");
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    close(fd);
    unsigned long len = 0;
    char *printed = t_read_file(path, &len);
    CHECKF(printed && len == 0, "the engine printed: %s", printed ? printed : "(unreadable)");
    free(printed);
    if (!CHECK(be != NULL)) return;
    char want[200];
    snprintf(want, sizeof want, "MOETOP_KERNELS=sse9: not a kernel set (c, avx2 or avx512); using %s\n", mt_kernels_best()->name);
    CHECKF(strcmp(be->notice, want) == 0, "notice: '%s'", be->notice);
    /* lines are kept whole: one that does not fit is dropped, the field still ends in a newline */
    char long_line[400];
    memset(long_line, 'x', sizeof long_line - 1);
    long_line[sizeof long_line - 1] = 0;
    mt_backend_notice(be, "%s", long_line);
    size_t before = strlen(be->notice);
    mt_backend_notice(be, "%s", long_line);
    CHECKF(strlen(be->notice) == before && be->notice[before - 1] == '\n', "%zu then %zu bytes", before, strlen(be->notice));
    CHECKF(before == strlen(want) + sizeof long_line, "%zu bytes", before);
    be->destroy(be);
    unlink(path);
}

int main(void) {
    t_begin("kernels");
    RUN(portable_set);
    RUN(avx2_set);
    RUN(avx512_set);
    RUN(named_sets);
    RUN(unknown_set_is_a_notice);
    return t_end();
}
