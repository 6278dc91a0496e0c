/* The keys for the story a recording tells: force an expert at the
 * cursor's layer or at every layer, k at every layer at once, and kept
 * conditions (experiments/condition.h: the type `moetop compare` runs) that
 * the compare view puts side by side; and the frame below the minimum size.
 * Their bindings are appended to mt_actions (app.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "app_keys.h"
#include "experiments/compare.h"

bool mt_app_too_small(const mt_app *app) {
    return app->shown_w > 0 && (app->shown_w < MT_APP_MIN_W || app->shown_h < MT_APP_MIN_H);
}

/* Words of text wrapped into w columns: the rows needed, or h + 1 when a
 * word is wider than w or the rows are more than h. Writes them when g. */
static int wrap_words(mt_grid *g, int w, int h, const char *text) {
    char words[24][48];
    int n = 0;
    for (const char *p = text; *p && n < 24;) {
        while (*p == ' ') p++;
        size_t len = strcspn(p, " ");
        if (!len) break;
        snprintf(words[n++], sizeof words[0], "%.*s", (int)len, p);
        p += len;
    }
    char rows[24][128] = { { 0 } };
    int r = 0;
    for (int i = 0; i < n; i++) {
        int wl = (int)strlen(words[i]), rl = (int)strlen(rows[r]);
        if (wl > w) return h + 1;
        if (rl && rl + 1 + wl > w) {
            if (++r >= 24) return h + 1;
            rl = 0;
        }
        snprintf(rows[r] + rl, sizeof rows[r] - (size_t)rl, "%s%s", rl ? " " : "", words[i]);
    }
    int used = r + 1;
    if (used > h || !g) return used;
    int top = (h - used) / 2;
    mt_rect all = { 0, 0, g->w, g->h };
    for (int i = 0; i < used; i++) {
        int x = (w - (int)strlen(rows[i])) / 2;
        mt_grid_text(g, all, x, top + i, rows[i], MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, i == 0 ? MT_ATTR_BOLD : 0);
    }
    return used;
}

void mt_app_draw_too_small(mt_grid *g) {
    char variants[4][160];
    snprintf(variants[0], sizeof variants[0], "moetop needs at least %dx%d cells; this terminal is %dx%d. Enlarge it, or q quits.", MT_APP_MIN_W,
             MT_APP_MIN_H, g->w, g->h);
    snprintf(variants[1], sizeof variants[1], "moetop needs %dx%d (this is %dx%d); q quits", MT_APP_MIN_W, MT_APP_MIN_H, g->w, g->h);
    snprintf(variants[2], sizeof variants[2], "needs %dx%d, is %dx%d", MT_APP_MIN_W, MT_APP_MIN_H, g->w, g->h);
    snprintf(variants[3], sizeof variants[3], "need %dx%d", MT_APP_MIN_W, MT_APP_MIN_H);
    for (int v = 0; v < 4; v++)
        if (wrap_words(NULL, g->w, g->h, variants[v]) <= g->h) {
            wrap_words(g, g->w, g->h, variants[v]);
            return;
        }
}

/* The expert an action at the cursor acts on: the ablate view's column,
 * elsewhere the cursor cell's top expert (highest weight); -1 for none. */
static int target_expert(const mt_app *app) {
    if (app->view == MT_VIEW_ABLATE) return (int)app->cur_expert;
    return mt_app_cursor_expert(app);
}


bool mt_action_force(mt_app *app, mt_err *err) {
    int e = target_expert(app);
    if (e < 0) {
        snprintf(app->message, sizeof app->message, "no expert under the cursor");
        return true;
    }
    int32_t *f = &app->iv.force[app->cur_layer];
    bool off = *f == e;
    *f = off ? -1 : e;
    snprintf(app->message, sizeof app->message, "%s expert %d at layer %u", off ? "unforced" : "forced", e, app->cur_layer);
    return mt_app_recompute(app, err);
}

bool mt_action_force_everywhere(mt_app *app, mt_err *err) {
    int e = target_expert(app);
    if (e < 0) {
        snprintf(app->message, sizeof app->message, "no expert under the cursor");
        return true;
    }
    uint32_t L = app->iv.n_layer;
    bool all = true;
    for (uint32_t l = 0; l < L; l++) all &= app->iv.force[l] == e;
    for (uint32_t l = 0; l < L; l++) app->iv.force[l] = all ? -1 : e;
    snprintf(app->message, sizeof app->message, "%s expert %d at every layer", all ? "unforced" : "forced", e);
    return mt_app_recompute(app, err);
}

/* k at every layer: the cursor layer's k (as in force) plus delta, the same everywhere. */
static bool k_everywhere(mt_app *app, int delta, mt_err *err) {
    uint32_t model_k = app->m->hp.k, now = app->iv.k[app->cur_layer] ? app->iv.k[app->cur_layer] : model_k;
    int64_t next = (int64_t)now + delta;
    if (next < 1 || next > (int64_t)app->m->hp.n_expert) {
        snprintf(app->message, sizeof app->message, "k stays %u: it is 1..%u", now, app->m->hp.n_expert);
        return true;
    }
    for (uint32_t l = 0; l < app->iv.n_layer; l++) app->iv.k[l] = (uint32_t)next == model_k ? 0 : (uint32_t)next;
    snprintf(app->message, sizeof app->message, "k %lld at every layer%s", (long long)next, (uint32_t)next == model_k ? " (the model's)" : "");
    return mt_app_recompute(app, err);
}

bool mt_action_k_up_everywhere(mt_app *app, mt_err *err) { return k_everywhere(app, 1, err); }
bool mt_action_k_down_everywhere(mt_app *app, mt_err *err) { return k_everywhere(app, -1, err); }
