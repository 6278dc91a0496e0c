/* The keys that scroll and pan where no cursor does it: the help view's
 * lines, the generate view's token rows, the experts view's expert cursor,
 * the token view's sparkline of experts. Bound in app.c's action table. */
#include <stdint.h>

#include "actions.h"
#include "app.h"


/* Moves the help view's first line or the generate view's first token row
 * (the views clamp it to what there is). */
static bool scroll(mt_app *app, int64_t delta) {
    uint32_t *top = app->view == MT_VIEW_GENERATE ? &app->gen_top : &app->help_top;
    if (app->view == MT_VIEW_GENERATE) app->gen_scrolled = true;
    int64_t t = (int64_t)*top + delta;
    *top = (uint32_t)(t < 0 ? 0 : t > UINT32_MAX / 2 ? UINT32_MAX / 2 : t);
    return true;
}

/* a page: the rows the last view drawn showed, less one kept for context (10 before any draw) */
static int page(const mt_app *app) { return app->page_rows > 1 ? app->page_rows - 1 : app->page_rows == 1 ? 1 : 10; }

bool mt_action_scroll_down(mt_app *app, mt_err *err) { (void)err; return scroll(app, 1); }
bool mt_action_scroll_up(mt_app *app, mt_err *err) { (void)err; return scroll(app, -1); }
bool mt_action_scroll_page_down(mt_app *app, mt_err *err) { (void)err; return scroll(app, page(app)); }
bool mt_action_scroll_page_up(mt_app *app, mt_err *err) { (void)err; return scroll(app, -page(app)); }
bool mt_action_scroll_top(mt_app *app, mt_err *err) {
    (void)err;
    if (app->view == MT_VIEW_GENERATE) app->gen_scrolled = true, app->gen_top = 0;
    else app->help_top = 0;
    return true;
}
/* The end: the generate view follows the newest token again. */
bool mt_action_scroll_bottom(mt_app *app, mt_err *err) {
    (void)err;
    if (app->view == MT_VIEW_GENERATE) app->gen_scrolled = false;
    else app->help_top = UINT32_MAX / 2;
    return true;
}

static bool move_expert(mt_app *app, int64_t delta) {
    int64_t e = (int64_t)app->cur_expert + delta, n = app->m->hp.n_expert;
    app->cur_expert = (uint32_t)(e < 0 ? 0 : e >= n ? (n ? n - 1 : 0) : e);
    return true;
}

bool mt_action_expert_page_down(mt_app *app, mt_err *err) { (void)err; return move_expert(app, 16); }
bool mt_action_expert_page_up(mt_app *app, mt_err *err) { (void)err; return move_expert(app, -16); }
bool mt_action_expert_first(mt_app *app, mt_err *err) { (void)err; return move_expert(app, -(int64_t)app->m->hp.n_expert); }
bool mt_action_expert_last(mt_app *app, mt_err *err) { (void)err; return move_expert(app, app->m->hp.n_expert); }
