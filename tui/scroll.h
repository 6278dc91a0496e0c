/* Scrolling and panning: which part of a long list (tokens, layers, experts,
 * help lines) a view shows, and the position indicator that says so. Pure
 * functions: every view scrolls the same way, and tests check them alone. */
#ifndef MT_SCROLL_H
#define MT_SCROLL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "grid.h"

/* The first of n items to show in a window of `visible` so that `cursor`
 * is in it, moving `first` as little as possible (so the window does not
 * jump), and never leaving the window's end past n when the list is longer. */
uint32_t mt_scroll_follow(uint32_t first, uint32_t cursor, uint32_t visible, uint32_t n);
/* `first` clamped so a window of `visible` does not run past n (no cursor:
 * help, the generated tokens). */
uint32_t mt_scroll_clamp(int64_t first, uint32_t visible, uint32_t n);
/* "layers 12-23 of 36" (inclusive, 0-based as every id on screen); false,
 * and an empty text, when every item is shown. */
bool mt_scroll_note(char *out, size_t cap, const char *what, uint32_t first, uint32_t shown, uint32_t n);
/* Appends an axis's note to out when part of it is hidden:
 * "<layers 12-23 of 36 (h l)>", the arrows where more lies. */
void mt_scroll_append(char *out, size_t cap, const char *what, uint32_t first, uint32_t shown, uint32_t n, const char *keys); /* keys NULL: none shown */
/* Draws the notes right-aligned on row y of area, reversed (nothing when empty). */
void mt_scroll_show(mt_grid *g, mt_rect area, int y, const char *notes);
/* Decimal digits of v (1 for 0): the width an id takes, never cut. */
int mt_digits(uint32_t v);

#endif
