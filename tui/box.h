/* A titled panel: a frame of box-drawing glyphs (or + - | with ascii) around
 * a rectangle, its title set into the top edge. */
#ifndef MT_BOX_H
#define MT_BOX_H

#include <stdbool.h>

#include "grid.h"

/* Draws the frame of r with the title in its top edge (cut to fit) and
 * returns the inside (r less one cell each side; w or h 0 when r is smaller
 * than 3x3, and nothing is drawn then). */
mt_rect mt_box(mt_grid *g, mt_rect r, const char *title, bool ascii);

#endif
