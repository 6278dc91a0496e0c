/* The dashboard, the explorer's first screen: titled panels that together
 * tell what the router did. The heatmap (tokens x layers, the heatmap view
 * drawn into its panel, with the colours' key); the selected cell's router
 * distribution softmax(z) over all E experts, the selected ones in their
 * colours with their mixing weights, the margin and both entropies; per
 * layer the normalised entropies (mean over the prompt's tokens) as bars
 * against the uniform line; the next-token top-5; the status line. Where
 * each panel goes is tui/layout.h's pure function of the screen's size. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "engine/stats.h"
#include "tui/box.h"
#include "tui/label.h"
#include "tui/layout.h"
#include "tui/palette.h"
#include "route_numbers.h"
#include "views.h"

#define GREY 0x707070
#define UNIFORM_MARK 0xc00000

static const uint32_t eighths_up[9] = { ' ', 0x2581, 0x2582, 0x2583, 0x2584, 0x2585, 0x2586, 0x2587, 0x2588 };

/* A horizontal bar of v in [0, 1] over width cells (eighths), then the uniform mark at 1. */
static void hbar(mt_grid *g, mt_rect r, int x, int y, int width, double v, bool ascii, uint32_t color) {
    int n = isnan(v) ? 0 : (int)(v * width * 8 + 0.5);
    for (int i = 0; i < width; i++) {
        int e = n - 8 * i;
        e = e < 0 ? 0 : e > 8 ? 8 : e;
        uint32_t glyph = ascii ? (uint32_t)(e >= 4 ? '#' : '.') : e == 8 ? 0x2588 : e == 0 ? 0x00b7 : 0x2590 - (uint32_t)e;
        mt_grid_put(g, r, x + i, y, glyph, e ? color : GREY, MT_COLOR_DEFAULT, 0);
    }
    mt_grid_put(g, r, x + width, y, ascii ? '|' : 0x2502, UNIFORM_MARK, MT_COLOR_DEFAULT, 0);
}

/* The first of the titles (NULL-ended) that fits a box w wide, else the last. */
static const char *fitting(const char *const *titles, int w) {
    const char *const *t = titles;
    while (t[1] && mt_text_width(*t) > w - 6) t++;
    return *t;
}

static void token_label(const mt_app *app, uint32_t id, int cells, char *out, size_t cap) {
    size_t len;
    const char *bytes = mt_tok_bytes(app->tok, id, &len);
    mt_token_label(bytes, len, app->ascii, cells, out, cap);
}

/* The selected cell: softmax(z) over every expert as columns of bars, the
 * selected experts in their colours; the axis; their weights; margin and entropies. */
static void router_panel(const mt_app *app, mt_grid *g, mt_rect box) {
    uint32_t E = app->m->hp.n_expert, T = mt_session_length(app->s);
    char title[160], label[64], line[160];
    if (!T) {
        mt_rect in = mt_box(g, box, "router: the selected cell", app->ascii);
        mt_grid_text(g, in, in.x + 1, in.y, "(no tokens: give a prompt)", MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, MT_ATTR_DIM);
        return;
    }
    const uint32_t *ex;
    const float *w;
    float margin;
    uint32_t n = mt_session_route(app->s, app->cur_layer, app->cur_tok, &ex, &w, &margin);
    token_label(app, mt_session_ids(app->s)[app->cur_tok], 12, label, sizeof label);
    char t2[160], t3[160];
    snprintf(title, sizeof title, "router: token %u %s, layer %u, softmax(z), %s the top-%u", app->cur_tok, label, app->cur_layer,
             app->ascii ? "#" : "coloured:", n);
    snprintf(t2, sizeof t2, "router: token %u %s, layer %u", app->cur_tok, label, app->cur_layer);
    snprintf(t3, sizeof t3, "token %u %s, layer %u", app->cur_tok, label, app->cur_layer);
    const char *const titles[] = { title, t2, t3, NULL };
    mt_rect in = mt_box(g, box, fitting(titles, box.w), app->ascii);
    if (in.w < 10 || in.h < 5) return;
    const float *z = mt_session_router_logits(app->s, app->cur_layer, app->cur_tok);
    double *p = malloc(E * sizeof *p);
    uint8_t *chosen = calloc(E, 1);
    if (!p || !chosen) goto done;
    for (uint32_t i = 0; i < n; i++)
        if (ex[i] < E) chosen[ex[i]] = 1;
    double pmax = mt_softmax_probs(z, E, p);
    int gutter = 7, bars_h = in.h - 4, cols = in.w - gutter;
    uint32_t per = mt_experts_per_column(E, cols);
    int ncol = (int)((E + per - 1) / per), cw = per == 1 && cols / (int)E >= 2 ? (cols / (int)E >= 3 ? 3 : 2) : 1;
    /* the y axis: softmax(z) from 0 to the cell's largest p */
    if (isnan(pmax)) {
        mt_grid_text(g, in, in.x, in.y, "router logits hold NaN or infinity: no distribution", 0xc00000, MT_COLOR_DEFAULT, 0);
    } else {
        snprintf(line, sizeof line, "%5.3f", pmax);
        mt_grid_text(g, in, in.x, in.y, line, MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, MT_ATTR_DIM);
        mt_grid_text(g, in, in.x, in.y + bars_h - 1, "p    0", MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, MT_ATTR_DIM);
        for (int y = 0; y < bars_h; y++) mt_grid_put(g, in, in.x + gutter - 1, in.y + y, app->ascii ? '|' : 0x2524, GREY, MT_COLOR_DEFAULT, 0);
        for (int c = 0; c < ncol; c++) {
            double v = 0;
            bool sel = false;
            uint32_t shown = (uint32_t)c * per;
            for (uint32_t e = (uint32_t)c * per; e < E && e < (uint32_t)(c + 1) * per; e++) {
                if (p[e] > v) v = p[e], shown = e;
                sel |= chosen[e];
            }
            int level = pmax > 0 ? (int)lround(v / pmax * bars_h * 8) : 0;
            uint32_t color = sel ? mt_expert_color(shown) : GREY;
            for (int y = 0; y < bars_h; y++) {
                int e8 = level - 8 * (bars_h - 1 - y);
                e8 = e8 < 0 ? 0 : e8 > 8 ? 8 : e8;
                uint32_t glyph = app->ascii ? (uint32_t)(e8 >= 4 ? (sel ? '#' : '+') : ' ') : eighths_up[e8];
                for (int k = 0; k < cw - (cw > 1); k++) mt_grid_put(g, in, in.x + gutter + c * cw + k, in.y + y, glyph, color, MT_COLOR_DEFAULT, 0);
            }
        }
    }
    /* the x axis: expert ids where they fit */
    int ay = in.y + bars_h;
    mt_grid_text(g, in, in.x, ay, "expert", MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, MT_ATTR_DIM);
    for (int c = 0, free_x = in.x + gutter; c < ncol; c++) {
        int x = in.x + gutter + c * cw;
        if (x < free_x) continue;
        snprintf(line, sizeof line, "%u", (uint32_t)c * per);
        free_x = x + mt_grid_text(g, in, x, ay, line, MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, MT_ATTR_DIM) + 1;
    }
    /* the selected experts, highest weight first as the router ranked them: id and weight */
    int x = in.x, y = ay + 1;
    snprintf(line, sizeof line, "top-%u w:", n);
    x += mt_grid_text(g, in, x, y, line, MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, MT_ATTR_BOLD);
    for (uint32_t i = 0; i < n; i++) {
        snprintf(line, sizeof line, "%u", ex[i]);
        char wv[16];
        snprintf(wv, sizeof wv, " %.3f", (double)w[i]);
        int need = 1 + mt_text_width(line) + 2 + mt_text_width(wv);
        if (x + need > in.x + in.w) {
            if (y + 1 >= in.y + in.h - 1) {
                mt_grid_text(g, in, x, y, " ...", MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, MT_ATTR_DIM);
                break;
            }
            x = in.x + 2;
            y++;
        }
        uint32_t bg = mt_expert_color(ex[i]);
        x++;
        mt_grid_put(g, in, x++, y, ' ', 0, bg, 0);
        x += mt_grid_text(g, in, x, y, line, mt_contrast_on(bg), bg, 0);
        mt_grid_put(g, in, x++, y, ' ', 0, bg, 0);
        x += mt_grid_text(g, in, x, y, wv, MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, 0);
    }
    /* how near the selection is to changing, and how spread the router is */
    double h_full = mt_entropy_full(z, E), h_mix = mt_entropy_mix(w, n);
    char mg[32];
    if (margin >= MT_NO_MARGIN) snprintf(mg, sizeof mg, "-");
    else snprintf(mg, sizeof mg, "%.3f", (double)margin);
    char hf[16];
    if (isnan(h_full)) snprintf(hf, sizeof hf, "-");
    else snprintf(hf, sizeof hf, "%.2f", h_full);
    snprintf(line, sizeof line, "margin %s  H_full %s  H_mix %.2f", mg, hf, h_mix);
    if (mt_text_width(line) > in.w) snprintf(line, sizeof line, "margin %s H_full %s H_mix %.2f", mg, hf, h_mix);
    mt_grid_text(g, in, in.x, in.y + in.h - 1, line, MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, 0);
done:
    free(p);
    free(chosen);
}

/* Per layer, mean over the prompt's tokens: H_all = H(softmax z)/ln E and
 * H_k = H(mixing weights)/ln k, bars of 0..1 with the uniform router's 1 marked. */
static void entropy_panel(const mt_app *app, mt_grid *g, mt_rect box) {
    uint32_t L = app->m->hp.n_layer, E = app->m->hp.n_expert, T = mt_session_length(app->s);
    int rows = box.h - 3; /* inside, under the header */
    uint32_t first = 0;
    if (rows > 0 && L > (uint32_t)rows) { /* a window of layers around the cursor's */
        int64_t f = (int64_t)app->cur_layer - rows / 2;
        f = f < 0 ? 0 : f + rows > (int64_t)L ? (int64_t)L - rows : f;
        first = (uint32_t)f;
    }
    char title[128], t2[128], t3[128], line[160], range[64] = "";
    if (rows > 0 && L > (uint32_t)rows) snprintf(range, sizeof range, ", layers %u-%u of %u", first, first + (uint32_t)rows - 1, L);
    snprintf(title, sizeof title, "entropy per layer, mean of %u tokens, 0..1, | uniform%s", T, range);
    snprintf(t2, sizeof t2, "entropy, mean of %u tokens%s", T, range);
    snprintf(t3, sizeof t3, "entropy%s", range);
    const char *const titles[] = { title, t2, t3, NULL };
    mt_rect in = mt_box(g, box, fitting(titles, box.w), app->ascii);
    if (in.w < 20 || in.h < 2) return;
    int bw = (in.w - 19) / 2;
    if (bw > 30) bw = 30;
    bool roomy = bw + 7 >= 18;
    mt_grid_text(g, in, in.x, in.y, roomy ? "layer H_full: over all E" : "layer H_full", MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, MT_ATTR_BOLD);
    mt_grid_text(g, in, in.x + 6 + bw + 7, in.y, roomy ? "H_mix: over the k" : "H_mix", MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, MT_ATTR_BOLD);
    if (!T) {
        mt_grid_text(g, in, in.x, in.y + 1, "(no tokens: give a prompt)", MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, MT_ATTR_DIM);
        return;
    }
    mt_stats st;
    if (!mt_stats_init(&st, L, E)) return;
    for (uint32_t l = first; l < L && (int)(l - first) < in.h - 1; l++) {
        for (uint32_t t = 0; t < T; t++) {
            const uint32_t *ex;
            const float *w;
            float margin;
            uint32_t n = mt_session_route(app->s, l, t, &ex, &w, &margin);
            mt_stats_observe(&st.layers[l], mt_session_router_logits(app->s, l, t), ex, w, n);
        }
        mt_layer_metrics m;
        mt_layer_metrics_compute(&st.layers[l], 0, &m);
        int y = in.y + 1 + (int)(l - first), x = in.x;
        snprintf(line, sizeof line, "%5u ", l);
        x += mt_grid_text(g, in, x, y, line, MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, l == app->cur_layer ? MT_ATTR_BOLD | MT_ATTR_REVERSE : 0);
        if (!st.layers[l].tokens) {
            mt_grid_text(g, in, x, y, "no statistics: NaN or infinite router logits", 0xc00000, MT_COLOR_DEFAULT, 0);
            continue;
        }
        hbar(g, in, x, y, bw, m.h_full_mean, app->ascii, mt_ramp(m.h_full_mean));
        snprintf(line, sizeof line, "%4.2f", m.h_full_mean);
        mt_grid_text(g, in, x + bw + 2, y, line, MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, 0);
        x += bw + 7;
        hbar(g, in, x, y, bw, m.h_mix_mean, app->ascii, mt_ramp(m.h_mix_mean));
        snprintf(line, sizeof line, "%4.2f", m.h_mix_mean);
        mt_grid_text(g, in, x + bw + 2, y, line, MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, 0);
    }
    mt_stats_free(&st);
}

/* The five likeliest tokens after the prompt, with their probabilities as bars of 0..1. */
static void next_panel(const mt_app *app, mt_grid *g, mt_rect box) {
    static const char *const titles[] = { "next token after the prompt: top 5", "next token: top 5", NULL };
    mt_rect in = mt_box(g, box, fitting(titles, box.w), app->ascii);
    uint32_t T = mt_session_length(app->s);
    const float *logits = T ? mt_session_logits(app->s, T - 1) : NULL;
    if (in.w < 20 || in.h < 2) return;
    if (!logits) {
        mt_grid_text(g, in, in.x, in.y, "(no tokens: give a prompt)", MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, MT_ATTR_DIM);
        return;
    }
    uint32_t ids[5];
    double p[5];
    mt_top_tokens(logits, mt_tok_vocab_size(app->tok) < app->m->hp.n_vocab ? mt_tok_vocab_size(app->tok) : app->m->hp.n_vocab, 5, ids, p);
    int bw = in.w - 24;
    char line[64], label[64];
    mt_grid_text(g, in, in.x, in.y, "  # token          p", MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, MT_ATTR_BOLD);
    mt_grid_text(g, in, in.x + 23, in.y, "bar: 0..1", MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, MT_ATTR_BOLD);
    for (int k = 0; k < 5 && k + 1 < in.h; k++) {
        if (p[k] < 0) break;
        int y = in.y + 1 + k;
        token_label(app, ids[k], 12, label, sizeof label); /* x+4..x+15, a space before p */
        snprintf(line, sizeof line, "%3d", k + 1);
        mt_grid_text(g, in, in.x, y, line, MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, MT_ATTR_DIM);
        mt_grid_text(g, in, in.x + 4, y, label, MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, k == 0 ? MT_ATTR_BOLD : 0);
        if (p[k] >= 0.001) snprintf(line, sizeof line, "%5.3f", p[k]);
        else snprintf(line, sizeof line, "%.0e", p[k]); /* "3e-05": never a bare 0.000 */
        mt_grid_text(g, in, in.x + 17, y, line, MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, 0);
        int n8 = (int)(p[k] * bw * 8 + 0.5);
        for (int i = 0; i < bw; i++) {
            int e = n8 - 8 * i;
            e = e < 0 ? 0 : e > 8 ? 8 : e;
            uint32_t glyph = app->ascii ? (uint32_t)(e >= 4 ? '#' : ' ') : e == 8 ? 0x2588 : e == 0 ? ' ' : 0x2590 - (uint32_t)e;
            mt_grid_put(g, in, in.x + 23 + i, y, glyph, mt_ramp(p[k]), MT_COLOR_DEFAULT, 0);
        }
    }
}

mt_rect mt_dashboard_heatmap_area(const mt_app *app, int w, int h) {
    mt_dash_layout lay;
    if (!mt_dash_layout_of(w, h, (int)app->m->hp.n_layer, &lay)) return (mt_rect){ 0, 0, 0, 0 };
    mt_rect in = { lay.heatmap.x + 1, lay.heatmap.y + 1, lay.heatmap.w - 2, lay.heatmap.h - 2 };
    int key = mt_legend_shading_rows(app, in.w);
    key = key > 3 ? 3 : key; /* ids past three rows: "+N more" */
    in.h -= key + 1; /* the key under a blank row */
    return in;
}

void mt_view_dashboard(mt_app *app, mt_grid *g, mt_rect area) {
    mt_dash_layout lay;
    if (!mt_dash_layout_of(g->w, g->h, (int)app->m->hp.n_layer, &lay)) return;
    (void)area;
    static const char *const shading[] = { "colour: expert id", "colour: top weight", "colour: router entropy", "colour: change" };
    char title[128], t2[128];
    snprintf(title, sizeof title, "heatmap: top expert of each token (rows) at each layer (columns), %s", shading[app->shading % MT_SHADE_COUNT]);
    snprintf(t2, sizeof t2, "heatmap: top expert, token (rows) x layer, %s", shading[app->shading % MT_SHADE_COUNT]);
    const char *const titles[] = { title, t2, "heatmap: top expert, token x layer", NULL };
    mt_box(g, lay.heatmap, fitting(titles, lay.heatmap.w), app->ascii);
    mt_rect heat = mt_dashboard_heatmap_area(app, g->w, g->h);
    mt_view_heatmap(app, g, heat);
    int key_h = lay.heatmap.y + lay.heatmap.h - 1 - (heat.y + heat.h + 1);
    mt_legend_shading(app, g, (mt_rect){ heat.x, heat.y + heat.h + 1, heat.w, key_h });
    router_panel(app, g, lay.router);
    entropy_panel(app, g, lay.entropy);
    next_panel(app, g, lay.next);
}
