/* Output files: the one way moetop writes a file someone named (-o of every
 * command, --svg, --record, --export-frame, the explorer's X, synth's models,
 * profiles) and its own caches. What is at the path decides how:
 *
 * - "-": standard output (flushed at commit, never closed).
 * - a regular file, or nothing yet in an existing directory: the data goes to
 *   a new file in the same directory (unnamed, O_TMPFILE, where the file
 *   system allows; else a hidden ".NAME.XXXXXXXXXXXXXXXX.tmp"), which commit
 *   syncs and renames over the path. A reader sees the old file or the whole
 *   new one; a failed or aborted write leaves the old file as it was and no
 *   temporary file behind (an unnamed one also when the process is killed).
 *   An existing file keeps its permission bits (and its owner and group where
 *   the process may set them); a new one gets 0666 less the umask. An
 *   existing file the process may not write is refused (EACCES), as a shell's
 *   `>` would.
 * - a symbolic link: followed (at most 40 links) to the name it leads to, and
 *   the rule above applies there; the link stays a link. A link to a missing
 *   file creates that file (its directory must exist).
 * - a FIFO, a character or block device: opened and written through (no
 *   temporary file, no rename; opening a FIFO waits for its reader, as `>`
 *   does). A Unix stream socket: connected to and written through. A path
 *   through /proc (/dev/stdout, /dev/fd/N) names an open descriptor: written
 *   through, appending when it is a regular file.
 * - a directory, a missing directory, no permission: an error.
 *
 * Errors fill err with one line "<path>: <what failed>: <strerror(errno)>"
 * (the path as given, and where its links lead when they lead elsewhere).
 * Nothing here prints. */
#ifndef MT_OUTFILE_H
#define MT_OUTFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "error.h"

typedef enum mt_out_kind {
    MT_OUT_STDOUT,  /* "-" */
    MT_OUT_REPLACE, /* a temporary file renamed over target at commit */
    MT_OUT_THROUGH, /* a FIFO, device, socket or descriptor, written directly */
} mt_out_kind;

typedef struct mt_outfile_sink mt_outfile_sink;

typedef struct mt_outfile {
    FILE *f;          /* write here (binary); NULL once committed or aborted */
    mt_out_kind kind;
    char *path;       /* as given */
    char *target;     /* REPLACE: the name renamed over (path, or where its links lead) */
    char *tmp;        /* REPLACE: the temporary file's name; NULL while it is unnamed */
    bool proc_link;   /* REPLACE: an unnamed file, named at commit through /proc/self/fd */
    mt_outfile_sink *sink; /* REPLACE, THROUGH: the descriptor under f and its first write error */
} mt_outfile;

/* Opens path for writing by the rules above. False (and o holds nothing to
 * release) with err set. */
bool mt_outfile_open(mt_outfile *o, const char *path, mt_err *err);
/* Flushes and finishes: REPLACE syncs the data to disk and renames it into
 * place. Always releases o; false with err set when anything failed (a full
 * disk, a file-size limit, a broken pipe), and then the old file is intact. */
bool mt_outfile_commit(mt_outfile *o, mt_err *err);
/* Releases o without finishing: a REPLACE's temporary file is removed and
 * the old file left as it was (what went through to a FIFO, device or
 * standard output stays written). Safe on a released or zeroed o. */
void mt_outfile_abort(mt_outfile *o);

/* open + n bytes of data + commit. */
bool mt_outfile_write(const char *path, const void *data, size_t n, mt_err *err);

#endif
