/* The ablate view: a layers x experts grid of the interventions in force
 * (M masked, Z zeroed, D dropped, F forced) and each layer's k, with a
 * cursor (layer, expert) to toggle them; the cell's shade is the expert's
 * share of the prompt's tokens at that layer. */
#include <stdio.h>

#include "engine/intervene.h"
#include "tui/palette.h"
#include "engine/stats.h"
#include "views.h"

#define GRID_X 10 /* where the first expert column starts, after "layer  k " */

static int column_width(uint32_t n_expert, mt_rect area) { return 6 + 3 * (int)n_expert <= area.w ? 3 : 2; }

bool mt_ablate_hit(const mt_app *app, mt_rect area, int x, int y, uint32_t *layer, uint32_t *expert) {
    uint32_t L = app->m->hp.n_layer, E = app->m->hp.n_expert;
    int row = y - area.y - 1, col = x - (area.x + GRID_X), cw = column_width(E, area);
    if (row < 0 || row >= (int)L || row + 1 >= area.h - 2 || x < area.x) return false;
    if (col >= 0 && col / cw >= (int)E) return false;
    *layer = (uint32_t)row;
    *expert = col >= 0 ? (uint32_t)(col / cw) : app->cur_expert;
    return true;
}

void mt_view_ablate(const mt_app *app, mt_grid *g, mt_rect area) {
    const mt_hparams *hp = &app->m->hp;
    uint32_t L = hp->n_layer, E = hp->n_expert, T = mt_session_length(app->s);
    int cw = column_width(E, area);
    char buf[128];
    mt_grid_text(g, area, area.x + 1, area.y, "layer  k ", MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, MT_ATTR_BOLD);
    for (uint32_t e = 0; e < E; e++) {
        snprintf(buf, sizeof buf, cw == 3 ? "%2u" : "%u", cw == 3 ? e % 100 : e % 10);
        mt_grid_text(g, area, area.x + GRID_X + cw * (int)e, area.y, buf, MT_COLOR_DEFAULT, MT_COLOR_DEFAULT,
                     e == app->cur_expert ? MT_ATTR_BOLD | MT_ATTR_UNDERLINE : MT_ATTR_DIM);
    }
    for (uint32_t l = 0; l < L && (int)l + 1 < area.h - 2; l++) {
        int y = area.y + 1 + (int)l;
        uint32_t k = app->iv.k[l] ? app->iv.k[l] : hp->k;
        snprintf(buf, sizeof buf, "%5u %2u ", l, k);
        mt_grid_text(g, area, area.x + 1, y, buf, MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, app->iv.k[l] ? MT_ATTR_BOLD : 0);
        uint32_t counts[4096] = { 0 }, kept = 0; /* tokens with NaN or infinite router logits are left out (engine/stats.h) */
        for (uint32_t t = 0; t < T; t++) {
            const uint32_t *ex;
            const float *w;
            float margin;
            uint32_t n = mt_session_route(app->s, l, t, &ex, &w, &margin);
            if (!mt_logits_finite(mt_session_router_logits(app->s, l, t), E)) continue;
            kept++;
            for (uint32_t i = 0; i < n; i++) counts[ex[i]]++;
        }
        for (uint32_t e = 0; e < E; e++) {
            uint8_t f = app->iv.flags[(size_t)l * E + e];
            const char *mark = app->iv.force[l] == (int32_t)e ? "F" : f & MT_IV_MASK ? "M" : f & MT_IV_ZERO ? "Z" : f & MT_IV_DROP ? "D" : "";
            uint32_t bg = kept ? mt_ramp((double)counts[e] / kept) : 0x808080; /* no finite token: grey, no share */
            uint8_t attrs = (l == app->cur_layer && e == app->cur_expert) ? MT_ATTR_REVERSE | MT_ATTR_BOLD : (*mark ? MT_ATTR_BOLD : 0);
            uint32_t fg = *mark ? 0xffffff : mt_contrast_on(bg), cell_bg = *mark ? 0xc00000 : bg;
            uint32_t glyph = *mark ? (uint32_t)*mark : app->ascii ? '.' : 0x00b7;
            int x = area.x + GRID_X + cw * (int)e;
            if (cw == 3) mt_grid_put(g, area, x++, y, ' ', fg, cell_bg, attrs);
            mt_grid_put(g, area, x, y, glyph, fg, cell_bg, attrs);
        }
    }
    /* the cell under the cursor in words */
    uint32_t cl = app->cur_layer < L ? app->cur_layer : 0, ce = app->cur_expert < E ? app->cur_expert : 0;
    uint8_t f = app->iv.flags[(size_t)cl * E + ce];
    snprintf(buf, sizeof buf, "layer %u, expert %u: %s%s%s%s%s", cl, ce, app->iv.force[cl] == (int32_t)ce ? "forced " : "",
             f & MT_IV_MASK ? "masked " : "", f & MT_IV_ZERO ? "zeroed " : "", f & MT_IV_DROP ? "dropped " : "",
             app->iv.force[cl] != (int32_t)ce && !f ? "as trained" : "");
    int rows_shown = (int)L < area.h - 3 ? (int)L : area.h - 3;
    if (rows_shown + 2 < area.h - 1) mt_grid_text(g, area, area.x + 1, area.y + rows_shown + 2, buf, MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, MT_ATTR_BOLD);
    mt_grid_text(g, area, area.x + 1, area.y + area.h - 1,
                 "m z x: mask / zero / drop the cell   M Z D: the expert at every layer   + -: k   c: clear   shade: share of tokens",
                 MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, MT_ATTR_DIM);
}
