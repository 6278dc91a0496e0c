/* The tour (tui/tour.h) in the process: its clock and keys as a pure state
 * machine (keys and times in, the scene and what to do out), the caption's
 * wrapping by hand, and the tour built on the bundled model drawn at 120x40
 * and 80x24: every scene's caption (scene i/N, its title, its whole text,
 * no word cut), the view the scene names, and captions that claim only what
 * their p-values earn. Nothing here knows which expert the bundled model's
 * math expert is, or its accuracy: the checks hold for any model. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/corpus.h"
#include "cli/experiments/problems_io.h"
#include "engine/backend.h"
#include "engine/gguf.h"
#include "engine/model.h"
#include "engine/tokenizer.h"
#include "support/harness.h"
#include "tui/app.h"
#include "tui/script.h"
#include "tui/tour.h"

#define MODEL "assets/models/moetop-moe.gguf"

/* A tour of n scenes with nothing in them: enough for the clock and keys. */
static mt_tour bare_tour(size_t n) {
    mt_tour t = { 0 };
    t.scenes = calloc(n, sizeof *t.scenes);
    t.n = n;
    t.seconds = 8;
    t.cache_scene = n;
    mt_tour_go(&t, 0, 0);
    return t;
}

static void clock_and_keys(void) {
    mt_tour t = bare_tour(3);
    /* the clock: scene 0 for 8 s, then 1 */
    CHECK(mt_tour_tick(&t, 7.9) == MT_TOUR_STAY && t.at == 0);
    CHECK(fabs(mt_tour_time_left(&t, 6) - 2) < 1e-12);
    CHECK(mt_tour_tick(&t, 8) == MT_TOUR_APPLY && t.at == 1);
    mt_tour_started(&t, 8.5); /* the scene's work took 0.5 s: its time starts after */
    CHECK(mt_tour_tick(&t, 16.4) == MT_TOUR_STAY && mt_tour_tick(&t, 16.5) == MT_TOUR_APPLY && t.at == 2);
    mt_tour_started(&t, 16.5);
    /* Space pauses: the clock stops; other keys are the explorer's; stepping keeps the pause */
    CHECK(mt_tour_key(&t, ' ', false, 18.5) == MT_TOUR_REDRAW && t.paused);
    CHECK(mt_tour_tick(&t, 1000) == MT_TOUR_STAY && t.at == 2 && mt_tour_time_left(&t, 1000) < 0);
    CHECK(mt_tour_key(&t, 'j', false, 19) == MT_TOUR_EXPLORER);
    CHECK(mt_tour_key(&t, MT_KEY_TAB, false, 19) == MT_TOUR_EXPLORER);
    CHECK(mt_tour_key(&t, MT_KEY_LEFT, false, 20) == MT_TOUR_APPLY && t.at == 1 && t.paused);
    mt_tour_started(&t, 20);
    CHECK(mt_tour_key(&t, 'p', false, 21) == MT_TOUR_APPLY && t.at == 0 && t.paused);
    mt_tour_started(&t, 21);
    CHECK(mt_tour_key(&t, 'p', false, 22) == MT_TOUR_APPLY && t.at == 0); /* at the first: the first again */
    mt_tour_started(&t, 22);
    CHECK(mt_tour_key(&t, 'n', false, 23) == MT_TOUR_APPLY && t.at == 1 && t.paused);
    mt_tour_started(&t, 23);
    /* a line being edited takes every key, the tour's too */
    CHECK(mt_tour_key(&t, ' ', true, 24) == MT_TOUR_EXPLORER && mt_tour_key(&t, 'q', true, 24) == MT_TOUR_EXPLORER && t.paused);
    /* resumed 10 s after the step: the scene's 8 s start again from the resume */
    CHECK(mt_tour_key(&t, ' ', false, 33) == MT_TOUR_REDRAW && !t.paused);
    CHECK(fabs(mt_tour_time_left(&t, 33) - 8) < 1e-9);
    CHECK(mt_tour_tick(&t, 40.9) == MT_TOUR_STAY && mt_tour_tick(&t, 41) == MT_TOUR_APPLY && t.at == 2);
    mt_tour_started(&t, 41);
    /* while playing, keys that are not the tour's do nothing */
    CHECK(mt_tour_key(&t, 'j', false, 42) == MT_TOUR_STAY);
    /* the end: the clock runs out on the last scene; Right there ends too */
    CHECK(mt_tour_tick(&t, 49) == MT_TOUR_REDRAW && t.ended && t.at == 2);
    CHECK(mt_tour_tick(&t, 99) == MT_TOUR_STAY && mt_tour_time_left(&t, 99) < 0);
    CHECK(mt_tour_key(&t, MT_KEY_RIGHT, false, 100) == MT_TOUR_STAY && t.ended);
    CHECK(mt_tour_key(&t, MT_KEY_LEFT, false, 101) == MT_TOUR_APPLY && t.at == 1 && !t.ended);
    CHECK(mt_tour_key(&t, 'n', false, 102) == MT_TOUR_APPLY && t.at == 2);
    CHECK(mt_tour_key(&t, 'n', false, 103) == MT_TOUR_REDRAW && t.ended);
    CHECK(mt_tour_key(&t, ' ', false, 104) == MT_TOUR_APPLY && t.at == 0 && !t.ended && !t.paused); /* again from the start */
    CHECK(mt_tour_key(&t, 'q', false, 105) == MT_TOUR_QUIT);
    mt_tour_free(&t);
}

static void caption_wrap_by_hand(void) {
    char rows[MT_TOUR_TEXT_ROWS + 2][MT_TOUR_TEXT_MAX];
    CHECK(mt_caption_wrap("aaa bbb ccc", 7, 3, rows) == 2 && strcmp(rows[0], "aaa bbb") == 0 && strcmp(rows[1], "ccc") == 0);
    CHECK(mt_caption_wrap("  aaa   bbb  ", 20, 3, rows) == 1 && strcmp(rows[0], "aaa bbb") == 0); /* runs of spaces: one */
    /* more than max rows: the last ends in "..." after whole words */
    CHECK(mt_caption_wrap("aaa bbb ccc ddd", 7, 1, rows) == 1 && strcmp(rows[0], "aaa...") == 0);
    CHECK(mt_caption_wrap("aaa bbb ccc ddd eee", 8, 2, rows) == 2 && strcmp(rows[0], "aaa bbb") == 0 && strcmp(rows[1], "ccc...") == 0);
    /* a word wider than a row is cut with "..." and the next row goes on */
    CHECK(mt_caption_wrap("abcdefghij xy", 6, 3, rows) == 2 && strcmp(rows[0], "abc...") == 0 && strcmp(rows[1], "xy") == 0);
    /* widths in display cells: a middle dot is one cell of two bytes */
    CHECK(mt_caption_wrap("\xc2\xb7\xc2\xb7\xc2\xb7 abc", 7, 3, rows) == 1);
    CHECK(mt_caption_wrap("", 10, 3, rows) == 0 && mt_caption_wrap("x", 3, 3, rows) == 0); /* narrower than "..." + 1 */
}

/* The words of s, one space between them. */
static void words(const char *s, char *out, size_t cap) {
    size_t o = 0;
    for (const char *p = s; *p && o + 1 < cap;) {
        while (*p == ' ') p++;
        size_t len = strcspn(p, " ");
        if (!len) break;
        o += (size_t)snprintf(out + o, cap - o, "%s%.*s", o ? " " : "", (int)len, p);
        p += len;
    }
}

/* Row y of g as UTF-8 (trailing spaces kept). */
static void row_text(const mt_grid *g, int y, char *out, size_t cap) {
    mt_grid line = { g->w, 1, g->cells + (size_t)y * (size_t)g->w };
    mt_bytes b = { 0 };
    mt_grid_to_text(&line, &b);
    snprintf(out, cap, "%.*s", (int)(b.len && b.data[b.len - 1] == '\n' ? b.len - 1 : b.len), (const char *)b.data);
    mt_bytes_free(&b);
}

typedef struct bundled {
    mt_gguf *g;
    mt_model *m;
    mt_tokenizer *tok;
    mt_backend *be;
    cli_corpus corpus;
    cli_problems ps;
    mt_app app;
    mt_tour tour;
    bool *in;
    mt_ids *ids;
} bundled;

static bool build(bundled *b) {
    memset(b, 0, sizeof *b);
    if (access(MODEL, R_OK) != 0 || access("assets/prompts/math.txt", R_OK) != 0) {
        t_skip("%s or assets/prompts/math.txt is absent", MODEL);
        return false;
    }
    mt_err err;
    b->g = mt_gguf_open(MODEL, &err);
    b->m = b->g ? mt_model_load(b->g, &err) : NULL;
    b->tok = b->g ? mt_tokenizer_load(b->g, &err) : NULL;
    b->be = mt_cpu_backend_new(0);
    if (!CHECKF(b->m && b->tok && b->be, "%s", err.msg)) return false;
    cli_model cm = { .path = MODEL, .m = b->m, .tok = b->tok, .be = b->be };
    if (!CHECK(cli_corpus_load_dir("assets/prompts", &cm, &b->corpus) == 0) || !CHECK(cli_problems_load("assets/problems/add-1.jsonl", &b->ps) == 0))
        return false;
    b->in = calloc(b->corpus.n_items, sizeof *b->in);
    b->ids = calloc(b->corpus.n_items, sizeof *b->ids);
    uint32_t math = 0;
    for (uint32_t d = 0; d < b->corpus.n_domains; d++)
        if (strcmp(b->corpus.domains[d], "math") == 0) math = d;
    for (size_t i = 0; i < b->corpus.n_items; i++) {
        b->in[i] = b->corpus.items[i].domain == math;
        b->ids[i] = b->corpus.items[i].ids;
    }
    if (!CHECKF(mt_app_init(&b->app, "moetop-moe.gguf", b->m, b->tok, b->be, "", &err), "%s", err.msg)) return false;
    mt_tour_inputs in = { "47 + 38 = ", b->ids, b->in, b->corpus.n_items, b->ps.items, b->ps.n, "add-1", 1000, 0, 16 };
    return CHECKF(mt_tour_build(&b->tour, &b->app, &in, NULL, NULL, &err), "%s", err.msg);
}

static void unbuild(bundled *b) {
    mt_tour_free(&b->tour);
    if (b->m) mt_app_free(&b->app);
    free(b->in);
    free(b->ids);
    cli_corpus_free(&b->corpus);
    cli_problems_free(&b->ps);
    if (b->be) b->be->destroy(b->be);
    mt_tokenizer_free(b->tok);
    mt_model_free(b->m);
    mt_gguf_close(b->g);
}

/* Each scene's view, and what its status line (the frame's last row) starts with. */
static const int want_view[MT_TOUR_SCENES] = { MT_VIEW_DASHBOARD, MT_VIEW_EXPERTS, MT_VIEW_COMPARE, MT_VIEW_COMPARE,
                                               MT_VIEW_ABLATE,    MT_VIEW_TOKEN,   MT_VIEW_COMPARE, MT_VIEW_DASHBOARD };

static void scenes_at(bundled *b, int w, int h) {
    mt_grid g;
    if (!mt_grid_init(&g, w, h)) return;
    mt_tour *t = &b->tour;
    char line[4096], caption[16384], want[4096], tag[32];
    CHECK(t->n == MT_TOUR_SCENES);
    for (size_t i = 0; i < t->n; i++) {
        mt_err err;
        t->at = i;
        if (!CHECKF(mt_tour_apply(t, &b->app, &err), "scene %zu: %s", i + 1, err.msg)) continue;
        mt_tour_draw(t, &b->app, &g);
        const mt_tour_scene *s = &t->scenes[i];
        int rows = t->caption_rows;
        CHECKF(rows >= 2 && rows <= 1 + MT_TOUR_TEXT_ROWS, "%dx%d scene %zu: %d caption rows", w, h, i + 1, rows);
        /* the first row: scene i/N and the title, whole */
        row_text(&g, 0, line, sizeof line);
        snprintf(tag, sizeof tag, "scene %zu/%zu", i + 1, t->n);
        CHECKF(strstr(line, tag) && strstr(line, s->title), "%dx%d: row 0 '%s' lacks '%s' or '%s'", w, h, line, tag, s->title);
        /* the rows under it hold the whole text: no word cut, nothing left out */
        caption[0] = 0;
        for (int y = 1; y < rows; y++) {
            row_text(&g, y, line, sizeof line);
            CHECKF(line[0] == ' ', "%dx%d scene %zu row %d: no margin: '%s'", w, h, i + 1, y, line);
            size_t at = strlen(caption);
            snprintf(caption + at, sizeof caption - at, " %s", line);
        }
        char got[16384];
        words(caption, got, sizeof got);
        words(mt_caption_text(t, &b->app, w, h - rows), want, sizeof want);
        CHECKF(strcmp(got, want) == 0, "%dx%d scene %zu: the caption shows '%s', its text is '%s'", w, h, i + 1, got, want);
        /* the explorer below it, in the scene's view (its status line names it) */
        CHECKF(b->app.view == want_view[i], "scene %zu: view %d, want %d", i + 1, b->app.view, want_view[i]);
        row_text(&g, h - 1, line, sizeof line);
        snprintf(tag, sizeof tag, " %s |", mt_view_names[want_view[i]]);
        CHECKF(strncmp(line, tag, strlen(tag)) == 0, "%dx%d scene %zu: status line '%s'", w, h, i + 1, line);
        /* the explorer's frame, whole, under the caption */
        CHECKF(t->body.w == w && t->body.h == h - rows &&
                   memcmp(g.cells + (size_t)rows * (size_t)w, t->body.cells, sizeof *g.cells * (size_t)w * (size_t)(h - rows)) == 0,
               "%dx%d scene %zu: the rows under the caption are not the explorer's frame", w, h, i + 1);
    }
    mt_grid_free(&g);
}

/* What the captions say follows the p-values, whatever the model finds. */
static void honest_captions(const bundled *b) {
    const mt_tour *t = &b->tour;
    const mt_tour_findings *f = &t->found;
    CHECK(f->significant == (f->spec.p_max < 0.05));
    CHECK(f->layer < b->m->hp.n_layer && f->expert < b->m->hp.n_expert);
    CHECK(f->spec.p_max >= 1.0 / 1001.0 && f->spec.p_max <= 1.0 && f->spec.n_cells == b->m->hp.n_layer * b->m->hp.n_expert);
    const char *title = t->scenes[1].title, *text = t->scenes[1].text;
    if (f->significant) CHECKF(strstr(title, "candidate math expert") && !strstr(text, "as large"), "%s: %s", title, text);
    else CHECKF(strstr(title, "No math expert") && strstr(text, "as large"), "%s: %s", title, text);
    char p[32];
    snprintf(p, sizeof p, "permutation p %.2g", f->spec.p_max);
    CHECKF(strstr(text, p), "'%s' does not say '%s'", text, p);
    /* the ablation: "not distinguishable" exactly when McNemar's p is 0.05 or more */
    const char *ab = t->scenes[4].text;
    bool null = f->ablated.p_mcnemar >= 0.05;
    CHECKF(null == (strstr(ab, "not distinguishable from no change at this size") != NULL), "p %g: %s", f->ablated.p_mcnemar, ab);
    CHECK(f->n_problems == 100 && f->base.fixed == 0 && f->base.broken == 0);
    CHECK(f->ablated.wilson_lo <= f->ablated.accuracy && f->ablated.accuracy <= f->ablated.wilson_hi);
    /* the runners-up: other experts than the candidate, each other's too */
    for (uint32_t i = 0; i < f->n_others; i++) {
        CHECK(f->others[i].expert != f->expert && f->others[i].diff <= f->spec.top[0].diff);
        for (uint32_t j = 0; j < i; j++) CHECK(f->others[i].expert != f->others[j].expert);
    }
    /* the compare scenes keep the conditions they name */
    CHECK(t->scenes[3].conds.n == 2 + f->n_others && t->scenes[6].conds.n == 5);
}

static void bundled_tour(void) {
    bundled b;
    if (build(&b)) {
        honest_captions(&b);
        scenes_at(&b, 120, 40);
        scenes_at(&b, 80, 24);
        scenes_at(&b, 100, 30);
    }
    unbuild(&b);
}

int main(void) {
    t_begin("tour");
    RUN(clock_and_keys);
    RUN(caption_wrap_by_hand);
    RUN(bundled_tour);
    return t_end();
}
