/* The terminal sink: shows a grid with ncursesw in 24-bit colour, 256, 16
 * or none (each cell's RGB mapped to the nearest the terminal has: see
 * color_map.h), redrawing only cells that changed since the last frame; and
 * reads keys and mouse clicks as the explorer's key codes. */
#ifndef MT_TERM_H
#define MT_TERM_H

#include <stdbool.h>
#include <stddef.h>

#include "color_map.h"
#include "grid.h"

typedef struct mt_term mt_term;

/* Whether the terminal on fd (with $TERM) can run the explorer, decided
 * from terminfo before anything is written to it: it must be known, not
 * hard-copy or generic, and able to move the cursor (cup); else false with
 * "TERM=dumb cannot move the cursor ..." in err. Also its size now, in
 * cells, as ncurses will find it ($COLUMNS/$LINES, the window, terminfo). */
bool mt_term_probe(int fd, int *w, int *h, char *err, size_t cap);

/* NULL with a message in err when the terminal cannot be used. */
mt_term *mt_term_open(mt_colors_mode colors, char *err, size_t cap);
/* "24-bit colour", "256 colours", "16 colours" or "no colour". */
const char *mt_term_depth_name(const mt_term *t);
void mt_term_close(mt_term *t);
/* The terminal's size now. */
void mt_term_size(mt_term *t, int *w, int *h);
/* Paints g (its size must be the terminal's): the cells that changed, or
 * every cell after a resize was read (even back to the same size). */
void mt_term_show(mt_term *t, const mt_grid *g);
/* The next key (an explorer key code), 0 on timeout, -1 on resize;
 * MT_KEY_CLICK with the cell in *x, *y for a left click; MT_KEY_PASTE for a
 * bracketed paste, its text kept for mt_term_paste_take. */
int mt_term_key(mt_term *t, int timeout_ms, int *x, int *y);
/* The text of the pastes since the last call (UTF-8, line ends as LF; ""
 * when none); the caller frees it; NULL when out of memory. */
char *mt_term_paste_take(mt_term *t);

#endif
