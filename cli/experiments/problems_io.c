#include "problems_io.h"

#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/args.h"
#include "cli/jsonl.h"
#include "cli/paths.h"

void cli_problems_free(cli_problems *p) {
    for (size_t i = 0; i < p->n; i++) {
        free(p->items[i].prompt);
        free(p->items[i].answer);
    }
    free(p->items);
    memset(p, 0, sizeof *p);
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

void cli_problems_builtin(char *out, size_t cap) {
    char dir[4096];
    out[0] = 0;
    if (!mt_problems_dir(dir, sizeof dir)) return;
    DIR *d = opendir(dir);
    if (!d) return;
    char *names[256];
    size_t n = 0;
    for (struct dirent *e; (e = readdir(d)) && n < 256;) {
        size_t len = strlen(e->d_name);
        if (e->d_name[0] != '.' && len > 6 && strcmp(e->d_name + len - 6, ".jsonl") == 0 && (names[n] = strndup(e->d_name, len - 6))) n++;
    }
    closedir(d);
    qsort(names, n, sizeof *names, by_name);
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        int w = snprintf(out + used, cap - used, "%s%s", i ? ", " : "", names[i]);
        if (w > 0 && (size_t)w < cap - used) used += (size_t)w;
        free(names[i]);
    }
}

/* A built-in NAME (letters, digits, '-', '_') that is not a file here. */
static bool builtin_path(const char *name, char *out, size_t cap) {
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_')) return false;
    char dir[4096];
    struct stat st;
    return mt_problems_dir(dir, sizeof dir) && (size_t)snprintf(out, cap, "%s/%s.jsonl", dir, name) < cap && stat(out, &st) == 0;
}

static int parse_record(const char *path, uint64_t line_no, const jv *v, mt_problem *out) {
    const jv *prompt = jv_get(v, "prompt"), *answer = jv_get(v, "answer"), *chat = jv_get(v, "chat");
    if (!prompt || prompt->kind != JV_STR || prompt->len == 0) return cli_jsonl_error(path, line_no, "\"prompt\" must be a non-empty string");
    if (!answer || !(answer->kind == JV_STR || (answer->kind == JV_NUM && answer->num == (double)(int64_t)answer->num)) ||
        (answer->kind == JV_STR && answer->len == 0))
        return cli_jsonl_error(path, line_no, "\"answer\" must be a non-empty string or an integer");
    if (chat && chat->kind != JV_BOOL) return cli_jsonl_error(path, line_no, "\"chat\" must be true or false");
    char number[32];
    if (answer->kind == JV_NUM) snprintf(number, sizeof number, "%" PRId64, (int64_t)answer->num);
    out->prompt = malloc(prompt->len + 1);
    out->answer = strdup(answer->kind == JV_STR ? answer->str : number);
    if (!out->prompt || !out->answer) return cli_error(CLI_EXIT_FAIL, "out of memory");
    memcpy(out->prompt, prompt->str, prompt->len + 1);
    out->prompt_len = prompt->len;
    out->chat = chat && chat->b;
    return 0;
}

int cli_problems_load(const char *given, cli_problems *out) {
    memset(out, 0, sizeof *out);
    snprintf(out->name, sizeof out->name, "%s", given);
    char path[4096];
    struct stat st;
    const char *file = given;
    if (stat(given, &st) != 0 && builtin_path(given, path, sizeof path)) file = path;
    else if (stat(given, &st) != 0) {
        char names[2048];
        cli_problems_builtin(names, sizeof names);
        return cli_error(CLI_EXIT_USAGE, "--problems: '%s' is neither a file nor a built-in set (%s)", given, names[0] ? names : "none installed");
    }
    cli_jsonl_records recs;
    int rc = cli_jsonl_read(file, &recs);
    if (rc) return rc;
    if (recs.n && !(out->items = calloc(recs.n, sizeof *out->items))) rc = cli_error(CLI_EXIT_FAIL, "out of memory");
    for (size_t i = 0; !rc && i < recs.n; i++) {
        rc = parse_record(file, recs.lines[i], recs.items[i], &out->items[i]);
        out->n++;
    }
    cli_jsonl_records_free(&recs);
    if (!rc && out->n == 0) rc = cli_error(CLI_EXIT_USAGE, "%s: the problem set holds no problems", file);
    if (rc) cli_problems_free(out);
    return rc;
}
