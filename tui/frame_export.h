/* Frames as files: plain text (.txt), ANSI text with 24-bit colour (.ansi,
 * `cat` it in a truecolor terminal), or SVG (.svg, for slides and docs); and
 * asciicast v2 recordings (.cast) of a session, one full frame per event. */
#ifndef MT_FRAME_EXPORT_H
#define MT_FRAME_EXPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "engine/bytes.h"
#include "engine/error.h"
#include "engine/outfile.h"
#include "grid.h"

/* ANSI SGR text: every line ends with a reset and "\r\n" when crlf (terminal
 * output, as in a recording), else "\n". */
void mt_grid_to_ansi(const mt_grid *g, bool crlf, mt_bytes *out);
/* A self-contained SVG: 8.4 x 17 px cells, monospace text, cell backgrounds. */
void mt_grid_to_svg(const mt_grid *g, mt_bytes *out);

/* True when the name ends in .txt, .ansi or .svg (the formats a frame can be written in). */
bool mt_frame_format_known(const char *path);
/* Writes the frame in the format the extension names, through mt_outfile
 * (engine/outfile.h: a regular file replaced atomically, a FIFO or device
 * written through). False with "<path>: <why>". */
bool mt_frame_write(const char *path, const mt_grid *g, mt_err *err);

/* An asciicast v2 recording being written. Times are seconds from the start. */
typedef struct mt_cast {
    mt_outfile out;      /* a regular file appears whole at mt_cast_close */
    FILE *f;             /* out.f while open, else NULL */
    int w, h;            /* the size recorded so far */
    bool started;        /* the header is written */
    long long timestamp; /* when it was opened (Unix seconds) */
    bool failed;         /* a frame could not be encoded (out of memory) */
} mt_cast;

/* Starts the recording; the header is written with the first frame and says
 * its size (w x h only when no frame is ever recorded). False with
 * "<path>: <why>". */
bool mt_cast_open(mt_cast *c, const char *path, int w, int h, mt_err *err);
/* One output event at time t: the whole frame (cursor home, then its lines);
 * a frame of another size than the last is preceded by a resize event
 * [t, "r", "WxH"]. */
void mt_cast_frame(mt_cast *c, double t, const mt_grid *g);
/* Flushes and commits the file; false with "<path>: <why>" when any write
 * failed (then an existing file at the path is left as it was). */
bool mt_cast_close(mt_cast *c, mt_err *err);
/* Drops the recording: the path is left as it was (a FIFO keeps what it got). */
void mt_cast_abort(mt_cast *c);

#endif
