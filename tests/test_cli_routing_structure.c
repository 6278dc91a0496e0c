/* Experiments III's commands through the binary on the oracle's fixture a,
 * against numbers the test recomputes from `moetop trace` and `moetop
 * generate`: circuits' counts and NMI, dynamics' Jaccard, persistence and
 * chance over a prompt and over its greedy generation, importance's rates,
 * ranks and what --force and --zero make of them; shards merged byte for
 * byte into the unsharded output; every bad input an exit 2 with one line. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/cli_util.h"
#include "support/fixtures.h"
#include "support/harness.h"

#define PROMPT "The quick brown fox jumps over the lazy dog and then the dog sleeps"

static jv *json_of(proc_result *r) {
    char err[256];
    jv *v = r->status == 0 ? jv_parse(r->out, r->out_len, err, sizeof err) : NULL;
    CHECKF(v != NULL, "exit %d: %s", r->status, r->status ? r->err : err);
    return v;
}

/* top expert (highest weight, ties to the earlier) and selected set of one routing {topk, weights} */
static int top_of(const jv *topk, const jv *w, unsigned *set) {
    int top = -1;
    double best = 0;
    *set = 0;
    for (size_t i = 0; i < topk->len; i++) {
        double x = jv_at(w, i)->num;
        if (x > 0) *set |= 1u << (unsigned)jv_at(topk, i)->num;
        if (x > best) best = x, top = (int)jv_at(topk, i)->num;
    }
    return top;
}

static double nmi_of(const double *c, int E) {
    double n = 0, row[64] = { 0 }, col[64] = { 0 }, hr = 0, hc = 0, mi = 0;
    for (int i = 0; i < E; i++)
        for (int j = 0; j < E; j++) n += c[i * E + j], row[i] += c[i * E + j], col[j] += c[i * E + j];
    for (int i = 0; i < E; i++) {
        if (row[i] > 0) hr -= row[i] / n * log(row[i] / n);
        if (col[i] > 0) hc -= col[i] / n * log(col[i] / n);
        for (int j = 0; j < E; j++)
            if (c[i * E + j] > 0) mi += c[i * E + j] / n * log(c[i * E + j] * n / (row[i] * col[j]));
    }
    return hr < 1e-12 || hc < 1e-12 ? 0 : mi / sqrt(hr * hc);
}

static void circuits_against_trace(void) {
    const char *a = fixture_path('a', ".gguf");
    if (!a) return;
    proc_result r = run_moetop("circuits", "-m", a, "--prompt", PROMPT, "--json", NULL);
    proc_result rp = run_moetop("circuits", "-m", a, "--prompt", PROMPT, "--pairs", "3:0", "--path-layers", "1:3", "--json", NULL);
    proc_result tr = run_moetop("trace", "-m", a, "--prompt", PROMPT, "--json", NULL);
    jv *v = json_of(&r), *vp = json_of(&rp), *t = json_of(&tr);
    if (v && vp && t) {
        const jv *layers = jv_get(t, "layers"), *pairs = jv_get(v, "pairs");
        size_t T = jv_get(t, "tokens")->len;
        int top[4][64];
        unsigned set;
        for (size_t l = 0; l < 4; l++)
            for (size_t i = 0; i < T; i++) top[l][i] = top_of(jv_at(jv_get(jv_at(layers, l), "topk"), i), jv_at(jv_get(jv_at(layers, l), "weights"), i), &set);
        CHECK(pairs && pairs->len == 3 && jv_num(v, "prompts", 0) == 1);
        for (size_t p = 0; pairs && p < pairs->len; p++) {
            const jv *x = jv_at(pairs, p);
            double c[64] = { 0 };
            for (size_t i = 0; i < T; i++) c[top[p][i] * 8 + top[p + 1][i]]++;
            int bad = 0;
            for (int i = 0; i < 8; i++)
                for (int j = 0; j < 8; j++) bad += jv_at(jv_at(jv_get(x, "counts"), (size_t)i), (size_t)j)->num != c[i * 8 + j];
            CHECKF(bad == 0 && jv_num(x, "from", -1) == (double)p && jv_num(x, "to", -1) == (double)p + 1, "pair %zu: %d cells differ", p, bad);
            CHECKF(fabs(jv_num(x, "nmi", -1) - nmi_of(c, 8)) < 1e-9, "pair %zu: nmi %.12g, recomputed %.12g", p, jv_num(x, "nmi", -1), nmi_of(c, 8));
            double sh = jv_num(x, "nmi_shuffled", -1), pv = jv_num(x, "p_shuffled", -1);
            CHECK(sh >= 0 && sh <= 1 && pv >= 1.0 / 101 && pv <= 1 && jv_num(x, "tokens", 0) == (double)T);
        }
        /* --pairs 3:0: the table of layer 3 against layer 0 */
        const jv *x = jv_at(jv_get(vp, "pairs"), 0);
        double c[64] = { 0 };
        for (size_t i = 0; i < T; i++) c[top[3][i] * 8 + top[0][i]]++;
        CHECK(jv_get(vp, "pairs")->len == 1 && jv_num(x, "from", -1) == 3 && jv_num(x, "to", -1) == 0 && fabs(jv_num(x, "nmi", -1) - nmi_of(c, 8)) < 1e-9);
        /* the most frequent path over layers 1..3 and its support */
        const jv *paths = jv_get(vp, "paths"), *first = jv_at(jv_get(paths, "top"), 0);
        int want = 0;
        for (size_t i = 0; i < T; i++) {
            int n = 0;
            for (size_t k = 0; k < T; k++) n += top[1][k] == top[1][i] && top[2][k] == top[2][i] && top[3][k] == top[3][i];
            want = n > want ? n : want;
        }
        CHECK(first && jv_num(paths, "from", -1) == 1 && jv_num(paths, "to", -1) == 3 && jv_num(first, "count", 0) == want &&
              fabs(jv_num(first, "support", 0) - (double)want / (double)T) < 1e-12);
    }
    jv_free(v);
    jv_free(vp);
    jv_free(t);
    proc_free(&r);
    proc_free(&rp);
    proc_free(&tr);
}

/* Jaccard, persistence and chance of one layer over routings given as {topk, weights} pairs */
static void dyn_expected(const jv *const *topk, const jv *const *w, size_t n, double *jac, double *pers, double *chance) {
    int prev = -1;
    unsigned prev_set = 0;
    double pairs = 0, kept = 0, jsum = 0, share[64] = { 0 };
    for (size_t t = 0; t < n; t++) {
        unsigned set;
        int top = top_of(topk[t], w[t], &set);
        share[top]++;
        if (t > 0) {
            pairs++;
            kept += top == prev;
            jsum += (double)__builtin_popcount(set & prev_set) / __builtin_popcount(set | prev_set);
        }
        prev = top;
        prev_set = set;
    }
    *jac = jsum / pairs;
    *pers = kept / pairs;
    *chance = 0;
    for (int e = 0; e < 64; e++) *chance += (share[e] / n) * (share[e] / n);
}

static void dynamics_against_trace_and_generate(void) {
    const char *a = fixture_path('a', ".gguf");
    if (!a) return;
    proc_result r = run_moetop("dynamics", "-m", a, "--prompt", PROMPT, "-n", "6", "--json", NULL);
    proc_result tr = run_moetop("trace", "-m", a, "--prompt", PROMPT, "--json", NULL);
    proc_result gen = run_moetop("generate", "-m", a, "--prompt", PROMPT, "-n", "6", "--json", NULL);
    jv *v = json_of(&r), *t = json_of(&tr), *g = json_of(&gen);
    if (v && t && g) {
        const jv *layers = jv_get(v, "layers"), *gt = jv_get(g, "generated");
        size_t T = jv_get(t, "tokens")->len, G = gt->len;
        CHECK(layers && layers->len == 4 && G == 6 && jv_num(v, "generate", 0) == 6);
        for (size_t l = 0; layers && l < 4; l++) {
            const jv *x = jv_at(layers, l), *tl = jv_at(jv_get(t, "layers"), l), *topk[64], *w[64];
            for (size_t i = 0; i < T; i++) topk[i] = jv_at(jv_get(tl, "topk"), i), w[i] = jv_at(jv_get(tl, "weights"), i);
            double jac, pers, chance;
            dyn_expected(topk, w, T, &jac, &pers, &chance);
            CHECKF(fabs(jv_num(x, "jaccard_consecutive", -1) - jac) < 1e-9 && jv_num(x, "persistence", -1) == pers &&
                       fabs(jv_num(x, "persistence_chance", -1) - chance) < 1e-12 && jv_num(x, "pairs", 0) == (double)T - 1,
                   "layer %zu: jaccard %g/%g persistence %g/%g chance %g/%g", l, jv_num(x, "jaccard_consecutive", -1), jac,
                   jv_num(x, "persistence", -1), pers, jv_num(x, "persistence_chance", -1), chance);
            double sh = jv_num(x, "persistence_shuffled", -1);
            CHECK(sh >= 0 && sh <= 1);
            /* the generation: each generated token's own routing, as generate reports it */
            for (size_t i = 0; i < G; i++) {
                const jv *gl = jv_at(jv_get(jv_at(gt, i), "layers"), l);
                topk[i] = jv_get(gl, "topk"), w[i] = jv_get(gl, "weights");
            }
            dyn_expected(topk, w, G, &jac, &pers, &chance);
            const jv *gx = jv_get(x, "generation");
            CHECKF(gx && fabs(jv_num(gx, "jaccard_consecutive", -1) - jac) < 1e-9 && jv_num(gx, "persistence", -1) == pers &&
                       fabs(jv_num(gx, "persistence_chance", -1) - chance) < 1e-12 && jv_num(gx, "tokens", 0) == (double)G,
                   "generation, layer %zu: persistence %g/%g", l, jv_num(gx, "persistence", -1), pers);
        }
    }
    jv_free(v);
    jv_free(t);
    jv_free(g);
    proc_free(&r);
    proc_free(&tr);
    proc_free(&gen);
}

static void importance_against_trace(void) {
    const char *a = fixture_path('a', ".gguf");
    if (!a) return;
    proc_result r = run_moetop("importance", "-m", a, "--prompt", PROMPT, "--json", NULL);
    proc_result tr = run_moetop("trace", "-m", a, "--prompt", PROMPT, "--json", NULL);
    proc_result f = run_moetop("importance", "-m", a, "--prompt", PROMPT, "--force", "3@1", "--zero", "3@2", "--json", NULL);
    jv *v = json_of(&r), *t = json_of(&tr), *vf = json_of(&f);
    if (v && t && vf) {
        const jv *layers = jv_get(v, "layers");
        size_t T = jv_get(t, "tokens")->len;
        CHECK(layers && layers->len == 4 && jv_num(v, "k", 0) == 2 && strcmp(jv_str(v, "ranked_by"), "contribution") == 0);
        for (size_t l = 0; layers && l < 4; l++) {
            const jv *x = jv_at(layers, l), *ex = jv_get(x, "experts"), *tl = jv_at(jv_get(t, "layers"), l);
            double count[8] = { 0 };
            for (size_t i = 0; i < T; i++) {
                unsigned set;
                top_of(jv_at(jv_get(tl, "topk"), i), jv_at(jv_get(tl, "weights"), i), &set);
                for (int e = 0; e < 8; e++) count[e] += (set >> e) & 1;
            }
            int seen_rank[9] = { 0 }, bad = 0;
            for (size_t e = 0; ex && e < ex->len; e++) {
                const jv *y = jv_at(ex, e);
                bad += jv_num(y, "expert", -1) != (double)e || jv_num(y, "rate", -1) != count[e] / (double)T;
                double c = jv_num(y, "contribution", -1), sal = jv_num(y, "saliency", -1);
                bad += count[e] > 0 && fabs(c - jv_num(y, "rate", 0) * sal) > 1e-9 * fmax(1, c);
                int rk = (int)jv_num(y, "rank", 0);
                if (rk >= 1 && rk <= 8) seen_rank[rk]++;
            }
            for (int k = 1; k <= 8; k++) bad += seen_rank[k] != 1;
            CHECKF(ex && ex->len == 8 && bad == 0 && jv_num(x, "tokens", 0) == (double)T, "layer %zu: %d problems", l, bad);
        }
        /* forced to expert 3 at layer 1: its rate 1, every other 0, rank 1; zeroed at layer 2: its saliency 0 */
        const jv *f1 = jv_get(jv_at(jv_get(vf, "layers"), 1), "experts"), *f2 = jv_get(jv_at(jv_get(vf, "layers"), 2), "experts");
        CHECK(jv_num(jv_at(f1, 3), "rate", 0) == 1 && jv_num(jv_at(f1, 3), "rank", 0) == 1 && jv_num(jv_at(f1, 3), "mean_weight", 0) == 1 &&
              jv_num(jv_at(f1, 0), "rate", -1) == 0 && jv_num(jv_at(f1, 3), "saliency", 0) > 0);
        CHECK(jv_num(jv_at(f2, 3), "rate", 0) == 0 || jv_num(jv_at(f2, 3), "saliency", -1) == 0);
        /* one prompt, one domain: no consistency, no specialisation */
        const jv *y = jv_at(jv_get(jv_at(layers, 0), "experts"), 0);
        CHECK(jv_get(y, "consistency")->kind == JV_NULL && jv_get(y, "specialisation")->kind == JV_NULL);
    }
    jv_free(v);
    jv_free(t);
    jv_free(vf);
    proc_free(&r);
    proc_free(&tr);
    proc_free(&f);
}

static void similarity_shapes_and_files(void) {
    const char *a = fixture_path('a', ".gguf");
    if (!a) return;
    char svg[600], file[700];
    snprintf(svg, sizeof svg, "%s/sim", t_tmpdir());
    proc_result r = run_moetop("similarity", "-m", a, "--prompt", PROMPT, "--tokens", "5", "--json", NULL);
    proc_result c = run_moetop("similarity", "-m", a, "--tokens", "0", "--svg", svg, "--csv", NULL);
    jv *v = json_of(&r);
    if (v) {
        const jv *layers = jv_get(v, "layers");
        CHECK(layers && layers->len == 4 && jv_num(v, "tokens_functional", 0) == 5);
        for (size_t l = 0; layers && l < layers->len; l++) {
            const jv *x = jv_at(layers, l), *cos = jv_get(x, "cosine");
            static const char *const kinds[] = { "gate", "up", "down", "all", "functional" };
            int bad = 0;
            for (int k = 0; k < 5; k++) {
                const jv *m = jv_get(cos, kinds[k]);
                for (size_t i = 0; m && i < 8; i++)
                    for (size_t j = 0; j < 8; j++) {
                        double cij = jv_at(jv_at(m, i), j)->num, cji = jv_at(jv_at(m, j), i)->num;
                        bad += fabs(cij - cji) > 1e-12 || cij > 1 + 1e-9 || cij < -1 - 1e-9 || (i == j && fabs(cij - 1) > 1e-9);
                    }
                bad += !m;
            }
            /* gate and up have d x ff weights per expert, down ff x d: 256 x 128 each */
            const jv *n = jv_get(x, "n_weights"), *rk = jv_get(x, "effective_rank");
            bad += jv_num(n, "gate", 0) != 256 * 128 || jv_num(n, "all", 0) != 3 * 256 * 128;
            bad += jv_num(rk, "all", -1) < 1 || jv_num(rk, "all", 99) > 7;
            const jv *best = jv_get(jv_get(x, "most_similar"), "weights");
            size_t i = (size_t)jv_at(jv_get(best, "experts"), 0)->num, j = (size_t)jv_at(jv_get(best, "experts"), 1)->num;
            bad += jv_at(jv_at(jv_get(cos, "all"), i), j)->num != jv_num(best, "cosine", 9);
            bad += fabs(jv_num(best, "z", 0) - jv_num(best, "cosine", 0) * sqrt(3 * 256 * 128)) > 1e-6;
            CHECKF(bad == 0, "layer %zu: %d problems", l, bad);
        }
    }
    /* CSV: a header and every pair of every layer; an SVG per layer */
    int lines = 0;
    for (size_t i = 0; i < c.out_len; i++) lines += c.out[i] == '\n';
    CHECKF(c.status == 0 && lines == 1 + 4 * 28, "exit %d, %d lines: %s", c.status, lines, c.err);
    for (int l = 0; l < 4; l++) {
        snprintf(file, sizeof file, "%s/similarity-layer-%d.svg", svg, l);
        unsigned long len = 0;
        char *got = t_read_file(file, &len);
        CHECKF(got && strstr(got, "<svg") && strstr(got, "</svg>"), "%s", file);
        free(got);
    }
    snprintf(file, sizeof file, "%s/similarity-layer-0.svg", svg);
    proc_result bad = run_moetop("similarity", "-m", a, "--tokens", "0", "--svg", file, NULL);
    CHECKF(bad.status == 1 && strstr(bad.err, "--svg") && strstr(bad.err, "Not a directory") && bad.out_len == 0, "%s", bad.err); /* a failed write, before the run */
    jv_free(v);
    proc_free(&r);
    proc_free(&c);
    proc_free(&bad);
}

/* predict on a two-file prompt set: the frequency baseline recomputed from trace over the same split */
static void predict_against_chance(void) {
    const char *a = fixture_path('a', ".gguf");
    if (!a) return;
    proc_result r = run_moetop("predict", "-m", a, "--prompt", PROMPT, "--pairs", "0:1,2:3", "--prefetch", "4", "--json", NULL);
    proc_result h = run_moetop("predict", "-m", a, "--prompt", PROMPT, "--features", "hidden", "--at-k", "1", "--json", NULL);
    proc_result tr = run_moetop("trace", "-m", a, "--prompt", PROMPT, "--json", NULL);
    jv *v = json_of(&r), *vh = json_of(&h), *t = json_of(&tr);
    if (v && vh && t) {
        const jv *pairs = jv_get(v, "pairs");
        size_t T = jv_get(t, "tokens")->len, n_train = (size_t)llround(0.8 * (double)T);
        CHECK(pairs && pairs->len == 2 && jv_num(v, "k", 0) == 2 && jv_num(v, "prefetch", 0) == 4 && jv_num(v, "train_prompts", -1) == 0);
        for (size_t p = 0; pairs && p < 2; p++) {
            const jv *x = jv_at(pairs, p), *ch = jv_get(x, "chance"), *fr = jv_at(jv_get(x, "predictors"), 0);
            size_t b = (size_t)jv_num(x, "to", 0);
            /* one prompt: its first 80% of tokens train. Frequency: b's 2 most selected experts in training
             * (ties to the lower id), scored on the rest */
            const jv *bl = jv_at(jv_get(t, "layers"), b);
            double freq[8] = { 0 };
            unsigned sets[64];
            for (size_t i = 0; i < T; i++) {
                top_of(jv_at(jv_get(bl, "topk"), i), jv_at(jv_get(bl, "weights"), i), &sets[i]);
                for (int e = 0; i < n_train && e < 8; e++) freq[e] += (sets[i] >> e) & 1;
            }
            int order[8] = { 0, 1, 2, 3, 4, 5, 6, 7 };
            for (int i = 1; i < 8; i++)
                for (int j = i; j > 0 && freq[order[j]] > freq[order[j - 1]]; j--) { int x2 = order[j]; order[j] = order[j - 1]; order[j - 1] = x2; }
            unsigned top2 = (1u << order[0]) | (1u << order[1]), top4 = top2 | (1u << order[2]) | (1u << order[3]);
            double prec = 0, hit = 0;
            for (size_t i = n_train; i < T; i++) {
                prec += __builtin_popcount(sets[i] & top2) / 2.0;
                hit += (double)__builtin_popcount(sets[i] & top4) / __builtin_popcount(sets[i]);
            }
            prec /= (double)(T - n_train);
            hit /= (double)(T - n_train);
            CHECKF(fabs(jv_num(fr, "precision_at_k", -1) - prec) < 1e-12 && fabs(jv_num(fr, "hit_at_prefetch", -1) - hit) < 1e-12,
                   "pair %zu: precision %g/%g hit %g/%g", p, jv_num(fr, "precision_at_k", -1), prec, jv_num(fr, "hit_at_prefetch", -1), hit);
            CHECK(jv_num(ch, "recall_at_k", 0) == 2.0 / 8 && jv_num(ch, "hit_at_prefetch", 0) == 4.0 / 8 && jv_num(x, "train_tokens", 0) == (double)n_train);
        }
        CHECK(strcmp(jv_str(vh, "features"), "hidden") == 0 && jv_get(vh, "pairs")->len == 3 && jv_num(vh, "k", 0) == 1);
    }
    jv_free(v);
    jv_free(vh);
    jv_free(t);
    proc_free(&r);
    proc_free(&h);
    proc_free(&tr);
}

static void attention_routing_runs(void) {
    const char *a = fixture_path('a', ".gguf");
    if (!a) return;
    const char *c1 = "the cat sat on the mat", *c2 = "a dog and a cat", *c3 = "my cat is grey and the cat sleeps";
    proc_result r = run_moetop("attention-routing", "-m", a, "--token", "cat", "--context", c1, "--context", c2, "--context", c3,
                               "--permutations", "50", "--json", NULL);
    proc_result t = run_moetop("trace", "-m", a, "--prompt", c3, "--json", NULL);
    jv *v = json_of(&r), *tv = json_of(&t);
    if (v && tv) {
        const jv *ctx = jv_get(v, "contexts"), *layers = jv_get(v, "layers");
        CHECK(ctx && ctx->len == 3 && layers && layers->len == 4);
        /* the third context's target: its target_ids end at its position in the ids trace gives, and occur
         * nowhere later */
        const jv *toks = jv_get(tv, "tokens"), *tid = jv_get(jv_at(ctx, 2), "target_ids");
        size_t pos = (size_t)jv_num(jv_at(ctx, 2), "position", -1), m = tid ? tid->len : 0;
        bool ends_there = pos < toks->len && m >= 1 && pos + 1 >= m && jv_num(jv_at(ctx, 2), "id", -1) == jv_num(jv_at(toks, pos), "id", -2);
        for (size_t k = 0; ends_there && k < m; k++) ends_there = jv_num(jv_at(toks, pos + 1 - m + k), "id", -1) == jv_at(tid, k)->num;
        bool later = false;
        for (size_t e = pos + 1; ends_there && e < toks->len; e++) {
            bool all = e + 1 >= m;
            for (size_t k = 0; all && k < m; k++) all = jv_num(jv_at(toks, e + 1 - m + k), "id", -1) == jv_at(tid, k)->num;
            later = later || all;
        }
        CHECKF(ends_there && !later, "position %zu", pos);
        /* 3 contexts: 3! relabellings, p never below 1/6 */
        CHECK(jv_num(v, "relabellings", 0) == 6 && fabs(jv_num(v, "p_floor", 0) - 1.0 / 6) < 1e-12);
        for (size_t l = 0; layers && l < layers->len; l++) {
            const jv *x = jv_at(layers, l);
            double p = jv_num(x, "p_mantel", -1), rr = jv_num(x, "mantel_r", 9), ph = jv_num(x, "p_mantel_holm", -1);
            bool no_test = jv_get(x, "mantel_r")->kind == JV_NULL;
            /* no test, no p: p and its Holm adjustment null with r */
            CHECKF(no_test ? jv_get(x, "p_mantel")->kind == JV_NULL && jv_get(x, "p_mantel_holm")->kind == JV_NULL
                           : p >= 1.0 / 51 && p <= 1 && ph >= p && ph <= 1 && rr >= -1 - 1e-9 && rr <= 1 + 1e-9,
                   "layer %zu: r %g p %g holm %g", l, rr, p, ph);
            const jv *top = jv_at(jv_get(jv_at(ctx, 0), "most_attended"), l);
            CHECK(top && top->len == 3 && jv_num(jv_at(top, 0), "weight", 0) >= jv_num(jv_at(top, 1), "weight", 1));
        }
    }
    jv_free(v);
    jv_free(tv);
    proc_free(&r);
    proc_free(&t);
    static const struct { const char *args[8], *why; } cases[] = {
        { { "--token", "cat", "--context", "a cat", "--context", "the cat" }, "at least 3" },
        { { "--token", "zebra", "--context", "a cat", "--context", "b cat", "--context", "c cat" }, "context 1: the token 'zebra'" },
        { { "--context", "a cat", "--context", "b cat", "--context", "c cat" }, "--token" },
        { { "--token", "cat", "--contexts-file", "/nonexistent", "--context", "x" }, "not both" },
        { { "--token", "cat" }, "no contexts: give --context" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *const *x = cases[i].args;
        proc_result e = run_moetop("attention-routing", "-m", a, x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7], NULL);
        CHECKF(is_clean_usage_error(&e) && strstr(e.err, cases[i].why), "case %zu: exit %d: %s", i, e.status, e.err);
        proc_free(&e);
    }
}

static void shards_merge_exactly(void) {
    const char *a = fixture_path('a', ".gguf");
    if (!a) return;
    char dir[512], set[600], path[700], shard[3][700], merged[700];
    snprintf(dir, sizeof dir, "%s", t_tmpdir());
    snprintf(set, sizeof set, "%s/set", dir);
    snprintf(path, sizeof path, "mkdir -p %s", set);
    CHECK(system(path) == 0);
    snprintf(path, sizeof path, "%s/animals.txt", set);
    const char *animals = "The quick brown fox jumps.\n\nA cat sat on the mat.\n\nDogs bark at night.\n";
    t_write_file(path, animals, strlen(animals));
    snprintf(path, sizeof path, "%s/numbers.txt", set);
    const char *numbers = "127 * 89 = 11303\n\n2 + 2 = 4, and 3 + 3 = 6\n";
    t_write_file(path, numbers, strlen(numbers));
    static const char *const kinds[] = { "circuits", "dynamics", "importance" };
    for (int k = 0; k < 3; k++) {
        proc_result whole = run_moetop(kinds[k], "-m", a, "--prompts", set, "--seed", "5", "--json", NULL);
        CHECKF(whole.status == 0, "%s: %s", kinds[k], whole.err);
        for (int i = 0; i < 3; i++) {
            char which[8];
            snprintf(which, sizeof which, "%d/3", i);
            snprintf(shard[i], sizeof shard[i], "%s/%s%d.json", dir, kinds[k], i);
            proc_result r = run_moetop(kinds[k], "-m", a, "--prompts", set, "--seed", "5", "--shard", which, "--json", NULL);
            CHECKF(r.status == 0, "%s", r.err);
            t_write_file(shard[i], r.out, r.out_len);
            proc_free(&r);
        }
        snprintf(merged, sizeof merged, "%s/merged.json", dir);
        proc_result m = run_moetop("merge-shards", "-o", merged, shard[2], shard[0], shard[1], NULL);
        unsigned long len = 0;
        char *got = t_read_file(merged, &len);
        CHECKF(m.status == 0 && got && len == whole.out_len && memcmp(got, whole.out, len) == 0, "%s merged:\n%.600s\nwhole:\n%.600s", kinds[k],
               got ? got : m.err, whole.out);
        free(got);
        proc_free(&m);
        proc_free(&whole);
        m = run_moetop("merge-shards", "-o", merged, shard[0], shard[1], NULL);
        CHECKF(is_clean_usage_error(&m) && strstr(m.err, "shard 2/3 is missing"), "%s", m.err);
        proc_free(&m);
        m = run_moetop("merge-shards", "-o", merged, shard[0], shard[0], shard[1], NULL);
        CHECKF(is_clean_usage_error(&m) && strstr(m.err, "given twice"), "%s", m.err);
        proc_free(&m);
    }
    /* shards of two experiments are not one run */
    char mixed[700];
    snprintf(mixed, sizeof mixed, "%s/circuits0.json", dir);
    proc_result m = run_moetop("merge-shards", "-o", merged, mixed, shard[1], shard[2], NULL);
    CHECKF(is_clean_usage_error(&m) && strstr(m.err, "from another run"), "%s", m.err);
    proc_free(&m);
    m = run_moetop("merge-shards", "-o", merged, path, NULL);
    CHECKF(is_clean_usage_error(&m) && strstr(m.err, "numbers.txt: "), "%s", m.err);
    proc_free(&m);
}

static bool has(const proc_result *r, const char *s) { return r->status == 0 && r->out && strstr(r->out, s) != NULL; }

/* the new-user trial's faults: an undefined number is - in text (empty in CSV,
 * null in JSON), never nan or a sentinel; no p without a test; Holm's p beside
 * the raw one; the relabelling floor of the Mantel p; predict's intervals */
static void undefined_numbers_and_tests(void) {
    const char *a = fixture_path('a', ".gguf");
    if (!a) return;
    /* dynamics on one token: no pairs, so nothing, chance included, is defined */
    proc_result d = run_moetop("dynamics", "-m", a, "--prompt", "a", "-n", "1", NULL);
    proc_result dc = run_moetop("dynamics", "-m", a, "--prompt", "a", "-n", "1", "--csv", NULL);
    proc_result dj = run_moetop("dynamics", "-m", a, "--prompt", "a", "-n", "1", "--json", NULL);
    CHECKF(has(&d, "no consecutive pairs") && !strstr(d.out, "nan") && !strstr(d.out, "1.0000"), "%s", d.out);
    CHECKF(has(&dc, "prompt,0,1,0,,,,\n") && !strstr(dc.out, "nan"), "%s", dc.out);
    jv *v = json_of(&dj);
    const jv *l0 = v ? jv_at(jv_get(v, "layers"), 0) : NULL;
    CHECK(l0 && jv_get(l0, "persistence_chance")->kind == JV_NULL && jv_get(l0, "jaccard_consecutive")->kind == JV_NULL &&
          jv_get(l0, "persistence_shuffled")->kind == JV_NULL);
    jv_free(v);
    proc_free(&d), proc_free(&dc), proc_free(&dj);
    /* importance on one token: experts never selected have no mean weight or saliency */
    proc_result im = run_moetop("importance", "-m", a, "--prompt", "a", NULL);
    proc_result ic = run_moetop("importance", "-m", a, "--prompt", "a", "--csv", NULL);
    CHECKF(has(&im, "  0.000        -          -  ") && !strstr(im.out, "nan"), "%s", im.out);
    CHECKF(has(&ic, "layer,") && !strstr(ic.out, "nan"), "%s", ic.out);
    proc_free(&im), proc_free(&ic);
    /* similarity --tokens 0: the functional rank is -, never -1 */
    proc_result si = run_moetop("similarity", "-m", a, "--tokens", "0", NULL);
    CHECKF(has(&si, "/-  ") && !strstr(si.out, "-1 ") && !strstr(si.out, "/-1"), "%s", si.out);
    proc_free(&si);
    /* circuits on one token: too few tokens, no numbers */
    proc_result ci = run_moetop("circuits", "-m", a, "--prompt", "a", NULL);
    proc_result cj = run_moetop("circuits", "-m", a, "--prompt", "a", "--json", NULL);
    CHECKF(has(&ci, "0->1             1        -          -         -         -  too few tokens") && !strstr(ci.out, "nan"), "%s", ci.out);
    v = json_of(&cj);
    const jv *p0 = v ? jv_at(jv_get(v, "pairs"), 0) : NULL;
    CHECK(p0 && jv_get(p0, "nmi")->kind == JV_NULL && jv_get(p0, "p_shuffled")->kind == JV_NULL &&
          jv_get(p0, "p_shuffled_holm")->kind == JV_NULL);
    jv_free(v);
    proc_free(&ci), proc_free(&cj);
    /* circuits over many tokens: Holm's p beside p, never below it, and the words follow Holm's */
    proc_result ch = run_moetop("circuits", "-m", a, "--prompt", PROMPT, "--json", NULL);
    v = json_of(&ch);
    const jv *pairs = v ? jv_get(v, "pairs") : NULL;
    double pmin = 2, hmin = 2;
    for (size_t i = 0; pairs && i < pairs->len; i++) {
        double p = jv_num(jv_at(pairs, i), "p_shuffled", -1), h = jv_num(jv_at(pairs, i), "p_shuffled_holm", -1);
        CHECKF(h >= p && h <= 1, "pair %zu: p %g holm %g", i, p, h);
        pmin = p < pmin ? p : pmin, hmin = h < hmin ? h : hmin;
    }
    CHECK(pairs && pairs->len == 3 && fabs(hmin - (3 * pmin < 1 ? 3 * pmin : 1)) < 1e-12); /* Holm's smallest: m p_(1) */
    jv_free(v);
    proc_free(&ch);
    /* attention-routing with identical contexts: no variation, no r, no p; 3 contexts: p >= 1/6 said */
    proc_result at = run_moetop("attention-routing", "-m", a, "--token", "cat", "--context", "a cat", "--context", "a cat", "--context",
                                "a cat", NULL);
    proc_result aj = run_moetop("attention-routing", "-m", a, "--token", "cat", "--context", "a cat", "--context", "a cat", "--context",
                                "a cat", "--json", NULL);
    CHECKF(has(&at, "at most 6 distinct permutations: p cannot go below 0.1667") && has(&at, "-         -         -  no variation: no test") &&
               !strstr(at.out, "nan") && !strstr(at.out, "1.0000  no variation"),
           "%s", at.out);
    v = json_of(&aj);
    const jv *al = v ? jv_at(jv_get(v, "layers"), 0) : NULL;
    CHECK(al && jv_get(al, "mantel_r")->kind == JV_NULL && jv_get(al, "p_mantel")->kind == JV_NULL && jv_get(al, "p_mantel_holm")->kind == JV_NULL);
    jv_free(v);
    proc_free(&at), proc_free(&aj);
    /* predict: the test token count and a Wilson interval around each precision and hit rate */
    proc_result pt = run_moetop("predict", "-m", a, "--prompt", "1 2 3 4 5 6 7 8 9 10", NULL);
    proc_result pj = run_moetop("predict", "-m", a, "--prompt", "1 2 3 4 5 6 7 8 9 10", "--json", NULL);
    CHECKF(has(&pt, "precision@k [95% CI]") && has(&pt, "train, test: tokens"), "%s", pt.out);
    v = json_of(&pj);
    pairs = v ? jv_get(v, "pairs") : NULL;
    for (size_t i = 0; pairs && i < pairs->len; i++) {
        const jv *x = jv_at(pairs, i);
        double n = jv_num(x, "test_tokens", 0);
        for (size_t q = 0; q < 3; q++) {
            const jv *r = jv_at(jv_get(x, "predictors"), q), *c = jv_get(r, "precision_at_k_ci95"), *h = jv_get(r, "hit_at_prefetch_ci95");
            double pr = jv_num(r, "precision_at_k", -1), hr = jv_num(r, "hit_at_prefetch", -1);
            CHECKF(n >= 1 && c && c->len == 2 && jv_at(c, 0)->num <= pr && pr <= jv_at(c, 1)->num && jv_at(c, 1)->num - jv_at(c, 0)->num > 0.2 &&
                       h && h->len == 2 && jv_at(h, 0)->num <= hr && hr <= jv_at(h, 1)->num,
                   "pair %zu predictor %zu", i, q);
        }
    }
    jv_free(v);
    proc_free(&pt), proc_free(&pj);
    /* attention-routing without contexts says what is missing */
    proc_result nc = run_moetop("attention-routing", "-m", a, "--token", "bank", NULL);
    CHECKF(is_clean_usage_error(&nc) && strstr(nc.err, "no contexts") && !strstr(nc.err, "not both"), "%s", nc.err);
    proc_free(&nc);
}

static void bad_input_exits_2(void) {
    const char *a = fixture_path('a', ".gguf");
    if (!a) return;
    static const struct { const char *args[8], *why; } cases[] = {
        { { "circuits", "--prompt", "a b", "--pairs", "0:0" }, "--pairs: '0:0' is not a list" },
        { { "circuits", "--prompt", "a b", "--pairs", "0:4" }, "two different layers in 0..3" },
        { { "circuits", "--prompt", "a b", "--pairs", "0:1," }, "--pairs: '0:1,'" },
        { { "circuits", "--prompt", "a b", "--path-layers", "3:1" }, "--path-layers: '3:1'" },
        { { "circuits", "--prompt", "a b", "--shard", "3/3" }, "--shard: '3/3' is not i/N" },
        { { "circuits", "--prompt", "a b", "--json", "--csv" }, "give one" },
        { { "dynamics", "--prompt", "a b", "-n", "-1" }, "--max-tokens" },
        { { "dynamics", "--prompt", "a b", "--seed", "x" }, "--seed" },
        { { "dynamics", "--prompt", "a b", "--mask", "9" }, "--mask" },
        { { "predict", "--prompt", "a b", "--train-share", "1" }, "--train-share" },
        { { "predict", "--prompt", "a b", "--features", "logits" }, "--features: 'logits'" },
        { { "predict", "--prompt", "a b", "--prefetch", "9" }, "--prefetch" },
        { { "predict", "--prompt", "a" }, "too few tokens" },
        { { "similarity", "--tokens", "x" }, "--tokens" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *const *x = cases[i].args;
        proc_result r = run_moetop(x[0], "-m", a, x[1], x[2], x[3], x[4], x[5], x[6], x[7], NULL);
        CHECKF(is_clean_usage_error(&r) && strstr(r.err, cases[i].why), "case %zu: exit %d: %s", i, r.status, r.err);
        proc_free(&r);
    }
    proc_result r = run_moetop("merge-shards", "-o", "/dev/null", NULL);
    CHECK(is_clean_usage_error(&r));
    proc_free(&r);
}

int main(void) {
    t_begin("cli-routing-structure");
    RUN(circuits_against_trace);
    RUN(dynamics_against_trace_and_generate);
    RUN(importance_against_trace);
    RUN(similarity_shapes_and_files);
    RUN(predict_against_chance);
    RUN(attention_routing_runs);
    RUN(shards_merge_exactly);
    RUN(bad_input_exits_2);
    RUN(undefined_numbers_and_tests);
    return t_end();
}
