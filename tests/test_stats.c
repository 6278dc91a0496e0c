/* Routing statistics: every metric against values worked out by hand on
 * small traces (one token, k = E, an expert never chosen, ties, k = 1, force,
 * everything dropped), the chi-square test, and the analyses' command line:
 * entropy and coact against the trace, interventions, export in pandas,
 * charts, and a 10k-token profile in 4 shards merged equal to one run. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/rng.h"
#include "engine/stats.h"
#include "support/cli_util.h"
#include "support/fixtures.h"
#include "support/harness.h"

#define NEAR(a, b) (fabs((a) - (b)) < 1e-9)

static void one_token_by_hand(void) {
    mt_stats st;
    mt_stats_init(&st, 1, 4);
    const float z[4] = { 0, 0, 0, 0 };
    const uint32_t ex[2] = { 1, 2 };
    const float w[2] = { 0.5f, 0.5f };
    mt_stats_observe(&st.layers[0], z, ex, w, 2);
    mt_layer_metrics m;
    mt_layer_metrics_compute(&st.layers[0], 0.25 * 2.0 / 4, &m);
    CHECK(NEAR(m.h_full_mean, 1.0) && NEAR(m.h_full_std, 0.0));   /* uniform logits: H = ln 4 / ln 4 */
    CHECK(NEAR(m.h_mix_mean, 1.0));                               /* two equal weights: ln 2 / ln 2 */
    CHECK(NEAR(mt_load(&st.layers[0], 1), 0.5) && NEAR(mt_load(&st.layers[0], 0), 0.0));
    CHECK(NEAR(mt_rate(&st.layers[0], 2), 1.0) && NEAR(mt_soft_load(&st.layers[0], 3), 0.25));
    CHECK(NEAR(m.cv, 1.0));       /* f = (0, .5, .5, 0): std .25 / mean .25 */
    CHECK(NEAR(m.gini, 0.5));     /* sum |fi - fj| = 4, / (2 * 16 * .25) */
    CHECK(NEAR(m.max_vio, 1.0));  /* counts (0, 1, 1, 0): (1 - .5) / .5 */
    CHECK(m.cold == 2);           /* experts 0 and 3 */
    CHECK(NEAR(m.top1_share, 0.5) && st.layers[0].top1[1] == 1 && st.layers[0].top1[2] == 0); /* tie: the first in rank */
    CHECK(st.layers[0].coact[1 * 4 + 2] == 1 && st.layers[0].coact[2 * 4 + 1] == 1 && st.layers[0].coact[1 * 4 + 1] == 1);
    CHECK(NEAR(mt_coact(&st.layers[0], 1, 2), 1.0) && NEAR(mt_coact(&st.layers[0], 0, 1), 0.0));
    mt_stats_free(&st);
}

static void k_equals_e_k1_force_and_drop(void) {
    mt_stats st;
    mt_stats_init(&st, 1, 4);
    mt_layer_stats *ls = &st.layers[0];
    const float z[4] = { 2.0f, 1.0f, 0.0f, -1.0f };
    /* k = E: every expert, weights .4 .3 .2 .1 */
    const uint32_t all[4] = { 0, 1, 2, 3 };
    const float w4[4] = { 0.4f, 0.3f, 0.2f, 0.1f };
    mt_stats_observe(ls, z, all, w4, 4);
    double h = 0;
    for (int i = 0; i < 4; i++) h -= (double)w4[i] * log((double)w4[i]);
    double expect_mix = h / log(4.0);
    /* softmax(2, 1, 0, -1) by hand */
    double e[4] = { exp(2.0), exp(1.0), 1.0, exp(-1.0) }, sum = e[0] + e[1] + e[2] + e[3], hf = 0;
    for (int i = 0; i < 4; i++) hf -= e[i] / sum * log(e[i] / sum);
    mt_layer_metrics m;
    mt_layer_metrics_compute(ls, 0, &m);
    CHECKF(fabs(m.h_mix_mean - expect_mix) < 1e-8, "H_mix %.10f, by hand %.10f", m.h_mix_mean, expect_mix);
    CHECKF(fabs(m.h_full_mean - hf / log(4.0)) < 1e-8, "H_full %.10f, by hand %.10f", m.h_full_mean, hf / log(4.0));
    CHECK(NEAR(m.gini, 0.0) && NEAR(m.cv, 0.0) && NEAR(m.max_vio, 0.0)); /* every expert once */
    /* k = 1 (and force, the same shape): H_mix = 0, top-1 share 1 */
    const uint32_t one[1] = { 3 };
    const float w1[1] = { 1.0f };
    mt_stats_observe(ls, z, one, w1, 1);
    /* every selected expert dropped: counted as selected, no top-1, H_mix 0 */
    const uint32_t two[2] = { 0, 1 };
    const float w0[2] = { 0.0f, 0.0f };
    mt_stats_observe(ls, z, two, w0, 2);
    mt_layer_metrics_compute(ls, 0, &m);
    CHECK(ls->tokens == 3 && ls->selections == 7);
    CHECKF(fabs(m.h_mix_mean - expect_mix / 3) < 1e-8, "H_mix mean %.10f", m.h_mix_mean);
    CHECKF(fabs(m.top1_share - (0.4 + 1.0 + 0.0) / 3) < 1e-8, "top-1 share %.10f", m.top1_share);
    CHECK(ls->top1[0] == 1 && ls->top1[3] == 1 && ls->count[0] == 2 && ls->count[3] == 2 && ls->count[2] == 1);
    CHECK(NEAR(mt_entropy_mix(w0, 2), 0.0) && NEAR(mt_entropy_mix(w1, 1), 0.0));
    mt_stats_free(&st);
}

static void never_chosen_and_overlap(void) {
    mt_stats st;
    mt_stats_init(&st, 1, 8);
    const float z[8] = { 0 };
    for (int t = 0; t < 10; t++) {
        const uint32_t ex[2] = { (uint32_t)(t % 3), 7 };
        const float w[2] = { 0.5f, 0.5f };
        mt_stats_observe(&st.layers[0], z, ex, w, 2);
    }
    mt_layer_metrics m;
    mt_layer_metrics_compute(&st.layers[0], 0.25 * 2.0 / 8, &m);
    CHECK(m.cold == 4 && st.layers[0].count[7] == 10 && st.layers[0].count[3] == 0); /* 3..6 never chosen */
    CHECK(NEAR(m.max_vio, (10.0 - 20.0 / 8) / (20.0 / 8)));
    const uint32_t a[2] = { 1, 2 }, b[2] = { 2, 3 }, c[3] = { 1, 2, 5 };
    CHECK(NEAR(mt_overlap(a, 2, b, 2), 0.5) && NEAR(mt_overlap(a, 2, a, 2), 1.0) && NEAR(mt_overlap(a, 2, c, 3), 2.0 / 3));
    CHECK(NEAR(mt_overlap(a, 2, b, 0), 0.0) && NEAR(mt_overlap(a, 0, b, 0), 1.0));
    mt_stats_free(&st);
}

static void chi_square_by_hand(void) {
    const uint64_t t1[4] = { 10, 20, 20, 10 }; /* expected 15 everywhere: chi2 = 4 * 25 / 15 */
    double chi2, p;
    uint32_t dof;
    mt_chi_square(t1, 2, 2, &chi2, &dof, &p);
    CHECKF(fabs(chi2 - 20.0 / 3) < 1e-12 && dof == 1 && fabs(p - 0.0098232) < 1e-6, "chi2 %g dof %u p %g", chi2, dof, p);
    const uint64_t t2[6] = { 30, 30, 30, 30, 30, 30 }; /* independent: chi2 0, p 1 */
    mt_chi_square(t2, 2, 3, &chi2, &dof, &p);
    CHECK(chi2 == 0 && dof == 2 && fabs(p - 1.0) < 1e-12);
    const uint64_t t3[6] = { 5, 0, 9, 3, 0, 8 }; /* an all-zero column is left out: 2 x 2 */
    mt_chi_square(t3, 2, 3, &chi2, &dof, &p);
    CHECK(dof == 1);
    /* the 0.05 critical value of 2 degrees of freedom is 5.991 */
    const uint64_t t4[6] = { 100, 100, 100, 100, 100, 100 };
    mt_chi_square(t4, 2, 3, &chi2, &dof, &p);
    CHECK(p > 0.99);
    const uint64_t t5[4] = { 1000, 0, 0, 1000 };
    mt_chi_square(t5, 2, 2, &chi2, &dof, &p);
    CHECKF(p < 1e-100, "a perfectly dependent table: p %g", p);
}

/* entropy and coact against the trace's own router logits and selections,
 * with an intervention (z stays the unmodified logits; mixing uses the weights applied). */
static void commands_agree_with_the_trace(void) {
    const char *gguf = fixture_path('a', ".gguf");
    if (!gguf) return;
    const char *prompt = "What is 127 * 89? Show the steps.";
    proc_result tr = run_moetop("trace", "-m", gguf, "--prompt", prompt, "--mask", "0@1", "--drop", "2", "--router-logits", "--json", NULL);
    proc_result en = run_moetop("entropy", "-m", gguf, "--prompt", prompt, "--mask", "0@1", "--drop", "2", "--json", NULL);
    proc_result co = run_moetop("coact", "-m", gguf, "--prompt", prompt, "--mask", "0@1", "--drop", "2", "--json", NULL);
    char err[256];
    jv *t = jv_parse(tr.out, tr.out_len, err, sizeof err), *e = jv_parse(en.out, en.out_len, err, sizeof err),
       *c = jv_parse(co.out, co.out_len, err, sizeof err);
    if (CHECKF(t && e && c, "exit %d %d %d: %s", tr.status, en.status, co.status, en.err)) {
        for (size_t l = 0; l < 4; l++) {
            const jv *lay = jv_at(jv_get(t, "layers"), l);
            const jv *z = jv_get(lay, "router_logits"), *w = jv_get(lay, "weights"), *k = jv_get(lay, "topk");
            double hf = 0, hm = 0;
            uint64_t counts[8][8] = { { 0 } };
            for (size_t i = 0; i < z->len; i++) {
                float zz[8], ww[8];
                for (int x = 0; x < 8; x++) zz[x] = (float)jv_at(jv_at(z, i), x)->num;
                size_t n = jv_at(w, i)->len;
                for (size_t x = 0; x < n; x++) ww[x] = (float)jv_at(jv_at(w, i), x)->num;
                hf += mt_entropy_full(zz, 8);
                hm += mt_entropy_mix(ww, (uint32_t)n);
                for (size_t x = 0; x < n; x++)
                    for (size_t y = 0; y < n; y++) counts[(int)jv_at(jv_at(k, i), x)->num][(int)jv_at(jv_at(k, i), y)->num]++;
            }
            const jv *el = jv_at(jv_get(e, "layers"), l), *cl = jv_at(jv_get(c, "layers"), l);
            CHECKF(fabs(jv_num(el, "entropy_full_mean", -1) - hf / (double)z->len) < 1e-6, "layer %zu H_full", l);
            CHECKF(fabs(jv_num(el, "entropy_topk_mean", -1) - hm / (double)z->len) < 1e-6, "layer %zu H_mix", l);
            CHECK(jv_num(el, "tokens", 0) == (double)z->len && jv_num(cl, "tokens", 0) == (double)z->len);
            bool same = true;
            for (int x = 0; x < 8; x++)
                for (int y = 0; y < 8; y++) same &= jv_at(jv_at(jv_get(cl, "counts"), (size_t)x), (size_t)y)->num == (double)counts[x][y];
            CHECKF(same, "layer %zu: coact counts differ from the trace's selections", l);
        }
    }
    jv_free(t);
    jv_free(e);
    jv_free(c);
    proc_free(&tr);
    proc_free(&en);
    proc_free(&co);
}

/* With --k 2 at the last layer only, earlier layers overlap the baseline
 * fully, and the last keeps 2 of its 4 experts: 0.5 exactly. */
static void overlap_with_baseline(void) {
    const char *gguf = fixture_path('b', ".gguf");
    if (!gguf) return;
    proc_result r = run_moetop("sweep", "-m", gguf, "--prompt", "The quick brown fox jumps over the lazy dog.", "--k", "2@2", "--json", NULL);
    char err[256];
    jv *v = r.status == 0 ? jv_parse(r.out, r.out_len, err, sizeof err) : NULL;
    if (CHECKF(v != NULL, "%s", r.err)) {
        const jv *layers = jv_get(v, "layers");
        CHECK(jv_num(jv_at(layers, 0), "overlap_with_baseline", -1) == 1.0 && jv_num(jv_at(layers, 1), "overlap_with_baseline", -1) == 1.0);
        CHECK(jv_num(jv_at(layers, 2), "overlap_with_baseline", -1) == 0.5);
    }
    jv_free(v);
    proc_free(&r);
    r = run_moetop("sweep", "-m", gguf, "--prompt", "The quick brown fox.", "--json", NULL);
    CHECK(r.status == 0 && !strstr(r.out, "overlap_with_baseline")); /* no interventions: nothing to compare */
    proc_free(&r);
}

static const char *write_prompt_set(void) {
    static char dir[512];
    snprintf(dir, sizeof dir, "%s/prompts", t_tmpdir());
    char path[600];
    snprintf(path, sizeof path, "mkdir -p %s", dir);
    if (system(path) != 0) return NULL;
    snprintf(path, sizeof path, "%s/code.txt", dir);
    const char *code = "def f(x):\n    return x * 2\n\nfor i in range(3):\n    print(i, \"a,b\")\n";
    t_write_file(path, code, strlen(code));
    snprintf(path, sizeof path, "%s/math.txt", dir);
    const char *math = "127 * 89 = 11303\n\n\n42 + 17 = 59\n";
    t_write_file(path, math, strlen(math));
    return dir;
}

static void export_loads_in_pandas(void) {
    const char *gguf = fixture_path('a', ".gguf");
    const char *dir = write_prompt_set();
    if (!gguf || !dir) return;
    char csv[600], jsonl[600];
    snprintf(csv, sizeof csv, "%s/routing.csv", t_tmpdir());
    snprintf(jsonl, sizeof jsonl, "%s/routing.jsonl", t_tmpdir());
    proc_result a = run_moetop("export", "-m", gguf, "--prompts", dir, "-o", csv, NULL);
    proc_result b = run_moetop("export", "-m", gguf, "--prompts", dir, "--format", "jsonl", "-o", jsonl, NULL);
    CHECK(a.status == 0 && b.status == 0);
    proc_free(&a);
    proc_free(&b);
    if (!CHECKF(system("/usr/bin/python3 -c 'import pandas' 2>/dev/null") == 0,
                "/usr/bin/python3 cannot import pandas (Debian package python3-pandas: sh tools/deps.sh installs it)"))
        return;
    char script[2048];
    snprintf(script, sizeof script,
             "import pandas as pd, sys\n"
             "c = pd.read_csv('%s', keep_default_na=False)\n"
             "j = pd.read_json('%s', lines=True)\n"
             "assert list(c.columns) == ['domain','prompt','position','token_id','token_text','layer','rank','expert','weight'], list(c.columns)\n"
             "assert list(j.columns) == list(c.columns), list(j.columns)\n"
             "assert len(c) == len(j) and len(c) > 0\n"
             "assert set(c.domain) == {'code', 'math'}\n"
             "assert sorted(set(c.prompt[c.domain == 'math'])) == [0, 1]\n"
             "assert (c.groupby(['domain','prompt','position','layer']).weight.sum() - 1).abs().max() < 1e-5\n"
             "assert (c.token_text == j.token_text).all() and (c.expert == j.expert).all()\n"
             "assert c.token_text.str.contains(',').any()\n"
             "print(len(c))\n",
             csv, jsonl);
    const char *argv[] = { "/usr/bin/python3", "-c", script, NULL };
    proc_result r = proc_run(argv, NULL);
    CHECKF(r.status == 0, "pandas: %s", r.err);
    proc_free(&r);
}

static void charts_and_domains(void) {
    const char *gguf = fixture_path('b', ".gguf");
    const char *dir = write_prompt_set();
    if (!gguf || !dir) return;
    char sweep[600], coact[600], dom[600];
    snprintf(sweep, sizeof sweep, "%s/sweep.svg", t_tmpdir());
    snprintf(coact, sizeof coact, "%s/coact.svg", t_tmpdir());
    snprintf(dom, sizeof dom, "%s/domains.svg", t_tmpdir());
    proc_result a = run_moetop("sweep", "-m", gguf, "--prompts", dir, "--svg", sweep, NULL);
    proc_result b = run_moetop("coact", "-m", gguf, "--prompts", dir, "--svg", coact, "--layer", "2", NULL);
    proc_result c = run_moetop("domains", "-m", gguf, "--prompts", dir, "--svg", dom, "--json", NULL);
    CHECK(a.status == 0 && b.status == 0 && c.status == 0);
    const char *files[3] = { sweep, coact, dom };
    const char *must[3] = { "uniform (H = 1)", "CoAct", "domain" };
    for (int i = 0; i < 3; i++) {
        char *svg = t_read_file(files[i], NULL);
        CHECKF(svg && strstr(svg, "<svg") && strstr(svg, "</svg>") && strstr(svg, must[i]), "%s", files[i]);
        free(svg);
    }
    char err[256];
    jv *d = jv_parse(c.out, c.out_len, err, sizeof err);
    if (CHECKF(d != NULL, "%s", err)) {
        CHECK(jv_get(d, "domains")->len == 2);
        const jv *l0 = jv_at(jv_get(d, "layers"), 0);
        double p = jv_num(l0, "p_value", -1), share = 0;
        CHECK(p >= 0 && p <= 1 && jv_num(l0, "dof", 0) >= 1);
        const jv *spec = jv_at(jv_get(l0, "specialization"), 0);
        for (size_t e = 0; e < spec->len; e++) share += jv_at(spec, e)->num;
        CHECKF(fabs(share - 4.0) < 1e-9, "a domain's shares sum to k = 4, got %g", share); /* each token uses k experts */
    }
    jv_free(d);
    proc_free(&a);
    proc_free(&b);
    proc_free(&c);
}

/* 10k tokens of text as JSON Lines: one run, and 4 shards merged, give the same profile. */
static void shards_merge_exactly(void) {
    const char *gguf = fixture_path('a', ".gguf");
    if (!gguf) return;
    char data[600], whole[600], merged[600], shard[4][600];
    snprintf(data, sizeof data, "%s/data.jsonl", t_tmpdir());
    FILE *f = fopen(data, "wb");
    mt_rng r = mt_rng_seed(77, 0);
    static const char *const words[] = { "alpha", "Beta", "127", "*", "=", "def", "return", "the", "cat", "(x)", "\\n", "caf\\u00e9" };
    for (int doc = 0; doc < 400; doc++) {
        fprintf(f, "{\"id\": %d, \"text\": \"", doc);
        for (int w = (int)mt_rng_below(&r, 40) + 5; w > 0; w--) fprintf(f, "%s ", words[mt_rng_below(&r, 12)]);
        fprintf(f, "\"}\n%s", doc % 50 == 0 ? "\n" : "");
    }
    fclose(f);
    snprintf(whole, sizeof whole, "%s/whole.json", t_tmpdir());
    snprintf(merged, sizeof merged, "%s/merged.json", t_tmpdir());
    proc_result a = run_moetop("profile", "-m", gguf, "--data", data, "-o", whole, NULL);
    CHECKF(a.status == 0, "%s", a.err);
    proc_free(&a);
    for (int i = 0; i < 4; i++) {
        char spec[16];
        snprintf(shard[i], sizeof shard[i], "%s/shard%d.json", t_tmpdir(), i);
        snprintf(spec, sizeof spec, "%d/4", i);
        proc_result s = run_moetop("profile", "-m", gguf, "--data", data, "--shard", spec, "-o", shard[i], NULL);
        CHECKF(s.status == 0, "shard %d: %s", i, s.err);
        proc_free(&s);
    }
    proc_result m = run_moetop("merge-profiles", "-o", merged, shard[0], shard[1], shard[2], shard[3], NULL);
    CHECKF(m.status == 0, "merge: %s", m.err);
    proc_free(&m);
    char err[256];
    jv *x = jv_parse_file(whole, err, sizeof err), *y = jv_parse_file(merged, err, sizeof err);
    if (CHECKF(x && y, "%s", err)) {
        const jv *lx = jv_get(x, "layers"), *ly = jv_get(y, "layers");
        CHECKF(jv_num(jv_at(lx, 0), "tokens", 0) >= 10000, "only %g tokens", jv_num(jv_at(lx, 0), "tokens", 0));
        CHECK(jv_num(x, "docs", 0) == 400 && jv_num(y, "docs", 0) == 400);
        /* every integer of every layer, exactly */
        static const char *const keys[] = { "tokens", "selections", "count", "top1", "coact", "soft_fix32", "entropy_sums_fix32",
                                            "hist_top1_weight", "hist_entropy_full" };
        int differing = 0;
        for (size_t l = 0; l < lx->len; l++)
            for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) {
                const jv *vx = jv_get(jv_at(lx, l), keys[k]), *vy = jv_get(jv_at(ly, l), keys[k]);
                if (vx->kind == JV_NUM) differing += vx->u64 != vy->u64;
                else
                    for (size_t i = 0; i < vx->len; i++) differing += jv_at(vx, i)->u64 != jv_at(vy, i)->u64 || !jv_at(vx, i)->is_u64;
            }
        CHECKF(differing == 0, "%d numbers differ between one run and 4 merged shards", differing);
    }
    jv_free(x);
    jv_free(y);
    /* the profile feeds the analyses */
    proc_result s = run_moetop("sweep", "--profile", merged, "--json", NULL);
    CHECKF(s.status == 0 && strstr(s.out, "\"gini\""), "sweep --profile: %s", s.err);
    proc_free(&s);
    proc_result bad = run_moetop("merge-profiles", "-o", merged, data, NULL);
    CHECK(is_clean_usage_error(&bad) && strstr(bad.err, "not a profile"));
    proc_free(&bad);
}

int main(void) {
    t_begin("stats");
    RUN(one_token_by_hand);
    RUN(k_equals_e_k1_force_and_drop);
    RUN(never_chosen_and_overlap);
    RUN(chi_square_by_hand);
    RUN(commands_agree_with_the_trace);
    RUN(overlap_with_baseline);
    RUN(export_loads_in_pandas);
    RUN(charts_and_domains);
    RUN(shards_merge_exactly);
    return t_end();
}
