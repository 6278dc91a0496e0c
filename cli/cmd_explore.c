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
#include "screen.h"
#include "config/config.h"
#include "tui/app.h"
#include "tui/frame_export.h"
#include "tui/script.h"
#include "tui/term.h"
#include "engine/utf8.h"

#define DEFAULT_PROMPT "<|start|>user<|message|>What is 127 * 89?<|end|><|start|>assistant"

/* The terminal loop: draw, wait for a key, apply it; a resize redraws at the new size. */
static int interactive(mt_app *app, mt_grid *g, mt_colors_mode colors, cli_outputs *o, const char *first_prompt) {
    char why[256];
    mt_term *t = mt_term_open(colors, why, sizeof why);
    if (!t) return cli_error(CLI_EXIT_FAIL, "terminal: %s", why);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    cli_progress_screen progress = { .t = t, .app = app };
    mt_app_set_progress(app, cli_progress_screen_fn, &progress);
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
        mt_app_set_time(app, cli_seconds_since(&t0)); /* messages expire */
        mt_app_draw(app, g);
        cli_outputs_after_draw(o, app, g, cli_seconds_since(&t0));
        mt_term_show(t, g);
        cli_progress_screen_shown(&progress, g);
        mt_err err;
        bool busy = app->gen && app->gen_pending > 0; /* a completion streams: poll keys without waiting */
        int mx = 0, my = 0, key = cli_progress_screen_next_key(&progress); /* keys typed during long work, in order */
        if (!key) key = mt_term_key(t, busy ? 0 : 250, &mx, &my);
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
    int w, h;
    int rc = cli_screen_args(cmd, a, "no terminal: run it in one, or use --headless with --export-frame", &w, &h);
    if (rc) return rc;
    const char *frame = cli_get(a, "--export-frame");
    if (frame && !mt_frame_format_known(frame))
        return cli_usage_error(cmd, "--export-frame: '%s' is not .txt, .ansi or .svg", frame);
    mt_script script = { 0 };
    mt_err err;
    mt_config cfg;
    if ((rc = cli_screen_config(a, &cfg))) return rc;
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
    rc = cli_model_open_with(a, &cm, cfg.backend, cfg.device, cfg.threads);
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
    cli_screen_setup_app(&app, a, &cfg);
    snprintf(app.notes, sizeof app.notes, "%s", cm.notes); /* whole on the help view */
    if (cm.notes[0]) { /* what opening the model said went to stderr, behind the screen: on the status line too */
        size_t n = 0; /* the lines joined by "; " (as many as fit whole) */
        for (const char *p = cm.notes, *end; (end = strchr(p, '\n')); p = end + 1) {
            int len = (int)(end - p);
            int wrote = snprintf(app.message + n, sizeof app.message - n, "%s%.*s", n ? "; " : "", len, p);
            if (wrote < 0 || (size_t)wrote >= sizeof app.message - n) {
                app.message[n] = 0;
                break;
            }
            n += (size_t)wrote;
        }
    }
    if (!mt_grid_init(&g, w, h)) {
        rc = cli_error(CLI_EXIT_FAIL, "out of memory");
        goto done;
    }
    cli_outputs out;
    if ((rc = cli_outputs_open(&out, a, &cfg, w, h))) goto done;
    /* the script's clock, for the recording: a key takes 0.4 s, a typed
     * character 0.06 s, wait MS its MS; so a replay records the same cast anywhere */
    double clock_s = 0;
    mt_app_draw(&app, &g);
    cli_outputs_after_draw(&out, &app, &g, clock_s);
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
                    cli_outputs_after_draw(&out, &app, &g, clock_s);
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
            if (!cli_write_frame(st->text, &g)) rc = CLI_EXIT_FAIL;
        }
        if (!rc && (out.recording || app.export_requested)) {
            while (mt_app_tick(&app, &err)) {}
            mt_app_draw(&app, &g);
            cli_outputs_after_draw(&out, &app, &g, clock_s);
        }
    }
    while (!rc && mt_app_tick(&app, &err)) {}
    if (!rc && !cli_has(a, "--headless")) rc = interactive(&app, &g, cfg.colors, &out, on_screen ? first_prompt : NULL);
    if (!rc && frame) {
        mt_app_draw(&app, &g);
        if (!cli_write_frame(frame, &g)) rc = CLI_EXIT_FAIL;
    }
    if (!rc && out.recording) cli_outputs_after_draw(&out, &app, &g, clock_s + 0.4); /* the last frame, when it changed */
    rc = cli_outputs_close(&out, rc);
    if (!rc && cli_has(a, "--headless") && !script_path && !frame && !out.recording) /* a check that loads, not silence */
        fprintf(stderr, "moetop: --headless: the model, prompt and configuration loaded; nothing to write (give --export-frame FILE, "
                        "--record FILE.cast or a --script with frame steps)\n");
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
