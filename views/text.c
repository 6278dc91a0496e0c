/* The text view, the picture papers use (the Mixtral paper's Figure 8): the
 * prompt as running, wrapped text, each token on the colour of its top expert
 * (the highest mixing weight) at the cursor's layer; Space steps through the
 * layers (h and l too), j and k move the cursor token (underlined). Beside the
 * text, the colours' key: each expert that is some token's top expert at this
 * layer, and how many tokens it tops. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/unicode_class.h"
#include "engine/utf8.h"
#include "experiments/routing.h"
#include "tui/label.h"
#include "tui/palette.h"
#include "views.h"

#define KEY_W 18 /* the key's column */

/* the token's top expert at the layer (experiments/routing.h: the highest
 * weight, ties to the earlier entry), -1 when none has weight > 0 */
static int top_expert(const mt_session *s, uint32_t layer, uint32_t tok) {
    const uint32_t *ex;
    const float *w;
    float margin;
    uint32_t n = mt_session_route(s, layer, tok, &ex, &w, &margin);
    return mt_route_top(ex, w, n);
}

/* The glyph a code point of running text shows as (0: none), and whether it ends the line. */
static uint32_t text_glyph(uint32_t cp, bool ascii, bool *newline) {
    *newline = cp == '\n';
    if (cp == '\n') return ascii ? '$' : 0x21b5;
    if (cp == MT_UTF8_INVALID) return ascii ? '?' : 0xfffd;
    if (cp == '\t' || cp == '\r') return ' ';
    if (ascii && cp > 0x7e) return '?';
    cp = mt_cell_glyph(cp);
    return mt_uc_width(cp) > 0 ? cp : 0;
}

/* One token's text as cells: its glyphs, or its label when none shows ink. */
static int token_cells(const mt_app *app, uint32_t id, uint32_t *out, bool *breaks, int cap) {
    size_t len;
    const char *bytes = mt_tok_bytes(app->tok, id, &len);
    int n = 0;
    for (size_t i = 0; i < len && n < cap;) {
        uint32_t cp;
        bool nl;
        i += mt_utf8_next((const uint8_t *)bytes + i, len - i, &cp);
        uint32_t glyph = text_glyph(cp, app->ascii, &nl);
        if (!glyph) continue;
        breaks[n] = nl;
        out[n++] = glyph;
    }
    if (n == 0) { /* nothing visible: spell it as the labels do */
        char label[64];
        mt_token_label(bytes, len, app->ascii, 16, label, sizeof label);
        size_t label_len = strlen(label);
        for (size_t i = 0, l = 0; i < label_len && n < cap; i += l) {
            uint32_t cp;
            l = mt_utf8_next((const uint8_t *)label + i, label_len - i, &cp);
            breaks[n] = false;
            out[n++] = cp;
        }
    }
    return n;
}

/* Lays the tokens out in r from text line `top` on; draws when g is set.
 * Returns the lines used; *cursor_line: the cursor token's first line. */
static int flow(const mt_app *app, mt_grid *g, mt_rect r, int top, int *cursor_line) {
    uint32_t T = mt_session_length(app->s);
    const uint32_t *ids = mt_session_ids(app->s);
    int x = r.x, line = 0;
    uint32_t cells[64];
    bool breaks[64];
    for (uint32_t t = 0; t < T; t++) {
        int n = token_cells(app, ids[t], cells, breaks, 64), width = 0;
        for (int i = 0; i < n; i++) width += mt_uc_width(cells[i]) > 1 ? 2 : 1;
        if (x > r.x && x + width > r.x + r.w && width <= r.w) x = r.x, line++; /* wrap before the token */
        if (t == app->cur_tok) *cursor_line = line;
        int e = top_expert(app->s, app->cur_layer, t);
        uint32_t bg = e < 0 ? MT_COLOR_DEFAULT : mt_expert_color((uint32_t)e), fg = e < 0 ? MT_COLOR_DEFAULT : mt_contrast_on(bg);
        uint8_t attrs = t == app->cur_tok ? MT_ATTR_UNDERLINE | MT_ATTR_BOLD : 0;
        for (int i = 0; i < n; i++) {
            int cw = mt_uc_width(cells[i]) > 1 ? 2 : 1;
            if (x + cw > r.x + r.w) x = r.x, line++;
            int y = r.y + line - top;
            if (g && y >= r.y && y < r.y + r.h) mt_grid_put(g, r, x, y, cells[i], fg, bg, attrs);
            x += cw;
            if (breaks[i]) x = r.x, line++;
        }
    }
    return line + 1;
}

void mt_view_text(const mt_app *app, mt_grid *g, mt_rect area) {
    uint32_t T = mt_session_length(app->s), E = app->m->hp.n_expert, L = app->m->hp.n_layer;
    char line[160];
    if (!T) {
        mt_grid_text(g, area, area.x + 1, area.y, "(no tokens: give a prompt)", MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, MT_ATTR_DIM);
        return;
    }
    snprintf(line, sizeof line, "layer %u of %u (Space: next layer), colour: each token's top expert", app->cur_layer, L);
    mt_grid_text(g, area, area.x + 1, area.y, line, MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, MT_ATTR_BOLD);
    bool beside = area.w >= 40 + KEY_W;
    mt_rect text = { area.x + 1, area.y + 2, area.w - 2 - (beside ? KEY_W + 1 : 0), area.h - 2 - (beside ? 0 : 3) };
    if (text.w < 4 || text.h < 1) return;
    int cursor_line = 0, lines = flow(app, NULL, text, 0, &cursor_line), top = 0;
    if (lines > text.h) { /* the cursor token's line in view */
        top = cursor_line - text.h / 2;
        top = top < 0 ? 0 : top > lines - text.h ? lines - text.h : top;
    }
    flow(app, g, text, top, &cursor_line);
    /* the key: the experts that top some token here, and how many tokens each */
    uint32_t *count = calloc(E, sizeof *count);
    if (!count) return;
    uint32_t used = 0;
    for (uint32_t t = 0; t < T; t++) {
        int e = top_expert(app->s, app->cur_layer, t);
        if (e >= 0 && (uint32_t)e < E) used += count[e]++ == 0;
    }
    if (beside) {
        mt_rect key = { area.x + area.w - KEY_W, area.y + 2, KEY_W, area.h - 2 };
        mt_grid_text(g, key, key.x, key.y, "expert  tokens", MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, MT_ATTR_BOLD);
        int y = key.y + 1;
        uint32_t shown = 0;
        for (uint32_t e = 0; e < E; e++) {
            if (!count[e]) continue;
            if (y == key.y + key.h - 1 && shown + 1 < used) {
                snprintf(line, sizeof line, "+%u more", used - shown);
                mt_grid_text(g, key, key.x, y, line, MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, MT_ATTR_DIM);
                break;
            }
            if (y >= key.y + key.h) break;
            uint32_t bg = mt_expert_color(e);
            snprintf(line, sizeof line, " %4u ", e);
            mt_grid_text(g, key, key.x, y, line, mt_contrast_on(bg), bg, 0);
            snprintf(line, sizeof line, " %5u", count[e]);
            mt_grid_text(g, key, key.x + 7, y++, line, MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, 0);
            shown++;
        }
    } else {
        mt_legend_experts(g, (mt_rect){ area.x + 1, area.y + area.h - 2, area.w - 2, 2 }, E, "colour = expert id:");
    }
    free(count);
}
