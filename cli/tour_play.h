/* The tour in a terminal (cmd_tour.c's interactive half): the preparation
 * with its progress on screen, then the scenes on the wall clock, paused and
 * stepped by keys (tui/tour.h); and the scene frames both halves write. */
#ifndef MT_CLI_TOUR_PLAY_H
#define MT_CLI_TOUR_PLAY_H

#include <stddef.h>

#include "screen.h"
#include "tui/tour.h"

/* --frames DIR: each scene's last frame drawn, written at the end as
 * DIR/scene-01.EXT ... (only the scenes shown). */
typedef struct cli_tour_frames {
    const char *dir, *ext; /* dir NULL: none kept */
    mt_grid *grids;        /* [n], cells NULL until drawn */
    size_t n;
} cli_tour_frames;

void cli_tour_frames_keep(cli_tour_frames *f, size_t scene, const mt_grid *g);
/* Writes them when rc is 0 and frees them; returns rc, or 1 after an error. */
int cli_tour_frames_write(cli_tour_frames *f, int rc);

/* The line and exit code of a failed mt_tour_build: a problem past the
 * context is bad input (2, as in eval), the rest a failed run (1). */
int cli_tour_build_error(const mt_err *err, const char *problems_name);

/* Builds the tour on screen (Esc or q during it: quits, 0), then plays it
 * from scene first (0-based), each scene seconds long, until q. 0, or an
 * exit code after one line. */
int cli_tour_play(mt_tour *t, mt_app *app, const mt_tour_inputs *in, mt_grid *g, mt_colors_mode colors, cli_outputs *out,
                  cli_tour_frames *frames, double seconds, size_t first);

#endif
