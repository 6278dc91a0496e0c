/* The generate view: the completion as it grows (greedy, with the
 * interventions in force), then one row per generated token with its top
 * expert at every layer, as the heatmap colours them. */
#include <stdio.h>
#include <string.h>

#include "tui/label.h"
#include "tui/palette.h"
#include "tui/scroll.h"
#include "views.h"

/* The completion's text, wrapped at token boundaries into r: returns the
 * rows it takes; draws rows skip .. skip + r.h - 1 of it. */
static int text_rows_of(const mt_app *app, mt_grid *g, mt_rect r, int skip, bool draw) {
    uint32_t n = mt_session_length(app->gen);
    const uint32_t *ids = mt_session_ids(app->gen);
    int x = r.x, row = 0;
    for (uint32_t t = app->gen_start; t < n; t++) {
        size_t len;
        const char *bytes = mt_tok_bytes(app->tok, ids[t], &len);
        char label[96];
        mt_token_label(bytes, len, app->ascii, 20, label, sizeof label);
        int w = mt_text_width(label);
        if (x + w >= r.x + r.w && x > r.x) x = r.x, row++; /* a label is never split across rows */
        if (draw && row >= skip && row < skip + r.h) mt_grid_text(g, r, x, r.y + row - skip, label, MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, 0);
        x += w;
        if (len && bytes[len - 1] == '\n') x = r.x, row++;
    }
    if (draw && app->gen_pending > 0 && row >= skip && row < skip + r.h)
        mt_grid_text(g, r, x, r.y + row - skip, app->ascii ? "_" : "\xe2\x96\x8f", MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, MT_ATTR_BOLD);
    return row + 1;
}

void mt_view_generate(mt_app *app, mt_grid *g, mt_rect area) {
    if (!app->gen) {
        mt_grid_text(g, area, area.x + 1, area.y, "press n to generate a completion of the prompt", MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, MT_ATTR_DIM);
        return;
    }
    uint32_t n = mt_session_length(app->gen), L = app->m->hp.n_layer, E = app->m->hp.n_expert;
    uint32_t stale = mt_session_dirty_from(app->gen);
    /* the text over the first rows: its newest rows when it is longer */
    int text_rows = area.h / 3 > 2 ? area.h / 3 : 2;
    mt_rect text = { area.x + 1, area.y, area.w - 2, text_rows };
    int total = text_rows_of(app, g, text, 0, false), skip = total > text_rows ? total - text_rows : 0;
    text_rows_of(app, g, text, skip, true);
    int y = area.y + text_rows + 1;
    /* the table: a row per generated token (j k scroll, G follows the newest), a column per layer (h l pan) */
    int id_w = mt_digits(E ? E - 1 : 0), layer_w = mt_digits(L ? L - 1 : 0), cw = (id_w > layer_w ? id_w : layer_w) + 1 < 3 ? 3 : (id_w > layer_w ? id_w : layer_w) + 1, grid_x = area.x + 15;
    int cols = (area.x + area.w - grid_x) / cw;
    if (cols > (int)L) cols = (int)L;
    if (cols < 1) cols = 1;
    app->left_layer = mt_scroll_follow(app->left_layer, app->cur_layer, (uint32_t)cols, L);
    uint32_t l0 = app->left_layer, l1 = l0 + (uint32_t)cols < L ? l0 + (uint32_t)cols : L;
    char line[64];
    mt_grid_text(g, area, area.x + 1, y++, "token         top expert per layer", MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, MT_ATTR_BOLD);
    for (uint32_t l = l0; l < l1; l++) { /* the layer numbers: the top expert per layer below them */
        snprintf(line, sizeof line, "%*u%s", (cw - 1) & 15, l, l >= stale ? "!" : "");
        mt_grid_text(g, area, grid_x + cw * (int)(l - l0), y, line, l >= stale ? 0xc00000 : MT_COLOR_DEFAULT, MT_COLOR_DEFAULT,
                     l == app->cur_layer ? MT_ATTR_BOLD | MT_ATTR_UNDERLINE : MT_ATTR_DIM);
    }
    y++;
    int rows = area.y + area.h - 1 - y; /* the last row: where the window is */
    if (rows < 1) rows = 1;
    app->page_rows = rows;
    uint32_t shown = n - app->gen_start;
    if (!app->gen_scrolled) app->gen_top = shown > (uint32_t)rows ? shown - (uint32_t)rows : 0; /* the newest tokens stay in view */
    app->gen_top = mt_scroll_clamp(app->gen_top, (uint32_t)rows, shown);
    const uint32_t *ids = mt_session_ids(app->gen);
    for (uint32_t i = app->gen_top; i < shown && y < area.y + area.h - 1; i++, y++) {
        uint32_t t = app->gen_start + i;
        size_t len;
        const char *bytes = mt_tok_bytes(app->tok, ids[t], &len);
        char label[64];
        mt_token_label(bytes, len, app->ascii, 12, label, sizeof label);
        mt_grid_text(g, area, area.x + 1, y, label, MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, 0);
        for (uint32_t l = l0; l < l1; l++) {
            const uint32_t *ex;
            const float *w;
            float margin;
            uint32_t k = mt_session_route(app->gen, l, t, &ex, &w, &margin);
            int best = -1;
            for (uint32_t j = 0; j < k; j++)
                if (best < 0 || w[j] > w[best]) best = (int)j;
            if (best < 0) continue;
            snprintf(line, sizeof line, "%*u", (cw - 1) & 15, ex[best]);
            uint32_t bg = mt_expert_color(ex[best]);
            mt_grid_text(g, area, grid_x + cw * (int)(l - l0), y, line, mt_contrast_on(bg), bg, 0);
        }
    }
    char note[200] = "";
    mt_scroll_append(note, sizeof note, "tokens", app->gen_top, (uint32_t)rows, shown, "j k G");
    mt_scroll_append(note, sizeof note, "layers", l0, l1 - l0, L, "h l");
    mt_scroll_show(g, area, area.y + area.h - 1, note);
}
