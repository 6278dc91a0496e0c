/* The explorer at gpt-oss-20b's and gpt-oss-120b's shapes (24 x 32 and
 * 36 x 128, synth models of tiny widths) at 80x24, 120x40 and 200x60, in
 * process (headless frames, no terminal): in every view each layer, expert
 * and token can be brought on screen by keys, every id shown is the whole
 * id (parsed back from the frame and compared with the trace), and the
 * screens tell the truth: stale layers marked, k per layer, messages that
 * expire by keys and by the clock. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/gguf.h"
#include "engine/model.h"
#include "engine/tokenizer.h"
#include "engine/utf8.h"
#include "support/cli_util.h"
#include "support/harness.h"
#include "support/proc.h"
#include "views/views.h"
#include "tui/app.h"
#include "tui/grid.h"
#include "tui/script.h"
#include "tui/scroll.h"

#define PROMPT "The quick brown fox jumps over the lazy dog, then the cat sat on the mat and the bird flew over all of them."

typedef struct env {
    mt_gguf *g;
    mt_model *m;
    mt_tokenizer *tok;
    mt_backend *be;
    mt_app app;
    bool open;
} env;

static const char *synth(int layers, int experts) {
    static char path[2][600];
    int i = experts > 64;
    snprintf(path[i], sizeof path[i], "%s/synth-%dx%d.gguf", t_tmpdir(), layers, experts);
    FILE *f = fopen(path[i], "rb");
    if (f) {
        fclose(f);
        return path[i];
    }
    char l[16], e[16];
    snprintf(l, sizeof l, "%d", layers);
    snprintf(e, sizeof e, "%d", experts);
    proc_result r = run_moetop("synth", "-q", "-o", path[i], "--preset", "tiny", "--layers", l, "--experts", e, "--k", "4", "--d-model", "64", NULL);
    bool ok = CHECKF(r.status == 0, "synth %dx%d: %s", layers, experts, r.err);
    proc_free(&r);
    return ok ? path[i] : NULL;
}

static bool env_open(env *v, const char *path) {
    mt_err err;
    memset(v, 0, sizeof *v);
    if (!path || !(v->g = mt_gguf_open(path, &err)) || !(v->m = mt_model_load(v->g, &err)) || !(v->tok = mt_tokenizer_load(v->g, &err)) ||
        !(v->be = mt_cpu_backend_new(2)))
        return CHECKF(false, "open %s", path ? path : "(none)");
    v->open = mt_app_init(&v->app, "synth", v->m, v->tok, v->be, PROMPT, &err);
    return CHECKF(v->open, "app: %s", err.msg);
}

static void env_close(env *v) {
    if (v->open) mt_app_free(&v->app);
    if (v->be) v->be->destroy(v->be);
    mt_tokenizer_free(v->tok);
    mt_model_free(v->m);
    mt_gguf_close(v->g);
}

/* Row y of the frame as UTF-8. */
static void row_text(const mt_grid *g, int y, char *out, size_t cap) {
    size_t o = 0;
    for (int x = 0; x < g->w && o + 5 < cap; x++)
        if (g->cells[y * g->w + x].cp) o += (size_t)mt_utf8_encode(g->cells[y * g->w + x].cp, out + o);
    out[o] = 0;
}

/* The number whose last digit is at column x of row y (reading left), or -1. */
static long number_ending_at(const mt_grid *g, int x, int y) {
    long v = 0, scale = 1;
    int start = x;
    while (x >= 0 && g->cells[y * g->w + x].cp >= '0' && g->cells[y * g->w + x].cp <= '9') {
        v += scale * (long)(g->cells[y * g->w + x].cp - '0');
        scale *= 10;
        x--;
    }
    return x == start ? -1 : v;
}

static int top_expert(const mt_session *s, uint32_t l, uint32_t t) {
    const uint32_t *ex;
    const float *w;
    float margin;
    uint32_t n = mt_session_route(s, l, t, &ex, &w, &margin);
    int best = -1;
    for (uint32_t i = 0; i < n; i++)
        if (best < 0 || w[i] > w[best]) best = (int)i;
    return best < 0 || w[best] <= 0 ? -1 : (int)ex[best];
}

static void key(mt_app *app, int k) {
    mt_err err;
    CHECKF(mt_app_key(app, k, &err), "key %d: %s", k, err.msg);
}

/* Heatmap: j through every token and l through every layer, drawing after
 * each key; every cell on screen holds the whole id of its top expert, and
 * each token row and layer column came on screen. */
static void heatmap_reaches_all(env *v, mt_grid *g, const char *what, bool *tok_seen, bool *layer_seen, long *wrong) {
    mt_app *app = &v->app;
    uint32_t T = mt_session_length(app->s), L = v->m->hp.n_layer;
    app->view = MT_VIEW_HEATMAP;
    mt_rect a = mt_view_area(app, g->w, g->h); /* under the title line, above the key and status rows */
    int top = a.y;
    key(app, 'g');
    for (uint32_t l = 0; l < L; l++) key(app, 'h');
    for (uint32_t step = 0; step < T + L; step++) {
        key(app, step < T ? (step ? 'j' : 'g') : 'l');
        mt_app_draw(app, g);
        /* the layer columns: numbers in the header row, right-aligned over the cells' ids */
        for (int x = 18; x < g->w; x++) {
            uint32_t c = g->cells[top * g->w + x].cp;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) break; /* the detail panel */
            long l = number_ending_at(g, x, top);
            if (l < 0 || (x + 1 < g->w && g->cells[top * g->w + x + 1].cp >= '0' && g->cells[top * g->w + x + 1].cp <= '9')) continue;
            if (l >= (long)L) break; /* the detail panel's text */
            layer_seen[l] = true;
            for (int y = top + 1; y < a.y + a.h; y++) {
                long t = number_ending_at(g, 3, y);
                if (t < 0 || t >= (long)T) continue;
                tok_seen[t] = true;
                long shown = number_ending_at(g, x, y);
                int want = top_expert(app->s, (uint32_t)l, (uint32_t)t);
                if (shown != want && (*wrong)++ < 3) CHECKF(false, "%s: heatmap token %ld layer %ld shows %ld, the top expert is %d", what, t, l, shown, want);
            }
        }
    }
}

/* A view whose rows are numbered (sweep, compare, ablate: "%5u" from column 1;
 * experts: "%3u" from column 1; token: "L%u"): the numbers seen while the
 * cursor moves through them. */
static void rows_seen(const mt_grid *g, bool token_view, int col_end, bool *seen, uint32_t n) {
    char line[4096];
    for (int y = 1; y < g->h - 1; y++) {
        row_text(g, y, line, sizeof line);
        long v = -1;
        if (token_view) {
            if (line[1] == 'L') v = strtol(line + 2, NULL, 10);
        } else {
            v = number_ending_at(g, col_end, y);
        }
        if (v >= 0 && v < (long)n) seen[v] = true;
    }
}

static int count_false(const bool *b, uint32_t n) {
    int c = 0;
    for (uint32_t i = 0; i < n; i++) c += !b[i];
    return c;
}

/* Every view, at every size, on both shapes. */
static void every_layer_expert_and_token_reachable(void) {
    static const int shapes[][2] = { { 24, 32 }, { 36, 128 } };
    static const int sizes[][2] = { { 80, 24 }, { 120, 40 }, { 200, 60 } };
    for (size_t si = 0; si < 2; si++) {
        env v;
        if (!env_open(&v, synth(shapes[si][0], shapes[si][1]))) {
            env_close(&v);
            continue;
        }
        mt_app *app = &v.app;
        uint32_t T = mt_session_length(app->s), L = v.m->hp.n_layer, E = v.m->hp.n_expert;
        CHECKF(T >= 60 && L == (uint32_t)shapes[si][0] && E == (uint32_t)shapes[si][1], "%u tokens, %u x %u", T, L, E);
        for (size_t zi = 0; zi < 3; zi++) {
            char what[64];
            snprintf(what, sizeof what, "%ux%u at %dx%d", L, E, sizes[zi][0], sizes[zi][1]);
            mt_grid g;
            if (!mt_grid_init(&g, sizes[zi][0], sizes[zi][1])) continue;
            bool *tok = calloc(T, 1), *lay = calloc(L, 1), *exp_ = calloc(E, 1);
            long wrong = 0;
            heatmap_reaches_all(&v, &g, what, tok, lay, &wrong);
            CHECKF(!count_false(tok, T) && !count_false(lay, L) && wrong == 0, "%s heatmap: %d tokens and %d layers never shown, %ld ids wrong", what,
                   count_false(tok, T), count_false(lay, L), wrong);
            /* token, sweep, compare: rows of layers, following h l */
            static const int row_views[] = { MT_VIEW_TOKEN, MT_VIEW_SWEEP, MT_VIEW_COMPARE, MT_VIEW_ABLATE };
            for (size_t r = 0; r < 4; r++) {
                memset(lay, 0, L);
                app->view = row_views[r];
                int down = row_views[r] == MT_VIEW_ABLATE ? 'j' : 'l', up = row_views[r] == MT_VIEW_ABLATE ? 'k' : 'h';
                for (uint32_t l = 0; l < L; l++) key(app, up);
                for (uint32_t l = 0; l <= L; l++) {
                    mt_app_draw(app, &g);
                    rows_seen(&g, row_views[r] == MT_VIEW_TOKEN, 5, lay, L);
                    key(app, down);
                }
                CHECKF(!count_false(lay, L), "%s %s view: %d layers never shown", what, mt_view_names[row_views[r]], count_false(lay, L));
            }
            /* experts: rows of experts (j k); ablate: columns of experts (h l), ids whole and in order */
            app->view = MT_VIEW_EXPERTS;
            key(app, 'g');
            int id_w = mt_digits(E - 1) < 3 ? 3 : mt_digits(E - 1);
            for (uint32_t e = 0; e <= E; e++) {
                mt_app_draw(app, &g);
                rows_seen(&g, false, id_w, exp_, E);
                key(app, 'j');
            }
            CHECKF(!count_false(exp_, E), "%s experts view: %d experts never shown", what, count_false(exp_, E));
            memset(exp_, 0, E);
            app->view = MT_VIEW_ABLATE;
            mt_rect va = mt_view_area(app, g.w, g.h);
            for (uint32_t e = 0; e < E; e++) key(app, 'h');
            long out_of_order = 0;
            for (uint32_t e = 0; e <= E; e++) {
                mt_app_draw(&v.app, &g);
                long prev = -1;
                for (int x = 10; x < g.w; x++) {
                    long id = number_ending_at(&g, x, va.y);
                    if (id < 0 || (x + 1 < g.w && g.cells[va.y * g.w + x + 1].cp >= '0' && g.cells[va.y * g.w + x + 1].cp <= '9')) continue;
                    if (id >= (long)E || (prev >= 0 && id != prev + 1)) out_of_order++;
                    else exp_[id] = true;
                    prev = id;
                }
                /* the cursor cell (reversed) is on screen: the action's target is visible */
                bool cursor = false;
                for (int i = 0; i < g.w * (g.h - 1); i++) cursor |= (g.cells[i].attrs & MT_ATTR_REVERSE) && g.cells[i].cp != ' ' && i / g.w > va.y && i / g.w < va.y + va.h - 1;
                if (!cursor) out_of_order += 1000;
                key(app, 'l');
            }
            CHECKF(!count_false(exp_, E) && out_of_order == 0, "%s ablate: %d experts never shown, %ld headers wrong or cursor hidden", what,
                   count_false(exp_, E), out_of_order);
            /* the token view's sparkline: < > pan it over every expert, as its indicator says */
            app->view = MT_VIEW_TOKEN;
            mt_rect ta = mt_view_area(app, g.w, g.h);
            memset(exp_, 0, E);
            for (uint32_t e = 0; e < E; e++) key(app, '<');
            for (uint32_t i = 0; i <= E / 16 + 1; i++) {
                mt_app_draw(app, &g);
                char line[4096];
                row_text(&g, ta.y + ta.h - 1, line, sizeof line); /* the view's last row: its position note */
                const char *note = strstr(line, "experts ");
                unsigned a, b, n;
                if (note && sscanf(note, "experts %u-%u of %u", &a, &b, &n) == 3 && n == E && b < E) {
                    for (unsigned e = a; e <= b; e++) exp_[e] = true;
                } else if (!note) {
                    memset(exp_, 1, E); /* no indicator: the whole sparkline fits */
                }
                key(app, '>');
            }
            CHECKF(!count_false(exp_, E), "%s token view's sparkline: %d experts never shown", what, count_false(exp_, E));
            free(tok);
            free(lay);
            free(exp_);
            mt_grid_free(&g);
        }
        env_close(&v);
    }
}

/* The generate view: its token rows scroll (j k g G) and its layer columns
 * pan (h l); the help view scrolls to every line of the action table. */
static void generate_and_help_scroll(void) {
    env v;
    if (!env_open(&v, synth(36, 128))) {
        env_close(&v);
        return;
    }
    mt_app *app = &v.app;
    mt_err err;
    app->generate_tokens = 40;
    key(app, 'n');
    while (mt_app_tick(app, &err)) {}
    uint32_t L = v.m->hp.n_layer, n = mt_session_length(app->gen) - app->gen_start;
    CHECKF(n == 40, "%u tokens generated", n);
    static const int sizes[][2] = { { 80, 24 }, { 120, 40 }, { 200, 60 } };
    for (size_t zi = 0; zi < 3; zi++) {
        mt_grid g;
        if (!mt_grid_init(&g, sizes[zi][0], sizes[zi][1])) continue;
        bool tok[64] = { 0 }, lay[64] = { 0 };
        long wrong = 0;
        app->view = MT_VIEW_GENERATE;
        mt_rect ga = mt_view_area(app, g.w, g.h);
        key(app, 'g');
        for (uint32_t l = 0; l < L; l++) key(app, 'h');
        for (uint32_t step = 0; step <= n + L; step++) {
            mt_app_draw(app, &g);
            char line[4096];
            row_text(&g, ga.y + ga.h - 1, line, sizeof line); /* the view's last row: its position note */
            unsigned a, b, of;
            const char *note = strstr(line, "tokens ");
            if (note && sscanf(note, "tokens %u-%u of %u", &a, &b, &of) == 3 && of == n && b < n) for (unsigned t = a; t <= b; t++) tok[t] = true;
            else if (!note) memset(tok, 1, n);
            /* the layer numbers row, and each shown cell the whole id of the generated token's top expert */
            int header = -1;
            for (int y = 0; y < g.h && header < 0; y++) {
                row_text(&g, y, line, sizeof line);
                if (strstr(line, "top expert per layer")) header = y + 1;
            }
            for (int x = 15; header > 0 && x < g.w; x++) {
                long l = number_ending_at(&g, x, header);
                if (l < 0 || (x + 1 < g.w && g.cells[header * g.w + x + 1].cp >= '0' && g.cells[header * g.w + x + 1].cp <= '9')) continue;
                if (l >= (long)L) continue;
                lay[l] = true;
                for (int y = header + 1; y < ga.y + ga.h - 1; y++) {
                    uint32_t t = app->gen_start + app->gen_top + (uint32_t)(y - header - 1);
                    if (t >= mt_session_length(app->gen)) break;
                    long shown = number_ending_at(&g, x, y);
                    if (shown != top_expert(app->gen, (uint32_t)l, t)) wrong++;
                }
            }
            key(app, step < n ? 'j' : 'l');
        }
        CHECKF(!count_false(tok, n) && !count_false(lay, L) && wrong == 0, "generate at %dx%d: %d tokens, %d layers never shown, %ld ids wrong",
               g.w, g.h, count_false(tok, n), count_false(lay, L), wrong);
        key(app, 'G'); /* follows the newest again */
        CHECK(!app->gen_scrolled);
        /* help: pages of it hold every action's text (wrapped lines joined) */
        app->view = MT_VIEW_HELP;
        mt_rect ha = mt_view_area(app, g.w, g.h);
        key(app, 'g');
        size_t cap = 1 << 16, o = 0;
        char *all = calloc(cap, 1), line[4096];
        uint32_t last_line = 0;
        bool any = false;
        for (int page = 0; page < 40 && all; page++) {
            mt_app_draw(app, &g);
            for (int y = 0; y < ha.h - 1; y++) { /* lines not seen yet (pages overlap by one) */
                uint32_t at = app->help_top + (uint32_t)y;
                if (any && at <= last_line) continue;
                row_text(&g, ha.y + y, line, sizeof line);
                for (const char *p = line; *p && o + 2 < cap; p++) /* spaces collapsed */
                    if (*p != ' ' || (o && all[o - 1] != ' ')) all[o++] = *p;
                if (o && all[o - 1] != ' ') all[o++] = ' ';
                last_line = at;
                any = true;
            }
            key(app, MT_KEY_PAGEDOWN);
        }
        int missing = 0;
        for (size_t i = 0; i < mt_action_count && all; i++) {
            char want[400];
            size_t w = 0;
            for (const char *p = mt_actions[i].help; *p && w + 2 < sizeof want; p++)
                if (*p != ' ' || (w && want[w - 1] != ' ')) want[w++] = *p;
            want[w] = 0;
            if (!strstr(all, want) && missing++ < 3) CHECKF(false, "help at %dx%d never shows '%s'", g.w, g.h, want);
        }
        CHECKF(all && missing == 0 && strstr(all, "definitions"), "help at %dx%d: %d actions missing", g.w, g.h, missing);
        free(all);
        mt_grid_free(&g);
    }
    env_close(&v);
}

static bool cancel_now(void *user, uint64_t done, uint64_t total) {
    (void)done;
    (void)total;
    mt_app *app = user;
    app->cancel_requested = true;
    return false;
}

static bool frame_has(mt_app *app, mt_grid *g, const char *needle) {
    mt_app_draw(app, g);
    char line[4096];
    for (int y = 0; y < g->h; y++) {
        row_text(g, y, line, sizeof line);
        if (strstr(line, needle)) return true;
    }
    return false;
}

/* A cancelled change leaves layers stale: every view that shows one marks
 * it (!), until r recomputes; k per layer on the status line; messages go
 * after MT_MESSAGE_KEYS keys or MT_MESSAGE_SECONDS of the given clock. */
static void truthful_screens(void) {
    env v;
    if (!env_open(&v, synth(24, 32))) {
        env_close(&v);
        return;
    }
    mt_app *app = &v.app;
    mt_grid g;
    if (!mt_grid_init(&g, 120, 40)) return;
    for (int i = 0; i < 3; i++) key(app, 'l');
    mt_app_set_progress(app, cancel_now, app);
    key(app, 'm'); /* masks the cell's top expert at layer 3: the update from layer 3 is cancelled */
    mt_app_set_progress(app, NULL, NULL);
    uint32_t stale = mt_session_dirty_from(app->s);
    if (CHECKF(stale <= 4, "stale from %u", stale)) {
        char mark[32];
        snprintf(mark, sizeof mark, "%5u!", stale);
        app->view = MT_VIEW_HEATMAP;
        snprintf(mark, sizeof mark, "%u!", stale);
        CHECKF(frame_has(app, &g, mark), "heatmap: no '%s'", mark);
        app->view = MT_VIEW_TOKEN;
        snprintf(mark, sizeof mark, "L%u!", stale);
        CHECKF(frame_has(app, &g, mark), "token view: no '%s'", mark);
        snprintf(mark, sizeof mark, "%5u!", stale);
        static const int views[] = { MT_VIEW_SWEEP, MT_VIEW_ABLATE, MT_VIEW_COMPARE };
        for (int i = 0; i < 3; i++) {
            app->view = views[i];
            CHECKF(frame_has(app, &g, mark), "%s view: no '%s'", mt_view_names[views[i]], mark);
        }
        app->view = MT_VIEW_EXPERTS;
        app->cur_layer = stale;
        CHECKF(frame_has(app, &g, "STALE!"), "experts view of a stale layer: not marked");
        app->view = MT_VIEW_HEATMAP;
        key(app, 'r');
        CHECKF(mt_session_dirty_from(app->s) >= v.m->hp.n_layer && !frame_has(app, &g, "!"), "r: still stale");
    }
    /* k per layer */
    app->cur_layer = 5;
    key(app, '+');
    CHECKF(frame_has(app, &g, "| k 4 (L5: 5) "), "status line without k per layer");
    for (int l = 6; l < 9; l++) {
        app->cur_layer = (uint32_t)l;
        key(app, '-');
    }
    CHECKF(frame_has(app, &g, "| k 4 (L5: 5, L6-8: 3) "), "status line without runs of k");
    key(app, 'c');
    CHECKF(frame_has(app, &g, "| k 4 greedy"), "cleared: one k");
    /* messages expire: by keys */
    mt_app_set_time(app, 100);
    key(app, 'c');
    for (int i = 0; i < MT_MESSAGE_KEYS; i++) key(app, 'j');
    CHECKF(frame_has(app, &g, "interventions cleared"), "the message went before %d keys", MT_MESSAGE_KEYS);
    key(app, 'j');
    CHECKF(!frame_has(app, &g, "interventions cleared"), "the message stayed past %d keys", MT_MESSAGE_KEYS);
    /* and by the clock (never a sleep: the clock is given), counted from the
     * first frame that shows it */
    key(app, 'c');
    mt_app_set_time(app, 100);
    mt_app_set_time(app, 100 + MT_MESSAGE_SECONDS - 0.5);
    CHECKF(frame_has(app, &g, "interventions cleared"), "the message went early");
    mt_app_set_time(app, 100 + MT_MESSAGE_SECONDS + 0.5);
    CHECKF(!frame_has(app, &g, "interventions cleared"), "the message stayed past %g s", MT_MESSAGE_SECONDS);
    /* the same message written again is new again */
    key(app, 'c');
    mt_app_set_time(app, 100 + 2 * MT_MESSAGE_SECONDS);
    CHECKF(frame_has(app, &g, "interventions cleared"), "a message written again expired with the old one");
    /* a message written at the end of a long computation (the clock moved on
     * while the key ran) is shown its full time, not dropped at once */
    mt_app_set_time(app, 300);
    key(app, 'c');
    mt_app_set_time(app, 300 + 3 * MT_MESSAGE_SECONDS);
    CHECKF(frame_has(app, &g, "interventions cleared"), "a message that came after a long computation never showed");
    mt_app_set_time(app, 300 + 4 * MT_MESSAGE_SECONDS + 1);
    CHECKF(!frame_has(app, &g, "interventions cleared"), "the message stayed past %g s", MT_MESSAGE_SECONDS);
    mt_grid_free(&g);
    env_close(&v);
}

/* The pure scroll functions. */
static void scroll_windows(void) {
    CHECK(mt_scroll_follow(0, 5, 10, 100) == 0 && mt_scroll_follow(0, 10, 10, 100) == 1 && mt_scroll_follow(50, 40, 10, 100) == 40);
    CHECK(mt_scroll_follow(95, 99, 10, 100) == 90 && mt_scroll_follow(7, 3, 10, 5) == 0 && mt_scroll_follow(3, 3, 0, 5) == 3);
    CHECK(mt_scroll_clamp(-4, 10, 100) == 0 && mt_scroll_clamp(1000, 10, 100) == 90 && mt_scroll_clamp(5, 10, 3) == 0);
    char out[64] = "";
    CHECK(!mt_scroll_note(out, sizeof out, "layers", 0, 36, 36) && !out[0]);
    CHECK(mt_scroll_note(out, sizeof out, "experts", 32, 32, 128) && strcmp(out, "experts 32-63 of 128") == 0);
    out[0] = 0;
    mt_scroll_append(out, sizeof out, "layers", 12, 12, 36, "h l");
    CHECKF(strcmp(out, "<layers 12-23 of 36 (h l)>") == 0, "%s", out);
    CHECK(mt_digits(0) == 1 && mt_digits(9) == 1 && mt_digits(10) == 2 && mt_digits(127) == 3);
}

int main(void) {
    t_begin("explorer-size");
    RUN(scroll_windows);
    RUN(every_layer_expert_and_token_reachable);
    RUN(generate_and_help_scroll);
    RUN(truthful_screens);
    return t_end();
}
