#include "problems_io.h"

#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/args.h"
#include "cli/input.h"
#include "cli/json_read.h"
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

static int parse_record(const char *path, size_t line_no, const char *line, size_t n, mt_problem *out) {
    char why[200];
    jv *v = jv_parse(line, n, why, sizeof why);
    if (!v) return cli_error(CLI_EXIT_USAGE, "%s:%zu: %s", path, line_no, why);
    int rc = 0;
    const jv *prompt = jv_get(v, "prompt"), *answer = jv_get(v, "answer"), *chat = jv_get(v, "chat");
    char number[32];
    if (v->kind != JV_OBJ) rc = cli_error(CLI_EXIT_USAGE, "%s:%zu: not a JSON object", path, line_no);
    else if (!prompt || prompt->kind != JV_STR || prompt->len == 0)
        rc = cli_error(CLI_EXIT_USAGE, "%s:%zu: \"prompt\" must be a non-empty string", path, line_no);
    else if (!answer || !(answer->kind == JV_STR || (answer->kind == JV_NUM && answer->num == (double)(int64_t)answer->num)) ||
             (answer->kind == JV_STR && answer->len == 0))
        rc = cli_error(CLI_EXIT_USAGE, "%s:%zu: \"answer\" must be a non-empty string or an integer", path, line_no);
    else if (chat && chat->kind != JV_BOOL) rc = cli_error(CLI_EXIT_USAGE, "%s:%zu: \"chat\" must be true or false", path, line_no);
    if (!rc) {
        if (answer->kind == JV_NUM) snprintf(number, sizeof number, "%" PRId64, (int64_t)answer->num);
        const char *ans = answer->kind == JV_STR ? answer->str : number;
        out->prompt = malloc(prompt->len + 1);
        out->answer = strdup(ans);
        if (!out->prompt || !out->answer) rc = cli_error(CLI_EXIT_FAIL, "out of memory");
        else {
            memcpy(out->prompt, prompt->str, prompt->len + 1);
            out->prompt_len = prompt->len;
            out->chat = chat && chat->b;
        }
    }
    jv_free(v);
    return rc;
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
    size_t len;
    char *text = mt_read_text_file(file, &len);
    if (!text) return CLI_EXIT_USAGE;
    int rc = 0;
    size_t line_no = 0;
    for (size_t pos = 0; pos < len && !rc;) {
        size_t eol = pos;
        while (eol < len && text[eol] != '\n') eol++;
        line_no++;
        size_t n = eol - pos;
        if (n && text[pos + n - 1] == '\r') n--;
        bool blank = true;
        for (size_t i = 0; i < n; i++) blank &= text[pos + i] == ' ' || text[pos + i] == '\t';
        if (!blank) {
            mt_problem *grown = realloc(out->items, (out->n + 1) * sizeof *grown);
            if (!grown) rc = cli_error(CLI_EXIT_FAIL, "out of memory");
            else {
                out->items = grown;
                memset(&out->items[out->n], 0, sizeof *out->items);
                rc = parse_record(file, line_no, text + pos, n, &out->items[out->n]);
                out->n++;
            }
        }
        pos = eol + 1;
    }
    free(text);
    if (!rc && out->n == 0) rc = cli_error(CLI_EXIT_USAGE, "%s: the problem set holds no problems", file);
    if (rc) cli_problems_free(out);
    return rc;
}
