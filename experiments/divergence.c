#include "divergence.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/rng.h"

double mt_js_bits(const uint64_t *p, const uint64_t *q, uint32_t E) {
    double sp = 0, sq = 0;
    for (uint32_t e = 0; e < E; e++) sp += (double)p[e], sq += (double)q[e];
    if (sp == 0 || sq == 0) return NAN;
    double js = 0;
    for (uint32_t e = 0; e < E; e++) {
        double a = (double)p[e] / sp, b = (double)q[e] / sq, m = (a + b) / 2;
        if (a > 0) js += a * log2(a / m) / 2;
        if (b > 0) js += b * log2(b / m) / 2;
    }
    return js < 0 ? 0 : js;
}

/* JS per layer between the prompts with side[p] = 1 and side[p] = 0 among those with use[p] */
static void js_split(const uint64_t *counts, const uint8_t *side, const bool *use, size_t P, uint32_t L, uint32_t E, uint64_t *sa,
                     uint64_t *sb, double *js) {
    memset(sa, 0, (size_t)L * E * sizeof *sa);
    memset(sb, 0, (size_t)L * E * sizeof *sb);
    for (size_t p = 0; p < P; p++) {
        if (use && !use[p]) continue;
        uint64_t *dst = side[p] ? sb : sa;
        const uint64_t *c = counts + p * L * E;
        for (size_t i = 0; i < (size_t)L * E; i++) dst[i] += c[i];
    }
    for (uint32_t l = 0; l < L; l++) js[l] = mt_js_bits(sa + (size_t)l * E, sb + (size_t)l * E, E);
}

static void shuffle(uint8_t *x, size_t n, mt_rng *r) {
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)mt_rng_below(r, i);
        uint8_t t = x[i - 1];
        x[i - 1] = x[j];
        x[j] = t;
    }
}

/* mean over N random halvings of the prompts with use[p] (all when NULL) of the JS between the halves */
static void floor_of(const uint64_t *counts, const bool *use, size_t P, uint32_t L, uint32_t E, uint32_t N, mt_rng r, uint8_t *labels,
                     uint8_t *side, uint64_t *sa, uint64_t *sb, double *js, double *out) {
    size_t n = 0;
    for (size_t p = 0; p < P; p++) n += !use || use[p];
    for (uint32_t l = 0; l < L; l++) out[l] = n >= 2 && N > 0 ? 0 : NAN;
    if (n < 2 || N == 0) return;
    for (size_t i = 0; i < n; i++) labels[i] = i >= n / 2;
    for (uint32_t it = 0; it < N; it++) {
        shuffle(labels, n, &r);
        for (size_t p = 0, i = 0; p < P; p++) side[p] = !use || use[p] ? labels[i++] : 0;
        js_split(counts, side, use, P, L, E, sa, sb, js);
        for (uint32_t l = 0; l < L; l++) out[l] += js[l] / N; /* a NaN (an expert-less half) stays NaN */
    }
}

bool mt_divergence(const uint64_t *counts, const bool *in_b, size_t P, uint32_t L, uint32_t E, uint32_t N, uint64_t seed,
                   mt_divergence_layer *out) {
    uint8_t *labels = malloc(P + 1), *side = malloc(P + 1);
    uint64_t *sa = malloc((size_t)L * E * sizeof *sa), *sb = malloc((size_t)L * E * sizeof *sb);
    double *js = malloc(L * sizeof *js), *obs = malloc(L * sizeof *obs), *fl = malloc(L * sizeof *fl);
    bool *use_a = malloc(P + 1), *use_b = malloc(P + 1);
    uint64_t *reach = calloc(L, sizeof *reach);
    bool ok = labels && side && sa && sb && js && obs && fl && use_a && use_b && reach;
    if (ok) {
        for (size_t p = 0; p < P; p++) side[p] = in_b[p], use_a[p] = !in_b[p], use_b[p] = in_b[p];
        js_split(counts, side, NULL, P, L, E, sa, sb, obs);
        for (uint32_t l = 0; l < L; l++) {
            memset(&out[l], 0, sizeof out[l]);
            out[l].js_bits = obs[l];
            for (uint32_t e = 0; e < E; e++) out[l].selections_a += sa[(size_t)l * E + e], out[l].selections_b += sb[(size_t)l * E + e];
        }
        mt_rng r = mt_rng_seed(seed, 0x7065726d); /* "perm" */
        memcpy(labels, side, P);
        for (uint32_t it = 0; it < N; it++) {
            shuffle(labels, P, &r);
            js_split(counts, labels, NULL, P, L, E, sa, sb, js);
            for (uint32_t l = 0; l < L; l++) reach[l] += js[l] >= obs[l] - 1e-12;
        }
        for (uint32_t l = 0; l < L; l++) out[l].p_permutation = isnan(obs[l]) ? NAN : (1.0 + (double)reach[l]) / (1.0 + N);
        floor_of(counts, NULL, P, L, E, N, mt_rng_seed(seed, 0x706f6f6c), labels, side, sa, sb, js, fl); /* "pool" */
        for (uint32_t l = 0; l < L; l++) out[l].js_floor = fl[l];
        floor_of(counts, use_a, P, L, E, N, mt_rng_seed(seed, 0x61), labels, side, sa, sb, js, fl);
        for (uint32_t l = 0; l < L; l++) out[l].js_floor_a = fl[l];
        floor_of(counts, use_b, P, L, E, N, mt_rng_seed(seed, 0x62), labels, side, sa, sb, js, fl);
        for (uint32_t l = 0; l < L; l++) out[l].js_floor_b = fl[l];
    }
    free(labels);
    free(side);
    free(sa);
    free(sb);
    free(js);
    free(obs);
    free(fl);
    free(use_a);
    free(use_b);
    free(reach);
    return ok;
}
