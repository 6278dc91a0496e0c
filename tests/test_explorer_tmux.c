/* The explorer in a real terminal: tmux runs the binary, send-keys types,
 * capture-pane reads the screen (with its colours); terminals it cannot use
 * refused in one line (script(1)); a live recording of the terminal's size.
 * Every step waits for the screen that shows its result (tests/support/tmux.h),
 * never for a fixed time, so a loaded machine or a sanitizer build only makes
 * it slower. tmux is installed by tools/deps.sh: without it the tests fail,
 * naming the package. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support/cli_util.h"
#include "support/fixtures.h"
#include "support/harness.h"
#include "support/tmux.h"

#define PROMPT "The quick brown fox jumps"
/* on the heatmap's header once the prompt has been evaluated (not before:
 * the first frame is drawn before the prompt runs) */
#define EVALUATED "token 0, layer 0"

/* Sends q and checks the explorer quits with status 0. */
static void quits_cleanly(tmux_pane *p) {
    if (!tmux_keys(p, false, "q")) return;
    int status = tmux_wait_exit(p);
    CHECKF(status == 0, "exit status %d after q", status);
}

/* The interactive explorer in a real terminal (tmux): it draws, takes keys,
 * follows a resize and quits cleanly. */
static void in_tmux(void) {
    const char *gguf = fixture_path('b', ".gguf");
    if (!gguf || !tmux_require()) return;
    tmux_pane p;
    const char *argv[] = { t_bin(), "-m", gguf, "--prompt", PROMPT, NULL };
    if (!tmux_open(&p, 100, 30, argv)) return;
    char *s = tmux_wait_for(&p, EVALUATED, false, false);
    if (s && tmux_keys(&p, false, "j j l m")) {
        free(s);
        /* the cursor two tokens down and a layer right, its top expert masked */
        s = tmux_wait_for(&p, "interventions: mask ", false, true);
        CHECKF(s && strstr(s, "token 2, layer 1"), "after j j l m: %s", s ? s : "(none)");
    }
    if (s && tmux_resize(&p, 90, 24)) {
        free(s);
        /* redrawn at 24 rows: the dashboard's heatmap panel on the first row
         * again (the shrink scrolled it away) and the status line, on the last */
        s = tmux_wait_for(&p, "pos token", false, false);
        free(s);
        s = tmux_wait_for(&p, "interventions: mask ", false, true);
        /* the box's corner and edge, then its title: box-drawing glyphs in a UTF-8 locale, + and - in
         * ASCII (a root without a UTF-8 locale, as a fresh debootstrap has) */
        const char *top = "\xe2\x95\xad\xe2\x94\x80 heatmap", *top_ascii = "+- heatmap";
        CHECKF(s && (strncmp(s, top, strlen(top)) == 0 || strncmp(s, top_ascii, strlen(top_ascii)) == 0) && proc_count_lines(s) <= 24,
               "after the resize to 90x24: %s", s ? s : "(none)");
    }
    if (s) quits_cleanly(&p);
    free(s);
    tmux_close(&p);
}

/* Runs the explorer in a 100x30 pane with COLORTERM=truecolor and config,
 * waits for the prompt, sends keys (literal bytes) and waits for a screen
 * (with its SGR colours) showing expect; returns it (caller frees), after
 * checking that q then quits cleanly. */
static char *colour_screen(const char *config, const char *keys, const char *expect) {
    const char *gguf = fixture_path('b', ".gguf");
    tmux_pane p;
    const char *argv[] = { "env", "COLORTERM=truecolor", t_bin(), "-m", gguf, "--config", config, "--prompt", PROMPT, NULL };
    if (!tmux_open(&p, 100, 30, argv)) return NULL;
    char *s = tmux_wait_for(&p, EVALUATED, false, false);
    if (s && tmux_keys(&p, true, keys)) {
        free(s);
        s = tmux_wait_for(&p, expect, true, false);
    }
    if (s) quits_cleanly(&p);
    tmux_close(&p);
    return s;
}

/* In a real terminal: 24-bit colour when COLORTERM asks for it (through
 * tmux-direct), the 16 ANSI colours when the config says 16, and a mouse
 * click (xterm's X10 report) selecting a heatmap cell. */
static void in_tmux_colours_and_mouse(void) {
    if (!fixture_path('b', ".gguf") || !tmux_require()) return;
    if (!CHECKF(system("infocmp tmux-direct >/dev/null 2>&1") == 0,
                "no tmux-direct terminfo entry (Debian package ncurses-term: sh tools/deps.sh installs it)"))
        return;
    char ini[512];
    snprintf(ini, sizeof ini, "%s/colours.ini", t_tmpdir());
    t_write_file(ini, "[display]\ncolors = auto\n", 24);
    /* a press at column 20, row 4 (X10: ESC [ M, then 32 + button, 32 + 1 + column, 32 + 1 + row), then its release:
     * the dashboard's heatmap panel, inside its box from (1, 1) under the header row: token 2, layer 0 */
    char *text = colour_screen(ini, "\033[M 5%\033[M#5%", "token 2, layer 0");
    CHECKF(text && strstr(text, "48;2;"), "no 24-bit background: %s", text ? text : "(none)");
    free(text);
    t_write_file(ini, "[display]\ncolors = 16\n", 22);
    text = colour_screen(ini, "l", "token 0, layer 1");
    CHECKF(text && !strstr(text, "48;2;") && !strstr(text, "48;5;") && (strstr(text, "[4") || strstr(text, "[10")), "not 16 colours: %s",
           text ? text : "(none)");
    free(text);
}

/* Sends keys (names) and waits for the status line (the last) to show what;
 * adds the seconds that took to *waited. False (a failed check) if it never
 * shows. */
static bool keys_then_status(tmux_pane *p, const char *keys, const char *what, double *waited) {
    if (!tmux_keys(p, false, keys)) return false;
    char *s = tmux_wait_for(p, what, false, true);
    free(s);
    *waited += p->waited;
    return s != NULL;
}

/* Long work on screen: a 3000-token prompt on a model that takes seconds
 * (96 steps of 256 tokens through one layer: about 20 s in the plain build,
 * minutes under the sanitizers) shows a progress bar and Esc cancels it; an
 * intervention's recompute cancelled leaves stale layers said on the status
 * line, and r finishes it. Each key is sent once the screen shows the state it
 * acts on: Esc once the bar is up, a few steps into the work, so it lands
 * inside it (the bar's percentage is printed). */
static void in_tmux_progress_and_cancel(void) {
    if (!tmux_require()) return;
    char model[512];
    snprintf(model, sizeof model, "%s/slow.gguf", t_tmpdir());
    proc_result r = run_moetop("synth", "-q", "-o", model, "--layers", "8", "--d-model", "512", "--heads", "8", "--kv-heads", "2", "--head-dim",
                               "64", "--experts", "16", "--k", "4", "--ff", "512", "--vocab-base", "256", NULL);
    bool made = CHECKF(r.status == 0, "%s", r.err);
    proc_free(&r);
    if (!made) return;
    char long_prompt[3001], half[1501];
    memset(long_prompt, 'x', 3000);
    long_prompt[3000] = 0;
    memset(half, 'y', 1500);
    half[1500] = 0;
    tmux_pane p;
    const char *argv[] = { t_bin(), "-m", model, "--prompt", long_prompt, NULL };
    if (!tmux_open(&p, 100, 30, argv)) return;
    /* seconds: to the first bar, to the cancel, the 1500-token prompt, to the
     * second bar, to the cancel and the baseline, the recompute */
    double t[6] = { 0 };
    int pct[2] = { -1, -1 };
    /* the first prompt: the bar, then Esc */
    char *s = tmux_wait_for(&p, "Esc cancels", false, true);
    bool ok = CHECKF(s && strstr(s, " computing "), "no progress bar: %s", s ? s : "(none)");
    if (ok) sscanf(strstr(s, " computing ") + 11, "%d", &pct[0]);
    t[0] = p.waited;
    free(s);
    ok = ok && keys_then_status(&p, "Escape", "cancelled: no prompt evaluated", &t[1]);
    /* a shorter prompt typed in the prompt line runs to its end */
    ok = ok && tmux_keys(&p, false, "e C-u") && tmux_keys(&p, true, half) && keys_then_status(&p, "Enter", "prompt run", &t[2]);
    /* a mask at layer 0 recomputes every layer: cancelled inside, the layers
     * stay stale (the heatmap then computes the baseline its change marks
     * need: the stale message shows once that is done) */
    ok = ok && tmux_keys(&p, false, "m");
    if (ok) {
        s = tmux_wait_for(&p, "Esc cancels", false, true);
        if (s) sscanf(strstr(s, " computing ") ? strstr(s, " computing ") + 11 : "", "%d", &pct[1]);
        t[3] = p.waited;
        ok = s != NULL;
        free(s);
    }
    ok = ok && keys_then_status(&p, "Escape", "cancelled: layers 0.. are stale", &t[4]);
    ok = ok && keys_then_status(&p, "r", "| recomputed", &t[5]);
    if (ok) {
        printf("  bar after %.1f s at %d%%, cancelled %.1f s later; 1500 tokens in %.1f s; recompute's bar after %.1f s at %d%%, "
               "cancelled and the baseline computed %.1f s later; recomputed in %.1f s\n",
               t[0], pct[0], t[1], t[2], t[3], pct[1], t[4], t[5]);
        quits_cleanly(&p);
    }
    tmux_close(&p);
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

/* A paste arrives at once and as one edit (bracketed paste, xterm's mode
 * 2004): 3,000 characters with a line end inside, pasted into the prompt
 * line as tmux pastes (the line end sent as CR, which typed would be Enter
 * and run half the text). The edit line then shows the paste's end with the
 * cursor after it; Home shows its start; Enter runs all of it. The time from
 * the paste to the screen showing its end is printed (a key per character,
 * as before, took about 25 s). */
static void in_tmux_paste_is_one_edit(void) {
    const char *gguf = fixture_path('b', ".gguf");
    if (!gguf || !tmux_require()) return;
    char text[3001];
    size_t o = (size_t)snprintf(text, sizeof text, "PASTE-START of a long prompt\n");
    static const char *const words[] = { "alpha ", "beta ", "gamma ", "delta ", "epsilon ", "zeta ", "eta ", "theta " };
    for (int i = 0; o < 3000 - 8 - 8; i++) o += (size_t)snprintf(text + o, sizeof text - o, "%s", words[i % 8]);
    while (o < 3000 - 7) text[o++] = 'z';
    snprintf(text + o, sizeof text - o, "THE-END");
    if (!CHECKF(strlen(text) == 3000, "%zu characters", strlen(text))) return;
    tmux_pane p;
    const char *argv[] = { t_bin(), "-m", gguf, "--prompt", PROMPT, NULL };
    if (!tmux_open(&p, 100, 30, argv)) return;
    char *s = tmux_wait_for(&p, EVALUATED, false, false);
    bool ok = s && tmux_keys(&p, false, "e C-u");
    free(s);
    s = ok ? tmux_wait_for(&p, "prompt>", false, true) : NULL;
    free(s);
    ok = s && tmux_paste(&p, text);
    s = ok ? tmux_wait_for(&p, "zzTHE-END", false, true) : NULL;
    double pasted = p.waited;
    ok = CHECKF(s && strstr(s, "prompt> <") && !strstr(s, "prompt run"), "the paste's end not on the edit line: %s", s ? s : "(none)");
    free(s);
    if (ok) printf("  3000 characters pasted: on screen %.3f s after the paste\n", pasted);
    ok = ok && tmux_keys(&p, false, "Home");
    s = ok ? tmux_wait_for(&p, "prompt> PASTE-START of a long prompt", false, true) : NULL;
    free(s);
    ok = s && tmux_keys(&p, false, "Enter");
    s = ok ? tmux_wait_for(&p, "| prompt run", false, true) : NULL;
    free(s);
    /* all of it: the last token (G) is the 1379th (the fixture's tokenizer
     * splits THE-END into TH, E, -, EN, D; the old prompt had 5 tokens) */
    ok = s && tmux_keys(&p, false, "G");
    s = ok ? tmux_wait_for(&p, "token 1378, layer 0", false, false) : NULL;
    CHECKF(s && strstr(s, "1378 D"), "the last token after Enter: %s", s ? s : "(none)");
    if (s) quits_cleanly(&p);
    free(s);
    tmux_close(&p);
}

/* Below the minimum size the screen says so, whole; keys other than q do
 * nothing there (m and l, unseen, change nothing: back at 100x30 the cursor
 * is on layer 0 with no interventions), and q quits. */
static void in_tmux_too_small(void) {
    const char *gguf = fixture_path('b', ".gguf");
    if (!gguf || !tmux_require()) return;
    tmux_pane p;
    const char *argv[] = { t_bin(), "-m", gguf, "--prompt", PROMPT, NULL };
    if (!tmux_open(&p, 100, 30, argv)) return;
    char *s = tmux_wait_for(&p, EVALUATED, false, false);
    bool ok = s && tmux_resize(&p, 30, 6);
    free(s);
    s = ok ? tmux_wait_for(&p, "this terminal is 30x6.", false, false) : NULL;
    CHECKF(s && strstr(s, "moetop needs at least 40x8") && strstr(s, "Enlarge it, or q quits."), "the message: %s", s ? s : "(none)");
    free(s);
    ok = s && tmux_keys(&p, false, "m l l f >") && tmux_resize(&p, 100, 30);
    s = ok ? tmux_wait_for(&p, "interventions: none", false, true) : NULL;
    CHECKF(s && strstr(s, EVALUATED), "keys acted unseen: %s", s ? s : "(none)");
    free(s);
    ok = s && tmux_resize(&p, 30, 6);
    s = ok ? tmux_wait_for(&p, "this terminal is 30x6.", false, false) : NULL;
    if (s) quits_cleanly(&p);
    free(s);
    tmux_close(&p);
}

int main(void) {
    t_begin("explorer-tmux");
    RUN(in_tmux);
    RUN(in_tmux_colours_and_mouse);
    RUN(in_tmux_progress_and_cancel);
    RUN(terminal_refused_in_one_line);
    RUN(in_tmux_recording_has_the_terminal_size);
    RUN(in_tmux_paste_is_one_edit);
    RUN(in_tmux_too_small);
    return t_end();
}
