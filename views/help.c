/* The help view: the keys, generated from the action table (so it cannot
 * disagree with what the keys do), and every metric's definition, from the
 * statistics module's own text. Lines too long for the width wrap at a
 * space, the rest indented under the text (never cut mid-word); the view
 * scrolls (j k PgUp PgDn g G), so every line can be brought on screen. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/stats.h"
#include "tui/scroll.h"
#include "views.h"

typedef struct help_line {
    char text[240];
    uint8_t attrs;
} help_line;

typedef struct help_lines {
    help_line *at;
    size_t n, cap;
} help_lines;

static void add(help_lines *h, const char *text, size_t len, int indent, uint8_t attrs) {
    if (h->n == h->cap) return;
    if (len > sizeof h->at[0].text - 1 - (size_t)indent) len = sizeof h->at[0].text - 1 - (size_t)indent;
    help_line *l = &h->at[h->n++];
    memset(l->text, ' ', (size_t)indent);
    memcpy(l->text + indent, text, len);
    l->text[indent + (int)len] = 0;
    l->attrs = attrs;
}

/* text wrapped at spaces into width cells; continuation lines indented by indent */
static void add_wrapped(help_lines *h, const char *text, int width, int indent, uint8_t attrs) {
    const char *p = text;
    int pad = 0;
    for (;;) {
        int room = width - pad;
        if (room < 8) room = 8;
        if (mt_text_width(p) <= room) {
            add(h, p, strlen(p), pad, attrs);
            return;
        }
        /* the last space before the room runs out (by cells: UTF-8 continuation bytes take none) */
        const char *cut = NULL, *q = p;
        int cells = 0;
        for (; *q && cells <= room; q++) {
            if (*q == ' ' && q > p && cells <= room) cut = q;
            if (((unsigned char)*q & 0xc0) != 0x80) cells++;
        }
        if (!cut) { /* one word wider than the room: cut it at the room */
            for (cut = p, cells = 0; *cut && cells < room; cut++)
                if (((unsigned char)*cut & 0xc0) != 0x80) cells++;
            while (((unsigned char)*cut & 0xc0) == 0x80) cut++;
        }
        add(h, p, (size_t)(cut - p), pad, attrs);
        p = cut;
        while (*p == ' ') p++;
        if (!*p) return;
        pad = indent;
    }
}

/* What starting the explorer said (app->notes), first: the status line shows it only as long as
 * the width allows and until it expires */
static void note_lines(help_lines *h, const char *notes, int width) {
    if (!*notes) return;
    add(h, "when it started", 15, 0, MT_ATTR_BOLD);
    for (const char *p = notes, *end; (end = strchr(p, '\n')); p = end + 1) {
        char line[240];
        snprintf(line, sizeof line, "  %.*s", (int)(end - p), p);
        add_wrapped(h, line, width, 4, 0);
    }
    add(h, "", 0, 0, 0);
}

static void key_lines(help_lines *h, int width) {
    add(h, "keys", 4, 0, MT_ATTR_BOLD);
    /* the keys of every view first, then those of one view (the table lists
     * those first, because a view's own binding of a key wins) */
    for (size_t n = 0; n < 2 * mt_action_count; n++) {
        const mt_action *a = &mt_actions[n % mt_action_count];
        if ((n < mt_action_count) != (a->view < 0)) continue;
        char line[240];
        snprintf(line, sizeof line, "  %-10s %s%s%s%s", a->keys, a->help, a->view >= 0 ? "  [" : "", a->view >= 0 ? mt_view_names[a->view] : "",
                 a->view >= 0 ? "]" : "");
        add_wrapped(h, line, width, 13, 0);
    }
}

static void definition_lines(help_lines *h, int width) {
    add(h, "definitions", 11, 0, MT_ATTR_BOLD);
    for (const char *const *d = mt_stats_help; *d; d++) {
        char line[240];
        snprintf(line, sizeof line, "  %s", *d);
        add_wrapped(h, line, width, 12, 0);
    }
    for (const char *const *d = mt_view_definitions; *d; d++) { /* the explorer's own numbers (p, w, margin, ..) */
        char line[240];
        snprintf(line, sizeof line, "  %s", *d);
        add_wrapped(h, line, width, 12, 0);
    }
}

void mt_view_help(mt_app *app, mt_grid *g, mt_rect area) {
    size_t n_defs = 0;
    while (mt_stats_help[n_defs]) n_defs++;
    for (const char *const *d = mt_view_definitions; *d; d++) n_defs++;
    size_t cap = 3 * (mt_action_count + n_defs) + 8 + 2 * sizeof app->notes / 8; /* a note's line wraps to at most width / 8 */
    help_lines keys = { calloc(cap, sizeof(help_line)), 0, cap }, defs = { calloc(cap, sizeof(help_line)), 0, cap };
    if (!keys.at || !defs.at) goto done;
    /* the definitions beside the keys when both fit whole, else below them (after a blank line) */
    int key_w = 0, def_w = 0;
    key_lines(&keys, 1000);
    definition_lines(&defs, 1000);
    for (size_t i = 0; i < keys.n; i++) key_w = mt_text_width(keys.at[i].text) > key_w ? mt_text_width(keys.at[i].text) : key_w;
    for (size_t i = 0; i < defs.n; i++) def_w = mt_text_width(defs.at[i].text) > def_w ? mt_text_width(defs.at[i].text) : def_w;
    bool beside = area.w >= 1 + key_w + 2 + def_w + 1;
    keys.n = 0; /* the start-up notes above the keys, as wide as the keys' column */
    note_lines(&keys, app->notes, beside ? key_w : area.w - 2);
    key_lines(&keys, beside ? 1000 : area.w - 2);
    if (!beside) { /* one column: wrapped to the width */
        defs.n = 0;
        definition_lines(&defs, area.w - 2);
    }
    uint32_t total = (uint32_t)(beside ? (keys.n > defs.n ? keys.n : defs.n) : keys.n + 1 + defs.n);
    int rows = area.h - 1 > 1 ? area.h - 1 : 1; /* the last row: where the window is */
    app->page_rows = rows;
    app->help_top = mt_scroll_clamp(app->help_top, (uint32_t)rows, total);
    for (int r = 0; r < rows; r++) {
        size_t i = app->help_top + (size_t)r;
        int y = area.y + r;
        if (beside) {
            if (i < keys.n) mt_grid_text(g, area, area.x + 1, y, keys.at[i].text, MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, keys.at[i].attrs);
            if (i < defs.n) mt_grid_text(g, area, area.x + 1 + key_w + 2, y, defs.at[i].text, MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, defs.at[i].attrs);
        } else if (i < keys.n) {
            mt_grid_text(g, area, area.x + 1, y, keys.at[i].text, MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, keys.at[i].attrs);
        } else if (i > keys.n && i - keys.n - 1 < defs.n) {
            const help_line *l = &defs.at[i - keys.n - 1];
            mt_grid_text(g, area, area.x + 1, y, l->text, MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, l->attrs);
        }
    }
    char note[120] = "";
    mt_scroll_append(note, sizeof note, "lines", app->help_top, (uint32_t)rows, total, "j k PgUp PgDn g G");
    mt_scroll_show(g, area, area.y + area.h - 1, note);
done:
    free(keys.at);
    free(defs.at);
}
