#include "grid.h"

#include <stdlib.h>
#include <string.h>

#include "engine/unicode_class.h"
#include "engine/utf8.h"

bool mt_grid_init(mt_grid *g, int w, int h) {
    g->w = w > 0 ? w : 0;
    g->h = h > 0 ? h : 0;
    g->cells = calloc((size_t)g->w * g->h + 1, sizeof *g->cells);
    if (g->cells) mt_grid_clear(g);
    return g->cells != NULL;
}

void mt_grid_free(mt_grid *g) {
    free(g->cells);
    g->cells = NULL;
    g->w = g->h = 0;
}

void mt_grid_clear(mt_grid *g) {
    for (int i = 0; i < g->w * g->h; i++) g->cells[i] = (mt_cell){ ' ', MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, 0 };
}

static bool inside(const mt_grid *g, mt_rect clip, int x, int y) {
    return x >= 0 && y >= 0 && x < g->w && y < g->h && x >= clip.x && y >= clip.y && x < clip.x + clip.w && y < clip.y + clip.h;
}

uint32_t mt_cell_glyph(uint32_t cp) {
    if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0) || cp == 0x2028 || cp == 0x2029) return ' ';
    bool nonchar = (cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) == 0xfffe, surrogate = cp >= 0xd800 && cp <= 0xdfff;
    return nonchar || surrogate || cp > 0x10ffff ? MT_UTF8_REPLACEMENT : cp;
}

int mt_grid_put(mt_grid *g, mt_rect clip, int x, int y, uint32_t cp, uint32_t fg, uint32_t bg, uint8_t attrs) {
    if (!inside(g, clip, x, y)) return 0;
    cp = mt_cell_glyph(cp);
    int width = mt_uc_width(cp);
    if (width == 0) return 0; /* a mark joins the previous glyph, which a cell cannot hold: dropped */
    if (width == 2 && !inside(g, clip, x + 1, y)) {
        cp = ' ';
        width = 1;
    }
    mt_cell *c = &g->cells[y * g->w + x];
    /* overwriting half of a wide glyph blanks its other half */
    if (c->cp == 0 && x > 0) g->cells[y * g->w + x - 1].cp = ' ';
    if (width == 1 && x + 1 < g->w && c->cp != 0 && mt_uc_width(c->cp) == 2) g->cells[y * g->w + x + 1].cp = ' ';
    *c = (mt_cell){ cp, fg, bg, attrs };
    if (width == 2) {
        mt_cell *right = &g->cells[y * g->w + x + 1];
        if (x + 2 < g->w && right->cp != 0 && mt_uc_width(right->cp) == 2) g->cells[y * g->w + x + 2].cp = ' ';
        *right = (mt_cell){ 0, fg, bg, attrs };
    }
    return width;
}

int mt_grid_text(mt_grid *g, mt_rect clip, int x, int y, const char *utf8, uint32_t fg, uint32_t bg, uint8_t attrs) {
    const uint8_t *s = (const uint8_t *)utf8;
    size_t n = strlen(utf8);
    int col = x;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        i += mt_utf8_next(s + i, n - i, &cp);
        if (cp == MT_UTF8_INVALID) cp = MT_UTF8_REPLACEMENT;
        if (col >= clip.x + clip.w) break;
        col += mt_grid_put(g, clip, col, y, cp, fg, bg, attrs);
    }
    return col - x;
}

int mt_grid_words(mt_grid *g, mt_rect clip, int x, int y, const char *utf8, uint32_t fg, uint32_t bg, uint8_t attrs) {
    int room = clip.x + clip.w - x;
    if (room <= 0) return 0;
    if (mt_text_width(utf8) <= room) return mt_grid_text(g, clip, x, y, utf8, fg, bg, attrs);
    /* the last space after which the words before it and ".." fit */
    const uint8_t *s = (const uint8_t *)utf8;
    size_t n = strlen(utf8), cut = 0;
    int w = 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t at = i;
        i += mt_utf8_next(s + i, n - i, &cp);
        if (cp == ' ' && w + 2 <= room) cut = at;
        w += cp == MT_UTF8_INVALID ? 1 : mt_uc_width(cp);
        if (w + 2 > room) break;
    }
    while (cut > 0 && utf8[cut - 1] == ' ') cut--;
    if (cut == 0) return mt_grid_text(g, clip, x, y, utf8, fg, bg, attrs); /* one word wider than the room: cut as before */
    char buf[1024];
    if (cut > sizeof buf - 3) cut = sizeof buf - 3;
    memcpy(buf, utf8, cut);
    memcpy(buf + cut, "..", 3);
    return mt_grid_text(g, clip, x, y, buf, fg, bg, attrs);
}

void mt_grid_fill(mt_grid *g, mt_rect r, uint32_t cp, uint32_t fg, uint32_t bg, uint8_t attrs) {
    for (int y = r.y; y < r.y + r.h; y++)
        for (int x = r.x; x < r.x + r.w; x++) mt_grid_put(g, r, x, y, cp, fg, bg, attrs);
}

void mt_grid_to_text(const mt_grid *g, mt_bytes *out) {
    for (int y = 0; y < g->h; y++) {
        for (int x = 0; x < g->w; x++) {
            uint32_t cp = g->cells[y * g->w + x].cp;
            if (cp == 0) continue; /* the right half of a wide glyph: already counted */
            char buf[4];
            cp = mt_cell_glyph(cp); /* (cells hold no others: this is for any sink written by hand) */
            mt_bytes_put(out, buf, mt_utf8_encode(cp, buf));
        }
        mt_bytes_put(out, "\n", 1);
    }
}

int mt_text_width(const char *utf8) {
    const uint8_t *s = (const uint8_t *)utf8;
    size_t n = strlen(utf8);
    int w = 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        i += mt_utf8_next(s + i, n - i, &cp);
        w += cp == MT_UTF8_INVALID ? 1 : mt_uc_width(cp);
    }
    return w;
}
