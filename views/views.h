/* The explorer's views: pure functions of the app state that paint a rectangle
 * of a grid. One file each. */
#ifndef MT_VIEWS_H
#define MT_VIEWS_H

#include "tui/app.h"
#include "tui/grid.h"

/* Tokens x layers: each cell the top expert (highest weight), coloured by id. */
void mt_view_heatmap(mt_app *app, mt_grid *g, mt_rect area);
/* The heatmap cell at column x, row y of area: true with its token and
 * layer (a click on a token's label gives the current layer). */
bool mt_heatmap_hit(const mt_app *app, mt_rect area, int x, int y, uint32_t *tok, uint32_t *layer);
/* The token under the cursor through every layer: its experts with weight
 * bars, the full router distribution as a sparkline, the margin. */
void mt_view_token(mt_app *app, mt_grid *g, mt_rect area);
/* Per layer: entropies, top-1 share, Gini, CV, cold, bars with the uniform mark. */
void mt_view_sweep(mt_app *app, mt_grid *g, mt_rect area);
/* One layer: each expert's use against the uniform line, and its strongest tokens. */
void mt_view_experts(mt_app *app, mt_grid *g, mt_rect area);
/* Layers x experts: the interventions in force, k per layer; a cursor to toggle. */
void mt_view_ablate(mt_app *app, mt_grid *g, mt_rect area);
/* The ablate grid's cell at column x, row y of area (a click on a layer's
 * number gives the current expert). */
bool mt_ablate_hit(const mt_app *app, mt_rect area, int x, int y, uint32_t *layer, uint32_t *expert);
/* Baseline against the intervened run: overlap per layer, changed cells, next tokens. */
void mt_view_compare(mt_app *app, mt_grid *g, mt_rect area);
/* The compare view once conditions are kept (K): all of them side by side
 * against the baseline (views/conditions.c). */
void mt_view_conditions(mt_app *app, mt_grid *g, mt_rect area);
/* The completion as it grows, each new token with its top expert per layer. */
void mt_view_generate(mt_app *app, mt_grid *g, mt_rect area);
/* The keys (from the action table) and every metric's definition. */
void mt_view_help(mt_app *app, mt_grid *g, mt_rect area);
/* The status line: model, backend, k, interventions, view, last action. */
void mt_view_status(const mt_app *app, mt_grid *g, mt_rect area);

/* The dashboard, the first screen: the heatmap, the selected cell's router
 * distribution, per-layer entropies, the next-token top-5 in titled panels
 * laid out by tui/layout.h; below 80x24, the heatmap view. */
void mt_view_dashboard(mt_app *app, mt_grid *g, mt_rect area);
/* The dashboard heatmap panel's inside for a w x h frame (what clicks hit); w 0 below 80x24. */
mt_rect mt_dashboard_heatmap_area(const mt_app *app, int w, int h);
/* The prompt as running text, each token on its top expert's colour at the
 * cursor's layer (the Mixtral paper's Figure 8), the colours' key beside it. */
void mt_view_text(const mt_app *app, mt_grid *g, mt_rect area);

/* Every view but the dashboard: a title line saying what the view shows
 * (row), and a key to its colours and bars (the row under the view; false
 * when the view has none). */
void mt_view_title(const mt_app *app, mt_grid *g, mt_rect row);
bool mt_view_key(const mt_app *app, mt_grid *g, mt_rect row);
/* The definitions of the numbers the views show beyond engine/stats.h's (for the help view). */
extern const char *const mt_view_definitions[];
/* Where a view draws in a w x h frame: under its title, above its key and the status line. */
mt_rect mt_view_area(const mt_app *app, int w, int h);

/* Keys to colours (views/legend.c). The expert-id palette: what, then each
 * id on its colour, over the rows of r (ids that do not fit: "+N more");
 * returns the rows used. */
int mt_legend_experts(mt_grid *g, mt_rect r, uint32_t n_expert, const char *what);
/* The rows mt_legend_experts needs to show every id at this width. */
int mt_legend_expert_rows(uint32_t n_expert, int width, const char *what);
/* A ramp on one row from (x, y): what, lo, twelve cells from 0 to 1, hi. Returns the cells used. */
int mt_legend_ramp(mt_grid *g, mt_rect r, int x, int y, const char *what, const char *lo, const char *hi);
/* The key of the heatmap's shading mode (the palette, or a ramp with its ends and unit). */
void mt_legend_shading(const mt_app *app, mt_grid *g, mt_rect r);
int mt_legend_shading_rows(const mt_app *app, int width);

#endif
