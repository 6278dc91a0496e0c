#include "term.h"

#include <locale.h>
#include <ncurses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "script.h"

struct mt_term {
    bool colors;
    mt_grid last;  /* what the screen shows, to redraw only changes */
    int n_pairs;
    struct color_pair { short fg, bg; } pairs[4096];
};

/* The xterm-256 colour nearest to an RGB value (the 6x6x6 cube or the grey ramp). */
static short xterm256(uint32_t rgb) {
    if (rgb == MT_COLOR_DEFAULT) return -1;
    int r = (rgb >> 16) & 255, g = (rgb >> 8) & 255, b = rgb & 255;
    static const int level[6] = { 0, 95, 135, 175, 215, 255 };
    int ri = r < 48 ? 0 : r < 115 ? 1 : (r - 35) / 40, gi = g < 48 ? 0 : g < 115 ? 1 : (g - 35) / 40, bi = b < 48 ? 0 : b < 115 ? 1 : (b - 35) / 40;
    int cube = 16 + 36 * ri + 6 * gi + bi;
    int grey = (r + g + b) / 3, gi2 = grey > 238 ? 23 : grey < 8 ? 0 : (grey - 8) / 10;
    int gv = 8 + 10 * gi2;
    long dc = (long)(r - level[ri]) * (r - level[ri]) + (long)(g - level[gi]) * (g - level[gi]) + (long)(b - level[bi]) * (b - level[bi]);
    long dg = (long)(r - gv) * (r - gv) + (long)(g - gv) * (g - gv) + (long)(b - gv) * (b - gv);
    return (short)(dg < dc ? 232 + gi2 : cube);
}

static int pair_for(mt_term *t, uint32_t fg, uint32_t bg) {
    if (!t->colors) return 0;
    short f = xterm256(fg), b = xterm256(bg);
    if (COLORS < 256) { /* a 16-colour terminal: default colours only */
        f = -1;
        b = -1;
    }
    for (int i = 0; i < t->n_pairs; i++)
        if (t->pairs[i].fg == f && t->pairs[i].bg == b) return i + 1;
    if (t->n_pairs + 1 >= COLOR_PAIRS || t->n_pairs >= 4096) return 0;
    t->pairs[t->n_pairs] = (struct color_pair){ f, b };
    init_pair((short)(t->n_pairs + 1), f, b);
    return ++t->n_pairs;
}

mt_term *mt_term_open(bool colors, char *err, size_t cap) {
    setlocale(LC_ALL, "");
    mt_term *t = calloc(1, sizeof *t);
    if (!t) {
        snprintf(err, cap, "out of memory");
        return NULL;
    }
    if (!newterm(NULL, stdout, stdin)) {
        snprintf(err, cap, "cannot start the terminal (TERM=%s)", getenv("TERM") ? getenv("TERM") : "unset");
        free(t);
        return NULL;
    }
    raw();
    noecho();
    keypad(stdscr, TRUE);
    curs_set(0);
    if (colors && has_colors()) {
        start_color();
        use_default_colors();
        t->colors = true;
    }
    return t;
}

void mt_term_close(mt_term *t) {
    if (!t) return;
    endwin();
    mt_grid_free(&t->last);
    free(t);
}

void mt_term_size(mt_term *t, int *w, int *h) {
    (void)t;
    getmaxyx(stdscr, *h, *w);
}

void mt_term_show(mt_term *t, const mt_grid *g) {
    if (t->last.w != g->w || t->last.h != g->h) {
        mt_grid_free(&t->last);
        mt_grid_init(&t->last, g->w, g->h);
        for (int i = 0; i < g->w * g->h; i++) t->last.cells[i].cp = 0xffffffff; /* nothing shown yet */
        clear();
    }
    for (int y = 0; y < g->h; y++)
        for (int x = 0; x < g->w; x++) {
            const mt_cell *c = &g->cells[y * g->w + x];
            mt_cell *seen = &t->last.cells[y * g->w + x];
            if (!memcmp(c, seen, sizeof *c) || c->cp == 0) continue;
            *seen = *c;
            attr_t a = (c->attrs & MT_ATTR_BOLD ? A_BOLD : 0) | (c->attrs & MT_ATTR_REVERSE ? A_REVERSE : 0) |
                       (c->attrs & MT_ATTR_UNDERLINE ? A_UNDERLINE : 0) | (c->attrs & MT_ATTR_DIM ? A_DIM : 0);
            wchar_t wc[2] = { (wchar_t)c->cp, 0 };
            cchar_t cc;
            setcchar(&cc, wc, a, (short)pair_for(t, c->fg, c->bg), NULL);
            mvadd_wch(y, x, &cc);
        }
    refresh();
}

int mt_term_key(mt_term *t, int timeout_ms) {
    (void)t;
    timeout(timeout_ms);
    wint_t ch;
    int kind = get_wch(&ch);
    if (kind == ERR) return 0;
    if (kind == KEY_CODE_YES) {
        switch (ch) {
        case KEY_RESIZE: return -1;
        case KEY_UP: return MT_KEY_UP;
        case KEY_DOWN: return MT_KEY_DOWN;
        case KEY_LEFT: return MT_KEY_LEFT;
        case KEY_RIGHT: return MT_KEY_RIGHT;
        case KEY_HOME: return MT_KEY_HOME;
        case KEY_END: return MT_KEY_END;
        case KEY_PPAGE: return MT_KEY_PAGEUP;
        case KEY_NPAGE: return MT_KEY_PAGEDOWN;
        case KEY_BACKSPACE: return MT_KEY_BACKSPACE;
        case KEY_DC: return MT_KEY_DELETE;
        case KEY_BTAB: return MT_KEY_BACKTAB;
        case KEY_ENTER: return MT_KEY_ENTER;
        default:
            if (ch >= KEY_F(1) && ch <= KEY_F(12)) return MT_KEY_F1 + (int)(ch - KEY_F(1));
            return 0;
        }
    }
    if (ch == '\n' || ch == '\r') return MT_KEY_ENTER;
    if (ch == '\t') return MT_KEY_TAB;
    if (ch == 27) return MT_KEY_ESC;
    if (ch == 127 || ch == 8) return MT_KEY_BACKSPACE;
    if (ch >= 1 && ch <= 26) return MT_KEY_CTRL_A + (int)ch - 1;
    return (int)ch;
}
