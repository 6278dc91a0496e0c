/* The explorer (`moetop` with no command): in the terminal, or headless: it
 * plays a key script with no terminal and writes the final frame
 * (shared/contracts/cli.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "commands.h"
#include "input.h"
#include "model_args.h"
#include "paths.h"
#include "config/config.h"
#include "tui/app.h"
#include "tui/script.h"
#include "tui/term.h"
#include "engine/utf8.h"

#define DEFAULT_PROMPT "<|start|>user<|message|>What is 127 * 89?<|end|><|start|>assistant"

static bool write_frame(const char *path, const mt_grid *g) {
    mt_bytes text = { 0 };
    mt_grid_to_text(g, &text);
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    bool ok = f && !text.oom && fwrite(text.data, 1, text.len, f) == text.len;
    if (f && fclose(f) != 0) ok = false;
    if (ok && rename(tmp, path) != 0) ok = false;
    if (!ok) remove(tmp);
    mt_bytes_free(&text);
    if (!ok) cli_error(CLI_EXIT_FAIL, "%s: cannot write the frame", path);
    return ok;
}

/* The terminal loop: draw, wait for a key, apply it; a resize redraws at the new size. */
static int interactive(mt_app *app, mt_grid *g, bool colors) {
    char why[256];
    mt_term *t = mt_term_open(colors, why, sizeof why);
    if (!t) return cli_error(CLI_EXIT_FAIL, "terminal: %s", why);
    int rc = 0;
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
        mt_app_draw(app, g);
        mt_term_show(t, g);
        mt_err err;
        bool busy = app->gen && app->gen_pending > 0; /* a completion streams: poll keys without waiting */
        int key = mt_term_key(t, busy ? 0 : 250);
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
    int rc = cli_model_open(a, &cm);
    if (rc) {
        mt_script_free(&script);
        return rc;
    }
    mt_app app;
    mt_grid g = { 0 };
    const char *prompt = cli_get(a, "--prompt");
    if (!mt_app_init(&app, cli_base_name(cm.path), cm.m, cm.tok, cm.be, prompt ? prompt : DEFAULT_PROMPT, &err)) {
        rc = cli_error(CLI_EXIT_USAGE, "%s", err.msg);
        goto done;
    }
    /* ASCII when asked, or (auto) when the locale cannot show UTF-8 */
    const char *lang = getenv("LC_ALL") && *getenv("LC_ALL") ? getenv("LC_ALL") : getenv("LC_CTYPE") && *getenv("LC_CTYPE") ? getenv("LC_CTYPE") : getenv("LANG");
    bool utf8_locale = lang && (strstr(lang, "UTF-8") || strstr(lang, "utf8") || strstr(lang, "UTF8"));
    app.ascii = cli_has(a, "--ascii") || cfg.ascii == MT_ASCII_YES || (cfg.ascii == MT_ASCII_AUTO && !utf8_locale && !cli_has(a, "--headless"));
    app.view = cfg.view;
    app.generate_tokens = cfg.generate_tokens;
    char sets[4096];
    if (mt_default_prompts(sets, sizeof sets)) mt_app_load_prompt_sets(&app, sets);
    if (!mt_grid_init(&g, w, h)) {
        rc = cli_error(CLI_EXIT_FAIL, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < script.n && !rc && !app.quit; i++) {
        const mt_step *st = &script.steps[i];
        while (mt_app_tick(&app, &err)) {} /* pending work finishes before each step */
        if (st->kind == MT_STEP_KEY && !mt_app_key(&app, st->key, &err)) rc = cli_error(CLI_EXIT_FAIL, "%s", err.msg);
        else if (st->kind == MT_STEP_TYPE) { /* each character as a key */
            const uint8_t *t = (const uint8_t *)st->text;
            for (size_t at = 0, len = strlen(st->text); at < len && !rc;) {
                uint32_t cp;
                at += mt_utf8_next(t + at, len - at, &cp);
                if (cp != MT_UTF8_INVALID && !mt_app_key(&app, (int)cp, &err)) rc = cli_error(CLI_EXIT_FAIL, "%s", err.msg);
            }
        } else if (st->kind == MT_STEP_FRAME) {
            mt_app_draw(&app, &g);
            if (!write_frame(st->text, &g)) rc = CLI_EXIT_FAIL;
        }
    }
    while (!rc && mt_app_tick(&app, &err)) {}
    const char *frame = cli_get(a, "--export-frame");
    if (!rc && !cli_has(a, "--headless")) rc = interactive(&app, &g, cfg.colors != MT_COLORS_NONE);
    if (!rc && frame) {
        mt_app_draw(&app, &g);
        if (!write_frame(frame, &g)) rc = CLI_EXIT_FAIL;
    }
done:
    mt_grid_free(&g);
    mt_app_free(&app);
    mt_script_free(&script);
    cli_model_close(&cm);
    return rc;
}

const cli_command cmd_explore = {
    .name = "explore",
    .usage = "moetop [-m MODEL.gguf] [--prompt TEXT] [--size WxH] [--script FILE] [--headless] [--export-frame FILE.txt]",
    .summary = "The explorer: routing of every token at every layer (headless: a key script and a frame file).",
    .details = "Views (Tab): heatmap, token, sweep, experts, ablate, compare, generate, help (? lists every\n"
               "key). Key scripts hold one step per line: a key name, type TEXT, wait MS or frame FILE; #\n"
               "starts a comment; pending work (a completion) finishes before each step. A .txt frame is UTF-8,\n"
               "exactly H lines of exactly W display cells. Without -m, the bundled model; p and P cycle the\n"
               "bundled prompt sets.",
    .opts = {
        CLI_MODEL_OPTS,
        { "--prompt", 0, "TEXT", "the prompt (special tokens parsed; default: a harmony question)" },
        { "--size", 0, "WxH", "the frame size (default 120x40)" },
        { "--script", 0, "FILE", "key script to play" },
        { "--headless", 0, NULL, "no terminal: play the script and write frames" },
        { "--export-frame", 0, "FILE", "write the final frame (.txt)" },
        { "--ascii", 0, NULL, "ASCII glyphs only" },
        { "--config", 0, "FILE", "the configuration file (default ~/.config/moetop/moetop.ini)" },
        { NULL, 0, NULL, NULL },
    },
    .run = run_explore,
};
