/* The other MoE families against llama.cpp: shared/oracle/families holds one
 * small random f32 model per family (Mixtral as `llama`, `qwen3moe`,
 * `olmoe`) with llama.cpp's outputs, which an independent float64 forward
 * confirmed. Its README's tolerances:
 *   logits within 1e-5 x max(1, max |logit|) at every position;
 *   top-k sets identical wherever the margin (k-th minus (k+1)-th probability) is >= 1e-4;
 *   mixing weights within 3e-6 where the sets are identical.
 * Also: margins and the full router distribution against the reference, the
 * older per-expert Mixtral layout (blk.N.ffn_gate.E.weight) equal to the
 * merged one, bad family files refused in one line, and the routing step of
 * softmax-before-top-k routers worked out by hand.
 *
 * On the CPU backend; with MOETOP_TEST_BACKEND=vulkan on the Vulkan backend
 * (tests/run.sh's vulkan pass), at the oracle's tolerances, and there also a file without
 * output.weight (the logits from token_embd, uploaded for the output head)
 * against the CPU backend. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/json_read.h"
#include "engine/backend.h"
#include "engine/gguf.h"
#include "engine/gguf_write.h"
#include "engine/intervene.h"
#include "engine/model.h"
#include "engine/session.h"
#include "engine/stats.h"
#include "support/backends.h"
#include "support/harness.h"
#include "support/proc.h"

/* the oracle's tolerances, on both backends (README, Other families) */
#define LOGIT_TOL 1e-5
#define WEIGHT_TOL 3e-6
#define MARGIN_MIN 1e-4

typedef struct fixture {
    mt_gguf *g;
    mt_model *m;
    mt_backend *be;
    mt_session *s;
    jv *expected;
    uint32_t *tokens, n_tokens;
} fixture;

static void close_fixture(fixture *f) {
    mt_session_free(f->s);
    free(f->tokens);
    jv_free(f->expected);
    if (f->be) f->be->destroy(f->be);
    mt_model_free(f->m);
    mt_gguf_close(f->g);
    memset(f, 0, sizeof *f);
}

/* The model at gguf (the fixture's, or a rewrite of it) with the fixture's
 * expected outputs, its tokens run as one prompt with every position's
 * logits kept. False (and the test skipped or failed) when it cannot run. */
static bool open_model_on(const char *gguf, const char *json, fixture *f, mt_backend *be) {
    memset(f, 0, sizeof *f);
    mt_err err;
    char jerr[256];
    f->g = mt_gguf_open(gguf, &err);
    f->m = f->g ? mt_model_load(f->g, &err) : NULL;
    if (!CHECKF(f->m != NULL, "%s", err.msg)) return false;
    f->be = be;
    if (!f->be) return false;
    if (!f->be->prepare(f->be, f->m, &err)) { /* a backend without the family's ops refuses it, saying why */
        if (test_on_vulkan()) t_skip("vulkan: %s", err.msg);
        else CHECKF(false, "%s", err.msg);
        return false;
    }
    f->expected = jv_parse_file(json, jerr, sizeof jerr);
    if (!CHECKF(f->expected != NULL, "%s: %s", json, jerr)) return false;
    const jv *toks = jv_get(f->expected, "tokens");
    f->n_tokens = (uint32_t)toks->len;
    f->tokens = malloc(toks->len * sizeof *f->tokens);
    for (size_t i = 0; i < toks->len; i++) f->tokens[i] = (uint32_t)jv_at(toks, i)->num;
    f->s = mt_session_new(f->m, f->be, &err);
    if (!CHECKF(f->s != NULL, "%s", err.msg)) return false;
    mt_session_keep_all_logits(f->s, true);
    return CHECKF(mt_session_append(f->s, f->tokens, f->n_tokens, &err), "%s", err.msg);
}

static bool open_model(const char *gguf, const char *json, fixture *f) {
    mt_backend *be = test_backend_new();
    bool ok = open_model_on(gguf, json, f, be);
    if (!f->be && be) be->destroy(be); /* the model did not load: not yet the fixture's */
    return ok;
}

static double max_abs(const jv *row) {
    double m = 0;
    for (size_t i = 0; i < row->len; i++) m = fmax(m, fabs(jv_at(row, i)->num));
    return m;
}

typedef struct family_stats {
    int compared, ties, set_mismatches, weight_mismatches, margin_mismatches;
    double logit, weight, margin, probs;
} family_stats;

/* p = softmax(z) over E, as the oracle's router_probs (in double). */
static void softmax(const float *z, uint32_t E, double *p) {
    double top = -INFINITY, sum = 0;
    for (uint32_t e = 0; e < E; e++) top = fmax(top, z[e]);
    for (uint32_t e = 0; e < E; e++) sum += p[e] = exp(z[e] - top);
    for (uint32_t e = 0; e < E; e++) p[e] /= sum;
}

static void compare_routing(const fixture *f, const jv *layers, family_stats *st) {
    const mt_hparams *hp = &f->m->hp;
    double *p = malloc(hp->n_expert * sizeof *p);
    for (uint32_t l = 0; l < hp->n_layer; l++) {
        const jv *lay = jv_at(layers, l);
        const jv *topk = jv_get(lay, "topk"), *weights = jv_get(lay, "weights"), *margins = jv_get(lay, "margin");
        const jv *probs = jv_get(lay, "router_probs");
        for (uint32_t t = 0; t < f->n_tokens; t++) {
            const uint32_t *ex;
            const float *w;
            float margin;
            uint32_t n = mt_session_route(f->s, l, t, &ex, &w, &margin);
            softmax(mt_session_router_logits(f->s, l, t), hp->n_expert, p);
            for (uint32_t e = 0; e < hp->n_expert; e++) st->probs = fmax(st->probs, fabs(p[e] - jv_at(jv_at(probs, t), e)->num));
            double want_margin = jv_at(margins, t)->num;
            st->margin = fmax(st->margin, fabs(margin - want_margin));
            if (fabs(margin - want_margin) > WEIGHT_TOL && st->margin_mismatches++ < 3)
                CHECKF(false, "layer %u token %u: margin %.8g, reference %.8g", l, t, (double)margin, want_margin);
            if (want_margin < MARGIN_MIN) {
                st->ties++;
                continue;
            }
            st->compared++;
            const jv *wt = jv_at(topk, t), *ww = jv_at(weights, t);
            /* as sets (the reference's top-k need not be sorted), weights matched by expert */
            bool same = wt->len == n;
            int at[64];
            for (uint32_t i = 0; same && i < n && i < 64; i++) {
                at[i] = -1;
                for (size_t j = 0; j < wt->len; j++)
                    if ((uint32_t)jv_at(wt, j)->num == ex[i]) at[i] = (int)j;
                same = at[i] >= 0;
            }
            if (!same || n > 64) {
                if (st->set_mismatches++ < 3) CHECKF(false, "layer %u token %u: experts differ from the reference (margin %g)", l, t, want_margin);
                continue;
            }
            for (uint32_t i = 0; i < n; i++) {
                double diff = fabs(w[i] - jv_at(ww, (size_t)at[i])->num);
                st->weight = fmax(st->weight, diff);
                if (diff > WEIGHT_TOL && st->weight_mismatches++ < 3)
                    CHECKF(false, "layer %u token %u expert %u: weight %.8g, reference %.8g", l, t, ex[i], (double)w[i],
                           jv_at(ww, (size_t)at[i])->num);
            }
        }
    }
    free(p);
}

static void check_family(const char *name, const char *arch) {
    char gguf_rel[128], json_rel[128];
    snprintf(gguf_rel, sizeof gguf_rel, "oracle/families/oracle-%s-a.gguf", name);
    snprintf(json_rel, sizeof json_rel, "oracle/families/oracle-%s-a.expected.json", name);
    const char *gguf = t_shared_file(gguf_rel), *json = t_shared_file(json_rel);
    fixture f;
    if (!gguf || !json || !open_model(gguf, json, &f)) {
        close_fixture(&f);
        return;
    }
    CHECKF(strcmp(f.m->family->arch, arch) == 0, "family %s, expected %s", f.m->family->arch, arch);
    const jv *base = jv_get(jv_get(f.expected, "cases"), "baseline"), *logits = jv_get(base, "logits");
    family_stats st = { 0 };
    compare_routing(&f, jv_get(base, "layers"), &st);
    for (uint32_t t = 0; t < f.n_tokens; t++) {
        const jv *want = jv_at(logits, t);
        const float *got = mt_session_logits(f.s, t);
        double scale = fmax(1.0, max_abs(want)), worst = 0;
        for (uint32_t v = 0; v < f.m->hp.n_vocab; v++) worst = fmax(worst, fabs(got[v] - jv_at(want, v)->num) / scale);
        st.logit = fmax(st.logit, worst);
        if (worst > LOGIT_TOL) CHECKF(false, "position %u: logits off by %.3g x scale", t, worst);
        const jv *argmax = jv_get(base, "argmax");
        uint32_t best = 0;
        for (uint32_t v = 1; v < f.m->hp.n_vocab; v++)
            if (got[v] > got[best]) best = v;
        CHECKF(best == (uint32_t)jv_at(argmax, t)->num, "position %u: argmax %u, reference %u", t, best, (uint32_t)jv_at(argmax, t)->num);
    }
    CHECKF(st.set_mismatches == 0 && st.weight_mismatches == 0 && st.margin_mismatches == 0, "%d set, %d weight, %d margin mismatches",
           st.set_mismatches, st.weight_mismatches, st.margin_mismatches);
    CHECKF(st.probs <= WEIGHT_TOL, "router probabilities off by %.3g", st.probs);
    printf("  %s (%s, %s): %d (token, layer) top-k sets compared and equal, %d near-ties (margin < 1e-4) skipped; "
           "worst logit %.2e x scale, weight %.2e, margin %.2e, router probability %.2e\n",
           name, arch, f.be->name, st.compared - st.set_mismatches, st.ties, st.logit, st.weight, st.margin, st.probs);
    close_fixture(&f);
}

static void oracle_mixtral(void) { check_family("mixtral", "llama"); }
static void oracle_qwen3moe(void) { check_family("qwen3moe", "qwen3moe"); }
static void oracle_olmoe(void) { check_family("olmoe", "olmoe"); }

/* ---- rewriting a fixture: another layout, or a key or tensor taken away -------- */

typedef struct rewrite {
    const char *drop_key;     /* a metadata key left out */
    const char *drop_tensor;  /* a tensor left out */
    const char *arch;         /* general.architecture replaced */
    bool split_experts;       /* ffn_*_exps as one tensor per expert (older Mixtral files) */
} rewrite;

static char *rewritten(const char *src, const char *name, const rewrite *r) {
    static char path[8][512];
    static int next;
    char *out = path[next++ % 8];
    snprintf(out, 512, "%s/%s", t_tmpdir(), name);
    mt_err err;
    mt_gguf *g = mt_gguf_open(src, &err);
    if (!CHECKF(g != NULL, "%s", err.msg)) return NULL;
    mt_gguf_writer *w = mt_gguf_writer_new();
    for (uint64_t i = 0; i < mt_gguf_kv_count(g); i++) {
        const mt_gguf_kv *kv = mt_gguf_kv_at(g, i);
        char key[256];
        snprintf(key, sizeof key, "%.*s", (int)kv->key.len, kv->key.ptr);
        if (r->drop_key && strcmp(key, r->drop_key) == 0) continue;
        if (strcmp(key, "general.alignment") == 0) continue; /* the writer sets it */
        if (r->arch && strcmp(key, "general.architecture") == 0) mt_gguf_set_str(w, key, r->arch);
        else mt_gguf_copy_kv(w, key, &kv->value);
    }
    for (uint64_t i = 0; i < mt_gguf_tensor_count(g); i++) {
        const mt_gguf_tensor *t = mt_gguf_tensor_at(g, i);
        char tname[256];
        snprintf(tname, sizeof tname, "%.*s", (int)t->name.len, t->name.ptr);
        if (r->drop_tensor && strcmp(tname, r->drop_tensor) == 0) continue;
        char *exps = strstr(tname, "_exps.weight");
        if (r->split_experts && exps && t->n_dims == 3) {
            uint64_t slice = t->nbytes / t->ne[2];
            *exps = 0;
            for (uint64_t e = 0; e < t->ne[2]; e++) {
                char one[300];
                snprintf(one, sizeof one, "%s.%llu.weight", tname, (unsigned long long)e); /* blk.N.ffn_gate.E.weight */
                mt_gguf_add_tensor(w, one, t->type, 2, t->ne, (const uint8_t *)t->data + e * slice);
            }
            continue;
        }
        mt_gguf_add_tensor(w, tname, t->type, t->n_dims, t->ne, t->data);
    }
    bool ok = mt_gguf_writer_write(w, out, NULL, NULL, &err);
    CHECKF(ok, "%s", ok ? "" : err.msg);
    mt_gguf_writer_free(w);
    mt_gguf_close(g);
    return ok ? out : NULL;
}

/* Older Mixtral files hold each expert as its own tensor: the same numbers as the merged layout. */
static void mixtral_per_expert_tensors(void) {
    const char *gguf = t_shared_file("oracle/families/oracle-mixtral-a.gguf");
    const char *json = t_shared_file("oracle/families/oracle-mixtral-a.expected.json");
    if (!gguf || !json) return;
    rewrite r = { .split_experts = true };
    const char *split = rewritten(gguf, "mixtral-split.gguf", &r);
    if (!split) return;
    fixture a = { 0 }, b = { 0 };
    if (!open_model(gguf, json, &a) || !open_model(split, json, &b)) {
        close_fixture(&a);
        close_fixture(&b);
        return;
    }
    CHECK(mt_gguf_find_tensor(b.g, "blk.0.ffn_gate.7.weight") && !mt_gguf_find_tensor(b.g, "blk.0.ffn_gate_exps.weight"));
    CHECK(b.m->split_experts && !a.m->split_experts);
    bool same = true;
    for (uint32_t t = 0; t < a.n_tokens; t++)
        same &= memcmp(mt_session_logits(a.s, t), mt_session_logits(b.s, t), a.m->hp.n_vocab * sizeof(float)) == 0;
    for (uint32_t l = 0; l < a.m->hp.n_layer; l++)
        for (uint32_t t = 0; t < a.n_tokens; t++) {
            const uint32_t *ea, *eb;
            const float *wa, *wb;
            float ma, mb;
            uint32_t na = mt_session_route(a.s, l, t, &ea, &wa, &ma), nb = mt_session_route(b.s, l, t, &eb, &wb, &mb);
            same &= na == nb && memcmp(ea, eb, na * 4) == 0 && memcmp(wa, wb, na * 4) == 0;
        }
    CHECKF(same, "the per-expert layout computes other numbers than the merged one");
    close_fixture(&a);
    close_fixture(&b);
}

/* Vulkan: a file without output.weight takes its logits from token_embd (llama.cpp's TENSOR_DUPLICATED),
 * which the Vulkan backend then uploads (it keeps an untied embedding in host memory): the CPU's logits. */
static void tied_output_against_cpu(void) {
    static const char *const names[2] = { "mixtral", "qwen3moe" };
    for (int i = 0; i < 2; i++) {
        char gguf_rel[128], json_rel[128], out[64];
        snprintf(gguf_rel, sizeof gguf_rel, "oracle/families/oracle-%s-a.gguf", names[i]);
        snprintf(json_rel, sizeof json_rel, "oracle/families/oracle-%s-a.expected.json", names[i]);
        snprintf(out, sizeof out, "%s-tied.gguf", names[i]);
        const char *gguf = t_shared_file(gguf_rel), *json = t_shared_file(json_rel);
        const char *tied = gguf && json ? rewritten(gguf, out, &(rewrite){ .drop_tensor = "output.weight" }) : NULL;
        fixture a = { 0 }, b = { 0 };
        if (tied && open_model_on(tied, json, &a, mt_cpu_backend_new(0)) && open_model(tied, json, &b)) {
            CHECK(b.m->output.data == b.m->token_embd.data);
            double worst = 0;
            for (uint32_t t = 0; t < a.n_tokens; t++) {
                const float *la = mt_session_logits(a.s, t), *lb = mt_session_logits(b.s, t);
                double scale = 1;
                uint32_t best_a = 0, best_b = 0;
                for (uint32_t v = 0; v < a.m->hp.n_vocab; v++) {
                    scale = fmax(scale, fabs(la[v]));
                    if (la[v] > la[best_a]) best_a = v;
                    if (lb[v] > lb[best_b]) best_b = v;
                }
                for (uint32_t v = 0; v < a.m->hp.n_vocab; v++) worst = fmax(worst, fabs(la[v] - lb[v]) / scale);
                CHECKF(best_a == best_b, "%s tied, position %u: argmax %u on %s, %u on the CPU", names[i], t, best_b, b.be->name, best_a);
            }
            CHECKF(worst <= LOGIT_TOL, "%s tied: logits off the CPU's by %.3g x scale", names[i], worst);
            printf("  %s without output.weight (token_embd as the output head) on %s: logits within %.2e x scale of the CPU's\n", names[i],
                   b.be->name, worst);
        }
        close_fixture(&a);
        close_fixture(&b);
    }
}

/* The error of loading src rewritten by r; it must name what. */
static void refused(const char *src, const char *name, const rewrite *r, const char *what) {
    const char *path = rewritten(src, name, r);
    if (!path) return;
    mt_err err = { 0 };
    mt_gguf *g = mt_gguf_open(path, &err);
    mt_model *m = g ? mt_model_load(g, &err) : NULL;
    CHECKF(m == NULL && strstr(err.msg, what) && !strchr(err.msg, '\n'), "%s: '%s' does not name %s", name, err.msg, what);
    mt_model_free(m);
    mt_gguf_close(g);
}

static void bad_family_files(void) {
    const char *mixtral = t_shared_file("oracle/families/oracle-mixtral-a.gguf");
    const char *qwen = t_shared_file("oracle/families/oracle-qwen3moe-a.gguf");
    const char *olmoe = t_shared_file("oracle/families/oracle-olmoe-a.gguf");
    if (!mixtral || !qwen || !olmoe) return;
    refused(mixtral, "unknown.gguf", &(rewrite){ .arch = "phi3" }, "'phi3' is not supported");
    refused(mixtral, "dense.gguf", &(rewrite){ .drop_key = "llama.expert_count" }, "'llama.expert_count' is missing");
    refused(qwen, "no-qnorm.gguf", &(rewrite){ .drop_tensor = "blk.1.attn_q_norm.weight" }, "'blk.1.attn_q_norm.weight' is missing");
    refused(qwen, "no-ff.gguf", &(rewrite){ .drop_key = "qwen3moe.expert_feed_forward_length" },
            "'qwen3moe.expert_feed_forward_length' is missing");
    refused(olmoe, "no-knorm.gguf", &(rewrite){ .drop_tensor = "blk.2.attn_k_norm.weight" }, "'blk.2.attn_k_norm.weight' is missing");
    refused(olmoe, "no-output.gguf", &(rewrite){ .drop_tensor = "output.weight" }, "'output.weight' is missing");
    refused(mixtral, "no-router.gguf", &(rewrite){ .drop_tensor = "blk.0.ffn_gate_inp.weight" }, "'blk.0.ffn_gate_inp.weight' is missing");
    /* the per-expert layout with one expert's tensor missing */
    const char *split = rewritten(mixtral, "split.gguf", &(rewrite){ .split_experts = true });
    if (split) refused(split, "split-missing.gguf", &(rewrite){ .drop_tensor = "blk.2.ffn_down.5.weight" }, "'blk.2.ffn_down.5.weight' is missing");
    /* tied embeddings: Mixtral and Qwen3-MoE files may leave output.weight out (llama.cpp reuses token_embd) */
    const char *tied = rewritten(mixtral, "tied.gguf", &(rewrite){ .drop_tensor = "output.weight" });
    mt_err err;
    mt_gguf *g = tied ? mt_gguf_open(tied, &err) : NULL;
    mt_model *m = g ? mt_model_load(g, &err) : NULL;
    CHECKF(m && m->output.data == m->token_embd.data, "%s", m ? "output is not token_embd" : err.msg);
    mt_model_free(m);
    mt_gguf_close(g);
    /* the command line: one line, exit 2 */
    const char *unknown = rewritten(mixtral, "unknown2.gguf", &(rewrite){ .arch = "phi3" });
    if (!unknown) return;
    const char *argv[] = { t_bin(), "trace", "-m", unknown, "--prompt", "hi", "--json", NULL };
    proc_result pr = proc_run(argv, NULL);
    CHECKF(pr.status == 2 && proc_count_lines(pr.err) == 1 && strstr(pr.err, "general.architecture") && pr.out_len == 0,
           "exit %d, stderr '%s'", pr.status, pr.err);
    proc_free(&pr);
}

/* ---- the routing step of softmax-before-top-k routers, by hand ------------------ */

/* One routing of the 4-expert example: z = (ln 4, ln 3, ln 2, ln 1), so the
 * full softmax is exactly p = (0.4, 0.3, 0.2, 0.1). */
typedef struct routed {
    uint32_t n, ex[4];
    float w[4], margin;
} routed;

static routed route4(const mt_interventions *iv, mt_router_kind kind, const float *z) {
    routed r;
    uint32_t order[4];
    r.n = mt_iv_route(iv, 0, 2, kind, z, r.ex, r.w, &r.margin, order);
    return r;
}

static bool is(const routed *r, uint32_t n, const uint32_t *ex, const double *w, double margin) {
    bool ok = r->n == n && (margin >= 1e8 ? r->margin >= 1e8f : fabs(r->margin - margin) < 1e-6);
    for (uint32_t i = 0; ok && i < n; i++) ok = r->ex[i] == ex[i] && fabs(r->w[i] - w[i]) < 1e-6;
    return ok;
}

#define ROUTE_IS(R, N, EX, W, M)                                                                                                \
    CHECKF(is(&(R), N, (const uint32_t[])EX, (const double[])W, M), "got n %u: %u %u %u, weights %.7f %.7f %.7f, margin %.7f", \
           (R).n, (R).ex[0], (R).ex[1], (R).ex[2], (double)(R).w[0], (double)(R).w[1], (double)(R).w[2], (double)(R).margin)
#define L(...) { __VA_ARGS__ }

static void softmax_router_by_hand(void) {
    const float z[4] = { logf(4), logf(3), logf(2), logf(1) }; /* p = (0.4, 0.3, 0.2, 0.1), k = 2 */
    const mt_router_kind NORM = MT_ROUTER_SOFTMAX_TOPK_NORM, RAW = MT_ROUTER_SOFTMAX_TOPK, OSS = MT_ROUTER_TOPK_SOFTMAX;
    mt_interventions iv;
    mt_err e;
    mt_iv_init(&iv, 1, 4);
    routed r;
    /* no intervention. Mixtral/Qwen: experts 0, 1 with 0.4/0.7 = 4/7 and 0.3/0.7 = 3/7; margin p1 - p2 = 0.3 - 0.2.
     * OLMoE: the probabilities themselves, 0.4 and 0.3 (summing to 0.7). gpt-oss on the same logits: the same
     * weights (softmax over the two kept logits), but its margin is in logits: ln 3 - ln 2 = 0.4054651. */
    r = route4(&iv, NORM, z); ROUTE_IS(r, 2, L(0, 1), L(4.0 / 7, 3.0 / 7), 0.1);
    r = route4(&iv, RAW, z);  ROUTE_IS(r, 2, L(0, 1), L(0.4, 0.3), 0.1);
    r = route4(&iv, OSS, z);  ROUTE_IS(r, 2, L(0, 1), L(4.0 / 7, 3.0 / 7), 0.4054651);
    /* --mask 0: expert 0's probability is removed before top-k; 1 and 2 take the slots. Renormalised:
     * 0.3/0.5 = 0.6 and 0.2/0.5 = 0.4. OLMoE: 0.3 and 0.2, still the model's probabilities (the masked
     * expert stays in their denominator). Margin: p2 - p3 = 0.2 - 0.1. */
    mt_iv_parse(&iv, "mask", "0", &e);
    r = route4(&iv, NORM, z); ROUTE_IS(r, 2, L(1, 2), L(0.6, 0.4), 0.1);
    r = route4(&iv, RAW, z);  ROUTE_IS(r, 2, L(1, 2), L(0.3, 0.2), 0.1);
    mt_iv_clear(&iv);
    /* --k 3: 4/9, 3/9, 2/9 renormalised; 0.4, 0.3, 0.2 raw; margin p2 - p3 = 0.1.
     * --k 4: every expert, nothing left to tie with (margin 1e9); renormalised weights are p itself. */
    mt_iv_parse(&iv, "k", "3", &e);
    r = route4(&iv, NORM, z); ROUTE_IS(r, 3, L(0, 1, 2), L(4.0 / 9, 3.0 / 9, 2.0 / 9), 0.1);
    r = route4(&iv, RAW, z);  ROUTE_IS(r, 3, L(0, 1, 2), L(0.4, 0.3, 0.2), 0.1);
    mt_iv_parse(&iv, "k", "4", &e);
    r = route4(&iv, NORM, z); ROUTE_IS(r, 4, L(0, 1, 2, 3), L(0.4, 0.3, 0.2, 0.1), 1e9);
    mt_iv_clear(&iv);
    /* --drop 1 after top-k: renormalised over what is kept, expert 0 gets 0.4/0.4 = 1; raw: 0.4 and 0.
     * The selection and margin are those before the drop. */
    mt_iv_parse(&iv, "drop", "1", &e);
    r = route4(&iv, NORM, z); ROUTE_IS(r, 2, L(0, 1), L(1.0, 0.0), 0.1);
    r = route4(&iv, RAW, z);  ROUTE_IS(r, 2, L(0, 1), L(0.4, 0.0), 0.1);
    mt_iv_clear(&iv);
    /* --force 3: expert 3 alone with weight 1 for every router (the contract), no margin */
    mt_iv_parse(&iv, "force", "3", &e);
    r = route4(&iv, RAW, z);  ROUTE_IS(r, 1, L(3), L(1.0), 1e9);
    r = route4(&iv, NORM, z); ROUTE_IS(r, 1, L(3), L(1.0), 1e9);
    mt_iv_clear(&iv);
    /* --zero changes no routing (the experts' outputs count as 0 in the MoE) */
    mt_iv_parse(&iv, "zero", "0", &e);
    r = route4(&iv, RAW, z); ROUTE_IS(r, 2, L(0, 1), L(0.4, 0.3), 0.1);
    mt_iv_clear(&iv);
    /* a NaN logit takes no part: p over the others = (0, 0.5, 1/3, 1/6); raw weights 0.5 and 1/3,
     * margin 1/3 - 1/6; renormalised 0.6 and 0.4 */
    const float zn[4] = { NAN, logf(3), logf(2), logf(1) };
    r = route4(&iv, RAW, zn);  ROUTE_IS(r, 2, L(1, 2), L(0.5, 1.0 / 3), 1.0 / 6);
    r = route4(&iv, NORM, zn); ROUTE_IS(r, 2, L(1, 2), L(0.6, 0.4), 1.0 / 6);
    /* entropies: H_full is H(softmax(z)) for every router; the mixing entropy of OLMoE's raw weights
     * (0.4, 0.3) is that of the weights normalised to sum 1, (4/7, 3/7), over ln 2 */
    const float raw[2] = { 0.4f, 0.3f };
    double h = -(4.0 / 7 * log(4.0 / 7) + 3.0 / 7 * log(3.0 / 7)) / log(2.0);
    CHECKF(fabs(mt_entropy_mix(raw, 2) - h) < 1e-6, "H_mix %.7f, by hand %.7f", mt_entropy_mix(raw, 2), h);
    double hf = -(0.4 * log(0.4) + 0.3 * log(0.3) + 0.2 * log(0.2) + 0.1 * log(0.1)) / log(4.0);
    CHECKF(fabs(mt_entropy_full(z, 4) - hf) < 1e-6, "H_full %.7f, by hand %.7f", mt_entropy_full(z, 4), hf);
    mt_iv_free(&iv);
}

int main(void) {
    t_begin(test_on_vulkan() ? "families-vulkan" : "families");
    RUN(oracle_mixtral);
    RUN(oracle_qwen3moe);
    RUN(oracle_olmoe);
    RUN(mixtral_per_expert_tensors);
    if (test_on_vulkan()) RUN(tied_output_against_cpu);
    if (!test_on_vulkan()) {
        RUN(bad_family_files);
        RUN(softmax_router_by_hand);
    }
    if (test_validating()) t_run("validation_clean", test_validation_clean);
    return t_end();
}
