/* The generate view: the completion as it grows (greedy, with the
 * interventions in force), then one row per generated token with its top
 * expert at every layer, as the heatmap colours them. */
#include <stdio.h>
#include <string.h>

#include "tui/label.h"
#include "tui/palette.h"
#include "views.h"

void mt_view_generate(const mt_app *app, mt_grid *g, mt_rect area) {
    if (!app->gen) {
        mt_grid_text(g, area, area.x + 1, area.y, "press n to generate a completion of the prompt", MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, MT_ATTR_DIM);
        return;
    }
    uint32_t n = mt_session_length(app->gen), L = app->m->hp.n_layer;
    const uint32_t *ids = mt_session_ids(app->gen);
    /* the text, wrapped over the first lines */
    int x = area.x + 1, y = area.y, text_rows = area.h / 3 > 2 ? area.h / 3 : 2;
    for (uint32_t t = app->gen_start; t < n && y < area.y + text_rows; t++) {
        size_t len;
        const char *bytes = mt_tok_bytes(app->tok, ids[t], &len);
        char label[96];
        mt_token_label(bytes, len, app->ascii, 20, label, sizeof label);
        int w = mt_text_width(label);
        if (x + w >= area.x + area.w) {
            x = area.x + 1;
            y++;
            if (y >= area.y + text_rows) break;
        }
        x += mt_grid_text(g, area, x, y, label, MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, 0);
        if (len && bytes[len - 1] == '\n') x = area.x + 1, y++;
    }
    if (app->gen_pending > 0) mt_grid_text(g, area, x, y, app->ascii ? "_" : "\xe2\x96\x8f", MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, MT_ATTR_BOLD);
    y = area.y + text_rows + 1;
    char line[64];
    mt_grid_text(g, area, area.x + 1, y++, "token         top expert per layer", MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, MT_ATTR_BOLD);
    uint32_t rows = (uint32_t)(area.y + area.h - y), shown = n - app->gen_start;
    uint32_t first = shown > rows ? n - rows : app->gen_start; /* the newest tokens stay in view */
    for (uint32_t t = first; t < n && y < area.y + area.h; t++, y++) {
        size_t len;
        const char *bytes = mt_tok_bytes(app->tok, ids[t], &len);
        char label[64];
        mt_token_label(bytes, len, app->ascii, 12, label, sizeof label);
        mt_grid_text(g, area, area.x + 1, y, label, MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, 0);
        for (uint32_t l = 0; l < L; l++) {
            const uint32_t *ex;
            const float *w;
            float margin;
            uint32_t k = mt_session_route(app->gen, l, t, &ex, &w, &margin);
            int best = -1;
            for (uint32_t i = 0; i < k; i++)
                if (best < 0 || w[i] > w[best]) best = (int)i;
            if (best < 0) continue;
            snprintf(line, sizeof line, "%2u", ex[best] % 100);
            uint32_t bg = mt_expert_color(ex[best]);
            mt_grid_text(g, area, area.x + 15 + 3 * (int)l, y, line, mt_contrast_on(bg), bg, 0);
        }
    }
}
