#include "args.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/locale_c.h"
#include "text.h"

/* "moetop: " and the message as one line (a file name with a newline in it
 * cannot split it: mt_one_line), then suffix and a newline. */
__attribute__((format(printf, 1, 0))) static void error_line(const char *fmt, va_list ap, const char *suffix) {
    char msg[4096], line[8192];
    vsnprintf(msg, sizeof msg, fmt, ap);
    fprintf(stderr, "moetop: %s%s\n", mt_one_line(msg, line, sizeof line), suffix);
}

int cli_error(int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    error_line(fmt, ap, "");
    va_end(ap);
    return code;
}

int cli_usage_error(const cli_command *cmd, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char suffix[1200];
    snprintf(suffix, sizeof suffix, " (usage: %s)", cmd->usage);
    error_line(fmt, ap, suffix);
    va_end(ap);
    return CLI_EXIT_USAGE;
}

void cli_print_help(const cli_command *cmd) {
    printf("usage: %s\n\n%s\n", cmd->usage, cmd->summary);
    if (cmd->opts[0].name) printf("\noptions:\n");
    for (const cli_opt *o = cmd->opts; o->name; o++) {
        char left[64];
        if (o->short_name) snprintf(left, sizeof left, "-%c, %s%s%s", o->short_name, o->name, o->value ? " " : "", o->value ? o->value : "");
        else snprintf(left, sizeof left, "    %s%s%s", o->name, o->value ? " " : "", o->value ? o->value : "");
        printf("  %-26s %s%s\n", left, o->help, o->repeat && !strstr(o->help, "repeatable") ? " (repeatable)" : "");
    }
    printf("  %-26s %s\n", "-h, --help", "show this help");
    if (cmd->details) printf("\n%s\n", cmd->details);
    if (cmd->definitions) {
        printf("\n%s:\n", cmd->definitions_title ? cmd->definitions_title : "definitions");
        for (const char *const *line = cmd->definitions; *line; line++) printf("  %s\n", *line);
    }
}

static int find_long(const cli_command *cmd, const char *name, size_t len) {
    for (int i = 0; cmd->opts[i].name; i++)
        if (strlen(cmd->opts[i].name) == len && strncmp(cmd->opts[i].name, name, len) == 0) return i;
    return -1;
}

static int find_short(const cli_command *cmd, char c) {
    for (int i = 0; cmd->opts[i].name; i++)
        if (cmd->opts[i].short_name == c) return i;
    return -1;
}

int cli_parse(const cli_command *cmd, int argc, char **argv, cli_args *out) {
    memset(out, 0, sizeof *out);
    out->cmd = cmd;
    bool only_positional = false;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (!only_positional && (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0)) {
            cli_print_help(cmd);
            return CLI_HELP_SHOWN;
        }
        if (!only_positional && strcmp(arg, "--") == 0) {
            only_positional = true;
            continue;
        }
        if (only_positional || arg[0] != '-' || arg[1] == 0) {
            if (out->n_positional >= cmd->max_positional || out->n_positional >= CLI_MAX_POSITIONAL)
                return cli_usage_error(cmd, "%s: unexpected argument", arg);
            out->positional[out->n_positional++] = arg;
            continue;
        }
        int idx;
        const char *inline_value = NULL;
        if (arg[1] == '-') {
            const char *eq = strchr(arg, '=');
            idx = find_long(cmd, arg, eq ? (size_t)(eq - arg) : strlen(arg));
            if (eq) inline_value = eq + 1;
        } else {
            idx = arg[2] == 0 ? find_short(cmd, arg[1]) : -1;
        }
        if (idx < 0) return cli_usage_error(cmd, "%s: unknown flag", arg);
        const cli_opt *o = &cmd->opts[idx];
        const char *value = "";
        if (o->value) {
            if (inline_value) value = inline_value;
            else if (i + 1 < argc) value = argv[++i];
            else return cli_usage_error(cmd, "%s: missing value %s", o->name, o->value);
        } else if (inline_value) {
            return cli_usage_error(cmd, "%s: takes no value", o->name);
        }
        if (o->value && !o->repeat && out->count[idx] > 0)
            return cli_usage_error(cmd, "%s: given twice ('%s', then '%s'); it takes one value", o->name, out->values[idx][0], value);
        if (out->count[idx] >= CLI_MAX_REPEAT) return cli_usage_error(cmd, "%s: given more than %d times", o->name, CLI_MAX_REPEAT);
        out->values[idx][out->count[idx]++] = value;
    }
    return CLI_OK;
}

static int opt_index(const cli_args *a, const char *name) {
    return find_long(a->cmd, name, strlen(name));
}

const char *cli_get(const cli_args *a, const char *name) {
    int i = opt_index(a, name);
    return i >= 0 && a->count[i] ? a->values[i][a->count[i] - 1] : NULL;
}

bool cli_has(const cli_args *a, const char *name) { return cli_get(a, name) != NULL; }

/* 0: a whole number in *x; 1: not one; 2: one too large for 64 bits. */
static int parse_u64(const char *v, unsigned long long *x) {
    char *end;
    errno = 0;
    *x = strtoull(v, &end, 10);
    if (end == v || *end || v[0] == '-' || v[0] == '+' || v[0] == ' ') return 1;
    return errno == ERANGE ? 2 : errno ? 1 : 0;
}

bool cli_get_u64(const cli_args *a, const char *name, uint64_t *out) {
    const char *v = cli_get(a, name);
    if (!v) return true;
    unsigned long long x;
    int bad = parse_u64(v, &x);
    if (bad) {
        if (bad == 2) cli_error(CLI_EXIT_USAGE, "%s: '%s' is larger than 18446744073709551615", name, v);
        else cli_error(CLI_EXIT_USAGE, "%s: '%s' is not a non-negative integer", name, v);
        return false;
    }
    *out = x;
    return true;
}

bool cli_get_u32(const cli_args *a, const char *name, uint32_t lo, uint32_t hi, uint32_t *out) {
    const char *v = cli_get(a, name);
    if (!v) return true; /* the caller's default stands */
    unsigned long long x;
    if (parse_u64(v, &x) || x < lo || x > hi) {
        cli_error(CLI_EXIT_USAGE, "%s: '%s' is not a whole number in %u..%u", name, v, lo, hi);
        return false;
    }
    *out = (uint32_t)x;
    return true;
}

bool cli_get_float(const cli_args *a, const char *name, float *out) {
    const char *v = cli_get(a, name);
    if (!v) return true;
    char *end;
    errno = 0;
    float x = mt_c_strtof(v, &end);
    if (errno || end == v || *end || !isfinite(x)) {
        cli_error(CLI_EXIT_USAGE, "%s: '%s' is not a number", name, v);
        return false;
    }
    *out = x;
    return true;
}
