/* The Vulkan backend against the CPU backend on synth models of several
 * shapes (odd widths, a query width unlike the model width, 128 experts, a
 * gpt-oss-20b-shaped layer whose expert tensor passes 128 MiB, prompts longer
 * than the window and than a batch, every tensor split to a small span,
 * interventions, decoding), a model of Q4_0 and K-quant matrices (read in place, no F16
 * expansion), NaN and infinite router logits, the device list, --backend vulkan on the command
 * line with its fallbacks (no loader, no driver, a model too big, a device
 * that does not exist), and the validation layer (a deliberate misuse is
 * reported, then nothing else).
 *
 * Without a Vulkan device every test says SKIP. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/backend.h"
#include "engine/gguf.h"
#include "engine/gguf_write.h"
#include "engine/intervene.h"
#include "engine/model.h"
#include "engine/quant.h"
#include "engine/rng.h"
#include "engine/session.h"
#include "engine/vulkan.h"
#include "support/backends.h"
#include "support/cli_util.h"
#include "support/fixtures.h"
#include "engine/cpu/kernels.h"
#include "support/harness.h"
#include "support/nonfinite.h"
#include "support/session_diff.h"
#include "support/quant_rows.h"

/* CPU vs Vulkan: the same model in float32, summed in another order */
#define LOGIT_TOL 1e-3  /* x max(1, max |logit|) */
#define WEIGHT_TOL 1e-3
#define MARGIN_SKIP 1e-3 /* routing compared where the CPU's margin is above this */

static uint64_t deliberate_misuses;


static bool have_vulkan(void) {
    mt_backend *be = test_vulkan_or_skip();
    if (be) be->destroy(be);
    return be != NULL;
}

/* Writes a synth model into the test's directory; NULL on failure (checked). */
static const char *synth(const char *name, const char *const *flags) {
    static char path[4][512];
    static int next;
    char *p = path[next++ % 4];
    snprintf(p, 512, "%s/%s.gguf", t_tmpdir(), name);
    const char *argv[40] = { t_bin(), "synth", "-q", "-o", p };
    int n = 5;
    for (int i = 0; flags[i] && n < 38; i++) argv[n++] = flags[i];
    argv[n] = NULL;
    proc_result r = proc_run(argv, NULL);
    bool ok = CHECKF(r.status == 0, "synth %s: %s", name, r.err);
    proc_free(&r);
    return ok ? p : NULL;
}

typedef struct compare_stats {
    t_route_diff route;
    double worst_logit;
} compare_stats;

/* Routing, router logits, norms of every (layer, token) and the last logits of a against b. */
static void compare_sessions(const mt_model *m, const mt_session *cpu, const mt_session *vk, compare_stats *st) {
    uint32_t n = mt_session_length(cpu);
    for (uint32_t l = 0; l < m->hp.n_layer; l++)
        for (uint32_t t = 0; t < n; t++) t_route_diff_at(m, cpu, vk, l, t, MARGIN_SKIP, &st->route);
    st->worst_logit = fmax(st->worst_logit, t_logit_diff(m, cpu, vk, n - 1));
}

static void check_stats(const char *what, const compare_stats *st) {
    const t_route_diff *d = &st->route;
    CHECKF(d->mismatches == 0, "%s: %llu routing sets differ", what, (unsigned long long)d->mismatches);
    CHECKF(st->worst_logit <= LOGIT_TOL, "%s: logits differ by %g x scale", what, st->worst_logit);
    CHECKF(d->weight <= WEIGHT_TOL, "%s: weights differ by %g", what, d->weight);
    CHECKF(d->router <= LOGIT_TOL, "%s: router logits differ by %g x scale", what, d->router);
    CHECKF(d->norm <= LOGIT_TOL, "%s: residual norms differ by %g (relative)", what, d->norm);
    printf("  %s: %llu (token, layer) sets equal, %llu near-ties skipped; logits %.1e x scale, weights %.1e, router %.1e, norms %.1e\n", what,
           (unsigned long long)d->sets, (unsigned long long)d->ties, st->worst_logit, d->weight, d->router, d->norm);
}

/* Runs n_prompt random tokens (then n_decode one at a time) on both backends
 * with the interventions given as flag pairs, and compares. */
static void parity(const char *what, const char *path, uint32_t n_prompt, uint32_t n_decode, const char *const *iv_flags) {
    mt_err err;
    mt_gguf *g = mt_gguf_open(path, &err);
    mt_model *m = g ? mt_model_load(g, &err) : NULL;
    mt_backend *cpu = mt_cpu_backend_new(0), *vk = NULL;
    mt_session *a = NULL, *b = NULL;
    mt_interventions iv = { 0 };
    uint32_t *ids = NULL;
    if (!CHECKF(m != NULL, "%s: %s", what, err.msg) || !(vk = test_vulkan_or_skip())) goto done;
    mt_iv_init(&iv, m->hp.n_layer, m->hp.n_expert);
    for (int i = 0; iv_flags && iv_flags[i]; i += 2)
        if (!CHECKF(mt_iv_parse(&iv, iv_flags[i], iv_flags[i + 1], &err), "%s", err.msg)) goto done;
    a = mt_session_new(m, cpu, &err);
    b = a ? mt_session_new(m, vk, &err) : NULL;
    if (!CHECKF(a && b, "%s: %s", what, err.msg)) goto done;
    mt_session_set_interventions(a, &iv);
    mt_session_set_interventions(b, &iv);
    ids = malloc((n_prompt + n_decode) * sizeof *ids);
    mt_rng rng = mt_rng_seed(42, 0);
    for (uint32_t i = 0; i < n_prompt + n_decode; i++) ids[i] = (uint32_t)mt_rng_below(&rng, m->hp.n_vocab);
    if (!CHECKF(mt_session_append(a, ids, n_prompt, &err), "%s", err.msg) || !CHECKF(mt_session_append(b, ids, n_prompt, &err), "%s", err.msg))
        goto done;
    for (uint32_t i = 0; i < n_decode; i++)
        if (!CHECKF(mt_session_append(a, ids + n_prompt + i, 1, &err) && mt_session_append(b, ids + n_prompt + i, 1, &err), "%s", err.msg))
            goto done;
    compare_stats st = { 0 };
    compare_sessions(m, a, b, &st);
    check_stats(what, &st);
done:
    free(ids);
    mt_iv_free(&iv);
    mt_session_free(a);
    mt_session_free(b);
    if (vk) vk->destroy(vk);
    if (cpu) cpu->destroy(cpu);
    mt_model_free(m);
    mt_gguf_close(g);
}

/* parity() on a synth model written from flags */
static void synth_parity(const char *name, const char *const *flags, const char *what, uint32_t n_prompt, uint32_t n_decode) {
    const char *path = synth(name, flags);
    if (path) parity(what, path, n_prompt, n_decode, NULL);
}

/* Widths that are no multiple of anything (float types only: the block formats need 32) */
static void odd_widths(void) {
    if (!have_vulkan()) return;
    const char *flags[] = { "--layers", "3", "--d-model", "45", "--heads", "3", "--kv-heads", "1", "--head-dim", "14", "--experts", "6",
                            "--k", "2", "--ff", "37", "--swa", "8", "--vocab-base", "300",
                            "--types", "embd=f16,output=bf16,attn=f32,router=f32,experts=bf16", NULL };
    synth_parity("odd", flags, "odd widths (d 45, heads 3x14, ff 37; f16/bf16/f32)", 40, 3);
}

/* The query width (heads x head_dim = 192) is not the model width (96) */
static void query_width_differs(void) {
    if (!have_vulkan()) return;
    const char *flags[] = { "--layers", "2", "--d-model", "96", "--heads", "6", "--kv-heads", "2", "--head-dim", "32", "--experts", "8",
                            "--k", "2", "--ff", "64", "--swa", "16", "--types", "embd=q8_0,output=q8_0,attn=q8_0,router=f32,experts=mxfp4", NULL };
    synth_parity("qwidth", flags, "query width 192, model width 96 (q8_0/mxfp4)", 50, 4);
}

static void many_experts(void) {
    if (!have_vulkan()) return;
    const char *flags[] = { "--layers", "2", "--d-model", "64", "--heads", "2", "--kv-heads", "1", "--head-dim", "32", "--experts", "128",
                            "--k", "4", "--ff", "32", "--swa", "16", "--types", "experts=mxfp4", NULL };
    synth_parity("e128", flags, "128 experts, top-4", 64, 2);
}

/* Longer than the window (sliding layers) and than one batch of 256 */
static void long_prompt(void) {
    if (!have_vulkan()) return;
    const char *flags[] = { "--preset", "tiny", "--swa", "32", NULL };
    synth_parity("long", flags, "300-token prompt, window 32 (two batches)", 300, 2);
}

/* Every intervention kind at once, at different layers */
static void interventions(void) {
    if (!have_vulkan()) return;
    const char *path = fixture_path('b', ".gguf");
    if (!path) return;
    const char *a[] = { "mask", "1,2@0", "zero", "4@0", "k", "3@1", "drop", "0,5@1", "force", "6@2", NULL };
    parity("fixture b with mask, k, drop, zero and force", path, 30, 2, a);
    const char *b[] = { "k", "32@0", "mask", "3@0", "drop", "0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31@2", NULL };
    parity("fixture b with k = E and everything dropped", path, 30, 2, b);
}

/* Every tensor cut into many chunks, as on a device with a small storage range */
static void small_span(void) {
    if (!have_vulkan()) return;
    const char *path = fixture_path('b', ".gguf");
    if (!path) return;
    /* 32 KiB: 3 experts a chunk (11 chunks), 85 embedding rows a chunk, logits 3 tokens at a time, 42 tokens at most */
    setenv("MOETOP_VK_SPAN_LIMIT", "33024", 1);
    parity("fixture b with every binding within 32 KiB", path, 40, 2, NULL);
    unsetenv("MOETOP_VK_SPAN_LIMIT");
}

/* gpt-oss-20b's layer shape: width 2880, 64 query heads of 64, 8 KV heads,
 * 32 experts of 2880 in MXFP4: each expert tensor is 141 MB, past lavapipe's
 * 128 MiB storage-buffer range, so it is split by experts. */
static void gpt_oss_20b_layer(void) {
    if (!have_vulkan()) return;
    const char *flags[] = { "--preset", "gpt-oss-20b", "--layers", "2", "--vocab-base", "2048", NULL };
    synth_parity("20b-layers", flags, "two gpt-oss-20b-shaped layers (expert tensors 141 MB)", 12, 1);
}

/* The workgroup kernels (shared-memory reductions: what GPUs run) on this
 * device too, so that CI, which has no GPU, checks them; and the subgroup
 * kernels (off by default: a subgroup a row for few tokens, shared-memory
 * tiles from 16). */
static void gpu_kernels(void) {
    if (!have_vulkan()) return;
    const char *flags[] = { "--layers", "2", "--d-model", "96", "--heads", "6", "--kv-heads", "2", "--head-dim", "32", "--experts", "8",
                            "--k", "2", "--ff", "64", "--swa", "16", "--types", "embd=q8_0,output=f16,attn=bf16,router=f32,experts=mxfp4", NULL };
    setenv("MOETOP_VK_KERNELS", "group", 1);
    synth_parity("gpu-kernels", flags, "workgroup kernels (MOETOP_VK_KERNELS=group)", 40, 3);
    const char *q8[] = { "--preset", "tiny", "--types", "attn=q8_0,experts=q8_0", NULL };
    synth_parity("gpu-kernels-q8", q8, "workgroup kernels, Q8_0 experts", 20, 2);
    /* the subgroup kernels (a subgroup a row, subgroupAdd: off by default), where the device sums over
     * subgroups: `moetop devices` must name them, or this would test the group kernels again */
    setenv("MOETOP_VK_KERNELS", "subgroup", 1);
    proc_result r = run_moetop("devices", NULL);
    bool sg = r.status == 0 && strstr(r.out, "subgroup kernels (MOETOP_VK_KERNELS)") != NULL && strstr(r.out, "tiles of 64 rows x 32 tokens");
    proc_free(&r);
    if (!sg) {
        unsetenv("MOETOP_VK_KERNELS");
        t_skip("subgroup kernels: this device has no subgroup arithmetic in compute shaders");
        return;
    }
    const char *odd[] = { "--layers", "2", "--d-model", "45", "--heads", "3", "--kv-heads", "1", "--head-dim", "14", "--experts", "6",
                          "--k", "2", "--ff", "37", "--swa", "8", "--vocab-base", "300", "--types", "embd=f16,output=bf16,attn=f32,router=f32,experts=bf16", NULL };
    synth_parity("sg-kernels-odd", odd, "subgroup kernels, odd widths (partial blocks), a 30-token tile", 30, 2);
    /* from 16 tokens the products run in tiles of 64 rows x 32 tokens: several token tiles, experts with few entries */
    const char *many[] = { "--layers", "2", "--d-model", "64", "--heads", "2", "--kv-heads", "1", "--head-dim", "32", "--experts", "128",
                           "--k", "4", "--ff", "96", "--swa", "16", "--types", "attn=q8_0,experts=mxfp4", NULL };
    synth_parity("sg-kernels-e128", many, "subgroup kernels, 128 experts, 100 tokens (tiles of 32)", 100, 2);
    synth_parity("sg-kernels", flags, "subgroup kernels (MOETOP_VK_KERNELS=subgroup)", 40, 3);
    synth_parity("sg-kernels-q8", q8, "subgroup kernels, Q8_0 experts", 20, 2);
    unsetenv("MOETOP_VK_KERNELS");
}

/* A model whose matrices are Q4_0 and K-quants (synth writes none: its F32
 * matrices replaced by random blocks of modest scale, support/quant_rows.h),
 * one of each format at least: attention q Q4_K, k Q5_K, v Q6_K, output
 * Q4_0; experts gate Q4_K, up Q5_K, down Q6_K; the output head Q6_K. Widths
 * of 256 (one super-block a row). The path, or NULL (checked). */
static const char *kquant_model(void) {
    static char path[600];
    const char *base_path = synth("kq-base", (const char *[]){ "--layers", "2", "--d-model", "256", "--heads", "4", "--kv-heads", "2",
                                                                "--head-dim", "64", "--experts", "4", "--k", "2", "--ff", "256", "--swa", "16",
                                                                "--vocab-base", "512", "--types", "attn=f32,output=f32,experts=f32", NULL });
    if (!base_path) return NULL;
    static const struct { const char *part; uint32_t type; } plan[] = {
        { ".attn_q.", MT_TYPE_Q4_K }, { ".attn_k.", MT_TYPE_Q5_K }, { ".attn_v.", MT_TYPE_Q6_K }, { ".attn_output.", MT_TYPE_Q4_0 },
        { ".ffn_gate_exps.", MT_TYPE_Q4_K }, { ".ffn_up_exps.", MT_TYPE_Q5_K }, { ".ffn_down_exps.", MT_TYPE_Q6_K }, { "output.weight", MT_TYPE_Q6_K },
    };
    mt_err err;
    mt_gguf *base = mt_gguf_open(base_path, &err);
    if (!CHECKF(base != NULL, "%s", err.msg)) return NULL;
    mt_gguf_writer *w = mt_gguf_writer_new();
    for (uint64_t i = 0; i < mt_gguf_kv_count(base); i++) {
        const mt_gguf_kv *kv = mt_gguf_kv_at(base, i);
        char key[256];
        snprintf(key, sizeof key, "%.*s", (int)kv->key.len, kv->key.ptr);
        if (strcmp(key, "general.alignment") != 0) CHECK(mt_gguf_copy_kv(w, key, &kv->value));
    }
    uint64_t n_tensors = mt_gguf_tensor_count(base);
    uint8_t **owned = calloc(n_tensors, sizeof *owned);
    mt_rng rng = mt_rng_seed(31, 0);
    int replaced = 0;
    for (uint64_t i = 0; i < n_tensors; i++) {
        const mt_gguf_tensor *t = mt_gguf_tensor_at(base, i);
        char name[MT_GGUF_MAX_NAME_LEN + 1];
        snprintf(name, sizeof name, "%.*s", (int)t->name.len, t->name.ptr);
        uint32_t type = t->type;
        size_t len = strlen(name);
        for (size_t k = 0; k < sizeof plan / sizeof *plan; k++) /* matrices only (not the biases): "output.weight" itself, or a layer's */
            if (len > 7 && strcmp(name + len - 7, ".weight") == 0 && (strcmp(plan[k].part, "output.weight") == 0 ? strcmp(name, "output.weight") == 0 : strstr(name, plan[k].part) != NULL))
                type = plan[k].type;
        if (type == t->type) {
            mt_gguf_add_tensor(w, name, t->type, t->n_dims, t->ne, t->data);
            continue;
        }
        uint64_t rb = mt_row_bytes(type, t->ne[0]), rows = t->n_elements / t->ne[0];
        owned[i] = malloc(rb * rows);
        for (uint64_t r = 0; r < rows; r++) t_modest_row(type, (int64_t)t->ne[0], &rng, owned[i] + r * rb);
        mt_gguf_add_tensor(w, name, type, t->n_dims, t->ne, owned[i]);
        replaced++;
    }
    CHECKF(replaced == 2 * 7 + 1, "%d matrices made Q4_0 or K-quants", replaced);
    snprintf(path, sizeof path, "%s/kquants.gguf", t_tmpdir());
    bool ok = CHECKF(mt_gguf_writer_write(w, path, NULL, NULL, &err), "%s", err.msg);
    mt_gguf_writer_free(w);
    for (uint64_t i = 0; i < n_tensors; i++) free(owned[i]);
    free(owned);
    mt_gguf_close(base);
    return ok ? path : NULL;
}

/* That model on Vulkan: the same routing and logits as on the CPU (row,
 * workgroup and subgroup kernels, prefill and decoding), and no notice of weights
 * expanded to F16 (the device holds the file's blocks). */
static void kquant_weights(void) {
    if (!have_vulkan()) return;
    const char *path = kquant_model();
    if (!path) return;
    parity("Q4_0/Q4_K/Q5_K/Q6_K matrices, row kernels", path, 40, 3, NULL);
    setenv("MOETOP_VK_KERNELS", "group", 1);
    parity("Q4_0/Q4_K/Q5_K/Q6_K matrices, workgroup kernels", path, 40, 3, NULL);
    setenv("MOETOP_VK_KERNELS", "subgroup", 1); /* where the device has no subgroup arithmetic: the group kernels again */
    parity("Q4_0/Q4_K/Q5_K/Q6_K matrices, subgroup kernels (tiles for the prompt)", path, 40, 3, NULL);
    unsetenv("MOETOP_VK_KERNELS");
    proc_result r = run_moetop("trace", "-m", path, "--ids", "1 2 3 4 5", "--backend", "vulkan", "--json", NULL);
    CHECKF(r.status == 0 && strstr(r.out, "\"backend\":\"vulkan\""), "trace: %d %s", r.status, r.err);
    CHECKF(r.err_len == 0 && !strstr(r.err, "expanded to F16"), "stderr: %s", r.err);
    proc_free(&r);
}

/* NaN and infinite router logits (tests/support/nonfinite.h): both backends
 * apply engine/intervene.c's rule, so they select the same experts with the
 * same weights and margins at every (token, layer), ties of infinities
 * included; the layout the rule predicts is checked too. Near-ties among
 * finite logits (margin below MARGIN_SKIP) are left out, as elsewhere. */
static void nonfinite_router(void) {
    const char *path = nonfinite_model();
    if (!path || !have_vulkan()) return;
    static const char *const flag_sets[][7] = {
        { NULL },
        { "k", "8@0,3", "drop", "5@1", NULL },
        { "k", "4@1", "mask", "4@3", NULL },
        { "force", "3@0", "k", "1@3", NULL },
    };
    mt_err err;
    mt_gguf *g = mt_gguf_open(path, &err);
    mt_model *m = g ? mt_model_load(g, &err) : NULL;
    mt_backend *cpu = mt_cpu_backend_new(0), *vk = m ? test_vulkan_or_skip() : NULL;
    if (!CHECKF(m != NULL, "%s", err.msg) || !vk) goto done;
    uint32_t ids[24];
    mt_rng rng = mt_rng_seed(7, 0);
    for (uint32_t i = 0; i < 24; i++) ids[i] = (uint32_t)mt_rng_below(&rng, m->hp.n_vocab);
    uint64_t compared = 0, skipped = 0;
    for (size_t f = 0; f < sizeof flag_sets / sizeof *flag_sets; f++) {
        mt_interventions iv = { 0 };
        mt_iv_init(&iv, m->hp.n_layer, m->hp.n_expert);
        for (int i = 0; flag_sets[f][i]; i += 2) CHECKF(mt_iv_parse(&iv, flag_sets[f][i], flag_sets[f][i + 1], &err), "%s", err.msg);
        mt_session *a = mt_session_new(m, cpu, &err), *b = a ? mt_session_new(m, vk, &err) : NULL;
        if (CHECKF(a && b, "%s", err.msg)) {
            mt_session_set_interventions(a, &iv);
            mt_session_set_interventions(b, &iv);
            bool ran = CHECKF(mt_session_append(a, ids, 20, &err) && mt_session_append(b, ids, 20, &err), "%s", err.msg);
            for (uint32_t i = 20; ran && i < 24; i++) ran = CHECKF(mt_session_append(a, ids + i, 1, &err) && mt_session_append(b, ids + i, 1, &err), "%s", err.msg);
            int reported = 0;
            for (uint32_t l = 0; ran && l < m->hp.n_layer; l++)
                for (uint32_t t = 0; t < 24; t++) {
                    const uint32_t *ea, *eb;
                    const float *wa, *wb;
                    float ma, mb;
                    uint32_t na = mt_session_route(a, l, t, &ea, &wa, &ma), nb = mt_session_route(b, l, t, &eb, &wb, &mb);
                    const float *z = mt_session_router_logits(a, l, t);
                    if (na && isfinite(z[ea[na - 1]]) && ma >= 0 && ma < MARGIN_SKIP) { /* a near-tie of finite logits */
                        skipped++;
                        continue;
                    }
                    bool same = na == nb && (isinf(ma) || ma == MT_NO_MARGIN ? ma == mb : fabsf(ma - mb) <= LOGIT_TOL * fmaxf(1, fabsf(ma)));
                    for (uint32_t i = 0; same && i < na; i++) same = ea[i] == eb[i] && fabsf(wa[i] - wb[i]) <= 1e-6f && !isnan(wb[i]);
                    compared++;
                    if (!same && reported++ < 3)
                        CHECKF(false, "flags %zu, layer %u, token %u: CPU %u experts (%u: %g, margin %g), Vulkan %u (%u: %g, margin %g)", f, l, t, na,
                               na ? ea[0] : 99, na ? (double)wa[0] : 0.0, (double)ma, nb, nb ? eb[0] : 99, nb ? (double)wb[0] : 0.0, (double)mb);
                }
            if (f == 0 && ran) /* what the rule predicts for the unmodified router */
                for (uint32_t t = 0; t < 24; t++) {
                    const uint32_t *e;
                    const float *w;
                    float mg;
                    uint32_t n0 = mt_session_route(b, 0, t, &e, &w, &mg);
                    bool l0 = n0 == 2 && e[0] != 3 && e[1] != 3;
                    uint32_t n1 = mt_session_route(b, 1, t, &e, &w, &mg);
                    bool l1 = n1 == 2 && e[0] == 2 && e[1] == 5 && w[0] == 0.5f && w[1] == 0.5f && mg == 0.0f;
                    bool l2 = mt_session_route(b, 2, t, &e, &w, &mg) == 0 && mg == MT_NO_MARGIN;
                    uint32_t n3 = mt_session_route(b, 3, t, &e, &w, &mg);
                    bool l3 = n3 == 2 && e[0] == 4 && w[0] == 1.0f && w[1] == 0.0f && e[1] != 1 && isinf(mg) == 0;
                    if (!CHECKF(l0 && l1 && l2 && l3, "token %u on Vulkan: layer 0 %d, layer 1 %d, layer 2 %d, layer 3 %d as the rule says", t, l0, l1, l2, l3))
                        break;
                }
        }
        mt_session_free(a);
        mt_session_free(b);
        mt_iv_free(&iv);
    }
    printf("  NaN and infinite router logits: %llu (token, layer) routes equal on both backends, %llu near-ties of finite logits skipped\n",
           (unsigned long long)compared, (unsigned long long)skipped);
done:
    if (vk) vk->destroy(vk);
    if (cpu) cpu->destroy(cpu);
    mt_model_free(m);
    mt_gguf_close(g);
}

/* ---- the command line ---------------------------------------------------------------- */

static void devices_listed(void) {
    if (!have_vulkan()) return;
    proc_result r = run_moetop("devices", "--json", NULL);
    char err[256];
    jv *v = r.status == 0 ? jv_parse(r.out, r.out_len, err, sizeof err) : NULL;
    if (CHECKF(v && v->len >= 1, "devices --json: %d %s", r.status, r.err)) {
        int defaults = 0;
        for (size_t i = 0; i < v->len; i++) {
            const jv *d = jv_at(v, i);
            defaults += jv_get(d, "default")->kind == JV_BOOL && jv_get(d, "default")->b;
            CHECK(jv_num(d, "max_storage_range", 0) > 0 && jv_num(d, "subgroup_size", 0) > 0 && jv_get(d, "name") != NULL);
            /* the kernel choice, as data from the device's properties: lavapipe (a CPU device) runs the row kernels */
            const jv *k = jv_get(d, "kernels"), *type = jv_get(d, "type");
            CHECK(k && k->kind == JV_STR && k->len > 0);
            if (k && k->kind == JV_STR && type && type->kind == JV_STR && strcmp(type->str, "CPU") == 0) CHECK(strncmp(k->str, "row kernels", 11) == 0);
        }
        CHECK(defaults == 1);
    }
    jv_free(v);
    proc_free(&r);
    r = run_moetop("devices", NULL);
    CHECK(r.status == 0 && strstr(r.out, "storage-buffer range") && strstr(r.out, "<- used by --backend vulkan"));
    /* the text ends with the C backend's kernel set, the one bench names */
    char want[64];
    snprintf(want, sizeof want, "cpu: the C backend (the default): %s kernels", mt_kernels_best()->name);
    CHECKF(strstr(r.out, want) != NULL, "no '%s' in: %s", want, r.out);
    proc_free(&r);
}

/* devices' text marks the device --backend vulkan opens: $MOETOP_DEVICE's when it names one;
 * one that names none is said in one line (exit 0) and no device is marked as used
 * (it marked the default whatever MOETOP_DEVICE said) */
static void devices_mark_moetop_device(void) {
    if (!have_vulkan()) return;
    setenv("MOETOP_DEVICE", "0", 1);
    proc_result r = run_moetop("devices", NULL);
    CHECKF(r.status == 0 && strstr(r.out, "0: ") == r.out &&
               (strstr(r.out, "  <- used by --backend vulkan (MOETOP_DEVICE)\n") ? r.err_len == 0 : strstr(r.err, "MOETOP_DEVICE=0: not usable") != NULL),
           "exit %d: %s%s", r.status, r.out, r.err);
    proc_free(&r);
    static const char *const bad[][2] = { { "4096", "MOETOP_DEVICE=4096: there " }, { "x1", "MOETOP_DEVICE: 'x1' is not a device number" } };
    for (int i = 0; i < 2; i++) {
        setenv("MOETOP_DEVICE", bad[i][0], 1);
        r = run_moetop("devices", NULL);
        CHECKF(r.status == 0 && strncmp(r.err, "moetop: ", 8) == 0 && strstr(r.err, bad[i][1]) && proc_count_lines(r.err) == 1 &&
                   !strstr(r.out, "<- used by") && strstr(r.out, "(the default, where MOETOP_DEVICE names none)"),
               "MOETOP_DEVICE=%s: exit %d: %s%s", bad[i][0], r.status, r.out, r.err);
        proc_free(&r);
    }
    unsetenv("MOETOP_DEVICE");
}

/* `trace --backend vulkan` on fixture a: the JSON says vulkan and names the device */
static void trace_reports_device(void) {
    if (!have_vulkan()) return;
    const char *path = fixture_path('a', ".gguf");
    if (!path) return;
    proc_result r = run_moetop("trace", "-m", path, "--ids", "1 2 3 4 5", "--backend", "vulkan", "--json", NULL);
    char err[256];
    jv *v = r.status == 0 ? jv_parse(r.out, r.out_len, err, sizeof err) : NULL;
    if (CHECKF(v != NULL, "trace: %d %s", r.status, r.err)) {
        CHECK(strcmp(jv_get(v, "backend")->str, "vulkan") == 0);
        CHECKF(strlen(jv_get(v, "device")->str) > 0, "no device named");
        CHECKF(r.err_len == 0, "stderr: %s", r.err);
    }
    jv_free(v);
    proc_free(&r);
}

/* bench --profile on Vulkan: GPU time per op, then a decoded token's wall
 * time split into GPU time and the rest (the rest = wall - GPU time). */
static void bench_profile_splits_decode(void) {
    if (!have_vulkan()) return;
    const char *path = fixture_path('a', ".gguf");
    if (!path) return;
    proc_result r = run_moetop("bench", "-m", path, "-p", "4", "-n", "3", "--backend", "vulkan", "--profile", NULL);
    const char *dl = strstr(r.err, "decode, per token: ");
    double wall = -1, gpu = -1, rest = -9;
    CHECKF(r.status == 0 && strstr(r.err, "GPU time per op on ") && dl &&
               sscanf(dl, "decode, per token: %lf ms wall, %lf ms in the backend's ops (GPU time), %lf ms outside them", &wall, &gpu, &rest) == 3 &&
               wall > 0 && gpu > 0 && fabs(wall - gpu - rest) <= 1e-6, /* as printed, to the last digit */
           "exit %d: %s", r.status, r.err);
    proc_free(&r);
}

/* The explorer on Vulkan draws the committed frames of the CPU backend
 * (tests/fixtures/frames: dashboard, heatmap, token, sweep and experts of
 * fixture a at 100x30), cell for cell but for the status line, after an intervention
 * toggled and cleared on the way. */
static void explorer_frames(void) {
    if (!have_vulkan()) return;
    const char *gguf = fixture_path('a', ".gguf");
    if (!gguf) return;
    static const char *const views[] = { "dashboard", "heatmap", "token", "sweep", "experts" };
    enum { N_VIEWS = sizeof views / sizeof *views };
    char keys[512], text[2048];
    snprintf(keys, sizeof keys, "%s/frames.keys", t_tmpdir());
    size_t o = (size_t)snprintf(text, sizeof text, "m\nc\nj\nj\nl\n"); /* mask, then clear: back to the baseline */
    for (size_t v = 0; v < N_VIEWS; v++) o += (size_t)snprintf(text + o, sizeof text - o, "frame %s/vk-%s.txt\nTab\n", t_tmpdir(), views[v]);
    t_write_file(keys, text, o);
    proc_result r = run_moetop("-m", gguf, "--prompt", "The quick brown fox jumps over the lazy dog.\n\tOK?", "--headless", "--size", "100x30",
                               "--script", keys, "--backend", "vulkan", NULL);
    CHECKF(r.status == 0 && r.err_len == 0, "%d %s", r.status, r.err);
    proc_free(&r);
    for (size_t v = 0; v < N_VIEWS; v++) {
        char got_path[600], want_path[256];
        snprintf(got_path, sizeof got_path, "%s/vk-%s.txt", t_tmpdir(), views[v]);
        snprintf(want_path, sizeof want_path, "tests/fixtures/frames/%s.txt", views[v]);
        char *got = t_read_file(got_path, NULL), *want = t_read_file(want_path, NULL);
        if (CHECKF(got && want, "%s: no frame", views[v])) {
            size_t n = strlen(want); /* the expected frames stop before the status line */
            CHECKF(strlen(got) > n && strncmp(got, want, n) == 0, "%s: the Vulkan frame differs from %s", views[v], want_path);
        }
        free(got);
        free(want);
    }
}

/* [engine] backend = vulkan in the configuration: the explorer runs on Vulkan
 * (its status line says so); --backend cpu still overrides it. */
static void explorer_configured_backend(void) {
    if (!have_vulkan()) return;
    const char *gguf = fixture_path('a', ".gguf");
    if (!gguf) return;
    char ini[512], frame[512];
    snprintf(ini, sizeof ini, "%s/engine.ini", t_tmpdir());
    snprintf(frame, sizeof frame, "%s/engine-frame.txt", t_tmpdir());
    const char *text = "[engine]\nbackend = vulkan\ndevice = 0\n";
    t_write_file(ini, text, strlen(text));
    const char *backends[] = { NULL, "cpu" }, *want[] = { "on vulkan,", "on cpu," };
    for (int i = 0; i < 2; i++) {
        proc_result r = backends[i] ? run_moetop("-m", gguf, "--headless", "--size", "220x20", "--config", ini, "--export-frame", frame, "--backend",
                                                 backends[i], NULL)
                                    : run_moetop("-m", gguf, "--headless", "--size", "220x20", "--config", ini, "--export-frame", frame, NULL);
        char *got = r.status == 0 ? t_read_file(frame, NULL) : NULL;
        CHECKF(got && strstr(got, want[i]) && r.err_len == 0, "%s: %d %s", want[i], r.status, r.err);
        free(got);
        proc_free(&r);
    }
}

/* The pipeline cache lands under $XDG_CACHE_HOME/moetop and a second run reads it. */
static void pipeline_cache(void) {
    if (!have_vulkan()) return;
    const char *path = fixture_path('a', ".gguf");
    if (!path) return;
    char cache[600], dir[700];
    snprintf(cache, sizeof cache, "%s/xdg-cache", t_tmpdir());
    snprintf(dir, sizeof dir, "%s/moetop", cache);
    const char *old = getenv("XDG_CACHE_HOME");
    char *saved = old ? strdup(old) : NULL;
    setenv("XDG_CACHE_HOME", cache, 1);
    for (int run = 0; run < 2; run++) {
        proc_result r = run_moetop("trace", "-m", path, "--ids", "1 2 3", "--backend", "vulkan", "--json", NULL);
        CHECKF(r.status == 0 && r.err_len == 0, "run %d: %d %s", run, r.status, r.err);
        proc_free(&r);
    }
    const char *ls[] = { "/bin/sh", "-c", "ls \"$0\"/pipelines-*.bin", dir, NULL };
    proc_result r = proc_run(ls, NULL);
    CHECKF(r.status == 0 && strstr(r.out, "pipelines-"), "no pipeline cache in %s: %s", dir, r.err);
    proc_free(&r);
    if (saved) setenv("XDG_CACHE_HOME", saved, 1);
    else unsetenv("XDG_CACHE_HOME");
    free(saved);
}

/* One stderr line naming why, then the CPU backend's answer (exit 0). */
static void expect_fallback(const char *what, const char *env, const char *value, const char *why, const char *const *extra) {
    const char *path = fixture_path('a', ".gguf");
    if (!path) return;
    if (env) setenv(env, value, 1);
    const char *argv[20] = { t_bin(), "trace", "-m", path, "--ids", "1 2 3", "--backend", "vulkan", "--json" };
    int n = 9;
    for (int i = 0; extra && extra[i]; i++) argv[n++] = extra[i];
    argv[n] = NULL;
    proc_result r = proc_run(argv, NULL);
    if (env) unsetenv(env);
    CHECKF(r.status == 0, "%s: exit %d: %s", what, r.status, r.err);
    CHECKF(proc_count_lines(r.err) == 1 && strncmp(r.err, "moetop: --backend vulkan: ", 26) == 0 && strstr(r.err, why) &&
               strstr(r.err, "; using the CPU backend"),
           "%s: stderr '%s'", what, r.err);
    CHECKF(strstr(r.out, "\"backend\":\"cpu\"") || strstr(r.out, "\"backend\": \"cpu\""), "%s: not the CPU backend: %.200s", what, r.out);
    proc_free(&r);
}

static void fallback_without_loader(void) {
    expect_fallback("no loader", "MOETOP_VULKAN_LIBRARY", "/nonexistent/libvulkan.so.1", "no Vulkan loader", NULL);
}

static void fallback_without_driver(void) {
    /* the loader, told to look for drivers where there are none */
    const char *path = fixture_path('a', ".gguf");
    if (!path) return;
    setenv("VK_DRIVER_FILES", "/nonexistent/icd.json", 1);
    expect_fallback("no driver", "VK_ICD_FILENAMES", "/nonexistent/icd.json", "no Vulkan", NULL);
    unsetenv("VK_DRIVER_FILES");
}

static void fallback_when_too_big(void) {
    if (!have_vulkan()) return;
    expect_fallback("too big", "MOETOP_VK_MEMORY_LIMIT_MB", "1", "of device memory and", NULL);
}

static void fallback_on_a_device_that_does_not_exist(void) {
    if (!have_vulkan()) return;
    const char *extra[] = { "--device", "99", NULL };
    expect_fallback("--device 99", NULL, NULL, "device '99': there", extra);
}


/* importance and similarity compute expert outputs on a C backend of their own, with the
 * threads asked for the CPU: with --backend vulkan its notice (a MOETOP_KERNELS that names no
 * set) is said once, as with the C backend, where the model's backend has said it already. */
static void expert_evaluator_notice(void) {
    if (!have_vulkan()) return;
    const char *path = synth("evaluator", (const char *[]){ "--preset", "tiny", NULL });
    if (!path) return;
    setenv("MOETOP_KERNELS", "bogus", 1);
    static const char *const backends[] = { "vulkan", "cpu" };
    for (int b = 0; b < 2; b++) {
        proc_result r[2] = { run_moetop("importance", "-m", path, "--prompt", "a b c", "--backend", backends[b], "--threads", "1", "--json", NULL),
                             run_moetop("similarity", "-m", path, "--prompt", "a b c", "--tokens", "3", "--backend", backends[b], "--json", NULL) };
        for (int i = 0; i < 2; i++) {
            const char *first = strstr(r[i].err, "moetop: MOETOP_KERNELS=bogus: not a kernel set");
            CHECKF(r[i].status == 0 && first && !strstr(first + 20, "MOETOP_KERNELS=bogus"), "%s --backend %s: exit %d, stderr: %s",
                   i ? "similarity" : "importance", backends[b], r[i].status, r[i].err);
            proc_free(&r[i]);
        }
    }
    unsetenv("MOETOP_KERNELS");
}

/* ---- validation ---------------------------------------------------------------------- */

static bool validating(void) {
    const char *v = getenv("MOETOP_VK_VALIDATION");
    if (v && *v && strcmp(v, "0") != 0) return true;
    t_skip("the validation layer is off (tests/run.sh's vulkan pass sets MOETOP_VK_VALIDATION=1)");
    return false;
}

/* The layer is really there: a buffer of size 0 is reported. */
static void validation_reports_misuse(void) {
    if (!have_vulkan() || !validating()) return;
    mt_backend *be = test_vulkan_or_skip();
    if (!be) return;
    uint64_t before = mt_vulkan_validation_errors();
    fprintf(stderr, "(a deliberate misuse follows: a buffer of size 0)\n");
    mt_vulkan_misuse_for_test(be);
    uint64_t after = mt_vulkan_validation_errors();
    CHECKF(after > before, "the validation layer reported nothing for a buffer of size 0: is it loaded?");
    deliberate_misuses += after - before;
    be->destroy(be);
}

static void validation_clean(void) {
    if (!have_vulkan() || !validating()) return;
    uint64_t errors = mt_vulkan_validation_errors() - deliberate_misuses;
    CHECKF(errors == 0, "%llu validation errors besides the deliberate one (above)", (unsigned long long)errors);
}

int main(void) {
    t_begin("vulkan");
    bool validation = getenv("MOETOP_VK_VALIDATION") && strcmp(getenv("MOETOP_VK_VALIDATION"), "") != 0;
    if (validation) RUN(validation_reports_misuse); /* tests/run.sh's vulkan pass */
    RUN(devices_listed);
    RUN(devices_mark_moetop_device);
    RUN(trace_reports_device);
    RUN(bench_profile_splits_decode);
    RUN(pipeline_cache);
    RUN(explorer_frames);
    RUN(explorer_configured_backend);
    RUN(fallback_without_loader);
    RUN(fallback_without_driver);
    RUN(fallback_when_too_big);
    RUN(fallback_on_a_device_that_does_not_exist);
    RUN(expert_evaluator_notice);
    RUN(odd_widths);
    RUN(query_width_differs);
    RUN(many_experts);
    RUN(long_prompt);
    RUN(interventions);
    RUN(small_span);
    RUN(gpt_oss_20b_layer);
    RUN(gpu_kernels);
    RUN(kquant_weights);
    RUN(nonfinite_router);
    if (validation) RUN(validation_clean);
    return t_end();
}
