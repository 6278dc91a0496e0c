/* The tour's caption bar (tui/tour.h): on the frame's top rows, in its own
 * colours, "scene i/N" and the scene's title with the keys on the right,
 * then the scene's explanation wrapped at spaces (a word is never cut,
 * except one wider than the row). */
#include <stdio.h>
#include <string.h>

#include "engine/unicode_class.h"
#include "engine/utf8.h"
#include "tui/tour.h"
#include "views.h"

#define CAPTION_BG 0x1d2b45u
#define CAPTION_FG 0xe8e8e8u
#define CAPTION_TITLE 0xffd75fu
#define CAPTION_KEYS 0x9fb3d1u

/* Cuts s to at most cells display cells (whole code points). */
static void cut_cells(char *s, int cells) {
    size_t n = strlen(s), at = 0;
    int used = 0;
    while (at < n) {
        uint32_t cp;
        size_t step = mt_utf8_next((const uint8_t *)s + at, n - at, &cp);
        int w = cp == MT_UTF8_INVALID ? 1 : mt_uc_width(cp);
        if (used + (w > 0 ? w : 0) > cells) break;
        used += w > 0 ? w : 0;
        at += step;
    }
    s[at] = 0;
}

/* Ends row with "..." within width, dropping its last words as needed. */
static void ellipsize(char *row, int width) {
    while (row[0] && mt_text_width(row) + 3 > width) {
        char *space = strrchr(row, ' ');
        if (!space) {
            cut_cells(row, width - 3);
            break;
        }
        *space = 0;
    }
    strcat(row, "...");
}

int mt_caption_wrap(const char *text, int width, int max, char (*rows)[MT_TOUR_TEXT_MAX]) {
    if (width < 4 || max <= 0) return 0;
    int n = 0, used = 0;
    rows[0][0] = 0;
    for (const char *p = text; *p;) {
        while (*p == ' ') p++;
        if (!*p) break;
        size_t len = strcspn(p, " ");
        char word[MT_TOUR_TEXT_MAX];
        snprintf(word, sizeof word, "%.*s", (int)len, p);
        int ww = mt_text_width(word), need = used ? used + 1 + ww : ww;
        if (need <= width) {
            size_t at = strlen(rows[n]);
            snprintf(rows[n] + at, MT_TOUR_TEXT_MAX - at, "%s%s", used ? " " : "", word);
            used = need;
            p += len;
            continue;
        }
        if (!used) { /* a word wider than a row: cut, and the row is done */
            snprintf(rows[n], MT_TOUR_TEXT_MAX, "%s", word);
            ellipsize(rows[n], width);
            p += len;
            if (!*p || n + 1 >= max) return n + 1;
            rows[++n][0] = 0;
            continue;
        }
        if (n + 1 >= max) { /* more than max rows: the last ends in "..." */
            ellipsize(rows[n], width);
            return n + 1;
        }
        rows[++n][0] = 0;
        used = 0;
    }
    return used ? n + 1 : n;
}

/* Rows the explanation may take in an h-row frame: at most MT_TOUR_TEXT_ROWS,
 * fewer when the explorer would get less than its minimum. */
static int text_rows_cap(int h) {
    int r = h - 1 - MT_APP_MIN_H;
    return r > MT_TOUR_TEXT_ROWS ? MT_TOUR_TEXT_ROWS : r < 0 ? 0 : r;
}

const char *mt_caption_text(const mt_tour *t, const mt_app *app, int w, int body_h) {
    const mt_tour_scene *s = &t->scenes[t->at];
    return s->small[0] && !mt_tour_dashboard_fits(app, w, body_h) ? s->small : s->text;
}

int mt_caption_rows(const mt_tour *t, const mt_app *app, int w, int h) {
    if (h <= 0 || !t->n) return 0;
    char rows[MT_TOUR_TEXT_ROWS][MT_TOUR_TEXT_MAX];
    const mt_tour_scene *s = &t->scenes[t->at];
    int cap = text_rows_cap(h), total = 1 + mt_caption_wrap(s->text, w - 2, cap, rows);
    if (s->small[0] && !mt_tour_dashboard_fits(app, w, h - total)) total = 1 + mt_caption_wrap(s->small, w - 2, cap, rows);
    return total > h ? h : total;
}

/* The keys for the state, the longest wording that fits in room cells ("" when none). */
static const char *keys_text(const mt_tour *t, bool ascii, int room) {
#define L "\xe2\x86\x90" /* the arrows, or <- -> in ASCII */
#define R "\xe2\x86\x92"
    static const char *const playing[2][3] = { { "Space pause  " L " " R " scenes  q quit", "Space " L " " R " q", "" },
                                               { "Space pause  <- -> scenes  q quit", "Space <- -> q", "" } };
    static const char *const paused[2][3] = { { "PAUSED  Space play  " L " " R " scenes  other keys: explorer  q quit",
                                                "PAUSED  Space play  " L " " R " scenes  q quit", "PAUSED Space " L " " R " q" },
                                              { "PAUSED  Space play  <- -> scenes  other keys: explorer  q quit",
                                                "PAUSED  Space play  <- -> scenes  q quit", "PAUSED Space <- -> q" } };
    static const char *const ended[2][3] = { { "END  Space again  " L " back  q quit", "END Space " L " q", "" },
                                             { "END  Space again  <- back  q quit", "END Space <- q", "" } };
#undef L
#undef R
    const char *const(*v)[3] = t->ended ? ended : t->paused ? paused : playing;
    for (int i = 0; i < 3; i++)
        if (v[ascii][i][0] && mt_text_width(v[ascii][i]) <= room) return v[ascii][i];
    return "";
}

void mt_view_caption(const mt_tour *t, const mt_app *app, mt_grid *g, mt_rect area) {
    if (area.h <= 0 || area.w <= 0 || !t->n) return;
    mt_grid_fill(g, area, ' ', CAPTION_FG, CAPTION_BG, 0);
    const mt_tour_scene *s = &t->scenes[t->at];
    char badge[48];
    snprintf(badge, sizeof badge, " scene %zu/%zu ", t->at + 1, t->n);
    int x = area.x + mt_grid_text(g, area, area.x, area.y, badge, CAPTION_BG, CAPTION_TITLE, MT_ATTR_BOLD);
    /* the title whole or cut at a word; then the keys, right-aligned, when they fit */
    char title[1][MT_TOUR_TEXT_MAX];
    int room = area.x + area.w - x - 1;
    if (room >= 4 && mt_caption_wrap(s->title, room, 1, title) == 1)
        x += 1 + mt_grid_text(g, area, x + 1, area.y, title[0], CAPTION_TITLE, CAPTION_BG, MT_ATTR_BOLD);
    const char *keys = keys_text(t, app->ascii, area.x + area.w - x - 3);
    if (keys[0]) {
        int kw = mt_text_width(keys);
        mt_grid_text(g, area, area.x + area.w - kw - 1, area.y, keys, CAPTION_KEYS, CAPTION_BG, t->paused || t->ended ? MT_ATTR_BOLD : 0);
    }
    /* the explanation */
    char rows[MT_TOUR_TEXT_ROWS][MT_TOUR_TEXT_MAX];
    const char *text = mt_caption_text(t, app, g->w, g->h - area.h);
    int n = mt_caption_wrap(text, area.w - 2, area.h - 1 < MT_TOUR_TEXT_ROWS ? area.h - 1 : MT_TOUR_TEXT_ROWS, rows);
    for (int i = 0; i < n; i++) mt_grid_text(g, area, area.x + 1, area.y + 1 + i, rows[i], CAPTION_FG, CAPTION_BG, 0);
}
