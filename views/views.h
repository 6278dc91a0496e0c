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
void mt_view_token(const mt_app *app, mt_grid *g, mt_rect area);
/* Per layer: entropies, top-1 share, Gini, CV, cold, bars with the uniform mark. */
void mt_view_sweep(const mt_app *app, mt_grid *g, mt_rect area);
/* One layer: each expert's use against the uniform line, and its strongest tokens. */
void mt_view_experts(const mt_app *app, mt_grid *g, mt_rect area);
/* Layers x experts: the interventions in force, k per layer; a cursor to toggle. */
void mt_view_ablate(const mt_app *app, mt_grid *g, mt_rect area);
/* The ablate grid's cell at column x, row y of area (a click on a layer's
 * number gives the current expert). */
bool mt_ablate_hit(const mt_app *app, mt_rect area, int x, int y, uint32_t *layer, uint32_t *expert);
/* Baseline against the intervened run: overlap per layer, changed cells, next tokens. */
void mt_view_compare(mt_app *app, mt_grid *g, mt_rect area);
/* The compare view once conditions are kept (K): all of them side by side
 * against the baseline (views/conditions.c). */
void mt_view_conditions(mt_app *app, mt_grid *g, mt_rect area);
/* The completion as it grows, each new token with its top expert per layer. */
void mt_view_generate(const mt_app *app, mt_grid *g, mt_rect area);
/* The keys (from the action table) and every metric's definition. */
void mt_view_help(const mt_app *app, mt_grid *g, mt_rect area);
/* The status line: model, backend, k, interventions, view, last action. */
void mt_view_status(const mt_app *app, mt_grid *g, mt_rect area);

#endif
