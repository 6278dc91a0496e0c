/* The tour in a terminal, and the scene frames (tour_play.h). */
#include "tour_play.h"

#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>
#include <time.h>

#include "tui/script.h"

void cli_tour_frames_keep(cli_tour_frames *f, size_t scene, const mt_grid *g) {
    if (!f->dir || scene >= f->n) return;
    mt_grid *k = &f->grids[scene];
    if (k->w != g->w || k->h != g->h) {
        mt_grid_free(k);
        if (!mt_grid_init(k, g->w, g->h)) return;
    }
    memcpy(k->cells, g->cells, sizeof *g->cells * (size_t)g->w * (size_t)g->h);
}

int cli_tour_frames_write(cli_tour_frames *f, int rc) {
    if (!rc && f->n && mkdir(f->dir, 0777) != 0 && errno != EEXIST) /* made only now, so a failed run leaves nothing */
        rc = cli_error(CLI_EXIT_FAIL, "%s: cannot write: %s", f->dir, strerror(errno));
    for (size_t i = 0; i < f->n; i++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/scene-%02zu.%s", f->dir, i + 1, f->ext);
        if (!rc && f->grids[i].cells && !cli_write_frame(path, &f->grids[i])) rc = CLI_EXIT_FAIL;
        mt_grid_free(&f->grids[i]);
    }
    free(f->grids);
    f->grids = NULL;
    f->n = 0;
    return rc;
}

int cli_tour_build_error(const mt_err *err, const char *problems_name) {
    if (strncmp(err->msg, "problem ", 8) == 0) return cli_error(CLI_EXIT_USAGE, "%s: %s", problems_name, err->msg);
    return cli_error(CLI_EXIT_FAIL, "tour: %s", err->msg);
}

/* The preparation's screen: what runs, a bar, how to stop. */
typedef struct prep_screen {
    mt_term *t;
    mt_grid *g;
    const mt_tour_inputs *in;
    struct timespec start;
    double last_paint;
    bool stopped;
} prep_screen;

static void centred(mt_grid *g, int y, const char *text, uint8_t attrs) {
    int x = (g->w - mt_text_width(text)) / 2;
    mt_grid_text(g, (mt_rect){ 0, 0, g->w, g->h }, x > 0 ? x : 0, y, text, MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, attrs);
}

static bool prep_progress(void *user, const char *stage, uint64_t done, uint64_t total) {
    prep_screen *p = user;
    double now = cli_seconds_since(&p->start);
    if (done < total && now - p->last_paint < 0.05) return true;
    p->last_paint = now;
    int x, y, key;
    while ((key = mt_term_key(p->t, 0, &x, &y)) != 0) {
        if (key == MT_KEY_ESC || key == 'q') {
            p->stopped = true;
            return false;
        }
        if (key == -1) { /* resized: the next paint is the new size */
            int w, h;
            mt_term_size(p->t, &w, &h);
            mt_grid_free(p->g);
            if (!mt_grid_init(p->g, w, h)) return false;
        }
    }
    mt_grid *g = p->g;
    mt_grid_clear(g);
    char line[256];
    if (strcmp(stage, "routes") == 0)
        snprintf(line, sizeof line, "finding the math expert: the routes of %zu prompts", p->in->n_prompts);
    else if (strcmp(stage, "problems") == 0)
        snprintf(line, sizeof line, "scoring %.60s (%zu problems) with and without it", p->in->problems_name, p->in->n_problems);
    else snprintf(line, sizeof line, "composing the scenes");
    int top = g->h / 2 - 2;
    centred(g, top, "moetop tour: preparing", MT_ATTR_BOLD);
    centred(g, top + 1, line, 0);
    int bar = g->w > 44 ? 30 : g->w - 14;
    if (bar > 0) {
        char text[64];
        int fill = total ? (int)((long long)bar * (long long)done / (long long)total) : 0, x0 = (g->w - bar - 12) / 2;
        for (int i = 0; i < bar; i++)
            mt_grid_put(g, (mt_rect){ 0, 0, g->w, g->h }, x0 + i, top + 3, i < fill ? 0x2588 : 0x2591, 0x3b528b, MT_COLOR_DEFAULT, 0);
        snprintf(text, sizeof text, " %3d%% %5.1f s", total ? (int)(100 * done / total) : 0, now);
        mt_grid_text(g, (mt_rect){ 0, 0, g->w, g->h }, x0 + bar, top + 3, text, MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, 0);
    }
    centred(g, top + 5, "Esc or q stops", MT_ATTR_DIM);
    mt_term_show(p->t, g);
    return true;
}

typedef struct player {
    mt_tour *t;
    mt_app *app;
    mt_term *term;
    mt_grid *g;
    cli_outputs *out;
    cli_tour_frames *frames;
    struct timespec t0;
    cli_progress_screen progress;
} player;

/* Draws the frame, records and keeps it, shows it. */
static void show(player *p, double now) {
    int w, h;
    mt_term_size(p->term, &w, &h);
    if (w != p->g->w || h != p->g->h) {
        mt_grid_free(p->g);
        if (!mt_grid_init(p->g, w, h)) return;
    }
    mt_app_set_time(p->app, now); /* messages expire */
    mt_tour_draw(p->t, p->app, p->g);
    if (cli_outputs_export(p->out, p->app, p->g)) mt_tour_draw(p->t, p->app, p->g); /* X: the status line says where */
    cli_outputs_record(p->out, p->g, now);
    cli_tour_frames_keep(p->frames, p->t->at, p->g);
    mt_term_show(p->term, p->g);
    cli_progress_screen_shown(&p->progress, p->g);
}

/* The scene's state into the explorer: false after an error (cancelled is not one). */
static bool apply(player *p, int *rc) {
    mt_err err;
    if (!mt_tour_apply(p->t, p->app, &err)) {
        if (!p->app->cancel_requested) {
            *rc = cli_error(CLI_EXIT_FAIL, "%s", err.msg);
            return false;
        }
        p->app->cancel_requested = false;
        snprintf(p->app->message, sizeof p->app->message, "cancelled: r recomputes, Right or Left shows a scene again");
    }
    mt_tour_started(p->t, cli_seconds_since(&p->t0));
    return true;
}

/* One key: the tour's or, while paused, the explorer's. */
static bool key(player *p, int k, bool *apply_next, int *rc) {
    mt_err err;
    double now = cli_seconds_since(&p->t0);
    mt_tour_event ev = mt_tour_key(p->t, k, p->app->editing, now);
    if (ev == MT_TOUR_QUIT) return false;
    if (ev == MT_TOUR_APPLY) *apply_next = true;
    if (ev == MT_TOUR_EXPLORER && !mt_app_key(p->app, k, &err)) {
        *rc = cli_error(CLI_EXIT_FAIL, "%s", err.msg);
        return false;
    }
    return !p->app->quit;
}

static int play(player *p, size_t first) {
    int rc = 0;
    mt_err err;
    mt_tour_go(p->t, first, cli_seconds_since(&p->t0));
    bool apply_next = true;
    for (;;) {
        if (apply_next && !apply(p, &rc)) break;
        apply_next = false;
        double now = cli_seconds_since(&p->t0);
        show(p, now);
        bool busy = p->app->gen && p->app->gen_pending > 0; /* a completion streams: poll keys without waiting */
        double left = mt_tour_time_left(p->t, now);
        int wait = busy ? 0 : left < 0 || left > 0.25 ? 250 : (int)(left * 1000) + 1;
        int mx = 0, my = 0, k = cli_progress_screen_next_key(&p->progress); /* keys typed during long work, in order */
        if (!k) k = mt_term_key(p->term, wait, &mx, &my);
        if (k == MT_KEY_CLICK) mt_tour_click(p->t, p->app, p->g->w, p->g->h, mx, my);
        else if (k == MT_KEY_PASTE) { /* the explorer's, while paused or editing */
            char *text = mt_term_paste_take(p->term);
            bool ok = !text || !*text || !(p->t->paused || p->app->editing) || mt_app_paste(p->app, text, &err);
            free(text);
            if (!ok) {
                rc = cli_error(CLI_EXIT_FAIL, "%s", err.msg);
                break;
            }
        } else if (k > 0 && !key(p, k, &apply_next, &rc)) break;
        if (busy && !k && !mt_app_tick(p->app, &err) && p->app->gen_pending) {
            rc = cli_error(CLI_EXIT_FAIL, "%s", err.msg);
            break;
        }
        if (mt_tour_tick(p->t, cli_seconds_since(&p->t0)) == MT_TOUR_APPLY) apply_next = true;
    }
    return rc;
}

int cli_tour_play(mt_tour *t, mt_app *app, const mt_tour_inputs *in, mt_grid *g, mt_colors_mode colors, cli_outputs *out,
                  cli_tour_frames *frames, double seconds, size_t first) {
    char why[256];
    mt_term *term = mt_term_open(colors, why, sizeof why);
    if (!term) return cli_error(CLI_EXIT_FAIL, "terminal: %s", why);
    int w, h, rc = 0;
    mt_term_size(term, &w, &h);
    mt_grid_free(g);
    if (!mt_grid_init(g, w, h)) {
        mt_term_close(term);
        return cli_error(CLI_EXIT_FAIL, "out of memory");
    }
    prep_screen prep = { .t = term, .g = g, .in = in, .last_paint = -1 };
    clock_gettime(CLOCK_MONOTONIC, &prep.start);
    prep_progress(&prep, "routes", 0, in->n_prompts);
    mt_err err;
    if (!mt_tour_build(t, app, in, prep_progress, &prep, &err)) {
        mt_term_close(term);
        return prep.stopped ? 0 : cli_tour_build_error(&err, in->problems_name);
    }
    t->seconds = seconds;
    player p = { .t = t, .app = app, .term = term, .g = g, .out = out, .frames = frames };
    p.progress = (cli_progress_screen){ .t = term, .app = app };
    clock_gettime(CLOCK_MONOTONIC, &p.t0); /* the recording's clock starts with the first scene */
    mt_app_set_progress(app, cli_progress_screen_fn, &p.progress);
    rc = play(&p, first);
    mt_app_set_progress(app, NULL, NULL);
    mt_grid_free(&p.progress.shown);
    mt_term_close(term);
    return rc;
}
