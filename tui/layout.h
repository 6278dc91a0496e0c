/* The dashboard's layout: a pure function of the terminal's size, in the
 * manner of nvtop's compute_sizes_from_layout. From 80x24 up the panels tile
 * the screen exactly (no overlap, no gap): the heatmap on the left, and on
 * the right, top to bottom, the selected cell's router distribution, the
 * per-layer entropies and the next-token list; the status line is the last
 * row. Below 80x24 there is no dashboard (the explorer shows the heatmap). */
#ifndef MT_LAYOUT_H
#define MT_LAYOUT_H

#include <stdbool.h>

#include "grid.h"

#define MT_DASH_MIN_W 80
#define MT_DASH_MIN_H 24

/* Each panel's smallest outer size (its box included). */
#define MT_DASH_HEAT_MIN_W 40
#define MT_DASH_HEAT_MIN_H 10
#define MT_DASH_SIDE_MIN_W 38
#define MT_DASH_ROUTER_MIN_H 9   /* box 2, bars 3, axis 1, top-k 2, entropy 1 */
#define MT_DASH_ENTROPY_MIN_H 5  /* box 2, header 1, two layers */
#define MT_DASH_NEXT_H 8         /* box 2, header 1, five tokens */

typedef struct mt_dash_layout {
    mt_rect heatmap, router, entropy, next, status;
} mt_dash_layout;

/* The panels of a w x h screen for a model of n_layer layers (the entropy
 * panel wants a row per layer, the router panel takes what it leaves, up to
 * MT_DASH_ROUTER_MAX_H); false (out untouched) below MT_DASH_MIN_W x MT_DASH_MIN_H. */
#define MT_DASH_ROUTER_MAX_H 24
bool mt_dash_layout_of(int w, int h, int n_layer, mt_dash_layout *out);

#endif
