/* The token view: the selected token through every layer. Per layer: the
 * selected experts with bars of their mixing weights, the full router
 * distribution softmax(z) over all experts as a sparkline (eighth blocks),
 * and the margin (how near the selection is to changing). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tui/label.h"
#include "tui/palette.h"
#include "tui/scroll.h"
#include "views.h"

static const uint32_t eighths[9] = { ' ', 0x2581, 0x2582, 0x2583, 0x2584, 0x2585, 0x2586, 0x2587, 0x2588 };
static const char ascii_levels[] = " .:-=+*#%@";

void mt_view_token(mt_app *app, mt_grid *g, mt_rect area) {
    uint32_t L = app->m->hp.n_layer, E = app->m->hp.n_expert;
    if (mt_session_length(app->s) == 0) {
        mt_grid_text(g, area, area.x + 2, area.y + 1, "(no tokens: give a prompt)", MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, MT_ATTR_DIM);
        return;
    }
    size_t len;
    const char *bytes = mt_tok_bytes(app->tok, mt_session_ids(app->s)[app->cur_tok], &len);
    char label[96], line[256];
    mt_token_label(bytes, len, app->ascii, 24, label, sizeof label);
    snprintf(line, sizeof line, "token %u: %s  (id %u)", app->cur_tok, label, mt_session_ids(app->s)[app->cur_tok]);
    mt_grid_text(g, area, area.x + 1, area.y, line, MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, MT_ATTR_BOLD);
    uint32_t stale = mt_session_dirty_from(app->s);
    int id_w = mt_digits(E ? E - 1 : 0) < 2 ? 2 : mt_digits(E ? E - 1 : 0), slot = id_w + 5; /* an id, a bar of 4 cells, a gap */
    uint32_t kmax = 0;                                     /* the most experts any layer selects (k can differ per layer) */
    for (uint32_t l = 0; l < L; l++) {
        const uint32_t *ex;
        const float *w;
        float margin;
        uint32_t n = mt_session_route(app->s, l, app->cur_tok, &ex, &w, &margin);
        if (n > kmax) kmax = n;
    }
    if (kmax < 4) kmax = 4; /* the sparkline starts at the same column for every k up to 4 */
    int x0 = area.x + 1 + 4, room = area.w - 5 - 14 - 8; /* after "L12 " (stale: "L12!"), before the margin; 8 sparkline cells at least */
    int fit = room / slot < 1 ? 1 : room / slot;
    int shown_k = (int)kmax <= fit ? (int)kmax : fit - 1 > 0 ? fit - 1 : 1; /* the rest: "+N" in the last slot */
    int spark_x = x0 + slot * ((int)kmax <= fit ? (int)kmax : shown_k + 1) + 1;
    int spark_w = area.x + area.w - 14 - spark_x;
    if (spark_w > (int)E) spark_w = (int)E;
    if (spark_w < 1) spark_w = 1;
    /* rows: the layers from app->token_top_layer, following the cursor's layer; the last row: where the windows are */
    int rows = area.h - 3 > 1 ? area.h - 3 : 1;
    app->token_top_layer = mt_scroll_follow(app->token_top_layer, app->cur_layer, (uint32_t)rows, L);
    app->spark_left = mt_scroll_follow(app->spark_left, app->cur_expert < E ? app->cur_expert : 0, (uint32_t)spark_w, E);
    uint32_t e0 = app->spark_left;
    for (uint32_t l = app->token_top_layer; l < L && (int)(l - app->token_top_layer) < rows; l++) {
        int y = area.y + 2 + (int)(l - app->token_top_layer), x = area.x + 1;
        const uint32_t *ex;
        const float *w;
        float margin;
        uint32_t n = mt_session_route(app->s, l, app->cur_tok, &ex, &w, &margin);
        char name[16];
        snprintf(name, sizeof name, "L%u%s", l, l >= stale ? "!" : "");
        snprintf(line, sizeof line, "%-4s", name);
        mt_grid_text(g, area, x, y, line, l >= stale ? 0xc00000 : MT_COLOR_DEFAULT, MT_COLOR_DEFAULT,
                     l == app->cur_layer ? MT_ATTR_BOLD | MT_ATTR_UNDERLINE : l >= stale ? MT_ATTR_BOLD : 0);
        x = x0;
        /* the selected experts, each its full id and a bar of eighths up to 4 cells */
        for (uint32_t i = 0; i < n && (int)i < shown_k; i++) {
            snprintf(line, sizeof line, "%*u", id_w, ex[i]);
            x += mt_grid_text(g, area, x, y, line, mt_contrast_on(mt_expert_color(ex[i])), mt_expert_color(ex[i]), 0);
            int eighth_count = (int)lroundf(w[i] * 32);
            for (int c = 0; c < 4; c++, x++) {
                int e8 = eighth_count - 8 * c;
                e8 = e8 < 0 ? 0 : e8 > 8 ? 8 : e8;
                uint32_t glyph = app->ascii ? (uint32_t)(e8 >= 4 ? '#' : ' ') : eighths[e8];
                mt_grid_put(g, area, x, y, glyph, mt_expert_color(ex[i]), MT_COLOR_DEFAULT, 0);
            }
            x++;
        }
        if ((int)n > shown_k) { /* experts past the room: counted, never cut to a wrong id */
            snprintf(line, sizeof line, "+%u", n - (uint32_t)shown_k);
            mt_grid_text(g, area, x, y, line, MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, MT_ATTR_DIM);
        }
        x = spark_x;
        /* softmax over all experts, as a sparkline scaled to its maximum (the window of it that fits) */
        const float *z = mt_session_router_logits(app->s, l, app->cur_tok);
        double top = -INFINITY, sum = 0;
        for (uint32_t e = 0; e < E; e++) top = fmax(top, z[e]);
        for (uint32_t e = 0; e < E; e++) sum += exp(z[e] - top);
        for (int c = 0; c < spark_w && e0 + (uint32_t)c < E; c++) {
            uint32_t e = e0 + (uint32_t)c;
            double p = exp(z[e] - top) / sum, rel = p * sum; /* p / max p */
            int level = (int)lround(rel * 8);
            uint32_t glyph = app->ascii ? (uint32_t)ascii_levels[level > 9 ? 9 : level] : eighths[level > 8 ? 8 : level];
            mt_grid_put(g, area, x + c, y, glyph, mt_ramp(rel), MT_COLOR_DEFAULT, 0);
        }
        x += spark_w + 1;
        if (margin < 1e8f) snprintf(line, sizeof line, "margin %.3f", (double)margin);
        else snprintf(line, sizeof line, "margin -");
        mt_grid_text(g, area, x, y, line, MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, margin < 0.05f ? MT_ATTR_BOLD : MT_ATTR_DIM);
    }
    /* where the windows are: layers (h l) and the sparkline's experts (< >) */
    char note[200] = "";
    mt_scroll_append(note, sizeof note, "layers", app->token_top_layer, (uint32_t)rows, L, "h l");
    mt_scroll_append(note, sizeof note, "experts", e0, (uint32_t)spark_w, E, "< >");
    if (area.h >= 4) mt_scroll_show(g, area, area.y + area.h - 1, note);
}
