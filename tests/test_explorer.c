/* The explorer's foundations: the cell grid (wide glyphs, clipping), token
 * labels, key scripts, interventions from keys, the views' cycle and help,
 * colour depths, clicks, config, prompt and domain keys, errors as one line.
 * The views against trace and sweep, and exports: test_explorer_views.c. The
 * frames' shape (exactly H lines of exactly W cells, the status line, the
 * expected frames) is test_explorer_frames.c's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/cli_util.h"
#include "support/fixtures.h"
#include "support/harness.h"
#include "tui/app.h"
#include "tui/color_map.h"
#include "tui/grid.h"
#include "tui/label.h"
#include "tui/script.h"

static void grid_wide_glyphs_and_clipping(void) {
    mt_grid g;
    mt_grid_init(&g, 6, 2);
    mt_rect all = { 0, 0, 6, 2 };
    CHECK(mt_grid_text(&g, all, 0, 0, "a\xe6\x97\xa5" "b", 1, 2, 0) == 4); /* a, 日 (2 cells), b */
    CHECK(g.cells[1].cp == 0x65e5 && g.cells[2].cp == 0 && g.cells[3].cp == 'b');
    CHECK(mt_grid_put(&g, all, 5, 0, 0x65e5, 1, 2, 0) == 1 && g.cells[5].cp == ' '); /* no room: a space */
    mt_grid_put(&g, all, 2, 0, 'x', 1, 2, 0); /* overwrite the right half: the left half goes blank */
    CHECK(g.cells[1].cp == ' ' && g.cells[2].cp == 'x');
    CHECK(mt_grid_text(&g, all, 0, 1, "e\xcc\x81\xf0\x9f\x98\x80", 1, 2, 0) == 3); /* e + combining acute (dropped), 😀 wide */
    mt_bytes text = { 0 };
    mt_grid_to_text(&g, &text);
    mt_bytes_put(&text, "", 1);
    char *line2 = strchr((char *)text.data, '\n') + 1;
    CHECKF(strncmp((char *)text.data, "a xb  \n", 7) == 0, "line 1: %s", (char *)text.data);
    CHECKF(mt_text_width(line2) == 7 /* 6 cells + the newline's 1 */, "line 2 width %d", mt_text_width(line2));
    CHECK(mt_text_width("\xe6\x97\xa5\xe6\x9c\xac") == 4 && mt_text_width("e\xcc\x81") == 1);
    mt_bytes_free(&text);
    mt_grid_free(&g);
    /* whole words only: what fits, then ".." (worked out by hand on a 12-cell row) */
    static const struct { const char *in, *out; } words[] = {
        { "one two", "one two     " },      /* fits: as it is */
        { "one two three", "one two..   " }, /* "one two three" is 13: cut after "two" */
        { "abc defghijk", "abc defghijk" },  /* 12 cells: fits exactly */
        { "abc defghijkl", "abc..       " }, /* 13: only "abc" and ".." fit */
        { "abcdefghijklmnop", "abcdefghijkl" }, /* one word wider than the row: cut as mt_grid_text */
        { "a \xe6\x97\xa5\xe6\x9c\xac b cdef", "a \xe6\x97\xa5\xe6\x9c\xac b.." }, /* 日本 is 4 cells */
    };
    mt_grid_init(&g, 12, 1);
    for (size_t i = 0; i < sizeof words / sizeof *words; i++) {
        mt_grid_clear(&g);
        mt_grid_words(&g, (mt_rect){ 0, 0, 12, 1 }, 0, 0, words[i].in, 1, 2, 0);
        mt_bytes row = { 0 };
        mt_grid_to_text(&g, &row);
        mt_bytes_put(&row, "", 1);
        CHECKF(strncmp((char *)row.data, words[i].out, strlen(words[i].out)) == 0, "'%s' -> '%s', want '%s'", words[i].in, (char *)row.data,
               words[i].out);
        mt_bytes_free(&row);
    }
    mt_grid_free(&g);
}

static void labels_show_what_is_invisible(void) {
    char out[64];
    mt_token_label(" the\n", 5, false, 12, out, sizeof out);
    CHECKF(strcmp(out, "\xc2\xb7the\xe2\x86\xb5") == 0, "'%s'", out);
    mt_token_label("\t\xff", 2, false, 12, out, sizeof out);
    CHECKF(strcmp(out, "\xe2\x86\x92\\xff") == 0, "'%s'", out);
    mt_token_label(" a\n", 3, true, 12, out, sizeof out);
    CHECKF(strcmp(out, "_a\\n") == 0, "'%s'", out);
    mt_token_label("abcdefghijklmnop", 16, false, 6, out, sizeof out);
    CHECKF(mt_text_width(out) == 6 && strstr(out, "\xe2\x80\xa6"), "'%s'", out);
    mt_token_label("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", 9, false, 12, out, sizeof out);
    CHECK(mt_text_width(out) == 6);
}

/* Tokens made only of code points that show no ink get \uXXXX for each (a
 * blank label would hide them); line and paragraph separators always. */
static void labels_spell_out_invisible_tokens(void) {
    static const struct { const char *bytes, *label; } cases[] = {
        { "\xe2\x80\x8d", "\\u200d" },                          /* zero-width joiner */
        { "\xe2\x80\x8b", "\\u200b" },                          /* zero-width space */
        { "\xef\xbb\xbf", "\\ufeff" },                          /* byte-order mark */
        { "\xef\xb8\x8f", "\\ufe0f" },                          /* variation selector 16 */
        { "\xe2\x80\xae", "\\u202e" },                          /* right-to-left override */
        { "\xcc\x81", "\\u0301" },                              /* a lone combining acute */
        { "\xc2\xa0\xc2\xa0", "\\u00a0\\u00a0" },                /* no-break spaces */
        { "\xe1\x85\x9f", "\\u115f" },                          /* Hangul choseong filler (default-ignorable) */
        { " \xe2\x80\x8b", "\xc2\xb7\\u200b" },                  /* a space keeps its dot */
        { "\xe2\x80\xa8", "\\u2028" },                          /* line separator */
        { "a\xe2\x80\xa9" "b", "a\\u2029b" },                    /* paragraph separator, even among letters */
        { "\xc2\x85", "\\x85" },                                 /* next line (C1): as every control */
        { "a\xe2\x80\x8d", "a\xe2\x80\x8d" },                     /* with a visible glyph: as it is */
        { "\xf0\x9f\x91\x8d\xef\xb8\x8f", "\xf0\x9f\x91\x8d\xef\xb8\x8f" }, /* an emoji with its selector */
    };
    char out[64];
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        mt_token_label(cases[i].bytes, strlen(cases[i].bytes), false, 24, out, sizeof out);
        CHECKF(strcmp(out, cases[i].label) == 0, "case %zu: '%s', expected '%s'", i, out, cases[i].label);
    }
    mt_token_label("\xe2\x80\x8d", 3, true, 24, out, sizeof out); /* ASCII mode: as before */
    CHECKF(strcmp(out, "\\u200d") == 0, "'%s'", out);
    /* what a cell may hold: no control, no line break, nothing XML refuses */
    static const uint32_t to_space[] = { 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1b, 0x7f, 0x85, 0x9f, 0x2028, 0x2029 };
    for (size_t i = 0; i < sizeof to_space / sizeof *to_space; i++) CHECKF(mt_cell_glyph(to_space[i]) == ' ', "U+%04X", to_space[i]);
    CHECK(mt_cell_glyph(0xfffe) == 0xfffd && mt_cell_glyph(0xffff) == 0xfffd && mt_cell_glyph(0x1ffff) == 0xfffd && mt_cell_glyph(0xd800) == 0xfffd);
    CHECK(mt_cell_glyph('a') == 'a' && mt_cell_glyph(0x65e5) == 0x65e5 && mt_cell_glyph(0xa0) == 0xa0 && mt_cell_glyph(0x200d) == 0x200d);
}

static void key_scripts(void) {
    mt_script s;
    mt_err err;
    const char *ok = "# a comment\nj\n  K \nEnter\nS-Tab\nC-x\nF12\ntype hello world\nwait 50\nframe out.txt\n\xc3\xa9\n";
    CHECKF(mt_script_parse(ok, strlen(ok), "s", &s, &err) && s.n == 10, "%s", err.msg);
    if (s.n == 10) {
        CHECK(s.steps[0].key == 'j' && s.steps[1].key == 'K' && s.steps[2].key == MT_KEY_ENTER && s.steps[3].key == MT_KEY_BACKTAB);
        CHECK(s.steps[4].key == MT_KEY_CTRL_A + ('x' - 'a') && s.steps[5].key == MT_KEY_F1 + 11);
        CHECK(s.steps[6].kind == MT_STEP_TYPE && strcmp(s.steps[6].text, "hello world") == 0 && s.steps[7].ms == 50);
        CHECK(s.steps[8].kind == MT_STEP_FRAME && s.steps[9].key == 0xe9);
    }
    mt_script_free(&s);
    static const struct { const char *text; const char *expect; } bad[] = {
        { "j\nFrobnicate\n", "s:2: 'Frobnicate' is not a key name" },
        { "wait soon\n", "s:1: 'wait soon' needs milliseconds" },
        { "wait -5\n", "needs milliseconds" },
        { "F13\n", "not a key name" },
        { "C-1\n", "not a key name" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        err.msg[0] = 0;
        CHECKF(!mt_script_parse(bad[i].text, strlen(bad[i].text), "s", &s, &err) && strstr(err.msg, bad[i].expect), "%s: %s",
               bad[i].text, err.msg);
    }
    const char nul[] = "j\nk\0x\n";
    CHECK(!mt_script_parse(nul, sizeof nul - 1, "s", &s, &err) && strstr(err.msg, "s:2: a NUL byte"));
}

static void keys_intervene_and_clear(void) {
    const char *gguf = fixture_path('a', ".gguf");
    if (!gguf) return;
    char script[512], base[512], masked[512], cleared[512];
    snprintf(script, sizeof script, "%s/keys", t_tmpdir());
    snprintf(base, sizeof base, "%s/base.txt", t_tmpdir());
    snprintf(masked, sizeof masked, "%s/masked.txt", t_tmpdir());
    snprintf(cleared, sizeof cleared, "%s/cleared.txt", t_tmpdir());
    char text[2048];
    snprintf(text, sizeof text, "j\nl\nframe %s\nm\n+\nframe %s\nc\nframe %s\n", base, masked, cleared);
    t_write_file(script, text, strlen(text));
    proc_result r = run_moetop("-m", gguf, "--prompt", "Hello world, how are you?", "--headless", "--size", "100x20", "--script", script, NULL);
    CHECKF(r.status == 0, "%s", r.err);
    proc_free(&r);
    char *b = t_read_file(base, NULL), *m = t_read_file(masked, NULL), *c = t_read_file(cleared, NULL);
    if (CHECK(b && m && c)) {
        CHECKF(strstr(m, "mask ") && strstr(m, "k 3@1"), "the status line names the interventions");
        CHECK(strcmp(b, m) != 0);
        CHECKF(strstr(c, "interventions cleared") != NULL, "the status line says what c did");
        /* apart from the status line, the cleared frame is the baseline frame */
        char *bl = strrchr(b, '\n'), *cl = strrchr(c, '\n');
        if (bl && cl) {
            *bl = 0;
            *cl = 0;
            bl = strrchr(b, '\n');
            cl = strrchr(c, '\n');
            if (bl && cl) *bl = *cl = 0;
            CHECK(strcmp(b, c) == 0);
        }
    }
    free(b);
    free(m);
    free(c);
}

/* Tab cycles dashboard, heatmap, token; ? shows help; the help lists every key of the action table. */
static void views_cycle_and_help_lists_every_key(void) {
    const char *gguf = fixture_path('b', ".gguf");
    if (!gguf) return;
    char script[512], tok[512], help[512], text[2048];
    snprintf(script, sizeof script, "%s/views.keys", t_tmpdir());
    snprintf(tok, sizeof tok, "%s/token.txt", t_tmpdir());
    snprintf(help, sizeof help, "%s/help.txt", t_tmpdir());
    /* help scrolls: its frames a page apart hold every line between them */
    size_t o = (size_t)snprintf(text, sizeof text, "j\nTab\nTab\nframe %s\n?\n", tok);
    for (int p = 0; p < 4; p++) o += (size_t)snprintf(text + o, sizeof text - o, "frame %s.%d.txt\nPageDown\n", help, p);
    t_write_file(script, text, strlen(text));
    /* 50 rows: the keys are more than 40 rows hold (the help view does not scroll yet) */
    proc_result r = run_moetop("-m", gguf, "--prompt", "The quick brown fox", "--headless", "--size", "180x40", "--script", script, NULL);
    CHECKF(r.status == 0, "%s", r.err);
    proc_free(&r);
    char *t = t_read_file(tok, NULL), *h = NULL;
    size_t h_len = 0;
    for (int p = 0; p < 4; p++) {
        char path[600];
        snprintf(path, sizeof path, "%s.%d.txt", help, p);
        char *page = t_read_file(path, NULL);
        if (!page) continue;
        h = realloc(h, h_len + strlen(page) + 1);
        memcpy(h + h_len, page, strlen(page) + 1);
        h_len += strlen(page);
        free(page);
    }
    CHECKF(t && strstr(t, "token 1:") && strstr(t, "L0") && strstr(t, "L2") && strstr(t, "margin"), "token view: %s", t ? t : "");
    if (CHECK(h != NULL)) {
        for (size_t i = 0; i < mt_action_count; i++) CHECKF(strstr(h, mt_actions[i].help) != NULL, "help lacks '%s'", mt_actions[i].help);
        CHECK(strstr(h, "H_full") && strstr(h, "CoAct"));
    }
    free(t);
    free(h);
}

/* Each RGB colour's nearest in 256 and 16 colours, and the direct-colour entry chosen for TERM. */
static void colour_depths(void) {
    CHECK(mt_color_to_256(0xff0000) == 196 && mt_color_to_256(0x000000) == 16 && mt_color_to_256(0xffffff) == 231);
    CHECK(mt_color_to_256(0x808080) == 244 && mt_color_to_256(0x5f87af) == 67);
    CHECK(mt_color_to_16(0xff0000, 16) == 9 && mt_color_to_16(0xcd0000, 16) == 1 && mt_color_to_16(0x000000, 16) == 0);
    CHECK(mt_color_to_16(0xff0000, 8) == 1 && mt_color_to_16(0xfdfdfd, 8) == 7 && mt_color_to_16(0x1f77b4, 16) != 0);
    char name[64];
    CHECK(mt_direct_term_name("xterm-256color", name, sizeof name) && strcmp(name, "xterm-direct") == 0);
    CHECK(mt_direct_term_name("tmux-direct", name, sizeof name) && strcmp(name, "tmux-direct") == 0);
    CHECK(mt_direct_term_name("screen.xterm-256color", name, sizeof name) && strcmp(name, "screen-direct") == 0);
    CHECK(!mt_direct_term_name("", name, sizeof name) && !mt_direct_term_name(NULL, name, sizeof name));
    CHECK(mt_colorterm_truecolor("truecolor") && mt_colorterm_truecolor("24bit") && !mt_colorterm_truecolor("yes") && !mt_colorterm_truecolor(NULL));
    CHECK(mt_depth_for_colors(0x1000000) == MT_DEPTH_TRUE && mt_depth_for_colors(256) == MT_DEPTH_256 && mt_depth_for_colors(16) == MT_DEPTH_16 &&
          mt_depth_for_colors(8) == MT_DEPTH_16 && mt_depth_for_colors(0) == MT_DEPTH_NONE);
}

/* click X Y in a script: selects a heatmap cell; a second click on it opens the token view. */
static void clicks_select_cells(void) {
    const char *gguf = fixture_path('a', ".gguf");
    if (!gguf) return;
    char keys[512], one[512], two[512], ab[512], text[2048];
    snprintf(keys, sizeof keys, "%s/click.keys", t_tmpdir());
    snprintf(one, sizeof one, "%s/click1.txt", t_tmpdir());
    snprintf(two, sizeof two, "%s/click2.txt", t_tmpdir());
    snprintf(ab, sizeof ab, "%s/click3.txt", t_tmpdir());
    /* the heatmap view at 100 columns: cells are 3 wide from column 18, token rows from row 2 (under the title and the header) */
    snprintf(text, sizeof text, "Tab\nclick 24 5\nframe %s\nclick 24 5\nframe %s\nEsc\nTab\nTab\nTab\nTab\nTab\nclick 17 4\nframe %s\nclick 99 29\n",
             one, two, ab);
    t_write_file(keys, text, strlen(text));
    proc_result r = run_moetop("-m", gguf, "--prompt", "The quick brown fox", "--headless", "--size", "100x30", "--script", keys, NULL);
    CHECKF(r.status == 0, "%s", r.err);
    proc_free(&r);
    char *a = t_read_file(one, NULL), *b = t_read_file(two, NULL), *c = t_read_file(ab, NULL);
    CHECKF(a && strstr(a, "token 3, layer 2"), "%s", a ? a : "");
    CHECKF(b && strstr(b, " token |"), "%s", b ? b : "");
    /* the ablate grid: experts from column 10, 3 wide; layer rows from row 2 */
    CHECKF(c && strstr(c, " ablate |") && strstr(c, "layer 2, expert 2"), "%s", c ? c : "");
    free(a);
    free(b);
    free(c);
    t_write_file(keys, "click 3\n", 8);
    r = run_moetop("-m", gguf, "--headless", "--script", keys, NULL);
    CHECKF(is_clean_usage_error(&r) && strstr(r.err, "click.keys:1: 'click 3' needs a column and a row"), "%s", r.err);
    proc_free(&r);
}

static void config_files(void) {
    const char *gguf = fixture_path('a', ".gguf");
    if (!gguf) return;
    char good[512], bad[512], frame[512];
    snprintf(good, sizeof good, "%s/good.ini", t_tmpdir());
    snprintf(bad, sizeof bad, "%s/bad.ini", t_tmpdir());
    snprintf(frame, sizeof frame, "%s/cfg.txt", t_tmpdir());
    proc_result r = run_moetop("-m", gguf, "--headless", "--config", "config/moetop.ini", NULL);
    CHECKF(r.status == 0, "the shipped config: %s", r.err);
    /* --headless with nothing to write says so (one line), rather than nothing */
    CHECKF(strstr(r.err, "--headless: the model, prompt and configuration loaded; nothing to write") && !strchr(strchr(r.err, '\n') + 1, '\n'),
           "'%s'", r.err);
    proc_free(&r);
    t_write_file(good, "; opens on sweep\n[explorer]\nview = sweep\n", 40);
    r = run_moetop("-m", gguf, "--headless", "--config", good, "--size", "90x12", "--export-frame", frame, NULL);
    char *f = t_read_file(frame, NULL);
    CHECKF(r.status == 0 && f && strstr(f, " sweep |"), "%s", r.err);
    free(f);
    proc_free(&r);
    /* the theme: Okabe-Ito's colours for expert ids (expert 3 is its yellow, tableau's is red) */
    char svg[512];
    snprintf(svg, sizeof svg, "%s/theme.svg", t_tmpdir());
    t_write_file(good, "[theme]\nramp = cividis\nexperts = okabe-ito\n", 43);
    r = run_moetop("-m", gguf, "--headless", "--config", good, "--prompt", "The quick brown fox", "--export-frame", svg, NULL);
    f = t_read_file(svg, NULL);
    CHECKF(r.status == 0 && f && strstr(f, "fill=\"#f0e442\"") && !strstr(f, "fill=\"#d62728\""), "%s", r.err);
    free(f);
    proc_free(&r);
    /* [engine] threads: the status line names the backend's threads; MOETOP_THREADS overrides the file */
    t_write_file(good, "[engine]\nthreads = 1\n", 21);
    for (int env = 0; env < 2; env++) {
        if (env) setenv("MOETOP_THREADS", "2", 1);
        r = run_moetop("-m", gguf, "--headless", "--config", good, "--size", "200x12", "--export-frame", frame, NULL);
        f = t_read_file(frame, NULL);
        CHECKF(r.status == 0 && f && strstr(f, env ? "2 threads" : "1 thread "), "%s %s", r.err, f ? f : "");
        free(f);
        proc_free(&r);
        unsetenv("MOETOP_THREADS");
    }
    static const struct { const char *text, *expect; } cases[] = {
        { "[display]\nascii = maybe\n", ":2: [display] ascii: 'maybe' is not a valid value" },
        { "[explorer]\nview = sweep\nfoo = 1\n", ":3: unknown key 'foo' in [explorer]" },
        { "[explorer]\ngenerate_tokens = 0\n", ":2: [explorer] generate_tokens: '0'" },
        { "just words\n", ":1: not name = value" },
        { "[nowhere]\nx = 1\n", ":2: unknown key 'x' in [nowhere]" },
        { "[theme]\nramp = jet\n", ":2: [theme] ramp: 'jet' is not a valid value" },
        { "[explorer]\ntemperature = hot\n", ":2: [explorer] temperature: 'hot'" },
        { "[explorer]\n\nseed = -1\n", ":3: [explorer] seed: '-1'" },
        { "[explorer]\ntop_p = 0\n", ":2: [explorer] top_p: '0'" },
        { "[display]\ncolors = 88\n", ":2: [display] colors: '88'" },
        { "[engine]\nbackend = gpu\n", ":2: [engine] backend: 'gpu' is not a valid value" },
        { "[engine]\ndevice = first\n", ":2: [engine] device: 'first'" },
        { "[engine]\nthreads = 0\n", ":2: [engine] threads: '0'" },
        { "[engine]\n\nthreads = all\n", ":3: [engine] threads: 'all'" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        t_write_file(bad, cases[i].text, strlen(cases[i].text));
        r = run_moetop("-m", gguf, "--headless", "--config", bad, NULL);
        CHECKF(is_clean_usage_error(&r) && strstr(r.err, cases[i].expect) && strstr(r.err, "bad.ini"), "case %zu: %s", i, r.err);
        proc_free(&r);
    }
}

/* Runs the bundled-model explorer headless on keys (a script's text) and
 * returns the final .txt frame (caller frees), or NULL after a failed check. */
static char *frame_after(const char *prompt, const char *keys, const char *name) {
    char script[600], frame[600];
    snprintf(script, sizeof script, "%s/%s.keys", t_tmpdir(), name);
    snprintf(frame, sizeof frame, "%s/%s.txt", t_tmpdir(), name);
    t_write_file(script, keys, strlen(keys));
    proc_result r = run_moetop("--prompt", prompt, "--headless", "--size", "120x30", "--script", script, "--export-frame", frame, NULL);
    bool ok = CHECKF(r.status == 0, "%s: exit %d: %s", name, r.status, r.err);
    proc_free(&r);
    return ok ? t_read_file(frame, NULL) : NULL;
}

/* p and P on the bundled prompt sets (their domains read from assets/prompts
 * at run time): the first p shows the first prompt of the first domain, the
 * first P the first domain; later presses step on. */
static void first_press_shows_first_prompt_and_domain(void) {
    const char *const lister[] = { "/bin/sh", "-c", "ls assets/prompts | sed 's/\\.[^.]*$//' | sort | head -2", NULL };
    proc_result ls = proc_run(lister, NULL);
    char first[128] = "", second[128] = "";
    if (sscanf(ls.out, "%127s %127s", first, second) != 2) {
        t_skip("assets/prompts holds fewer than two domains");
        proc_free(&ls);
        return;
    }
    proc_free(&ls);
    static const struct { const char *keys, *name; int domain, number; } cases[] = {
        { "p\n", "p1", 0, 1 }, { "p\np\n", "p2", 0, 2 }, { "P\n", "P1", 0, 1 }, { "P\nP\n", "P2", 1, 1 }, { "p\np\nP\n", "ppP", 1, 1 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *f = frame_after("x", cases[i].keys, cases[i].name), want[300];
        snprintf(want, sizeof want, "| %s prompt %d of ", cases[i].domain ? second : first, cases[i].number);
        CHECKF(f && strstr(f, want), "%s: want '%s' on the status line: %s", cases[i].name, want, f ? f : "");
        free(f);
    }
}

/* The prompt line's history: after running beta then gamma, e starts on
 * gamma and the first Up shows beta (not gamma again), Down comes back. */
static void history_up_shows_the_previous_prompt(void) {
    char *f = frame_after("alpha", "e\nC-u\ntype beta\nEnter\ne\nC-u\ntype gamma\nEnter\ne\nUp\n", "up");
    CHECKF(f && strstr(f, "prompt> beta"), "first Up: %s", f ? f : "");
    free(f);
    f = frame_after("alpha", "e\nC-u\ntype beta\nEnter\ne\nC-u\ntype gamma\nEnter\ne\nUp\nDown\n", "updown");
    CHECKF(f && strstr(f, "prompt> gamma"), "Up then Down: %s", f ? f : "");
    free(f);
}

/* An empty prompt: the views that show statistics say there are no tokens
 * (no rows of 0.00); with one fewer expert per token at a layer, the experts
 * view's uniform line is (k - 1)/E, not k/E. */
static void no_tokens_and_the_uniform_line(void) {
    static const char *const views[] = { "heatmap", "token", "sweep", "experts", "compare" };
    static const char *const keys[] = { "Tab\n", "Tab\nTab\n", "Tab\nTab\nTab\n", "Tab\nTab\nTab\nTab\n", "S-Tab\nS-Tab\nS-Tab\nS-Tab\n" };
    for (size_t i = 0; i < 5; i++) {
        char name[32];
        snprintf(name, sizeof name, "empty-%s", views[i]);
        char *f = frame_after("", keys[i], name);
        CHECKF(f && strstr(f, views[i]) && (strstr(f, "no tokens") || strstr(f, "give a prompt")) && !strstr(f, "0.00"), "%s view, no tokens: %s",
               views[i], f ? f : "");
        free(f);
    }
    proc_result info = run_moetop("info", "--json", NULL);
    char err[256];
    jv *v = info.status == 0 ? jv_parse(info.out, info.out_len, err, sizeof err) : NULL;
    const jv *md = v ? jv_get(v, "metadata") : NULL;
    double k = md ? jv_num(md, "gpt-oss.expert_used_count", 0) : 0, E = md ? jv_num(md, "gpt-oss.expert_count", 0) : 0;
    if (CHECKF(k > 1 && E > 0, "info --json: %s", info.err)) {
        char *f = frame_after("The quick brown fox", "-\nTab\nTab\nTab\nTab\n", "uniform"), want[64];
        snprintf(want, sizeof want, "(| uniform %.2f)", (k - 1) / E);
        CHECKF(f && strstr(f, "experts |") && strstr(f, want), "want '%s': %s", want, f ? f : "");
        free(f);
    }
    jv_free(v);
    proc_free(&info);
}

static void explorer_errors(void) {
    const char *gguf = fixture_path('a', ".gguf");
    if (!gguf) return;
    char script[512];
    snprintf(script, sizeof script, "%s/bad.keys", t_tmpdir());
    t_write_file(script, "j\nPaddle\n", 9);
    proc_result r = run_moetop("-m", gguf, "--headless", "--script", script, NULL);
    CHECKF(is_clean_usage_error(&r) && strstr(r.err, "bad.keys:2: 'Paddle' is not a key name"), "%s", r.err);
    proc_free(&r);
    r = run_moetop("-m", gguf, "--headless", "--size", "12", NULL);
    CHECK(is_clean_usage_error(&r) && strstr(r.err, "--size: '12' is not WxH"));
    proc_free(&r);
    r = run_moetop("-m", gguf, NULL); /* stdout is a pipe here */
    CHECK(is_clean_usage_error(&r) && strstr(r.err, "--headless"));
    proc_free(&r);
}

/* The help view gives what starting said whole (the status line shows it only as wide as it is, until
 * it expires): a 56-cell frame wraps the lines at spaces, never cuts them; nothing said, no such part. */
static char *help_frame(const char *name) {
    char script[600], frame[600];
    snprintf(script, sizeof script, "%s/%s.keys", t_tmpdir(), name);
    snprintf(frame, sizeof frame, "%s/%s.txt", t_tmpdir(), name);
    t_write_file(script, "?\n", 2);
    proc_result r = run_moetop("--prompt", "Hi", "--headless", "--size", "56x40", "--script", script, "--export-frame", frame, NULL);
    bool ok = CHECKF(r.status == 0, "%s: exit %d: %s", name, r.status, r.err);
    proc_free(&r);
    return ok ? t_read_file(frame, NULL) : NULL;
}

static void help_shows_start_up_notes(void) {
    setenv("MOETOP_KERNELS", "an-unknown-kernel-set", 1);
    setenv("MOETOP_HUGEPAGES", "maybe", 1);
    char *h = help_frame("notes-help");
    unsetenv("MOETOP_KERNELS");
    unsetenv("MOETOP_HUGEPAGES");
    char *plain = help_frame("plain-help");
    if (h) { /* the frame's text with every run of spaces and newlines made one space */
        size_t n = 0;
        for (const char *p = h; *p; p++)
            if (!((*p == ' ' || *p == '\n') && n && h[n - 1] == ' ')) h[n++] = *p == '\n' ? ' ' : *p;
        h[n] = 0;
        const char *at = strstr(h, " when it started MOETOP_KERNELS=an-unknown-kernel-set: not a kernel set (c, avx2 or avx512); using ");
        CHECKF(at && strstr(at, " MOETOP_HUGEPAGES=maybe: not 0, 1, off or on; deciding by the system keys Tab "),
               "help: %.600s", h);
    }
    CHECKF(plain && !strstr(plain, "when it started") && strstr(plain, "keys"), "plain help: %.300s", plain ? plain : "(none)");
    free(h);
    free(plain);
}

int main(void) {
    t_begin("explorer");
    RUN(grid_wide_glyphs_and_clipping);
    RUN(labels_show_what_is_invisible);
    RUN(labels_spell_out_invisible_tokens);
    RUN(key_scripts);
    RUN(keys_intervene_and_clear);
    RUN(views_cycle_and_help_lists_every_key);
    RUN(colour_depths);
    RUN(clicks_select_cells);
    RUN(config_files);
    RUN(first_press_shows_first_prompt_and_domain);
    RUN(no_tokens_and_the_uniform_line);
    RUN(history_up_shows_the_previous_prompt);
    RUN(explorer_errors);
    RUN(help_shows_start_up_notes);
    return t_end();
}
