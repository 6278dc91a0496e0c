/* Titled panels (tui/box.h). */
#include "box.h"

#include <string.h>

#define FRAME 0x808080 /* the frame's colour: present, never louder than the data */

mt_rect mt_box(mt_grid *g, mt_rect r, const char *title, bool ascii) {
    if (r.w < 3 || r.h < 3) return (mt_rect){ r.x, r.y, 0, 0 };
    uint32_t h = ascii ? '-' : 0x2500, v = ascii ? '|' : 0x2502;
    uint32_t tl = ascii ? '+' : 0x256d, tr = ascii ? '+' : 0x256e, bl = ascii ? '+' : 0x2570, br = ascii ? '+' : 0x256f;
    int x1 = r.x + r.w - 1, y1 = r.y + r.h - 1;
    for (int x = r.x + 1; x < x1; x++) {
        mt_grid_put(g, r, x, r.y, h, FRAME, MT_COLOR_DEFAULT, 0);
        mt_grid_put(g, r, x, y1, h, FRAME, MT_COLOR_DEFAULT, 0);
    }
    for (int y = r.y + 1; y < y1; y++) {
        mt_grid_put(g, r, r.x, y, v, FRAME, MT_COLOR_DEFAULT, 0);
        mt_grid_put(g, r, x1, y, v, FRAME, MT_COLOR_DEFAULT, 0);
    }
    mt_grid_put(g, r, r.x, r.y, tl, FRAME, MT_COLOR_DEFAULT, 0);
    mt_grid_put(g, r, x1, r.y, tr, FRAME, MT_COLOR_DEFAULT, 0);
    mt_grid_put(g, r, r.x, y1, bl, FRAME, MT_COLOR_DEFAULT, 0);
    mt_grid_put(g, r, x1, y1, br, FRAME, MT_COLOR_DEFAULT, 0);
    if (title && *title && r.w > 6) { /* " title " from the third cell, clipped before the corner */
        mt_rect edge = { r.x + 2, r.y, r.w - 4, 1 };
        int used = mt_grid_put(g, edge, edge.x, r.y, ' ', MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, 0);
        used += mt_grid_text(g, edge, edge.x + used, r.y, title, MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, MT_ATTR_BOLD);
        mt_grid_put(g, edge, edge.x + used, r.y, ' ', MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, 0);
    }
    return (mt_rect){ r.x + 1, r.y + 1, r.w - 2, r.h - 2 };
}
