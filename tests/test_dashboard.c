/* The dashboard and the self-explaining frames: the layout is a pure function
 * of the size that tiles every screen from 80x24 to 300x100 exactly; the
 * numbers the dashboard computes (softmax, the next-token top-n, bins of
 * experts, the entropies it shows) against hand-computed cases; its frames
 * against moetop trace and sweep; the text view; a title and a key on every
 * view; ASCII frames that are ASCII. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/json_read.h"
#include "engine/stats.h"
#include "support/cli_util.h"
#include "support/fixtures.h"
#include "support/harness.h"
#include "tui/app.h"
#include "tui/layout.h"
#include "views/route_numbers.h"

static bool inside(mt_rect r, int w, int h) { return r.x >= 0 && r.y >= 0 && r.w > 0 && r.h > 0 && r.x + r.w <= w && r.y + r.h <= h; }

static bool overlap(mt_rect a, mt_rect b) { return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h; }

/* Every size from 80x24 to 300x100, for models of 1 to 200 layers: five
 * panels inside the screen, none overlapping, their areas summing to the
 * screen's (so they tile it: nothing empty), each at least its minimum, the
 * status line the last row; below 80x24 no layout. */
static void layout_tiles_every_size(void) {
    static const int layers[] = { 1, 4, 6, 24, 36, 200 };
    int bad = 0;
    for (size_t li = 0; li < sizeof layers / sizeof *layers; li++)
        for (int w = MT_DASH_MIN_W; w <= 300 && bad < 5; w++)
            for (int h = MT_DASH_MIN_H; h <= 100 && bad < 5; h++) {
                mt_dash_layout l;
                if (!CHECKF(mt_dash_layout_of(w, h, layers[li], &l), "%dx%d: no layout", w, h)) {
                    bad++;
                    continue;
                }
                mt_rect r[5] = { l.heatmap, l.router, l.entropy, l.next, l.status };
                long area = 0;
                bool ok = true;
                for (int i = 0; i < 5; i++) {
                    ok &= inside(r[i], w, h);
                    area += (long)r[i].w * r[i].h;
                    for (int j = i + 1; j < 5; j++) ok &= !overlap(r[i], r[j]);
                }
                ok &= area == (long)w * h;
                ok &= l.heatmap.w >= MT_DASH_HEAT_MIN_W && l.heatmap.h >= MT_DASH_HEAT_MIN_H;
                ok &= l.router.w >= MT_DASH_SIDE_MIN_W && l.router.h >= MT_DASH_ROUTER_MIN_H;
                ok &= l.entropy.w >= MT_DASH_SIDE_MIN_W && l.entropy.h >= MT_DASH_ENTROPY_MIN_H;
                ok &= l.next.w >= MT_DASH_SIDE_MIN_W && l.next.h == MT_DASH_NEXT_H;
                ok &= l.status.y == h - 1 && l.status.x == 0 && l.status.w == w && l.status.h == 1;
                /* a row per layer when the height allows it, never more rows than layers need */
                ok &= l.entropy.h <= (layers[li] + 3 > MT_DASH_ENTROPY_MIN_H ? layers[li] + 3 : MT_DASH_ENTROPY_MIN_H) || l.router.h == MT_DASH_ROUTER_MAX_H;
                if (!CHECKF(ok, "%dx%d, %d layers: heatmap %d,%d %dx%d router %d,%d %dx%d entropy %d,%d %dx%d next %d,%d %dx%d", w, h, layers[li],
                            l.heatmap.x, l.heatmap.y, l.heatmap.w, l.heatmap.h, l.router.x, l.router.y, l.router.w, l.router.h, l.entropy.x,
                            l.entropy.y, l.entropy.w, l.entropy.h, l.next.x, l.next.y, l.next.w, l.next.h))
                    bad++;
            }
    mt_dash_layout l;
    CHECK(!mt_dash_layout_of(79, 100, 6, &l) && !mt_dash_layout_of(300, 23, 6, &l) && !mt_dash_layout_of(0, 0, 6, &l) &&
          !mt_dash_layout_of(-5, 40, 6, &l));
    /* more rows go to the entropy panel when the model has more layers */
    mt_dash_layout a, b;
    CHECK(mt_dash_layout_of(120, 30, 6, &a) && mt_dash_layout_of(120, 30, 36, &b) && a.entropy.h == 9 && b.entropy.h > a.entropy.h);
}

static bool near(double a, double b, double tol) { return fabs(a - b) <= tol; }

/* The numbers against hand-computed cases. */
static void numbers_by_hand(void) {
    /* z = (0, 0, ln 2): exp = (1, 1, 2) over 4 */
    float z[3] = { 0, 0, (float)log(2.0) };
    double p[3];
    double top = mt_softmax_probs(z, 3, p);
    CHECKF(near(p[0], 0.25, 1e-7) && near(p[1], 0.25, 1e-7) && near(p[2], 0.5, 1e-7) && near(top, 0.5, 1e-7), "%g %g %g", p[0], p[1], p[2]);
    /* H over all E = -(2 * .25 ln .25 + .5 ln .5) / ln 3 = 1.5 ln 2 / ln 3 = 0.946395 */
    CHECKF(near(mt_entropy_full(z, 3), 1.5 * log(2.0) / log(3.0), 1e-6) && near(mt_entropy_full(z, 3), 0.946395, 1e-6), "%g", mt_entropy_full(z, 3));
    /* over the k mixing weights: (.75, .25) gives -(.75 ln .75 + .25 ln .25) / ln 2 = 0.811278; (.5, .5) gives 1 */
    float w[2] = { 0.75f, 0.25f }, even[2] = { 0.5f, 0.5f }, one[1] = { 1 };
    CHECKF(near(mt_entropy_mix(w, 2), 0.811278, 1e-6), "%g", mt_entropy_mix(w, 2));
    CHECK(near(mt_entropy_mix(even, 2), 1, 1e-9) && mt_entropy_mix(one, 1) == 0);
    /* a NaN or infinite logit: no distribution at all */
    float bad[3] = { 0, NAN, 1 }, inf[2] = { 0, INFINITY };
    CHECK(isnan(mt_softmax_probs(bad, 3, p)) && isnan(p[0]) && isnan(mt_softmax_probs(inf, 2, p)));
    /* the next-token top 2 of (1, 3, 3, 0): ids 1 then 2 (a tie: the lower id first), p = e^3 / (e + 2 e^3 + 1) */
    float logits[4] = { 1, 3, 3, 0 };
    uint32_t ids[5];
    double q[5];
    mt_top_tokens(logits, 4, 2, ids, q);
    double want = exp(3.0) / (exp(1.0) + 2 * exp(3.0) + 1);
    CHECKF(ids[0] == 1 && ids[1] == 2 && near(q[0], want, 1e-9) && near(q[1], want, 1e-9), "%u %u %g", ids[0], ids[1], q[0]);
    mt_top_tokens(logits, 4, 5, ids, q); /* more asked than there are: the rest empty */
    CHECK(ids[2] == 0 && near(q[2], exp(1.0) / (exp(1.0) + 2 * exp(3.0) + 1), 1e-9) && ids[3] == 3 && q[4] == -1);
    /* the router chart's columns */
    CHECK(mt_experts_per_column(16, 40) == 1 && mt_experts_per_column(128, 40) == 4 && mt_experts_per_column(128, 128) == 1 &&
          mt_experts_per_column(129, 128) == 2 && mt_experts_per_column(32, 0) == 32);
}

/* The bundled model's explorer headless on keys; the frames named in the script. */
static bool run_keys(const char *size, const char *config, const char *keys, const char *name) {
    char script[600];
    snprintf(script, sizeof script, "%s/%s.keys", t_tmpdir(), name);
    t_write_file(script, keys, strlen(keys));
    proc_result r = config ? run_moetop("--prompt", "The quick brown fox jumps over the lazy dog", "--headless", "--size", size, "--config", config,
                                        "--script", script, NULL)
                           : run_moetop("--prompt", "The quick brown fox jumps over the lazy dog", "--headless", "--size", size, "--script", script,
                                        NULL);
    bool ok = CHECKF(r.status == 0, "%s: %s", name, r.err);
    proc_free(&r);
    return ok;
}

static char *path_in_tmp(const char *name) {
    static char paths[8][600];
    static int at;
    char *p = paths[at++ % 8];
    snprintf(p, 600, "%s/%s", t_tmpdir(), name);
    return p;
}

/* The dashboard at the three sizes of a recording: every panel titled, the
 * colours' key, the status line; the router panel's weights are the trace's
 * for the cursor's cell; the entropy panel's figures are sweep's. */
static void dashboard_frames(void) {
    static const char *const sizes[] = { "80x24", "120x40", "200x60" };
    for (int i = 0; i < 3; i++) {
        char keys[1024], name[32];
        snprintf(name, sizeof name, "dash-%d.txt", i);
        snprintf(keys, sizeof keys, "j\nj\nl\nframe %s\n", path_in_tmp(name));
        if (!run_keys(sizes[i], NULL, keys, name)) continue;
        char *f = t_read_file(path_in_tmp(name), NULL);
        if (!CHECKF(f != NULL, "%s: no frame", sizes[i])) continue;
        CHECKF(strstr(f, "\xe2\x95\xad\xe2\x94\x80 heatmap") && strstr(f, "router: token 2 ") && strstr(f, ", layer 1 ") && strstr(f, "entropy") &&
                   strstr(f, "next token") && strstr(f, "\n dashboard | k 4") && strstr(f, "colour = expert id:") && strstr(f, "expert ") &&
                   strstr(f, "pos token") && strstr(f, "layer H_full") && strstr(f, "margin "),
               "%s: %s", sizes[i], f);
        free(f);
    }
    /* against moetop trace: the router panel's "top-4 w:" ids and weights are token 2's at layer 1 */
    proc_result tr = run_moetop("trace", "--prompt", "The quick brown fox jumps over the lazy dog", "--json", NULL);
    proc_result sw = run_moetop("sweep", "--prompt", "The quick brown fox jumps over the lazy dog", "--json", NULL);
    char err[256];
    jv *trace = tr.status == 0 ? jv_parse(tr.out, tr.out_len, err, sizeof err) : NULL;
    jv *stats = sw.status == 0 ? jv_parse(sw.out, sw.out_len, err, sizeof err) : NULL;
    char *f = t_read_file(path_in_tmp("dash-2.txt"), NULL);
    const char *at = f ? strstr(f, "top-4 w:") : NULL;
    if (CHECKF(trace && stats && at, "trace %d, sweep %d, frame %s", tr.status, sw.status, f ? "" : "missing")) {
        const jv *layer = jv_at(jv_get(trace, "layers"), 1);
        const jv *ex = jv_at(jv_get(layer, "topk"), 2), *w = jv_at(jv_get(layer, "weights"), 2);
        at += strlen("top-4 w:");
        for (size_t i = 0; ex && w && i < 4; i++) {
            unsigned id;
            double weight;
            int used = 0;
            bool read = sscanf(at, " %u %lf%n", &id, &weight, &used) == 2;
            CHECKF(read && id == (unsigned)jv_at(ex, i)->num && near(weight, jv_at(w, i)->num, 0.0005), "selected expert %zu: %.40s against %g %g", i, at,
                   jv_at(ex, i)->num, jv_at(w, i)->num);
            at += used;
        }
        /* the entropy rows: "    l <bar>| 0.84 <bar>| 0.89" */
        const jv *sl = jv_get(stats, "layers");
        for (size_t l = 0; sl && l < sl->len; l++) {
            char row[32];
            snprintf(row, sizeof row, "\xe2\x94\x82%5zu ", l); /* the panel's left edge, then the layer */
            const char *r = strstr(f, row);
            if (!CHECKF(r, "no entropy row for layer %zu", l)) continue;
            double hf, hm;
            const char *bar1 = strstr(r + 3, "\xe2\x94\x82 "), *bar2 = bar1 ? strstr(bar1 + 4, "\xe2\x94\x82 ") : NULL;
            bool read = bar1 && bar2 && sscanf(bar1 + 3, "%lf", &hf) == 1 && sscanf(bar2 + 3, "%lf", &hm) == 1;
            const jv *m = jv_at(sl, l);
            CHECKF(read && near(hf, jv_num(m, "entropy_full_mean", -1), 0.0051) && near(hm, jv_num(m, "entropy_topk_mean", -1), 0.0051),
                   "layer %zu: %.60s against %g %g", l, r, jv_num(m, "entropy_full_mean", -1), jv_num(m, "entropy_topk_mean", -1));
        }
    }
    free(f);
    jv_free(trace);
    jv_free(stats);
    proc_free(&tr);
    proc_free(&sw);
}

/* A click on a cell of the dashboard's heatmap selects it: the router panel follows. */
static void dashboard_click(void) {
    /* 120x40: the panel's inside from (1, 1): the header row, then token rows; cells 3 wide from column 1 + 18 */
    char keys[1024];
    snprintf(keys, sizeof keys, "click 25 5\nframe %s\n", path_in_tmp("dclick.txt"));
    if (!run_keys("120x40", NULL, keys, "dclick")) return;
    char *f = t_read_file(path_in_tmp("dclick.txt"), NULL);
    CHECKF(f && strstr(f, "router: token 3 ") && strstr(f, ", layer 2 "), "%s", f ? f : "(no frame)");
    free(f);
}

/* Every view but the dashboard opens with a title line naming it and saying
 * what it shows; the views with colours or bars have a key above the status line. */
static void every_view_titled_and_keyed(void) {
    char keys[4096];
    size_t o = 0;
    for (int v = 0; v < MT_VIEW_COUNT; v++) {
        char name[32];
        snprintf(name, sizeof name, "title-%d.txt", v);
        o += (size_t)snprintf(keys + o, sizeof keys - o, "frame %s\nTab\n", path_in_tmp(name));
    }
    if (!run_keys("120x30", NULL, keys, "titles")) return;
    static const char *const want_key[MT_VIEW_COUNT] = {
        [MT_VIEW_HEATMAP] = "colour = expert id: ", [MT_VIEW_TOKEN] = "4 cells = 1", [MT_VIEW_SWEEP] = "normalised entropy 0",
        [MT_VIEW_EXPERTS] = "24 cells = 1", [MT_VIEW_ABLATE] = "share of tokens using the expert 0", [MT_VIEW_COMPARE] = "20 cells = 1",
        [MT_VIEW_GENERATE] = "colour = expert id: ", [MT_VIEW_TEXT] = "expert  tokens",
    };
    for (int v = 1; v < MT_VIEW_COUNT; v++) {
        char name[32], title[48];
        snprintf(name, sizeof name, "title-%d.txt", v);
        char *f = t_read_file(path_in_tmp(name), NULL);
        snprintf(title, sizeof title, " %s  ", mt_view_names[v]);
        for (char *c = title; *c; c++) *c = (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
        CHECKF(f && strncmp(f, title, strlen(title)) == 0, "%s: the first line is not its title: %.120s", mt_view_names[v], f ? f : "");
        if (want_key[v]) CHECKF(f && strstr(f, want_key[v]), "%s: no key '%s'", mt_view_names[v], want_key[v]);
        free(f);
    }
}

/* Shading modes name their ramp: its ends and unit. */
static void shading_keys(void) {
    char keys[1024];
    snprintf(keys, sizeof keys, "s\nframe %s\ns\nframe %s\ns\nframe %s\n", path_in_tmp("s1.txt"), path_in_tmp("s2.txt"), path_in_tmp("s3.txt"));
    if (!run_keys("120x40", NULL, keys, "shading")) return;
    static const char *const want[3] = { "the top expert's mixing weight 0", "H(softmax z)/ln E 0 certain", "1 - overlap with the baseline 0 same" };
    static const char *const names[3] = { "s1.txt", "s2.txt", "s3.txt" };
    for (int i = 0; i < 3; i++) {
        char *f = t_read_file(path_in_tmp(names[i]), NULL);
        CHECKF(f && strstr(f, want[i]) && !strstr(f, "colour = expert id"), "shading %d: %s", i + 1, f ? f : "");
        free(f);
    }
}

/* The text view: Space steps through the layers and wraps; the key's
 * counts add up to the prompt's tokens (each token has one top expert). */
static void text_view_steps_layers(void) {
    char keys[2048];
    int o = snprintf(keys, sizeof keys, "S-Tab\nS-Tab\nframe %s\nSpace\nframe %s\n", path_in_tmp("t0.txt"), path_in_tmp("t1.txt"));
    for (int i = 0; i < 5; i++) o += snprintf(keys + o, sizeof keys - (size_t)o, "Space\n");
    snprintf(keys + o, sizeof keys - (size_t)o, "frame %s\n", path_in_tmp("t6.txt"));
    if (!run_keys("100x30", NULL, keys, "text")) return;
    char *a = t_read_file(path_in_tmp("t0.txt"), NULL), *b = t_read_file(path_in_tmp("t1.txt"), NULL), *c = t_read_file(path_in_tmp("t6.txt"), NULL);
    CHECKF(a && strstr(a, "layer 0 of 6") && strstr(a, "The quick brown fox") && strstr(a, "\n text | "), "%s", a ? a : "");
    CHECKF(b && strstr(b, "layer 1 of 6") && c && strstr(c, "layer 0 of 6"), "%s", c ? c : "");
    if (a) { /* the key: "expert  tokens", then " <id> <count>" rows */
        const char *k = strstr(a, "expert  tokens");
        unsigned total = 0, rows = 0;
        for (const char *line = k ? strchr(k, '\n') : NULL; line; line = strchr(line + 1, '\n')) {
            const char *cell = line + 1 + 100 - 18; /* the key's column: the last 18 (ASCII here) */
            unsigned id, n;
            if ((size_t)(strchr(line + 1, '\n') ? strchr(line + 1, '\n') - line : 0) < 100 || sscanf(cell, "%u %u", &id, &n) != 2) continue;
            total += n;
            rows++;
        }
        proc_result tok = run_moetop("trace", "--prompt", "The quick brown fox jumps over the lazy dog", "--json", NULL);
        char err[256];
        jv *v = tok.status == 0 ? jv_parse(tok.out, tok.out_len, err, sizeof err) : NULL;
        const jv *ids = v ? jv_get(v, "tokens") : NULL;
        CHECKF(ids && rows > 0 && total == ids->len, "the key counts %u tokens in %u rows; the prompt has %zu", total, rows, ids ? ids->len : 0);
        jv_free(v);
        proc_free(&tok);
    }
    free(a);
    free(b);
    free(c);
}

/* With [display] ascii = yes, the dashboard and the text view are ASCII only. */
static void ascii_frames(void) {
    char ini[600], keys[1024];
    snprintf(ini, sizeof ini, "%s/ascii.ini", t_tmpdir());
    t_write_file(ini, "[display]\nascii = yes\n", 22);
    snprintf(keys, sizeof keys, "frame %s\nS-Tab\nS-Tab\nframe %s\n", path_in_tmp("a1.txt"), path_in_tmp("a2.txt"));
    if (!run_keys("120x40", ini, keys, "ascii")) return;
    static const char *const names[2] = { "a1.txt", "a2.txt" };
    for (int i = 0; i < 2; i++) {
        unsigned long len;
        char *f = t_read_file(path_in_tmp(names[i]), &len);
        unsigned long high = 0;
        for (unsigned long j = 0; f && j < len; j++) high += (unsigned char)f[j] >= 0x80;
        CHECKF(f && high == 0 && (i == 1 || strstr(f, "+- heatmap")), "%s: %lu non-ASCII bytes: %s", names[i], high, f ? f : "");
        free(f);
    }
}

int main(void) {
    t_begin("dashboard");
    RUN(layout_tiles_every_size);
    RUN(numbers_by_hand);
    RUN(dashboard_frames);
    RUN(dashboard_click);
    RUN(every_view_titled_and_keyed);
    RUN(shading_keys);
    RUN(text_view_steps_layers);
    RUN(ascii_frames);
    return t_end();
}
