/* The tour's clock and keys, a scene put into the explorer, and the frame
 * (tour.h). */
#include "tour.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app_keys.h"
#include "script.h"
#include "views/views.h"

bool mt_tour_build(mt_tour *t, mt_app *app, const mt_tour_inputs *in, mt_tour_progress_fn progress, void *user, mt_err *err) {
    memset(t, 0, sizeof *t);
    t->seconds = MT_TOUR_SECONDS;
    t->cache_scene = (size_t)-1;
    if (!(t->prompt = strdup(in->prompt))) {
        mt_err_set(err, "out of memory");
        return false;
    }
    bool ok = mt_app_set_prompt(app, in->prompt, err);
    if (ok && mt_session_length(app->s) == 0) { /* refused (past the context) or empty: nothing to show */
        mt_err_set(err, "the tour's prompt \"%s\" does not fit the model's context of %u tokens", in->prompt, app->m->hp.n_ctx);
        ok = false;
    }
    if (!ok || !mt_tour_find(&t->found, app, in, progress, user, err) || !mt_tour_compose(t, app, progress, user, err)) {
        mt_tour_free(t);
        return false;
    }
    mt_tour_go(t, 0, 0);
    return true;
}

void mt_tour_free(mt_tour *t) {
    for (size_t i = 0; i < t->n; i++) {
        mt_iv_free(&t->scenes[i].iv);
        mt_conds_free(&t->scenes[i].conds);
        mt_cond_cache_free(t->scenes[i].cache);
    }
    free(t->scenes);
    free(t->prompt);
    mt_grid_free(&t->body);
    memset(t, 0, sizeof *t);
}

void mt_tour_go(mt_tour *t, size_t i, double now) {
    t->at = i < t->n ? i : t->n ? t->n - 1 : 0;
    t->paused = t->ended = false;
    t->started = t->paused_at = now;
}

void mt_tour_started(mt_tour *t, double now) {
    t->started = now;
    if (t->paused) t->paused_at = now;
}

/* Another scene (or the same again), keeping a pause. */
static mt_tour_event step_to(mt_tour *t, size_t i, double now) {
    t->at = i;
    t->ended = false;
    t->started = t->paused_at = now;
    return MT_TOUR_APPLY;
}

mt_tour_event mt_tour_key(mt_tour *t, int key, bool editing, double now) {
    if (editing) return MT_TOUR_EXPLORER; /* a line being edited takes every key */
    if (key == 'q') return MT_TOUR_QUIT;
    if (key == ' ') {
        if (t->ended) { /* play it again */
            mt_tour_go(t, 0, now);
            return MT_TOUR_APPLY;
        }
        if (t->paused) t->started += now - t->paused_at; /* the scene's time left is what it was */
        else t->paused_at = now;
        t->paused = !t->paused;
        return MT_TOUR_REDRAW;
    }
    if (key == MT_KEY_RIGHT || key == 'n') {
        if (t->at + 1 < t->n) return step_to(t, t->at + 1, now);
        if (t->ended) return MT_TOUR_STAY;
        t->ended = true;
        return MT_TOUR_REDRAW;
    }
    if (key == MT_KEY_LEFT || key == 'p') return step_to(t, t->at ? t->at - 1 : 0, now); /* at the first: the first again */
    return t->paused ? MT_TOUR_EXPLORER : MT_TOUR_STAY;
}

mt_tour_event mt_tour_tick(mt_tour *t, double now) {
    if (t->paused || t->ended || now - t->started < t->seconds) return MT_TOUR_STAY;
    if (t->at + 1 < t->n) {
        t->at++;
        t->started = now;
        return MT_TOUR_APPLY;
    }
    t->ended = true;
    return MT_TOUR_REDRAW;
}

double mt_tour_time_left(const mt_tour *t, double now) {
    if (t->paused || t->ended) return -1;
    double left = t->seconds - (now - t->started);
    return left > 0 ? left : 0;
}

/* The app's comparison back to the scene that made it, this scene's to the app. */
static void swap_comparison(mt_tour *t, mt_app *app) {
    if (t->cache_scene < t->n) {
        mt_cond_cache_free(t->scenes[t->cache_scene].cache);
        t->scenes[t->cache_scene].cache = app->cond_cache;
    } else mt_cond_cache_free(app->cond_cache);
    app->cond_cache = t->scenes[t->at].cache;
    t->scenes[t->at].cache = NULL;
    t->cache_scene = t->at;
}

bool mt_tour_apply(mt_tour *t, mt_app *app, mt_err *err) {
    const mt_tour_scene *s = &t->scenes[t->at];
    swap_comparison(t, app);
    app->editing = false;
    if (strcmp(app->prompt, t->prompt) != 0 && !mt_app_set_prompt(app, t->prompt, err)) return false;
    if (!mt_iv_copy(&app->iv, &s->iv)) {
        mt_err_set(err, "out of memory");
        return false;
    }
    if (!mt_app_recompute(app, err)) return false;
    mt_conds_free(&app->conds);
    if (s->conds.n > 1) {
        if (!mt_conds_init(&app->conds, &s->conds.base)) {
            mt_err_set(err, "out of memory");
            return false;
        }
        for (size_t i = 1; i < s->conds.n; i++)
            if (!mt_conds_add(&app->conds, s->conds.items[i].name, &s->conds.items[i].iv, err)) return false;
    }
    app->cond_at = app->conds.n > 1 ? 1 : 0;
    uint32_t n = mt_session_length(app->s);
    app->view = s->view;
    app->cur_tok = n && s->tok >= n ? n - 1 : s->tok;
    app->cur_layer = s->layer;
    app->cur_expert = s->expert;
    app->shading = MT_SHADE_EXPERT;
    /* every view's window from its start: it then moves only as far as the cursor needs */
    app->top_tok = app->left_layer = app->token_top_layer = app->sweep_top_layer = app->compare_top_layer = 0;
    app->experts_top = app->ablate_top_layer = app->ablate_left_expert = app->spark_left = app->help_top = app->gen_top = 0;
    app->gen_scrolled = false;
    app->message[0] = 0;
    return true;
}

bool mt_tour_dashboard_fits(const mt_app *app, int w, int body_h) { return mt_dashboard_heatmap_area(app, w, body_h).w > 0; }

void mt_tour_draw(mt_tour *t, mt_app *app, mt_grid *g) {
    mt_grid_clear(g);
    int rows = mt_caption_rows(t, app, g->w, g->h);
    t->caption_rows = rows;
    int body_h = g->h - rows;
    if (body_h > 0 && (t->body.w != g->w || t->body.h != body_h)) {
        mt_grid_free(&t->body);
        if (!mt_grid_init(&t->body, g->w, body_h)) t->body = (mt_grid){ 0 };
    }
    if (body_h > 0 && t->body.cells) {
        app->rows_above = rows;
        mt_app_draw(app, &t->body);
        app->rows_above = 0;
        memcpy(g->cells + (size_t)rows * (size_t)g->w, t->body.cells, sizeof *g->cells * (size_t)g->w * (size_t)body_h);
    }
    mt_view_caption(t, app, g, (mt_rect){ 0, 0, g->w, rows });
}

void mt_tour_click(mt_tour *t, mt_app *app, int w, int h, int x, int y) {
    if (t->paused && y >= t->caption_rows) mt_app_click(app, w, h - t->caption_rows, x, y - t->caption_rows);
}
