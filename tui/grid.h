/* The cell grid every view draws into: a terminal-sized array of cells, each
 * one glyph (a code point and the combining marks after it are not kept: a
 * cell holds one code point) with colours and attributes. Sinks turn a grid
 * into the terminal (ncurses), a text frame, or ANSI text. Views never touch
 * the terminal, so every frame can be tested and exported. */
#ifndef MT_GRID_H
#define MT_GRID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/bytes.h"

#define MT_COLOR_DEFAULT 0xff000000u /* the terminal's own colour */

enum { MT_ATTR_BOLD = 1, MT_ATTR_REVERSE = 2, MT_ATTR_UNDERLINE = 4, MT_ATTR_DIM = 8 };

typedef struct mt_cell {
    uint32_t cp;      /* the glyph; 0 in the right half of a wide glyph */
    uint32_t fg, bg;  /* 0xRRGGBB or MT_COLOR_DEFAULT */
    uint8_t attrs;
} mt_cell;

typedef struct mt_grid {
    int w, h;
    mt_cell *cells;
} mt_grid;

typedef struct mt_rect {
    int x, y, w, h;
} mt_rect;

bool mt_grid_init(mt_grid *g, int w, int h);
void mt_grid_free(mt_grid *g);
/* Every cell a blank with default colours. */
void mt_grid_clear(mt_grid *g);
/* What a cell holds for cp: controls (C0, DEL, C1, so U+0085 too) and the
 * line and paragraph separators U+2028, U+2029 become a space (they would
 * break a line of the screen or of a frame file for some reader: a frame is
 * H lines for Python's str.splitlines() too); noncharacters, surrogates and
 * values past U+10FFFF become U+FFFD (not text, and not allowed in SVG). Every
 * sink applies it again. */
uint32_t mt_cell_glyph(uint32_t cp);
/* One glyph at (x, y) (through mt_cell_glyph); a wide glyph that would cross
 * the right edge of clip becomes a space. Returns the cells used (0 outside). */
int mt_grid_put(mt_grid *g, mt_rect clip, int x, int y, uint32_t cp, uint32_t fg, uint32_t bg, uint8_t attrs);
/* UTF-8 text from (x, y), clipped; invalid bytes show as U+FFFD. Returns the
 * cells written. */
int mt_grid_text(mt_grid *g, mt_rect clip, int x, int y, const char *utf8, uint32_t fg, uint32_t bg, uint8_t attrs);
/* As mt_grid_text, but never cuts a word: text wider than the cells left in
 * clip from x shows its longest prefix of whole words (cut at a space) and
 * ".." after it. Returns the cells written. */
int mt_grid_words(mt_grid *g, mt_rect clip, int x, int y, const char *utf8, uint32_t fg, uint32_t bg, uint8_t attrs);
/* Every cell of r set to cp with the colours. */
void mt_grid_fill(mt_grid *g, mt_rect r, uint32_t cp, uint32_t fg, uint32_t bg, uint8_t attrs);

/* The frame as UTF-8 text: exactly h lines, each exactly w display cells. */
void mt_grid_to_text(const mt_grid *g, mt_bytes *out);

/* Display cells of UTF-8 text (wide glyphs 2, marks 0). */
int mt_text_width(const char *utf8);

#endif
