/* The compare view: the prompt without interventions against the intervened
 * run: per layer, the mean overlap of the selected experts (|A n B| / max)
 * and how many tokens changed their top expert; then the next-token
 * distributions side by side, and the greedy continuations of both. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "engine/sample.h"
#include "engine/stats.h"
#include "engine/unicode_class.h"
#include "engine/utf8.h"
#include "tui/label.h"
#include "tui/palette.h"
#include "tui/scroll.h"
#include "views.h"

/* Text wrapped into r, a newline shown as a glyph (the columns stay
 * aligned), other control characters as spaces. Returns the rows used. */
static int wrapped(mt_grid *g, mt_rect r, const char *text, bool ascii, uint8_t attrs) {
    const uint8_t *s = (const uint8_t *)text;
    size_t n = strlen(text);
    int x = r.x, y = r.y;
    for (size_t i = 0; i < n && y < r.y + r.h;) {
        uint32_t cp;
        i += mt_utf8_next(s + i, n - i, &cp);
        if (cp == MT_UTF8_INVALID) cp = 0xfffd;
        if (cp == '\n') cp = ascii ? '|' : 0x23ce;
        else if (cp < 0x20 || cp == 0x7f) cp = ' ';
        else if (ascii && cp > 0x7e) cp = '?';
        int w = mt_uc_width(cp);
        if (w <= 0) continue;
        if (x + w > r.x + r.w) {
            x = r.x;
            if (++y >= r.y + r.h) break;
        }
        x += mt_grid_put(g, r, x, y, cp, MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, attrs);
    }
    return y - r.y + 1;
}

/* The five likeliest next tokens: ids and probabilities. */
static void top5(const float *logits, uint32_t V, uint32_t ids[5], double p[5]) {
    double top = -INFINITY, sum = 0;
    for (uint32_t v = 0; v < V; v++) top = fmax(top, logits[v]);
    for (uint32_t v = 0; v < V; v++) sum += exp(logits[v] - top);
    for (int k = 0; k < 5; k++) {
        ids[k] = 0;
        p[k] = -1;
    }
    for (uint32_t v = 0; v < V; v++) {
        double q = exp(logits[v] - top) / sum;
        for (int k = 0; k < 5; k++)
            if (q > p[k]) {
                for (int m = 4; m > k; m--) p[m] = p[m - 1], ids[m] = ids[m - 1];
                p[k] = q;
                ids[k] = v;
                break;
            }
    }
}

void mt_view_compare(mt_app *app, mt_grid *g, mt_rect area) {
    if (app->conds.n > 1) { /* kept conditions: all of them side by side */
        mt_view_conditions(app, g, area);
        return;
    }
    const mt_hparams *hp = &app->m->hp;
    uint32_t T = mt_session_length(app->s);
    const mt_session *base = mt_app_baseline(app);
    char line[200];
    if (!base || T == 0) {
        mt_grid_text(g, area, area.x + 1, area.y, "(nothing to compare: give a prompt)", MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, MT_ATTR_DIM);
        return;
    }
    mt_grid_text(g, area, area.x + 1, area.y, "layer  overlap with the baseline       top expert changed", MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, MT_ATTR_BOLD);
    int y = area.y + 1;
    /* the layers from app->compare_top_layer, following the cursor's; the blank row under them says where the window is */
    uint32_t L = hp->n_layer, stale = mt_session_dirty_from(app->s);
    int layer_rows = area.h - 9 > 1 ? area.h - 9 : 1;
    app->compare_top_layer = mt_scroll_follow(app->compare_top_layer, app->cur_layer, (uint32_t)layer_rows, L);
    uint32_t l0 = app->compare_top_layer, l1 = l0 + (uint32_t)layer_rows < L ? l0 + (uint32_t)layer_rows : L;
    for (uint32_t l = l0; l < l1; l++, y++) {
        double overlap = 0;
        uint32_t changed = 0, kept = 0; /* tokens with NaN or infinite router logits (either side) are left out */
        for (uint32_t t = 0; t < T; t++) {
            const uint32_t *a, *b;
            const float *wa, *wb;
            float m;
            uint32_t na = mt_session_route(app->s, l, t, &a, &wa, &m), nb = mt_session_route(base, l, t, &b, &wb, &m);
            if (!mt_logits_finite(mt_session_router_logits(app->s, l, t), hp->n_expert) ||
                !mt_logits_finite(mt_session_router_logits(base, l, t), hp->n_expert))
                continue;
            kept++;
            overlap += mt_overlap(a, na, b, nb);
            int ta = -1, tb = -1;
            for (uint32_t i = 0; i < na; i++)
                if (ta < 0 || wa[i] > wa[ta]) ta = (int)i;
            for (uint32_t i = 0; i < nb; i++)
                if (tb < 0 || wb[i] > wb[tb]) tb = (int)i;
            changed += (ta < 0) != (tb < 0) || (ta >= 0 && tb >= 0 && a[ta] != b[tb]);
        }
        if (!kept) {
            snprintf(line, sizeof line, "%5u%s no statistics: %u tokens with NaN or infinite router logits", l, l >= stale ? "!" : " ", T);
            mt_grid_text(g, area, area.x + 1, y, line, 0xc00000, MT_COLOR_DEFAULT, 0);
            continue;
        }
        overlap /= kept;
        snprintf(line, sizeof line, "%5u%s %.3f ", l, l >= stale ? "!" : " ", overlap); /* !: stale, a cancelled change left it */
        int x = area.x + 1 + mt_grid_text(g, area, area.x + 1, y, line, l >= stale ? 0xc00000 : MT_COLOR_DEFAULT, MT_COLOR_DEFAULT,
                                          l == app->cur_layer ? MT_ATTR_BOLD | MT_ATTR_UNDERLINE : 0);
        for (int i = 0; i < 20; i++)
            mt_grid_put(g, area, x + i, y, i < (int)(overlap * 20 + 0.5) ? (app->ascii ? '#' : 0x2588) : ' ', mt_ramp(overlap), MT_COLOR_DEFAULT, 0);
        snprintf(line, sizeof line, "   %u of %u tokens%s", changed, kept, kept < T ? " (others: NaN or infinite router logits)" : "");
        mt_grid_text(g, area, x + 20, y, line, MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, changed ? MT_ATTR_BOLD : MT_ATTR_DIM);
    }
    char note[120] = "";
    mt_scroll_append(note, sizeof note, "layers", l0, l1 - l0, L, "h l");
    mt_scroll_show(g, area, y, note);
    y++;
    const float *la = mt_session_logits(app->s, T - 1), *lb = mt_session_logits(base, T - 1);
    if (!la || !lb || y >= area.y + area.h) return;
    mt_grid_text(g, area, area.x + 1, y++, "next token    baseline                     intervened", MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, MT_ATTR_BOLD);
    uint32_t ia[5], ib[5];
    double pa[5], pb[5];
    top5(la, hp->n_vocab, ia, pa);
    top5(lb, hp->n_vocab, ib, pb);
    for (int k = 0; k < 5 && y < area.y + area.h; k++, y++) {
        char a_label[48], b_label[48];
        size_t len;
        const char *bytes = mt_tok_bytes(app->tok, ib[k], &len);
        mt_token_label(bytes, len, app->ascii, 14, b_label, sizeof b_label);
        bytes = mt_tok_bytes(app->tok, ia[k], &len);
        mt_token_label(bytes, len, app->ascii, 14, a_label, sizeof a_label);
        /* labels at fixed columns: their display widths vary */
        snprintf(line, sizeof line, "  %d", k + 1);
        mt_grid_text(g, area, area.x + 1, y, line, MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, 0);
        mt_grid_text(g, area, area.x + 15, y, b_label, MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, 0);
        snprintf(line, sizeof line, pb[k] >= 0.001 || pb[k] <= 0 ? "%.3f" : "%.0e", pb[k]); /* "2e-06": never a bare 0.000 */
        mt_grid_text(g, area, area.x + 30, y, line, MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, 0);
        uint8_t changed = ia[k] != ib[k] ? MT_ATTR_BOLD : 0;
        mt_grid_text(g, area, area.x + 46, y, a_label, MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, changed);
        snprintf(line, sizeof line, pa[k] >= 0.001 || pa[k] <= 0 ? "%.3f" : "%.0e", pa[k]);
        mt_grid_text(g, area, area.x + 61, y, line, MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, changed);
    }
    /* the greedy continuations side by side, as far as the rows go */
    y++;
    if (y + 2 >= area.y + area.h) return;
    const char *cb = mt_app_continuation(app, false), *ci = mt_app_continuation(app, true);
    if (!cb || !ci) return;
    int half = (area.w - 3) / 2;
    snprintf(line, sizeof line, "greedy continuation, %d tokens: baseline", MT_COMPARE_TOKENS);
    mt_grid_text(g, area, area.x + 1, y, line, MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, MT_ATTR_BOLD);
    mt_grid_text(g, area, area.x + 2 + half, y++, strcmp(cb, ci) ? "intervened (differs)" : "intervened (the same)", MT_COLOR_DEFAULT,
                 MT_COLOR_DEFAULT, MT_ATTR_BOLD);
    int rows = area.y + area.h - y < 6 ? area.y + area.h - y : 6;
    wrapped(g, (mt_rect){ area.x + 1, y, half, rows }, cb, app->ascii, 0);
    wrapped(g, (mt_rect){ area.x + 2 + half, y, half, rows }, ci, app->ascii, strcmp(cb, ci) ? MT_ATTR_BOLD : 0);
}
