/* JSON Lines (jsonlines.org): one JSON object per line, read line by line
 * through engine/lines.h (LF, CRLF or CR line ends, a byte-order mark at the
 * start dropped), so a file of any size streams. Blank lines (only spaces and
 * tabs) are skipped. Every error is one stderr line "moetop: FILE:LINE: why"
 * (a NUL byte, the JSON reader's complaint, not an object, a line over
 * MT_MAX_TEXT_BYTES). The one reader of JSON Lines: profile's --data, and the
 * problem sets (eval) and documents (ppl --data) to come. */
#ifndef MT_JSONL_H
#define MT_JSONL_H

#include <stddef.h>
#include <stdint.h>

#include "engine/lines.h"
#include "json_read.h"

typedef struct cli_jsonl {
    const char *path;
    mt_line_reader lines;
    uint64_t line; /* the line of the record cli_jsonl_next gave last */
} cli_jsonl;

/* 0, or an exit code after printing "moetop: FILE: cannot open: <why>". */
int cli_jsonl_open(cli_jsonl *r, const char *path);
/* The next record: 0 with *rec a JSON object (the caller frees it with
 * jv_free) from line r->line; 0 with *rec NULL at the end of the file; or an
 * exit code after printing the error (*rec NULL). */
int cli_jsonl_next(cli_jsonl *r, jv **rec);
void cli_jsonl_close(cli_jsonl *r);

/* A whole file's records, in file order, each with its line. */
typedef struct cli_jsonl_records {
    jv **items;
    uint64_t *lines;
    size_t n;
} cli_jsonl_records;

/* 0, or an exit code after printing the error (out is then empty). */
int cli_jsonl_read(const char *path, cli_jsonl_records *out);
void cli_jsonl_records_free(cli_jsonl_records *recs);

/* For a record's callers: prints "moetop: FILE:LINE: <why>" and returns
 * CLI_EXIT_USAGE (a field missing or of the wrong kind). */
int cli_jsonl_error(const char *path, uint64_t line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
