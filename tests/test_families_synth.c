/* Synthetic models of the other families (`moetop synth --arch`): every
 * family in F32 and each type synth writes loads and routes by its own
 * definition (test_families.c has the oracle and the hand-worked routing);
 * a model at each family's real layer and expert counts (Qwen3-30B-A3B: 48 x
 * 128, top-8; Mixtral: 32 x 8, top-2; OLMoE: 16 x 64, top-8) with a tiny
 * width traces and opens in the explorer; `info` describes them; and every
 * experiment command runs on each family without crashing.
 * With MOETOP_TEST_BACKEND=vulkan (tests/run.sh's vulkan pass, validation on)
 * the routing of every family and type runs on the Vulkan backend instead, and
 * `trace --backend vulkan` of the real-shaped models (Qwen3-30B-A3B's 48 x 128
 * experts) routes as `trace` on the CPU does, interventions included. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/backend.h"
#include "engine/gguf.h"
#include "engine/model.h"
#include "engine/prune.h"
#include "engine/quant.h"
#include "engine/session.h"
#include "engine/synth.h"
#include "support/backends.h"
#include "support/cli_util.h"
#include "support/harness.h"

static const char *const archs[3] = { "llama", "qwen3moe", "olmoe" };

/* One family at a small shape in one type for the attention and expert weights. */
static char *synth_small(const char *arch, uint32_t type, bool split) {
    static char path[512];
    mt_synth_spec s = mt_synth_default_spec();
    mt_synth_preset("tiny", &s);
    s.arch = arch;
    s.split_experts = split;
    s.rope_base = 1e6f;
    s.rope_factor = 1.0f;
    s.n_expert = 8;
    s.k = 3;
    s.type_embd = s.type_output = s.type_attn = s.type_experts = type;
    snprintf(path, sizeof path, "%s/%s-%s%s.gguf", t_tmpdir(), arch, mt_type_get(type)->name, split ? "-split" : "");
    mt_err err;
    return CHECKF(mt_synth_write(&s, path, &err), "%s %s: %s", arch, mt_type_get(type)->name, err.msg) ? path : NULL;
}

/* Runs ids through the model; checks the routing follows the family's router. */
static void check_routes(const char *path, const char *arch) {
    mt_err err;
    mt_gguf *g = mt_gguf_open(path, &err);
    mt_model *m = g ? mt_model_load(g, &err) : NULL;
    mt_backend *be = m ? (test_on_vulkan() ? test_backend_new() : mt_cpu_backend_new(1)) : NULL;
    mt_session *s = NULL;
    if (m && !be) goto done; /* no Vulkan device: skipped */
    s = m ? mt_session_new(m, be, &err) : NULL;
    if (!CHECKF(s != NULL, "%s: %s", path, err.msg)) goto done;
    CHECKF(strcmp(m->family->arch, arch) == 0, "%s: family %s", path, m->family->arch);
    uint32_t ids[24];
    for (uint32_t i = 0; i < 24; i++) ids[i] = (i * 37 + 11) % m->hp.n_vocab;
    if (!CHECKF(mt_session_append(s, ids, 24, &err), "%s", err.msg)) goto done;
    const float *logits = mt_session_logits(s, 23);
    bool finite = true;
    for (uint32_t v = 0; v < m->hp.n_vocab; v++) finite &= isfinite(logits[v]);
    CHECKF(finite, "%s: logits not finite", path);
    uint32_t E = m->hp.n_expert, bad = 0;
    for (uint32_t l = 0; l < m->hp.n_layer; l++)
        for (uint32_t t = 0; t < 24; t++) {
            const uint32_t *ex;
            const float *w;
            float margin;
            uint32_t n = mt_session_route(s, l, t, &ex, &w, &margin);
            const float *z = mt_session_router_logits(s, l, t);
            double top = -INFINITY, sum = 0, wsum = 0;
            for (uint32_t e = 0; e < E; e++) top = fmax(top, z[e]);
            for (uint32_t e = 0; e < E; e++) sum += exp(z[e] - top);
            for (uint32_t i = 0; i < n; i++) wsum += w[i];
            bool ok = n == m->hp.k;
            for (uint32_t i = 0; ok && i + 1 < n; i++) ok = z[ex[i]] >= z[ex[i + 1]]; /* rank order */
            if (m->family->router == MT_ROUTER_SOFTMAX_TOPK) /* OLMoE: the full softmax's probabilities */
                for (uint32_t i = 0; ok && i < n; i++) ok = fabs(w[i] - exp(z[ex[i]] - top) / sum) < 1e-6;
            else ok = ok && fabs(wsum - 1) < 1e-6;
            double p_last = exp(z[ex[n - 1]] - top) / sum, p_next = -1;
            for (uint32_t e = 0; e < E; e++) { /* the first left out: the highest p not selected */
                bool sel = false;
                for (uint32_t i = 0; i < n; i++) sel |= ex[i] == e;
                if (!sel) p_next = fmax(p_next, exp(z[e] - top) / sum);
            }
            ok = ok && fabs(margin - (p_last - p_next)) < 1e-6; /* in probability */
            if (!ok && bad++ < 3) CHECKF(false, "%s layer %u token %u: routing not by the family's rule", path, l, t);
        }
done:
    mt_session_free(s);
    if (be) be->destroy(be);
    mt_model_free(m);
    mt_gguf_close(g);
}

static void every_family_every_type(void) {
    const uint32_t types[] = { MT_TYPE_F32, MT_TYPE_F16, MT_TYPE_BF16, MT_TYPE_Q8_0, MT_TYPE_MXFP4 };
    for (int a = 0; a < 3; a++)
        for (size_t t = 0; t < sizeof types / sizeof *types; t++) {
            const char *path = synth_small(archs[a], types[t], false);
            if (path) check_routes(path, archs[a]);
        }
    const char *split = synth_small("llama", MT_TYPE_Q8_0, true); /* the older Mixtral layout */
    if (split) check_routes(split, "llama");
    mt_synth_spec s = mt_synth_default_spec();
    s.arch = "qwen3moe";
    s.split_experts = true;
    mt_err err;
    CHECKF(!mt_synth_check(&s, &err) && strstr(err.msg, "--split-experts"), "split experts for qwen3moe: %s", err.msg);
}

/* The real layer and expert counts of each family at a tiny width. */
static const struct real_shape {
    const char *arch, *name, *layers, *experts, *k;
} real[3] = {
    { "qwen3moe", "qwen3-30b-a3b-shape", "48", "128", "8" },
    { "mixtral", "mixtral-8x7b-shape", "32", "8", "2" },
    { "olmoe", "olmoe-1b-7b-shape", "16", "64", "8" },
};

static const char *real_path(int i) {
    static char path[3][512];
    snprintf(path[i], sizeof path[i], "%s/%s.gguf", t_tmpdir(), real[i].name);
    return path[i];
}

static bool synth_real(int i) {
    proc_result r = run_moetop("synth", "--arch", real[i].arch, "--preset", "tiny", "--layers", real[i].layers, "--experts",
                               real[i].experts, "--k", real[i].k, "--ff", "32", "-q", "-o", real_path(i), NULL);
    bool ok = CHECKF(r.status == 0, "synth %s: exit %d: %s", real[i].name, r.status, r.err);
    proc_free(&r);
    return ok;
}

static void real_shapes_trace_and_explore(void) {
    const char *script = "j\nj\nl\nTab\nm\nK\nEnd\nTab\n";
    char script_path[512];
    snprintf(script_path, sizeof script_path, "%s/keys.txt", t_tmpdir());
    t_write_file(script_path, script, strlen(script));
    for (int i = 0; i < 3; i++) {
        if (!synth_real(i)) continue;
        proc_result r = run_moetop("trace", "-m", real_path(i), "--prompt", "The cat sat on the mat.", "--mask", "1@0", "--json", NULL);
        char err[256];
        jv *j = r.status == 0 ? jv_parse(r.out, r.out_len, err, sizeof err) : NULL;
        if (CHECKF(j != NULL, "trace %s: exit %d: %s", real[i].name, r.status, r.err)) {
            const jv *layers = jv_get(j, "layers");
            CHECK(jv_num(j, "n_layer", 0) == atof(real[i].layers) && jv_num(j, "n_expert", 0) == atof(real[i].experts));
            CHECK(layers && layers->len == (size_t)atoi(real[i].layers));
            const jv *topk = layers ? jv_at(jv_get(jv_at(layers, 0), "topk"), 0) : NULL;
            CHECKF(topk && topk->len == (size_t)atoi(real[i].k), "%s: top-k of the first token", real[i].name);
            for (size_t e = 0; topk && e < topk->len; e++) CHECKF(jv_at(topk, e)->num != 1, "%s: a masked expert selected", real[i].name);
        }
        jv_free(j);
        proc_free(&r);
        char frame[512];
        snprintf(frame, sizeof frame, "%s/%s.txt", t_tmpdir(), real[i].name);
        r = run_moetop("explore", "-m", real_path(i), "--prompt", "The cat sat on the mat.", "--headless", "--size", "120x40", "--script",
                       script_path, "--export-frame", frame, NULL);
        CHECKF(r.status == 0, "explore %s: exit %d: %s", real[i].name, r.status, r.err);
        proc_free(&r);
        unsigned long len = 0;
        char *text = t_read_file(frame, &len);
        int lines = 0;
        for (unsigned long c = 0; text && c < len; c++) lines += text[c] == '\n';
        CHECKF(text && lines == 40, "%s: the frame has %d lines", real[i].name, lines);
        free(text);
        /* info names the family and what it computes */
        r = run_moetop("info", "-m", real_path(i), NULL);
        CHECKF(r.status == 0 && strstr(r.out, "router: softmax over all experts, top-k") && strstr(r.out, real[i].experts),
               "info %s: %s", real[i].name, r.out);
        proc_free(&r);
    }
    proc_result r = run_moetop("synth", "--arch", "phi3", "-o", "x.gguf", NULL);
    CHECKF(is_clean_usage_error(&r) && strstr(r.err, "--arch"), "synth --arch phi3: exit %d: %s", r.status, r.err);
    proc_free(&r);
    r = run_moetop("synth", "--arch", "olmoe", "--swa", "8", "-o", "x.gguf", NULL);
    CHECKF(is_clean_usage_error(&r) && strstr(r.err, "--swa"), "synth --arch olmoe --swa: exit %d: %s", r.status, r.err);
    proc_free(&r);
}

/* Vulkan: each real-shaped model traced with interventions by `trace --backend vulkan` routes as
 * `trace` on the CPU (top-k sets where the CPU's margin is at least 1e-4, weights within 3e-6), with no
 * validation message and no fallback. */
static void real_shapes_on_vulkan(void) {
    for (int i = 0; i < 3; i++) {
        if (!synth_real(i)) continue;
        jv *j[2] = { NULL, NULL };
        for (int b = 0; b < 2; b++) {
            proc_result r = run_moetop("trace", "-m", real_path(i), "--backend", b ? "vulkan" : "cpu", "--prompt", "The cat sat on the mat.",
                                       "--mask", "1@0", "--k", "3@1", "--drop", "0@2", "--force", "2@3", "--json", NULL);
            char err[256];
            j[b] = r.status == 0 ? jv_parse(r.out, r.out_len, err, sizeof err) : NULL;
            CHECKF(j[b] != NULL, "trace %s on %s: exit %d: %s", real[i].name, b ? "vulkan" : "cpu", r.status, r.err);
            CHECKF(!strstr(r.err, "vulkan validation") && !strstr(r.err, "using the CPU"), "trace %s --backend vulkan: %s", real[i].name, r.err);
            proc_free(&r);
        }
        const jv *be = j[1] ? jv_get(j[1], "backend") : NULL;
        if (j[0] && j[1] && CHECKF(be && be->kind == JV_STR && strcmp(be->str, "vulkan") == 0, "%s: not run on vulkan", real[i].name)) {
            const jv *la = jv_get(j[0], "layers"), *lb = jv_get(j[1], "layers");
            int compared = 0, differ = 0;
            double worst = 0;
            for (size_t l = 0; la && lb && l < la->len && l < lb->len; l++) {
                const jv *ta = jv_get(jv_at(la, l), "topk"), *tb = jv_get(jv_at(lb, l), "topk");
                const jv *wa = jv_get(jv_at(la, l), "weights"), *wb = jv_get(jv_at(lb, l), "weights"), *ma = jv_get(jv_at(la, l), "margin");
                for (size_t t = 0; t < ta->len; t++) {
                    const jv *m = jv_at(ma, t);
                    if (m->kind == JV_NUM && m->num < 1e-4) continue;
                    compared++;
                    const jv *ea = jv_at(ta, t), *eb = jv_at(tb, t);
                    bool same = ea->len == eb->len;
                    for (size_t k = 0; same && k < ea->len; k++) same = jv_at(ea, k)->num == jv_at(eb, k)->num;
                    if (!same) {
                        differ++;
                        continue;
                    }
                    for (size_t k = 0; k < ea->len; k++) worst = fmax(worst, fabs(jv_at(jv_at(wa, t), k)->num - jv_at(jv_at(wb, t), k)->num));
                }
            }
            CHECKF(compared > 0 && differ == 0 && worst <= 3e-6, "%s: %d of %d top-k sets differ between the backends, weights by %.3g",
                   real[i].name, differ, compared, worst);
            printf("  %s: %d (token, layer) top-k sets equal on vulkan and cpu, weights within %.1e\n", real[i].name, compared, worst);
        }
        jv_free(j[0]);
        jv_free(j[1]);
    }
}

/* A session over path with iv installed, after 16 ids; NULL on failure (checked). */
typedef struct run {
    mt_gguf *g;
    mt_model *m;
    mt_backend *be;
    mt_session *s;
} run;

static bool run_open(run *r, const char *path, const char *mask_odd) {
    memset(r, 0, sizeof *r);
    mt_err err;
    r->g = mt_gguf_open(path, &err);
    r->m = r->g ? mt_model_load(r->g, &err) : NULL;
    r->be = r->m ? mt_cpu_backend_new(1) : NULL;
    r->s = r->be ? mt_session_new(r->m, r->be, &err) : NULL;
    if (!CHECKF(r->s != NULL, "%s: %s", path, err.msg)) return false;
    mt_session_keep_all_logits(r->s, true);
    mt_interventions iv;
    mt_iv_init(&iv, r->m->hp.n_layer, r->m->hp.n_expert);
    if (mask_odd) mt_iv_parse(&iv, "mask", mask_odd, &err);
    mt_session_set_interventions(r->s, &iv);
    mt_iv_free(&iv);
    uint32_t ids[16];
    for (uint32_t i = 0; i < 16; i++) ids[i] = (i * 53 + 7) % r->m->hp.n_vocab;
    return CHECKF(mt_session_append(r->s, ids, 16, &err), "%s", err.msg);
}

static void run_close(run *r) {
    mt_session_free(r->s);
    if (r->be) r->be->destroy(r->be);
    mt_model_free(r->m);
    mt_gguf_close(r->g);
}

/* A structural prune of each family (the even experts kept) against the
 * original under --mask of the odd ones: renormalising routers (Mixtral,
 * Qwen3-MoE) give the same logits bit for bit; OLMoE selects the same experts
 * with weights p_i / (sum of the kept experts' p), its denominator having
 * lost the removed ones (README, prune). */
static void prune_each_family(void) {
    for (int a = 0; a < 3; a++) {
        const char *in = synth_small(archs[a], MT_TYPE_Q8_0, false);
        if (!in) continue;
        char out[600];
        snprintf(out, sizeof out, "%s.pruned.gguf", in);
        mt_err err;
        mt_gguf *g = mt_gguf_open(in, &err);
        mt_prune_plan p;
        if (!CHECKF(g && mt_prune_plan_init(&p, g, &err), "%s", err.msg)) {
            mt_gguf_close(g);
            continue;
        }
        for (uint32_t i = 0; i < p.n_layer * p.n_expert; i++) p.keep[i] = i % 2 == 0;
        bool ok = CHECKF(mt_prune_write(g, &p, out, &err), "%s", err.msg);
        p.soft = true;
        CHECKF(!mt_prune_check(g, &p, &err) && strstr(err.msg, "no router bias"), "%s --soft: %s", archs[a], err.msg);
        mt_prune_plan_free(&p);
        mt_gguf_close(g);
        run orig = { 0 }, pruned = { 0 };
        if (ok && run_open(&orig, in, "1,3,5,7") && run_open(&pruned, out, NULL)) {
            const mt_hparams *hp = &orig.m->hp;
            CHECK(pruned.m->hp.n_expert == hp->n_expert / 2);
            bool olmoe = orig.m->family->router == MT_ROUTER_SOFTMAX_TOPK, same_logits = true;
            for (uint32_t t = 0; t < 16; t++)
                same_logits &= memcmp(mt_session_logits(orig.s, t), mt_session_logits(pruned.s, t), hp->n_vocab * 4) == 0;
            if (!olmoe) CHECKF(same_logits, "%s: the pruned file's logits differ from the masked original's", archs[a]);
            int bad = 0;
            for (uint32_t t = 0; olmoe && t < 16; t++) { /* layer 0: the same input in both */
                const uint32_t *eo, *ep;
                const float *wo, *wp;
                float mo, mp;
                uint32_t no = mt_session_route(orig.s, 0, t, &eo, &wo, &mo), np = mt_session_route(pruned.s, 0, t, &ep, &wp, &mp);
                const float *z = mt_session_router_logits(orig.s, 0, t);
                double top = -INFINITY, kept = 0;
                for (uint32_t e = 0; e < hp->n_expert; e += 2) top = fmax(top, z[e]);
                for (uint32_t e = 0; e < hp->n_expert; e += 2) kept += exp(z[e] - top);
                bool ok_t = no == np;
                for (uint32_t i = 0; ok_t && i < no; i++)
                    ok_t = eo[i] == 2 * ep[i] && fabs(wp[i] - exp(z[eo[i]] - top) / kept) < 1e-6 && wo[i] < wp[i];
                if (!ok_t && bad++ < 3) CHECKF(false, "olmoe token %u: pruned routing is not the masked one renormalised over the kept", t);
            }
        }
        run_close(&orig);
        run_close(&pruned);
    }
}

/* Every command that runs a model, on a small synth of each family: exit 0;
 * in the Vulkan pass with --backend vulkan (all but tokenize), and trace's
 * JSON must say it ran there. */
static void every_command_on_each_family(void) {
    bool vk = test_on_vulkan();
    const char *dir = t_tmpdir();
    char a_dir[512], b_dir[512], file[600], probs[512], ctx[512];
    snprintf(a_dir, sizeof a_dir, "%s/set-a", dir);
    snprintf(b_dir, sizeof b_dir, "%s/set-b", dir);
    snprintf(probs, sizeof probs, "%s/problems.jsonl", dir);
    snprintf(ctx, sizeof ctx, "%s/contexts.txt", dir);
    char mk[1200];
    snprintf(mk, sizeof mk, "mkdir -p '%s' '%s'", a_dir, b_dir);
    if (!CHECK(system(mk) == 0)) return;
    snprintf(file, sizeof file, "%s/animals.txt", a_dir);
    const char *animals = "the cat sat on the mat\n\na dog ran far away\n", *math = "12 + 30 = 42\n\n7 * 6 = 42\n";
    t_write_file(file, animals, strlen(animals));
    snprintf(file, sizeof file, "%s/math.txt", b_dir);
    t_write_file(file, math, strlen(math));
    const char *p = "{\"prompt\": \"1 + 1 =\", \"answer\": \"2\"}\n{\"prompt\": \"2 + 2 =\", \"answer\": \"4\"}\n";
    t_write_file(probs, p, strlen(p));
    const char *c = "the bank of the river\n\nthe bank lent money\n\nthe bank was closed\n";
    t_write_file(ctx, c, strlen(c));
    const char *P = "The cat sat on the mat, 12 + 30 = 42.";
    static const char *const fams[3] = { "qwen3moe", "mixtral", "olmoe" };
    for (int f = 0; f < 3; f++) {
        char m[512], out[600], out2[600];
        snprintf(m, sizeof m, "%s/smoke-%s.gguf", dir, fams[f]);
        snprintf(out, sizeof out, "%s/smoke-%s.out", dir, fams[f]);
        snprintf(out2, sizeof out2, "%s/smoke-%s.txt", dir, fams[f]);
        proc_result r = run_moetop("synth", "--arch", fams[f], "--preset", "tiny", "--layers", "3", "--experts", "8", "--k", "2", "-q", "-o", m, NULL);
        bool ok = CHECKF(r.status == 0, "synth %s: %s", fams[f], r.err);
        proc_free(&r);
        if (!ok) continue;
        const char *const cmds[][14] = {
            { "trace", "--prompt", P, "--json" },
            { "generate", "--prompt", P, "-n", "4", "--json" },
            { "bench", "-p", "8", "-n", "4", "--json" },
            { "tokenize", "hello" },
            { "entropy", "--prompt", P, "--json" },
            { "coact", "--prompt", P, "--json" },
            { "sweep", "--prompts", a_dir, "--json" },
            { "cold", "--prompt", P },
            { "domains", "--prompts", a_dir, "--permutations", "20" },
            { "export", "--prompts", a_dir, "-o", out },
            { "profile", "--data", "examples/corpus.jsonl", "-o", out },
            { "compare", "--prompt", P, "--cond", "m: --mask 1", "--each", "drop@0", "-n", "4", "--json" },
            { "eval", "--problems", probs, "--cond", "k1: --k 1", "-n", "4", "--json" },
            { "ppl", "--prompt", P, "--cond", "z: --zero 2", "--json" },
            { "context", "--context", "the bank of the river", "--context", "the bank lent money", "--token", "bank", "--json" },
            { "probe", "--prompt", P, "--json" },
            { "vocab-map", "--json" },
            { "taxonomy", "--prompts", a_dir, "--json" },
            { "divergence", "--prompts", a_dir, "--vs-prompts", b_dir, "--permutations", "20", "--json" },
            { "circuits", "--prompt", P, "--json" },
            { "dynamics", "--prompt", P, "--json" },
            { "importance", "--prompt", P, "--json" },
            { "similarity", "--prompt", P, "--json" },
            { "predict", "--prompt", P, "--json" },
            { "attention-routing", "--contexts-file", ctx, "--token", "bank", "--permutations", "20", "--json" },
            { "explore", "--headless", "--prompt", P, "--size", "100x30", "--export-frame", out2 },
            { "prune", "-o", out, "--keep", "4", "--prompts", a_dir },
        };
        for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++) {
            const char *argv[22] = { t_bin(), cmds[i][0], "-m", m };
            int n = 4;
            if (vk && strcmp(cmds[i][0], "tokenize") != 0) argv[n++] = "--backend", argv[n++] = "vulkan";
            for (int j = 1; j < 14 && cmds[i][j]; j++) argv[n++] = cmds[i][j];
            argv[n] = NULL;
            r = proc_run_deadline(argv, NULL, 300);
            CHECKF(r.status == 0, "%s %s: exit %d: %.300s", fams[f], cmds[i][0], r.status, r.err);
            if (vk && i == 0) CHECKF(r.status == 0 && strstr(r.out, "\"backend\":\"vulkan\""), "%s trace --backend vulkan ran on: %.200s", fams[f], r.out);
            proc_free(&r);
        }
    }
}

int main(void) {
    t_begin(test_on_vulkan() ? "families-synth-vulkan" : "families-synth");
    RUN(every_family_every_type);
    if (test_on_vulkan()) { /* the CPU-only tests below are the CPU pass's */
        RUN(real_shapes_on_vulkan);
        RUN(every_command_on_each_family);
        if (test_validating()) t_run("validation_clean", test_validation_clean);
        return t_end();
    }
    RUN(real_shapes_trace_and_explore);
    RUN(prune_each_family);
    RUN(every_command_on_each_family);
    return t_end();
}
