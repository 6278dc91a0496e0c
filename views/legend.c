/* Keys to the colours on screen: the expert-id palette (each id on its own
 * colour) and the magnitude ramp (its minimum, maximum and unit), and the key
 * of the heatmap's shading mode. A frame's colours are readable from the
 * frame alone. */
#include <stdio.h>
#include <string.h>

#include "tui/palette.h"
#include "views.h"

static int id_cells(uint32_t e) { return e < 10 ? 3 : e < 100 ? 4 : e < 1000 ? 5 : e < 10000 ? 6 : 12; }

int mt_legend_experts(mt_grid *g, mt_rect r, uint32_t n_expert, const char *what) {
    if (r.w <= 0 || r.h <= 0) return 0;
    int x = r.x, y = r.y, end = r.x + r.w;
    x += mt_grid_text(g, r, x, y, what, MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, MT_ATTR_DIM);
    char id[16], more[32];
    for (uint32_t e = 0; e < n_expert; e++) {
        int w = id_cells(e);
        if (x + w > end) { /* the next row */
            if (y + 1 >= r.y + r.h) { /* room for this was kept when the last id went in */
                snprintf(more, sizeof more, " +%u more", n_expert - e);
                mt_grid_text(g, r, x, y, more, MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, MT_ATTR_DIM);
                break;
            }
            x = r.x;
            y++;
        }
        if (y == r.y + r.h - 1) { /* the last row: the ids left either fit, or the row says how many did not */
            int rest = 0;
            for (uint32_t f = e; f < n_expert && x + rest <= end; f++) rest += id_cells(f);
            snprintf(more, sizeof more, " +%u more", n_expert - e - 1);
            if (x + rest > end && x + w + (int)strlen(more) > end) {
                snprintf(more, sizeof more, " +%u more", n_expert - e);
                mt_grid_text(g, r, x, y, more, MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, MT_ATTR_DIM);
                return y - r.y + 1;
            }
        }
        snprintf(id, sizeof id, "%u", e);
        uint32_t bg = mt_expert_color(e);
        mt_grid_put(g, r, x, y, ' ', MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, 0);
        mt_grid_text(g, r, x + 1, y, id, mt_contrast_on(bg), bg, 0);
        mt_grid_put(g, r, x + w - 1, y, ' ', mt_contrast_on(bg), bg, 0);
        x += w;
    }
    return y - r.y + 1;
}

int mt_legend_expert_rows(uint32_t n_expert, int width, const char *what) {
    int x = (int)strlen(what), rows = 1;
    for (uint32_t e = 0; e < n_expert; e++) {
        int w = id_cells(e);
        if (x + w > width) x = 0, rows++;
        x += w;
    }
    return rows;
}

int mt_legend_ramp(mt_grid *g, mt_rect r, int x, int y, const char *what, const char *lo, const char *hi) {
    int x0 = x;
    x += mt_grid_text(g, r, x, y, what, MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, MT_ATTR_DIM);
    x += mt_grid_text(g, r, x, y, " ", MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, 0);
    x += mt_grid_text(g, r, x, y, lo, MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, 0);
    x++;
    for (int i = 0; i < 12; i++) mt_grid_put(g, r, x + i, y, ' ', MT_COLOR_DEFAULT, mt_ramp(i / 11.0), 0);
    x += 13;
    x += mt_grid_text(g, r, x, y, hi, MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, 0);
    return x - x0;
}

void mt_legend_shading(const mt_app *app, mt_grid *g, mt_rect r) {
    if (r.w <= 0 || r.h <= 0) return;
    int x = r.x;
    switch (app->shading) {
    case MT_SHADE_WEIGHT:
        mt_legend_ramp(g, r, x, r.y, "colour: the top expert's mixing weight", "0", "1");
        break;
    case MT_SHADE_ENTROPY:
        x += mt_legend_ramp(g, r, x, r.y, "colour: router entropy H(softmax z)/ln E", "0 certain", "1 uniform");
        mt_grid_text(g, r, x, r.y, "; grey: NaN/inf logits", MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, MT_ATTR_DIM);
        break;
    case MT_SHADE_CHANGE:
        x += mt_legend_ramp(g, r, x, r.y, "colour: 1 - overlap with the baseline", "0 same", "1 all changed");
        mt_grid_text(g, r, x, r.y, "; * top expert changed", MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, MT_ATTR_DIM);
        break;
    default: mt_legend_experts(g, r, app->m->hp.n_expert, "colour = expert id:");
    }
}

int mt_legend_shading_rows(const mt_app *app, int width) {
    return app->shading == MT_SHADE_EXPERT ? mt_legend_expert_rows(app->m->hp.n_expert, width, "colour = expert id:") : 1;
}
