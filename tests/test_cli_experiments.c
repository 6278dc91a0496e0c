/* The experiment commands through the binary, against numbers the test
 * recomputes from moetop's other commands (trace --logits, generate) on the
 * oracle's fixture a: compare's KL, overlap, top-5 and first difference; eval's
 * counts, intervals and exact tests on a problem set built from the
 * baseline's own answers; ppl equal to exp of the mean NLL recomputed from the
 * logits, KL zero for an identical condition, shards merged byte for byte;
 * every bad input an exit 2 with one line. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/cli_util.h"
#include "support/fixtures.h"
#include "support/harness.h"

#define PROMPT "The quick brown fox jumps over the lazy dog and then"

static jv *json_of(proc_result *r) {
    char err[256];
    jv *v = r->status == 0 ? jv_parse(r->out, r->out_len, err, sizeof err) : NULL;
    CHECKF(v != NULL, "exit %d: %s", r->status, r->status ? r->err : err);
    return v;
}

/* log-softmax of a JSON array of logits, in double */
static double *log_softmax(const jv *logits, size_t *n) {
    *n = logits->len;
    double *lp = malloc(*n * sizeof *lp), top = -INFINITY, sum = 0;
    for (size_t i = 0; i < *n; i++) top = fmax(top, jv_at(logits, i)->num);
    for (size_t i = 0; i < *n; i++) sum += exp(jv_at(logits, i)->num - top);
    for (size_t i = 0; i < *n; i++) lp[i] = jv_at(logits, i)->num - top - log(sum);
    return lp;
}

/* the selected set (weight > 0) of token t at layer l of a trace, as a bitmask */
static unsigned selected(const jv *trace, size_t l, size_t t) {
    const jv *layer = jv_at(jv_get(trace, "layers"), l);
    const jv *topk = jv_at(jv_get(layer, "topk"), t), *w = jv_at(jv_get(layer, "weights"), t);
    unsigned set = 0;
    for (size_t i = 0; i < topk->len; i++)
        if (jv_at(w, i)->num > 0) set |= 1u << (unsigned)jv_at(topk, i)->num;
    return set;
}

static void compare_against_trace_and_generate(void) {
    const char *a = fixture_path('a', ".gguf");
    if (!a) return;
    proc_result r = run_moetop("compare", "-m", a, "--prompt", PROMPT, "--cond", "same:", "--cond", "f3: --force 3", "-n", "6", "--json", NULL);
    proc_result tb = run_moetop("trace", "-m", a, "--prompt", PROMPT, "--json", NULL);
    proc_result tf = run_moetop("trace", "-m", a, "--prompt", PROMPT, "--force", "3", "--json", NULL);
    proc_result gb = run_moetop("generate", "-m", a, "--prompt", PROMPT, "-n", "6", "--json", NULL);
    proc_result gf = run_moetop("generate", "-m", a, "--prompt", PROMPT, "-n", "6", "--force", "3", "--json", NULL);
    jv *v = json_of(&r), *base = json_of(&tb), *forced = json_of(&tf), *genb = json_of(&gb), *genf = json_of(&gf);
    if (v && base && forced && genb && genf) {
        const jv *conds = jv_get(v, "conditions");
        CHECK(conds && conds->len == 3);
        CHECK(strcmp(jv_str(jv_at(conds, 0), "name"), "baseline") == 0 && strcmp(jv_str(jv_at(conds, 1), "name"), "same") == 0 &&
              strcmp(jv_str(jv_at(conds, 2), "name"), "f3") == 0);
        const jv *c0 = jv_at(conds, 0), *c1 = jv_at(conds, 1), *c2 = jv_at(conds, 2);
        /* the next token's distribution: top-5 and KL from the two traces' last logits (trace evaluates the
         * prompt as one batch, compare its last token apart, so float32 rounding differs: logits agree
         * within 1e-5 of their scale, as decoding and prefill do in test_engine) */
        size_t V;
        double *lb = log_softmax(jv_get(base, "logits_last"), &V), *lf = log_softmax(jv_get(forced, "logits_last"), &V);
        double kl = 0;
        for (size_t i = 0; i < V; i++) kl += exp(lb[i]) * (lb[i] - lf[i]);
        CHECKF(fabs(jv_num(c2, "kl_next", -1) - kl) < 1e-4 * fmax(1e-2, kl), "kl %.12g, recomputed %.12g", jv_num(c2, "kl_next", -1), kl);
        CHECK(jv_num(c0, "kl_next", -1) == 0 && jv_num(c1, "kl_next", -1) == 0);
        const jv *top = jv_get(c0, "next_top5");
        double last_p = 2;
        for (size_t k = 0; top && k < top->len; k++) {
            const jv *t = jv_at(top, k);
            size_t id = (size_t)jv_num(t, "id", -1);
            CHECKF(id < V && fabs(jv_num(t, "p", -1) - exp(lb[id])) < 1e-4 * exp(lb[id]) && jv_num(t, "p", -1) <= last_p, "top %zu: p %.9g, recomputed %.9g", k, jv_num(t, "p", -1), exp(lb[id]));
            last_p = jv_num(t, "p", -1);
            size_t above = 0, not_below = 0; /* k tokens are more likely, up to near-ties */
            for (size_t i = 0; i < V; i++) above += lb[i] > lb[id] + 1e-4, not_below += lb[i] >= lb[id] - 1e-4;
            CHECKF(above <= k && not_below >= k + 1, "top %zu (id %zu, p %.9g): %zu tokens above it", k, id, exp(lb[id]), above);
        }
        CHECK(top && top->len == 5);
        /* overlap per layer: mean over tokens of |A n B| / |A|, from the traces' selections */
        const jv *ov = jv_get(c2, "overlap"), *ov0 = jv_get(c0, "overlap"), *ov1 = jv_get(c1, "overlap");
        size_t L = jv_get(base, "layers")->len, T = jv_get(base, "tokens")->len;
        CHECK(ov && ov->len == L);
        for (size_t l = 0; ov && l < L; l++) {
            double sum = 0;
            for (size_t t = 0; t < T; t++) {
                unsigned A = selected(base, l, t), B = selected(forced, l, t);
                sum += (double)__builtin_popcount(A & B) / __builtin_popcount(A);
            }
            CHECKF(fabs(jv_at(ov, l)->num - sum / T) < 1e-12, "layer %zu: %.12g against %.12g", l, jv_at(ov, l)->num, sum / T);
            CHECK(jv_at(ov0, l)->num == 1 && jv_at(ov1, l)->num == 1);
        }
        /* continuations: generate's, and the first index where they differ */
        const jv *g0 = jv_get(c0, "generated"), *g2 = jv_get(c2, "generated"), *eb = jv_get(genb, "generated"), *ef = jv_get(genf, "generated");
        CHECK(g0->len == eb->len && g2->len == ef->len);
        size_t first = 0;
        while (first < g0->len && first < g2->len && jv_at(g0, first)->num == jv_at(g2, first)->num) first++;
        for (size_t i = 0; i < g0->len && i < eb->len; i++) CHECK(jv_at(g0, i)->num == jv_num(jv_at(eb, i), "id", -1));
        for (size_t i = 0; i < g2->len && i < ef->len; i++) CHECK(jv_at(g2, i)->num == jv_num(jv_at(ef, i), "id", -1));
        bool equal = first == g0->len && first == g2->len;
        const jv *fd = jv_get(c2, "first_difference");
        CHECK(equal ? fd->kind == JV_NULL : fd->num == (double)first);
        CHECK(jv_get(c0, "first_difference")->kind == JV_NULL && jv_get(c1, "first_difference")->kind == JV_NULL);
        CHECK(strcmp(jv_str(c1, "text"), jv_str(c0, "text")) == 0);
        free(lb);
        free(lf);
    }
    jv_free(v), jv_free(base), jv_free(forced), jv_free(genb), jv_free(genf);
    proc_free(&r), proc_free(&tb), proc_free(&tf), proc_free(&gb), proc_free(&gf);
    /* the text table: a header line and one row per condition */
    r = run_moetop("compare", "-m", a, "--prompt", PROMPT, "--k-sweep", "1,2", "-n", "3", NULL);
    CHECKF(r.status == 0 && strstr(r.out, "condition") && strstr(r.out, "\nk=1 ") && strstr(r.out, "\nk=2 ") && strstr(r.out, "\nbaseline "),
           "%s", r.out);
    proc_free(&r);
}

/* Writes a problem set whose answers are the baseline's own greedy continuations (so it
 * scores 100%), with one text and one numeric answer kind. */
static int write_problems(const char *gguf, const char *path) {
    static const char *const prompts[] = { "The quick brown fox", "Once upon a time", "127 * 89 = ", "def f(x):", "Hello world",
                                           "In the beginning", "The router picks", "A B C D", "import numpy as", "She said that" };
    FILE *f = fopen(path, "w");
    int n = 0;
    for (size_t i = 0; f && i < sizeof prompts / sizeof *prompts; i++) {
        proc_result g = run_moetop("generate", "-m", gguf, "--prompt", prompts[i], "-n", "16", "--json", NULL);
        jv *v = json_of(&g);
        const char *text = v ? jv_str(v, "text") : NULL;
        if (text) {
            while (*text == ' ' || *text == '\t') text++;
            size_t len = strcspn(text, "\n");
            if (len > 4) len = 4;
            bool printable = len > 0;
            for (size_t k = 0; k < len; k++) printable &= text[k] >= 0x20 && text[k] < 0x7f && text[k] != '"' && text[k] != '\\';
            bool digit_start = len && text[0] >= '0' && text[0] <= '9';
            if (printable && !digit_start) {
                fprintf(f, "{\"prompt\": \"%s\", \"answer\": \"%.*s\"}\n", prompts[i], (int)len, text);
                n++;
            }
        }
        jv_free(v);
        proc_free(&g);
    }
    if (f) fclose(f);
    return n;
}

static void eval_counts_and_tests(void) {
    const char *a = fixture_path('a', ".gguf");
    if (!a) return;
    char path[512];
    snprintf(path, sizeof path, "%s/own.jsonl", t_tmpdir());
    int n = write_problems(a, path);
    if (!CHECKF(n >= 3, "only %d usable prompts", n)) return;
    proc_result r = run_moetop("eval", "-m", a, "--problems", path, "--cond", "f1: --force 1", "--each", "force@0", "--json", NULL);
    jv *v = json_of(&r);
    if (v) {
        const jv *conds = jv_get(v, "conditions"), *items = jv_get(v, "items");
        CHECK(jv_num(v, "problems", 0) == n && conds->len == 2 + 8 && items->len == (size_t)n);
        CHECK(strcmp(jv_str(jv_at(conds, 1), "name"), "f1") == 0 && strcmp(jv_str(jv_at(conds, 2), "name"), "force:0@0") == 0);
        double ps[9];
        for (size_t c = 0; c < conds->len; c++) {
            const jv *cj = jv_at(conds, c);
            unsigned correct = 0, fixed = 0, broken = 0;
            for (size_t i = 0; i < items->len; i++) {
                const jv *outs = jv_get(jv_at(items, i), "outputs"), *o = jv_at(outs, c);
                const char *text = jv_str(o, "text"), *answer = jv_str(jv_at(items, i), "answer");
                while (*text == ' ' || *text == '\t') text++;
                bool right = strncmp(text, answer, strlen(answer)) == 0; /* a text answer: a prefix */
                CHECKF(jv_get(o, "correct")->b == right, "problem %zu condition %zu", i, c);
                bool base = jv_get(jv_at(outs, 0), "correct")->b;
                correct += right, fixed += right && !base, broken += !right && base;
            }
            CHECK(jv_num(cj, "correct", -1) == correct && jv_num(cj, "fixed", -1) == fixed && jv_num(cj, "broken", -1) == broken);
            CHECK(fabs(jv_num(cj, "accuracy", -1) - (double)correct / n) < 1e-15);
            /* Wilson, by its formula */
            double p = (double)correct / n, z = 1.959963984540054, d = 1 + z * z / n, mid = (p + z * z / (2 * n)) / d;
            double half = z * sqrt(p * (1 - p) / n + z * z / (4.0 * n * n)) / d;
            const jv *w = jv_get(cj, "wilson95");
            CHECKF(fabs(jv_at(w, 0)->num - fmax(0, mid - half)) < 1e-12 && fabs(jv_at(w, 1)->num - fmin(1, mid + half)) < 1e-12, "wilson of %u/%d", correct, n);
            /* McNemar with no fixed problem: min(1, 2 / 2^broken) */
            double expect = c == 0 ? 1 : fmin(1, 2 * pow(0.5, broken));
            CHECKF(fixed == 0 && fabs(jv_num(cj, "p_mcnemar", -1) - expect) < 1e-12, "condition %zu: p %g, expected %g", c, jv_num(cj, "p_mcnemar", -1), expect);
            if (c) ps[c - 1] = expect;
        }
        CHECK(jv_num(jv_at(conds, 0), "correct", -1) == n); /* the baseline answers itself */
        /* Holm over the 9 others, by hand */
        for (size_t c = 1; c < conds->len; c++) {
            double best = 0;
            for (size_t j = 0; j < 9; j++) { /* adj(c) = max over p_(j) <= p_c of min(1, (m - rank(j)) p_(j)) */
                size_t rank = 0;
                for (size_t k = 0; k < 9; k++) rank += ps[k] < ps[j] || (ps[k] == ps[j] && k < j);
                if (ps[j] < ps[c - 1] || (ps[j] == ps[c - 1] && j <= c - 1)) best = fmax(best, fmin(1, (9 - rank) * ps[j]));
            }
            CHECKF(fabs(jv_num(jv_at(conds, c), "p_holm", -1) - best) < 1e-12, "holm of condition %zu", c);
        }
    }
    jv_free(v);
    proc_free(&r);
    /* the text tables */
    r = run_moetop("eval", "-m", a, "--problems", path, "--cond", "f1: --force 1", NULL);
    CHECKF(r.status == 0 && strstr(r.out, "95% interval") && strstr(r.out, "p McNemar") && strstr(r.out, "per problem"), "%s", r.err);
    proc_free(&r);
    /* bad problem sets: one line naming the file and line */
    static const struct { const char *text, *why; } bad[] = {
        { "{\"prompt\": \"1 + 1 = \", \"answer\": \"2\"}\n{\"prompt\": \"2 + 2 = \"}\n", ":2: \"answer\" must be" },
        { "{\"prompt\": \"\", \"answer\": \"2\"}\n", ":1: \"prompt\" must be a non-empty string" },
        { "[1, 2]\n", ":1: not a JSON object" },
        { "{\"prompt\": \"x\", \"answer\": \"2\", \"chat\": \"yes\"}\n", ":1: \"chat\" must be true or false" },
        { "\n{\"prompt\": \"x\", \"answer\": 2.5}\n", ":2: \"answer\" must be" },
        { "{\"prompt\": \"x\" \"answer\": \"2\"}\n", ":1:" },
        { "\n\n", "holds no problems" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        t_write_file(path, bad[i].text, strlen(bad[i].text));
        r = run_moetop("eval", "-m", a, "--problems", path, NULL);
        CHECKF(is_clean_usage_error(&r) && strstr(r.err, bad[i].why) && strstr(r.err, "own.jsonl"), "case %zu: %s", i, r.err);
        proc_free(&r);
    }
    r = run_moetop("eval", "-m", a, "--problems", "no-such-set", NULL);
    CHECKF(is_clean_usage_error(&r) && strstr(r.err, "add-1"), "%s", r.err);
    proc_free(&r);
    r = run_moetop("eval", "-m", a, NULL);
    CHECK(is_clean_usage_error(&r) && strstr(r.err, "--problems"));
    proc_free(&r);
}

/* exp(mean NLL) from trace --logits all over one window of ids; sums NLL and tokens */
static void nll_of_window(const char *gguf, const jv *ids, size_t begin, size_t end, size_t score_from, double *nll, size_t *tokens) {
    char list[8192] = "";
    for (size_t i = begin; i < end; i++) {
        char one[16];
        snprintf(one, sizeof one, "%s%u", i > begin ? " " : "", (unsigned)jv_num(jv_at(ids, i), "id", 0));
        strcat(list, one);
    }
    proc_result r = run_moetop("trace", "-m", gguf, "--ids", list, "--logits", "all", "--json", NULL);
    jv *v = json_of(&r);
    for (size_t p = score_from; v && p < end; p++) {
        size_t V;
        double *lp = log_softmax(jv_at(jv_get(v, "logits"), p - 1 - begin), &V);
        *nll -= lp[(size_t)jv_num(jv_at(ids, p), "id", 0)];
        (*tokens)++;
        free(lp);
    }
    jv_free(v);
    proc_free(&r);
}

static void ppl_against_the_logits(void) {
    const char *a = fixture_path('a', ".gguf");
    if (!a) return;
    proc_result tr = run_moetop("trace", "-m", a, "--prompt", PROMPT, "--json", NULL);
    jv *t = json_of(&tr);
    const jv *ids = t ? jv_get(t, "tokens") : NULL;
    if (!ids) goto out;
    size_t n = ids->len;
    /* one window, and windows of 6 every 3 tokens (the contract's: [0,6) scores 1..5, then [3,9) 6..8, ...) */
    for (int windowed = 0; windowed < 2; windowed++) {
        double nll = 0;
        size_t tokens = 0;
        if (!windowed) nll_of_window(a, ids, 0, n, 1, &nll, &tokens);
        else {
            size_t prev_end = 0;
            for (size_t begin = 0;; begin += 3) {
                size_t end = begin + 6 < n ? begin + 6 : n;
                nll_of_window(a, ids, begin, end, begin ? prev_end : 1, &nll, &tokens);
                prev_end = end;
                if (end == n) break;
            }
        }
        proc_result r = windowed ? run_moetop("ppl", "-m", a, "--prompt", PROMPT, "--ctx", "6", "--stride", "3", "--cond", "same:", "--json", NULL)
                                 : run_moetop("ppl", "-m", a, "--prompt", PROMPT, "--cond", "same:", "--json", NULL);
        jv *v = json_of(&r);
        if (v) {
            const jv *c0 = jv_at(jv_get(v, "conditions"), 0), *c1 = jv_at(jv_get(v, "conditions"), 1);
            CHECKF(jv_num(v, "tokens", 0) == tokens && tokens == n - 1, "tokens %g, recomputed %zu of %zu", jv_num(v, "tokens", 0), tokens, n);
            double ppl = exp(nll / tokens);
            CHECKF(fabs(jv_num(c0, "ppl", 0) - ppl) < 1e-6 * ppl, "%s: ppl %.9g, recomputed %.9g", windowed ? "windows" : "one window",
                   jv_num(c0, "ppl", 0), ppl);
            CHECK(fabs(jv_num(c0, "nll_mean", 0) - nll / tokens) < 1e-7);
            /* an identical condition: KL 0, full agreement, the same perplexity bit for bit */
            CHECK(jv_num(c1, "kl_mean", -1) == 0 && jv_num(c1, "top1_agreement", -1) == 1 && jv_num(c1, "ppl", 0) == jv_num(c0, "ppl", 1));
            const jv *ci = jv_get(c0, "ppl95"); /* one window resampled is no interval: null */
            if (windowed) CHECK(ci && jv_at(ci, 0)->kind == JV_NUM && jv_at(ci, 0)->num <= jv_at(ci, 1)->num);
            else CHECK(ci && jv_at(ci, 0)->kind == JV_NULL && jv_at(ci, 1)->kind == JV_NULL);
        }
        jv_free(v);
        proc_free(&r);
    }
out:
    jv_free(t);
    proc_free(&tr);
}

static void ppl_shards_merge_exactly(void) {
    const char *a = fixture_path('a', ".gguf");
    if (!a) return;
    char dir[512], shard[3][600], merged[600], data[600];
    snprintf(dir, sizeof dir, "%s", t_tmpdir());
    snprintf(data, sizeof data, "%s/docs.jsonl", dir);
    const char *docs = "{\"text\": \"The quick brown fox jumps over the lazy dog.\"}\n{\"text\": \"Once upon a time there was a model.\"}\n"
                       "{\"text\": \"x\"}\n{\"text\": \"127 * 89 = 11303 and 2 + 2 = 4, said the router to the experts.\"}\n";
    t_write_file(data, docs, strlen(docs));
    proc_result whole = run_moetop("ppl", "-m", a, "--data", data, "--ctx", "8", "--stride", "5", "--k-sweep", "1", "--json", NULL);
    CHECK(whole.status == 0);
    for (int i = 0; i < 3; i++) {
        char which[8];
        snprintf(which, sizeof which, "%d/3", i);
        snprintf(shard[i], sizeof shard[i], "%s/shard%d.json", dir, i);
        proc_result r = run_moetop("ppl", "-m", a, "--data", data, "--ctx", "8", "--stride", "5", "--k-sweep", "1", "--shard", which, "--json", NULL);
        CHECKF(r.status == 0, "%s", r.err);
        t_write_file(shard[i], r.out, r.out_len);
        proc_free(&r);
    }
    snprintf(merged, sizeof merged, "%s/merged.json", dir);
    proc_result m = run_moetop("merge-ppl", "-o", merged, shard[2], shard[0], shard[1], NULL);
    unsigned long len = 0;
    char *got = t_read_file(merged, &len);
    CHECKF(m.status == 0 && got && len == whole.out_len && memcmp(got, whole.out, len) == 0, "merged:\n%s\nwhole:\n%s", got ? got : m.err, whole.out);
    free(got);
    proc_free(&m);
    jv *v = json_of(&whole);
    CHECK(v && jv_num(v, "documents", 0) == 4 && !jv_get(v, "shard"));
    jv_free(v);
    proc_free(&whole);
    /* merging what is not one whole run */
    static const char *const cases[][3] = { { "S0", "S1", NULL }, { "S0", "S0", "S1" } };
    static const char *const why[] = { "shard 2/3 is missing", "given twice" };
    for (int c = 0; c < 2; c++) {
        const char *args[3];
        for (int k = 0; k < 3; k++) args[k] = !cases[c][k] ? NULL : cases[c][k][1] == '0' ? shard[0] : shard[1];
        m = run_moetop("merge-ppl", "-o", merged, args[0], args[1], args[2], NULL);
        CHECKF(is_clean_usage_error(&m) && strstr(m.err, why[c]), "%s", m.err);
        proc_free(&m);
    }
    proc_result other = run_moetop("ppl", "-m", a, "--data", data, "--ctx", "9", "--shard", "1/3", "--k-sweep", "1", "--json", NULL);
    t_write_file(shard[1], other.out, other.out_len);
    m = run_moetop("merge-ppl", "-o", merged, shard[0], shard[1], shard[2], NULL);
    CHECKF(is_clean_usage_error(&m) && strstr(m.err, "from another run"), "%s", m.err);
    proc_free(&m);
    proc_free(&other);
    m = run_moetop("merge-ppl", "-o", merged, data, NULL);
    CHECKF(is_clean_usage_error(&m) && strstr(m.err, "docs.jsonl: "), "%s", m.err); /* JSON Lines, not one JSON document */
    proc_free(&m);
}

static void bad_input_exits_2(void) {
    const char *a = fixture_path('a', ".gguf");
    if (!a) return;
    static const struct { const char *args[8], *why; } cases[] = {
        { { "ppl", "--prompt", "a b c", "--ctx", "1" }, "--ctx: '1' is not a whole number in 2.." },
        { { "ppl", "--prompt", "a b c", "--stride", "0" }, "--stride: '0' is not a whole number in 1.." },
        { { "ppl", "--prompt", "a b c", "--shard", "2/2" }, "--shard: '2/2' is not i/N" },
        { { "ppl", "--prompt", "a" }, "nothing to score" },
        { { "ppl", "--prompt", "a b", "--text-file", "/nonexistent" }, "give one input" },
        { { "compare", "--prompt", "" }, "no tokens" },
        { { "compare", "--prompt", "x", "--cond", "bad" }, "--cond \"bad\": not NAME: FLAGS" },
        { { "compare", "--prompt", "x", "--each", "ablate" }, "--each: 'ablate'" },
        { { "compare", "--prompt", "x", "--k-sweep", "0" }, "--k-sweep: --k: 0 is outside 1..8" },
        { { "eval", "--problems", "add-1", "-n", "0" }, "--max-tokens: '0' is not a whole number in 1.." },
        { { "compare", "--prompt", "x", "--seed", "-1" }, "--seed: '-1' is not a non-negative integer" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *const *x = cases[i].args;
        proc_result r = run_moetop(x[0], "-m", a, x[1], x[2], x[3], x[4], x[5], x[6], x[7], NULL);
        CHECKF(is_clean_usage_error(&r) && strstr(r.err, cases[i].why), "case %zu: exit %d: %s", i, r.status, r.err);
        proc_free(&r);
    }
}

int main(void) {
    t_begin("cli-experiments");
    RUN(compare_against_trace_and_generate);
    RUN(eval_counts_and_tests);
    RUN(ppl_against_the_logits);
    RUN(ppl_shards_merge_exactly);
    RUN(bad_input_exits_2);
    return t_end();
}
