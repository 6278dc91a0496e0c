/* The explorer (`moetop` with no command): in the terminal, or headless: it
 * plays a key script with no terminal and writes the final frame
 * (shared/contracts/cli.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "args.h"
#include "commands.h"
#include "input.h"
#include "model_args.h"
#include "paths.h"
#include "config/config.h"
#include "tui/app.h"
#include "tui/frame_export.h"
#include "tui/palette.h"
#include "tui/script.h"
#include "tui/term.h"
#include "engine/utf8.h"

#define DEFAULT_PROMPT "<|start|>user<|message|>What is 127 * 89?<|end|><|start|>assistant"

/* Where frames go besides the screen: a recording and the X key's exports. */
typedef struct outputs {
    mt_cast cast;
    bool recording;
    mt_grid last;        /* the last recorded frame: only changes are recorded */
    const char *export_format, *export_dir;
    int export_n;
} outputs;

static bool write_frame(const char *path, const mt_grid *g) {
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

/* After each draw: record the frame at time t (seconds) if it changed, and
 * write it when X asked (the next free moetop-frame-N.EXT; the status line
 * says where, so the app draws again). */
static void after_draw(outputs *o, mt_app *app, mt_grid *g, double t) {
    if (app->export_requested) {
        app->export_requested = false;
        char path[1200];
        do snprintf(path, sizeof path, "%s/moetop-frame-%d.%s", o->export_dir, ++o->export_n, o->export_format);
        while (access(path, F_OK) == 0 && o->export_n < 100000);
        mt_err err;
        if (mt_frame_write(path, g, &err)) snprintf(app->message, sizeof app->message, "frame written to %.220s", path);
        else snprintf(app->message, sizeof app->message, "%.250s", err.msg);
        mt_app_draw(app, g);
    }
    if (o->recording && !same_frame(&o->last, g)) {
        mt_cast_frame(&o->cast, t, g);
        if (o->last.w != g->w || o->last.h != g->h) {
            mt_grid_free(&o->last);
            if (!mt_grid_init(&o->last, g->w, g->h)) return;
        }
        memcpy(o->last.cells, g->cells, sizeof *g->cells * (size_t)g->w * (size_t)g->h);
    }
}

static double seconds_since(const struct timespec *t0) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) * 1e-9;
}

/* Work longer than a frame (a prompt on a 20B model takes seconds on a CPU)
 * shows a progress bar on the status line and reads keys as it goes: Esc
 * cancels it; other keys wait their turn. */
typedef struct progress_screen {
    mt_term *t;
    mt_app *app;
    mt_grid shown;        /* a copy of the last frame shown (work may start while the next is half drawn): its status line becomes the bar */
    struct timespec start;
    double last_paint;
    int queued[64], n_queued;
} progress_screen;

/* After a resize during work: the frame shown, at the terminal's new size
 * (what fits of the old one, the rest blank), so the bar spans the new
 * bottom line and the whole screen is painted again (mt_term_show). */
static void fit_shown(progress_screen *p) {
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

static bool on_progress(void *user, uint64_t done, uint64_t total) {
    progress_screen *p = user;
    if (done <= 1) {
        clock_gettime(CLOCK_MONOTONIC, &p->start);
        p->last_paint = 0;
    }
    double now = seconds_since(&p->start);
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

/* The terminal loop: draw, wait for a key, apply it; a resize redraws at the new size. */
static int interactive(mt_app *app, mt_grid *g, mt_colors_mode colors, outputs *o, const char *first_prompt) {
    char why[256];
    mt_term *t = mt_term_open(colors, why, sizeof why);
    if (!t) return cli_error(CLI_EXIT_FAIL, "terminal: %s", why);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    progress_screen progress = { .t = t, .app = app };
    mt_app_set_progress(app, on_progress, &progress);
    int rc = 0;
    if (first_prompt) { /* evaluated on screen, so a large model shows its progress and can be cancelled */
        int w, h;
        mt_term_size(t, &w, &h);
        mt_grid_free(g);
        if (!mt_grid_init(g, w, h) || !mt_grid_init(&progress.shown, w, h)) rc = cli_error(CLI_EXIT_FAIL, "out of memory");
        else {
            mt_app_draw(app, g);
            memcpy(progress.shown.cells, g->cells, sizeof *g->cells * (size_t)w * (size_t)h);
            mt_term_show(t, g);
            mt_err err;
            if (!mt_app_set_prompt(app, first_prompt, &err)) {
                if (app->cancel_requested) {
                    app->cancel_requested = false;
                    snprintf(app->message, sizeof app->message, "cancelled: no prompt evaluated (e edits one)");
                } else {
                    mt_term_close(t);
                    t = NULL;
                    rc = cli_error(CLI_EXIT_FAIL, "%s", err.msg);
                }
            }
        }
    }
    while (!app->quit && !rc) {
        int w, h;
        mt_term_size(t, &w, &h);
        if (w != g->w || h != g->h) {
            mt_grid_free(g);
            if (!mt_grid_init(g, w, h)) {
                rc = CLI_EXIT_FAIL;
                break;
            }
        }
        mt_app_set_time(app, seconds_since(&t0)); /* messages expire */
        mt_app_draw(app, g);
        after_draw(o, app, g, seconds_since(&t0));
        mt_term_show(t, g);
        if (progress.shown.w != g->w || progress.shown.h != g->h) {
            mt_grid_free(&progress.shown);
            if (!mt_grid_init(&progress.shown, g->w, g->h)) progress.shown = (mt_grid){ 0 };
        }
        if (progress.shown.cells) memcpy(progress.shown.cells, g->cells, sizeof *g->cells * (size_t)g->w * (size_t)g->h);
        mt_err err;
        bool busy = app->gen && app->gen_pending > 0; /* a completion streams: poll keys without waiting */
        int mx = 0, my = 0, key;
        if (progress.n_queued) { /* keys typed during long work, in order */
            key = progress.queued[0];
            memmove(progress.queued, progress.queued + 1, (size_t)--progress.n_queued * sizeof *progress.queued);
        } else key = mt_term_key(t, busy ? 0 : 250, &mx, &my);
        if (key == MT_KEY_CLICK) {
            mt_app_click(app, g->w, g->h, mx, my);
            continue;
        }
        if (key == MT_KEY_PASTE) { /* one edit, one frame (pastes during long work: their text waited in t) */
            char *text = mt_term_paste_take(t);
            bool ok = !text || !*text || mt_app_paste(app, text, &err);
            free(text);
            if (!ok) {
                mt_term_close(t);
                t = NULL;
                rc = cli_error(CLI_EXIT_FAIL, "%s", err.msg);
            }
            continue;
        }
        if (busy && !key && !mt_app_tick(app, &err) && app->gen_pending) {
            mt_term_close(t);
            t = NULL;
            rc = cli_error(CLI_EXIT_FAIL, "%s", err.msg);
            break;
        }
        if (key > 0 && !mt_app_key(app, key, &err)) {
            mt_term_close(t);
            t = NULL;
            rc = cli_error(CLI_EXIT_FAIL, "%s", err.msg);
        }
    }
    mt_app_set_progress(app, NULL, NULL);
    mt_grid_free(&progress.shown);
    mt_term_close(t);
    return rc;
}

static int run_explore(const cli_command *cmd, cli_args *a) {
    int w = 120, h = 40;
    const char *size = cli_get(a, "--size");
    char extra;
    if (size && (sscanf(size, "%dx%d%c", &w, &h, &extra) != 2 || w < 1 || h < 1 || w > 1000 || h > 1000))
        return cli_usage_error(cmd, "--size: '%s' is not WxH (each 1..1000)", size);
    if (!cli_has(a, "--headless") && (!isatty(0) || !isatty(1)))
        return cli_usage_error(cmd, "no terminal: run it in one, or use --headless with --export-frame");
    if (!cli_has(a, "--headless")) { /* before anything is loaded or drawn: a terminal that cannot run it is refused in one line */
        char why[256];
        if (!mt_term_probe(1, &w, &h, why, sizeof why)) return cli_error(CLI_EXIT_USAGE, "terminal: %s", why);
        /* frames (a recording's header and first frame, a script's frames) are the terminal's size, whatever --size says */
    }
    const char *frame = cli_get(a, "--export-frame"), *record = cli_get(a, "--record");
    if (frame && !mt_frame_format_known(frame))
        return cli_usage_error(cmd, "--export-frame: '%s' is not .txt, .ansi or .svg", frame);
    size_t rlen = record ? strlen(record) : 0;
    if (record && (rlen < 5 || strcmp(record + rlen - 5, ".cast") != 0))
        return cli_usage_error(cmd, "--record: '%s' is not a .cast file (asciicast v2)", record);
    mt_script script = { 0 };
    mt_err err;
    mt_config cfg;
    mt_config_defaults(&cfg);
    char cfg_buf[4096];
    const char *cfg_path = cli_get(a, "--config");
    if (!cfg_path) cfg_path = mt_config_default_path(cfg_buf, sizeof cfg_buf);
    if (cfg_path && !mt_config_load(cfg_path, &cfg, &err)) return cli_error(CLI_EXIT_USAGE, "%s", err.msg);
    const char *script_path = cli_get(a, "--script");
    if (script_path) {
        size_t len;
        char *text = mt_read_text_file(script_path, &len);
        if (!text) return CLI_EXIT_USAGE;
        bool ok = mt_script_parse(text, len, script_path, &script, &err);
        free(text);
        if (!ok) return cli_error(CLI_EXIT_USAGE, "%s", err.msg);
    }
    cli_model cm;
    int rc = cli_model_open_with(a, &cm, cfg.backend, cfg.device, cfg.threads);
    if (rc) {
        mt_script_free(&script);
        return rc;
    }
    mt_app app;
    mt_grid g = { 0 };
    const char *prompt = cli_get(a, "--prompt");
    /* in the terminal without a script, the prompt is evaluated on screen (progress, Esc) */
    bool on_screen = !cli_has(a, "--headless") && !script_path;
    const char *first_prompt = prompt ? prompt : DEFAULT_PROMPT;
    if (!mt_app_init(&app, cli_base_name(cm.path), cm.m, cm.tok, cm.be, on_screen ? "" : first_prompt, &err)) {
        rc = cli_error(CLI_EXIT_USAGE, "%s", err.msg);
        goto done;
    }
    /* ASCII when asked, or (auto) when the locale cannot show UTF-8 */
    const char *lang = getenv("LC_ALL") && *getenv("LC_ALL") ? getenv("LC_ALL") : getenv("LC_CTYPE") && *getenv("LC_CTYPE") ? getenv("LC_CTYPE") : getenv("LANG");
    bool utf8_locale = lang && (strstr(lang, "UTF-8") || strstr(lang, "utf8") || strstr(lang, "UTF8"));
    app.ascii = cli_has(a, "--ascii") || cfg.ascii == MT_ASCII_YES || (cfg.ascii == MT_ASCII_AUTO && !utf8_locale && !cli_has(a, "--headless"));
    app.view = cfg.view;
    mt_palette_set((mt_ramp_kind)cfg.ramp, (mt_experts_kind)cfg.experts);
    app.generate_tokens = cfg.generate_tokens;
    app.temperature = (float)cfg.temperature;
    app.top_p = (float)cfg.top_p;
    app.seed = cfg.seed;
    char sets[4096];
    if (mt_default_prompts(sets, sizeof sets)) mt_app_load_prompt_sets(&app, sets);
    if (!mt_grid_init(&g, w, h)) {
        rc = cli_error(CLI_EXIT_FAIL, "out of memory");
        goto done;
    }
    outputs out = { .export_format = cfg.export_format, .export_dir = cfg.export_dir };
    if (record) {
        if (!mt_cast_open(&out.cast, record, w, h, &err)) {
            rc = cli_error(CLI_EXIT_FAIL, "%s", err.msg);
            goto done;
        }
        out.recording = true;
    }
    /* the script's clock, for the recording: a key takes 0.4 s, a typed
     * character 0.06 s, wait MS its MS; so a replay records the same cast anywhere */
    double clock_s = 0;
    mt_app_draw(&app, &g);
    after_draw(&out, &app, &g, clock_s);
    for (size_t i = 0; i < script.n && !rc && !app.quit; i++) {
        const mt_step *st = &script.steps[i];
        while (mt_app_tick(&app, &err)) {} /* pending work finishes before each step */
        mt_app_set_time(&app, clock_s); /* messages expire on the script's clock */
        if (st->kind == MT_STEP_KEY) {
            if (!mt_app_key(&app, st->key, &err)) rc = cli_error(CLI_EXIT_FAIL, "%s", err.msg);
            clock_s += 0.4;
        } else if (st->kind == MT_STEP_TYPE) { /* each character as a key */
            const uint8_t *t = (const uint8_t *)st->text;
            for (size_t at = 0, len = strlen(st->text); at < len && !rc;) {
                uint32_t cp;
                at += mt_utf8_next(t + at, len - at, &cp);
                if (cp != MT_UTF8_INVALID && !mt_app_key(&app, (int)cp, &err)) rc = cli_error(CLI_EXIT_FAIL, "%s", err.msg);
                clock_s += 0.06;
                if (out.recording) {
                    mt_app_draw(&app, &g);
                    after_draw(&out, &app, &g, clock_s);
                }
            }
        } else if (st->kind == MT_STEP_PASTE) {
            if (!mt_app_paste(&app, st->text, &err)) rc = cli_error(CLI_EXIT_FAIL, "%s", err.msg);
            clock_s += 0.4;
        } else if (st->kind == MT_STEP_CLICK) {
            mt_app_click(&app, g.w, g.h, st->x, st->y);
            clock_s += 0.4;
        } else if (st->kind == MT_STEP_WAIT) {
            clock_s += st->ms / 1000.0;
        } else if (st->kind == MT_STEP_FRAME) {
            mt_app_draw(&app, &g);
            if (!write_frame(st->text, &g)) rc = CLI_EXIT_FAIL;
        }
        if (!rc && (out.recording || app.export_requested)) {
            while (mt_app_tick(&app, &err)) {}
            mt_app_draw(&app, &g);
            after_draw(&out, &app, &g, clock_s);
        }
    }
    while (!rc && mt_app_tick(&app, &err)) {}
    if (!rc && !cli_has(a, "--headless")) rc = interactive(&app, &g, cfg.colors, &out, on_screen ? first_prompt : NULL);
    if (!rc && frame) {
        mt_app_draw(&app, &g);
        if (!write_frame(frame, &g)) rc = CLI_EXIT_FAIL;
    }
    if (out.recording) { /* a run that failed leaves no recording (and an old file at the path as it was) */
        if (!rc) after_draw(&out, &app, &g, clock_s + 0.4);
        if (rc) mt_cast_abort(&out.cast);
        else if (!mt_cast_close(&out.cast, &err)) rc = cli_error(CLI_EXIT_FAIL, "%s", err.msg);
    }
    mt_grid_free(&out.last);
done:
    mt_grid_free(&g);
    mt_app_free(&app);
    mt_script_free(&script);
    cli_model_close(&cm);
    return rc;
}

const cli_command cmd_explore = {
    .name = "explore",
    .usage = "moetop [-m MODEL.gguf] [--prompt TEXT] [--size WxH] [--script FILE] [--headless] [--export-frame FILE.txt|.ansi|.svg] [--record FILE.cast]",
    .summary = "The explorer: routing of every token at every layer (headless: a key script and a frame file).",
    .details = "Views (Tab): dashboard, heatmap, token, sweep, experts, ablate, compare, generate, text, help (? lists every\n"
               "key). Key scripts (--script) hold one step per line: the list below, the same as README.md's\n"
               "\"Key scripts\"; lines end in LF, CRLF or CR and type TEXT keeps every byte to the line end\n"
               "(trailing spaces too). Pending work (a completion) finishes before each step. A .txt frame is UTF-8,\n"
               "exactly H lines of exactly W display cells; .ansi keeps the colours (24-bit SGR: cat it), .svg is\n"
               "for slides. X exports the frame on screen. --record writes an asciicast v2 file (play it with\n"
               "asciinema play) of the terminal's size (a resize is an \"r\" event); headless, of --size, on the\n"
               "script's clock (a key 0.4 s, wait MS). Token labels spell out what is invisible: a token of\n"
               "only zero-width, format or separator characters shows each as \\uXXXX. A terminal that cannot\n"
               "move its cursor (TERM=dumb) is refused. Without -m, the bundled model; p and P cycle the\n"
               "bundled prompt sets.\n"
               "Frame and recording files (the extension names the format, so not -): an existing file is\n" CLI_OUTPUT_RULES,
    .opts = {
        CLI_MODEL_OPTS,
        CLI_GPU_PROFILE_OPT,
        { "--prompt", 0, "TEXT", "the prompt (special tokens parsed; default: a harmony question)" },
        { "--size", 0, "WxH", "the frame size headless (default 120x40; in a terminal, the terminal's)" },
        { "--script", 0, "FILE", "key script to play" },
        { "--headless", 0, NULL, "no terminal: play the script and write frames" },
        { "--export-frame", 0, "FILE", "write the final frame (.txt, .ansi with 24-bit colour, or .svg)" },
        { "--record", 0, "FILE.cast", "record the session as an asciicast v2 file (headless: on the script's clock)" },
        { "--ascii", 0, NULL, "ASCII glyphs only" },
        { "--config", 0, "FILE", "the configuration file (default ~/.config/moetop/moetop.ini)" },
        { NULL, 0, NULL, NULL },
    },
    .definitions = mt_script_help,
    .definitions_title = "key scripts (--script FILE), one step per line",
    .run = run_explore,
};
