/* The token view: the selected token through every layer. Per layer: the
 * selected experts with bars of their mixing weights, the full router
 * distribution softmax(z) over all experts as a sparkline (eighth blocks),
 * and the margin (how near the selection is to changing). */
#include <math.h>
#include <stdio.h>

#include "tui/label.h"
#include "tui/palette.h"
#include "views.h"

static const uint32_t eighths[9] = { ' ', 0x2581, 0x2582, 0x2583, 0x2584, 0x2585, 0x2586, 0x2587, 0x2588 };
static const char ascii_levels[] = " .:-=+*#%@";

void mt_view_token(const mt_app *app, mt_grid *g, mt_rect area) {
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
    int spark_w = (int)E < area.w - 48 ? (int)E : area.w - 48;
    for (uint32_t l = 0; l < L && (int)l + 2 < area.h; l++) {
        int y = area.y + 2 + (int)l, x = area.x + 1;
        const uint32_t *ex;
        const float *w;
        float margin;
        uint32_t n = mt_session_route(app->s, l, app->cur_tok, &ex, &w, &margin);
        snprintf(line, sizeof line, "L%-3u", l);
        x += mt_grid_text(g, area, x, y, line, MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, l == app->cur_layer ? MT_ATTR_BOLD | MT_ATTR_UNDERLINE : 0);
        /* the selected experts, each a 2-digit id and a bar of eighths up to 4 cells */
        for (uint32_t i = 0; i < n && i < 4; i++) {
            snprintf(line, sizeof line, "%2u", ex[i]);
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
        x = area.x + 1 + 4 + 4 * 7 + 1;
        /* softmax over all experts, as a sparkline scaled to its maximum */
        const float *z = mt_session_router_logits(app->s, l, app->cur_tok);
        double top = -INFINITY, sum = 0;
        for (uint32_t e = 0; e < E; e++) top = fmax(top, z[e]);
        for (uint32_t e = 0; e < E; e++) sum += exp(z[e] - top);
        for (int e = 0; e < spark_w; e++) {
            double p = exp(z[e] - top) / sum, rel = p * sum; /* p / max p */
            int level = (int)lround(rel * 8);
            uint32_t glyph = app->ascii ? (uint32_t)ascii_levels[level > 9 ? 9 : level] : eighths[level > 8 ? 8 : level];
            mt_grid_put(g, area, x + e, y, glyph, mt_ramp(rel), MT_COLOR_DEFAULT, 0);
        }
        x += spark_w + 1;
        if (margin < 1e8f) snprintf(line, sizeof line, "margin %.3f", (double)margin);
        else snprintf(line, sizeof line, "margin -");
        mt_grid_text(g, area, x, y, line, MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, margin < 0.05f ? MT_ATTR_BOLD : MT_ATTR_DIM);
    }
}
