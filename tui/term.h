/* The terminal sink: shows a grid with ncursesw, in 256 colours (the nearest
 * xterm-256 colour to each cell's RGB) or none, redrawing only cells that
 * changed since the last frame; and reads keys as the explorer's key codes. */
#ifndef MT_TERM_H
#define MT_TERM_H

#include <stdbool.h>

#include "grid.h"

typedef struct mt_term mt_term;

/* NULL with a message in err when the terminal cannot be used; colors false: monochrome. */
mt_term *mt_term_open(bool colors, char *err, size_t cap);
void mt_term_close(mt_term *t);
/* The terminal's size now. */
void mt_term_size(mt_term *t, int *w, int *h);
/* Paints g (its size must be the terminal's). */
void mt_term_show(mt_term *t, const mt_grid *g);
/* The next key (an explorer key code), 0 on timeout, -1 on resize. */
int mt_term_key(mt_term *t, int timeout_ms);

#endif
