/* The edit line (the prompt, a condition's name): one row that scrolls
 * sideways so the cursor is always on it, however long the text. */
#ifndef MT_EDIT_LINE_H
#define MT_EDIT_LINE_H

#include <stdbool.h>
#include <stddef.h>

#include "grid.h"

/* The first text column shown in width cells when the cursor is at column
 * cursor (both in display cells from the text's start): 0 while the cursor
 * fits in the first width - 1 cells, else a multiple of half the width
 * (jumps of half a line, so the text does not crawl) that puts the cursor in
 * cells 1 .. width - 2, clear of the '<' and '>' marks of hidden text. */
int mt_edit_line_first_column(int cursor, int width);

/* Draws label then text into row r.y of r, scrolled by the rule above, the
 * cursor (byte offset at) in reverse video; '<' / '>' mark text hidden to
 * the left / right. A newline shows as U+21B5 and a tab as U+2192 ('|' and
 * '>' with ascii), one cell each. */
void mt_edit_line_draw(mt_grid *g, mt_rect r, const char *label, const char *text, size_t at, bool ascii);

#endif
