/* The experts view: one layer (the cursor's): each expert's use over the
 * prompt (its rate, tokens using it / tokens) as a bar against the uniform
 * line (experts selected per token / E: k/E without interventions), and the tokens it takes most (highest weight first).
 * Tokens whose router logits hold NaN or infinity are left out (engine/stats.h). */
#include <stdio.h>
#include <stdlib.h>

#include "engine/stats.h"
#include "tui/label.h"
#include "tui/palette.h"
#include "tui/scroll.h"
#include "views.h"

void mt_view_experts(mt_app *app, mt_grid *g, mt_rect area) {
    const mt_hparams *hp = &app->m->hp;
    uint32_t T = mt_session_length(app->s), E = hp->n_expert, l = app->cur_layer;
    if (T == 0) { /* no shares of zero tokens */
        mt_grid_text(g, area, area.x + 2, area.y + 1, "(no tokens: give a prompt)", MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, MT_ATTR_DIM);
        return;
    }
    uint64_t selections = 0;
    uint32_t *count = calloc(E, sizeof *count);
    /* per expert, its three highest-weight tokens */
    uint32_t (*best_tok)[3] = calloc(E, sizeof *best_tok);
    float (*best_w)[3] = calloc(E, sizeof *best_w);
    uint32_t left_out = 0;
    if (!count || !best_tok || !best_w) goto done;
    for (uint32_t t = 0; t < T; t++) {
        const uint32_t *ex;
        const float *w;
        float margin;
        uint32_t n = mt_session_route(app->s, l, t, &ex, &w, &margin);
        if (!mt_logits_finite(mt_session_router_logits(app->s, l, t), E)) { /* left out, as in engine/stats.h */
            left_out++;
            continue;
        }
        selections += n;
        for (uint32_t i = 0; i < n; i++) {
            uint32_t e = ex[i];
            count[e]++;
            for (int k = 0; k < 3; k++)
                if (w[i] > best_w[e][k]) {
                    for (int m = 2; m > k; m--) best_w[e][m] = best_w[e][m - 1], best_tok[e][m] = best_tok[e][m - 1];
                    best_w[e][k] = w[i];
                    best_tok[e][k] = t;
                    break;
                }
        }
    }
    char line[160];
    T -= left_out;
    double uniform = T ? (double)selections / T / E : 0; /* experts selected per token / E: k/E unless interventions change k */
    snprintf(line, sizeof line, "layer %u: share of the %u tokens using each expert (| uniform %.2f)%s", l, T, uniform,
             left_out ? "" : ", and its strongest tokens");
    int hx = area.x + 1 + mt_grid_text(g, area, area.x + 1, area.y, line, MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, MT_ATTR_BOLD);
    if (left_out) {
        snprintf(line, sizeof line, "; %u left out (NaN or infinite router logits)", left_out);
        mt_grid_text(g, area, hx, area.y, line, 0xc00000, MT_COLOR_DEFAULT, MT_ATTR_BOLD);
    }
    if (mt_session_dirty_from(app->s) <= l) /* a cancelled change left this layer stale */
        mt_grid_text(g, area, hx, area.y, " STALE! (r recomputes)", 0xc00000, MT_COLOR_DEFAULT, MT_ATTR_BOLD);
    int bar_w = 24, id_w = mt_digits(E ? E - 1 : 0) & 15;
    /* the experts from app->experts_top, following the expert cursor (j k); the last row: where the window is */
    int rows = area.h - 2 > 1 ? area.h - 2 : 1;
    if (app->cur_expert >= E) app->cur_expert = E ? E - 1 : 0;
    app->experts_top = mt_scroll_follow(app->experts_top, app->cur_expert, (uint32_t)rows, E);
    for (uint32_t e = app->experts_top; e < E && (int)(e - app->experts_top) < rows; e++) {
        int y = area.y + 1 + (int)(e - app->experts_top), x = area.x + 1;
        snprintf(line, sizeof line, "%*u ", id_w < 3 ? 3 : id_w, e);
        x += mt_grid_text(g, area, x, y, line, mt_contrast_on(mt_expert_color(e)), mt_expert_color(e), e == app->cur_expert ? MT_ATTR_BOLD | MT_ATTR_UNDERLINE : 0);
        double rate = T ? (double)count[e] / T : 0;
        int filled = (int)(rate * bar_w + 0.5), mark = (int)(uniform * bar_w + 0.5);
        for (int i = 0; i <= bar_w; i++) {
            uint32_t glyph = i == mark ? (app->ascii ? '|' : 0x2502) : i < filled ? (app->ascii ? '#' : 0x2588) : ' ';
            mt_grid_put(g, area, x + 1 + i, y, glyph, i == mark ? 0xc00000 : mt_expert_color(e), MT_COLOR_DEFAULT, 0);
        }
        x += bar_w + 3;
        if (T) snprintf(line, sizeof line, "%4.2f ", rate);
        else snprintf(line, sizeof line, "   - "); /* no token to share: no rate */
        x += mt_grid_text(g, area, x, y, line, MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, 0);
        for (int k = 0; k < 3 && best_w[e][k] > 0; k++) {
            size_t len;
            const char *bytes = mt_tok_bytes(app->tok, mt_session_ids(app->s)[best_tok[e][k]], &len);
            char label[64];
            mt_token_label(bytes, len, app->ascii, 10, label, sizeof label);
            snprintf(line, sizeof line, " %s %.2f", label, (double)best_w[e][k]);
            x += mt_grid_text(g, area, x, y, line, MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, k ? MT_ATTR_DIM : 0);
        }
    }
    char note[120] = "";
    mt_scroll_append(note, sizeof note, "experts", app->experts_top, (uint32_t)rows, E, "j k");
    if (area.h >= 3) mt_scroll_show(g, area, area.y + area.h - 1, note);
done:
    free(count);
    free(best_tok);
    free(best_w);
}
