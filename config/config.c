#include "config.h"

#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tui/app.h"
#include "tui/palette.h"
#include "engine/locale_c.h"

void mt_config_defaults(mt_config *c) {
    c->ascii = MT_ASCII_AUTO;
    c->colors = MT_COLORS_AUTO;
    c->view = MT_VIEW_HEATMAP;
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
}

typedef struct loader {
    mt_config *c;
    char why[256]; /* the first problem */
} loader;

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
    } else if (strcmp(section, "engine") == 0 && strcmp(name, "device") == 0) {
        if (*value && !integer(value, 0, 1023, &v)) goto bad;
        snprintf(l->c->device, sizeof l->c->device, "%s", *value ? value : "");
    } else {
        snprintf(l->why, sizeof l->why, "unknown key '%.60s' in [%.40s]", name, section);
        return 0;
    }
    return 1;
bad:
    snprintf(l->why, sizeof l->why, "[%.40s] %.60s: '%.60s' is not a valid value (see config/moetop.ini)", section, name, value);
    return 0;
}

/* inih's result as an error naming the file and line. */
static bool report(int line, const loader *l, const char *name, mt_err *err) {
    if (line == 0) return true;
    if (line == -1) mt_err_set(err, "%s: cannot open", name);
    else if (line == -2) mt_err_set(err, "%s: out of memory", name);
    else mt_err_set(err, "%s:%d: %s", name, line, l->why[0] ? l->why : "not name = value, [section] or a ; comment");
    return false;
}

bool mt_config_load(const char *path, mt_config *c, mt_err *err) {
    loader l = { c, "" };
    return report(ini_parse(path, handle, &l), &l, path, err);
}

bool mt_config_parse(const char *text, size_t len, const char *name, mt_config *c, mt_err *err) {
    const char *nul = memchr(text, 0, len);
    if (nul) {
        int line = 1;
        for (const char *p = text; p < nul; p++) line += *p == '\n';
        mt_err_set(err, "%s:%d: a NUL byte in the line", name, line);
        return false;
    }
    char *copy = malloc(len + 1);
    if (!copy) {
        mt_err_set(err, "%s: out of memory", name);
        return false;
    }
    memcpy(copy, text, len);
    copy[len] = 0;
    loader l = { c, "" };
    bool ok = report(ini_parse_string(copy, handle, &l), &l, name, err);
    free(copy);
    return ok;
}

const char *mt_config_default_path(char *buf, size_t cap) {
    const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
    if (xdg && *xdg) snprintf(buf, cap, "%s/moetop/moetop.ini", xdg);
    else if (home && *home) snprintf(buf, cap, "%s/.config/moetop/moetop.ini", home);
    else return NULL;
    return access(buf, R_OK) == 0 ? buf : NULL;
}
