/* The explorer in a real terminal: tmux runs the binary, send-keys types,
 * capture-pane reads the screen (with its colours); terminals it cannot use
 * refused in one line; a live recording of the terminal's size. Skipped
 * without tmux (script(1) for the refusals). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support/cli_util.h"
#include "support/fixtures.h"
#include "support/harness.h"

/* The interactive explorer in a real terminal (tmux): it draws, takes keys,
 * follows a resize and quits cleanly. */
static void in_tmux(void) {
    const char *gguf = fixture_path('b', ".gguf");
    if (!gguf) return;
    if (system("command -v tmux >/dev/null 2>&1") != 0) {
        t_skip("tmux is not installed (sh tools/deps.sh installs it)");
        return;
    }
    char session[64], cmd[2048], status[512], screen[512];
    snprintf(session, sizeof session, "moetop-test-%d", (int)getpid());
    snprintf(status, sizeof status, "%s/tmux-status", t_tmpdir());
    snprintf(screen, sizeof screen, "%s/tmux-screen", t_tmpdir());
    snprintf(cmd, sizeof cmd,
             "tmux new-session -d -s %s -x 100 -y 30 \"%s -m %s --prompt 'The quick brown fox jumps'; echo $? > %s; sleep 5\" && "
             "sleep 1.5 && tmux send-keys -t %s j j l m && sleep 1 && tmux resize-window -t %s -x 90 -y 24 2>/dev/null; sleep 1; "
             "tmux capture-pane -t %s -p > %s; tmux send-keys -t %s q; sleep 1; tmux kill-session -t %s 2>/dev/null; true",
             session, t_bin(), gguf, status, session, session, session, screen, session, session);
    CHECK(system(cmd) == 0);
    char *text = t_read_file(screen, NULL), *rc = t_read_file(status, NULL);
    CHECKF(text && strstr(text, "pos token") && strstr(text, "mask "), "screen: %s", text ? text : "(none)");
    CHECKF(rc && atoi(rc) == 0, "exit status %s", rc ? rc : "(none: it did not quit)");
    free(text);
    free(rc);
}

/* Runs the explorer in a 100x30 tmux pane with env and config, sends the
 * keys (tmux send-keys -l: literal bytes), and captures the screen with its
 * SGR colours into screen. True when tmux ran. */
static bool tmux_capture(const char *env, const char *config, const char *keys, const char *screen) {
    const char *gguf = fixture_path('b', ".gguf");
    char session[64], cmd[4096];
    snprintf(session, sizeof session, "moetop-colour-%d", (int)getpid());
    snprintf(cmd, sizeof cmd,
             "tmux new-session -d -s %s -x 100 -y 30 \"%s %s -m %s --config %s --prompt 'The quick brown fox jumps'; sleep 5\" && "
             "sleep 1.5 && tmux send-keys -t %s -l '%s' && sleep 1 && tmux capture-pane -t %s -ep > %s; "
             "tmux send-keys -t %s q; sleep 0.5; tmux kill-session -t %s 2>/dev/null; true",
             session, env, t_bin(), gguf, config, session, keys, session, screen, session, session);
    return system(cmd) == 0;
}

/* In a real terminal: 24-bit colour when COLORTERM asks for it (through
 * tmux-direct), the 16 ANSI colours when the config says 16, and a mouse
 * click (xterm's X10 report) selecting a heatmap cell. */
static void in_tmux_colours_and_mouse(void) {
    if (!fixture_path('b', ".gguf")) return;
    if (system("command -v tmux >/dev/null 2>&1") != 0) {
        t_skip("tmux is not installed (sh tools/deps.sh installs it)");
        return;
    }
    if (system("infocmp tmux-direct >/dev/null 2>&1") != 0) {
        t_skip("no tmux-direct terminfo entry (ncurses-term: sh tools/deps.sh installs it)");
        return;
    }
    char ini[512], screen[512];
    snprintf(ini, sizeof ini, "%s/colours.ini", t_tmpdir());
    snprintf(screen, sizeof screen, "%s/colour-screen", t_tmpdir());
    t_write_file(ini, "[display]\ncolors = auto\n", 25);
    /* a press at column 20, row 3 (X10: ESC [ M, then 32 + button, 32 + 1 + column, 32 + 1 + row), then its release */
    if (!CHECK(tmux_capture("COLORTERM=truecolor", ini, "\033[M 5$\033[M#5$", screen))) return;
    char *text = t_read_file(screen, NULL);
    CHECKF(text && strstr(text, "48;2;") && strstr(text, "token 2, layer 0"), "%s", text ? text : "(none)");
    free(text);
    t_write_file(ini, "[display]\ncolors = 16\n", 23);
    if (!CHECK(tmux_capture("COLORTERM=truecolor", ini, "l", screen))) return;
    text = t_read_file(screen, NULL);
    CHECKF(text && !strstr(text, "48;2;") && !strstr(text, "48;5;") && (strstr(text, "[4") || strstr(text, "[10")) && strstr(text, "layer 1"), "%s",
           text ? text : "(none)");
    free(text);
}

/* Long work on screen: a 3000-token prompt on a model that takes seconds
 * shows a progress bar and Esc cancels it; an intervention's recompute
 * cancelled leaves stale layers said on the status line, and r finishes it
 * (tests/support/tmux_progress.sh drives it). */
static void in_tmux_progress_and_cancel(void) {
    if (system("command -v tmux >/dev/null 2>&1") != 0) {
        t_skip("tmux is not installed (sh tools/deps.sh installs it)");
        return;
    }
    char model[512], cmd[2048], path[600];
    snprintf(model, sizeof model, "%s/slow.gguf", t_tmpdir());
    proc_result r = run_moetop("synth", "-q", "-o", model, "--layers", "8", "--d-model", "512", "--heads", "8", "--kv-heads", "2", "--head-dim",
                               "64", "--experts", "16", "--k", "4", "--ff", "512", "--vocab-base", "256", NULL);
    bool made = CHECKF(r.status == 0, "%s", r.err);
    proc_free(&r);
    if (!made) return;
    snprintf(cmd, sizeof cmd, "sh tests/support/tmux_progress.sh %s %s %s", t_bin(), model, t_tmpdir());
    if (!CHECK(system(cmd) == 0)) return;
    static const struct { const char *name, *expect; } caps[] = {
        { "computing", "Esc cancels" },
        { "cancelled", "cancelled: no prompt evaluated" },
        { "prompt", "prompt run" },
        { "stale", "cancelled: layers 0.. are stale" },
        { "recomputed", "| recomputed" },
    };
    for (size_t i = 0; i < sizeof caps / sizeof *caps; i++) {
        snprintf(path, sizeof path, "%s/cap-%s.txt", t_tmpdir(), caps[i].name);
        char *text = t_read_file(path, NULL);
        CHECKF(text && strstr(text, caps[i].expect), "%s: %s", caps[i].name, text ? text : "(none)");
        free(text);
    }
    snprintf(path, sizeof path, "%s/status", t_tmpdir());
    char *status = t_read_file(path, NULL);
    CHECKF(status && atoi(status) == 0, "exit status %s", status ? status : "(none: it did not quit)");
    free(status);
}

/* A terminal that cannot run the explorer (TERM=dumb: no cursor addressing;
 * a TERM terminfo does not know) is refused in one line before anything is
 * drawn: under script(1), a real pseudo-terminal, the whole output is that
 * line and the exit status 2. */
static void terminal_refused_in_one_line(void) {
    const char *gguf = fixture_path('b', ".gguf");
    if (!gguf) return;
    if (system("command -v script >/dev/null 2>&1") != 0) {
        t_skip("script(1) is not installed (util-linux's bsdutils provides it)");
        return;
    }
    static const struct { const char *term, *expect; } cases[] = {
        { "TERM=dumb", "moetop: terminal: TERM=dumb cannot move the cursor (no 'cup' capability)" },
        { "TERM=no-such-terminal", "moetop: terminal: TERM=no-such-terminal is not in the terminfo database" },
        { "TERM=", "moetop: terminal: TERM is not set" },
    };
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "'%s' -m '%s' --prompt hi", t_bin(), gguf);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *argv[] = { "/usr/bin/env", cases[i].term, "script", "-qec", cmd, "/dev/null", NULL };
        proc_result r = proc_run(argv, NULL);
        bool one_line = r.out_len > 2 && strstr(r.out, "\r\n") == r.out + r.out_len - 2; /* the pty turns \n into \r\n */
        CHECKF(r.status == 2 && one_line && strncmp(r.out, cases[i].expect, strlen(cases[i].expect)) == 0 && !memchr(r.out, '\x1b', r.out_len),
               "%s: exit %d, output '%s'", cases[i].term, r.status, r.out);
        proc_free(&r);
    }
}

/* --record in a live terminal records the terminal's size: an 80x12 pane
 * gives a header of 80x12 and a first frame of 12 lines (not --size's
 * default 120x40); resizing it to 70x10 records a resize event and frames of
 * the new size (tests/support/tmux_record.sh drives it, waiting for states). */
static void in_tmux_recording_has_the_terminal_size(void) {
    const char *gguf = fixture_path('b', ".gguf");
    if (!gguf) return;
    if (system("command -v tmux >/dev/null 2>&1") != 0) {
        t_skip("tmux is not installed (sh tools/deps.sh installs it)");
        return;
    }
    char cmd[2048], path[600];
    snprintf(cmd, sizeof cmd, "sh tests/support/tmux_record.sh %s %s %s", t_bin(), gguf, t_tmpdir());
    if (!CHECK(system(cmd) == 0)) return;
    snprintf(path, sizeof path, "%s/step", t_tmpdir());
    char *steps = t_read_file(path, NULL);
    CHECKF(steps && strcmp(steps, "start\ndrawn\nresized\nquit\n") == 0, "steps reached: %s", steps ? steps : "(none)");
    free(steps);
    snprintf(path, sizeof path, "%s/live.status", t_tmpdir());
    char *status = t_read_file(path, NULL);
    CHECKF(status && atoi(status) == 0, "exit status %s", status ? status : "(none: it did not quit)");
    free(status);
    snprintf(path, sizeof path, "%s/live.cast", t_tmpdir());
    char *cast = t_read_file(path, NULL);
    if (!CHECK(cast != NULL)) return;
    const char *head = "{\"version\": 2, \"width\": 80, \"height\": 12,";
    CHECKF(strncmp(cast, head, strlen(head)) == 0, "%.100s", cast);
    /* the first frame: 12 lines, so 11 line ends (JSON-escaped \r\n) before the next event */
    char *first = strstr(cast, "\n[0.000, \"o\", \""), *end = first ? strchr(first + 1, '\n') : NULL;
    int lines = 1;
    for (char *p = first; p && end && (p = strstr(p, "\\r\\n")) && p < end; p += 4) lines++;
    CHECKF(first && end && lines == 12, "the first frame has %d lines", lines);
    char *resize = strstr(cast, "\"r\", \"70x10\"]\n[");
    CHECKF(resize != NULL, "no resize event to 70x10 followed by a frame: %.300s", cast);
    free(cast);
}

int main(void) {
    t_begin("explorer-tmux");
    RUN(in_tmux);
    RUN(in_tmux_colours_and_mouse);
    RUN(in_tmux_progress_and_cancel);
    RUN(terminal_refused_in_one_line);
    RUN(in_tmux_recording_has_the_terminal_size);
    return t_end();
}
