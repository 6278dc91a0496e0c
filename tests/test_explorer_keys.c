/* The explorer's keys for the story a recording tells (tui/app_keys.c,
 * tui/conditions.c), headless: f and F force, > and < set k at every layer,
 * K keeps conditions (the experiments library's mt_conditions) that the
 * compare view shows side by side; a paste is one edit, the edit line keeps
 * its cursor on screen; below the minimum size the message is whole. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/cli_util.h"
#include "support/fixtures.h"
#include "support/harness.h"
#include "tui/app.h"
#include "tui/app_keys.h"
#include "tui/edit_line.h"
#include "tui/grid.h"

/* Plays steps (one per line, frames named by the caller) on fixture a. */
static bool play(const char *steps, const char *size) {
    const char *gguf = fixture_path('a', ".gguf");
    if (!gguf) return false;
    char script[512];
    snprintf(script, sizeof script, "%s/keys.txt", t_tmpdir());
    t_write_file(script, steps, strlen(steps));
    proc_result r = run_moetop("-m", gguf, "--prompt", "The quick brown fox jumps over the lazy dog.", "--headless", "--size", size, "--script", script,
                               NULL);
    bool ok = CHECKF(r.status == 0, "%s", r.err);
    proc_free(&r);
    return ok;
}

static char *frame(const char *name) {
    char path[600];
    snprintf(path, sizeof path, "%s/%s", t_tmpdir(), name);
    return t_read_file(path, NULL);
}

/* The frame's last line (the status line). */
static const char *status_line(char *f) {
    size_t n = strlen(f);
    while (n && f[n - 1] == '\n') f[--n] = 0;
    char *nl = strrchr(f, '\n');
    return nl ? nl + 1 : f;
}

static void force_and_k_everywhere(void) {
    char steps[2048];
    const char *d = t_tmpdir();
    snprintf(steps, sizeof steps,
             "l\nf\nframe %s/f1.txt\nf\nframe %s/f2.txt\nF\nframe %s/f3.txt\nF\nframe %s/f4.txt\n>\nframe %s/k1.txt\n<\n<\nframe %s/k2.txt\n"
             "c\n<\n<\n<\n<\n<\nframe %s/k3.txt\n",
             d, d, d, d, d, d, d);
    if (!play(steps, "120x30")) return;
    char *f1 = frame("f1.txt"), *f2 = frame("f2.txt"), *f3 = frame("f3.txt"), *f4 = frame("f4.txt"), *k1 = frame("k1.txt"), *k2 = frame("k2.txt"),
         *k3 = frame("k3.txt");
    if (CHECK(f1 && f2 && f3 && f4 && k1 && k2 && k3)) {
        int e = -1;
        const char *s = status_line(f1), *at = strstr(s, "forced expert ");
        if (at) sscanf(at, "forced expert %d at layer 1", &e);
        CHECKF(e >= 0 && strstr(s, "interventions: force ") && strstr(s, "at layer 1"), "f: %s", s);
        /* forced: the cell's top expert is e with weight 1, so f again on it unforces */
        s = status_line(f2);
        CHECKF(strstr(s, "interventions: none") && strstr(s, "unforced expert"), "f again: %s", s);
        s = status_line(f3);
        char want[64];
        snprintf(want, sizeof want, "forced expert %d at every layer", e);
        CHECKF(strstr(s, want) && strstr(s, "force "), "F: %s", s);
        s = status_line(f4);
        CHECKF(strstr(s, "interventions: none") && strstr(s, "unforced"), "F again: %s", s);
        s = status_line(k1);
        /* fixture a: 4 layers, k 2 */
        CHECKF(strstr(s, "k 3 at every layer") && strstr(s, "interventions: k 3@all"), ">: %s", s);
        s = status_line(k2);
        CHECKF(strstr(s, "k 1 at every layer") && strstr(s, "k 1@all") && !strstr(s, "k 3@"), "< <: %s", s);
        /* k never below 1 */
        s = status_line(k3);
        CHECKF(strstr(s, "k stays 1") && strstr(s, "k 1@all"), "k at 1, then <: %s", s);
    }
    free(f1), free(f2), free(f3), free(f4), free(k1), free(k2), free(k3);
}

/* K twice (one named by hand), the compare view: every kept condition and
 * the interventions in force, side by side; ] and Enter apply one, Delete
 * forgets it. */
static void kept_conditions_side_by_side(void) {
    char steps[2048];
    const char *d = t_tmpdir();
    snprintf(steps, sizeof steps,
             "F\nK\nEnter\nc\n>\nK\nC-u\ntype wide router\nEnter\nK\nframe %s/again.txt\nEsc\nc\nm\n"
             "Tab\nTab\nTab\nTab\nTab\nTab\nframe %s/cmp.txt\n]\nEnter\nframe %s/applied.txt\nDelete\nframe %s/forgot.txt\nDelete\nframe %s/last.txt\n",
             d, d, d, d, d);
    if (!play(steps, "140x40")) return;
    char *again = frame("again.txt"), *cmp = frame("cmp.txt"), *applied = frame("applied.txt"), *forgot = frame("forgot.txt"), *last = frame("last.txt");
    if (CHECK(again && cmp && applied && forgot && last)) {
        CHECKF(strstr(status_line(again), "kept already, as 'wide router'"), "K on kept interventions: %s", status_line(again));
        CHECKF(strstr(cmp, "conditions side by side") && strstr(cmp, "#1 baseline") && strstr(cmp, "#2 force ") && strstr(cmp, "#3 wide router") &&
                   strstr(cmp, "#4 (current)"),
               "compare: %s", cmp);
        CHECKF(strstr(cmp, "#3 wide router: --k 3 ") && strstr(cmp, "#4 (current): --mask "), "the legend: %s", cmp);
        /* the baseline's own row: overlap 1 at layer 0; a forced expert everywhere moves the next token */
        CHECKF(strstr(cmp, "    0 1.000 ") && strstr(cmp, "reference") && strstr(cmp, "0.0000 nats"), "compare: %s", cmp);
        /* ] from the last kept (3) wraps to the first kept (2): Enter applies it */
        const char *s = status_line(applied);
        CHECKF(strstr(s, "applied 'force ") && strstr(s, "interventions: force "), "Enter: %s", s);
        s = status_line(forgot);
        CHECKF(strstr(s, "forgot 'force "), "Delete: %s", s);
        CHECKF(!strstr(forgot, "#2 force") && strstr(forgot, "#2 wide router"), "after Delete: %s", forgot);
        /* the last kept one forgotten: the plain compare view again */
        CHECKF(strstr(status_line(last), "forgot 'wide router'") && !strstr(last, "conditions side by side"), "the last Delete: %s", last);
    }
    free(again), free(cmp), free(applied), free(forgot), free(last);
}

/* A script's paste TEXT: one edit, its end and the cursor on the edit line
 * (scrolled, '<' marking hidden text); outside the editor it opens it. */
static void paste_and_edit_line(void) {
    char steps[8192], text[3001];
    const char *d = t_tmpdir();
    for (int i = 0; i < 2990; i++) text[i] = (char)('a' + i % 26);
    memcpy(text + 2990, " THE-END!!", 10);
    text[3000] = 0;
    snprintf(steps, sizeof steps, "paste %s\nframe %s/p1.txt\nHome\nframe %s/p2.txt\nEnter\nframe %s/p3.txt\n", text, d, d, d);
    if (!play(steps, "80x24")) return;
    char *p1 = frame("p1.txt"), *p2 = frame("p2.txt"), *p3 = frame("p3.txt");
    if (CHECK(p1 && p2 && p3)) {
        const char *s = status_line(p1);
        CHECKF(strncmp(s, "prompt> <", 9) == 0 && strstr(s, "THE-END!!"), "after the paste: '%s'", s);
        s = status_line(p2);
        CHECKF(strncmp(s, "prompt> abcdefghij", 18) == 0 && s[strlen(s) - 1] == '>', "Home: '%s'", s);
        CHECKF(strstr(status_line(p3), "prompt run"), "Enter: %s", status_line(p3));
    }
    free(p1), free(p2), free(p3);
}

/* The first column shown keeps the cursor on the line (cells 1..w-2 once
 * scrolled), in jumps of half the line. */
static void edit_line_columns(void) {
    CHECK(mt_edit_line_first_column(0, 20) == 0 && mt_edit_line_first_column(18, 20) == 0);
    int bad = 0;
    for (int w = 4; w <= 60; w++)
        for (int c = 0; c < 500; c++) {
            int f = mt_edit_line_first_column(c, w), x = c - f;
            if (f < 0 || x < 0 || x > w - 1 || (f > 0 && (x < 1 || x > w - 2 || f % ((w - 2) / 2)))) bad++;
        }
    CHECKF(bad == 0, "%d cursor columns off the line", bad);
    CHECK(mt_edit_line_first_column(19, 20) == 9 && mt_edit_line_first_column(27, 20) == 9 && mt_edit_line_first_column(28, 20) == 18);
    /* drawn: 40 cells, the cursor at the end of 100 characters */
    mt_grid g;
    mt_grid_init(&g, 48, 1);
    char text[101];
    for (int i = 0; i < 100; i++) text[i] = (char)('0' + i % 10);
    text[100] = 0;
    mt_edit_line_draw(&g, (mt_rect){ 0, 0, 48, 1 }, "prompt> ", text, 100, false);
    int cursor = -1;
    for (int x = 0; x < 48; x++)
        if (g.cells[x].attrs & MT_ATTR_REVERSE) cursor = x;
    CHECKF(cursor > 8 && cursor < 47 && g.cells[8].cp == '<' && g.cells[cursor - 1].cp == '9', "cursor at %d", cursor);
    mt_grid_free(&g);
}

/* Below the minimum: at every size the message read back is one of the
 * wordings whole (never cut), or nothing where none fits. */
static void too_small_message_is_whole(void) {
    int bad = 0, blank = 0;
    char first_bad[128] = "";
    for (int w = 1; w < MT_APP_MIN_W + 5; w++)
        for (int h = 1; h < MT_APP_MIN_H + 3; h++) {
            if (w >= MT_APP_MIN_W && h >= MT_APP_MIN_H) continue;
            mt_grid g;
            mt_grid_init(&g, w, h);
            mt_app_draw_too_small(&g);
            char got[2048];
            size_t o = 0;
            bool space = true;
            for (int i = 0; i < w * h && o + 8 < sizeof got; i++) { /* the cells, runs of spaces as one */
                uint32_t cp = g.cells[i].cp;
                if (cp == ' ' || i % w == 0) {
                    if (!space && o) got[o++] = ' ';
                    space = true;
                }
                if (cp != ' ') {
                    got[o++] = (char)cp;
                    space = false;
                }
            }
            while (o && got[o - 1] == ' ') o--;
            got[o] = 0;
            char v[4][160];
            snprintf(v[0], sizeof v[0], "moetop needs at least %dx%d cells; this terminal is %dx%d. Enlarge it, or q quits.", MT_APP_MIN_W, MT_APP_MIN_H, w, h);
            snprintf(v[1], sizeof v[1], "moetop needs %dx%d (this is %dx%d); q quits", MT_APP_MIN_W, MT_APP_MIN_H, w, h);
            snprintf(v[2], sizeof v[2], "needs %dx%d, is %dx%d", MT_APP_MIN_W, MT_APP_MIN_H, w, h);
            snprintf(v[3], sizeof v[3], "need %dx%d", MT_APP_MIN_W, MT_APP_MIN_H);
            bool whole = !strcmp(got, v[0]) || !strcmp(got, v[1]) || !strcmp(got, v[2]) || !strcmp(got, v[3]);
            /* nothing only where even "need 40x8" does not fit: fewer than 4 columns, or one row of fewer than 9 */
            bool room = w >= 4 && (h >= 2 || w >= 9);
            if (!o) blank++;
            if ((room ? !whole : o > 0) && !bad++) snprintf(first_bad, sizeof first_bad, "%dx%d: '%.40s'", w, h, got);
            mt_grid_free(&g);
        }
    CHECKF(bad == 0, "%d sizes with a cut message, first %s", bad, first_bad);
    CHECKF(blank == 3 * (MT_APP_MIN_H + 2) + 5, "%d sizes show nothing", blank);
}

/* The interventions as --cond flags, grouped by expert and by k. */
static void flags_text(void) {
    mt_interventions iv;
    if (!CHECK(mt_iv_init(&iv, 4, 8))) return;
    char out[256];
    mt_iv_flags_text(&iv, out, sizeof out);
    CHECK(out[0] == 0);
    for (int l = 0; l < 4; l++) iv.force[l] = 3;
    iv.k[1] = iv.k[2] = 2;
    iv.flags[0 * 8 + 5] |= MT_IV_MASK;
    iv.flags[3 * 8 + 5] |= MT_IV_MASK;
    iv.flags[2 * 8 + 1] |= MT_IV_ZERO;
    mt_iv_flags_text(&iv, out, sizeof out);
    CHECKF(strcmp(out, "--force 3 --k 2@1,2 --mask 5@0,3 --zero 1@2") == 0, "'%s'", out);
    /* the text is a condition `moetop compare --cond` takes: it parses back to the same interventions */
    mt_conditions c;
    mt_interventions none;
    mt_iv_init(&none, 4, 8);
    mt_err err;
    char spec[300];
    snprintf(spec, sizeof spec, "again: %s", out);
    if (CHECK(mt_conds_init(&c, &none))) {
        CHECKF(mt_conds_add_spec(&c, spec, &err), "%s", err.msg);
        const mt_condition *back = mt_conds_find(&c, "again");
        CHECK(back && mt_iv_first_difference(&back->iv, &iv) == 4);
        mt_conds_free(&c);
    }
    mt_iv_free(&none);
    mt_iv_free(&iv);
}

int main(void) {
    t_begin("explorer-keys");
    RUN(force_and_k_everywhere);
    RUN(kept_conditions_side_by_side);
    RUN(paste_and_edit_line);
    RUN(edit_line_columns);
    RUN(too_small_message_is_whole);
    RUN(flags_text);
    return t_end();
}
