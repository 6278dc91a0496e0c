/* moetop prune: a pruned file computes exactly what the original computes
 * with the removed experts masked (routing identical, logits within 1e-6 of
 * their scale) on the oracle fixtures and synth shapes, structural (k > N
 * clamped to N) and soft, on the CPU backend and on Vulkan (skipped without
 * a device), and on the bundled model; the file itself (metadata, every
 * tensor's shape, offset and bytes, the kept ids, composition of two
 * prunes); the rankings (load over a prompt worked out from trace, a
 * profile, an importance file); --report
 * against `moetop ppl` and `moetop eval` run on the pruned file; every bad
 * request an exit 2 with one line and nothing written. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/gguf.h"
#include "engine/gguf_write.h"
#include "engine/half.h"
#include "engine/prune.h"
#include "engine/quant.h"
#include "support/cli_util.h"
#include "support/fixtures.h"
#include "support/harness.h"

#define PROMPT "def add(a, b):\n    return a + b\n\nThe quick brown fox jumps over the lazy dog, 127 * 89 = 11303."
#define MAX_E 128
#define MAX_L 24

static jv *json_of(proc_result *r, const char *what) {
    char err[256];
    jv *v = r->status == 0 ? jv_parse(r->out, r->out_len, err, sizeof err) : NULL;
    CHECKF(v != NULL, "%s: exit %d: %s", what, r->status, r->status ? r->err : err);
    return v;
}

static uint64_t rng_next(uint64_t *s) {
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return *s >> 33;
}

/* keep[l*E+e]: n[l] experts of layer l chosen at random (seeded). */
static void random_keep(uint32_t L, uint32_t E, const uint32_t *n, uint64_t seed, uint8_t *keep) {
    memset(keep, 0, (size_t)L * E);
    for (uint32_t l = 0; l < L; l++)
        for (uint32_t got = 0; got < n[l];) {
            uint32_t e = (uint32_t)(rng_next(&seed) % E);
            if (!keep[(size_t)l * E + e]) keep[(size_t)l * E + e] = 1, got++;
        }
}

static bool write_lists(const char *path, uint32_t L, uint32_t E, const uint8_t *keep) {
    FILE *f = fopen(path, "w");
    if (!f) return false;
    fprintf(f, "{\"layers\": [");
    for (uint32_t l = 0; l < L; l++) {
        fprintf(f, "%s{\"layer\": %u, \"kept\": [", l ? ", " : "", l);
        for (uint32_t e = 0, first = 1; e < E; e++)
            if (keep[(size_t)l * E + e]) fprintf(f, "%s%u", first ? "" : ", ", e), first = 0;
        fprintf(f, "]}");
    }
    fprintf(f, "]}\n");
    return fclose(f) == 0;
}

/* argv of `trace` on model with the prompt, all logits and the masks of the removed experts (when mask). */
static proc_result trace(const char *model, const char *backend, uint32_t L, uint32_t E, const uint8_t *keep, bool mask) {
    static char masks[MAX_L][MAX_E * 4 + 16];
    const char *argv[64] = { t_bin(), "trace", "-m", model, "--prompt", PROMPT, "--logits", "all", "--backend", backend, "--json" };
    int n = 11;
    for (uint32_t l = 0; mask && l < L; l++) {
        size_t at = 0;
        for (uint32_t e = 0; e < E; e++)
            if (!keep[(size_t)l * E + e]) at += (size_t)snprintf(masks[l] + at, sizeof masks[l] - at, "%s%u", at ? "," : "", e);
        if (!at) continue;
        snprintf(masks[l] + at, sizeof masks[l] - at, "@%u", l);
        argv[n++] = "--mask";
        argv[n++] = masks[l];
    }
    argv[n] = NULL;
    return proc_run(argv, NULL);
}

static double max_abs(const jv *arr) {
    double m = 0;
    for (size_t i = 0; i < arr->len; i++) m = fmax(m, fabs(jv_at(arr, i)->num));
    return m;
}

/* Prunes model with keep (soft or structural), then compares trace of the
 * pruned file with trace of the original under the masks. False when the
 * backend asked for did not run (the caller skips). */
static bool check_exact(const char *model, uint32_t L, uint32_t E, uint32_t k, const uint8_t *keep, bool soft, const char *backend,
                        const char *what) {
    char lists[512], out[512];
    snprintf(lists, sizeof lists, "%s/lists.json", t_tmpdir());
    snprintf(out, sizeof out, "%s/pruned.gguf", t_tmpdir());
    unlink(out);
    if (!CHECK(write_lists(lists, L, E, keep))) return true;
    proc_result pr = soft ? run_moetop("prune", "-m", model, "-o", out, "--keep-lists", lists, "--soft", "--json", NULL)
                          : run_moetop("prune", "-m", model, "-o", out, "--keep-lists", lists, "--json", NULL);
    jv *pj = json_of(&pr, what);
    proc_result ta = trace(model, backend, L, E, keep, true), tb = trace(out, backend, L, E, keep, false);
    jv *a = json_of(&ta, what), *b = json_of(&tb, what);
    bool ran = true;
    if (pj && a && b) {
        if (strcmp(backend, "vulkan") == 0 && (strcmp(jv_str(a, "backend"), "vulkan") != 0 || strcmp(jv_str(b, "backend"), "vulkan") != 0))
            ran = false;
        uint32_t N = 0;
        for (uint32_t e = 0; e < E; e++) N += keep[e];
        uint32_t n_expert = (uint32_t)jv_num(b, "n_expert", 0), kb = (uint32_t)jv_num(b, "k", 0);
        CHECKF(n_expert == (soft ? E : N) && kb == (soft || k < N ? k : N), "%s: pruned file has %u experts, k %u", what, n_expert, kb);
        size_t mismatches = 0, weights_off = 0, compared = 0;
        for (uint32_t l = 0; l < L; l++) {
            uint32_t ids[MAX_E], n = 0; /* the pruned file's expert i is the original's ids[i] */
            for (uint32_t e = 0; e < E; e++)
                if (soft || keep[(size_t)l * E + e]) ids[n++] = e;
            const jv *la = jv_at(jv_get(a, "layers"), l), *lb = jv_at(jv_get(b, "layers"), l);
            const jv *topa = jv_get(la, "topk"), *topb = jv_get(lb, "topk"), *wa = jv_get(la, "weights"), *wb = jv_get(lb, "weights");
            for (size_t t = 0; t < topa->len; t++) {
                const jv *x = jv_at(topa, t), *y = jv_at(topb, t);
                bool same = y && x->len == y->len;
                for (size_t i = 0; same && i < x->len; i++) {
                    uint32_t id = (uint32_t)jv_at(y, i)->num;
                    same = id < n && ids[id] == (uint32_t)jv_at(x, i)->num;
                    weights_off += fabs(jv_at(jv_at(wa, t), i)->num - jv_at(jv_at(wb, t), i)->num) > 1e-6;
                }
                mismatches += !same;
                compared++;
            }
        }
        const jv *la = jv_get(a, "logits"), *lb = jv_get(b, "logits");
        double worst = 0;
        for (size_t t = 0; la && lb && t < la->len && t < lb->len; t++) {
            const jv *x = jv_at(la, t), *y = jv_at(lb, t);
            double scale = fmax(1.0, max_abs(x));
            for (size_t i = 0; i < x->len; i++) worst = fmax(worst, fabs(jv_at(x, i)->num - jv_at(y, i)->num) / scale);
        }
        CHECKF(la && lb && la->len == lb->len && la->len > 10, "%s: logits missing", what);
        CHECKF(mismatches == 0 && weights_off == 0, "%s: %zu of %zu (token, layer) routings differ, %zu weights", what, mismatches, compared,
               weights_off);
        CHECKF(worst <= 1e-6, "%s: logits differ by %.3g x scale", what, worst);
        if (ran) printf("  %s on %s: %zu routings equal, logits within %.1e x scale\n", what, backend, compared, worst);
    }
    jv_free(pj), jv_free(a), jv_free(b);
    proc_free(&pr), proc_free(&ta), proc_free(&tb);
    return ran;
}

typedef struct shape {
    const char *path;
    uint32_t L, E, k;
} shape;

/* The oracle fixtures, a synth shape of 128 experts (gpt-oss-120b's count,
 * top-4) and one of gpt-oss-20b's layers and experts (24 x 32, top-4; MXFP4
 * experts; small widths). */
static int shapes(shape *out) {
    int n = 0;
    static const struct { char letter; uint32_t L, E, k; } fx[] = { { 'a', 4, 8, 2 }, { 'b', 3, 32, 4 }, { 'c', 3, 16, 4 } };
    for (int i = 0; i < 3; i++) {
        const char *p = fixture_path(fx[i].letter, ".gguf");
        if (p) out[n++] = (shape){ p, fx[i].L, fx[i].E, fx[i].k };
    }
    static char synth[512];
    snprintf(synth, sizeof synth, "%s/synth128.gguf", t_tmpdir());
    if (access(synth, R_OK) != 0) {
        proc_result r = run_moetop("synth", "-q", "-o", synth, "--preset", "tiny", "--layers", "2", "--experts", "128", "--k", "4", "--seed", "5",
                                   NULL);
        CHECKF(r.status == 0, "synth: %s", r.err);
        proc_free(&r);
    }
    if (access(synth, R_OK) == 0) out[n++] = (shape){ synth, 2, 128, 4 };
    static char synth20[512];
    snprintf(synth20, sizeof synth20, "%s/synth-20b-shape.gguf", t_tmpdir());
    if (access(synth20, R_OK) != 0) {
        proc_result r = run_moetop("synth", "-q", "-o", synth20, "--preset", "tiny", "--layers", "24", "--experts", "32", "--k", "4",
                                   "--types", "experts=mxfp4", "--seed", "6", NULL);
        CHECKF(r.status == 0, "synth: %s", r.err);
        proc_free(&r);
    }
    if (access(synth20, R_OK) == 0) out[n++] = (shape){ synth20, 24, 32, 4 };
    return n;
}

/* Structural: N below k (k clamped), at k, between, all; soft: per-layer counts >= k. */
static void exact_on(const char *backend) {
    shape s[5];
    int n = shapes(s);
    if (n < 5) return; /* a fixture missing: skipped, saying which */
    bool ran = true, vulkan = strcmp(backend, "vulkan") == 0;
    uint8_t keep[MAX_L * MAX_E];
    for (int i = 0; i < n && ran; i++) {
        uint32_t counts[] = { 1, s[i].k - 1 ? s[i].k - 1 : 1, s[i].k, s[i].E / 2 + 1, s[i].E };
        for (size_t c = 0; c < sizeof counts / sizeof *counts && ran; c++) {
            if ((c > 0 && counts[c] == counts[c - 1]) || (vulkan && c != 1 && c != 3)) continue; /* Vulkan: two counts, for time */
            uint32_t per[MAX_L];
            for (uint32_t l = 0; l < s[i].L; l++) per[l] = counts[c];
            random_keep(s[i].L, s[i].E, per, 1000u * (uint64_t)i + c, keep);
            char what[600];
            snprintf(what, sizeof what, "%s structural N=%u", s[i].path, counts[c]);
            ran = check_exact(s[i].path, s[i].L, s[i].E, s[i].k, keep, false, backend, what);
        }
        uint32_t per[MAX_L];
        uint64_t seed = 77 + (uint64_t)i;
        for (uint32_t l = 0; l < s[i].L; l++) per[l] = s[i].k + (uint32_t)(rng_next(&seed) % (s[i].E - s[i].k + 1));
        random_keep(s[i].L, s[i].E, per, 500u + (uint64_t)i, keep);
        char what[600];
        snprintf(what, sizeof what, "%s soft, counts %u,%u,..", s[i].path, per[0], per[1]);
        if (ran) ran = check_exact(s[i].path, s[i].L, s[i].E, s[i].k, keep, true, backend, what);
    }
    if (!ran) t_skip("--backend vulkan ran on the CPU: no Vulkan device");
}

static void exact_cpu(void) { exact_on("cpu"); }

/* The bundled model (6 layers, 16 experts, top-4): N = 8, and soft tiers 4,8,12,12,8,4. */
static void exact_bundled(void) {
    const char *m = "assets/models/moetop-moe.gguf";
    if (access(m, R_OK) != 0) {
        t_skip("%s is absent", m);
        return;
    }
    uint8_t keep[6 * 16];
    uint32_t half[6] = { 8, 8, 8, 8, 8, 8 }, tiers[6] = { 4, 8, 12, 12, 8, 4 };
    random_keep(6, 16, half, 11, keep);
    check_exact(m, 6, 16, 4, keep, false, "cpu", "bundled structural N=8");
    random_keep(6, 16, tiers, 12, keep);
    check_exact(m, 6, 16, 4, keep, true, "cpu", "bundled soft 4,8,12,12,8,4");
}
static void exact_vulkan(void) { exact_on("vulkan"); }

/* ---- the file --------------------------------------------------------------------- */

static void file_layout(void) {
    const char *a = fixture_path('a', ".gguf");
    if (!a) return;
    char out[512], lists[512], out2[512], lists2[512];
    snprintf(out, sizeof out, "%s/layout.gguf", t_tmpdir());
    snprintf(lists, sizeof lists, "%s/layout.json", t_tmpdir());
    snprintf(out2, sizeof out2, "%s/layout2.gguf", t_tmpdir());
    snprintf(lists2, sizeof lists2, "%s/layout2.json", t_tmpdir());
    uint8_t keep[4 * 8], keep2[4 * 8];
    uint32_t per[4] = { 5, 5, 5, 5 }, per2[4] = { 3, 3, 3, 3 };
    random_keep(4, 8, per, 42, keep);
    random_keep(4, 5, per2, 43, keep2);
    CHECK(write_lists(lists, 4, 8, keep) && write_lists(lists2, 4, 5, keep2));
    proc_result r = run_moetop("prune", "-m", a, "-o", out, "--keep-lists", lists, NULL);
    proc_result r2 = run_moetop("prune", "-m", out, "-o", out2, "--keep-lists", lists2, NULL);
    CHECKF(r.status == 0 && r2.status == 0, "%s / %s", r.err, r2.err);
    mt_err err;
    mt_gguf *g = mt_gguf_open(a, &err), *p = mt_gguf_open(out, &err), *p2 = mt_gguf_open(out2, &err);
    jv *info = info_json(out);
    if (CHECKF(g && p && p2, "%s", err.msg) && info) {
        /* metadata: the input's keys in order, the counts changed, the kept ids added */
        CHECK(mt_gguf_kv_count(p) == mt_gguf_kv_count(g) + 1);
        for (uint64_t i = 0; i < mt_gguf_kv_count(g); i++) {
            const mt_gguf_kv *x = mt_gguf_kv_at(g, i), *y = mt_gguf_kv_at(p, i);
            CHECKF(x->key.len == y->key.len && memcmp(x->key.ptr, y->key.ptr, x->key.len) == 0 && x->value.type == y->value.type,
                   "key %llu", (unsigned long long)i);
        }
        CHECK(mt_gguf_get_u64(p, "gpt-oss.expert_count", 0) == 5 && mt_gguf_get_u64(p, "gpt-oss.expert_used_count", 0) == 2);
        CHECK(mt_gguf_get_u64(p2, "gpt-oss.expert_count", 0) == 3 && mt_gguf_get_u64(p2, "gpt-oss.expert_used_count", 0) == 2);
        mt_gguf_array kept, kept2;
        CHECK(mt_gguf_get_array(p, MT_PRUNE_KEPT_KEY, &kept) && kept.elem_type == MT_GGUF_UINT32 && kept.count == 20);
        CHECK(mt_gguf_get_array(p2, MT_PRUNE_KEPT_KEY, &kept2) && kept2.elem_type == MT_GGUF_UINT32 && kept2.count == 12);
        uint32_t ids[4][5], ids2[4][3]; /* expected originals, ascending */
        for (uint32_t l = 0, n; l < 4; l++) {
            n = 0;
            for (uint32_t e = 0; e < 8; e++)
                if (keep[l * 8 + e]) ids[l][n++] = e;
            n = 0;
            for (uint32_t e = 0; e < 5; e++)
                if (keep2[l * 5 + e]) ids2[l][n++] = ids[l][e];
        }
        CHECK(kept.count == 20 && memcmp(kept.data, ids, sizeof ids) == 0);
        CHECK(kept2.count == 12 && memcmp(kept2.data, ids2, sizeof ids2) == 0);
        /* tensors: same order, names and types; expert tensors sliced; every other byte equal */
        CHECK(mt_gguf_tensor_count(p) == mt_gguf_tensor_count(g));
        const jv *tensors = jv_get(info, "tensors");
        uint64_t end = 0;
        for (uint64_t i = 0; i < mt_gguf_tensor_count(g) && i < mt_gguf_tensor_count(p); i++) {
            const mt_gguf_tensor *x = mt_gguf_tensor_at(g, i), *y = mt_gguf_tensor_at(p, i);
            const jv *ti = jv_at(tensors, i);
            char name[300];
            snprintf(name, sizeof name, "%.*s", (int)x->name.len, x->name.ptr);
            bool sliced = strstr(name, "ffn_gate_inp") || strstr(name, "_exps");
            unsigned layer = 0;
            sscanf(name, "blk.%u.", &layer);
            CHECKF(y->type == x->type && y->n_dims == x->n_dims && strcmp(jv_str(ti, "name"), name) == 0, "%s", name);
            for (uint32_t d = 0; d < x->n_dims; d++)
                CHECKF(y->ne[d] == (sliced && d == x->n_dims - 1 ? 5 : x->ne[d]) &&
                           jv_at(jv_get(ti, "shape"), d) && (uint64_t)jv_at(jv_get(ti, "shape"), d)->num == y->ne[d],
                       "%s dim %u", name, d);
            CHECKF(y->offset % mt_gguf_alignment(p) == 0 && y->offset >= end && (uint64_t)jv_num(ti, "offset", -1) == y->offset &&
                       (uint64_t)jv_num(ti, "bytes", -1) == y->nbytes,
                   "%s: offset %llu after %llu", name, (unsigned long long)y->offset, (unsigned long long)end);
            end = y->offset + y->nbytes;
            if (!sliced) CHECKF(y->nbytes == x->nbytes && memcmp(x->data, y->data, x->nbytes) == 0, "%s: bytes differ", name);
            else {
                uint64_t slice = x->nbytes / 8;
                CHECKF(y->nbytes == 5 * slice, "%s: %llu bytes", name, (unsigned long long)y->nbytes);
                for (uint32_t i2 = 0; i2 < 5 && y->nbytes == 5 * slice; i2++)
                    CHECKF(memcmp((const uint8_t *)y->data + i2 * slice, (const uint8_t *)x->data + ids[layer][i2] * slice, slice) == 0,
                           "%s: expert %u is not the original's %u", name, i2, ids[layer][i2]);
            }
        }
        CHECK(mt_gguf_data_offset(p) + end <= mt_gguf_file_size(p));
    }
    jv_free(info);
    mt_gguf_close(g), mt_gguf_close(p), mt_gguf_close(p2);
    proc_free(&r), proc_free(&r2);
}

/* keep everything: every byte of every tensor equal, and a soft prune's biases */
static void soft_file(void) {
    const char *a = fixture_path('a', ".gguf");
    if (!a) return;
    char out[512];
    snprintf(out, sizeof out, "%s/soft.gguf", t_tmpdir());
    proc_result r = run_moetop("prune", "-m", a, "-o", out, "--soft", "--keep", "3,8,2,5", "--prompt", PROMPT, "--json", NULL);
    jv *v = json_of(&r, "prune --soft");
    mt_err err;
    mt_gguf *g = mt_gguf_open(a, &err), *p = mt_gguf_open(out, &err);
    if (v && CHECKF(g && p, "%s", err.msg)) {
        CHECK(strcmp(jv_str(v, "mode"), "soft") == 0 && jv_num(v, "n_expert_out", 0) == 8 && jv_num(v, "k_out", 0) == 2);
        mt_gguf_array rem;
        CHECK(mt_gguf_get_array(p, MT_PRUNE_REMOVED_KEY, &rem) && rem.elem_type == MT_GGUF_UINT32 && rem.count == 2 * (5 + 0 + 6 + 3));
        uint32_t pairs[64] = { 0 };
        memcpy(pairs, rem.data, rem.nbytes < sizeof pairs ? rem.nbytes : sizeof pairs);
        size_t at = 0;
        for (uint64_t i = 0; i < mt_gguf_tensor_count(g); i++) {
            const mt_gguf_tensor *x = mt_gguf_tensor_at(g, i), *y = mt_gguf_tensor_at(p, i);
            unsigned l;
            int n = 0;
            if (sscanf(x->name.ptr, "blk.%u.ffn_gate_inp.bias%n", &l, &n) == 1 && n) {
                float bx[8], by[8];
                memcpy(bx, x->data, sizeof bx);
                memcpy(by, y->data, sizeof by);
                const jv *removed = jv_get(jv_at(jv_get(v, "layers"), l), "removed");
                for (uint32_t e = 0, j = 0; e < 8; e++) {
                    bool gone = j < removed->len && (uint32_t)jv_at(removed, j)->num == e;
                    if (gone) {
                        j++;
                        CHECKF(at + 1 < rem.count && pairs[at] == l && pairs[at + 1] == e, "pair %zu", at / 2);
                        at += 2;
                    }
                    CHECKF(gone ? isinf(by[e]) && by[e] < 0 : memcmp(&bx[e], &by[e], 4) == 0, "layer %u expert %u", l, e);
                }
            } else CHECKF(x->nbytes == y->nbytes && memcmp(x->data, y->data, x->nbytes) == 0, "%.*s", (int)x->name.len, x->name.ptr);
        }
        CHECK(at == rem.count);
        /* a soft-pruned file is not pruned again */
        char again[512];
        snprintf(again, sizeof again, "%s/again.gguf", t_tmpdir());
        proc_result r2 = run_moetop("prune", "-m", out, "-o", again, "--keep", "2", "--prompt", PROMPT, NULL);
        CHECKF(is_clean_usage_error(&r2) && strstr(r2.err, "soft-pruned") && access(again, F_OK) != 0, "%s", r2.err);
        proc_free(&r2);
    }
    jv_free(v);
    mt_gguf_close(g), mt_gguf_close(p);
    proc_free(&r);
}

/* A one-layer model file made here: router bias of the given type. */
static bool tiny_gguf(const char *path, uint32_t bias_type, const char *arch) {
    mt_gguf_writer *w = mt_gguf_writer_new();
    mt_gguf_set_str(w, "general.architecture", arch);
    mt_gguf_set_u32(w, "gpt-oss.block_count", 1);
    mt_gguf_set_u32(w, "gpt-oss.expert_count", 32);
    mt_gguf_set_u32(w, "gpt-oss.expert_used_count", 2);
    static uint8_t zeros[32 * 32 * 4];
    static const char *const names[] = { "ffn_gate_inp.weight", "ffn_gate_inp.bias", "ffn_gate_exps.weight", "ffn_gate_exps.bias",
                                         "ffn_up_exps.weight", "ffn_up_exps.bias", "ffn_down_exps.weight", "ffn_down_exps.bias" };
    for (int i = 0; i < 8; i++) {
        char name[64];
        snprintf(name, sizeof name, "blk.0.%s", names[i]);
        uint64_t ne[3] = { 32, 32, 1 };
        if (i == 1) mt_gguf_add_tensor(w, name, bias_type, 1, ne, zeros);
        else if (i % 2) mt_gguf_add_tensor(w, name, MT_TYPE_F32, 2, ne, zeros);
        else {
            ne[1] = 1, ne[2] = 32;
            mt_gguf_add_tensor(w, name, MT_TYPE_F32, i == 0 ? 2 : 3, i == 0 ? (uint64_t[]){ 32, 32 } : ne, zeros);
        }
    }
    mt_err err;
    bool ok = mt_gguf_writer_write(w, path, NULL, NULL, &err);
    mt_gguf_writer_free(w);
    return CHECKF(ok, "%s", err.msg);
}

/* The library on bias types: -inf in F16 and BF16, Q8_0 refused; another architecture refused. */
static void bias_types(void) {
    char in[512], out[512];
    snprintf(in, sizeof in, "%s/tiny-in.gguf", t_tmpdir());
    snprintf(out, sizeof out, "%s/tiny-out.gguf", t_tmpdir());
    static const uint32_t types[] = { MT_TYPE_F16, MT_TYPE_BF16, MT_TYPE_Q8_0 };
    for (int i = 0; i < 3; i++) {
        if (!tiny_gguf(in, types[i], "gpt-oss")) return;
        mt_err err;
        mt_gguf *g = mt_gguf_open(in, &err);
        mt_prune_plan p;
        if (!CHECKF(g && mt_prune_plan_init(&p, g, &err), "%s", err.msg)) {
            mt_gguf_close(g);
            return;
        }
        p.soft = true;
        memset(p.keep, 1, 32);
        p.keep[3] = p.keep[31] = 0;
        unlink(out);
        bool ok = mt_prune_write(g, &p, out, &err);
        if (types[i] == MT_TYPE_Q8_0) CHECKF(!ok && strstr(err.msg, "cannot hold -inf") && access(out, F_OK) != 0, "%s", err.msg);
        else if (CHECKF(ok, "%s", err.msg)) {
            mt_gguf *o = mt_gguf_open(out, &err);
            const mt_gguf_tensor *b = o ? mt_gguf_find_tensor(o, "blk.0.ffn_gate_inp.bias") : NULL;
            if (CHECK(b != NULL)) {
                const uint16_t *h = b->data;
                float v3 = types[i] == MT_TYPE_F16 ? mt_f16_to_f32(h[3]) : mt_bf16_to_f32(h[3]);
                float v0 = types[i] == MT_TYPE_F16 ? mt_f16_to_f32(h[0]) : mt_bf16_to_f32(h[0]);
                CHECKF(isinf(v3) && v3 < 0 && v0 == 0.0f && h[31] == h[3], "%s: %g %g", i ? "bf16" : "f16", v3, v0);
            }
            mt_gguf_close(o);
        }
        mt_prune_plan_free(&p);
        mt_gguf_close(g);
    }
    /* an architecture moetop does not run */
    if (!tiny_gguf(in, MT_TYPE_F32, "phi3")) return;
    mt_err err;
    mt_gguf *g = mt_gguf_open(in, &err);
    mt_prune_plan p;
    CHECKF(g && !mt_prune_plan_init(&p, g, &err) && strstr(err.msg, "not a model moetop prunes") && strstr(err.msg, "'phi3'"), "%s", err.msg);
    mt_gguf_close(g);
}

/* keep_best: highest score first, equal scores to the lower id */
static void keep_best_ties(void) {
    mt_prune_plan p = { .n_layer = 1, .n_expert = 6, .k = 2, .keep = calloc(6, 1) };
    const double score[6] = { 3, 5, 3, 0, 5, 3 };
    mt_prune_keep_best(&p, 0, score, 3);
    CHECK(p.keep[1] && p.keep[4] && p.keep[0] && !p.keep[2] && !p.keep[5] && !p.keep[3]);
    mt_prune_keep_best(&p, 0, score, 6);
    CHECK(mt_prune_kept(&p, 0) == 6);
    mt_prune_plan_free(&p);
}

/* ---- rankings ------------------------------------------------------------------------ */

/* Load over one prompt: counts from trace (selected = weight > 0; no
 * interventions, so all k), the N highest kept, ties to the lower id. Then
 * the same through a profile of that text, and an importance file. */
static void rankings(void) {
    const char *a = fixture_path('a', ".gguf");
    if (!a) return;
    char out[512], imp[512], data[512], prof[512];
    snprintf(out, sizeof out, "%s/rank.gguf", t_tmpdir());
    snprintf(imp, sizeof imp, "%s/importance.json", t_tmpdir());
    snprintf(data, sizeof data, "%s/one.jsonl", t_tmpdir());
    snprintf(prof, sizeof prof, "%s/one.profile.json", t_tmpdir());
    proc_result t = run_moetop("trace", "-m", a, "--prompt", PROMPT, "--json", NULL);
    proc_result r = run_moetop("prune", "-m", a, "-o", out, "--keep", "3", "--prompt", PROMPT, "--json", NULL);
    FILE *f = fopen(data, "w");
    if (f) fputs("{\"text\": \"def add(a, b):\\n    return a + b\\n\\nThe quick brown fox jumps over the lazy dog, 127 * 89 = 11303.\"}\n", f), fclose(f);
    proc_result pr = run_moetop("profile", "-m", a, "--data", data, "-o", prof, NULL);
    proc_result rp = run_moetop("prune", "-m", a, "-o", out, "--keep", "3", "--profile", prof, "--json", NULL);
    jv *tv = json_of(&t, "trace"), *v = json_of(&r, "prune"), *vp = json_of(&rp, "prune --profile");
    if (tv && v && vp) {
        for (uint32_t l = 0; l < 4; l++) {
            uint64_t count[8] = { 0 };
            const jv *topk = jv_get(jv_at(jv_get(tv, "layers"), l), "topk");
            for (size_t i = 0; i < topk->len; i++)
                for (size_t j = 0; j < jv_at(topk, i)->len; j++) count[(size_t)jv_at(jv_at(topk, i), j)->num]++;
            uint8_t want[8] = { 0 };
            for (int n = 0; n < 3; n++) {
                int best = -1;
                for (int e = 0; e < 8; e++)
                    if (!want[e] && (best < 0 || count[e] > count[best])) best = e;
                want[best] = 1;
            }
            const jv *lv = jv_at(jv_get(v, "layers"), l), *kept = jv_get(lv, "kept"), *counts = jv_get(lv, "counts");
            const jv *kept_p = jv_get(jv_at(jv_get(vp, "layers"), l), "kept");
            bool same = kept->len == 3 && kept_p->len == 3;
            for (size_t i = 0; same && i < 3; i++) same = want[(size_t)jv_at(kept, i)->num] && jv_at(kept, i)->num == jv_at(kept_p, i)->num;
            for (int e = 0; counts && e < 8; e++) same = same && (uint64_t)jv_at(counts, (size_t)e)->num == count[e];
            CHECKF(same && counts, "layer %u: kept differ from the counts worked out from trace", l);
        }
        CHECK(jv_num(v, "tokens", 0) == (double)jv_get(jv_at(jv_get(tv, "layers"), 0), "topk")->len);
    }
    /* importance: ranks reversed from the ids, so the kept are the highest ids */
    f = fopen(imp, "w");
    if (f) {
        fprintf(f, "{\"layers\": [");
        for (int l = 0; l < 4; l++) {
            fprintf(f, "%s{\"layer\": %d, \"tokens\": 10, \"experts\": [", l ? "," : "", l);
            for (int e = 0; e < 8; e++) fprintf(f, "%s{\"expert\": %d, \"rate\": 0.1, \"saliency\": 0.2, \"rank\": %d}", e ? "," : "", e, 8 - e);
            fprintf(f, "]}");
        }
        fprintf(f, "]}\n");
        fclose(f);
    }
    proc_result ri = run_moetop("prune", "-m", a, "-o", out, "--keep", "2", "--by", "importance", "--importance", imp, "--json", NULL);
    jv *vi = json_of(&ri, "prune --by importance");
    for (uint32_t l = 0; vi && l < 4; l++) {
        const jv *kept = jv_get(jv_at(jv_get(vi, "layers"), l), "kept");
        CHECKF(kept->len == 2 && jv_at(kept, 0)->num == 6 && jv_at(kept, 1)->num == 7, "layer %u", l);
    }
    /* --by importance without a file: the ranks of moetop importance over the same prompt, the 3 best kept */
    proc_result im = run_moetop("importance", "-m", a, "--prompt", PROMPT, "--json", NULL);
    proc_result rc = run_moetop("prune", "-m", a, "-o", out, "--keep", "3", "--by", "importance", "--prompt", PROMPT, "--json", NULL);
    jv *vim = json_of(&im, "importance"), *vc = json_of(&rc, "prune --by importance (computed)");
    for (uint32_t l = 0; vim && vc && l < 4; l++) {
        const jv *experts = jv_get(jv_at(jv_get(vim, "layers"), l), "experts");
        const jv *lv = jv_at(jv_get(vc, "layers"), l), *kept = jv_get(lv, "kept"), *ranks = jv_get(lv, "ranks");
        bool same = experts && experts->len == 8 && ranks && ranks->len == 8 && kept && kept->len == 3;
        uint8_t best3[8] = { 0 };
        for (size_t e = 0; same && e < 8; e++) {
            double rank = jv_num(jv_at(experts, e), "rank", 0);
            same = jv_at(ranks, e)->num == rank && rank >= 1 && rank <= 8;
            if (same) best3[e] = rank <= 3;
        }
        for (size_t i = 0; same && i < 3; i++) same = best3[(size_t)jv_at(kept, i)->num];
        CHECKF(same, "layer %u: the computed importance ranks or kept set differ from moetop importance's", l);
    }
    CHECK(vc && jv_num(vc, "tokens", 0) > 0 && jv_str(vc, "by") && strcmp(jv_str(vc, "by"), "importance") == 0);
    jv_free(tv), jv_free(v), jv_free(vp), jv_free(vi), jv_free(vim), jv_free(vc);
    proc_free(&t), proc_free(&r), proc_free(&pr), proc_free(&rp), proc_free(&ri), proc_free(&im), proc_free(&rc);
}

/* --report: before = moetop ppl/eval on the input, after = the same on the pruned file */
static void report_matches_pruned_file(void) {
    const char *a = fixture_path('a', ".gguf");
    if (!a) return;
    char out[512], probs[512];
    snprintf(out, sizeof out, "%s/report.gguf", t_tmpdir());
    snprintf(probs, sizeof probs, "%s/problems.jsonl", t_tmpdir());
    FILE *f = fopen(probs, "w");
    if (f) {
        for (int i = 0; i < 6; i++) fprintf(f, "{\"prompt\": \"%d + %d = \", \"answer\": \"%d\"}\n", i, 2 * i, 3 * i);
        fclose(f);
    }
    proc_result r = run_moetop("prune", "-m", a, "-o", out, "--keep", "3", "--prompt", PROMPT, "--report", "--problems", probs, "-n", "4",
                               "--json", NULL);
    proc_result pb = run_moetop("ppl", "-m", a, "--prompt", PROMPT, "--json", NULL);
    proc_result pa = run_moetop("ppl", "-m", out, "--prompt", PROMPT, "--json", NULL);
    proc_result ea = run_moetop("eval", "-m", out, "--problems", probs, "-n", "4", "--json", NULL);
    jv *v = json_of(&r, "prune --report"), *vb = json_of(&pb, "ppl"), *va = json_of(&pa, "ppl pruned"), *ve = json_of(&ea, "eval pruned");
    if (v && vb && va && ve) {
        const jv *rep = jv_get(v, "report"), *before = jv_get(rep, "before"), *after = jv_get(rep, "after");
        const jv *cb = jv_at(jv_get(vb, "conditions"), 0), *ca = jv_at(jv_get(va, "conditions"), 0), *ce = jv_at(jv_get(ve, "conditions"), 0);
        CHECKF(jv_num(before, "nll_mean", -1) == jv_num(cb, "nll_mean", -2), "before %.9g, ppl says %.9g", jv_num(before, "nll_mean", -1),
               jv_num(cb, "nll_mean", -2));
        CHECKF(jv_num(after, "nll_mean", -1) == jv_num(ca, "nll_mean", -2), "after %.9g, ppl on the pruned file says %.9g",
               jv_num(after, "nll_mean", -1), jv_num(ca, "nll_mean", -2));
        CHECK(jv_num(after, "correct", -1) == jv_num(ce, "correct", -2) && jv_num(rep, "problems", 0) == 6);
        const jv *w = jv_get(after, "wilson95"), *we = jv_get(ce, "wilson95");
        CHECK(w && we && jv_at(w, 0)->num == jv_at(we, 0)->num && jv_at(w, 1)->num == jv_at(we, 1)->num);
        CHECK(jv_num(v, "bytes_out", 0) > 0 && jv_num(v, "bytes_out", 0) < jv_num(v, "bytes_in", 0));
    }
    jv_free(v), jv_free(vb), jv_free(va), jv_free(ve);
    proc_free(&r), proc_free(&pb), proc_free(&pa), proc_free(&ea);
}

/* ---- bad requests ------------------------------------------------------------------ */

static void refusal(const char *what, const char *needle, const char *out, const char *arg, ...) {
    const char *argv[24] = { t_bin() };
    int n = 1;
    va_list ap;
    va_start(ap, arg);
    for (const char *s = arg; s && n < 23; s = va_arg(ap, const char *)) argv[n++] = s;
    va_end(ap);
    argv[n] = NULL;
    proc_result r = proc_run(argv, NULL);
    CHECKF(is_clean_usage_error(&r) && strstr(r.err, needle) && access(out, F_OK) != 0, "%s: exit %d, stderr: %s", what, r.status, r.err);
    proc_free(&r);
}

static void bad_requests(void) {
    const char *a = fixture_path('a', ".gguf");
    if (!a) return;
    char out[512], lists[512], other[512];
    snprintf(out, sizeof out, "%s/never.gguf", t_tmpdir());
    snprintf(lists, sizeof lists, "%s/bad.json", t_tmpdir());
    snprintf(other, sizeof other, "%s/llama.gguf", t_tmpdir());
    refusal("N = 0", "--keep", out, "prune", "-m", a, "-o", out, "--keep", "0", "--prompt", PROMPT, NULL);
    refusal("N > E", "1..8", out, "prune", "-m", a, "-o", out, "--keep", "9", "--prompt", PROMPT, NULL);
    refusal("counts per layer, structural", "--soft", out, "prune", "-m", a, "-o", out, "--keep", "2,3,2,2", "--prompt", PROMPT, NULL);
    refusal("soft below k", "fewer than the model's k", out, "prune", "-m", a, "-o", out, "--soft", "--keep", "1", "--prompt", PROMPT, NULL);
    refusal("no -o", "-o", out, "prune", "-m", a, "--keep", "2", NULL);
    refusal("no --keep", "--keep", out, "prune", "-m", a, "-o", out, NULL);
    refusal("--by", "--by", out, "prune", "-m", a, "-o", out, "--keep", "2", "--by", "magic", NULL);
    refusal("importance file without --by", "--by importance", out, "prune", "-m", a, "-o", out, "--keep", "2", "--importance", lists, NULL);
    refusal("output = input", "the output is the input", out, "prune", "-m", a, "-o", a, "--keep", "2", NULL);
    refusal("output -", "-o -", out, "prune", "-m", a, "-o", "-", "--keep", "2", "--prompt", PROMPT, NULL);
    /* importance files: another model's, one shard, a rank twice, a rank past E */
    static const char *const bad_imp[][2] = {
        { "{\"experiment\": \"importance\", \"model\": \"other.gguf\", \"layers\": []}", "the ranks of other.gguf" },
        { "{\"experiment\": \"importance\", \"shard\": {\"index\": 0, \"count\": 2}, \"layers\": []}", "one shard of 2" },
        { "{\"experiment\": \"circuits\", \"layers\": []}", "not of moetop importance" },
    };
    for (size_t i = 0; i < sizeof bad_imp / sizeof *bad_imp; i++) {
        CHECK(t_write_file(lists, bad_imp[i][0], strlen(bad_imp[i][0])));
        refusal(bad_imp[i][0], bad_imp[i][1], out, "prune", "-m", a, "-o", out, "--keep", "2", "--by", "importance", "--importance", lists, NULL);
    }
    for (int twice = 0; twice < 2; twice++) { /* fixture a: 4 layers x 8 experts */
        FILE *f = fopen(lists, "w");
        if (!f) continue;
        fprintf(f, "{\"layers\": [");
        for (int l = 0; l < 4; l++) {
            fprintf(f, "%s{\"layer\": %d, \"experts\": [", l ? "," : "", l);
            for (int e = 0; e < 8; e++) fprintf(f, "%s{\"expert\": %d, \"rank\": %d}", e ? "," : "", e, twice ? (e < 2 ? 1 : e) : (e == 7 ? 9 : e + 1));
            fprintf(f, "]}");
        }
        fprintf(f, "]}\n");
        fclose(f);
        refusal(twice ? "rank twice" : "rank past E", twice ? "each rank once" : "1..8", out, "prune", "-m", a, "-o", out, "--keep", "2", "--by",
                "importance", "--importance", lists, NULL);
    }
    static const char *const bad_lists[][2] = {
        { "{\"layers\": [{\"layer\": 0, \"kept\": [0, 9]}, {\"layer\": 1, \"kept\": [0, 1]}, {\"layer\": 2, \"kept\": [0, 1]}, {\"layer\": 3, \"kept\": [0, 1]}]}", "kept[1]" },
        { "{\"layers\": [{\"layer\": 0, \"kept\": [1, 1]}, {\"layer\": 1, \"kept\": [0, 1]}, {\"layer\": 2, \"kept\": [0, 1]}, {\"layer\": 3, \"kept\": [0, 1]}]}", "twice" },
        { "{\"layers\": [{\"layer\": 0, \"kept\": [1, 2]}, {\"layer\": 1, \"kept\": [0, 1]}, {\"layer\": 2, \"kept\": [0, 1]}]}", "layer 3 is missing" },
        { "{\"layers\": [{\"layer\": 0, \"kept\": []}, {\"layer\": 1, \"kept\": []}, {\"layer\": 2, \"kept\": []}, {\"layer\": 3, \"kept\": []}]}", "no expert kept" },
        { "{\"layers\": [{\"layer\": 7, \"kept\": [1]}]}", "not a layer" },
        { "{\"layers\": [", "bad.json" },
    };
    for (size_t i = 0; i < sizeof bad_lists / sizeof *bad_lists; i++) {
        CHECK(t_write_file(lists, bad_lists[i][0], strlen(bad_lists[i][0])));
        refusal(bad_lists[i][0], bad_lists[i][1], out, "prune", "-m", a, "-o", out, "--keep-lists", lists, NULL);
    }
    if (tiny_gguf(other, MT_TYPE_F32, "llama")) refusal("not gpt-oss", "llama", out, "prune", "-m", other, "-o", out, "--keep", "2", NULL);
    proc_result w = run_moetop("prune", "-m", a, "-o", "/nonexistent-dir/x.gguf", "--keep", "2", "--prompt", PROMPT, NULL);
    CHECKF(w.status == 1 && proc_count_lines(w.err) == 1 && strstr(w.err, "/nonexistent-dir/x.gguf") && w.out_len == 0, "write failure: exit %d: %s",
           w.status, w.err);
    proc_free(&w);
    refusal("unreadable model", "nope.gguf", out, "prune", "-m", "nope.gguf", "-o", out, "--keep", "2", NULL);
}

int main(void) {
    t_begin("prune");
    RUN(keep_best_ties);
    RUN(bias_types);
    RUN(file_layout);
    RUN(soft_file);
    RUN(rankings);
    RUN(report_matches_pruned_file);
    RUN(bad_requests);
    RUN(exact_cpu);
    RUN(exact_bundled);
    RUN(exact_vulkan);
    return t_end();
}
