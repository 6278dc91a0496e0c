/* The statistics commands: entropy and coact against the trace,
 * interventions, export in pandas (tokens such as null and 007 kept as text),
 * charts, --chat in every analysis, no statistic over zero tokens, domains
 * over one prompt and by default, a 10k-token profile in 4 shards merged equal
 * to one run, and every command on a model whose router logits hold NaN and
 * infinities. The metrics themselves by hand: test_stats.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/rng.h"
#include "engine/stats.h"
#include "support/cli_util.h"
#include "support/fixtures.h"
#include "support/harness.h"
#include "support/nonfinite.h"

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

/* Tokens that pandas' defaults would read as missing values or numbers
 * ("null", "NA", "007") stay text with the recipe export --help and the
 * README give; checked on the bundled model, whose ids are read at run time
 * (a retrain changes them): the candidates that are one token each. */
static void export_keeps_na_and_digit_tokens_as_text(void) {
    static const char *const candidates[] = { "NA", "null", "nan", "None", "NULL", "N/A", "NaN", "n/a", "<NA>" };
    char ids[256] = "", want[512] = "[";
    size_t n_ids = 0;
    for (size_t i = 0; i < sizeof candidates / sizeof *candidates; i++) {
        proc_result r = run_moetop("tokenize", "--json", candidates[i], NULL);
        char err[256];
        jv *v = r.status == 0 ? jv_parse(r.out, r.out_len, err, sizeof err) : NULL;
        const jv *list = v ? jv_get(v, "ids") : NULL;
        if (list && list->len == 1) {
            size_t o = strlen(ids), w = strlen(want);
            snprintf(ids + o, sizeof ids - o, "%s%.0f", n_ids ? " " : "", jv_at(list, 0)->num);
            snprintf(want + w, sizeof want - w, "%s'%s'", n_ids ? ", " : "", candidates[i]);
            n_ids++;
        }
        jv_free(v);
        proc_free(&r);
    }
    if (n_ids == 0) {
        t_skip("no pandas missing-value word (NA, null, ...) is one token of the bundled model's vocabulary");
        return;
    }
    snprintf(want + strlen(want), sizeof want - strlen(want), "]");
    char na_csv[600], na_jsonl[600], dig_csv[600], dig_jsonl[600];
    snprintf(na_csv, sizeof na_csv, "%s/na.csv", t_tmpdir());
    snprintf(na_jsonl, sizeof na_jsonl, "%s/na.jsonl", t_tmpdir());
    snprintf(dig_csv, sizeof dig_csv, "%s/digits.csv", t_tmpdir());
    snprintf(dig_jsonl, sizeof dig_jsonl, "%s/digits.jsonl", t_tmpdir());
    proc_result a = run_moetop("export", "--ids", ids, "-o", na_csv, NULL);
    proc_result b = run_moetop("export", "--ids", ids, "--format", "jsonl", "-o", na_jsonl, NULL);
    proc_result c = run_moetop("export", "--prompt", "007", "-o", dig_csv, NULL);
    proc_result d = run_moetop("export", "--prompt", "007", "--format", "jsonl", "-o", dig_jsonl, NULL);
    CHECKF(a.status == 0 && b.status == 0 && c.status == 0 && d.status == 0, "export: %s%s%s%s", a.err, b.err, c.err, d.err);
    proc_free(&a);
    proc_free(&b);
    proc_free(&c);
    proc_free(&d);
    if (system("/usr/bin/python3 -c 'import pandas' 2>/dev/null") != 0) {
        t_skip("python3-pandas is not installed (sh tools/deps.sh installs it)");
        return;
    }
    char script[8192];
    snprintf(script, sizeof script,
             "import pandas as pd\n"
             "text = {'domain': str, 'token_text': str}\n"
             "def first(df):\n"
             "    rows = df[(df.layer == 0) & (df['rank'] == 0)].sort_values('position')\n"
             "    return rows.token_text.tolist()\n"
             "c = pd.read_csv('%s', keep_default_na=False, dtype=text)\n"
             "j = pd.read_json('%s', lines=True, dtype=text)\n"
             "assert first(c) == %s and first(j) == %s, (first(c), first(j))\n"
             "assert set(c.domain) == {'prompt'} and set(j.domain) == {'prompt'}\n"
             "assert pd.read_csv('%s').token_text.isna().any(), 'pandas defaults no longer read these as missing'\n"
             "c = pd.read_csv('%s', keep_default_na=False, dtype=text)\n"
             "j = pd.read_json('%s', lines=True, dtype=text)\n"
             "assert ''.join(first(c)) == '007' and ''.join(first(j)) == '007', (first(c), first(j))\n"
             "assert ''.join(map(str, first(pd.read_csv('%s')))) != '007', 'pandas defaults no longer read these as numbers'\n",
             na_csv, na_jsonl, want, want, na_csv, dig_csv, dig_jsonl, dig_csv);
    const char *argv[] = { "/usr/bin/python3", "-c", script, NULL };
    proc_result r = proc_run(argv, NULL);
    CHECKF(r.status == 0, "pandas (tokens %s): %s", want, r.err);
    proc_free(&r);
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
             "c = pd.read_csv('%s', keep_default_na=False, dtype={'domain': str, 'token_text': str})\n"
             "j = pd.read_json('%s', lines=True, dtype={'domain': str, 'token_text': str})\n"
             "assert list(c.columns) == ['domain','prompt','position','token_id','token_text','layer','rank','expert','weight','nonfinite'], list(c.columns)\n"
             "assert (c.nonfinite == 0).all() and (j.nonfinite == False).all()\n"
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
        double p = jv_num(l0, "p_permutation", -1), share = 0;
        CHECK(p > 0 && p <= 1 && jv_num(l0, "dof", 0) >= 1 && jv_num(l0, "p_holm", -1) >= p && jv_num(l0, "p_chi2", -1) >= 0);
        const jv *spec = jv_at(jv_get(l0, "specialization"), 0);
        for (size_t e = 0; e < spec->len; e++) share += jv_at(spec, e)->num;
        CHECKF(fabs(share - 4.0) < 1e-9, "a domain's shares sum to k = 4, got %g", share); /* each token uses k experts */
    }
    jv_free(d);
    /* 4 prompts, 2 per domain: 6 labellings, so no permutation p below 1/3, and the text
     * never concludes that the domains route differently, however large chi2 is */
    proc_result t = run_moetop("domains", "-m", gguf, "--prompts", dir, NULL);
    CHECKF(t.status == 0 && strstr(t.out, "permutation p") && !strstr(t.out, "route differently") &&
               strstr(t.out, "no difference shown") && strstr(t.out, "no layer can reach the 5% level"), "%s", t.out);
    proc_free(&t);
    proc_free(&a);
    proc_free(&b);
    proc_free(&c);
}

/* The ids `tokenize --chat TEXT` gives on the bundled model, as JSON; NULL after a failed check. */
static jv *chat_ids(const char *text) {
    proc_result r = run_moetop("tokenize", "--chat", text, "--json", NULL);
    char err[256];
    jv *v = r.status == 0 ? jv_parse(r.out, r.out_len, err, sizeof err) : NULL;
    CHECKF(v && jv_get(v, "ids"), "tokenize --chat: %s", r.err);
    proc_free(&r);
    return v;
}

/* --chat TEXT (the harmony wrapper generate and tokenize have) in trace and
 * every analysis that takes a prompt, through the one shared option: each
 * runs exactly tokenize --chat's tokens. */
static void chat_prompt_everywhere(void) {
    const char *q = "What is 127 * 89?";
    jv *want = chat_ids(q);
    if (!want) return;
    const jv *ids = jv_get(want, "ids");
    double T = (double)ids->len;
    char err[256];
    proc_result tr = run_moetop("trace", "--chat", q, "--json", NULL);
    jv *t = tr.status == 0 ? jv_parse(tr.out, tr.out_len, err, sizeof err) : NULL;
    if (CHECKF(t != NULL, "trace --chat: %s", tr.err)) {
        const jv *toks = jv_get(t, "tokens");
        bool same = toks->len == ids->len;
        for (size_t i = 0; same && i < ids->len; i++) same = jv_num(jv_at(toks, i), "id", -1) == jv_at(ids, i)->num;
        CHECKF(same, "trace --chat runs other tokens than tokenize --chat");
    }
    jv_free(t);
    proc_free(&tr);
    static const char *const analyses[] = { "entropy", "coact", "sweep", "cold" };
    for (size_t i = 0; i < 4; i++) {
        proc_result r = run_moetop(analyses[i], "--chat", q, "--json", NULL);
        jv *v = r.status == 0 ? jv_parse(r.out, r.out_len, err, sizeof err) : NULL;
        CHECKF(v && jv_num(jv_at(jv_get(v, "layers"), 0), "tokens", -1) == T, "%s --chat: %g tokens, want %g: %s", analyses[i],
               v ? jv_num(jv_at(jv_get(v, "layers"), 0), "tokens", -1) : -1.0, T, r.err);
        jv_free(v);
        proc_free(&r);
    }
    proc_result d = run_moetop("domains", "--chat", q, "--json", NULL);
    jv *v = d.status == 0 ? jv_parse(d.out, d.out_len, err, sizeof err) : NULL;
    CHECKF(v && jv_at(jv_get(jv_at(jv_get(v, "layers"), 0), "tokens"), 0)->num == T, "domains --chat: %s", d.err);
    jv_free(v);
    proc_free(&d);
    proc_result e = run_moetop("export", "--chat", q, "--format", "jsonl", NULL);
    size_t rows = 0;
    for (const char *p = e.out; (p = strchr(p, '\n')); p++) rows++;
    proc_result info = run_moetop("info", "--json", NULL);
    jv *m = info.status == 0 ? jv_parse(info.out, info.out_len, err, sizeof err) : NULL;
    const jv *md = m ? jv_get(m, "metadata") : NULL;
    double L = md ? jv_num(md, "gpt-oss.block_count", 0) : 0, k = md ? jv_num(md, "gpt-oss.expert_used_count", 0) : 0;
    CHECKF(e.status == 0 && L > 0 && (double)rows == T * L * k, "export --chat: %zu rows, want %g x %g x %g: %s", rows, T, L, k, e.err);
    jv_free(m);
    proc_free(&info);
    proc_free(&e);
    proc_result both = run_moetop("sweep", "--chat", q, "--prompt", "x", NULL);
    CHECK(is_clean_usage_error(&both) && strstr(both.err, "give only one of"));
    proc_free(&both);
    jv_free(want);
}

/* Zero tokens never come out as rows of 0.000: an empty --prompt, --ids,
 * --prompt-file, a prompt-set file with no prompts, a dataset or a profile
 * of no tokens is one line, exit 2, nothing on stdout; every command that
 * shows statistics over a prompt. */
static void no_statistics_over_zero_tokens(void) {
    char empty[600], set[600], path[700], data[600], prof[600], shard[600];
    snprintf(empty, sizeof empty, "%s/empty.txt", t_tmpdir());
    t_write_file(empty, "", 0);
    static const char *const commands[] = { "trace", "generate", "entropy", "coact", "sweep", "cold", "domains", "export" };
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++) {
        const char *flags[3][2] = { { "--prompt", "" }, { "--ids", " " }, { "--prompt-file", empty } };
        for (int f = 0; f < 3; f++) {
            proc_result r = run_moetop(commands[i], flags[f][0], flags[f][1], NULL);
            CHECKF(is_clean_usage_error(&r) && strstr(r.err, "no tokens"), "%s %s '%s': exit %d, out '%.80s', err %s", commands[i],
                   flags[f][0], flags[f][1], r.status, r.out, r.err);
            proc_free(&r);
        }
    }
    /* lines of spaces and tabs separate prompts (they once looped forever) */
    snprintf(set, sizeof set, "%s/spaced", t_tmpdir());
    snprintf(path, sizeof path, "mkdir -p %s", set);
    CHECK(system(path) == 0);
    snprintf(path, sizeof path, "%s/a.txt", set);
    const char *spaced = "one\n \n\t\ntwo\n  \n";
    t_write_file(path, spaced, strlen(spaced));
    proc_result sp = run_moetop("export", "--prompts", set, "--format", "jsonl", NULL);
    CHECKF(sp.status == 0 && strstr(sp.out, "\"prompt\":0,") && strstr(sp.out, "\"prompt\":1,") && !strstr(sp.out, "\"prompt\":2,"),
           "two prompts: exit %d: %s", sp.status, sp.err);
    proc_free(&sp);
    /* a prompt set whose second file holds only blank lines */
    snprintf(set, sizeof set, "%s/gapset", t_tmpdir());
    snprintf(path, sizeof path, "mkdir -p %s", set);
    CHECK(system(path) == 0);
    snprintf(path, sizeof path, "%s/a.txt", set);
    t_write_file(path, "one prompt\n", strlen("one prompt\n"));
    snprintf(path, sizeof path, "%s/b.txt", set);
    t_write_file(path, "\n \n\t\n", strlen("\n \n\t\n"));
    proc_result r = run_moetop("domains", "--prompts", set, NULL);
    CHECKF(is_clean_usage_error(&r) && strstr(r.err, "b.txt") && strstr(r.err, "no tokens"), "%s", r.err);
    proc_free(&r);
    /* a dataset of no text: no profile; a shard that holds no document: an empty one, refused by the analyses */
    snprintf(data, sizeof data, "%s/blank.jsonl", t_tmpdir());
    snprintf(prof, sizeof prof, "%s/blank.json", t_tmpdir());
    t_write_file(data, "{\"text\": \"\"}\n", strlen("{\"text\": \"\"}\n"));
    r = run_moetop("profile", "--data", data, "-o", prof, NULL);
    CHECKF(is_clean_usage_error(&r) && strstr(r.err, "no tokens") && access(prof, F_OK) != 0, "%s", r.err);
    proc_free(&r);
    snprintf(shard, sizeof shard, "%s/shard3.json", t_tmpdir());
    r = run_moetop("profile", "--data", "examples/corpus.jsonl", "--shard", "99/100", "-o", shard, NULL);
    CHECKF(r.status == 0 && strstr(r.err, "no tokens") && access(shard, F_OK) == 0, "an empty shard: exit %d: %s", r.status, r.err);
    proc_free(&r);
    static const char *const on_profiles[] = { "entropy", "coact", "sweep", "cold" };
    for (size_t i = 0; i < 4; i++) {
        r = run_moetop(on_profiles[i], "--profile", shard, NULL);
        CHECKF(is_clean_usage_error(&r) && strstr(r.err, "no tokens"), "%s --profile (empty): exit %d: %s", on_profiles[i], r.status, r.err);
        proc_free(&r);
    }
    r = run_moetop("bench", "-p", "8", "-n", "0", NULL); /* no speed over zero decoded tokens */
    /* a zero speed is " 0.0 tok/s" as a whole number: "6360.0 tok/s" (a fast prefill) is not one */
    CHECKF(r.status == 0 && strstr(r.out, "no decode") && !strstr(r.out, " 0.0 tok/s") && !strstr(r.out, "inf tok/s") && !strstr(r.out, "nan tok/s"),
           "bench -n 0: %s%s", r.out, r.err);
    proc_free(&r);
}

/* domains over a single prompt (one domain, "prompt": its shares, which are
 * the rates sweep gives, and no test) and, given no prompt flag, over the
 * bundled prompt sets, like the other analyses (the same tokens as sweep). */
static void domains_single_prompt_and_default(void) {
    const char *prompt = "def f(x): return x * 2";
    char err[256];
    proc_result d = run_moetop("domains", "--prompt", prompt, "--json", NULL);
    proc_result w = run_moetop("sweep", "--prompt", prompt, "--json", NULL);
    proc_result dt = run_moetop("domains", "--prompt", prompt, NULL);
    jv *dv = d.status == 0 ? jv_parse(d.out, d.out_len, err, sizeof err) : NULL, *wv = w.status == 0 ? jv_parse(w.out, w.out_len, err, sizeof err) : NULL;
    if (CHECKF(dv && wv, "domains %d %s sweep %d %s", d.status, d.err, w.status, w.err)) {
        CHECK(jv_get(dv, "domains")->len == 1 && strcmp(jv_at(jv_get(dv, "domains"), 0)->str, "prompt") == 0);
        const jv *dl = jv_get(dv, "layers"), *wl = jv_get(wv, "layers");
        bool same = dl->len == wl->len;
        for (size_t l = 0; same && l < dl->len; l++) {
            const jv *spec = jv_at(jv_get(jv_at(dl, l), "specialization"), 0), *rate = jv_get(jv_at(wl, l), "rate");
            same = jv_num(jv_at(dl, l), "dof", -1) == 0 && jv_num(jv_at(dl, l), "p_chi2", -1) == 1 &&
                   jv_get(jv_at(dl, l), "p_permutation")->kind == JV_NULL && spec->len == rate->len;
            for (size_t e = 0; same && e < spec->len; e++) same = fabs(jv_at(spec, e)->num - jv_at(rate, e)->num) < 1e-12;
        }
        CHECKF(same, "one domain: shares equal sweep's rates, dof 0, p 1");
    }
    CHECKF(dt.status == 0 && strstr(dt.out, "no chi-square test") && !strstr(dt.out, "chi2 "), "the text says there is no test: %s", dt.out);
    jv_free(dv);
    jv_free(wv);
    proc_free(&d);
    proc_free(&w);
    proc_free(&dt);
    /* no prompt flag: the bundled prompt sets, one domain per file */
    d = run_moetop("domains", "--json", NULL);
    w = run_moetop("sweep", "--json", NULL);
    dv = d.status == 0 ? jv_parse(d.out, d.out_len, err, sizeof err) : NULL;
    wv = w.status == 0 ? jv_parse(w.out, w.out_len, err, sizeof err) : NULL;
    const char *const lister[] = { "/bin/sh", "-c", "ls assets/prompts | sed 's/\\.[^.]*$//' | sort", NULL };
    proc_result files = proc_run(lister, NULL);
    if (CHECKF(dv && wv, "domains %d %s sweep %d %s", d.status, d.err, w.status, w.err)) {
        const jv *names = jv_get(dv, "domains");
        char joined[1024] = "";
        for (size_t i = 0; i < names->len; i++)
            snprintf(joined + strlen(joined), sizeof joined - strlen(joined), "%s\n", jv_at(names, i)->str);
        CHECKF(strcmp(joined, files.out) == 0, "domains '%s', assets/prompts holds '%s'", joined, files.out);
        double sum = 0;
        const jv *toks = jv_get(jv_at(jv_get(dv, "layers"), 0), "tokens");
        for (size_t i = 0; i < toks->len; i++) sum += jv_at(toks, i)->num;
        CHECKF(sum == jv_num(jv_at(jv_get(wv, "layers"), 0), "tokens", -1), "domains' %g tokens, sweep's %g", sum,
               jv_num(jv_at(jv_get(wv, "layers"), 0), "tokens", -1));
    }
    proc_free(&files);
    jv_free(dv);
    jv_free(wv);
    proc_free(&d);
    proc_free(&w);
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
        static const char *const keys[] = { "tokens", "nonfinite", "selections", "count", "top1", "coact", "soft_fix32", "entropy_sums_fix32",
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

/* True when err holds "moetop: warning: layer L: N tokens with NaN or
 * infinite router logits, left out of every statistic" once for each of
 * layers 0..NONFINITE_PATCHED-1, N = tokens, and other_lines lines besides. */
static bool warned_each_patched_layer(const char *err, uint64_t tokens, int other_lines) {
    char want[200];
    for (int l = 0; l < NONFINITE_PATCHED; l++) {
        snprintf(want, sizeof want, "moetop: warning: layer %d: %llu tokens with NaN or infinite router logits, left out of every statistic\n", l,
                 (unsigned long long)tokens);
        const char *at = strstr(err, want);
        if (!at || strstr(at + 1, want)) return false;
    }
    return proc_count_lines(err) == NONFINITE_PATCHED + other_lines;
}

/* Every statistics command on a model whose router biases hold NaN and
 * infinities at layers 0..3 (tests/support/nonfinite.h): every token of
 * those layers is counted in "nonfinite" and nothing else, the stderr says
 * so once per layer, no entropy of 0 or top-1 share of 1 appears there;
 * layer 4 is untouched. Profiles carry the count through a shard merge. */
static void nonfinite_commands(void) {
    const char *gguf = nonfinite_model();
    const char *dir = write_prompt_set();
    if (!gguf || !dir) return;
    const char *prompt = "What is 127 * 89? Show the steps.";
    char err[256];
    proc_result en = run_moetop("entropy", "-m", gguf, "--prompt", prompt, "--json", NULL);
    jv *e = jv_parse(en.out, en.out_len, err, sizeof err);
    uint64_t T = 0;
    if (CHECKF(en.status == 0 && e, "entropy: %s", en.err)) {
        const jv *layers = jv_get(e, "layers");
        T = jv_get(jv_at(layers, 4), "tokens")->u64;
        CHECK(T > 5 && jv_get(jv_at(layers, 4), "nonfinite")->u64 == 0 && jv_num(jv_at(layers, 4), "entropy_full_mean", -1) > 0);
        for (int l = 0; l < NONFINITE_PATCHED; l++) {
            const jv *x = jv_at(layers, (size_t)l);
            CHECKF(jv_get(x, "tokens")->u64 == 0 && jv_get(x, "nonfinite")->u64 == T && jv_get(x, "entropy_full_mean")->kind == JV_NULL &&
                       jv_get(x, "entropy_topk_mean")->kind == JV_NULL,
                   "entropy, layer %d: tokens %g, nonfinite %g, H_full not null", l, jv_num(x, "tokens", -1), jv_num(x, "nonfinite", -1));
        }
        CHECKF(warned_each_patched_layer(en.err, T, 0), "entropy's stderr: %s", en.err);
    }
    jv_free(e);
    proc_free(&en);
    /* sweep, coact and cold in JSON; sweep's table and CSV never print a number for those layers */
    static const char *const cmds[] = { "sweep", "coact", "cold" };
    for (size_t c = 0; c < 3 && T; c++) {
        proc_result r = run_moetop(cmds[c], "-m", gguf, "--prompt", prompt, "--json", NULL);
        jv *v = jv_parse(r.out, r.out_len, err, sizeof err);
        if (CHECKF(r.status == 0 && v, "%s: %s", cmds[c], r.err)) {
            const jv *layers = jv_get(v, "layers");
            for (int l = 0; l < NONFINITE_PATCHED; l++) {
                const jv *x = jv_at(layers, (size_t)l);
                CHECKF(jv_get(x, "nonfinite")->u64 == T && jv_get(x, "tokens")->u64 == 0, "%s, layer %d", cmds[c], l);
                if (c == 0) CHECKF(jv_get(x, "top1_share")->kind == JV_NULL && jv_get(x, "gini")->kind == JV_NULL && jv_get(x, "cold")->kind == JV_NULL &&
                                       jv_at(jv_get(x, "rate"), 0)->kind == JV_NULL, "sweep, layer %d: numbers for no tokens", l);
                if (c == 2) CHECKF(jv_get(x, "cold")->len == 0 && jv_get(x, "uniform_rate")->kind == JV_NULL, "cold, layer %d: experts called cold", l);
            }
            CHECK(jv_get(jv_at(layers, 4), "tokens")->u64 == T && jv_get(jv_at(layers, 4), "nonfinite")->u64 == 0);
            CHECKF(warned_each_patched_layer(r.err, T, 0), "%s's stderr: %s", cmds[c], r.err);
        }
        jv_free(v);
        proc_free(&r);
    }
    /* under an intervention, the overlap with the unmodified router is a mean too: none for those layers */
    proc_result ov = run_moetop("sweep", "-m", gguf, "--prompt", prompt, "--force", "0@4", "--json", NULL);
    jv *o = jv_parse(ov.out, ov.out_len, err, sizeof err);
    if (CHECKF(ov.status == 0 && o, "sweep --mask: %s", ov.err)) {
        const jv *layers = jv_get(o, "layers");
        for (int l = 0; l < NONFINITE_PATCHED; l++)
            CHECKF(jv_get(jv_at(layers, (size_t)l), "overlap_with_baseline")->kind == JV_NULL, "overlap at layer %d", l);
        double o4 = jv_num(jv_at(layers, 4), "overlap_with_baseline", -1);
        CHECKF(o4 >= 0 && o4 <= 0.5, "overlap at layer 4: %g (one forced expert against two)", o4);
    }
    jv_free(o);
    proc_free(&ov);
    proc_result tab = run_moetop("sweep", "-m", gguf, "--prompt", prompt, NULL), csv = run_moetop("sweep", "-m", gguf, "--prompt", prompt, "--csv", NULL);
    char want[64];
    snprintf(want, sizeof want, "\n0,0,,,,,,,,,,%llu\n", (unsigned long long)T);
    CHECKF(tab.status == 0 && strstr(tab.out, "(no tokens)") && !strstr(tab.out, "nan") && strstr(tab.out, "non-finite"), "%s", tab.out);
    CHECKF(csv.status == 0 && strstr(csv.out, want) && !strstr(csv.out, "nan"), "%s", csv.out);
    proc_free(&tab);
    proc_free(&csv);
    /* domains and export over a prompt set */
    proc_result d = run_moetop("domains", "-m", gguf, "--prompts", dir, "--json", NULL), x = run_moetop("export", "-m", gguf, "--prompts", dir, NULL);
    jv *dj = jv_parse(d.out, d.out_len, err, sizeof err);
    if (CHECKF(d.status == 0 && dj, "domains: %s", d.err)) {
        const jv *l0 = jv_at(jv_get(dj, "layers"), 0), *l4 = jv_at(jv_get(dj, "layers"), 4);
        uint64_t left = jv_at(jv_get(l0, "nonfinite"), 0)->u64 + jv_at(jv_get(l0, "nonfinite"), 1)->u64;
        uint64_t kept = jv_at(jv_get(l4, "tokens"), 0)->u64 + jv_at(jv_get(l4, "tokens"), 1)->u64;
        CHECKF(left == kept && left > 0 && jv_at(jv_get(l0, "tokens"), 0)->u64 == 0 && jv_at(jv_at(jv_get(l0, "specialization"), 0), 0)->kind == JV_NULL,
               "domains: layer 0 left out %llu of %llu tokens", (unsigned long long)left, (unsigned long long)kept);
        CHECKF(warned_each_patched_layer(d.err, kept, 0), "domains' stderr: %s", d.err);
        CHECKF(x.status == 0 && warned_each_patched_layer(x.err, kept, 0) && strstr(x.out, ",1\r\n") && strstr(x.out, ",0\r\n"), "export: %s", x.err);
    }
    jv_free(dj);
    proc_free(&d);
    proc_free(&x);
    /* profiles: two shards merged equal one run, nonfinite included; sweep --profile warns too */
    char data[600], whole[600], merged[600], s0[600], s1[600];
    snprintf(data, sizeof data, "%s/nf.jsonl", t_tmpdir());
    snprintf(whole, sizeof whole, "%s/nf-whole.json", t_tmpdir());
    snprintf(merged, sizeof merged, "%s/nf-merged.json", t_tmpdir());
    snprintf(s0, sizeof s0, "%s/nf-0.json", t_tmpdir());
    snprintf(s1, sizeof s1, "%s/nf-1.json", t_tmpdir());
    const char *docs = "{\"text\": \"one two three\"}\n{\"text\": \"def f(x): return x\"}\n{\"text\": \"127 * 89 = 11303\"}\n";
    t_write_file(data, docs, strlen(docs));
    proc_result p = run_moetop("profile", "-m", gguf, "--data", data, "-o", whole, NULL), p0 = run_moetop("profile", "-m", gguf, "--data", data, "--shard", "0/2", "-o", s0, NULL),
                p1 = run_moetop("profile", "-m", gguf, "--data", data, "--shard", "1/2", "-o", s1, NULL);
    proc_result mg = run_moetop("merge-profiles", "-o", merged, s0, s1, NULL);
    CHECKF(p.status == 0 && p0.status == 0 && p1.status == 0 && mg.status == 0, "profile: %s %s %s %s", p.err, p0.err, p1.err, mg.err);
    jv *a = jv_parse_file(whole, err, sizeof err), *b = jv_parse_file(merged, err, sizeof err);
    if (CHECKF(a && b, "%s", err)) {
        uint64_t n4 = jv_get(jv_at(jv_get(a, "layers"), 4), "tokens")->u64;
        for (int l = 0; l < NONFINITE_LAYERS; l++) {
            uint64_t na = jv_get(jv_at(jv_get(a, "layers"), (size_t)l), "nonfinite")->u64, nb = jv_get(jv_at(jv_get(b, "layers"), (size_t)l), "nonfinite")->u64;
            CHECKF(na == nb && na == (l < NONFINITE_PATCHED ? n4 : 0), "profile layer %d: nonfinite %llu whole, %llu merged", l, (unsigned long long)na,
                   (unsigned long long)nb);
        }
        CHECKF(warned_each_patched_layer(p.err, n4, 1) && warned_each_patched_layer(mg.err, n4, 0), "profile's stderr: %s", p.err); /* and "profiled ..." */
        proc_result sp = run_moetop("sweep", "--profile", merged, "--json", NULL);
        CHECKF(sp.status == 0 && warned_each_patched_layer(sp.err, n4, 0) && strstr(sp.out, "\"nonfinite\":"), "sweep --profile: %s", sp.err);
        proc_free(&sp);
    }
    jv_free(a);
    jv_free(b);
    proc_free(&p);
    proc_free(&p0);
    proc_free(&p1);
    proc_free(&mg);
}

int main(void) {
    t_begin("stats");
    RUN(commands_agree_with_the_trace);
    RUN(overlap_with_baseline);
    RUN(export_loads_in_pandas);
    RUN(export_keeps_na_and_digit_tokens_as_text);
    RUN(charts_and_domains);
    RUN(chat_prompt_everywhere);
    RUN(no_statistics_over_zero_tokens);
    RUN(domains_single_prompt_and_default);
    RUN(shards_merge_exactly);
    RUN(nonfinite_commands);
    return t_end();
}
