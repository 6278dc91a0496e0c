#include "jsonl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "input.h"

int cli_jsonl_open(cli_jsonl *r, const char *path) {
    mt_err err;
    memset(r, 0, sizeof *r);
    r->path = path;
    if (!mt_line_reader_open(&r->lines, path, MT_MAX_TEXT_BYTES, &err)) return cli_error(CLI_EXIT_USAGE, "%s", err.msg);
    return 0;
}

int cli_jsonl_error(const char *path, uint64_t line, const char *fmt, ...) {
    char why[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    return cli_error(CLI_EXIT_USAGE, "%s:%llu: %s", path, (unsigned long long)line, why);
}

int cli_jsonl_next(cli_jsonl *r, jv **rec) {
    *rec = NULL;
    mt_err err;
    mt_line l;
    for (int got; (got = mt_line_reader_next(&r->lines, &l, &err)) != 0;) {
        if (got < 0) return cli_error(CLI_EXIT_USAGE, "%s", err.msg);
        if (mt_line_is_blank(l.text, l.len)) continue;
        r->line = l.number;
        if (l.nul) return cli_jsonl_error(r->path, l.number, "a NUL byte in the line");
        char why[200];
        jv *v = jv_parse(l.text, l.len, why, sizeof why);
        if (!v) return why[0] ? cli_jsonl_error(r->path, l.number, "%s", why) : cli_error(CLI_EXIT_FAIL, "%s: out of memory", r->path);
        if (v->kind != JV_OBJ) {
            jv_free(v);
            return cli_jsonl_error(r->path, l.number, "not a JSON object");
        }
        *rec = v;
        return 0;
    }
    return 0;
}

void cli_jsonl_close(cli_jsonl *r) { mt_line_reader_close(&r->lines); }

int cli_jsonl_read(const char *path, cli_jsonl_records *out) {
    memset(out, 0, sizeof *out);
    cli_jsonl r;
    int rc = cli_jsonl_open(&r, path);
    for (jv *v; !rc && !(rc = cli_jsonl_next(&r, &v)) && v;) {
        jv **items = realloc(out->items, (out->n + 1) * sizeof *items);
        if (items) out->items = items;
        uint64_t *lines = items ? realloc(out->lines, (out->n + 1) * sizeof *lines) : NULL;
        if (lines) out->lines = lines;
        if (!items || !lines) {
            jv_free(v);
            rc = cli_error(CLI_EXIT_FAIL, "%s: out of memory", path);
            break;
        }
        out->items[out->n] = v;
        out->lines[out->n++] = r.line;
    }
    cli_jsonl_close(&r);
    if (rc) cli_jsonl_records_free(out);
    return rc;
}

void cli_jsonl_records_free(cli_jsonl_records *recs) {
    for (size_t i = 0; i < recs->n; i++) jv_free(recs->items[i]);
    free(recs->items);
    free(recs->lines);
    memset(recs, 0, sizeof *recs);
}
