/* The explorer's views against the commands: the views against trace and
 * sweep, sampled generation against generate, ablate and compare, the prompt
 * line's generation and prompt sets, exports and recordings, and tokens with
 * NaN or infinite router logits. The foundations (grid, labels, keys, config)
 * are test_explorer.c's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/utf8.h"
#include "support/cli_util.h"
#include "support/fixtures.h"
#include "support/harness.h"
#include "support/nonfinite.h"
#include "tui/app.h"

/* A text frame's row as code points, one per cell (the prompt has no wide glyphs). */
static int frame_row(const char *frame, int row, uint32_t *cells, int cap) {
    const char *p = frame;
    for (int i = 0; i < row && p; i++) {
        p = strchr(p, '\n');
        if (p) p++;
    }
    if (!p) return 0;
    int n = 0;
    size_t len = strcspn(p, "\n");
    for (size_t at = 0; at < len && n < cap;) at += mt_utf8_next((const uint8_t *)p + at, len - at, &cells[n++]);
    return n;
}

/* The eighths a bar of the sweep view shows (full block 8, U+2590 - e for e eighths, a dot 0). */
static int bar_eighths(const uint32_t *cells, int from, int width) {
    int sum = 0;
    for (int i = from; i < from + width; i++) sum += cells[i] == 0x2588 ? 8 : cells[i] > 0x2588 && cells[i] < 0x2590 ? (int)(0x2590 - cells[i]) : 0;
    return sum;
}

/* Semantics, not just shape: each heatmap cell is the highest-weight expert
 * of its trace entry (moetop trace --json), and the sweep view's bars and
 * figures are the stats module's values (moetop sweep --json). */
static void views_match_trace_and_sweep(void) {
    const char *gguf = fixture_path('a', ".gguf"), *prompt = "The quick brown fox jumps over the lazy dog";
    if (!gguf) return;
    char keys[512], heat[512], sweep[512], text[1200];
    snprintf(keys, sizeof keys, "%s/semantic.keys", t_tmpdir());
    snprintf(heat, sizeof heat, "%s/semantic-heat.txt", t_tmpdir());
    snprintf(sweep, sizeof sweep, "%s/semantic-sweep.txt", t_tmpdir());
    snprintf(text, sizeof text, "Tab\nframe %s\nTab\nTab\nframe %s\n", heat, sweep);
    t_write_file(keys, text, strlen(text));
    proc_result r = run_moetop("-m", gguf, "--prompt", prompt, "--headless", "--size", "120x40", "--script", keys, NULL);
    CHECKF(r.status == 0, "%s", r.err);
    proc_free(&r);
    proc_result tr = run_moetop("trace", "-m", gguf, "--prompt", prompt, "--json", NULL);
    proc_result sw = run_moetop("sweep", "-m", gguf, "--prompt", prompt, "--json", NULL);
    char err[256];
    jv *trace = tr.status == 0 ? jv_parse(tr.out, tr.out_len, err, sizeof err) : NULL;
    jv *stats = sw.status == 0 ? jv_parse(sw.out, sw.out_len, err, sizeof err) : NULL;
    char *h = t_read_file(heat, NULL), *s = t_read_file(sweep, NULL);
    if (CHECKF(trace && stats && h && s, "trace %d, sweep %d", tr.status, sw.status)) {
        const jv *layers = jv_get(trace, "layers"), *tokens = jv_get(trace, "tokens");
        size_t T = tokens ? tokens->len : 0, L = layers ? layers->len : 0, checked = 0, wrong = 0;
        uint32_t cells[300];
        for (size_t t = 0; t < T && t < 36; t++) {
            int n = frame_row(h, 2 + (int)t, cells, 300); /* under the title line and the header */
            for (size_t l = 0; l < L; l++) {
                const jv *ex = jv_at(jv_get(jv_at(layers, l), "topk"), t), *w = jv_at(jv_get(jv_at(layers, l), "weights"), t);
                size_t best = 0;
                for (size_t i = 1; i < w->len; i++)
                    if (jv_at(w, i)->num > jv_at(w, best)->num) best = i;
                int x = 18 + 3 * (int)l; /* 5 for the position, 12 for the label, 1 space; 3 per layer */
                int shown = x + 1 < n ? (cells[x] == ' ' ? 0 : (int)(cells[x] - '0') * 10) + (int)(cells[x + 1] - '0') : -1;
                checked++;
                if (shown != (int)jv_at(ex, best)->num) wrong++;
            }
        }
        CHECKF(checked == T * L && checked > 20 && wrong == 0, "%zu of %zu heatmap cells differ from the trace", wrong, checked);
        const jv *sl = jv_get(stats, "layers");
        for (size_t l = 0; sl && l < sl->len; l++) {
            const jv *m = jv_at(sl, l);
            int n = frame_row(s, 2 + (int)l, cells, 300);
            if (!CHECKF(n >= 90, "sweep row %zu is %d cells", l, n)) break;
            /* 120 columns: bars of 30 cells from columns 7 and 39, the figures from 71 */
            double h_full = jv_num(m, "entropy_full_mean", -1), h_mix = jv_num(m, "entropy_topk_mean", -1);
            CHECKF(abs(bar_eighths(cells, 7, 30) - (int)(h_full * 240 + 0.5)) == 0, "layer %zu: H_full bar %d eighths for %.4f", l,
                   bar_eighths(cells, 7, 30), h_full);
            CHECKF(abs(bar_eighths(cells, 39, 30) - (int)(h_mix * 240 + 0.5)) == 0, "layer %zu: H_mix bar %d eighths for %.4f", l,
                   bar_eighths(cells, 39, 30), h_mix);
            char figures[64];
            int k = 0;
            for (int i = 71; i < n && k < 63; i++) k += mt_utf8_encode(cells[i], figures + k) > 0 ? 1 : 0;
            figures[k] = 0;
            double top1, gini, cv;
            unsigned cold;
            CHECKF(sscanf(figures, "%lf %lf %lf %u", &top1, &gini, &cv, &cold) == 4 && fabs(top1 - jv_num(m, "top1_share", -9)) <= 0.0051 &&
                       fabs(gini - jv_num(m, "gini", -9)) <= 0.0051 && fabs(cv - jv_num(m, "cv", -9)) <= 0.0051 && cold == (unsigned)jv_num(m, "cold", -1),
                   "layer %zu: '%s' against the stats module", l, figures);
        }
    }
    jv_free(trace);
    jv_free(stats);
    free(h);
    free(s);
    proc_free(&tr);
    proc_free(&sw);
}

/* n with the config's temperature and seed samples what moetop generate
 * samples with the same flags: each generated row's top experts equal the
 * top-weight experts of generate --json's tokens. */
static void sampled_generation_matches_generate(void) {
    const char *gguf = fixture_path('c', ".gguf"), *prompt = "Count: 1 2 3";
    if (!gguf) return;
    char ini[512], keys[512], frame[512], text[1200];
    snprintf(ini, sizeof ini, "%s/sampling.ini", t_tmpdir());
    snprintf(keys, sizeof keys, "%s/sampling.keys", t_tmpdir());
    snprintf(frame, sizeof frame, "%s/sampling.txt", t_tmpdir());
    const char *cfg = "[explorer]\ntemperature = 0.8\nseed = 7\ngenerate_tokens = 8\n";
    t_write_file(ini, cfg, strlen(cfg));
    snprintf(text, sizeof text, "n\nframe %s\n", frame);
    t_write_file(keys, text, strlen(text));
    proc_result r = run_moetop("-m", gguf, "--config", ini, "--prompt", prompt, "--headless", "--size", "100x24", "--script", keys, NULL);
    CHECKF(r.status == 0, "%s", r.err);
    proc_free(&r);
    proc_result gr = run_moetop("generate", "-m", gguf, "--prompt", prompt, "--temp", "0.8", "--seed", "7", "-n", "8", "--json", NULL);
    char err[256];
    jv *gen = gr.status == 0 ? jv_parse(gr.out, gr.out_len, err, sizeof err) : NULL;
    char *f = t_read_file(frame, NULL);
    if (CHECKF(gen && f && strstr(f, "k 4 T 0.8 seed 7") && strstr(f, "generated 8 tokens"), "%s", f ? f : gr.err)) {
        const jv *toks = jv_get(gen, "generated");
        size_t rows = 0;
        int header = 1; /* the completion's text, then the header and the layer numbers, then a row per token */
        for (const char *p = f; p < strstr(f, "top expert per layer"); p++) header += *p == '\n';
        for (size_t i = 0; toks && i < toks->len; i++) {
            uint32_t cells[300];
            int n = frame_row(f, header + 1 + (int)i, cells, 300);
            char digits[256];
            int k = 0;
            for (int c = 14; c < n && k < 250; c++) k += (int)mt_utf8_encode(cells[c], digits + k);
            digits[k] = 0;
            const jv *layers = jv_get(jv_at(toks, i), "layers");
            const char *p = digits;
            bool same = layers != NULL;
            for (size_t l = 0; same && l < layers->len; l++) {
                const jv *ex = jv_get(jv_at(layers, l), "topk"), *w = jv_get(jv_at(layers, l), "weights");
                size_t best = 0;
                for (size_t j = 1; j < w->len; j++)
                    if (jv_at(w, j)->num > jv_at(w, best)->num) best = j;
                char *end;
                long shown = strtol(p, &end, 10);
                same = end != p && shown == (long)jv_at(ex, best)->num;
                p = end;
            }
            rows += same;
        }
        CHECKF(toks && toks->len == 8 && rows == 8, "%zu of 8 generated rows agree with moetop generate", rows);
    }
    jv_free(gen);
    free(f);
    proc_free(&gr);
}

/* Ablate: M masks the column's expert at every layer; compare then shows
 * overlaps below 1 and the changed next-token list. */
static void ablate_and_compare(void) {
    const char *gguf = fixture_path('a', ".gguf");
    if (!gguf) return;
    char script[512], ab[512], cmp[512], heat[512], zd[512], text[4096];
    snprintf(script, sizeof script, "%s/ablate.keys", t_tmpdir());
    snprintf(zd, sizeof zd, "%s/zero-drop.txt", t_tmpdir());
    snprintf(heat, sizeof heat, "%s/shaded.txt", t_tmpdir());
    snprintf(ab, sizeof ab, "%s/ablate.txt", t_tmpdir());
    snprintf(cmp, sizeof cmp, "%s/compare.txt", t_tmpdir());
    snprintf(text, sizeof text, "Tab\nTab\nTab\nTab\nTab\nl\nl\nM\nframe %s\nTab\nframe %s\nEsc\ns\ns\ns\nframe %s\n"
             "Tab\nTab\nTab\nTab\nTab\nM\nZ\nD\nframe %s\n", ab, cmp, heat, zd);
    t_write_file(script, text, strlen(text));
    proc_result r = run_moetop("-m", gguf, "--prompt", "The quick brown fox jumps over the lazy dog", "--headless", "--size", "110x24",
                               "--script", script, NULL);
    CHECKF(r.status == 0, "%s", r.err);
    proc_free(&r);
    char *a = t_read_file(ab, NULL), *c = t_read_file(cmp, NULL);
    CHECKF(a && strstr(a, "mask 2@all") && strstr(a, "ablate |"), "%s", a ? a : "");
    CHECKF(c && strstr(c, "overlap with the baseline") && strstr(c, "next token") && strstr(c, "0.") && !strstr(c, "nothing to compare") &&
               strstr(c, "greedy continuation, 24 tokens: baseline") && strstr(c, "intervened ("),
           "%s", c ? c : "");
    /* the heatmap shaded by change against the baseline marks the cells whose top expert moved */
    char *h = t_read_file(heat, NULL);
    CHECKF(h && strstr(h, "shade: change") && strstr(h, "*"), "%s", h ? h : "");
    /* M again unmasks it everywhere; Z and D zero and drop it at every layer */
    char *z = t_read_file(zd, NULL);
    CHECKF(z && !strstr(z, "mask 2@") && strstr(z, "zero 2@all drop 2@all") && strstr(z, "layer 0, expert 2: zeroed dropped"), "%s",
           z ? z : "");
    free(z);
    free(a);
    free(c);
    free(h);
}

/* The prompt line (edit, type, Enter), a completion, the chat wrapper and the prompt sets. */
static void prompt_line_generation_and_sets(void) {
    const char *gguf = fixture_path('c', ".gguf");
    if (!gguf) return;
    char script[512], gen[512], chat[512], text[2048];
    snprintf(script, sizeof script, "%s/prompt.keys", t_tmpdir());
    snprintf(gen, sizeof gen, "%s/gen.txt", t_tmpdir());
    snprintf(chat, sizeof chat, "%s/chat.txt", t_tmpdir());
    snprintf(text, sizeof text,
             "e\nEnd\ntype  and then\nBackspace\nBackspace\nBackspace\nBackspace\nBackspace\ntype  so\nEnter\nn\nframe %s\n"
             "Esc\nC\nframe %s\n", gen, chat);
    t_write_file(script, text, strlen(text));
    proc_result r = run_moetop("-m", gguf, "--prompt", "Count: 1 2 3", "--headless", "--size", "100x30", "--script", script, NULL);
    CHECKF(r.status == 0, "%s", r.err);
    proc_free(&r);
    char *g = t_read_file(gen, NULL), *c = t_read_file(chat, NULL);
    CHECKF(g && strstr(g, "generate |") && strstr(g, "generated ") && strstr(g, "top expert per layer"), "%s", g ? g : "");
    /* the edited prompt "Count: 1 2 3 and so" was run: its tokens are in the chat frame's heatmap */
    CHECKF(c && strstr(c, "wrapped as a harmony chat") && strstr(c, "<|start|>") && strstr(c, "\xc2\xb7so"), "%s", c ? c : "");
    free(g);
    free(c);
}

/* The configuration file: the shipped one is valid; bad lines are one error naming file and line. */
static size_t count_substr(const char *s, const char *needle) {
    size_t n = 0;
    for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle)) n++;
    return n;
}

/* Frames as .ansi and .svg, X writing the next numbered file in export_dir,
 * and an asciicast recording on the script's clock. */
static void exports_and_recording(void) {
    const char *gguf = fixture_path('a', ".gguf");
    if (!gguf) return;
    char ini[512], keys[512], cast[512], ansi[512], svg[512], x1[600], x2[600], text[2048];
    snprintf(ini, sizeof ini, "%s/export.ini", t_tmpdir());
    snprintf(keys, sizeof keys, "%s/export.keys", t_tmpdir());
    snprintf(cast, sizeof cast, "%s/session.cast", t_tmpdir());
    snprintf(ansi, sizeof ansi, "%s/frame.ansi", t_tmpdir());
    snprintf(svg, sizeof svg, "%s/frame.svg", t_tmpdir());
    snprintf(x1, sizeof x1, "%s/moetop-frame-1.txt", t_tmpdir());
    snprintf(x2, sizeof x2, "%s/moetop-frame-2.txt", t_tmpdir());
    snprintf(text, sizeof text, "[explorer]\nexport_format = txt\nexport_dir = %s\n", t_tmpdir());
    t_write_file(ini, text, strlen(text));
    const char *script = "j\nX\nwait 1000\nj\nX\n";
    t_write_file(keys, script, strlen(script));
    proc_result r = run_moetop("-m", gguf, "--prompt", "The quick brown fox", "--headless", "--size", "80x14", "--config", ini, "--script", keys,
                               "--record", cast, "--export-frame", svg, NULL);
    CHECKF(r.status == 0, "%s", r.err);
    proc_free(&r);
    /* X: two numbered frames (the cursor moved between them) */
    char *f1 = t_read_file(x1, NULL), *f2 = t_read_file(x2, NULL);
    CHECKF(f1 && f2 && strstr(f1, "token 1, layer 0") && strstr(f2, "token 2, layer 0"), "%s", f2 ? f2 : "(no second frame)");
    free(f1);
    free(f2);
    /* the recording: a v2 header of the frame's size, then events whose times follow the script's clock */
    char *c = t_read_file(cast, NULL);
    if (CHECK(c != NULL)) {
        const char *head = "{\"version\": 2, \"width\": 80, \"height\": 14,";
        CHECKF(strncmp(c, head, strlen(head)) == 0, "%.80s", c);
        CHECKF(count_substr(c, "\n[") >= 3 && strstr(c, "\n[0.000, \"o\", \"") && strstr(c, "\n[2.200, \"o\", "), "%s", c);
        CHECK(strstr(c, "\\u001b[H") != NULL && strstr(c, "\x1b") == NULL); /* escapes are JSON-escaped */
        free(c);
    }
    /* the SVG: well-formed enough to hold a background per heatmap cell and no raw control bytes */
    char *v = t_read_file(svg, NULL);
    if (CHECK(v != NULL)) {
        CHECK(strncmp(v, "<svg xmlns=", 11) == 0 && strstr(v, " width=\"672.0\" height=\"238.0\" ")); /* 80x14 cells of 8.4x17 px */
        CHECK(strstr(v, ">written<") != NULL); /* the status line says X wrote */
        CHECK(strstr(v, "</svg>\n") != NULL && count_substr(v, "<rect ") > 20 && count_substr(v, "<text ") == count_substr(v, "</text>"));
        CHECK(strstr(v, ">The<") != NULL && strchr(v, '\x1b') == NULL);
        free(v);
    }
    /* the same frame as ANSI: 14 lines, 24-bit colours, each line reset */
    r = run_moetop("-m", gguf, "--prompt", "The quick brown fox", "--headless", "--size", "80x14", "--export-frame", ansi, NULL);
    CHECKF(r.status == 0, "%s", r.err);
    proc_free(&r);
    char *a = t_read_file(ansi, NULL);
    if (CHECK(a != NULL)) {
        CHECK(count_substr(a, "\x1b[0m\n") == 14 && strstr(a, ";48;2;") && strstr(a, "The"));
        free(a);
    }
    /* formats it cannot write are usage errors before any work */
    r = run_moetop("-m", gguf, "--headless", "--export-frame", "frame.png", NULL);
    CHECKF(is_clean_usage_error(&r) && strstr(r.err, "not .txt, .ansi or .svg"), "%s", r.err);
    proc_free(&r);
    r = run_moetop("-m", gguf, "--headless", "--record", "session.json", NULL);
    CHECKF(is_clean_usage_error(&r) && strstr(r.err, "not a .cast file"), "%s", r.err);
    proc_free(&r);
}

/* NaN and infinite router logits (tests/support/nonfinite.h) in the views:
 * the sweep view gives layers 0..3 no numbers and says why, layer 4 keeps
 * its bars; the experts view leaves those tokens out and says so; the
 * heatmap shaded by entropy greys those cells instead of calling them certain. */
static void nonfinite_views(void) {
    const char *gguf = nonfinite_model();
    if (!gguf) return;
    char script[512], sweep[512], experts[512], heat[512], text[4096];
    snprintf(script, sizeof script, "%s/nonfinite.keys", t_tmpdir());
    snprintf(sweep, sizeof sweep, "%s/nf-sweep.txt", t_tmpdir());
    snprintf(experts, sizeof experts, "%s/nf-experts.txt", t_tmpdir());
    snprintf(heat, sizeof heat, "%s/nf-heat.ansi", t_tmpdir());
    char compare[512];
    snprintf(compare, sizeof compare, "%s/nf-compare.txt", t_tmpdir());
    snprintf(text, sizeof text, "s\ns\nframe %s\ns\ns\nTab\nTab\nTab\nframe %s\nTab\nframe %s\nTab\nM\nTab\nframe %s\n", heat, sweep, experts, compare);
    t_write_file(script, text, strlen(text));
    proc_result r = run_moetop("-m", gguf, "--prompt", "What is 127 * 89?", "--headless", "--size", "120x18", "--script", script, NULL);
    CHECKF(r.status == 0, "%s", r.err);
    proc_free(&r);
    char *sw = t_read_file(sweep, NULL), *ex = t_read_file(experts, NULL), *h = t_read_file(heat, NULL);
    CHECKF(sw && count_substr(sw, "no statistics: ") == NONFINITE_PATCHED && strstr(sw, "tokens with NaN or infinite router logits") &&
               strstr(sw, "\xe2\x94\x82") && !strstr(sw, "nan"),
           "%s", sw ? sw : "(no frame)");
    CHECKF(ex && strstr(ex, "share of the 0 tokens") && strstr(ex, " left out (NaN or infinite router logits)") && strstr(ex, "   - "), "%s",
           ex ? ex : "(no frame)");
    CHECKF(h && strstr(h, "shade: entropy") && strstr(h, ";48;2;128;128;128m"), "%s", h ? h : "(no frame)");
    free(h);
    h = NULL;
    /* the compare view (an expert masked at every layer from the ablate view: M) leaves them out of the overlap */
    char *cmp = t_read_file(compare, NULL);
    CHECKF(cmp && count_substr(cmp, "no statistics: ") == NONFINITE_PATCHED && strstr(cmp, "    4  "), "%s", cmp ? cmp : "(no frame)");
    free(cmp);
    free(sw);
    free(ex);
    free(h);
}

int main(void) {
    t_begin("explorer");
    RUN(views_match_trace_and_sweep);
    RUN(sampled_generation_matches_generate);
    RUN(ablate_and_compare);
    RUN(prompt_line_generation_and_sets);
    RUN(exports_and_recording);
    RUN(nonfinite_views);
    return t_end();
}
