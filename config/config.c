#include "config.h"

#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/lines.h"
#include "tui/app.h"
#include "tui/palette.h"
#include "engine/locale_c.h"

void mt_config_defaults(mt_config *c) {
    c->ascii = MT_ASCII_AUTO;
    c->colors = MT_COLORS_AUTO;
    c->view = MT_VIEW_DASHBOARD;
    c->generate_tokens = MT_GENERATE_TOKENS;
    snprintf(c->export_format, sizeof c->export_format, "svg");
    snprintf(c->export_dir, sizeof c->export_dir, ".");
    c->ramp = MT_RAMP_VIRIDIS;
    c->temperature = 0;
    c->top_p = 1;
    c->seed = 0;
    c->experts = MT_EXPERTS_TABLEAU;
    snprintf(c->backend, sizeof c->backend, "cpu");
    c->device[0] = '\0';
    c->threads = 0;
}

typedef struct loader {
    mt_config *c;
    mt_line_reader lines; /* what inih reads, line by line (engine/lines.h) */
    uint64_t line;        /* the line inih is on */
    uint64_t why_line;    /* the line `why` is about */
    char why[256];        /* a key's problem, said by handle() */
    mt_err *err;
    bool failed;          /* the reader stopped on an error, in err */
} loader;

/* inih's reader, in place of fgets: the next line (its line end made "\n"),
 * NULL at the end or on an error (a NUL byte, a line too long for inih). */
static char *next_line(char *str, int num, void *stream) {
    loader *l = stream;
    mt_line line;
    int got = l->failed ? 0 : mt_line_reader_next(&l->lines, &line, l->err);
    if (got <= 0) {
        l->failed |= got < 0;
        return NULL;
    }
    l->line = line.number;
    if (line.nul || num < 2 || line.len > (size_t)num - 2) {
        if (line.nul) mt_err_set(l->err, "%s:%llu: a NUL byte in the line", l->lines.name, (unsigned long long)line.number);
        else mt_err_set(l->err, "%s:%llu: the line is longer than %d bytes", l->lines.name, (unsigned long long)line.number, num - 2);
        l->failed = true;
        return NULL;
    }
    memcpy(str, line.text, line.len);
    str[line.len] = '\n';
    str[line.len + 1] = 0;
    return str;
}

static int choose(const char *value, const char *const *names, int n) {
    for (int i = 0; i < n; i++)
        if (strcmp(value, names[i]) == 0) return i;
    return -1;
}

static bool integer(const char *value, int lo, int hi, int *out) {
    char *end;
    long v = strtol(value, &end, 10);
    if (!*value || *end || v < lo || v > hi) return false;
    *out = (int)v;
    return true;
}

static bool real(const char *value, double lo, double hi, double *out) {
    char *end;
    double v = mt_c_strtod(value, &end);
    if (!*value || *end || !(v >= lo && v <= hi)) return false;
    *out = v;
    return true;
}

/* inih calls this for every name = value; 0 stops with the line number. */
static int handle(void *user, const char *section, const char *name, const char *value) {
    loader *l = user;
    static const char *const ascii[] = { "auto", "yes", "no" }, *const colors[] = { "auto", "truecolor", "256", "16", "none" };
    int v;
    if (strcmp(section, "display") == 0 && strcmp(name, "ascii") == 0) {
        if ((v = choose(value, ascii, 3)) < 0) goto bad;
        l->c->ascii = (mt_ascii_mode)v;
    } else if (strcmp(section, "display") == 0 && strcmp(name, "colors") == 0) {
        if ((v = choose(value, colors, 5)) < 0) goto bad;
        l->c->colors = (mt_colors_mode)v;
    } else if (strcmp(section, "explorer") == 0 && strcmp(name, "view") == 0) {
        if ((v = choose(value, mt_view_names, MT_VIEW_COUNT)) < 0) goto bad;
        l->c->view = v;
    } else if (strcmp(section, "explorer") == 0 && strcmp(name, "generate_tokens") == 0) {
        if (!integer(value, 1, 4096, &l->c->generate_tokens)) goto bad;
    } else if (strcmp(section, "explorer") == 0 && strcmp(name, "export_format") == 0) {
        static const char *const formats[] = { "svg", "ansi", "txt" };
        if ((v = choose(value, formats, 3)) < 0) goto bad;
        snprintf(l->c->export_format, sizeof l->c->export_format, "%s", formats[v]);
    } else if (strcmp(section, "explorer") == 0 && strcmp(name, "export_dir") == 0) {
        if (!*value || strlen(value) >= sizeof l->c->export_dir) goto bad;
        snprintf(l->c->export_dir, sizeof l->c->export_dir, "%s", value);
    } else if (strcmp(section, "explorer") == 0 && strcmp(name, "temperature") == 0) {
        if (!real(value, 0, 10, &l->c->temperature)) goto bad;
    } else if (strcmp(section, "explorer") == 0 && strcmp(name, "top_p") == 0) {
        if (!real(value, 1e-6, 1, &l->c->top_p)) goto bad;
    } else if (strcmp(section, "explorer") == 0 && strcmp(name, "seed") == 0) {
        char *end;
        errno = 0;
        if (!*value || *value == '-' || (l->c->seed = strtoull(value, &end, 10), *end) || errno) goto bad;
    } else if (strcmp(section, "theme") == 0 && strcmp(name, "ramp") == 0) {
        static const char *const ramps[] = { "viridis", "cividis" };
        if ((l->c->ramp = choose(value, ramps, 2)) < 0) goto bad;
    } else if (strcmp(section, "theme") == 0 && strcmp(name, "experts") == 0) {
        static const char *const palettes[] = { "tableau", "okabe-ito" };
        if ((l->c->experts = choose(value, palettes, 2)) < 0) goto bad;
    } else if (strcmp(section, "engine") == 0 && strcmp(name, "backend") == 0) {
        static const char *const backends[] = { "cpu", "vulkan" };
        if ((v = choose(value, backends, 2)) < 0) goto bad;
        snprintf(l->c->backend, sizeof l->c->backend, "%s", backends[v]);
    } else if (strcmp(section, "engine") == 0 && strcmp(name, "threads") == 0) {
        if (!*value) l->c->threads = 0;
        else if (!integer(value, 1, 1024, &l->c->threads)) goto bad;
    } else if (strcmp(section, "engine") == 0 && strcmp(name, "device") == 0) {
        if (*value && !integer(value, 0, 1023, &v)) goto bad;
        snprintf(l->c->device, sizeof l->c->device, "%s", *value ? value : "");
    } else {
        if (!l->why[0]) { /* inih reports the first error's line: keep the first why */
            snprintf(l->why, sizeof l->why, "unknown key '%.60s' in [%.40s]", name, section);
            l->why_line = l->line;
        }
        return 0;
    }
    return 1;
bad:
    if (!l->why[0]) {
        snprintf(l->why, sizeof l->why, "[%.40s] %.60s: '%.60s' is not a valid value (see config/moetop.ini)", section, name, value);
        l->why_line = l->line;
    }
    return 0;
}

/* Parses what l->lines gives. inih goes on after an error and returns the
 * first one's line: its why is handle()'s when handle() spoke about that line. */
static bool parse(loader *l) {
    int line = ini_parse_stream(next_line, l, handle, l);
    const char *name = l->lines.name;
    mt_line_reader_close(&l->lines);
    if (line == -2) mt_err_set(l->err, "%s: out of memory", name);
    else if (line > 0)
        mt_err_set(l->err, "%s:%d: %s", name, line,
                   l->why[0] && l->why_line == (uint64_t)line ? l->why : "not name = value, [section] or a ; comment");
    return line == 0 && !l->failed;
}

bool mt_config_load(const char *path, mt_config *c, mt_err *err) {
    loader l = { .c = c, .err = err };
    if (!mt_line_reader_open(&l.lines, path, 1 << 16, err)) return false;
    return parse(&l);
}

bool mt_config_parse(const char *text, size_t len, const char *name, mt_config *c, mt_err *err) {
    loader l = { .c = c, .err = err };
    mt_line_reader_mem(&l.lines, text, len, name);
    return parse(&l);
}

const char *mt_config_default_path(char *buf, size_t cap) {
    const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
    if (xdg && *xdg) snprintf(buf, cap, "%s/moetop/moetop.ini", xdg);
    else if (home && *home) snprintf(buf, cap, "%s/.config/moetop/moetop.ini", home);
    else return NULL;
    return access(buf, R_OK) == 0 ? buf : NULL;
}
