/* The explorer's and the tour's shared screen machinery (screen.h). */
#include "screen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "paths.h"
#include "tui/palette.h"
#include "tui/script.h"

int cli_screen_args(const cli_command *cmd, const cli_args *a, const char *no_terminal, int *w, int *h) {
    *w = 120;
    *h = 40;
    const char *size = cli_get(a, "--size");
    char extra;
    if (size && (sscanf(size, "%dx%d%c", w, h, &extra) != 2 || *w < 1 || *h < 1 || *w > 1000 || *h > 1000))
        return cli_usage_error(cmd, "--size: '%s' is not WxH (each 1..1000)", size);
    bool headless = cli_has(a, "--headless");
    if (!headless && (!isatty(0) || !isatty(1))) return cli_usage_error(cmd, "%s", no_terminal);
    if (!headless) { /* before anything is loaded or drawn: a terminal that cannot run it is refused in one line */
        char why[256];
        if (!mt_term_probe(1, w, h, why, sizeof why)) return cli_error(CLI_EXIT_USAGE, "terminal: %s", why);
        /* frames (a recording's header and first frame, a script's frames) are the terminal's size, whatever --size says */
    }
    const char *record = cli_get(a, "--record");
    size_t rlen = record ? strlen(record) : 0;
    if (record && (rlen < 5 || strcmp(record + rlen - 5, ".cast") != 0))
        return cli_usage_error(cmd, "--record: '%s' is not a .cast file (asciicast v2)", record);
    return 0;
}

int cli_screen_config(const cli_args *a, mt_config *cfg) {
    mt_err err;
    mt_config_defaults(cfg);
    char cfg_buf[4096];
    const char *cfg_path = cli_get(a, "--config");
    if (!cfg_path) cfg_path = mt_config_default_path(cfg_buf, sizeof cfg_buf);
    if (cfg_path && !mt_config_load(cfg_path, cfg, &err)) return cli_error(CLI_EXIT_USAGE, "%s", err.msg);
    return 0;
}

void cli_screen_setup_app(mt_app *app, const cli_args *a, const mt_config *cfg) {
    /* ASCII when asked, or (auto) when the locale cannot show UTF-8 */
    const char *lang = getenv("LC_ALL") && *getenv("LC_ALL") ? getenv("LC_ALL") : getenv("LC_CTYPE") && *getenv("LC_CTYPE") ? getenv("LC_CTYPE") : getenv("LANG");
    bool utf8_locale = lang && (strstr(lang, "UTF-8") || strstr(lang, "utf8") || strstr(lang, "UTF8"));
    app->ascii = cli_has(a, "--ascii") || cfg->ascii == MT_ASCII_YES || (cfg->ascii == MT_ASCII_AUTO && !utf8_locale && !cli_has(a, "--headless"));
    app->view = cfg->view;
    mt_palette_set((mt_ramp_kind)cfg->ramp, (mt_experts_kind)cfg->experts);
    app->generate_tokens = cfg->generate_tokens;
    app->temperature = (float)cfg->temperature;
    app->top_p = (float)cfg->top_p;
    app->seed = cfg->seed;
    char sets[4096];
    if (mt_default_prompts(sets, sizeof sets)) mt_app_load_prompt_sets(app, sets);
}

int cli_outputs_open(cli_outputs *o, const cli_args *a, const mt_config *cfg, int w, int h) {
    memset(o, 0, sizeof *o);
    o->export_format = cfg->export_format;
    o->export_dir = cfg->export_dir;
    const char *record = cli_get(a, "--record");
    if (!record) return 0;
    mt_err err;
    if (!mt_cast_open(&o->cast, record, w, h, &err)) return cli_error(CLI_EXIT_FAIL, "%s", err.msg);
    o->recording = true;
    return 0;
}

bool cli_write_frame(const char *path, const mt_grid *g) {
    mt_err err;
    if (mt_frame_write(path, g, &err)) return true;
    cli_error(CLI_EXIT_FAIL, "%s", err.msg);
    return false;
}

static bool same_frame(const mt_grid *a, const mt_grid *b) {
    if (a->w != b->w || a->h != b->h || !a->cells) return false;
    for (int i = 0; i < a->w * a->h; i++)
        if (a->cells[i].cp != b->cells[i].cp || a->cells[i].fg != b->cells[i].fg || a->cells[i].bg != b->cells[i].bg ||
            a->cells[i].attrs != b->cells[i].attrs)
            return false;
    return true;
}

bool cli_outputs_export(cli_outputs *o, mt_app *app, const mt_grid *g) {
    if (!app->export_requested) return false;
    app->export_requested = false;
    char path[1200];
    do snprintf(path, sizeof path, "%s/moetop-frame-%d.%s", o->export_dir, ++o->export_n, o->export_format);
    while (access(path, F_OK) == 0 && o->export_n < 100000);
    mt_err err;
    if (mt_frame_write(path, g, &err)) snprintf(app->message, sizeof app->message, "frame written to %.220s", path);
    else snprintf(app->message, sizeof app->message, "%.250s", err.msg);
    return true;
}

void cli_outputs_record(cli_outputs *o, const mt_grid *g, double t) {
    if (!o->recording || same_frame(&o->last, g)) return;
    mt_cast_frame(&o->cast, t, g);
    if (o->last.w != g->w || o->last.h != g->h) {
        mt_grid_free(&o->last);
        if (!mt_grid_init(&o->last, g->w, g->h)) return;
    }
    memcpy(o->last.cells, g->cells, sizeof *g->cells * (size_t)g->w * (size_t)g->h);
}

void cli_outputs_after_draw(cli_outputs *o, mt_app *app, mt_grid *g, double t) {
    if (cli_outputs_export(o, app, g)) mt_app_draw(app, g); /* the status line says where */
    cli_outputs_record(o, g, t);
}

int cli_outputs_close(cli_outputs *o, int rc) {
    if (o->recording) { /* a run that failed leaves no recording (and an old file at the path as it was) */
        mt_err err;
        if (rc) mt_cast_abort(&o->cast);
        else if (!mt_cast_close(&o->cast, &err)) rc = cli_error(CLI_EXIT_FAIL, "%s", err.msg);
        o->recording = false;
    }
    mt_grid_free(&o->last);
    return rc;
}

double cli_seconds_since(const struct timespec *t0) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) * 1e-9;
}

/* After a resize during work: the frame shown, at the terminal's new size
 * (what fits of the old one, the rest blank), so the bar spans the new
 * bottom line and the whole screen is painted again (mt_term_show). */
static void fit_shown(cli_progress_screen *p) {
    int w, h;
    mt_term_size(p->t, &w, &h);
    if (w == p->shown.w && h == p->shown.h) return;
    mt_grid fresh;
    if (!mt_grid_init(&fresh, w, h)) return;
    for (int y = 0; y < h && y < p->shown.h; y++)
        for (int x = 0; x < w && x < p->shown.w; x++) fresh.cells[y * w + x] = p->shown.cells[y * p->shown.w + x];
    mt_grid_free(&p->shown);
    p->shown = fresh;
}

bool cli_progress_screen_fn(void *user, uint64_t done, uint64_t total) {
    cli_progress_screen *p = user;
    if (done <= 1) {
        clock_gettime(CLOCK_MONOTONIC, &p->start);
        p->last_paint = 0;
    }
    double now = cli_seconds_since(&p->start);
    if (now < 0.1 || now - p->last_paint < 0.05) return true; /* short work: no bar, no polling */
    p->last_paint = now;
    int x = 0, y = 0, key;
    while ((key = mt_term_key(p->t, 0, &x, &y)) != 0) {
        if (key == MT_KEY_ESC) {
            p->app->cancel_requested = true;
            return false;
        }
        if (key > 0 && key != MT_KEY_CLICK && p->n_queued < 64) p->queued[p->n_queued++] = key;
        if (key == -1) fit_shown(p);
    }
    mt_grid *g = &p->shown;
    if (g->h < 1 || g->w < 20) return true;
    mt_rect line = { 0, g->h - 1, g->w, 1 };
    char text[128];
    int pct = total ? (int)(100 * done / total) : 0;
    snprintf(text, sizeof text, " computing %3d%%  %.1f s  Esc cancels ", pct, now);
    mt_grid_fill(g, line, ' ', 0x000000, 0xd0d0d0, 0);
    int used = mt_grid_text(g, line, 0, line.y, text, 0x000000, 0xd0d0d0, MT_ATTR_BOLD);
    int bar = g->w - used - 2, fill = total ? (int)((long long)bar * (long long)done / (long long)total) : 0;
    for (int i = 0; i < bar; i++) mt_grid_put(g, line, used + i, line.y, i < fill ? 0x2588 : 0x2591, 0x3b528b, 0xd0d0d0, 0);
    mt_term_show(p->t, g);
    return true;
}

void cli_progress_screen_shown(cli_progress_screen *p, const mt_grid *g) {
    if (p->shown.w != g->w || p->shown.h != g->h) {
        mt_grid_free(&p->shown);
        if (!mt_grid_init(&p->shown, g->w, g->h)) p->shown = (mt_grid){ 0 };
    }
    if (p->shown.cells) memcpy(p->shown.cells, g->cells, sizeof *g->cells * (size_t)g->w * (size_t)g->h);
}

int cli_progress_screen_next_key(cli_progress_screen *p) {
    if (!p->n_queued) return 0;
    int key = p->queued[0];
    memmove(p->queued, p->queued + 1, (size_t)--p->n_queued * sizeof *p->queued);
    return key;
}
