/* The other MoE families (Mixtral, Qwen3-MoE, OLMoE: softmax-before-top-k
 * routers, plain SwiGLU, no sinks, q/k norms, adjacent-pair RoPE) on the
 * Vulkan backend against the CPU backend, on synth models of each family:
 * - with interventions (mask, k, drop, zero and force, each at its own layer,
 *   and k = E with everything dropped), prompt then decoding: the same top-k
 *   sets wherever the CPU's margin (probability units) is at least 1e-4,
 *   weights, margins and logits within float rounding of another summation
 *   order;
 * - the routing op itself: on the device's own router logits, mt_iv_route
 *   (the CPU's routing step) picks exactly the experts route.comp picked,
 *   with the same count, and weights and margins within ROUTE_TOL (GLSL's
 *   exp against the C library's expf);
 * - the GPUs' kernels (workgroup and subgroup: swiglu.comp's plain SwiGLU) and the older
 *   Mixtral layout (one tensor per expert, gathered at upload).
 * test_families.c runs the oracle fixtures on Vulkan (MOETOP_TEST_BACKEND).
 * Without a Vulkan device every test says SKIP. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/backend.h"
#include "engine/gguf.h"
#include "engine/intervene.h"
#include "engine/model.h"
#include "engine/rng.h"
#include "engine/session.h"
#include "engine/vulkan.h"
#include "support/backends.h"
#include "support/cli_util.h"
#include "support/harness.h"
#include "support/session_diff.h"

/* the oracle's tolerances (shared/oracle/families), here between the backends (on lavapipe: logits
 * 6e-7 x scale, weights 3e-7 at worst); route.comp against mt_iv_route: 1.2e-7 (two float steps) */
#define LOGIT_TOL 1e-5   /* x max(1, max |logit|): the same model summed in another order */
#define WEIGHT_TOL 3e-6  /* mixing weights and margins (probabilities) */
#define MARGIN_SKIP 1e-4 /* top-k sets compared where the CPU's margin is at least this */
#define ROUTE_TOL 5e-7   /* route.comp against mt_iv_route on the same logits */

static const char *const families[3] = { "mixtral", "qwen3moe", "olmoe" };


/* A synth model of family arch (small: 3 layers, 8 experts of 64, top-2, width 64) with types, in the test's directory. */
static const char *synth_family(const char *arch, const char *types, bool split) {
    static char path[4][512];
    static int next;
    char *p = path[next++ % 4];
    snprintf(p, 512, "%s/%s-%s%s.gguf", t_tmpdir(), arch, types, split ? "-split" : "");
    for (char *c = p + strlen(t_tmpdir()); *c; c++)
        if (*c == ',' || *c == '=') *c = '_';
    const char *argv[] = { t_bin(), "synth", "-q", "-o", p, "--arch", arch, "--layers", "3", "--d-model", "64", "--heads", "4", "--kv-heads",
                           "2", "--head-dim", "16", "--experts", "8", "--k", "2", "--ff", "64", "--vocab-base", "300", "--types", types,
                           split ? "--split-experts" : NULL, NULL };
    proc_result r = proc_run(argv, NULL);
    bool ok = CHECKF(r.status == 0, "synth %s: %s", arch, r.err);
    proc_free(&r);
    return ok ? p : NULL;
}

typedef struct side {
    mt_gguf *g;
    mt_model *m;
    mt_backend *be;
    mt_session *s;
} side;

static void side_close(side *x) {
    mt_session_free(x->s);
    if (x->be) x->be->destroy(x->be);
    mt_model_free(x->m);
    mt_gguf_close(x->g);
    memset(x, 0, sizeof *x);
}

/* path on be with iv_flags (pairs of kind, value): 40 random tokens, then 3 decoded one at a time. */
static bool side_run(side *x, const char *path, mt_backend *be, const char *const *iv_flags) {
    mt_err err;
    x->be = be;
    x->g = mt_gguf_open(path, &err);
    x->m = x->g ? mt_model_load(x->g, &err) : NULL;
    x->s = x->m ? mt_session_new(x->m, be, &err) : NULL;
    if (!CHECKF(x->s != NULL, "%s on %s: %s", path, be->name, err.msg)) return false;
    mt_session_keep_all_logits(x->s, true);
    mt_interventions iv;
    mt_iv_init(&iv, x->m->hp.n_layer, x->m->hp.n_expert);
    bool ok = true;
    for (int i = 0; ok && iv_flags && iv_flags[i]; i += 2) ok = CHECKF(mt_iv_parse(&iv, iv_flags[i], iv_flags[i + 1], &err), "%s", err.msg);
    if (ok) mt_session_set_interventions(x->s, &iv);
    mt_iv_free(&iv);
    uint32_t ids[43];
    mt_rng rng = mt_rng_seed(7, 0);
    for (uint32_t i = 0; i < 43; i++) ids[i] = (uint32_t)mt_rng_below(&rng, x->m->hp.n_vocab);
    ok = ok && CHECKF(mt_session_append(x->s, ids, 40, &err), "%s", err.msg);
    for (uint32_t i = 40; ok && i < 43; i++) ok = CHECKF(mt_session_append(x->s, ids + i, 1, &err), "%s", err.msg);
    return ok;
}

typedef struct stats {
    t_route_diff d; /* the backends' routes */
    double logit, route_weight, route_margin;
    uint32_t route_bad;
} stats;

/* The routing op on the device's own logits against the CPU's routing step. */
static void check_route_op(const side *vk, const mt_interventions *iv, uint32_t l, uint32_t t, stats *st) {
    const mt_hparams *hp = &vk->m->hp;
    uint32_t E = hp->n_expert, ex[64], order[64];
    float w[64], margin;
    const uint32_t *ev;
    const float *wv;
    float mv;
    uint32_t nv = mt_session_route(vk->s, l, t, &ev, &wv, &mv);
    uint32_t n = mt_iv_route(iv, l, hp->k, vk->m->family->router, mt_session_router_logits(vk->s, l, t), ex, w, &margin, order);
    bool same = n == nv && E <= 64;
    for (uint32_t i = 0; same && i < n; i++) same = ex[i] == ev[i];
    if (!same) {
        if (st->route_bad++ < 3) CHECKF(false, "layer %u token %u: route.comp chose other experts than mt_iv_route on its logits", l, t);
        return;
    }
    for (uint32_t i = 0; i < n; i++) st->route_weight = fmax(st->route_weight, fabs(w[i] - wv[i]));
    if (margin == MT_NO_MARGIN || mv == MT_NO_MARGIN) CHECKF(margin == mv, "layer %u token %u: margin %g against %g", l, t, (double)mv, (double)margin);
    else st->route_margin = fmax(st->route_margin, fabs(margin - mv));
}

static void compare(const side *cpu, const side *vk, const mt_interventions *iv, stats *st) {
    uint32_t T = mt_session_length(cpu->s);
    for (uint32_t l = 0; l < cpu->m->hp.n_layer; l++)
        for (uint32_t t = 0; t < T; t++) {
            check_route_op(vk, iv, l, t, st);
            t_route_diff_at(cpu->m, cpu->s, vk->s, l, t, MARGIN_SKIP, &st->d);
        }
    for (uint32_t t = 0; t < T; t++) st->logit = fmax(st->logit, t_logit_diff(cpu->m, cpu->s, vk->s, t));
}

/* path with iv_flags on both backends, compared. */
static void parity(const char *what, const char *path, const char *const *iv_flags) {
    mt_backend *vkb = test_vulkan_or_skip();
    if (!vkb) return;
    side cpu = { 0 }, vk = { 0 };
    bool ok = side_run(&vk, path, vkb, iv_flags) && side_run(&cpu, path, mt_cpu_backend_new(0), iv_flags);
    if (ok) {
        mt_interventions iv;
        mt_err err;
        mt_iv_init(&iv, cpu.m->hp.n_layer, cpu.m->hp.n_expert);
        for (int i = 0; iv_flags && iv_flags[i]; i += 2) mt_iv_parse(&iv, iv_flags[i], iv_flags[i + 1], &err);
        stats st = { 0 };
        compare(&cpu, &vk, &iv, &st);
        mt_iv_free(&iv);
        CHECKF(st.d.mismatches == 0 && st.route_bad == 0, "%s: %llu top-k sets differ, %u routes differ from mt_iv_route", what,
               (unsigned long long)st.d.mismatches, st.route_bad);
        CHECKF(st.logit <= LOGIT_TOL, "%s: logits differ by %.3g x scale", what, st.logit);
        CHECKF(st.d.weight <= WEIGHT_TOL && st.d.margin <= WEIGHT_TOL, "%s: weights differ by %.3g, margins by %.3g", what, st.d.weight, st.d.margin);
        CHECKF(st.route_weight <= ROUTE_TOL && st.route_margin <= ROUTE_TOL, "%s: route.comp's weights %.3g, margins %.3g from mt_iv_route's", what,
               st.route_weight, st.route_margin);
        printf("  %s: %llu (token, layer) sets equal, %llu near-ties skipped; logits %.1e x scale, weights %.1e, margins %.1e; "
               "route op against mt_iv_route: weights %.1e, margins %.1e\n",
               what, (unsigned long long)st.d.sets, (unsigned long long)st.d.ties, st.logit, st.d.weight, st.d.margin, st.route_weight, st.route_margin);
    }
    side_close(&cpu);
    side_close(&vk);
}

/* Every family, float and block weights, with and without interventions. */
static void families_with_interventions(void) {
    const char *none[] = { NULL };
    const char *each[] = { "mask", "1,2@0", "zero", "4@0", "k", "3@1", "drop", "0,5@1", "force", "6@2", NULL };
    const char *all_dropped[] = { "k", "8@0", "mask", "3@0", "drop", "0,1,2,3,4,5,6,7@2", NULL };
    for (int f = 0; f < 3; f++) {
        const char *types[2] = { "embd=f32,output=f32,attn=f32,router=f32,experts=f32", "embd=q8_0,output=q8_0,attn=q8_0,router=f32,experts=mxfp4" };
        for (int ty = 0; ty < 2; ty++) {
            const char *path = synth_family(families[f], types[ty], false);
            if (!path) continue;
            char what[200];
            snprintf(what, sizeof what, "%s %s", families[f], ty ? "q8_0/mxfp4" : "f32");
            parity(what, path, none);
            if (ty == 1) continue;
            snprintf(what, sizeof what, "%s f32, mask, zero, k, drop and force", families[f]);
            parity(what, path, each);
            snprintf(what, sizeof what, "%s f32, k = E, a mask, everything dropped", families[f]);
            parity(what, path, all_dropped);
        }
    }
}

/* The GPUs' kernels on this device too (swiglu.comp's plain SwiGLU): the workgroup kernels, and the
 * subgroup ones (from 16 tokens the tiled products; 40 tokens, then 3 one at a time). */
static void families_gpu_kernels(void) {
    static const char *const kernels[2] = { "group", "subgroup" };
    const char *each[] = { "mask", "1@0", "k", "3@1", "drop", "0@2", NULL };
    for (int k = 0; k < 2; k++) {
        setenv("MOETOP_VK_KERNELS", kernels[k], 1);
        for (int f = 0; f < 3; f++) {
            const char *path = synth_family(families[f], "embd=q8_0,output=f16,attn=bf16,router=f32,experts=mxfp4", false);
            char what[200];
            snprintf(what, sizeof what, "%s, MOETOP_VK_KERNELS=%s", families[f], kernels[k]);
            if (path) parity(what, path, each);
        }
    }
    unsetenv("MOETOP_VK_KERNELS");
}

/* One tensor per expert (older Mixtral files), gathered into the merged layout at upload (test_families.c
 * checks the two layouts of one model give the same numbers bit for bit, on either backend). */
static void split_experts(void) {
    const char *iv[] = { "mask", "2@1", "drop", "1@2", NULL };
    const char *path = synth_family("mixtral", "embd=q8_0,output=q8_0,attn=q8_0,router=f32,experts=q8_0", true);
    if (path) parity("mixtral, one tensor per expert (q8_0)", path, iv);
    path = synth_family("mixtral", "embd=f32,output=f32,attn=f32,router=f32,experts=bf16", true);
    if (path) parity("mixtral, one tensor per expert (bf16)", path, iv);
}

int main(void) {
    t_begin("vulkan-families");
    RUN(families_with_interventions);
    RUN(families_gpu_kernels);
    RUN(split_experts);
    if (test_validating()) t_run("validation_clean", test_validation_clean);
    return t_end();
}
