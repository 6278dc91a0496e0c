#include "edit_line.h"

#include <string.h>

#include "engine/unicode_class.h"
#include "engine/utf8.h"

int mt_edit_line_first_column(int cursor, int width) {
    if (width < 4 || cursor <= width - 2) return cursor < width || width < 1 ? 0 : cursor - width + 1;
    int step = (width - 2) / 2;
    return (cursor - (width - 2) + step - 1) / step * step;
}

/* The glyph and cells of a code point on the line. */
static uint32_t shown(uint32_t cp, bool ascii, int *cells) {
    *cells = 1;
    if (cp == '\n') return ascii ? '|' : 0x21b5;
    if (cp == '\t') return ascii ? '>' : 0x2192;
    if (cp == MT_UTF8_INVALID) cp = 0xfffd;
    if (cp < 0x20 || cp == 0x7f) return ' ';
    if (ascii && cp > 0x7e) return '?';
    *cells = mt_uc_width(cp);
    if (*cells < 0) *cells = 0;
    return cp;
}

void mt_edit_line_draw(mt_grid *g, mt_rect r, const char *label, const char *text, size_t at, bool ascii) {
    mt_grid_fill(g, r, ' ', MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, 0);
    int x0 = r.x + mt_grid_text(g, r, r.x, r.y, label, MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, MT_ATTR_BOLD), width = r.x + r.w - x0;
    if (width < 1) return;
    const uint8_t *s = (const uint8_t *)text;
    size_t n = strlen(text);
    if (at > n) at = n;
    int cursor = 0; /* the cursor's column */
    for (size_t i = 0; i < at;) {
        uint32_t cp;
        int cells;
        i += mt_utf8_next(s + i, at - i, &cp);
        shown(cp, ascii, &cells);
        cursor += cells;
    }
    int first = mt_edit_line_first_column(cursor, width), col = 0, cursor_x = x0 + cursor - first;
    bool right_hidden = false;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        int cells;
        i += mt_utf8_next(s + i, n - i, &cp);
        uint32_t glyph = shown(cp, ascii, &cells);
        if (col >= first && col + cells <= first + width && cells > 0) mt_grid_put(g, r, x0 + col - first, r.y, glyph, MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, 0);
        else if (col + cells > first + width) right_hidden = true;
        col += cells;
    }
    if (first > 0 && width >= 4) mt_grid_put(g, r, x0, r.y, '<', MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, MT_ATTR_DIM);
    if (right_hidden && width >= 4) mt_grid_put(g, r, x0 + width - 1, r.y, '>', MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, MT_ATTR_DIM);
    if (cursor_x >= x0 && cursor_x < x0 + width) {
        mt_cell *c = &g->cells[r.y * g->w + cursor_x];
        mt_grid_put(g, r, cursor_x, r.y, c->cp > ' ' ? c->cp : ' ', MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, MT_ATTR_REVERSE);
    }
}
