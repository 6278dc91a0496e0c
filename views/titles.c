/* Each single-purpose view's title line (what it shows, its axes) and the
 * key under it (what its colours and bars mean, with their scales), so a
 * screenshot of any view reads without a voice-over. The frame's layout:
 * title, the view, its key, the status line. */
#include <stdio.h>

#include "tui/palette.h"
#include "views.h"
#include "tui/layout.h"

const char *const mt_view_definitions[] = {
    "p         softmax(z)_e over all E experts (dashboard router panel: 0 .. its max)",
    "w         the mixing weights as applied: softmax over the selected, 0 if dropped",
    "          (OLMoE: the selected experts' p as they are, not renormalised)",
    "margin    last selected logit - first left-out logit: how near the choice is to change",
    "          (softmax-first routers, Mixtral, Qwen3-MoE, OLMoE: the same gap in p)",
    "next p    softmax of the model's logits after the prompt's last token",
    "cold      sweep view: experts whose share of tokens is under 0.25 x uniform",
    "          (uniform: experts selected per token / E)",
    "overlap'  compare view with kept conditions: |A n B| / |A|, A the baseline's selected",
    "KL        compare view: KL(baseline || condition) of the next-token distributions, nats",
    "changed   compare view: tokens whose top expert differs from the baseline's at the layer",
    "cont.     compare view: the greedy continuation; first diff: its first token unlike",
    "          the baseline's",
    NULL,
};

static const char *const shading_words[MT_SHADE_COUNT] = { "expert id", "top weight", "router entropy", "change against the baseline" };

void mt_view_title(const mt_app *app, mt_grid *g, mt_rect row) {
    char what[320];
    const char *name = mt_view_names[app->view];
    switch (app->view) {
    case MT_VIEW_DASHBOARD: /* below 80x24: its heatmap alone */
    case MT_VIEW_HEATMAP: {
        char needs[64] = "";
        if (app->view == MT_VIEW_DASHBOARD)
            snprintf(needs, sizeof needs, "(the whole dashboard needs %dx%d) ", MT_DASH_MIN_W, MT_DASH_MIN_H + app->rows_above);
        snprintf(what, sizeof what, "%stop expert per token (rows) x layer (columns), colour: %s", needs, shading_words[app->shading % MT_SHADE_COUNT]);
        break;
    }
    case MT_VIEW_TOKEN:
        snprintf(what, sizeof what, "token %u by layer (rows): experts' weights, softmax over all %u experts, margin",
                 app->cur_tok, app->m->hp.n_expert);
        break;
    case MT_VIEW_SWEEP:
        snprintf(what, sizeof what, "per layer (rows), mean over tokens: entropies, top-1 share, Gini, CV, cold");
        break;
    case MT_VIEW_EXPERTS:
        snprintf(what, sizeof what, "layer %u: each expert (rows), its share of tokens and strongest tokens", app->cur_layer);
        break;
    case MT_VIEW_ABLATE:
        snprintf(what, sizeof what, "layers (rows) x experts (columns): interventions in force, k per layer");
        break;
    case MT_VIEW_COMPARE:
        snprintf(what, sizeof what, "baseline against the interventions: overlap per layer, next tokens, text");
        break;
    case MT_VIEW_GENERATE:
        snprintf(what, sizeof what, "the completion; per new token (rows), its top expert at each layer (columns)");
        break;
    case MT_VIEW_TEXT:
        snprintf(what, sizeof what, "the prompt, each token on the colour of its top expert at layer %u", app->cur_layer);
        break;
    case MT_VIEW_HELP: snprintf(what, sizeof what, "the keys, and the definition of every number on screen"); break;
    default: what[0] = 0;
    }
    char upper[32];
    int i = 0;
    for (; name[i] && i < 30; i++) upper[i] = (char)(name[i] >= 'a' && name[i] <= 'z' ? name[i] - 32 : name[i]);
    upper[i] = 0;
    int x = row.x + mt_grid_text(g, row, row.x, row.y, " ", MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, 0);
    x += mt_grid_text(g, row, x, row.y, upper, MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, MT_ATTR_BOLD | MT_ATTR_UNDERLINE);
    x += mt_grid_text(g, row, x, row.y, "  ", MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, 0);
    mt_grid_words(g, row, x, row.y, what, MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, 0);
}

bool mt_view_key(const mt_app *app, mt_grid *g, mt_rect row) {
    int x = row.x + 1;
    switch (app->view) {
    case MT_VIEW_DASHBOARD:
    case MT_VIEW_HEATMAP: mt_legend_shading(app, g, (mt_rect){ x, row.y, row.w - 1, 1 }); return true;
    case MT_VIEW_TOKEN:
        x += mt_grid_text(g, row, x, row.y, "bars: mixing weight, 4 cells = 1; ", MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, MT_ATTR_DIM);
        x += mt_legend_ramp(g, row, x, row.y, "softmax(z) / its max:", "0", "1");
        mt_grid_words(g, row, x, row.y, "; margin: last selected - first left-out logit", MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, MT_ATTR_DIM);
        return true;
    case MT_VIEW_SWEEP:
        x += mt_legend_ramp(g, row, x, row.y, "bars and colour: normalised entropy", "0", "1");
        mt_grid_words(g, row, x, row.y, " = | (a uniform router)", MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, MT_ATTR_DIM);
        return true;
    case MT_VIEW_EXPERTS:
        mt_grid_words(g, row, x, row.y, "id on its colour; bar: share of tokens, 24 cells = 1; red |: uniform (experts per token / E)", MT_COLOR_DEFAULT,
                     MT_COLOR_DEFAULT, MT_ATTR_DIM);
        return true;
    case MT_VIEW_ABLATE:
        x += mt_legend_ramp(g, row, x, row.y, "shade: share of tokens using the expert", "0", "1");
        mt_grid_words(g, row, x, row.y, "; red: M masked Z zeroed D dropped F forced", MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, MT_ATTR_DIM);
        return true;
    case MT_VIEW_COMPARE:
        if (app->conds.n > 1) /* kept conditions side by side: experiments/compare.h's overlap */
            mt_legend_ramp(g, row, x, row.y, "overlap |A n B| / |A| (A: the baseline's selected), bar 8 cells = 1:", "0", "1");
        else /* the baseline against the interventions: the statistics' overlap (engine/stats.h) */
            mt_legend_ramp(g, row, x, row.y, "overlap |A n B| / max(|A|,|B|), bar 20 cells = 1:", "0", "1");
        return true;
    case MT_VIEW_GENERATE: mt_legend_experts(g, (mt_rect){ x, row.y, row.w - 1, 1 }, app->m->hp.n_expert, "colour = expert id:"); return true;
    default: return false;
    }
}

mt_rect mt_view_area(const mt_app *app, int w, int h) {
    if (app->view == MT_VIEW_DASHBOARD) {
        mt_rect heat = mt_dashboard_heatmap_area(app, w, h);
        if (heat.w > 0) return heat;
    }
    bool key = app->view != MT_VIEW_HELP && app->view != MT_VIEW_TEXT && h >= 12; /* the smallest frames keep their rows for the view */
    return (mt_rect){ 0, 1, w, h - 2 - (key ? 1 : 0) };
}
