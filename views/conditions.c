/* The compare view with kept conditions (K): every kept condition, and the
 * interventions in force when not kept, side by side against the baseline
 * (experiments/compare.h, what `moetop compare` reports): per layer the
 * overlap of the selected experts with the baseline's, then the next token,
 * its KL from the baseline's, and where the greedy continuation departs. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tui/app_keys.h"
#include "tui/label.h"
#include "tui/palette.h"
#include "views.h"

#define COL_W 15 /* a condition's column, cells */
#define LEFT 7   /* the row labels' column */

/* Cuts UTF-8 text at a character to at most cells display cells, ending in an ellipsis when cut. */
static void cut(char *text, int cells, bool ascii) {
    if (mt_text_width(text) <= cells) return;
    size_t n = strlen(text);
    const char *dots = ascii ? "~" : "\xe2\x80\xa6";
    while (n > 0) {
        do n--;
        while (n > 0 && ((unsigned char)text[n] & 0xc0) == 0x80);
        char saved = text[n];
        text[n] = 0;
        int w = mt_text_width(text);
        text[n] = saved;
        if (w + 1 <= cells) break;
    }
    snprintf(text + n, 4, "%s", dots);
}

void mt_view_conditions(mt_app *app, mt_grid *g, mt_rect area) {
    const mt_cond_cache *c = mt_app_conditions_compared(app);
    uint32_t D = MT_COLOR_DEFAULT;
    if (!c) {
        mt_grid_text(g, area, area.x + 1, area.y, "kept conditions: not compared (no prompt, or cancelled: a change runs them again)", D, D, MT_ATTR_DIM);
        return;
    }
    size_t n = c->all.n, sel = app->cond_at < n ? app->cond_at : 0;
    int cols = (area.w - LEFT - 1) / COL_W;
    if (cols < 1) cols = 1;
    size_t c0 = sel >= (size_t)cols ? sel - (size_t)cols + 1 : 0, c1 = c0 + (size_t)cols < n ? c0 + (size_t)cols : n;
    char line[640];
    snprintf(line, sizeof line, "conditions side by side against the baseline   (conditions %zu-%zu of %zu; [ ] select, Enter applies, Delete forgets)",
             c0 + 1, c1, n);
    mt_grid_text(g, area, area.x + 1, area.y, line, D, D, MT_ATTR_BOLD);
    int y = area.y + 1;
    mt_grid_text(g, area, area.x + 1, y, "layer", D, D, MT_ATTR_BOLD);
    for (size_t i = c0; i < c1; i++) {
        snprintf(line, sizeof line, "#%zu %s", i + 1, c->all.items[i].name);
        cut(line, COL_W - 1, app->ascii); /* the legend below has it whole */
        mt_grid_text(g, area, area.x + LEFT + (int)(i - c0) * COL_W, y, line, D, D, i == sel ? MT_ATTR_REVERSE | MT_ATTR_BOLD : MT_ATTR_BOLD);
    }
    y++;
    /* rows: the layers that fit, around the cursor's layer; then 4 summary rows and the legend */
    uint32_t L = app->m->hp.n_layer;
    int legend = (int)n < 6 ? (int)n : 6, rows = area.y + area.h - y - 5 - legend;
    if (rows < 1) rows = 1;
    uint32_t l0 = (uint32_t)rows >= L ? 0 : app->cur_layer >= (uint32_t)rows / 2 ? app->cur_layer - (uint32_t)rows / 2 : 0;
    if (l0 + (uint32_t)rows > L) l0 = L > (uint32_t)rows ? L - (uint32_t)rows : 0;
    for (uint32_t l = l0; l < L && y < area.y + area.h && (int)(l - l0) < rows; l++, y++) {
        snprintf(line, sizeof line, "%5u", l);
        mt_grid_text(g, area, area.x + 1, y, line, D, D, l == app->cur_layer ? MT_ATTR_BOLD : 0);
        for (size_t i = c0; i < c1; i++) {
            double o = c->res[i].overlap[l];
            int x = area.x + LEFT + (int)(i - c0) * COL_W;
            if (isnan(o)) {
                mt_grid_text(g, area, x, y, "  n/a", D, D, MT_ATTR_DIM);
                continue;
            }
            snprintf(line, sizeof line, "%5.3f ", o);
            x += mt_grid_text(g, area, x, y, line, D, D, o < 1 ? MT_ATTR_BOLD : MT_ATTR_DIM);
            for (int b = 0; b < 8; b++) /* the overlap as a bar of 8 cells, coloured by the ramp */
                mt_grid_put(g, area, x + b, y, b < (int)(o * 8 + 0.5) ? (app->ascii ? '#' : 0x2588) : (app->ascii ? '.' : 0x2591), mt_ramp(o), D, 0);
        }
    }
    if (y < area.y + area.h) {
        uint32_t last = l0 + (uint32_t)rows - 1 < L - 1 ? l0 + (uint32_t)rows - 1 : L - 1;
        if (l0 == 0 && last == L - 1) /* every layer shown */
            snprintf(line, sizeof line, "overlap |A n B|/|A| of the selected experts with the baseline's, mean over tokens; layers 0-%u", L - 1);
        else /* the position first, so a narrow frame still says which layers it shows */
            snprintf(line, sizeof line, "layers %u-%u of %u (h l); overlap |A n B|/|A| of the selected experts with the baseline's, mean over tokens",
                     l0, last, L);
        mt_grid_text(g, area, area.x + 1, y++, line, D, D, MT_ATTR_DIM);
    }
    /* the next token, its KL from the baseline's, the continuation */
    static const char *const labels[] = { "next", "KL", "cont." };
    for (int row = 0; row < 3 && y < area.y + area.h; row++, y++) {
        mt_grid_text(g, area, area.x + 1, y, labels[row], D, D, MT_ATTR_BOLD);
        for (size_t i = c0; i < c1; i++) {
            const mt_compare_result *r = &c->res[i];
            int x = area.x + LEFT + (int)(i - c0) * COL_W;
            uint8_t changed = 0;
            if (row == 0) {
                size_t len;
                const char *bytes = mt_tok_bytes(app->tok, r->top_ids[0], &len);
                char tok[64];
                mt_token_label(bytes, len, app->ascii, 7, tok, sizeof tok);
                snprintf(line, sizeof line, "%s %.2f", tok, r->top_p[0]);
                changed = r->top_ids[0] != c->res[0].top_ids[0] ? MT_ATTR_BOLD : 0;
            } else if (row == 1) {
                snprintf(line, sizeof line, "%.4f nats", r->kl_next);
                changed = r->kl_next > 0 ? MT_ATTR_BOLD : 0;
            } else {
                if (r->first_difference < 0) snprintf(line, sizeof line, i ? "the same" : "reference");
                else snprintf(line, sizeof line, "differs at %lld", (long long)r->first_difference);
                changed = r->first_difference >= 0 ? MT_ATTR_BOLD : 0;
            }
            mt_grid_text(g, area, x, y, line, D, D, changed);
        }
    }
    /* the legend: each condition's full name and flags (as `moetop compare --cond` takes them) */
    y++;
    size_t l_from = sel >= (size_t)legend ? sel - (size_t)legend + 1 : 0;
    for (size_t i = l_from; i < n && i < l_from + (size_t)legend && y < area.y + area.h; i++, y++) {
        char flags[300];
        mt_iv_flags_text(&c->all.items[i].iv, flags, sizeof flags);
        snprintf(line, sizeof line, "#%zu %s: %s", i + 1, c->all.items[i].name, flags[0] ? flags : "no interventions");
        mt_grid_text(g, area, area.x + 1, y, line, D, D, i == sel ? MT_ATTR_REVERSE : 0);
    }
}
