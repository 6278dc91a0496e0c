/* The dashboard's panels from the screen's size alone (tui/layout.h). */
#include "layout.h"

static int clamp(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

bool mt_dash_layout_of(int w, int h, int n_layer, mt_dash_layout *out) {
    if (w < MT_DASH_MIN_W || h < MT_DASH_MIN_H) return false;
    int body = h - 1;                                                   /* above the status line */
    int side = clamp(w * 2 / 5, MT_DASH_SIDE_MIN_W, 72);                /* the right column */
    int heat = w - side;
    int rest = body - MT_DASH_NEXT_H;                                   /* router and entropy share it */
    int entropy = clamp(n_layer + 3, MT_DASH_ENTROPY_MIN_H, rest - MT_DASH_ROUTER_MIN_H); /* a row per layer, header, box */
    int router = rest - entropy;
    if (router > MT_DASH_ROUTER_MAX_H) router = MT_DASH_ROUTER_MAX_H, entropy = rest - router;
    out->heatmap = (mt_rect){ 0, 0, heat, body };
    out->router = (mt_rect){ heat, 0, side, router };
    out->entropy = (mt_rect){ heat, router, side, entropy };
    out->next = (mt_rect){ heat, router + entropy, side, MT_DASH_NEXT_H };
    out->status = (mt_rect){ 0, body, w, 1 };
    return true;
}
