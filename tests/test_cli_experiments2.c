/* Experiments II through the binary on the oracle's fixture a, against
 * numbers recomputed from `trace`: context (a pair sharing a prefix, a target
 * that tokenizes differently after a space, the routing equal to the trace's),
 * divergence, taxonomy, probe and vocab-map; every bad input an exit 2 with
 * one line. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "support/cli_util.h"
#include "support/fixtures.h"
#include "support/harness.h"

static jv *json_of(proc_result *r) {
    char err[256];
    jv *v = r->status == 0 ? jv_parse(r->out, r->out_len, err, sizeof err) : NULL;
    CHECKF(v != NULL, "exit %d: %s", r->status, r->status ? r->err : err);
    proc_free(r);
    return v;
}

/* the routing of the last token of a trace at every layer equals a context's */
static void same_routing_as_trace(const char *gguf, const char *prompt, const jv *ctx) {
    proc_result t = run_moetop("trace", "-m", gguf, "--prompt", prompt, "--json", NULL);
    jv *tr = json_of(&t);
    if (!tr) return;
    const jv *layers = jv_get(tr, "layers"), *cl = jv_get(ctx, "layers");
    size_t last = jv_get(tr, "tokens")->len - 1;
    CHECK(layers && cl && layers->len == cl->len && (size_t)jv_num(ctx, "position", -1) == last);
    for (size_t l = 0; layers && cl && l < layers->len && l < cl->len; l++) {
        const jv *topk = jv_at(jv_get(jv_at(layers, l), "topk"), last), *w = jv_at(jv_get(jv_at(layers, l), "weights"), last);
        const jv *ctopk = jv_get(jv_at(cl, l), "topk"), *cw = jv_get(jv_at(cl, l), "weights");
        CHECK(topk->len == ctopk->len);
        for (size_t i = 0; i < topk->len && i < ctopk->len; i++)
            CHECKF(jv_at(topk, i)->num == jv_at(ctopk, i)->num && jv_at(w, i)->num == jv_at(cw, i)->num, "layer %zu rank %zu", l, i);
    }
    jv_free(tr);
}

static void context_by_ids(void) {
    const char *a = fixture_path('a', ".gguf");
    if (!a) return;
    /* a pair sharing the prefix up to the target: identical routing by construction (a causal model),
     * so every Jaccard is 1 and one top expert */
    proc_result r = run_moetop("context", "-m", a, "--token", "127", "--context", "abc 127 x", "--context", "abc 127 yy", "--json", NULL);
    jv *v = json_of(&r);
    if (v) {
        const jv *layers = jv_get(v, "layers"), *ctx = jv_get(v, "contexts");
        CHECK(ctx && ctx->len == 2 && layers && layers->len == 4);
        for (size_t l = 0; layers && l < layers->len; l++)
            CHECK(jv_num(jv_at(layers, l), "jaccard_mean", -1) == 1 && jv_num(jv_at(layers, l), "distinct_top", -1) == 1);
        /* "127" is the ids 12, 7 in this vocabulary: the routing read is 7's, at position 4 */
        CHECK(jv_num(jv_at(ctx, 0), "position", -1) == 4 && jv_num(jv_at(ctx, 0), "id", -1) == 22 && jv_num(jv_at(ctx, 0), "start", -1) == 3);
        same_routing_as_trace(a, "abc 127", jv_at(ctx, 0));
        jv_free(v);
    }
    /* "the" is t, he at the start, and the one token " the" after a space: target_ids says which */
    r = run_moetop("context", "-m", a, "--token", "the", "--context", "the cat", "--context", "see the cat sat", "--json", NULL);
    if ((v = json_of(&r))) {
        const jv *c0 = jv_at(jv_get(v, "contexts"), 0), *c1 = jv_at(jv_get(v, "contexts"), 1);
        const jv *t0 = jv_get(c0, "target_ids"), *t1 = jv_get(c1, "target_ids");
        CHECK(t0 && t0->len == 2 && jv_at(t0, 0)->num == 83 && jv_at(t0, 1)->num == 273 && !jv_get(c0, "spaced")->b);
        CHECK(t1 && t1->len == 1 && jv_at(t1, 0)->num == 290 && jv_get(c1, "spaced")->b);
        CHECK(jv_num(c0, "position", -1) == 1 && jv_num(c0, "start", -1) == 0 && jv_num(c1, "position", -1) == 2);
        same_routing_as_trace(a, "see the", c1);
        same_routing_as_trace(a, "the", c0);
        /* one start and one later context: the start/later means have no pair, across is the mean */
        const jv *l0 = jv_at(jv_get(v, "layers"), 0);
        CHECK(jv_get(l0, "jaccard_start")->kind == JV_NULL && jv_num(l0, "jaccard_across", -1) == jv_num(l0, "jaccard_mean", -2));
        jv_free(v);
    }
    /* the last occurrence of the ids: x , x , x " " x -> position 6 */
    r = run_moetop("context", "-m", a, "--token", "x", "--context", "x,x,x x", "--json", NULL);
    if ((v = json_of(&r))) {
        CHECK(jv_num(jv_at(jv_get(v, "contexts"), 0), "position", -1) == 6);
        jv_free(v);
    }
    /* a substring is not an occurrence: "he" is in "the" only as text */
    r = run_moetop("context", "-m", a, "--token", "at", "--context", "the cat", NULL);
    CHECKF(r.status == 0, "%s", r.err); /* " c", "at": the ids of "at" are there */
    proc_free(&r);
    r = run_moetop("context", "-m", a, "--token", "ca", "--context", "the cat", NULL);
    CHECKF(is_clean_usage_error(&r), "exit %d: %s", r.status, r.err);
    proc_free(&r);
    r = run_moetop("context", "-m", a, "--context", "the cat", NULL);
    CHECK(is_clean_usage_error(&r));
    proc_free(&r);
    r = run_moetop("context", "-m", a, "--token", "x", "--context", "x", "--contexts-file", "/nonexistent", NULL);
    CHECK(is_clean_usage_error(&r));
    proc_free(&r);
    r = run_moetop("context", "-m", a, "--token", "x", "--contexts-file", "/nonexistent", NULL);
    CHECK(is_clean_usage_error(&r));
    proc_free(&r);
    r = run_moetop("context", "-m", a, "--token", "x", "--context", "x", "--prompt", "x y", NULL);
    CHECK(is_clean_usage_error(&r));
    proc_free(&r);
    char path[512];
    snprintf(path, sizeof path, "%s/contexts.txt", t_tmpdir());
    const char *file = "abc 127\r\n\r\n111 127\n\n127\n";
    CHECK(t_write_file(path, file, strlen(file)));
    r = run_moetop("context", "-m", a, "--token", "127", "--contexts-file", path, "--csv", NULL);
    CHECKF(r.status == 0 && strncmp(r.out, "context,position,id,layer,rank,expert,weight,entropy\n", 53) == 0, "%s", r.err);
    size_t rows = 0;
    for (size_t i = 0; i < r.out_len; i++) rows += r.out[i] == '\n';
    CHECKF(rows == 1 + 3 * 4 * 2, "%zu rows", rows); /* 3 contexts x 4 layers x k = 2 */
    proc_free(&r);
}

/* adds the selections (weight > 0) of every token of a prompt to counts[L][E] */
/* context's most attended tokens equal attention-routing's (both from the engine's attention
 * probabilities at the target): positions before the target, most first, weights in [0, 1]. */
static void context_attended_tokens(void) {
    const char *a = fixture_path('a', ".gguf");
    if (!a) return;
    proc_result c = run_moetop("context", "-m", a, "--token", "fox", "--context", "The quick brown fox", "--context",
                               "a fox", "--context", "one fox two", "--json", NULL);
    proc_result r = run_moetop("attention-routing", "-m", a, "--token", "fox", "--context", "The quick brown fox", "--context",
                               "a fox", "--context", "one fox two", "--json", NULL);
    jv *cj = json_of(&c), *rj = json_of(&r);
    for (size_t k = 0; cj && rj && k < 3; k++) {
        const jv *ctx = jv_at(jv_get(cj, "contexts"), k), *other = jv_at(jv_get(rj, "contexts"), k);
        double pos = jv_num(ctx, "position", -1);
        CHECK(pos == jv_num(other, "position", -2));
        const jv *layers = jv_get(ctx, "layers"), *most = jv_get(other, "most_attended");
        for (size_t l = 0; layers && l < layers->len; l++) {
            const jv *att = jv_get(jv_at(layers, l), "attended"), *want = jv_at(most, l);
            if (!CHECKF(att && want && att->len == want->len && att->len == (pos + 1 < 3 ? pos + 1 : 3), "context %zu layer %zu", k, l)) continue;
            double last = 2;
            for (size_t i = 0; i < att->len; i++) {
                const jv *x = jv_at(att, i), *y = jv_at(want, i);
                double w = jv_num(x, "weight", -1);
                CHECK(jv_num(x, "position", -1) == jv_num(y, "position", -2) && w == jv_num(y, "weight", -2));
                CHECK(w >= 0 && w <= 1 && w <= last && jv_num(x, "position", -1) <= pos);
                last = w;
            }
        }
    }
    jv_free(cj);
    jv_free(rj);
    proc_free(&c);
    proc_free(&r);
}

static void add_selections(const char *gguf, const char *prompt, double *counts, size_t E) {
    proc_result run = run_moetop("trace", "-m", gguf, "--prompt", prompt, "--special", "--json", NULL);
    jv *tr = json_of(&run);
    const jv *layers = tr ? jv_get(tr, "layers") : NULL;
    for (size_t l = 0; layers && l < layers->len; l++) {
        const jv *topk = jv_get(jv_at(layers, l), "topk"), *w = jv_get(jv_at(layers, l), "weights");
        for (size_t t = 0; t < topk->len; t++)
            for (size_t i = 0; i < jv_at(topk, t)->len; i++)
                if (jv_at(jv_at(w, t), i)->num > 0) counts[l * E + (size_t)jv_at(jv_at(topk, t), i)->num] += 1;
    }
    jv_free(tr);
}

static double js_bits(const double *p, const double *q, size_t E) {
    double sp = 0, sq = 0, js = 0;
    for (size_t e = 0; e < E; e++) sp += p[e], sq += q[e];
    for (size_t e = 0; e < E; e++) {
        double a = p[e] / sp, b = q[e] / sq, m = (a + b) / 2;
        if (a > 0) js += a * log2(a / m) / 2;
        if (b > 0) js += b * log2(b / m) / 2;
    }
    return js;
}

static void divergence_from_traces(void) {
    const char *a = fixture_path('a', ".gguf");
    if (!a) return;
    char da[512], db[512], fa[600], fb[600], svg[600];
    snprintf(da, sizeof da, "%s/set-a", t_tmpdir());
    snprintf(db, sizeof db, "%s/set-b", t_tmpdir());
    snprintf(fa, sizeof fa, "%s/one.txt", da);
    snprintf(fb, sizeof fb, "%s/two.txt", db);
    snprintf(svg, sizeof svg, "%s/div.svg", t_tmpdir());
    const char *pa[3] = { "abc 127", "the cat sat", "1 + 1 = 2" }, *pb[2] = { "x = 1 + 2", "see the dog" };
    char cmd[1300];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s' '%s'", da, db);
    CHECK(system(cmd) == 0);
    const char *ta = "abc 127\n\nthe cat sat\n\n1 + 1 = 2\n", *tb = "x = 1 + 2\n\n\nsee the dog";
    CHECK(t_write_file(fa, ta, strlen(ta)) && t_write_file(fb, tb, strlen(tb)));
    proc_result r = run_moetop("divergence", "-m", a, "--prompts", da, "--vs-prompts", db, "--permutations", "200", "--seed", "3", "--svg", svg, "--json", NULL);
    proc_result r2 = run_moetop("divergence", "-m", a, "--prompts", da, "--vs-prompts", db, "--permutations", "200", "--seed", "3", "--json", NULL);
    CHECK(r.status == 0 && r2.status == 0 && r.out_len == r2.out_len && memcmp(r.out, r2.out, r.out_len) == 0); /* seeded */
    proc_free(&r2);
    jv *v = json_of(&r);
    enum { L = 4, E = 8 };
    double ca[L * E] = { 0 }, cb[L * E] = { 0 };
    for (int i = 0; i < 3; i++) add_selections(a, pa[i], ca, E);
    for (int i = 0; i < 2; i++) add_selections(a, pb[i], cb, E);
    const jv *layers = v ? jv_get(v, "layers") : NULL;
    CHECK(layers && layers->len == L && jv_num(v, "prompts_a", -1) == 3 && jv_num(v, "prompts_b", -1) == 2);
    for (size_t l = 0; layers && l < L; l++) {
        const jv *x = jv_at(layers, l);
        double want = js_bits(ca + l * E, cb + l * E, E), p = jv_num(x, "p_permutation", -1);
        CHECKF(fabs(jv_num(x, "js_bits", -1) - want) < 1e-12, "layer %zu: js %.15g, recomputed %.15g", l, jv_num(x, "js_bits", -1), want);
        /* 5 prompts split 3 + 2 have 10 labelings: p is (1 + reach) / 201 and at least about 1/10 */
        CHECKF(p > 0.03 && p <= 1 && jv_num(x, "js_floor", -1) >= 0 && jv_num(x, "p_holm", -1) >= p, "layer %zu: p %.4f", l, p);
    }
    unsigned long len = 0;
    char *s = t_read_file(svg, &len);
    CHECK(s && len > 100 && strstr(s, "<svg") != NULL);
    free(s);
    jv_free(v);
    r = run_moetop("divergence", "-m", a, "--domain", "nonesuch", NULL);
    CHECK(is_clean_usage_error(&r));
    proc_free(&r);
    r = run_moetop("divergence", "-m", a, "--prompt", "x", NULL);
    CHECK(is_clean_usage_error(&r));
    proc_free(&r);
    r = run_moetop("divergence", "-m", a, "--prompts", da, "--vs-prompts", "/nonexistent", NULL);
    CHECK(is_clean_usage_error(&r));
    proc_free(&r);
    r = run_moetop("divergence", "-m", a, "--permutations", "0", NULL);
    CHECK(is_clean_usage_error(&r));
    proc_free(&r);
}

static void taxonomy_from_traces(void) {
    const char *a = fixture_path('a', ".gguf");
    if (!a) return;
    const char *prompt = "def f(x):\n    return x + 127, \"the cat\"";
    /* expert 3 masked at every layer: never used */
    proc_result r = run_moetop("taxonomy", "-m", a, "--prompt", prompt, "--mask", "3", "--json", NULL);
    proc_result t = run_moetop("trace", "-m", a, "--prompt", prompt, "--mask", "3", "--json", NULL);
    jv *v = json_of(&r), *tr = json_of(&t);
    if (!v || !tr) return;
    size_t T = jv_get(tr, "tokens")->len;
    CHECK(jv_num(v, "tokens", -1) == (double)T && jv_num(v, "prompts", -1) == 1);
    const jv *ct = jv_get(v, "class_tokens");
    double sum = 0;
    for (size_t k = 0; ct && k < ct->len; k++) sum += jv_at(ct, k)->num;
    CHECK(sum == (double)T && jv_at(ct, 0)->num == 1); /* one start */
    const jv *layers = jv_get(v, "layers");
    for (size_t l = 0; layers && l < layers->len; l++) {
        double top[8] = { 0 }, any[8] = { 0 };
        const jv *tl = jv_at(jv_get(tr, "layers"), l);
        for (size_t i = 0; i < T; i++) {
            const jv *topk = jv_at(jv_get(tl, "topk"), i), *w = jv_at(jv_get(tl, "weights"), i);
            size_t best = 0;
            for (size_t k = 0; k < topk->len; k++) {
                if (jv_at(w, k)->num > jv_at(w, best)->num) best = k;
                if (jv_at(w, k)->num > 0) any[(size_t)jv_at(topk, k)->num]++;
            }
            top[(size_t)jv_at(topk, best)->num]++;
        }
        const jv *ex = jv_get(jv_at(layers, l), "experts");
        for (size_t e = 0; ex && e < 8; e++) {
            const jv *x = jv_at(ex, e);
            CHECKF(jv_num(x, "top", -1) == top[e] && jv_num(x, "any", -1) == any[e], "layer %zu expert %zu", l, e);
            const char *label = jv_str(x, "label");
            if (any[e] == 0) CHECK(strcmp(label, "unused") == 0);
            else if (top[e] == 0) CHECK(strcmp(label, "never-top") == 0);
            else if (!jv_get(x, "tested") || jv_get(x, "tested")->kind != JV_BOOL || !jv_get(x, "tested")->b) CHECKF(strcmp(label, "too-few-tokens") == 0, "%s", label);
            else if (jv_num(x, "p_holm", -1) >= 0.05) CHECK(strcmp(label, "generalist") == 0);
            else if (strcmp(label, "too-few-tokens") != 0) { /* a class holding at least 5 of the expert's top tokens */
                const jv *names = jv_get(v, "classes"), *tbc = jv_get(x, "top_by_class");
                for (size_t k = 0; names && tbc && k < names->len; k++)
                    if (strcmp(jv_at(names, k)->str, label) == 0) CHECKF(jv_at(tbc, k)->num >= 5, "%s", label);
            }
        }
        /* 22 tokens over 10 classes: no expert's expected counts earn a chi-square, so no label */
        for (size_t e = 0; ex && e < 8; e++) {
            const char *label = jv_str(jv_at(ex, e), "label");
            CHECKF(label && (strcmp(label, "too-few-tokens") == 0 || strcmp(label, "unused") == 0 || strcmp(label, "never-top") == 0),
                   "layer %zu expert %zu: %s", l, e, label ? label : "(none)");
            CHECK(!jv_get(jv_at(ex, e), "min_expected") == false && jv_get(jv_at(ex, e), "expected_below_5") != NULL);
        }
        const jv *unused = jv_get(jv_at(layers, l), "unused");
        CHECK(unused && unused->len >= 1 && jv_at(unused, 0)->num == 3);
        const jv *classes = jv_get(jv_at(layers, l), "classes");
        CHECK(classes && classes->len == ct->len);
    }
    jv_free(v);
    jv_free(tr);
    /* by the previous token: the first position is "start", every other one has a previous token */
    r = run_moetop("taxonomy", "-m", a, "--prompt", prompt, "--by", "previous", "--json", NULL);
    if ((v = json_of(&r))) {
        CHECK(jv_at(jv_get(v, "class_tokens"), 0)->num == 1 && strcmp(jv_str(v, "by"), "previous") == 0);
        jv_free(v);
    }
    r = run_moetop("taxonomy", "-m", a, "--prompt", prompt, "--by", "next", NULL);
    CHECK(is_clean_usage_error(&r));
    proc_free(&r);
    r = run_moetop("taxonomy", "-m", a, "--prompt", prompt, "--alpha", "1.5", NULL);
    CHECK(is_clean_usage_error(&r));
    proc_free(&r);
    r = run_moetop("taxonomy", "-m", a, "--prompt", prompt, "--layer", "4", NULL);
    CHECK(is_clean_usage_error(&r));
    proc_free(&r);
    char svg[600];
    snprintf(svg, sizeof svg, "%s/taxonomy.svg", t_tmpdir());
    r = run_moetop("taxonomy", "-m", a, "--prompt", prompt, "--alpha", "0.5", "--svg", svg, NULL);
    unsigned long len = 0;
    char *s = r.status == 0 ? t_read_file(svg, &len) : NULL;
    CHECKF(s && strstr(s, "<svg") && strstr(s, ">layer 3</text>") && strstr(s, ">space-word</text>"), "exit %d: %s", r.status, r.err);
    free(s);
    proc_free(&r);
    r = run_moetop("taxonomy", "-m", a, "--prompt", prompt, "--csv", NULL);
    CHECK(r.status == 0 && strncmp(r.out, "layer,expert,class,top,any,share,lift,p_holm,label\n", 51) == 0);
    proc_free(&r);
}

/* probe's actual route is the trace's (same input, same norm and router); the parts add up */
static void probe_against_trace(void) {
    const char *a = fixture_path('a', ".gguf");
    if (!a) return;
    const char *prompt = "The quick brown fox jumps over";
    for (int masked = 0; masked < 2; masked++) {
        proc_result r = masked ? run_moetop("probe", "-m", a, "--prompt", prompt, "--at", "3", "--mask", "2@1", "--json", NULL)
                               : run_moetop("probe", "-m", a, "--prompt", prompt, "--at", "3", "--json", NULL);
        proc_result t = masked ? run_moetop("trace", "-m", a, "--prompt", prompt, "--mask", "2@1", "--json", NULL)
                               : run_moetop("trace", "-m", a, "--prompt", prompt, "--json", NULL);
        jv *v = json_of(&r), *tr = json_of(&t);
        if (!v || !tr) return;
        CHECK(jv_num(v, "position", -1) == 3);
        const jv *layers = jv_get(v, "layers");
        CHECK(layers && layers->len == 4);
        for (size_t l = 0; layers && l < layers->len; l++) {
            const jv *x = jv_at(layers, l), *act = jv_get(jv_get(x, "routes"), "actual");
            const jv *tl = jv_at(jv_get(tr, "layers"), l);
            const jv *topk = jv_at(jv_get(tl, "topk"), 3), *w = jv_at(jv_get(tl, "weights"), 3);
            const jv *ptopk = jv_get(act, "topk"), *pw = jv_get(act, "weights");
            CHECK(ptopk->len == topk->len && jv_num(act, "overlap", -1) == 1);
            for (size_t i = 0; i < topk->len && i < ptopk->len; i++)
                CHECKF(jv_at(topk, i)->num == jv_at(ptopk, i)->num && fabs(jv_at(w, i)->num - jv_at(pw, i)->num) < 1e-5,
                       "layer %zu rank %zu: %g:%g against the trace's %g:%g", l, i, jv_at(ptopk, i)->num, jv_at(pw, i)->num, jv_at(topk, i)->num, jv_at(w, i)->num);
            if (masked && l == 1)
                for (size_t i = 0; i < ptopk->len; i++) CHECK(jv_at(ptopk, i)->num != 2);
            /* layer 0 has no MoE update before it; the embedding's norm is the same at every layer */
            if (l == 0) CHECK(jv_num(x, "norm_moe", -1) == 0);
            CHECK(jv_num(x, "norm_embedding", -1) == jv_num(jv_at(layers, 0), "norm_embedding", -2));
            double c = jv_num(x, "cos_attention", 9);
            CHECK(c >= -1 && c <= 1 && jv_num(x, "norm_input", -1) > 0);
        }
        jv_free(v);
        jv_free(tr);
    }
    proc_result r = run_moetop("probe", "-m", a, "--prompt", prompt, "--at", "99", NULL);
    CHECK(is_clean_usage_error(&r));
    proc_free(&r);
    r = run_moetop("probe", "-m", a, "--prompt", "", NULL);
    CHECK(is_clean_usage_error(&r));
    proc_free(&r);
}

static char *slurp(const char *path, unsigned long *len) {
    char *s = t_read_file(path, len);
    CHECKF(s != NULL, "%s unreadable", path);
    return s;
}

/* One RFC 4180 record of up to 6 fields (quoted fields may hold commas, quotes and line ends);
 * false at the end of the file. */
static bool csv_record(FILE *f, char fields[6][256]) {
    int c = fgetc(f), n = 0;
    if (c == EOF) return false;
    size_t len = 0;
    bool quoted = false;
    memset(fields, 0, 6 * 256);
    for (;; c = fgetc(f)) {
        if (c == EOF) break;
        if (quoted) {
            if (c == '"') {
                int d = fgetc(f);
                if (d == '"') {
                    if (len < 255) fields[n][len++] = '"';
                    continue;
                }
                quoted = false;
                c = d;
            } else {
                if (len < 255) fields[n][len++] = (char)c;
                continue;
            }
        }
        if (c == EOF || c == '\n') break;
        if (c == '"' && len == 0) quoted = true;
        else if (c == ',') {
            if (n < 5) n++;
            len = 0;
        } else if (len < 255) fields[n][len++] = (char)c;
    }
    return true;
}

/* the rows of two vocab-map CSVs: the same tokens, layers and ranks; experts equal except where two
 * near-equal weights swapped ranks; weights within tol */
static void csv_close(const char *a, const char *b, double tol) {
    FILE *fa = fopen(a, "r"), *fb = fopen(b, "r");
    CHECK(fa && fb);
    char x[6][256], y[6][256];
    size_t rows = 0, swapped = 0;
    double worst = 0;
    while (fa && fb && csv_record(fa, x)) {
        if (!csv_record(fb, y)) {
            CHECK(!"the second CSV is shorter");
            break;
        }
        if (rows++ == 0) continue;
        CHECKF(strcmp(x[0], y[0]) == 0 && strcmp(x[1], y[1]) == 0 && strcmp(x[2], y[2]) == 0 && strcmp(x[3], y[3]) == 0, "row %zu", rows);
        double wa = atof(x[5]), wb = atof(y[5]);
        if (strcmp(x[4], y[4]) != 0) swapped++, CHECKF(fabs(wa - wb) < 1e-3, "row %zu: expert %s (%g) against %s (%g)", rows, x[4], wa, y[4], wb);
        else if (fabs(wa - wb) > worst) worst = fabs(wa - wb);
    }
    CHECK(fa && fb && !csv_record(fb, y)); /* same length */
    CHECKF(rows > 1000 && worst <= tol && swapped * 1000 <= rows, "weights differ by %g; %zu of %zu rows swapped", worst, swapped, rows);
    if (fa) fclose(fa);
    if (fb) fclose(fb);
}

static void vocab_map_batches(void) {
    const char *a = fixture_path('a', ".gguf");
    if (!a) return;
    const char *dir = t_tmpdir();
    /* the second prefix is longer than fixture a's sliding window of 16 */
    const char *prefixes[2] = { NULL, "The quick brown fox jumps over the lazy dog, and then the cat sat on the mat again" };
    for (int pi = 0; pi < 2; pi++) {
        char one[600], ref[600], big[600];
        snprintf(one, sizeof one, "%s/one-%d.csv", dir, pi);
        snprintf(ref, sizeof ref, "%s/ref-%d.csv", dir, pi);
        snprintf(big, sizeof big, "%s/big-%d.csv", dir, pi);
        proc_result r1, r2, r3;
        if (prefixes[pi]) {
            r1 = run_moetop("vocab-map", "-m", a, "--prefix", prefixes[pi], "--batch", "1", "--csv", one, "--json", NULL);
            r2 = run_moetop("vocab-map", "-m", a, "--prefix", prefixes[pi], "--one-by-one", "--csv", ref, "--json", NULL);
            r3 = run_moetop("vocab-map", "-m", a, "--prefix", prefixes[pi], "--csv", big, "--json", NULL);
        } else {
            r1 = run_moetop("vocab-map", "-m", a, "--batch", "1", "--csv", one, "--json", NULL);
            r2 = run_moetop("vocab-map", "-m", a, "--one-by-one", "--csv", ref, "--json", NULL);
            r3 = run_moetop("vocab-map", "-m", a, "--csv", big, "--json", NULL);
        }
        jv *v1 = json_of(&r1), *v2 = json_of(&r2), *v3 = json_of(&r3);
        CHECK(v1 && v2 && v3 && jv_num(v1, "tokens", -1) == 1056 && jv_num(v3, "batch", -1) == 256 && jv_num(v2, "batch", -1) == 0);
        /* every token of the vocabulary: a batch of one equals a one-token append bit for bit */
        unsigned long n1 = 0, n2 = 0;
        char *s1 = slurp(one, &n1), *s2 = slurp(ref, &n2);
        CHECKF(s1 && s2 && n1 == n2 && memcmp(s1, s2, n1) == 0, "prefix %d: --batch 1 and --one-by-one differ", pi);
        free(s1);
        free(s2);
        /* batches of 256: equal within float32 rounding of the several-token kernels */
        csv_close(big, ref, 1e-5);
        jv_free(v1);
        jv_free(v2);
        jv_free(v3);
    }
    /* the rows of token 1000 are the trace's of the one-token prompt */
    proc_result t = run_moetop("trace", "-m", a, "--ids", "1000", "--json", NULL);
    jv *tr = json_of(&t);
    char ref[600], x[6][256];
    snprintf(ref, sizeof ref, "%s/ref-0.csv", dir);
    FILE *f = fopen(ref, "r");
    size_t found = 0;
    while (tr && f && csv_record(f, x)) {
        if (strcmp(x[0], "1000") != 0) continue;
        unsigned l = (unsigned)atoi(x[2]), rank = (unsigned)atoi(x[3]), e = (unsigned)atoi(x[4]);
        const jv *tl = jv_at(jv_get(tr, "layers"), l);
        CHECKF(l < 4 && rank < 2 && jv_at(jv_at(jv_get(tl, "topk"), 0), rank)->num == e &&
                   (float)jv_at(jv_at(jv_get(tl, "weights"), 0), rank)->num == (float)atof(x[5]),
               "token 1000 layer %u rank %u", l, rank);
        found++;
    }
    CHECK(found == 4 * 2);
    if (f) fclose(f);
    jv_free(tr);
}

/* the Vulkan backend's independent-token attention (shaders/attention.comp): a batch of one equals a
 * one-token append on the device bit for bit; batches of 256 equal the CPU's reference within the
 * device's rounding (the oracle's tolerance on Vulkan is 10x the CPU's) */
static void vocab_map_vulkan(void) {
    const char *a = fixture_path('a', ".gguf");
    if (!a) return;
    const char *dir = t_tmpdir(), *prefix = "The quick brown fox jumps over the lazy dog, and then the cat sat on the mat again";
    char one[600], ref[600], big[600], cpu[600];
    snprintf(one, sizeof one, "%s/vk-one.csv", dir);
    snprintf(ref, sizeof ref, "%s/vk-ref.csv", dir);
    snprintf(big, sizeof big, "%s/vk-big.csv", dir);
    snprintf(cpu, sizeof cpu, "%s/vk-cpu.csv", dir);
    proc_result r = run_moetop("vocab-map", "-m", a, "--backend", "vulkan", "--prefix", prefix, "--range", "0:300", "--batch", "1", "--csv", one, NULL);
    if (r.status == 0 && strstr(r.err, "using the CPU backend")) {
        t_skip("no Vulkan device: %s", r.err);
        proc_free(&r);
        return;
    }
    CHECKF(r.status == 0, "%s", r.err);
    proc_free(&r);
    r = run_moetop("vocab-map", "-m", a, "--backend", "vulkan", "--prefix", prefix, "--range", "0:300", "--one-by-one", "--csv", ref, NULL);
    CHECKF(r.status == 0, "%s", r.err);
    proc_free(&r);
    unsigned long n1 = 0, n2 = 0;
    char *s1 = slurp(one, &n1), *s2 = slurp(ref, &n2);
    CHECK(s1 && s2 && n1 == n2 && memcmp(s1, s2, n1) == 0);
    free(s1);
    free(s2);
    r = run_moetop("vocab-map", "-m", a, "--backend", "vulkan", "--prefix", prefix, "--csv", big, NULL);
    CHECKF(r.status == 0, "%s", r.err);
    proc_free(&r);
    r = run_moetop("vocab-map", "-m", a, "--prefix", prefix, "--one-by-one", "--csv", cpu, NULL);
    CHECKF(r.status == 0, "%s", r.err);
    proc_free(&r);
    csv_close(big, cpu, 1.1e-4);
}

static void vocab_map_shards(void) {
    const char *a = fixture_path('a', ".gguf");
    if (!a) return;
    const char *dir = t_tmpdir();
    char all[600], merged[600], part[3][600], csv_all[600], csv_part[3][600];
    snprintf(all, sizeof all, "%s/all.json", dir);
    snprintf(merged, sizeof merged, "%s/merged.json", dir);
    snprintf(csv_all, sizeof csv_all, "%s/all.csv", dir);
    proc_result r = run_moetop("vocab-map", "-m", a, "--range", "100:400", "--batch", "1", "--csv", csv_all, "--json", NULL);
    jv *whole = json_of(&r);
    for (int i = 0; i < 3; i++) {
        char shard[16];
        snprintf(shard, sizeof shard, "%d/3", i);
        snprintf(part[i], sizeof part[i], "%s/part%d.json", dir, i);
        snprintf(csv_part[i], sizeof csv_part[i], "%s/part%d.csv", dir, i);
        r = run_moetop("vocab-map", "-m", a, "--range", "100:400", "--batch", "1", "--shard", shard, "--csv", csv_part[i], "--json", NULL);
        CHECKF(r.status == 0 && t_write_file(part[i], r.out, r.out_len), "shard %d: %s", i, r.err);
        proc_free(&r);
    }
    r = run_moetop("merge-vocab-map", "-o", merged, part[2], part[0], part[1], NULL);
    CHECKF(r.status == 0, "%s", r.err);
    proc_free(&r);
    char err[256];
    jv *m = jv_parse_file(merged, err, sizeof err);
    CHECKF(m != NULL, "%s", err);
    if (m && whole) {
        CHECK(jv_num(m, "tokens", -1) == 300 && jv_num(whole, "tokens", -1) == 300 && !jv_get(m, "shard"));
        const jv *lm = jv_get(m, "layers"), *lw = jv_get(whole, "layers");
        for (size_t l = 0; l < 4; l++) {
            const jv *cm = jv_get(jv_at(lm, l), "top_counts"), *cw = jv_get(jv_at(lw, l), "top_counts");
            for (size_t e = 0; e < 8; e++) CHECK(jv_at(cm, e)->num == jv_at(cw, e)->num);
        }
        CHECK(jv_at(jv_get(m, "range"), 0)->num == 100 && jv_at(jv_get(m, "range"), 1)->num == 400);
    }
    jv_free(m);
    jv_free(whole);
    /* the shards' CSVs, headers after the first dropped, are the whole CSV */
    unsigned long n = 0, got = 0;
    char *want = slurp(csv_all, &n), *cat = malloc(n + 1);
    for (int i = 0; want && cat && i < 3; i++) {
        unsigned long len;
        char *s = slurp(csv_part[i], &len), *body = s ? (i ? strchr(s, '\n') + 1 : s) : NULL;
        size_t blen = s ? len - (size_t)(body - s) : 0;
        if (s && got + blen <= n) memcpy(cat + got, body, blen), got += blen;
        free(s);
    }
    CHECK(want && got == n && memcmp(want, cat, n) == 0);
    free(want);
    free(cat);
    /* refusals: a missing shard, a shard of another run, bad ranges and shards */
    r = run_moetop("merge-vocab-map", "-o", merged, part[0], part[1], NULL);
    CHECK(is_clean_usage_error(&r));
    proc_free(&r);
    r = run_moetop("merge-vocab-map", "-o", merged, part[0], part[1], part[1], NULL);
    CHECK(is_clean_usage_error(&r));
    proc_free(&r);
    r = run_moetop("merge-vocab-map", "-o", merged, all, NULL);
    CHECK(is_clean_usage_error(&r));
    proc_free(&r);
    r = run_moetop("vocab-map", "-m", a, "--range", "0:3", "--csv", "-", "--json", NULL);
    CHECK(is_clean_usage_error(&r));
    proc_free(&r);
    r = run_moetop("vocab-map", "-m", a, "--range", "0:3", "--csv", "-", NULL);
    CHECK(r.status == 0 && strncmp(r.out, "token,text,layer,rank,expert,weight\n", 36) == 0);
    proc_free(&r);
    const char *bad[][2] = { { "--range", "5:5" }, { "--range", "0:99999" }, { "--shard", "3/3" }, { "--batch", "0" }, { "--batch", "257" },
                             { "--range", "x" } };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        r = run_moetop("vocab-map", "-m", a, bad[i][0], bad[i][1], NULL);
        CHECKF(is_clean_usage_error(&r), "%s %s: exit %d, %s", bad[i][0], bad[i][1], r.status, r.err);
        proc_free(&r);
    }
}

/* a failed write of the CSV exits 1 with the system's reason; a device is
 * written through (never replaced by a regular file); nothing half-written */
static bool fails_with(const proc_result *r, const char *reason) {
    return r->status == 1 && strncmp(r->err, "moetop: ", 8) == 0 && proc_count_lines(r->err) == 1 && strstr(r->err, reason) != NULL;
}

static void vocab_map_csv_outfile(void) {
    const char *a = fixture_path('a', ".gguf");
    if (!a) return;
    const char *dir = t_tmpdir();
    char missing[600], ok[600];
    snprintf(missing, sizeof missing, "%s/nodir/x.csv", dir);
    snprintf(ok, sizeof ok, "%s/ok.csv", dir);
    struct stat st;
    if (stat("/dev/full", &st) == 0 && S_ISCHR(st.st_mode)) {
        proc_result r = run_moetop("vocab-map", "-m", a, "--range", "0:10", "--csv", "/dev/full", NULL);
        CHECKF(fails_with(&r, "No space left on device"), "exit %d: %s", r.status, r.err);
        CHECK(stat("/dev/full", &st) == 0 && S_ISCHR(st.st_mode));
        proc_free(&r);
    }
    proc_result r = run_moetop("vocab-map", "-m", a, "--range", "0:10", "--csv", missing, NULL);
    CHECKF(fails_with(&r, "No such file or directory") && !strstr(r.err, ".part"), "exit %d: %s", r.status, r.err);
    proc_free(&r);
    r = run_moetop("vocab-map", "-m", a, "--range", "0:10", "--csv", dir, NULL);
    CHECKF(fails_with(&r, "Is a directory"), "exit %d: %s", r.status, r.err);
    proc_free(&r);
    r = run_moetop("vocab-map", "-m", a, "--range", "0:10", "--csv", ok, NULL);
    CHECKF(r.status == 0, "%s", r.err);
    proc_free(&r);
    unsigned long len = 0;
    char *s = slurp(ok, &len);
    CHECK(s && strncmp(s, "token,text,layer,rank,expert,weight\n", 36) == 0);
    free(s);
    char part[620];
    snprintf(part, sizeof part, "%s.part", ok);
    CHECK(stat(part, &st) != 0);
    /* a shard with no tokens is refused, not summarised over zero tokens */
    r = run_moetop("vocab-map", "-m", a, "--shard", "0/99999", NULL);
    CHECKF(is_clean_usage_error(&r) && strstr(r.err, "--shard") && !strstr(r.err, "4294967295"), "exit %d: %s", r.status, r.err);
    proc_free(&r);
    r = run_moetop("vocab-map", "-m", a, "--range", "0:3", "--shard", "0/4", NULL);
    CHECKF(is_clean_usage_error(&r), "exit %d: %s", r.status, r.err);
    proc_free(&r);
    r = run_moetop("vocab-map", "-m", a, "--range", "0:3", "--shard", "2/3", NULL);
    CHECKF(r.status == 0 && strstr(r.out, "1 tokens (2..2, a shard)"), "exit %d: %s", r.status, r.err);
    proc_free(&r);
}

/* --svg that cannot be written: exit 1 with the reason, found before the run
 * where it can be (nothing printed), at the end where it cannot (/dev/full) */
static void svg_failed_writes(void) {
    const char *a = fixture_path('a', ".gguf");
    if (!a) return;
    const char *dir = t_tmpdir();
    char missing[600], sub[600], file[600];
    snprintf(missing, sizeof missing, "%s/nodir/x.svg", dir);
    snprintf(sub, sizeof sub, "%s/nodir/sub/", dir);
    snprintf(file, sizeof file, "%s/plain", dir);
    CHECK(t_write_file(file, "x", 1));
    struct stat st;
    bool full = stat("/dev/full", &st) == 0 && S_ISCHR(st.st_mode);
    const char *fpaths[] = { dir, missing, full ? "/dev/full" : NULL };
    const char *why[] = { "Is a directory", "No such file or directory", "No space left on device" };
    for (int i = 0; i < 3; i++) {
        if (!fpaths[i]) continue;
        proc_result r = run_moetop("divergence", "-m", a, "--permutations", "20", "--svg", fpaths[i], NULL);
        CHECKF(fails_with(&r, why[i]) && r.out_len == 0, "divergence --svg %s: exit %d: %s", fpaths[i], r.status, r.err);
        proc_free(&r);
        r = run_moetop("taxonomy", "-m", a, "--svg", fpaths[i], NULL);
        CHECKF(fails_with(&r, why[i]) && r.out_len == 0, "taxonomy --svg %s: exit %d: %s", fpaths[i], r.status, r.err);
        proc_free(&r);
    }
    CHECK(!full || (stat("/dev/full", &st) == 0 && S_ISCHR(st.st_mode)));
    const char *dpaths[] = { sub, file, "/dev/null" };
    const char *dwhy[] = { "No such file or directory", "Not a directory", "Not a directory" };
    for (int i = 0; i < 3; i++) {
        proc_result r = run_moetop("similarity", "-m", a, "--tokens", "8", "--svg", dpaths[i], NULL);
        CHECKF(fails_with(&r, dwhy[i]) && r.out_len == 0, "similarity --svg %s: exit %d: %s", dpaths[i], r.status, r.err);
        proc_free(&r);
    }
}

int main(void) {
    t_begin("cli_experiments2");
    RUN(context_by_ids);
    RUN(context_attended_tokens);
    RUN(divergence_from_traces);
    RUN(taxonomy_from_traces);
    RUN(probe_against_trace);
    RUN(vocab_map_batches);
    RUN(vocab_map_vulkan);
    RUN(vocab_map_shards);
    RUN(vocab_map_csv_outfile);
    RUN(svg_failed_writes);
    return t_end();
}
