/* `moetop trace`, `generate` and `bench` as shared/contracts/cli.md fixes
 * them, checked against the oracle fixtures through the command line. */
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/cpu/kernels.h"
#include "support/cli_util.h"
#include "support/fixtures.h"
#include "support/harness.h"
#include "support/proc.h"
#include "tui/label.h"

/* The fixture's tokens as an --ids argument (caller frees). */
static char *fixture_ids(const jv *expected, size_t limit) {
    const jv *toks = jv_get(expected, "tokens");
    char *s = malloc(toks->len * 8 + 1);
    size_t n = 0;
    for (size_t i = 0; i < toks->len && i < limit; i++) n += (size_t)sprintf(s + n, i ? " %.0f" : "%.0f", jv_at(toks, i)->num);
    s[n] = 0;
    return s;
}

static jv *run_json(proc_result *r) {
    char err[256];
    jv *v = r->status == 0 ? jv_parse(r->out, r->out_len, err, sizeof err) : NULL;
    CHECKF(v != NULL, "exit %d: %s", r->status, r->status ? r->err : err);
    return v;
}

/* topk per token at every layer against one expected case (where its margin allows). */
static int compare_topk(const jv *got_layers, const jv *want_layers) {
    int diffs = 0;
    for (size_t l = 0; l < want_layers->len; l++) {
        const jv *g = jv_get(jv_at(got_layers, l), "topk"), *w = jv_get(jv_at(want_layers, l), "topk");
        const jv *margin = jv_get(jv_at(want_layers, l), "margin");
        for (size_t t = 0; t < w->len; t++) {
            if (jv_at(margin, t)->num < 1e-3) continue;
            const jv *gt = jv_at(g, t), *wt = jv_at(w, t);
            bool same = gt && gt->len == wt->len;
            for (size_t i = 0; same && i < wt->len; i++) same = jv_at(gt, i)->num == jv_at(wt, i)->num;
            diffs += !same;
        }
    }
    return diffs;
}

static void trace_json_matches_the_oracle(void) {
    const char *gguf = fixture_path('a', ".gguf"), *json = fixture_path('a', ".expected.json");
    if (!gguf || !json) return;
    char err[256];
    jv *expected = jv_parse_file(json, err, sizeof err);
    char *ids = fixture_ids(expected, 1000);
    const jv *cases = jv_get(expected, "cases");
    static const struct { const char *name, *flag, *value; } runs[] = {
        { "baseline", NULL, NULL },         { "mask_l1_e0e3", "--mask", "0,3@1" }, { "k1_all", "--k", "1" },
        { "k4_l2", "--k", "4@2" },          { "force_e5_all", "--force", "5" },    { "zero_e2_all", "--zero", "2" },
        { "drop_e1_l0l3", "--drop", "1@0,3" },
    };
    for (size_t i = 0; i < sizeof runs / sizeof *runs; i++) {
        proc_result r = runs[i].flag ? run_moetop("trace", "-m", gguf, "--ids", ids, runs[i].flag, runs[i].value, "--json", NULL)
                                     : run_moetop("trace", "-m", gguf, "--ids", ids, "--router-logits", "--json", NULL);
        jv *v = run_json(&r);
        const jv *want = jv_get(cases, runs[i].name);
        if (v && want) {
            CHECKF(compare_topk(jv_get(v, "layers"), jv_get(want, "layers")) == 0, "%s: top-k differs from the reference", runs[i].name);
            const jv *last = jv_get(v, "logits_last"), *want_last = jv_get(want, "logits_last");
            if (!want_last) want_last = jv_at(jv_get(want, "logits"), jv_get(want, "logits")->len - 1);
            double worst = 0;
            for (size_t k = 0; last && k < last->len; k++) worst = fmax(worst, fabs(jv_at(last, k)->num - jv_at(want_last, k)->num));
            CHECKF(last && last->len == 1056 && worst < 1e-3 * 20, "%s: logits_last off by %g", runs[i].name, worst);
            CHECK(jv_get(v, "argmax")->len == jv_get(expected, "tokens")->len);
            if (i == 0) {
                CHECK(strcmp(jv_str(v, "model"), "oracle-gptoss-a.gguf") == 0 && strcmp(jv_str(v, "arch"), "gpt-oss") == 0);
                CHECK(strcmp(jv_str(v, "backend"), "cpu") == 0 && jv_str(v, "device") != NULL);
                CHECK(jv_num(v, "n_layer", 0) == 4 && jv_num(v, "n_expert", 0) == 8 && jv_num(v, "k", 0) == 2 && jv_num(v, "n_vocab", 0) == 1056);
                const jv *tok0 = jv_at(jv_get(v, "tokens"), 0);
                CHECK(jv_num(tok0, "id", -1) == 200006 - 200006 + jv_at(jv_get(expected, "tokens"), 0)->num && jv_str(tok0, "text"));
                const jv *rl = jv_get(jv_at(jv_get(v, "layers"), 0), "router_logits");
                CHECK(rl && rl->len == jv_get(expected, "tokens")->len && jv_at(rl, 0)->len == 8);
                CHECK(jv_get(v, "logits") == NULL);
            }
        }
        jv_free(v);
        proc_free(&r);
    }
    free(ids);
    jv_free(expected);
}

static void trace_logits_modes(void) {
    const char *gguf = fixture_path('c', ".gguf");
    if (!gguf) return;
    proc_result r = run_moetop("trace", "-m", gguf, "--prompt", "Count: 1 2 3", "--logits", "all", "--json", NULL);
    jv *v = run_json(&r);
    if (v) {
        const jv *logits = jv_get(v, "logits"), *tokens = jv_get(v, "tokens");
        CHECK(logits && logits->len == tokens->len && jv_at(logits, 0)->len == 1056 && jv_get(v, "logits_last") == NULL);
        CHECK(jv_get(jv_at(jv_get(v, "layers"), 0), "router_logits") == NULL);
    }
    jv_free(v);
    proc_free(&r);
    r = run_moetop("trace", "-m", gguf, "--prompt", "Count", "--logits", "none", "--json", NULL);
    v = run_json(&r);
    if (v) CHECK(!jv_get(v, "logits") && !jv_get(v, "logits_last") && !jv_get(v, "argmax"));
    jv_free(v);
    proc_free(&r);
    r = run_moetop("trace", "-m", gguf, "--prompt", "Count: 1 2", NULL); /* the human form */
    CHECKF(r.status == 0 && strstr(r.out, "next token:") && strstr(r.out, "  L2"), "human trace: %s", r.err);
    proc_free(&r);
}

/* The human trace on the bundled model: a header row naming the columns, a
 * row per token whose label follows the explorer's rule (a space is never
 * blank), each cell the JSON's experts and weights, and the selection count
 * that ran on the first line: top-2 under --k 2, per layer under --k 2@1. */
static void trace_table_says_what_ran(void) {
    const char *prompt = "a  b\n\tc";
    static const char *const k_flags[2] = { "2", "2@1" };
    for (int run = 0; run < 2; run++) {
        proc_result tj = run_moetop("trace", "--prompt", prompt, "--k", k_flags[run], "--json", NULL);
        proc_result tt = run_moetop("trace", "--prompt", prompt, "--k", k_flags[run], NULL);
        jv *v = run_json(&tj);
        if (!v || !CHECKF(tt.status == 0, "trace: %s", tt.err)) {
            jv_free(v);
            proc_free(&tj);
            proc_free(&tt);
            continue;
        }
        const jv *layers = jv_get(v, "layers"), *tokens = jv_get(v, "tokens");
        size_t L = layers->len, T = tokens->len;
        char want_k[128] = "top-2", cell[512];
        if (run == 1) {
            size_t o = (size_t)snprintf(want_k, sizeof want_k, "top-k per layer ");
            for (size_t l = 0; l < L; l++)
                o += (size_t)snprintf(want_k + o, sizeof want_k - o, "%s%zu", l ? "," : "", jv_at(jv_get(jv_at(layers, l), "topk"), 0)->len);
        }
        char *first_nl = strchr(tt.out, '\n');
        CHECKF(first_nl && strstr(tt.out, want_k) && strstr(tt.out, want_k) < first_nl && !strstr(tt.out, "top-4"),
               "--k %s: the first line should say %s: %.200s", k_flags[run], want_k, tt.out);
        /* the rows: after the header "pos id token L0 .. L(n-1)"; this prompt has a
         * space token and a newline: shown, never blank */
        char *header = strstr(tt.out, "\n  pos ");
        CHECKF(header && strstr(header, "\n    1 ") && strstr(header, "\xc2\xb7") && strstr(header, "\xe2\x86\xb5"), "visible whitespace: %.600s",
               tt.out);
        if (CHECKF(header != NULL, "no header row: %.300s", tt.out)) {
            char *line = header + 1, *save = NULL;
            char *end = strchr(line, '\n');
            *end = 0;
            char *word = strtok_r(line, " ", &save);
            static const char *const names[3] = { "pos", "id", "token" };
            for (int i = 0; i < 3; i++, word = strtok_r(NULL, " ", &save)) CHECKF(word && strcmp(word, names[i]) == 0, "header column %d", i);
            for (size_t l = 0; l < L; l++, word = strtok_r(NULL, " ", &save)) {
                snprintf(cell, sizeof cell, "L%zu", l);
                CHECKF(word && strcmp(word, cell) == 0, "header column L%zu: %s", l, word ? word : "(none)");
            }
            line = end + 1;
            for (size_t t = 0; t < T; t++, line = end + 1) {
                end = strchr(line, '\n');
                if (!CHECKF(end != NULL, "row %zu missing", t)) break;
                *end = 0;
                const jv *tok = jv_at(tokens, t);
                const char *text = jv_str(tok, "text");
                char label[128];
                mt_token_label(text, strlen(text), false, 16, label, sizeof label);
                char *pos = strtok_r(line, " ", &save), *id = strtok_r(NULL, " ", &save), *shown = strtok_r(NULL, " ", &save);
                CHECKF(pos && id && shown && atoi(pos) == (int)t && atof(id) == jv_num(tok, "id", -1) && strcmp(shown, label) == 0,
                       "row %zu: '%s %s %s', want token %s", t, pos ? pos : "", id ? id : "", shown ? shown : "", label);
                for (size_t l = 0; l < L; l++) {
                    const jv *ex = jv_at(jv_get(jv_at(layers, l), "topk"), t), *w = jv_at(jv_get(jv_at(layers, l), "weights"), t);
                    size_t o = 0;
                    for (size_t i = 0; i < ex->len; i++)
                        o += (size_t)snprintf(cell + o, sizeof cell - o, "%s%.0f:%.2f", i ? "," : "", jv_at(ex, i)->num, jv_at(w, i)->num);
                    char *got = strtok_r(NULL, " ", &save);
                    CHECKF(got && strcmp(got, cell) == 0, "row %zu layer %zu: '%s', JSON says '%s'", t, l, got ? got : "", cell);
                }
            }
        }
        jv_free(v);
        proc_free(&tj);
        proc_free(&tt);
    }
}

static void greedy_generation_matches_the_oracle(void) {
    const char *gguf = fixture_path('c', ".gguf"), *json = fixture_path('c', ".expected.json");
    if (!gguf || !json) return;
    char err[256];
    jv *expected = jv_parse_file(json, err, sizeof err);
    char *ids = fixture_ids(expected, 1000);
    const jv *want = jv_get(jv_get(expected, "greedy"), "ids"), *gaps = jv_get(jv_get(expected, "greedy"), "gaps");
    proc_result r = run_moetop("generate", "-m", gguf, "--ids", ids, "-n", "16", "--json", NULL);
    jv *v = run_json(&r);
    if (v) {
        const jv *gen = jv_get(v, "generated");
        CHECK(gen && gen->len == 16 && strcmp(jv_str(v, "stop"), "length") == 0);
        CHECK(jv_get(v, "prompt_tokens")->len == jv_get(expected, "tokens")->len);
        for (size_t i = 0; gen && i < gen->len && i < want->len && jv_at(gaps, i)->num >= 1e-3; i++)
            CHECKF(jv_num(jv_at(gen, i), "id", -1) == jv_at(want, i)->num, "step %zu: %g, reference %g", i,
                   jv_num(jv_at(gen, i), "id", -1), jv_at(want, i)->num);
        const jv *layers = jv_get(jv_at(gen, 15), "layers"); /* the last token has its own pass too */
        CHECK(layers && layers->len == 3 && jv_get(jv_at(layers, 0), "topk")->len == 4 && jv_get(jv_at(layers, 0), "weights")->len == 4);
        size_t text_len = 0;
        for (size_t i = 0; gen && i < gen->len; i++) text_len += strlen(jv_str(jv_at(gen, i), "text"));
        CHECK(strlen(jv_str(v, "text")) <= text_len + 3 * gen->len); /* U+FFFD may stand for fewer bytes */
    }
    jv_free(v);
    proc_free(&r);
    free(ids);
    jv_free(expected);
}

static void sampling_is_seeded(void) {
    const char *gguf = fixture_path('a', ".gguf");
    if (!gguf) return;
    proc_result a = run_moetop("generate", "-m", gguf, "--prompt", "Hello", "-n", "12", "--temp", "1.5", "--top-p", "0.95", "--seed", "3", NULL);
    proc_result b = run_moetop("generate", "-m", gguf, "--prompt", "Hello", "-n", "12", "--temp", "1.5", "--top-p", "0.95", "--seed", "3", NULL);
    proc_result c = run_moetop("generate", "-m", gguf, "--prompt", "Hello", "-n", "12", "--temp", "1.5", "--top-p", "0.95", "--seed", "4", NULL);
    CHECK(a.status == 0 && b.status == 0 && c.status == 0);
    CHECK(strcmp(a.out, b.out) == 0);
    CHECK(strcmp(a.out, c.out) != 0);
    proc_free(&a);
    proc_free(&b);
    proc_free(&c);
    proc_result chat = run_moetop("generate", "-m", gguf, "--chat", "Hi", "-n", "2", "--json", NULL);
    jv *v = run_json(&chat);
    if (v) CHECK(jv_num(jv_at(jv_get(v, "prompt_tokens"), 0), "id", -1) == 1029); /* <|start|> in this vocabulary */
    jv_free(v);
    proc_free(&chat);
}

static void bench_json(void) {
    const char *gguf = fixture_path('b', ".gguf");
    if (!gguf) return;
    proc_result r = run_moetop("bench", "-m", gguf, "-p", "16", "-n", "4", "--threads", "2", "--json", NULL);
    jv *v = run_json(&r);
    if (v) {
        CHECK(strcmp(jv_str(v, "backend"), "cpu") == 0 && jv_num(v, "threads", 0) == 2);
        CHECK(jv_num(v, "prefill_tokens", 0) == 16 && jv_num(v, "decode_tokens", 0) == 4);
        CHECK(jv_num(v, "prefill_tok_s", 0) > 0 && jv_num(v, "decode_tok_s", 0) > 0 && jv_num(v, "peak_rss_mb", 0) > 0);
    }
    jv_free(v);
    proc_free(&r);
}

/* how many times what occurs in s */
static size_t count_of(const char *s, const char *what) {
    size_t n = 0;
    for (const char *p = s; (p = strstr(p, what)) != NULL; p += strlen(what)) n++;
    return n;
}

/* --profile on the CPU backend: a wall-time row per kind of op on stderr, shares adding to 100%, the
 * total the sum of the rows; $MOETOP_KERNELS picks the kernel set (and an unknown one is said, not fatal). */
static void cpu_profile_and_kernel_choice(void) {
    const char *gguf = fixture_path('b', ".gguf");
    if (!gguf) return;
    proc_result r = run_moetop("bench", "-m", gguf, "-p", "4", "-n", "2", "--threads", "1", "--profile", NULL);
    CHECKF(r.status == 0 && strstr(r.err, "wall time per op on C ("), "exit %d: %s", r.status, r.err);
    double sum_ms = 0, sum_share = 0, all_ms = -1;
    int rows = 0;
    for (const char *line = strstr(r.err, "\n  op "); line && (line = strchr(line + 1, '\n'));) {
        char name[32];
        double calls, ms, mean, share;
        if (sscanf(line + 1, " %31s %lf %lf %lf %lf%%", name, &calls, &ms, &mean, &share) == 5) {
            rows++, sum_ms += ms, sum_share += share;
            CHECKF(calls >= 1 && fabs(mean - ms * 1e3 / calls) <= 0.5 / calls + 0.006, /* totals printed to 1 us, means to 0.01 us */ "%s: mean %g us, total %g ms over %g calls", name, mean, ms, calls);
        } else if (sscanf(line + 1, " all %lf", &all_ms) == 1) {
            break;
        }
    }
    CHECKF(rows >= 6 && strstr(r.err, "  matmul ") && strstr(r.err, "  moe ") && strstr(r.err, "  attention "), "%d rows: %s", rows, r.err);
    CHECKF(fabs(sum_share - 100.0) <= 0.1 * rows && fabs(sum_ms - all_ms) <= 0.001 * rows + 1e-3 * all_ms, "shares %g%%, rows %g ms, all %g ms", sum_share, sum_ms, all_ms);
    /* a decoded token's wall time split into its ops' and the rest: ops within the wall, rest = wall - ops
     * exactly as printed (not off by a rounded last digit), the share that of the printed figures */
    const char *dl = strstr(r.err, "decode, per token: ");
    double wall = -1, ops = -1, rest = -1, pct = -1;
    CHECKF(dl && sscanf(dl, "decode, per token: %lf ms wall, %lf ms in the backend's ops (their wall time), %lf ms outside them (%lf%%)",
                        &wall, &ops, &rest, &pct) == 4 && wall > 0 && ops > 0 && ops <= wall && fabs(wall - ops - rest) <= 1e-6 &&
               fabs(pct - 100.0 * rest / wall) <= 0.0501,
           "%s", dl ? dl : r.err);
    proc_free(&r);
    r = run_moetop("bench", "-m", gguf, "-p", "4", "-n", "0", "--threads", "1", "--profile", NULL); /* no decode: no line */
    CHECKF(r.status == 0 && strstr(r.err, "wall time per op") && !strstr(r.err, "decode, per token"), "%s", r.err);
    proc_free(&r);
    setenv("MOETOP_KERNELS", "c", 1);
    r = run_moetop("bench", "-m", gguf, "-p", "4", "-n", "1", "--threads", "1", NULL);
    CHECKF(r.status == 0 && strstr(r.out, "C (c kernels)"), "exit %d: %s%s", r.status, r.out, r.err);
    proc_free(&r);
    setenv("MOETOP_KERNELS", "sse9", 1);
    r = run_moetop("bench", "-m", gguf, "-p", "4", "-n", "1", "--threads", "1", NULL);
    CHECKF(r.status == 0 && strstr(r.err, "MOETOP_KERNELS=sse9: not a kernel set") && !strstr(r.out, "(sse9"), "exit %d: %s", r.status, r.err);
    proc_free(&r);
    /* a newline in the value cannot split the notice: one line, the newline escaped as the other controls are */
    setenv("MOETOP_KERNELS", "sse9\nnext", 1);
    r = run_moetop("bench", "-m", gguf, "-p", "4", "-n", "1", "--threads", "1", NULL);
    static const char *const split = "moetop: MOETOP_KERNELS=sse9\\x0anext: not a kernel set (c, avx2 or avx512); using ";
    CHECKF(r.status == 0 && strncmp(r.err, split, strlen(split)) == 0 && count_of(r.err, "\n") == 1,
           "exit %d: %s", r.status, r.err);
    proc_free(&r);
    setenv("MOETOP_KERNELS", "sse9", 1);
    /* the explorer's screen hides stderr: the same line is on its status line (the frame's last) */
    char frame[600];
    snprintf(frame, sizeof frame, "%s/notice.txt", t_tmpdir());
    r = run_moetop("-m", gguf, "--headless", "--size", "160x40", "--export-frame", frame, NULL);
    unsigned long len = 0;
    char *text = t_read_file(frame, &len);
    const char *last = text ? strrchr(text, '\n') : NULL;
    while (last && last > text && last[-1] != '\n') last--;
    CHECKF(r.status == 0 && strstr(r.err, "MOETOP_KERNELS=sse9") && last && strstr(last, "MOETOP_KERNELS=sse9: not a kernel set"),
           "exit %d, stderr %s, last line: %s", r.status, r.err, last ? last : "(none)");
    free(text);
    proc_free(&r);
    unsetenv("MOETOP_KERNELS");
    r = run_moetop("-m", gguf, "--headless", "--size", "160x40", "--export-frame", frame, NULL); /* nothing to say: no such line */
    text = t_read_file(frame, &len);
    CHECKF(r.status == 0 && r.err_len == 0 && text && !strstr(text, "MOETOP_KERNELS"), "exit %d, stderr %s", r.status, r.err);
    free(text);
    proc_free(&r);
    unlink(frame);
    /* the old switch: on for 1, off for 0 and empty */
    static const struct { const char *v; bool portable; } sw[] = { { "1", true }, { "0", false }, { "", false }, { "no", false } };
    for (size_t i = 0; i < sizeof sw / sizeof *sw; i++) {
        setenv("MOETOP_PORTABLE_KERNELS", sw[i].v, 1);
        r = run_moetop("bench", "-m", gguf, "-p", "4", "-n", "1", "--threads", "1", NULL);
        CHECKF(r.status == 0 && (strstr(r.out, "C (c kernels)") != NULL) == sw[i].portable, "MOETOP_PORTABLE_KERNELS='%s': %s", sw[i].v, r.out);
        proc_free(&r);
    }
    unsetenv("MOETOP_PORTABLE_KERNELS");
}

/* $MOETOP_VK_KERNELS that names no kernel set (row, group, subgroup) is said in one line and the device's
 * own choice used, as MOETOP_KERNELS is on the CPU (it used to pick the group kernels silently). Without a
 * Vulkan device: SKIP. */
static void vk_kernel_override_named(void) {
    const char *gguf = fixture_path('b', ".gguf");
    if (!gguf) return;
    proc_result plain = run_moetop("devices", NULL);
    if (plain.status != 0 || !strstr(plain.out, " kernels (")) {
        t_skip("no Vulkan device (moetop devices: %s)", plain.err);
        proc_free(&plain);
        return;
    }
    static const char *const warn = "moetop: MOETOP_VK_KERNELS=sse9: not a kernel set (row, group or subgroup); using the device's own\n";
    setenv("MOETOP_VK_KERNELS", "sse9", 1);
    proc_result r = run_moetop("devices", NULL);
    CHECKF(r.status == 0 && count_of(r.err, warn) == 1 && strlen(r.err) == strlen(warn), "exit %d, stderr: %s", r.status, r.err);
    /* the listing is the one without the variable: the device's own kernels, no override named */
    CHECKF(strcmp(r.out, plain.out) == 0 && !strstr(r.out, "(MOETOP_VK_KERNELS"), "with sse9:\n%s\nwithout:\n%s", r.out, plain.out);
    proc_free(&r);
    r = run_moetop("trace", "-m", gguf, "--ids", "1 2 3", "--backend", "vulkan", "--json", NULL);
    CHECKF(r.status == 0 && strstr(r.out, "\"backend\":\"vulkan\"") && strcmp(r.err, warn) == 0, "exit %d, stderr: %s", r.status, r.err);
    proc_free(&r);
    /* the names themselves are taken without a word; empty is unset */
    static const char *const ok[] = { "row", "group", "subgroup", "" };
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        setenv("MOETOP_VK_KERNELS", ok[i], 1);
        r = run_moetop("devices", NULL);
        CHECKF(r.status == 0 && r.err_len == 0, "MOETOP_VK_KERNELS='%s': exit %d, stderr: %s", ok[i], r.status, r.err);
        proc_free(&r);
    }
    unsetenv("MOETOP_VK_KERNELS");
    proc_free(&plain);
}

/* Without a Vulkan loader, devices lists none ([] in JSON), says why in one
 * line and still gives the C backend's lines; exit 0. */
static void devices_without_a_loader(void) {
    setenv("MOETOP_VULKAN_LIBRARY", "/nonexistent/libvulkan.so.1", 1);
    proc_result text = run_moetop("devices", NULL), json = run_moetop("devices", "--json", NULL);
    unsetenv("MOETOP_VULKAN_LIBRARY");
    static const char *const why = "moetop: no Vulkan loader (/nonexistent/libvulkan.so.1): cannot open shared object file";
    CHECKF(text.status == 0 && strncmp(text.err, why, strlen(why)) == 0 && count_of(text.err, "\n") == 1, "exit %d: %s", text.status, text.err);
    CHECKF(strncmp(text.out, "cpu: the C backend (the default): ", 34) == 0 && strstr(text.out, "weights "), "%s", text.out);
    CHECKF(json.status == 0 && strcmp(json.out, "[]\n") == 0 && strncmp(json.err, why, strlen(why)) == 0, "exit %d: '%s' %s", json.status,
           json.out, json.err);
    proc_free(&text), proc_free(&json);
    proc_result help = run_moetop("devices", "--help", NULL); /* and its help says so */
    CHECKF(help.status == 0 && strstr(help.out, "Vulkan loader or driver none is listed ([] with --json)"), "%s", help.out);
    proc_free(&help);
}

/* devices' C backend line names the kernel set a model would run on: $MOETOP_KERNELS's (it named the
 * best whatever the variable said), and one that names no set is said in one line, as bench says it */
static void devices_honour_moetop_kernels(void) {
    setenv("MOETOP_VULKAN_LIBRARY", "/nonexistent/libvulkan.so.1", 1); /* the same on machines with and without Vulkan */
    setenv("MOETOP_KERNELS", "c", 1);
    proc_result r = run_moetop("devices", NULL);
    CHECKF(r.status == 0 && strncmp(r.out, "cpu: the C backend (the default): c kernels (", 45) == 0 && !strstr(r.err, "MOETOP_KERNELS"),
           "exit %d: %s%s", r.status, r.out, r.err);
    proc_free(&r);
    setenv("MOETOP_KERNELS", "sse9", 1);
    r = run_moetop("devices", NULL);
    static const char *const said = "moetop: MOETOP_KERNELS=sse9: not a kernel set (c, avx2 or avx512); using ";
    char want[96];
    snprintf(want, sizeof want, "cpu: the C backend (the default): %s kernels (", mt_kernels_best()->name);
    CHECKF(r.status == 0 && count_of(r.err, said) == 1 && strncmp(r.out, want, strlen(want)) == 0, "exit %d: %s%s", r.status, r.out, r.err);
    proc_free(&r);
    unsetenv("MOETOP_KERNELS");
    unsetenv("MOETOP_VULKAN_LIBRARY");
}

/* The thread count: --threads, else $MOETOP_THREADS, else every core; a bad variable is exit 2. */
static void threads_from_the_environment(void) {
    const char *gguf = fixture_path('b', ".gguf");
    if (!gguf) return;
    static const struct { const char *env, *flag; int threads; } cases[] = { { "1", NULL, 1 }, { "1", "2", 2 }, { "3", NULL, 3 } };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        setenv("MOETOP_THREADS", cases[i].env, 1);
        proc_result r = cases[i].flag ? run_moetop("bench", "-m", gguf, "-p", "4", "-n", "1", "--threads", cases[i].flag, "--json", NULL)
                                      : run_moetop("bench", "-m", gguf, "-p", "4", "-n", "1", "--json", NULL);
        jv *v = run_json(&r);
        CHECKF(v && jv_num(v, "threads", 0) == cases[i].threads, "case %zu: %s", i, r.err);
        jv_free(v);
        proc_free(&r);
    }
    static const char *const bad[] = { "0", "many", "-1", "1025", "2x" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        setenv("MOETOP_THREADS", bad[i], 1);
        proc_result r = run_moetop("bench", "-m", gguf, "-p", "4", "-n", "1", "--json", NULL);
        CHECKF(is_clean_usage_error(&r) && strstr(r.err, "MOETOP_THREADS") && r.out_len == 0, "'%s': exit %d: %s", bad[i], r.status, r.err);
        proc_free(&r);
    }
    unsetenv("MOETOP_THREADS");
}

static void bad_input_exits_2(void) {
    const char *gguf = fixture_path('a', ".gguf");
    if (!gguf) return;
    char tiny[512];
    snprintf(tiny, sizeof tiny, "%s/ctx8.gguf", t_tmpdir());
    proc_result s = run_moetop("synth", "-q", "--preset", "tiny", "--context", "8", "-o", tiny, NULL);
    CHECK(s.status == 0);
    proc_free(&s);
    static const struct { const char *a[8]; const char *expect; } cases[] = {
        { { "trace", "-m", "A", "--prompt", "x", "--k", "0" }, "--k: 0 is outside 1..8" },
        { { "trace", "-m", "A", "--prompt", "x", "--k", "9" }, "--k: '9' is not a number of experts in 1..8" },
        { { "trace", "-m", "A", "--prompt", "x", "--mask", "8" }, "--mask: '8' is not a list of expert ids in 0..7" },
        { { "trace", "-m", "A", "--prompt", "x", "--force", "1@9" }, "--force: '9' after @ is not a list of layers in 0..3" },
        { { "trace", "-m", "A", "--prompt", "x", "--logits", "some" }, "--logits: 'some' is not all, last or none" },
        { { "trace", "-m", "A", "--ids", "1 99999" }, "--ids: 99999 is outside the vocabulary" },
        { { "trace", "-m", "A", "--ids", "1 x" }, "--ids: 'x' is not a token id" },
        { { "trace", "-m", "A" }, "a prompt is required" },
        { { "trace", "-m", "A", "--prompt", "x", "--ids", "1" }, "give only one of" },
        { { "trace", "-m", "TINY", "--prompt", "one two three four five six seven eight nine ten" }, "more than the model's context of 8" },
        { { "generate", "-m", "TINY", "--prompt", "one two three four five six seven eight nine ten" }, "more than the model's context of 8" },
        { { "generate", "-m", "A", "--prompt", "x", "--top-p", "0" }, "--top-p: 0 is outside (0, 1]" },
        { { "generate", "-m", "A", "--prompt", "x", "--temp", "-1" }, "--temp: -1 is negative" },
        { { "generate", "-m", "A", "--prompt", "" }, "the prompt is empty" },
        { { "bench", "-m", "TINY", "-p", "8", "-n", "4" }, "more than the model's context of 8" },
        { { "bench", "-m", "A", "--interactive", "-n", "0" }, "--interactive: times a fixed 64-token prompt; -p and -n do not apply" },
        { { "bench", "-m", "A", "--interactive", "-p", "8" }, "-p and -n do not apply" },
        { { "trace", "-m", "TOKENIZER_ONLY", "--prompt", "x" }, "key 'gpt-oss.block_count' is missing" },
        { { "trace", "-m", "A", "--prompt", "x", "--backend", "metal" }, "--backend: 'metal' is not cpu or vulkan" },
        { { "trace", "-m", "A", "--prompt", "x", "--device", "abc" }, "--device: 'abc' is not a device number" },
        { { "trace", "-m", "A", "--prompt", "x", "--device", "-1" }, "--device: '-1' is not a device number" },
        { { "trace", "-m", "A", "--prompt-file", "/" }, "/: cannot read: Is a directory" },
    };
    const char *vocab = t_shared_file("oracle/tokenizer/o200k_harmony.vocab.gguf");
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *a[8];
        bool skip = false;
        for (int k = 0; k < 8; k++) {
            a[k] = cases[i].a[k];
            if (a[k] && strcmp(a[k], "A") == 0) a[k] = gguf;
            if (a[k] && strcmp(a[k], "TINY") == 0) a[k] = tiny;
            if (a[k] && strcmp(a[k], "TOKENIZER_ONLY") == 0) skip = !(a[k] = vocab);
        }
        if (skip) continue;
        proc_result r = run_moetop(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], NULL);
        CHECKF(is_clean_usage_error(&r) && strstr(r.err, cases[i].expect), "case %zu (%s %s): exit %d: %s", i, a[0], a[4] ? a[4] : "",
               r.status, r.err);
        proc_free(&r);
    }
    /* $MOETOP_DEVICE that is not a number, where the Vulkan backend would read it (it was taken for a device
     * that does not exist); the CPU backend does not read it */
    setenv("MOETOP_DEVICE", "xyz", 1);
    proc_result r = run_moetop("trace", "-m", gguf, "--prompt", "x", "--backend", "vulkan", NULL);
    CHECKF(is_clean_usage_error(&r) && strstr(r.err, "MOETOP_DEVICE: 'xyz' is not a device number"), "exit %d: %s", r.status, r.err);
    proc_free(&r);
    r = run_moetop("trace", "-m", gguf, "--prompt", "x", NULL);
    CHECKF(r.status == 0 && r.err_len == 0, "exit %d: %s", r.status, r.err);
    proc_free(&r);
    unsetenv("MOETOP_DEVICE");
}

/* In the child, just before exec: standard output is /dev/full, where every write fails. */
static void stdout_to_full(void *unused) {
    (void)unused;
    int fd = open("/dev/full", O_WRONLY);
    if (fd >= 0) dup2(fd, 1);
}

/* bench (text, JSON, --interactive) and devices whose output cannot be written:
 * one line saying so, exit 1, as the contract's "a write failed" (they exited 0) */
static void write_failure_exits_1(void) {
    const char *gguf = fixture_path('a', ".gguf");
    if (!gguf) return;
    if (access("/dev/full", W_OK) != 0) {
        t_skip("no writable /dev/full to fail a write on");
        return;
    }
    static const char *const cases[][8] = {
        { "bench", "-m", "A", "-p", "4", "-n", "1", NULL }, { "bench", "-m", "A", "-p", "4", "-n", "1", "--json" },
        { "bench", "-m", "A", "--interactive", NULL },       { "devices", NULL },
        { "devices", "--json", NULL },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *argv[10] = { t_bin() };
        for (int k = 0; k < 8 && cases[i][k]; k++) argv[k + 1] = strcmp(cases[i][k], "A") == 0 ? gguf : cases[i][k];
        proc_result r = proc_run_with(argv, NULL, stdout_to_full, NULL);
        /* (devices may say first that it found no Vulkan device) */
        const char *why = strstr(r.err, "moetop: stdout: write failed\n");
        CHECKF(r.status == 1 && why && strcmp(why, "moetop: stdout: write failed\n") == 0, "%s %s: exit %d: %s", cases[i][0],
               cases[i][4] ? cases[i][4] : "", r.status, r.err);
        proc_free(&r);
    }
}

/* trace's first line counts in words: "1 token, 1 layer, 1 expert" (it said "1 tokens, 1 layers, 1 experts") */
static void trace_header_counts(void) {
    char one[512];
    snprintf(one, sizeof one, "%s/one-expert.gguf", t_tmpdir());
    proc_result s = run_moetop("synth", "-q", "--preset", "tiny", "--layers", "1", "--experts", "1", "--k", "1", "-o", one, NULL);
    CHECKF(s.status == 0, "%s", s.err);
    proc_free(&s);
    proc_result r = run_moetop("trace", "-m", one, "--ids", "5", NULL);
    CHECKF(r.status == 0 && strstr(r.out, "one-expert.gguf: 1 token, 1 layer, 1 expert, top-1 ("), "exit %d: %.200s%s", r.status, r.out, r.err);
    proc_free(&r);
    r = run_moetop("trace", "-m", one, "--ids", "5 6", NULL);
    CHECKF(r.status == 0 && strstr(r.out, "one-expert.gguf: 2 tokens, 1 layer, 1 expert, top-1 ("), "exit %d: %.200s%s", r.status, r.out, r.err);
    proc_free(&r);
}

int main(void) {
    t_begin("cli-engine");
    RUN(trace_json_matches_the_oracle);
    RUN(trace_logits_modes);
    RUN(trace_table_says_what_ran);
    RUN(trace_header_counts);
    RUN(greedy_generation_matches_the_oracle);
    RUN(sampling_is_seeded);
    RUN(bench_json);
    RUN(cpu_profile_and_kernel_choice);
    RUN(vk_kernel_override_named);
    RUN(devices_without_a_loader);
    RUN(devices_honour_moetop_kernels);
    RUN(threads_from_the_environment);
    RUN(bad_input_exits_2);
    RUN(write_failure_exits_1);
    return t_end();
}
