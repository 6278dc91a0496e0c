/* Problem sets for `moetop eval`: JSON Lines of {"prompt": "...", "answer":
 * "...", "chat": false} (answer may also be a JSON integer; chat defaults to
 * false; other keys are ignored), from a file or, by NAME, a built-in set of
 * assets/problems/NAME.jsonl. Blank lines are skipped. */
#ifndef MT_PROBLEMS_IO_H
#define MT_PROBLEMS_IO_H

#include <stddef.h>

#include "experiments/eval.h"

typedef struct cli_problems {
    mt_problem *items;
    size_t n;
    char name[256]; /* the set's name as given, for headings */
} cli_problems;

/* 0, or an exit code after printing "moetop: FILE:LINE: why". */
int cli_problems_load(const char *file_or_name, cli_problems *out);
void cli_problems_free(cli_problems *p);

/* The built-in sets' names, comma-separated, for help and errors. */
void cli_problems_builtin(char *out, size_t cap);

#endif
