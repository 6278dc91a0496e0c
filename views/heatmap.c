/* The heatmap: one row per token, one column per layer (gpt-oss-20b's 24
 * layers take 72 cells, so they fit in 120 columns beside the labels); each
 * cell shows the top expert's id on its categorical colour. The cursor cell
 * is reversed; a detail panel on the right (when there is room) lists the
 * cell's experts, weights and margin. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "engine/intervene.h"
#include "engine/stats.h"
#include "tui/label.h"
#include "tui/palette.h"
#include "tui/scroll.h"
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

/* The heatmap's geometry at this size: each layer a cell of the widest
 * expert id (never cut: 20 and 30 stay 20 and 30) and one column for the
 * changed mark; as many layers as fit, from app->left_layer; the rows under
 * the header, less the last (the position indicator's). */
typedef struct heat_layout {
    int cell_w, rows, cols, grid_x;
} heat_layout;

static heat_layout layout(const mt_app *app, mt_rect area) {
    uint32_t L = app->m->hp.n_layer, E = app->m->hp.n_expert;
    int id_w = mt_digits(E ? E - 1 : 0), layer_w = mt_digits(L ? L - 1 : 0);
    heat_layout lo = { (id_w > layer_w ? id_w : layer_w) + 1 < 3 ? 3 : (id_w > layer_w ? id_w : layer_w) + 1, area.h - 2, 0, area.x + POS_W + LABEL_W + 1 };
    lo.cols = (area.x + area.w - lo.grid_x) / lo.cell_w;
    if (lo.cols > (int)L) lo.cols = (int)L;
    if (lo.cols < 1) lo.cols = 1;
    if (lo.rows < 1) lo.rows = 1;
    return lo;
}

bool mt_heatmap_hit(const mt_app *app, mt_rect area, int x, int y, uint32_t *tok, uint32_t *layer) {
    uint32_t L = app->m->hp.n_layer, T = mt_session_length(app->s);
    heat_layout lo = layout(app, area);
    int row = y - area.y - 1, col = x - lo.grid_x;
    if (row < 0 || row >= lo.rows || x < area.x || app->top_tok + (uint32_t)row >= T) return false;
    if (col >= 0 && (col / lo.cell_w >= lo.cols || app->left_layer + (uint32_t)(col / lo.cell_w) >= L)) return false;
    *tok = app->top_tok + (uint32_t)row;
    *layer = col >= 0 ? app->left_layer + (uint32_t)(col / lo.cell_w) : app->cur_layer;
    return true;
}

void mt_view_heatmap(mt_app *app, mt_grid *g, mt_rect area) {
    uint32_t L = app->m->hp.n_layer, T = mt_session_length(app->s);
    uint32_t stale = mt_session_dirty_from(app->s);
    const mt_session *base = mt_iv_any(&app->iv) ? mt_app_baseline(app) : NULL;
    heat_layout lo = layout(app, area);
    int cell_w = lo.cell_w, rows = lo.rows, id_w = cell_w - 1;
    /* keep the cursor on screen: its token row and its layer column */
    app->top_tok = mt_scroll_follow(app->top_tok, app->cur_tok, (uint32_t)rows, T);
    app->left_layer = mt_scroll_follow(app->left_layer, app->cur_layer, (uint32_t)lo.cols, L);
    uint32_t l0 = app->left_layer, l1 = l0 + (uint32_t)lo.cols < L ? l0 + (uint32_t)lo.cols : L;
    int grid_w = lo.grid_x - area.x + cell_w * (int)(l1 - l0);
    char buf[64];
    static const char *const shading_names[] = { "pos token", "weight", "entropy", "change" };
    mt_grid_text(g, area, area.x, area.y, app->shading ? "  shade: " : "  pos token", MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, MT_ATTR_BOLD);
    if (app->shading) mt_grid_text(g, area, area.x + 9, area.y, shading_names[app->shading], MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, MT_ATTR_BOLD);
    for (uint32_t l = l0; l < l1; l++) { /* a stale layer (a cancelled change): its number in red with a ! */
        snprintf(buf, sizeof buf, "%*u%s", id_w, l, l >= stale ? "!" : "");
        mt_grid_text(g, area, lo.grid_x + cell_w * (int)(l - l0), area.y, buf, l >= stale ? 0xc00000 : MT_COLOR_DEFAULT, MT_COLOR_DEFAULT,
                     l == app->cur_layer ? MT_ATTR_BOLD | MT_ATTR_UNDERLINE : l >= stale ? MT_ATTR_BOLD : MT_ATTR_DIM);
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
        for (uint32_t l = l0; l < l1; l++) {
            float weight;
            int e = top_expert(app->s, l, t, &weight);
            int x = lo.grid_x + cell_w * (int)(l - l0);
            uint32_t bg = e < 0 ? MT_COLOR_DEFAULT : shade(app, base, l, t, e, weight);
            uint8_t attrs = t == app->cur_tok && l == app->cur_layer ? MT_ATTR_REVERSE | MT_ATTR_BOLD : 0;
            /* under interventions, a cell whose top expert changed is marked with * */
            float bw;
            bool changed = base && top_expert(base, l, t, &bw) != e;
            if (e < 0) snprintf(buf, sizeof buf, "%*s", id_w, "-");
            else snprintf(buf, sizeof buf, "%*d", id_w, e);
            mt_grid_text(g, area, x, y, buf, e < 0 ? MT_COLOR_DEFAULT : mt_contrast_on(bg), bg, attrs | (changed ? MT_ATTR_UNDERLINE : 0));
            /* the mark column: * changed against the baseline, ! stale (not recomputed after a cancel) */
            uint32_t mark = l >= stale ? '!' : changed ? '*' : ' ';
            mt_grid_put(g, area, x + id_w, y, mark, mark != ' ' ? 0xc00000 : MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, 0);
        }
    }
    /* where the window is: tokens and layers out of view, and the keys that reach them */
    char note[200] = "";
    mt_scroll_append(note, sizeof note, "tokens", app->top_tok, (uint32_t)rows, T, "j k PgUp PgDn");
    mt_scroll_append(note, sizeof note, "layers", l0, l1 - l0, L, "h l");
    if (mt_text_width(note) > area.w - 2) { /* narrow: the windows without their keys (help lists them) */
        note[0] = 0;
        mt_scroll_append(note, sizeof note, "tokens", app->top_tok, (uint32_t)rows, T, NULL);
        mt_scroll_append(note, sizeof note, "layers", l0, l1 - l0, L, NULL);
    }
    if (area.h >= 3) mt_scroll_show(g, area, area.y + area.h - 1, note);
    if (T == 0) mt_grid_text(g, area, area.x + 2, area.y + 2, "(no tokens: give a prompt)", MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, MT_ATTR_DIM);
    int panel_x = area.x + grid_w + 2;
    if (T && area.x + area.w - panel_x >= 24) detail(app, g, (mt_rect){ panel_x, area.y, area.x + area.w - panel_x, area.h });
}
