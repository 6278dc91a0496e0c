/* Text lines: the one way moetop reads a text file line by line (prompt
 * sets, key scripts, the configuration, JSON Lines), with the rules of
 * shared/contracts/cli.md (Prompt sets):
 * - a line ends at LF, at CRLF (one line end) or at a lone CR;
 * - a UTF-8 byte-order mark (EF BB BF) at the very start is dropped;
 * - only the line end is removed: spaces, tabs and every other byte stay;
 * - a last line without a line end is still a line; an empty input has no
 *   lines, and a line end at the end of the input starts no empty line;
 * - a NUL byte stays in its line and is reported (mt_line.nul), so each reader
 *   can refuse "a NUL byte in line N" or keep it;
 * - a line has no length limit here (a reader may set one).
 * Lines point into the input; nothing is copied. (`--prompt-file` and
 * `tokenize -f` read a file's exact bytes and never come here.) */
#ifndef MT_LINES_H
#define MT_LINES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bytes.h"
#include "error.h"

typedef struct mt_line {
    const char *text; /* the line's first byte, inside the input; not NUL-terminated */
    size_t len;       /* bytes, without the line end */
    size_t end_len;   /* the line end's bytes at text[len..]: 1 (LF or CR), 2 (CRLF), 0 (the last line had none) */
    uint64_t number;  /* from 1: the first line of the input is 1 */
    const char *nul;  /* the first NUL byte in text[0..len), or NULL */
} mt_line;

/* An iterator over the lines of data[0..len). `more`: more input may follow
 * (streaming, see mt_line_reader); then a line not yet ended, or ended by a
 * CR that is the last byte (a LF may follow), is held back. */
typedef struct mt_lines {
    const char *data;
    size_t len;
    size_t pos;      /* the next line's first byte */
    uint64_t number; /* lines given so far */
    bool more;
    bool started;    /* the byte-order mark question is settled */
} mt_lines;

void mt_lines_init(mt_lines *r, const char *data, size_t len);
/* The next line into *line; false at the end of the input (or, with r->more,
 * when the rest must wait for more input: r->pos says how much was used). */
bool mt_lines_next(mt_lines *r, mt_line *line);
/* True when text[0..len) holds only spaces and tabs (or nothing). */
bool mt_line_is_blank(const char *text, size_t len);

/* Prompt sets: a prompt is a maximal run of non-blank lines (mt_line_is_blank),
 * its lines joined with "\n" whatever the file's line ends. */
typedef struct mt_prompt_span {
    uint64_t first_line; /* the prompt's first line number */
    uint64_t nul_line;   /* the first of its lines holding a NUL byte, or 0 */
} mt_prompt_span;

/* The next prompt from r: its text replaces buf's bytes (not NUL-terminated;
 * buf->oom says an append failed). False at the end of the input. Every call
 * that returns true uses at least one line. */
bool mt_prompt_next(mt_lines *r, mt_bytes *buf, mt_prompt_span *span);

/* Lines of a file read in pieces, or of a buffer in memory, with the same rules. */
typedef struct mt_line_reader {
    mt_lines it;
    FILE *f;         /* NULL: reading memory (it holds everything) */
    const char *name;/* for messages */
    char *buf;       /* file: bytes read and not yet given, from buf[0] */
    size_t cap, max_len;
    bool eof;
} mt_line_reader;

/* Reading data[0..len) (name is for messages; no limit on a line). */
void mt_line_reader_mem(mt_line_reader *r, const char *data, size_t len, const char *name);
/* Opens path; lines longer than max_len bytes are an error. False with
 * "<path>: cannot open: <why>". */
bool mt_line_reader_open(mt_line_reader *r, const char *path, size_t max_len, mt_err *err);
/* 1: the next line in *line (valid until the next call); 0: the end;
 * -1: an error in err ("<name>: read failed: <why>", "<name>:<N>: the line
 * is longer than <max_len> bytes", "<name>: out of memory"). */
int mt_line_reader_next(mt_line_reader *r, mt_line *line, mt_err *err);
void mt_line_reader_close(mt_line_reader *r);

#endif
