/* The sweep view: per layer, over the prompt's tokens: entropy over all
 * experts and over the k, top-1 share, Gini and CV of the load, cold experts;
 * bars of eighths with the uniform baseline marked (| at 1 for entropies: a
 * uniform router). Definitions: engine/stats.h and the help view. Tokens
 * whose router logits hold NaN or infinity are left out and counted in red. */
#include <math.h>
#include <stdio.h>

#include "engine/stats.h"
#include "tui/palette.h"
#include "tui/scroll.h"
#include "views.h"

static void bar(mt_grid *g, mt_rect r, int x, int y, int width, double v, bool ascii, uint32_t color) {
    int eighths = (int)(v * width * 8 + 0.5);
    for (int i = 0; i < width; i++) {
        int e = eighths - 8 * i;
        e = e < 0 ? 0 : e > 8 ? 8 : e;
        /* full block, left eighth blocks (U+258F is 1/8 .. U+2589 is 7/8), a dot for empty */
        uint32_t glyph = ascii ? (uint32_t)(e >= 4 ? '#' : '.') : e == 8 ? 0x2588 : e == 0 ? 0x00b7 : 0x2590 - (uint32_t)e;
        mt_grid_put(g, r, x + i, y, glyph, e ? color : 0x808080, MT_COLOR_DEFAULT, 0);
    }
    mt_grid_put(g, r, x + width, y, ascii ? '|' : 0x2502, 0xc00000, MT_COLOR_DEFAULT, 0); /* the uniform mark at 1 */
}

void mt_view_sweep(mt_app *app, mt_grid *g, mt_rect area) {
    const mt_hparams *hp = &app->m->hp;
    if (mt_session_length(app->s) == 0) { /* no statistic over zero tokens */
        mt_grid_text(g, area, area.x + 2, area.y + 1, "(no tokens: give a prompt)", MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, MT_ATTR_DIM);
        return;
    }
    mt_stats st;
    if (!mt_stats_init(&st, hp->n_layer, hp->n_expert)) return;
    for (uint32_t l = 0; l < hp->n_layer; l++)
        for (uint32_t t = 0; t < mt_session_length(app->s); t++) {
            const uint32_t *ex;
            const float *w;
            float margin;
            uint32_t n = mt_session_route(app->s, l, t, &ex, &w, &margin);
            mt_stats_observe(&st.layers[l], mt_session_router_logits(app->s, l, t), ex, w, n);
        }
    int bar_w = (area.w - 40) / 2;
    if (bar_w > 30) bar_w = 30;
    if (bar_w < 4) bar_w = 4;
    char line[200];
    snprintf(line, sizeof line, "layer  H_full %*s H_mix %*s top-1  Gini    CV  cold", bar_w - 5, "", bar_w - 4, "");
    mt_grid_text(g, area, area.x + 1, area.y, line, MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, MT_ATTR_BOLD);
    /* the layers from app->sweep_top_layer, following the cursor's; the last row: where the window is */
    uint32_t L = hp->n_layer, stale = mt_session_dirty_from(app->s);
    int rows = area.h - 2 > 1 ? area.h - 2 : 1;
    app->sweep_top_layer = mt_scroll_follow(app->sweep_top_layer, app->cur_layer, (uint32_t)rows, L);
    for (uint32_t l = app->sweep_top_layer; l < L && (int)(l - app->sweep_top_layer) < rows; l++) {
        mt_layer_metrics m;
        double uniform = st.layers[l].tokens ? (double)st.layers[l].selections / st.layers[l].tokens / hp->n_expert : 0;
        mt_layer_metrics_compute(&st.layers[l], 0.25 * uniform, &m);
        int y = area.y + 1 + (int)(l - app->sweep_top_layer), x = area.x + 1;
        snprintf(line, sizeof line, "%5u%s", l, l >= stale ? "!" : " "); /* !: stale, a cancelled change left it */
        x += mt_grid_text(g, area, x, y, line, l >= stale ? 0xc00000 : MT_COLOR_DEFAULT, MT_COLOR_DEFAULT,
                          l == app->cur_layer ? MT_ATTR_BOLD | MT_ATTR_UNDERLINE : l >= stale ? MT_ATTR_BOLD : 0);
        uint64_t left = st.layers[l].nonfinite;
        if (!st.layers[l].tokens) { /* every token left out (or none yet): no numbers, never a certain router */
            snprintf(line, sizeof line, "no statistics: %llu token%s with NaN or infinite router logits", (unsigned long long)left, left == 1 ? "" : "s");
            mt_grid_text(g, area, x, y, line, 0xc00000, MT_COLOR_DEFAULT, 0);
            continue;
        }
        bar(g, area, x, y, bar_w, m.h_full_mean, app->ascii, mt_ramp(m.h_full_mean));
        x += bar_w + 2;
        bar(g, area, x, y, bar_w, m.h_mix_mean, app->ascii, mt_ramp(m.h_mix_mean));
        x += bar_w + 2;
        if (isnan(m.gini)) snprintf(line, sizeof line, "%.2f      -     -  %4u", m.top1_share, m.cold); /* no selections */
        else snprintf(line, sizeof line, "%.2f   %.2f  %4.2f  %4u", m.top1_share, m.gini, m.cv, m.cold);
        x += mt_grid_text(g, area, x, y, line, MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, 0);
        if (left) { /* tokens left out of this layer's numbers */
            snprintf(line, sizeof line, "  +%llu non-finite", (unsigned long long)left);
            mt_grid_text(g, area, x, y, line, 0xc00000, MT_COLOR_DEFAULT, 0);
        }
    }
    char note[120] = "";
    mt_scroll_append(note, sizeof note, "layers", app->sweep_top_layer, (uint32_t)rows, L, "h l");
    if (area.h >= 3) mt_scroll_show(g, area, area.y + area.h - 1, note);
    mt_stats_free(&st);
}
