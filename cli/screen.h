/* What the explorer (cmd_explore.c) and the tour (cmd_tour.c) share on the
 * command line: --size, --record and --config read and checked alike; the
 * app set up from the configuration; frames recorded (asciicast v2) and
 * exported by X; and the progress bar that long work paints on the last
 * row of the frame shown, reading keys as it goes (Esc cancels). */
#ifndef MT_CLI_SCREEN_H
#define MT_CLI_SCREEN_H

#include <stdbool.h>
#include <time.h>

#include "args.h"
#include "config/config.h"
#include "tui/app.h"
#include "tui/frame_export.h"
#include "tui/term.h"

/* Where frames go besides the screen: a recording and the X key's exports. */
typedef struct cli_outputs {
    mt_cast cast;
    bool recording;
    mt_grid last;        /* the last recorded frame: only changes are recorded */
    const char *export_format, *export_dir;
    int export_n;
} cli_outputs;

/* --size WxH (default 120x40; each 1..1000), the terminal (none without
 * --headless: refused; one that cannot run the explorer: refused, else its
 * size replaces --size), --record's extension (.cast). 0, or an exit code
 * after printing one line (no_terminal: what to say when there is none). */
int cli_screen_args(const cli_command *cmd, const cli_args *a, const char *no_terminal, int *w, int *h);
/* --config FILE, else the default path; 0 or exit code 2 after the error. */
int cli_screen_config(const cli_args *a, mt_config *cfg);
/* The app's display settings from the configuration and --ascii (ASCII when
 * asked, or, auto, in a terminal whose locale cannot show UTF-8), the theme,
 * the completion's settings, and the bundled prompt sets (p, P). */
void cli_screen_setup_app(mt_app *app, const cli_args *a, const mt_config *cfg);
/* Starts the recording at --record (when given) at w x h; 0 or exit code 1
 * after "<path>: <why>". */
int cli_outputs_open(cli_outputs *o, const cli_args *a, const mt_config *cfg, int w, int h);
/* After each draw of the explorer: writes the frame when X asked (the next
 * free moetop-frame-N.EXT; the status line says where, so the app draws
 * again), then records the frame at time t (seconds) when it changed. */
void cli_outputs_after_draw(cli_outputs *o, mt_app *app, mt_grid *g, double t);
/* Its two halves, for a front end that draws more than the app: the X
 * export (true when one was asked for: the message changed, draw again),
 * and the recording. */
bool cli_outputs_export(cli_outputs *o, mt_app *app, const mt_grid *g);
void cli_outputs_record(cli_outputs *o, const mt_grid *g, double t);
/* Ends the recording: committed when rc is 0, dropped otherwise (the path
 * left as it was). Returns rc, or 1 after the error when the recording
 * could not be written. */
int cli_outputs_close(cli_outputs *o, int rc);
/* Writes a frame file; false after printing the error. */
bool cli_write_frame(const char *path, const mt_grid *g);

double cli_seconds_since(const struct timespec *t0);

/* Work longer than a frame (a prompt on a 20B model takes seconds on a CPU)
 * shows a progress bar on the last row of the frame shown and reads keys as
 * it goes: Esc cancels it (app->cancel_requested); other keys wait their
 * turn in queued. Install with mt_app_set_progress(app, cli_progress_screen_fn, p). */
typedef struct cli_progress_screen {
    mt_term *t;
    mt_app *app;
    mt_grid shown;        /* a copy of the last frame shown (work may start while the next is half drawn): its last row becomes the bar */
    struct timespec start;
    double last_paint;
    int queued[64], n_queued;
} cli_progress_screen;

bool cli_progress_screen_fn(void *user, uint64_t done, uint64_t total);
/* After a frame is shown: keeps a copy of it for the bar (resized with it). */
void cli_progress_screen_shown(cli_progress_screen *p, const mt_grid *g);
/* The oldest key typed during work (0 when none). */
int cli_progress_screen_next_key(cli_progress_screen *p);

#endif
