/* Helpers for tests that run the moetop binary. */
#ifndef MT_CLI_UTIL_H
#define MT_CLI_UTIL_H

#include "cli/json_read.h"
#include "proc.h"

/* Runs moetop with up to 15 arguments (NULL-terminated list). */
proc_result run_moetop(const char *arg, ...);
/* True when r failed with exit 2 and exactly one stderr line "moetop: ...". */
bool is_clean_usage_error(const proc_result *r);
/* Runs `moetop info --json -m path` and parses it; NULL (and a failed check) otherwise. */
jv *info_json(const char *path);

#endif
