/* The ablate view: a layers x experts grid of the interventions in force
 * (M masked, Z zeroed, D dropped, F forced) and each layer's k, with a
 * cursor (layer, expert) to toggle them; the cell's shade is the expert's
 * share of the prompt's tokens at that layer. */
#include <stdio.h>

#include "engine/intervene.h"
#include "tui/palette.h"
#include "tui/scroll.h"
#include "engine/stats.h"
#include "views.h"

#define GRID_X 10 /* where the first expert column starts, after "layer  k " */

/* The grid's geometry: each expert a column of its full id and a gap; as many
 * columns and layer rows as fit, from the app's window; below them the cell
 * in words, where the window is, and the keys. */
typedef struct ablate_layout {
    int cw, rows, cols;
} ablate_layout;

static ablate_layout layout(const mt_app *app, mt_rect area) {
    uint32_t L = app->m->hp.n_layer, E = app->m->hp.n_expert;
    ablate_layout lo = { mt_digits(E ? E - 1 : 0) + 1 < 3 ? 3 : mt_digits(E ? E - 1 : 0) + 1, area.h - 4, 0 };
    lo.cols = (area.w - GRID_X) / lo.cw;
    if (lo.cols > (int)E) lo.cols = (int)E;
    if (lo.cols < 1) lo.cols = 1;
    if (lo.rows > (int)L) lo.rows = (int)L;
    if (lo.rows < 1) lo.rows = 1;
    return lo;
}

bool mt_ablate_hit(const mt_app *app, mt_rect area, int x, int y, uint32_t *layer, uint32_t *expert) {
    uint32_t L = app->m->hp.n_layer, E = app->m->hp.n_expert;
    ablate_layout lo = layout(app, area);
    int row = y - area.y - 1, col = x - (area.x + GRID_X);
    if (row < 0 || row >= lo.rows || app->ablate_top_layer + (uint32_t)row >= L || x < area.x) return false;
    if (col >= 0 && (col / lo.cw >= lo.cols || app->ablate_left_expert + (uint32_t)(col / lo.cw) >= E)) return false;
    *layer = app->ablate_top_layer + (uint32_t)row;
    *expert = col >= 0 ? app->ablate_left_expert + (uint32_t)(col / lo.cw) : app->cur_expert;
    return true;
}

void mt_view_ablate(mt_app *app, mt_grid *g, mt_rect area) {
    const mt_hparams *hp = &app->m->hp;
    uint32_t L = hp->n_layer, E = hp->n_expert, T = mt_session_length(app->s), stale = mt_session_dirty_from(app->s);
    ablate_layout lo = layout(app, area);
    int cw = lo.cw;
    /* the cursor's cell always in view: the window follows it */
    app->ablate_top_layer = mt_scroll_follow(app->ablate_top_layer, app->cur_layer, (uint32_t)lo.rows, L);
    app->ablate_left_expert = mt_scroll_follow(app->ablate_left_expert, app->cur_expert, (uint32_t)lo.cols, E);
    uint32_t l0 = app->ablate_top_layer, e0 = app->ablate_left_expert;
    uint32_t l1 = l0 + (uint32_t)lo.rows < L ? l0 + (uint32_t)lo.rows : L, e1 = e0 + (uint32_t)lo.cols < E ? e0 + (uint32_t)lo.cols : E;
    char buf[128];
    mt_grid_text(g, area, area.x + 1, area.y, "layer  k ", MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, MT_ATTR_BOLD);
    for (uint32_t e = e0; e < e1; e++) {
        snprintf(buf, sizeof buf, "%*u", cw - 1, e);
        mt_grid_text(g, area, area.x + GRID_X + cw * (int)(e - e0), area.y, buf, MT_COLOR_DEFAULT, MT_COLOR_DEFAULT,
                     e == app->cur_expert ? MT_ATTR_BOLD | MT_ATTR_UNDERLINE : MT_ATTR_DIM);
    }
    for (uint32_t l = l0; l < l1; l++) {
        int y = area.y + 1 + (int)(l - l0);
        uint32_t k = app->iv.k[l] ? app->iv.k[l] : hp->k;
        snprintf(buf, sizeof buf, "%5u%s%2u ", l, l >= stale ? "!" : " ", k); /* !: stale, a cancelled change left it */
        mt_grid_text(g, area, area.x + 1, y, buf, l >= stale ? 0xc00000 : MT_COLOR_DEFAULT, MT_COLOR_DEFAULT,
                     app->iv.k[l] || l >= stale ? MT_ATTR_BOLD : 0);
        uint32_t counts[4096] = { 0 }, kept = 0; /* tokens with NaN or infinite router logits are left out (engine/stats.h) */
        for (uint32_t t = 0; t < T; t++) {
            const uint32_t *ex;
            const float *w;
            float margin;
            uint32_t n = mt_session_route(app->s, l, t, &ex, &w, &margin);
            if (!mt_logits_finite(mt_session_router_logits(app->s, l, t), E)) continue;
            kept++;
            for (uint32_t i = 0; i < n; i++)
                if (ex[i] < 4096) counts[ex[i]]++;
        }
        for (uint32_t e = e0; e < e1; e++) {
            uint8_t f = app->iv.flags[(size_t)l * E + e];
            const char *mark = app->iv.force[l] == (int32_t)e ? "F" : f & MT_IV_MASK ? "M" : f & MT_IV_ZERO ? "Z" : f & MT_IV_DROP ? "D" : "";
            uint32_t bg = kept ? mt_ramp((double)counts[e] / kept) : 0x808080; /* no finite token: grey, no share */
            uint8_t attrs = (l == app->cur_layer && e == app->cur_expert) ? MT_ATTR_REVERSE | MT_ATTR_BOLD : (*mark ? MT_ATTR_BOLD : 0);
            uint32_t fg = *mark ? 0xffffff : mt_contrast_on(bg), cell_bg = *mark ? 0xc00000 : bg;
            uint32_t glyph = *mark ? (uint32_t)*mark : app->ascii ? '.' : 0x00b7;
            int x = area.x + GRID_X + cw * (int)(e - e0);
            for (int i = 0; i < cw - 2; i++) mt_grid_put(g, area, x++, y, ' ', fg, cell_bg, attrs);
            mt_grid_put(g, area, x, y, glyph, fg, cell_bg, attrs);
        }
    }
    /* the cell under the cursor in words */
    uint32_t cl = app->cur_layer < L ? app->cur_layer : 0, ce = app->cur_expert < E ? app->cur_expert : 0;
    uint8_t f = app->iv.flags[(size_t)cl * E + ce];
    snprintf(buf, sizeof buf, "layer %u, expert %u: %s%s%s%s%s", cl, ce, app->iv.force[cl] == (int32_t)ce ? "forced " : "",
             f & MT_IV_MASK ? "masked " : "", f & MT_IV_ZERO ? "zeroed " : "", f & MT_IV_DROP ? "dropped " : "",
             app->iv.force[cl] != (int32_t)ce && !f ? "as trained" : "");
    int words_y = area.y + 1 + (int)(l1 - l0);
    if (words_y < area.y + area.h - 2) mt_grid_text(g, area, area.x + 1, words_y, buf, MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, MT_ATTR_BOLD);
    char note[200] = "";
    mt_scroll_append(note, sizeof note, "layers", l0, l1 - l0, L, "j k");
    mt_scroll_append(note, sizeof note, "experts", e0, e1 - e0, E, "h l");
    if (area.h >= 4) mt_scroll_show(g, area, area.y + area.h - 2, note);
    mt_grid_text(g, area, area.x + 1, area.y + area.h - 1,
                 "m z x: mask / zero / drop the cell   M Z D: the expert at every layer   + -: k   c: clear   shade: share of tokens",
                 MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, MT_ATTR_DIM);
}
