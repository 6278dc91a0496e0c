/* The heatmap: one row per token, one column per layer (gpt-oss-20b's 24
 * layers take 72 cells, so they fit in 120 columns beside the labels); each
 * cell shows the top expert's id on its categorical colour. The cursor cell
 * is reversed; a detail panel on the right (when there is room) lists the
 * cell's experts, weights and margin. */
#include <math.h>
#include <stdio.h>

#include "engine/intervene.h"
#include "engine/stats.h"
#include "tui/label.h"
#include "tui/palette.h"
#include "views.h"

#define POS_W 5
#define LABEL_W 12

static int top_expert(const mt_session *s, uint32_t layer, uint32_t tok, float *weight) {
    const uint32_t *ex;
    const float *w;
    float margin;
    uint32_t n = mt_session_route(s, layer, tok, &ex, &w, &margin);
    int best = -1;
    for (uint32_t i = 0; i < n; i++)
        if (best < 0 || w[i] > w[best]) best = (int)i;
    *weight = best < 0 ? 0 : w[best];
    return best < 0 || w[best] <= 0 ? -1 : (int)ex[best];
}

static void detail(mt_app *app, mt_grid *g, mt_rect r) {
    const uint32_t *ex;
    const float *w;
    float margin;
    char line[128];
    uint32_t n = mt_session_route(app->s, app->cur_layer, app->cur_tok, &ex, &w, &margin);
    snprintf(line, sizeof line, "token %u, layer %u", app->cur_tok, app->cur_layer);
    mt_grid_text(g, r, r.x, r.y, line, MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, MT_ATTR_BOLD);
    for (uint32_t i = 0; i < n && (int)i + 2 < r.h - 1; i++) {
        int bar = (int)(w[i] * 12 + 0.5f);
        snprintf(line, sizeof line, "%3u %.3f ", ex[i], (double)w[i]);
        int x = r.x + mt_grid_text(g, r, r.x, r.y + 2 + (int)i, line, mt_expert_color(ex[i]), MT_COLOR_DEFAULT, 0);
        for (int b = 0; b < bar; b++) mt_grid_put(g, r, x + b, r.y + 2 + (int)i, app->ascii ? '#' : 0x2588, mt_expert_color(ex[i]), MT_COLOR_DEFAULT, 0);
    }
    if (margin < 1e8f) snprintf(line, sizeof line, "margin %.3f", (double)margin);
    else snprintf(line, sizeof line, "margin: no tie possible");
    mt_grid_text(g, r, r.x, r.y + 3 + (int)n, line, MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, MT_ATTR_DIM);
}

/* The cell's colour: the expert's id colour, or a magnitude on viridis. */
static uint32_t shade(const mt_app *app, const mt_session *base, uint32_t l, uint32_t t, int e, float weight) {
    switch (app->shading) {
    case MT_SHADE_WEIGHT: return mt_ramp(weight);
    case MT_SHADE_ENTROPY: { /* NaN or infinite router logits: grey, never a colour of the scale */
        double h = mt_entropy_full(mt_session_router_logits(app->s, l, t), app->m->hp.n_expert);
        return isnan(h) ? 0x808080 : mt_ramp(h);
    }
    case MT_SHADE_CHANGE: {
        if (!base) return mt_ramp(0);
        const uint32_t *a, *b;
        const float *wa, *wb;
        float m;
        uint32_t na = mt_session_route(app->s, l, t, &a, &wa, &m), nb = mt_session_route(base, l, t, &b, &wb, &m);
        return mt_ramp(1.0 - mt_overlap(a, na, b, nb));
    }
    default: return mt_expert_color((uint32_t)e);
    }
}

/* Columns per layer: 3 when every layer fits so, else 2. */
static int cell_width(uint32_t n_layer, mt_rect area) { return POS_W + LABEL_W + 1 + 3 * (int)n_layer <= area.w ? 3 : 2; }

bool mt_heatmap_hit(const mt_app *app, mt_rect area, int x, int y, uint32_t *tok, uint32_t *layer) {
    uint32_t L = app->m->hp.n_layer, T = mt_session_length(app->s);
    int row = y - area.y - 1, cell_w = cell_width(L, area), col = x - (area.x + POS_W + LABEL_W + 1);
    if (row < 0 || row >= area.h - 1 || x < area.x || app->top_tok + (uint32_t)row >= T) return false;
    if (col >= 0 && col / cell_w >= (int)L) return false;
    *tok = app->top_tok + (uint32_t)row;
    *layer = col >= 0 ? (uint32_t)(col / cell_w) : app->cur_layer;
    return true;
}

void mt_view_heatmap(mt_app *app, mt_grid *g, mt_rect area) {
    uint32_t L = app->m->hp.n_layer, T = mt_session_length(app->s);
    const mt_session *base = mt_iv_any(&app->iv) ? mt_app_baseline(app) : NULL;
    int cell_w = cell_width(L, area);
    int grid_w = POS_W + LABEL_W + 1 + cell_w * (int)L;
    int rows = area.h - 1; /* under the header */
    /* keep the cursor on screen */
    if (app->cur_tok < app->top_tok) app->top_tok = app->cur_tok;
    if (rows > 0 && app->cur_tok >= app->top_tok + (uint32_t)rows) app->top_tok = app->cur_tok - (uint32_t)rows + 1;
    char buf[64];
    static const char *const shading_names[] = { "pos token", "weight", "entropy", "change" };
    mt_grid_text(g, area, area.x, area.y, app->shading ? "  shade: " : "  pos token", MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, MT_ATTR_BOLD);
    if (app->shading) mt_grid_text(g, area, area.x + 9, area.y, shading_names[app->shading], MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, MT_ATTR_BOLD);
    for (uint32_t l = 0; l < L; l++) {
        snprintf(buf, sizeof buf, cell_w == 3 ? "%2u" : "%u", l % (cell_w == 3 ? 100 : 10));
        mt_grid_text(g, area, area.x + POS_W + LABEL_W + 1 + cell_w * (int)l, area.y, buf, MT_COLOR_DEFAULT, MT_COLOR_DEFAULT,
                     l == app->cur_layer ? MT_ATTR_BOLD | MT_ATTR_UNDERLINE : MT_ATTR_DIM);
    }
    for (int r = 0; r < rows && app->top_tok + (uint32_t)r < T; r++) {
        uint32_t t = app->top_tok + (uint32_t)r;
        int y = area.y + 1 + r;
        snprintf(buf, sizeof buf, "%*u ", POS_W - 1, t);
        mt_grid_text(g, area, area.x, y, buf, MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, t == app->cur_tok ? MT_ATTR_BOLD : MT_ATTR_DIM);
        size_t len;
        const char *bytes = mt_tok_bytes(app->tok, mt_session_ids(app->s)[t], &len);
        char label[96];
        mt_token_label(bytes, len, app->ascii, LABEL_W, label, sizeof label);
        mt_grid_text(g, area, area.x + POS_W, y, label, MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, t == app->cur_tok ? MT_ATTR_BOLD : 0);
        for (uint32_t l = 0; l < L; l++) {
            float weight;
            int e = top_expert(app->s, l, t, &weight);
            int x = area.x + POS_W + LABEL_W + 1 + cell_w * (int)l;
            uint32_t bg = e < 0 ? MT_COLOR_DEFAULT : shade(app, base, l, t, e, weight);
            uint8_t attrs = t == app->cur_tok && l == app->cur_layer ? MT_ATTR_REVERSE | MT_ATTR_BOLD : 0;
            /* under interventions, a cell whose top expert changed is marked with * */
            float bw;
            bool changed = base && top_expert(base, l, t, &bw) != e;
            if (e < 0) snprintf(buf, sizeof buf, cell_w == 3 ? " -" : "-");
            else snprintf(buf, sizeof buf, cell_w == 3 ? "%2d" : "%d", e % (cell_w == 3 ? 100 : 10));
            mt_grid_text(g, area, x, y, buf, e < 0 ? MT_COLOR_DEFAULT : mt_contrast_on(bg), bg, attrs | (changed ? MT_ATTR_UNDERLINE : 0));
            if (cell_w == 3) mt_grid_put(g, area, x + 2, y, changed ? '*' : ' ', changed ? 0xc00000 : MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, 0);
        }
    }
    if (T == 0) mt_grid_text(g, area, area.x + 2, area.y + 2, "(no tokens: give a prompt)", MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, MT_ATTR_DIM);
    int panel_x = area.x + grid_w + 2;
    if (T && area.x + area.w - panel_x >= 24) detail(app, g, (mt_rect){ panel_x, area.y, area.x + area.w - panel_x, area.h });
}
