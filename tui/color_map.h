/* How many colours the terminal shows, and each RGB colour's nearest in
 * that many: 24-bit (direct-colour terminfo entries), the xterm-256 cube and
 * grey ramp, the 16 ANSI colours, or none. Pure functions, so tested
 * without a terminal. */
#ifndef MT_COLOR_MAP_H
#define MT_COLOR_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What the configuration asks for (config [display] colors). */
typedef enum { MT_COLORS_AUTO, MT_COLORS_TRUE, MT_COLORS_256, MT_COLORS_16, MT_COLORS_NONE } mt_colors_mode;

typedef enum { MT_DEPTH_NONE, MT_DEPTH_16, MT_DEPTH_256, MT_DEPTH_TRUE } mt_color_depth;

/* The xterm-256 index nearest to 0xRRGGBB (16..255: the 6x6x6 cube or the
 * grey ramp; 0..15 left out, as terminals redefine them), nearest by
 * Euclidean distance in OKLab (tui/oklab.h); the lower index of equals. */
int mt_color_to_256(uint32_t rgb);
/* The ANSI colour nearest to 0xRRGGBB in OKLab (0..15, xterm's default
 * palette); of 0..7 when only 8. */
int mt_color_to_16(uint32_t rgb, int n_colors);

/* Whether COLORTERM asks for 24-bit colour ("truecolor" or "24bit"). */
bool mt_colorterm_truecolor(const char *colorterm);
/* The direct-colour terminfo name for TERM: TERM itself when it is one
 * (ends in "-direct"), else its family ("xterm-256color" -> "xterm-direct",
 * "tmux-256color" -> "tmux-direct"). False when TERM is empty or too long. */
bool mt_direct_term_name(const char *term, char *out, size_t cap);
/* The depth a terminal reporting n_colors colours shows (ncurses' COLORS). */
mt_color_depth mt_depth_for_colors(int n_colors);

#endif
