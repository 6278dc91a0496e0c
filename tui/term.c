#include "term.h"

#include <locale.h>
#include <ncurses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "color_map.h"
#include "engine/utf8.h"
#include "script.h"

#define PAIR_SLOTS 16384 /* open-addressing table of the colour pairs made so far */

/* Bracketed paste (xterm's mode 2004, which tmux, kitty, foot, GNOME's VTE
 * and most others follow): after ESC [ ? 2004 h the terminal sends a paste
 * as ESC [ 200 ~ TEXT ESC [ 201 ~; the two marks are made keys of their own
 * (define_key), so a paste arrives as one MT_KEY_PASTE with its text, not a
 * key per character that may each start work. */
#define KEY_PASTE_BEGIN (KEY_MAX + 1)
#define KEY_PASTE_END (KEY_MAX + 2)
#define PASTE_MAX (1 << 20) /* a paste past a MiB keeps its first MiB */

struct mt_term {
    mt_color_depth depth;
    int max_pairs;  /* pairs this terminal holds, at most PAIR_SLOTS / 2 */
    mt_grid last;   /* what the screen shows, to redraw only changes */
    int n_pairs;
    bool repaint;   /* a resize was read: the next frame paints every cell (the terminal may show anything) */
    struct pair_slot { int fg, bg, pair; } slots[PAIR_SLOTS]; /* pair 0: empty */
    char *paste;    /* pasted text not yet taken (mt_term_paste_take), NUL-terminated */
    size_t paste_len, paste_cap;
};

/* A cell colour as this terminal's colour number (-1: the terminal's default). */
static int terminal_color(const mt_term *t, uint32_t rgb) {
    if (rgb == MT_COLOR_DEFAULT) return -1;
    switch (t->depth) {
    case MT_DEPTH_TRUE: return (int)(rgb & 0xffffff);
    case MT_DEPTH_256: return mt_color_to_256(rgb);
    case MT_DEPTH_16: return mt_color_to_16(rgb, COLORS);
    default: return -1;
    }
}

/* The pair for these colours, made on first use; -1 when the terminal holds no more. */
static int pair_for(mt_term *t, uint32_t fg_rgb, uint32_t bg_rgb) {
    if (t->depth == MT_DEPTH_NONE) return 0;
    int fg = terminal_color(t, fg_rgb), bg = terminal_color(t, bg_rgb);
    if (fg == -1 && bg == -1) return 0;
    unsigned h = ((unsigned)fg * 2654435761u ^ (unsigned)bg * 40503u) % PAIR_SLOTS;
    for (;; h = (h + 1) % PAIR_SLOTS) {
        struct pair_slot *s = &t->slots[h];
        if (s->pair && s->fg == fg && s->bg == bg) return s->pair;
        if (!s->pair) {
            if (t->n_pairs >= t->max_pairs || init_extended_pair(t->n_pairs + 1, fg, bg) == ERR) return -1;
            *s = (struct pair_slot){ fg, bg, ++t->n_pairs };
            return s->pair;
        }
    }
}

/* Forgets every pair (the terminal's and ours) and what the screen shows. */
static void reset_pairs(mt_term *t) {
    reset_color_pairs();
    memset(t->slots, 0, sizeof t->slots);
    t->n_pairs = 0;
    for (int i = 0; i < t->last.w * t->last.h; i++) t->last.cells[i].cp = 0xffffffff;
}

/* With 24-bit colour asked for (mode, or COLORTERM), the direct-colour
 * terminfo entry of TERM's family (ncurses-term installs them), else NULL. */
static const char *direct_entry(mt_colors_mode mode, char *buf, size_t cap) {
    bool want = mode == MT_COLORS_TRUE || (mode == MT_COLORS_AUTO && mt_colorterm_truecolor(getenv("COLORTERM")));
    return want && mt_direct_term_name(getenv("TERM"), buf, cap) ? buf : NULL;
}

mt_term *mt_term_open(mt_colors_mode mode, char *err, size_t cap) {
    /* The locale rule (engine/locale_c.h): from the environment moetop takes
     * LC_CTYPE only, which ncursesw needs for wide characters. LC_NUMERIC and
     * every other category stay "C", so a number is written and read with '.'
     * under any locale (a recording, an exported frame, the screen itself),
     * and error reasons stay in the one language of the messages around them. */
    setlocale(LC_CTYPE, "");
    mt_term *t = calloc(1, sizeof *t);
    if (!t) {
        snprintf(err, cap, "out of memory");
        return NULL;
    }
    char direct[128];
    const char *entry = direct_entry(mode, direct, sizeof direct);
    /* newterm fails (NULL) when the entry is not installed: then TERM's own */
    if (!(entry && newterm(entry, stdout, stdin)) && !newterm(NULL, stdout, stdin)) {
        snprintf(err, cap, "cannot start the terminal (TERM=%s)", getenv("TERM") ? getenv("TERM") : "unset");
        free(t);
        return NULL;
    }
    raw();
    noecho();
    keypad(stdscr, TRUE);
    curs_set(0);
    set_escdelay(25); /* Esc alone answers at once, not after the default second */
    mousemask(BUTTON1_PRESSED | BUTTON1_CLICKED, NULL);
    mouseinterval(0); /* a press is a click at once: no waiting to tell clicks from drags */
    define_key("\033[200~", KEY_PASTE_BEGIN);
    define_key("\033[201~", KEY_PASTE_END);
    fputs("\033[?2004h", stdout); /* bracketed paste on (off again in mt_term_close) */
    fflush(stdout);
    if (mode != MT_COLORS_NONE && has_colors()) {
        start_color();
        use_default_colors();
        t->depth = mt_depth_for_colors(COLORS);
        if (mode == MT_COLORS_256 && t->depth > MT_DEPTH_256) t->depth = MT_DEPTH_256;
        if (mode == MT_COLORS_16 && t->depth > MT_DEPTH_16) t->depth = MT_DEPTH_16;
        t->max_pairs = COLOR_PAIRS - 1 < PAIR_SLOTS / 2 ? COLOR_PAIRS - 1 : PAIR_SLOTS / 2;
    }
    return t;
}

const char *mt_term_depth_name(const mt_term *t) {
    static const char *const names[] = { "no colour", "16 colours", "256 colours", "24-bit colour" };
    return names[t->depth];
}

void mt_term_close(mt_term *t) {
    if (!t) return;
    fputs("\033[?2004l", stdout);
    fflush(stdout);
    endwin();
    free(t->paste);
    mt_grid_free(&t->last);
    free(t);
}

void mt_term_size(mt_term *t, int *w, int *h) {
    (void)t;
    getmaxyx(stdscr, *h, *w);
}

void mt_term_show(mt_term *t, const mt_grid *g) {
    if (t->last.w != g->w || t->last.h != g->h || t->repaint) {
        t->repaint = false;
        mt_grid_free(&t->last);
        mt_grid_init(&t->last, g->w, g->h);
        for (int i = 0; i < g->w * g->h; i++) t->last.cells[i].cp = 0xffffffff; /* nothing shown yet */
        clear();
    }
    /* a frame needing more pairs than the terminal holds: start again with
     * none made, once; past that, cells fall back to default colours */
    for (int attempt = 0; attempt < 2; attempt++) {
        bool out_of_pairs = false;
        for (int y = 0; y < g->h && !out_of_pairs; y++)
            for (int x = 0; x < g->w; x++) {
                const mt_cell *c = &g->cells[y * g->w + x];
                mt_cell *seen = &t->last.cells[y * g->w + x];
                if (!memcmp(c, seen, sizeof *c) || c->cp == 0) continue;
                int pair = pair_for(t, c->fg, c->bg);
                if (pair < 0 && attempt == 0) {
                    out_of_pairs = true;
                    break;
                }
                *seen = *c;
                attr_t a = (c->attrs & MT_ATTR_BOLD ? A_BOLD : 0) | (c->attrs & MT_ATTR_REVERSE ? A_REVERSE : 0) |
                           (c->attrs & MT_ATTR_UNDERLINE ? A_UNDERLINE : 0) | (c->attrs & MT_ATTR_DIM ? A_DIM : 0);
                wchar_t wc[2] = { (wchar_t)mt_cell_glyph(c->cp), 0 };
                cchar_t cc;
                if (pair < 0) pair = 0;
                setcchar(&cc, wc, a, 0, &pair); /* an int pair through opts: extended pairs beyond 32767 */
                mvadd_wch(y, x, &cc);
            }
        if (!out_of_pairs) break;
        reset_pairs(t);
    }
    refresh();
}

/* Appends a code point to the paste (CR and CR LF as LF), up to PASTE_MAX bytes. */
static void paste_add(mt_term *t, uint32_t cp) {
    if (cp == '\n' && t->paste_len && t->paste[t->paste_len - 1] == '\r') {
        t->paste[t->paste_len - 1] = '\n';
        return;
    }
    if (t->paste_len + 5 > t->paste_cap) {
        if (t->paste_cap >= PASTE_MAX) return;
        size_t cap = t->paste_cap ? t->paste_cap * 2 : 4096;
        char *grown = realloc(t->paste, cap);
        if (!grown) return;
        t->paste = grown;
        t->paste_cap = cap;
    }
    t->paste_len += mt_utf8_encode(cp, t->paste + t->paste_len);
    t->paste[t->paste_len] = 0;
}

/* After the paste's start mark: everything to its end mark (or a second
 * without input: a terminal that lost it) is text. */
static void read_paste(mt_term *t) {
    timeout(1000);
    for (;;) {
        wint_t ch;
        int kind = get_wch(&ch);
        if (kind == ERR || (kind == KEY_CODE_YES && ch == KEY_PASTE_END)) break;
        if (kind == KEY_CODE_YES) {
            if (ch == KEY_ENTER) paste_add(t, '\n');
            continue; /* other keys inside a paste: not text */
        }
        paste_add(t, (uint32_t)ch);
    }
    for (size_t i = 0; i < t->paste_len; i++)
        if (t->paste[i] == '\r') t->paste[i] = '\n';
}

char *mt_term_paste_take(mt_term *t) {
    char *text = t->paste ? t->paste : calloc(1, 1);
    t->paste = NULL;
    t->paste_len = t->paste_cap = 0;
    return text;
}

int mt_term_key(mt_term *t, int timeout_ms, int *x, int *y) {
    timeout(timeout_ms);
    wint_t ch;
    int kind = get_wch(&ch);
    if (kind == ERR) return 0;
    if (kind == KEY_CODE_YES) {
        switch (ch) {
        case KEY_RESIZE: t->repaint = true; return -1;
        case KEY_PASTE_BEGIN: read_paste(t); return MT_KEY_PASTE;
        case KEY_PASTE_END: return 0; /* an end mark alone */
        case KEY_MOUSE: {
            MEVENT ev;
            if (getmouse(&ev) != OK || !(ev.bstate & (BUTTON1_PRESSED | BUTTON1_CLICKED))) return 0;
            *x = ev.x;
            *y = ev.y;
            return MT_KEY_CLICK;
        }
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
