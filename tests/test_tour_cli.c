/* `moetop tour` as a command: headless to the end on the bundled model at
 * 120x40 and 80x24 (each scene's frame with its caption and view, a valid
 * asciicast v2 recording that ends at the last scene), two runs giving the
 * same frames and events, --scene, bad input refused in one line with
 * nothing written, a prompt set where math routes like the rest (no math
 * expert claimed), a gpt-oss-20b-shaped synth, and, in tmux, pause and step
 * in a real terminal. Nothing here knows which expert is the math expert. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/json_read.h"
#include "support/cli_util.h"
#include "support/harness.h"
#include "support/tmux.h"

#define MODEL "assets/models/moetop-moe.gguf"
#define DEADLINE_S 1200 /* bounds a hang only: a sanitizer build on a loaded machine is far faster */

/* What each scene's status line (a frame's last row) starts with. */
static const char *const status_of[8] = { " dashboard |", " experts |", " compare |", " compare |",
                                           " ablate |",    " token |",   " compare |", " dashboard |" };

static bool have_bundled(void) {
    if (access(MODEL, R_OK) == 0) return true;
    t_skip("%s is absent", MODEL);
    return false;
}

static proc_result tour(const char *const *args) {
    const char *argv[40] = { t_bin(), "tour" };
    int n = 2;
    for (; args[n - 2] && n < 39; n++) argv[n] = args[n - 2];
    argv[n] = NULL;
    return proc_run_deadline(argv, NULL, DEADLINE_S);
}

/* Line i (from 0) of text, into out. */
static bool line_of(const char *text, int i, char *out, size_t cap) {
    const char *p = text;
    for (int k = 0; k < i; k++) {
        p = strchr(p, '\n');
        if (!p) return false;
        p++;
    }
    size_t len = strcspn(p, "\n");
    snprintf(out, cap, "%.*s", (int)len, p);
    return true;
}

/* Every scene's frame: h lines, "scene i/8" on the first, the view's status
 * line last. first: the first scene played (earlier ones have no frame). */
static void check_frames(const char *dir, int h, int first) {
    for (int i = 1; i <= 8; i++) {
        char path[600], line[8192], tag[32];
        snprintf(path, sizeof path, "%s/scene-%02d.txt", dir, i);
        if (i < first) {
            CHECKF(access(path, F_OK) != 0, "%s exists, but the tour started at scene %d", path, first);
            continue;
        }
        char *text = t_read_file(path, NULL);
        if (!CHECKF(text, "%s was not written", path)) continue;
        CHECKF(proc_count_lines(text) == h, "%s: %d lines, want %d", path, proc_count_lines(text), h);
        snprintf(tag, sizeof tag, "scene %d/8", i);
        CHECKF(line_of(text, 0, line, sizeof line) && strstr(line, tag), "%s: first line '%s'", path, line);
        CHECKF(!strstr(text, "...\n"), "%s: a caption or row ends cut short", path);
        CHECKF(line_of(text, h - 1, line, sizeof line) && strncmp(line, status_of[i - 1], strlen(status_of[i - 1])) == 0,
               "%s: status line '%s', want '%s'", path, line, status_of[i - 1]);
        free(text);
    }
}

/* An asciicast v2 file: the header (version 2, the size), then events
 * [t, "o", data] with t never decreasing, starting at 0 and ending at
 * end_t with the last scene's caption and the end. Returns its events
 * (the lines after the header) for comparison, or NULL. */
static char *check_cast(const char *path, int w, int h, double end_t, int first_scene) {
    char *text = t_read_file(path, NULL), err[256], line[1 << 16];
    if (!CHECKF(text, "%s was not written", path)) return NULL;
    bool ok = line_of(text, 0, line, sizeof line);
    jv *head = ok ? jv_parse(line, strlen(line), err, sizeof err) : NULL;
    const jv *v = head ? jv_get(head, "version") : NULL, *jw = head ? jv_get(head, "width") : NULL, *jh = head ? jv_get(head, "height") : NULL;
    CHECKF(v && v->num == 2 && jw && jw->num == w && jh && jh->num == h, "%s: header '%.200s'", path, line);
    jv_free(head);
    double last = -1;
    int events = 0;
    char tag[32];
    for (int i = 1; line_of(text, i, line, sizeof line) && line[0]; i++, events++) {
        jv *e = jv_parse(line, strlen(line), err, sizeof err);
        const jv *t = e ? jv_at(e, 0) : NULL, *kind = e ? jv_at(e, 1) : NULL, *data = e ? jv_at(e, 2) : NULL;
        if (!CHECKF(e && e->kind == JV_ARR && e->len == 3 && t && t->kind == JV_NUM && kind && kind->kind == JV_STR && data && data->kind == JV_STR,
                    "%s:%d: not an event: %.200s", path, i + 1, line)) {
            jv_free(e);
            break;
        }
        CHECKF(strcmp(kind->str, "o") == 0, "%s:%d: event kind '%s'", path, i + 1, kind->str);
        CHECKF(t->num >= last, "%s:%d: time %g after %g", path, i + 1, t->num, last);
        if (i == 1) {
            snprintf(tag, sizeof tag, "scene %d/8", first_scene);
            CHECKF(t->num == 0 && strstr(data->str, tag), "%s: the first event (at %g) is not scene %d's", path, t->num, first_scene);
        }
        last = t->num;
        /* the last: the last scene's frame with the end said */
        if (!line_of(text, i + 1, line, sizeof line) || !line[0])
            CHECKF(strstr(data->str, "scene 8/8") && strstr(data->str, "END") && t->num == end_t,
                   "%s: the last event (at %g, want %g) is not the end of scene 8", path, t->num, end_t);
        jv_free(e);
    }
    CHECKF(events >= 2, "%s: %d events", path, events);
    char *body = strchr(text, '\n');
    char *out = body ? strdup(body + 1) : NULL;
    free(text);
    return out;
}

static void headless_to_the_end(int w, int h) {
    if (!have_bundled()) return;
    char dir[600], cast[600], size[32];
    snprintf(dir, sizeof dir, "%s/frames-%dx%d", t_tmpdir(), w, h);
    snprintf(cast, sizeof cast, "%s/tour-%dx%d.cast", t_tmpdir(), w, h);
    snprintf(size, sizeof size, "%dx%d", w, h);
    mkdir(dir, 0777);
    const char *args[] = { "--headless", "--size", size, "--record", cast, "--frames", dir, "--seconds", "3", NULL };
    proc_result r = tour(args);
    if (CHECKF(r.status == 0, "exit %d: %s", r.status, r.err)) {
        CHECKF(strstr(r.err, "tour: scene 8/8 at 21 s") && r.out_len == 0, "progress lines: %s", r.err);
        check_frames(dir, h, 1);
        free(check_cast(cast, w, h, 24.0, 1));
    }
    proc_free(&r);
}

static void headless_120x40(void) { headless_to_the_end(120, 40); }
static void headless_80x24(void) { headless_to_the_end(80, 24); }

/* Two runs, the same frames and the same recording (but its header's date). */
static void deterministic(void) {
    if (!have_bundled()) return;
    char *frames[2][8] = { { 0 } }, *casts[2] = { 0 };
    for (int run = 0; run < 2; run++) {
        char dir[600], cast[600];
        snprintf(dir, sizeof dir, "%s/again-%d", t_tmpdir(), run);
        snprintf(cast, sizeof cast, "%s/again-%d.cast", t_tmpdir(), run);
        mkdir(dir, 0777);
        const char *args[] = { "--headless", "-q", "--size", "90x30", "--record", cast, "--frames", dir, NULL };
        proc_result r = tour(args);
        CHECKF(r.status == 0 && r.err_len == 0, "run %d: exit %d: %s", run, r.status, r.err);
        proc_free(&r);
        for (int i = 0; i < 8; i++) {
            char path[700];
            snprintf(path, sizeof path, "%s/scene-%02d.txt", dir, i + 1);
            frames[run][i] = t_read_file(path, NULL);
        }
        casts[run] = check_cast(cast, 90, 30, 64.0, 1);
    }
    for (int i = 0; i < 8; i++)
        CHECKF(frames[0][i] && frames[1][i] && strcmp(frames[0][i], frames[1][i]) == 0, "scene %d's frames differ between two runs", i + 1);
    CHECK(casts[0] && casts[1] && strcmp(casts[0], casts[1]) == 0);
    for (int run = 0; run < 2; run++) {
        for (int i = 0; i < 8; i++) free(frames[run][i]);
        free(casts[run]);
    }
}

/* --scene 7: scenes 7 and 8 only; the recording starts at 7. */
static void from_a_scene(void) {
    if (!have_bundled()) return;
    char dir[600], cast[600];
    snprintf(dir, sizeof dir, "%s/from7", t_tmpdir());
    snprintf(cast, sizeof cast, "%s/from7.cast", t_tmpdir());
    mkdir(dir, 0777);
    const char *args[] = { "--headless", "-q", "--scene", "7", "--seconds", "1", "--record", cast, "--frames", dir, "--size", "100x30", NULL };
    proc_result r = tour(args);
    if (CHECKF(r.status == 0, "exit %d: %s", r.status, r.err)) {
        check_frames(dir, 30, 7);
        free(check_cast(cast, 100, 30, 2.0, 7));
    }
    proc_free(&r);
}

/* Bad input: one line, exit 2 (unwritable paths: exit 1, as every file
 * moetop writes), and nothing written. */
static void refused_in_one_line(void) {
    char vocab[600], flat[600], nomath[600], old[600], keep[600];
    snprintf(vocab, sizeof vocab, "%s/vocab-only.gguf", t_tmpdir());
    snprintf(flat, sizeof flat, "%s/all-experts.gguf", t_tmpdir());
    snprintf(nomath, sizeof nomath, "%s/no-math", t_tmpdir());
    snprintf(old, sizeof old, "%s/old.cast", t_tmpdir());
    snprintf(keep, sizeof keep, "%s/a-file", t_tmpdir());
    proc_result m1 = run_moetop("synth", "-q", "--vocab-only", "--preset", "tiny", "-o", vocab, NULL);
    proc_result m2 = run_moetop("synth", "-q", "--preset", "tiny", "--experts", "4", "--k", "4", "-o", flat, NULL);
    char short_ctx[600];
    snprintf(short_ctx, sizeof short_ctx, "%s/context-8.gguf", t_tmpdir());
    proc_result m3 = run_moetop("synth", "-q", "--preset", "tiny", "--context", "8", "-o", short_ctx, NULL);
    CHECK(m1.status == 0 && m2.status == 0 && m3.status == 0);
    proc_free(&m1);
    proc_free(&m2);
    proc_free(&m3);
    mkdir(nomath, 0777);
    char words[700];
    snprintf(words, sizeof words, "%s/words.txt", nomath);
    t_write_file(words, "hello there\n", 12);
    t_write_file(old, "old\n", 4);
    t_write_file(keep, "x\n", 2);
    static const struct {
        const char *args[8];
        const char *says;
    } usage[] = {
        { { "--headless", "--size", "0x10" }, "--size" },
        { { "--headless", "--size", "80x24x2" }, "--size" },
        { { "--headless", "--record", "tour.txt" }, "--record" },
        { { "--headless", "--scene", "0" }, "--scene" },
        { { "--headless", "--scene", "9" }, "--scene" },
        { { "--headless", "--seconds", "0" }, "--seconds" },
        { { "--headless", "--seconds", "8s" }, "--seconds" },
        { { "--headless", "--frames-format", "png" }, "--frames-format" },
        { { "--headless", "--permutations", "0" }, "--permutations" },
        { { "--headless", "--problems", "no-such-set" }, "no-such-set" },
        { { "--record", "x.cast" }, "no terminal" }, /* stdin is not a terminal here */
        { { "--headless", "--bogus" }, "--bogus" },
    };
    for (size_t i = 0; i < sizeof usage / sizeof *usage; i++) {
        proc_result r = tour(usage[i].args);
        CHECKF(is_clean_usage_error(&r) && strstr(r.err, usage[i].says), "%s %s %s: exit %d: %s", usage[i].args[0], usage[i].args[1],
               usage[i].args[2] ? usage[i].args[2] : "", r.status, r.err);
        proc_free(&r);
    }
    const char *models[][5] = { { "--headless", "-m", vocab, NULL }, { "--headless", "-m", flat, NULL },
                                { "--headless", "-m", MODEL, "--prompts", nomath }, { "--headless", "-m", short_ctx, NULL } };
    const char *says[] = { "block_count", "no routing to tour", "math", "context of 8" };
    for (int i = 0; i < 4; i++) {
        const char *args[8] = { models[i][0], models[i][1], models[i][2], models[i][3], models[i][4], "--record", old, NULL };
        proc_result r = tour(args);
        CHECKF(is_clean_usage_error(&r) && strstr(r.err, says[i]), "%s: exit %d: %s", says[i], r.status, r.err);
        proc_free(&r);
    }
    /* unwritable: a missing directory, a file for --frames; the recording's old file stays */
    char missing[700];
    snprintf(missing, sizeof missing, "%s/no/such/dir/t.cast", t_tmpdir());
    const char *unwritable[][4] = { { "--record", missing }, { "--frames", missing }, { "--frames", keep } };
    for (int i = 0; i < 3; i++) {
        const char *args[6] = { "--headless", unwritable[i][0], unwritable[i][1], i ? "--record" : NULL, old, NULL };
        proc_result r = tour(args);
        CHECKF(r.status == 1 && proc_count_lines(r.err) == 1 && strstr(r.err, "cannot write") && r.out_len == 0, "%s %s: exit %d: %s",
               unwritable[i][0], unwritable[i][1], r.status, r.err);
        proc_free(&r);
    }
    char *still = t_read_file(old, NULL);
    CHECKF(still && strcmp(still, "old\n") == 0, "a refused run wrote %s", old);
    free(still);
    CHECK(access(missing, F_OK) != 0);
}

/* Math prompts that route exactly as the others (the same prompts under two
 * names): every gap is 0, every shuffle reaches it, p = 1, and the caption
 * says no math expert stands out. */
static void no_math_expert_claimed(void) {
    if (!have_bundled()) return;
    char dir[600], math[700], other[700], frames[600], problems[600];
    snprintf(dir, sizeof dir, "%s/twins", t_tmpdir());
    snprintf(frames, sizeof frames, "%s/twins-frames", t_tmpdir());
    snprintf(problems, sizeof problems, "%s/two.jsonl", t_tmpdir());
    snprintf(math, sizeof math, "%s/math.txt", dir);
    snprintf(other, sizeof other, "%s/other.txt", dir);
    mkdir(dir, 0777);
    mkdir(frames, 0777);
    const char *prompts = "12 + 7 =\n\nThe cat sat on the mat.\n\ndef f(x):\n    return x\n";
    t_write_file(math, prompts, strlen(prompts));
    t_write_file(other, prompts, strlen(prompts));
    const char *two = "{\"prompt\": \"1 + 1 = \", \"answer\": \"2\"}\n{\"prompt\": \"2 + 3 = \", \"answer\": \"5\"}\n";
    t_write_file(problems, two, strlen(two));
    const char *args[] = { "--headless", "--prompts", dir, "--problems", problems, "--frames", frames, "--permutations", "99", NULL };
    proc_result r = tour(args);
    if (CHECKF(r.status == 0, "exit %d: %s", r.status, r.err)) {
        CHECKF(strstr(r.err, "no math expert stands out") && strstr(r.err, "permutation p 1 "), "%s", r.err);
        char path[700];
        snprintf(path, sizeof path, "%s/scene-02.txt", frames);
        char *text = t_read_file(path, NULL);
        CHECKF(text && strstr(text, "No math expert stands out") && strstr(text, "as large") && !strstr(text, "candidate math expert"),
               "%s", text ? text : "(none)");
        free(text);
        snprintf(path, sizeof path, "%s/scene-05.txt", frames);
        text = t_read_file(path, NULL);
        CHECKF(text && strstr(text, "not distinguishable from no change"), "%s", text ? text : "(none)");
        free(text);
    }
    proc_free(&r);
}

/* A gpt-oss-20b-shaped synth (32 experts, top-4, the o200k-sized vocabulary;
 * narrow, two layers): the tour runs to the end, and scene 2 claims a math
 * expert exactly when its p is below 0.05. */
static void on_a_synth(void) {
    char model[600], dir[600], problems[600];
    snprintf(model, sizeof model, "%s/g20-narrow.gguf", t_tmpdir());
    snprintf(dir, sizeof dir, "%s/synth-frames", t_tmpdir());
    snprintf(problems, sizeof problems, "%s/synth.jsonl", t_tmpdir());
    const char *two = "{\"prompt\": \"4 + 4 = \", \"answer\": \"8\"}\n{\"prompt\": \"2 + 3 = \", \"answer\": \"5\"}\n";
    t_write_file(problems, two, strlen(two));
    mkdir(dir, 0777);
    const char *synth[] = { t_bin(), "synth", "-q", "--preset", "gpt-oss-20b", "--layers", "2", "--d-model", "64", "--heads", "4",
                            "--kv-heads", "2", "--head-dim", "16", "--ff", "64", "-o", model, NULL };
    proc_result s = proc_run(synth, NULL);
    bool made = CHECKF(s.status == 0, "%s", s.err);
    proc_free(&s);
    if (!made) return;
    const char *args[] = { "--headless", "-m", model, "--problems", problems, "--frames", dir, "--permutations", "200", "--size", "80x24", NULL };
    proc_result r = tour(args);
    if (CHECKF(r.status == 0, "exit %d: %s", r.status, r.err)) {
        check_frames(dir, 24, 1);
        const char *p = strstr(r.err, "permutation p ");
        double pv = p ? atof(p + 14) : -1;
        char path[700];
        snprintf(path, sizeof path, "%s/scene-02.txt", dir);
        char *text = t_read_file(path, NULL);
        bool claims = text && strstr(text, "candidate math expert");
        CHECKF(p && text && claims == (pv < 0.05), "p %g, scene 2: %s", pv, text ? text : "(none)");
        printf("  synth: %s (p %g)\n", claims ? "a math-routed expert" : "no math expert stands out", pv);
        free(text);
    }
    proc_free(&r);
}

/* In a real terminal: it plays, Right steps, Space pauses (the clock stops
 * and other keys are the explorer's), stepping re-applies a scene's state,
 * Space resumes, q quits with 0. Each step waits for the screen it causes. */
static void pause_and_step_in_tmux(void) {
    if (!have_bundled()) return;
    if (system("command -v tmux >/dev/null 2>&1") != 0) {
        t_skip("tmux is not installed (Debian package tmux: sh tools/deps.sh installs it)");
        return;
    }
    tmux_pane p;
    const char *argv[] = { t_bin(), "tour", "--seconds", "600", "--ascii", NULL };
    if (!tmux_open(&p, 100, 30, argv)) return;
    static const struct {
        const char *keys, *wait;
        bool bottom;
    } steps[] = {
        { NULL, "scene 1/8", false },
        { "Right", "scene 2/8", false },
        { "Space", "PAUSED", false },
        { "Tab", " ablate |", true },      /* the explorer's key, while paused */
        { "Right", "scene 3/8", false },   /* the next scene: its state again, still paused */
        { NULL, " compare |", true },
        { "Left", "scene 2/8", false },
        { NULL, " experts |", true },
        { "Space", "Space pause", false }, /* playing again */
    };
    bool ok = true;
    for (size_t i = 0; i < sizeof steps / sizeof *steps && ok; i++) {
        if (steps[i].keys) ok = tmux_keys(&p, false, steps[i].keys);
        char *s = ok ? tmux_wait_for(&p, steps[i].wait, false, steps[i].bottom) : NULL;
        ok = s != NULL;
        if (ok && i == 6) CHECKF(strstr(s, "PAUSED"), "stepping back lost the pause: %s", s);
        free(s);
    }
    if (ok && tmux_keys(&p, false, "q")) {
        int status = tmux_wait_exit(&p);
        CHECKF(status == 0, "exit status %d after q", status);
    }
    tmux_close(&p);
}

int main(void) {
    t_begin("tour-cli");
    RUN(headless_120x40);
    RUN(headless_80x24);
    RUN(deterministic);
    RUN(from_a_scene);
    RUN(refused_in_one_line);
    RUN(no_math_expert_claimed);
    RUN(on_a_synth);
    RUN(pause_and_step_in_tmux);
    return t_end();
}
