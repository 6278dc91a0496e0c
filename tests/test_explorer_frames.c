/* The headless explorer's frames: exactly H lines of exactly W cells at
 * every size (below the minimum too) and in every view; the status line's
 * right end shortened to what fits; the expected frames of fixture a; and
 * frames that keep their lines whatever the tokens, the model's file name
 * or typed text hold (separators, controls, invisible characters). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/utf8.h"
#include "support/cli_util.h"
#include "support/fixtures.h"
#include "support/harness.h"
#include "tui/app.h"
#include "tui/grid.h"

/* Every line of a frame file: exactly w display cells; exactly h lines. */
static bool frame_shape(const char *path, int w, int h, char *why, size_t cap) {
    unsigned long len;
    char *text = t_read_file(path, &len);
    if (!text) {
        snprintf(why, cap, "no frame");
        return false;
    }
    int lines = 0;
    bool ok = true;
    for (char *line = text; *line; lines++) {
        char *nl = strchr(line, '\n');
        if (!nl) {
            snprintf(why, cap, "line %d has no newline", lines);
            ok = false;
            break;
        }
        *nl = 0;
        if (mt_text_width(line) != w) {
            snprintf(why, cap, "line %d is %d cells, not %d", lines, mt_text_width(line), w);
            ok = false;
            break;
        }
        line = nl + 1;
    }
    if (ok && lines != h) {
        snprintf(why, cap, "%d lines, not %d", lines, h);
        ok = false;
    }
    free(text);
    return ok;
}

static void headless_frames_at_every_size(void) {
    const char *gguf = fixture_path('b', ".gguf");
    if (!gguf) return;
    static const int sizes[][2] = { { 120, 40 }, { 80, 24 }, { 40, 8 }, { 39, 30 }, { 200, 5 }, { 1, 1 }, { 57, 13 } };
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        char size[32], frame[512], why[128];
        snprintf(size, sizeof size, "%dx%d", sizes[i][0], sizes[i][1]);
        snprintf(frame, sizeof frame, "%s/frame-%zu.txt", t_tmpdir(), i);
        proc_result r = run_moetop("-m", gguf, "--prompt", "Caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80\n\tx\xff", "--headless", "--size",
                                   size, "--export-frame", frame, NULL);
        CHECKF(r.status == 0, "%s: %s", size, r.err);
        CHECKF(frame_shape(frame, sizes[i][0], sizes[i][1], why, sizeof why), "%s: %s", size, why);
        proc_free(&r);
    }
    char frame[512];
    snprintf(frame, sizeof frame, "%s/frame-2.txt", t_tmpdir()); /* 40x8: the smallest full frame */
    char *text = t_read_file(frame, NULL);
    CHECK(text && strstr(text, "pos token"));
    free(text);
    snprintf(frame, sizeof frame, "%s/frame-3.txt", t_tmpdir()); /* 39 wide: below the minimum */
    text = t_read_file(frame, NULL);
    CHECK(text && strstr(text, "moetop needs at least 40x8"));
    free(text);
}

/* The status line's right end: the model, backend and device where they fit, else the model and backend,
 * else "? keys" alone (it used to drop all three at once, so at 120 columns a Vulkan device's long name took
 * the key to help away too). Widths measured from the widest frame: this machine's CPU is in the device. */
static bool last_line(int w, char *out, size_t cap) {
    const char *gguf = fixture_path('b', ".gguf");
    char size[32], frame[512];
    snprintf(size, sizeof size, "%dx10", w);
    snprintf(frame, sizeof frame, "%s/status-%d.txt", t_tmpdir(), w);
    proc_result r = run_moetop("-m", gguf, "--prompt", "The cat", "--headless", "--size", size, "--export-frame", frame, NULL);
    bool ok = CHECKF(r.status == 0, "%s: %s", size, r.err);
    proc_free(&r);
    char *text = ok ? t_read_file(frame, NULL) : NULL;
    if (!text) return false;
    size_t n = strlen(text);
    while (n && text[n - 1] == '\n') text[--n] = 0;
    const char *last = strrchr(text, '\n');
    snprintf(out, cap, "%s", last ? last + 1 : text);
    free(text);
    return true;
}

static void status_line_keeps_the_help_key(void) {
    const char *gguf = fixture_path('b', ".gguf");
    if (!gguf) return;
    const char *name = strrchr(gguf, '/') ? strrchr(gguf, '/') + 1 : gguf;
    char line[1024], want[600];
    if (!last_line(300, line, sizeof line)) return;
    const char *left_end = strstr(line, "interventions: none");
    snprintf(want, sizeof want, "? keys | %s on cpu, C (", name);
    if (!CHECKF(left_end && strstr(line, want), "300 wide: '%s'", line)) return;
    int left = (int)(left_end - line) + (int)strlen("interventions: none");
    snprintf(want, sizeof want, "? keys | %s on cpu ", name);
    int w = left + 2 + (int)strlen(want); /* the model and backend fit, the device does not */
    if (last_line(w, line, sizeof line))
        CHECKF(strstr(line, want) && !strstr(line, ", C ("), "%d wide: '%s'", w, line);
    w = left + 2 + (int)strlen("? keys "); /* the key alone */
    if (last_line(w, line, sizeof line)) CHECKF(strstr(line, "? keys") && !strstr(line, " on cpu"), "%d wide: '%s'", w, line);
    if (last_line(w - 1, line, sizeof line)) CHECKF(!strstr(line, "? keys"), "%d wide: '%s'", w - 1, line);
}

/* Expected frames: the dashboard, heatmap, token, sweep and experts views of fixture a
 * at 100x30 equal tests/fixtures/frames/<view>.txt cell for cell (all but
 * the status line, which names this machine's CPU). MOETOP_UPDATE_FRAMES=1
 * writes them again (then read the diff before committing). */
static void expected_frames(void) {
    const char *gguf = fixture_path('a', ".gguf");
    if (!gguf) return;
    static const char *const views[] = { "dashboard", "heatmap", "token", "sweep", "experts" };
    char keys[512], text[2048];
    snprintf(keys, sizeof keys, "%s/expected.keys", t_tmpdir());
    size_t o = (size_t)snprintf(text, sizeof text, "j\nj\nl\n");
    for (size_t v = 0; v < 5; v++) o += (size_t)snprintf(text + o, sizeof text - o, "frame %s/expected-%s.txt\nTab\n", t_tmpdir(), views[v]);
    t_write_file(keys, text, o);
    proc_result r = run_moetop("-m", gguf, "--prompt", "The quick brown fox jumps over the lazy dog.\n\tOK?", "--headless", "--size", "100x30",
                               "--script", keys, NULL);
    CHECKF(r.status == 0, "%s", r.err);
    proc_free(&r);
    bool update = getenv("MOETOP_UPDATE_FRAMES") && *getenv("MOETOP_UPDATE_FRAMES") == '1';
    for (size_t v = 0; v < 5; v++) {
        char got_path[600], want_path[256];
        snprintf(got_path, sizeof got_path, "%s/expected-%s.txt", t_tmpdir(), views[v]);
        snprintf(want_path, sizeof want_path, "tests/fixtures/frames/%s.txt", views[v]);
        unsigned long got_len;
        char *got = t_read_file(got_path, &got_len), *cut = got ? strrchr(got, '\n') : NULL;
        if (cut) { /* drop the status line: the frame's last line */
            *cut = 0;
            cut = strrchr(got, '\n');
            if (cut) cut[1] = 0;
        }
        if (got && update) t_write_file(want_path, got, strlen(got));
        char *want = t_read_file(want_path, NULL);
        if (CHECKF(got && want, "%s: %s", views[v], want ? "no frame" : "no expected frame (MOETOP_UPDATE_FRAMES=1 writes it)")) {
            int line = 1;
            const char *a = got, *b = want;
            while (*a && *a == *b) line += *a++ == '\n', b++;
            CHECKF(*a == *b, "%s: the frame differs from %s at line %d", views[v], want_path, line);
        }
        free(got);
        free(want);
    }
}

/* Every view at sizes from the minimum to 300x100: exact shape, its own
 * status line, and something drawn above it. */
static void every_view_at_every_size(void) {
    const char *gguf = fixture_path('b', ".gguf");
    if (!gguf) return;
    static const int widths[] = { 40, 57, 80, 120, 181, 300 }, heights[] = { 12, 24, 41, 100 };
    char keys[512], text[4096], frame[512], size[32], why[128];
    snprintf(keys, sizeof keys, "%s/views.keys", t_tmpdir());
    size_t o = 0;
    for (int v = 0; v < MT_VIEW_COUNT; v++)
        o += (size_t)snprintf(text + o, sizeof text - o, "frame %s/view-%d.txt\nTab\n", t_tmpdir(), v);
    t_write_file(keys, text, o);
    int bad = 0;
    for (size_t wi = 0; wi < sizeof widths / sizeof *widths; wi++)
        for (size_t hi = 0; hi < sizeof heights / sizeof *heights; hi++) {
            snprintf(size, sizeof size, "%dx%d", widths[wi], heights[hi]);
            proc_result r = run_moetop("-m", gguf, "--prompt", "Hello world, how are you?", "--headless", "--size", size, "--script", keys, NULL);
            CHECKF(r.status == 0, "%s: %s", size, r.err);
            proc_free(&r);
            for (int v = 0; v < MT_VIEW_COUNT && bad < 5; v++) {
                snprintf(frame, sizeof frame, "%s/view-%d.txt", t_tmpdir(), v);
                char *f = t_read_file(frame, NULL), *last = f ? strrchr(f, '\n') : NULL;
                char status[48];
                snprintf(status, sizeof status, "\n %s | ", mt_view_names[v]);
                bool shape = frame_shape(frame, widths[wi], heights[hi], why, sizeof why);
                bool drawn = false; /* anything but spaces above the status line */
                const char *end = f ? strstr(f, status) : NULL;
                for (const char *p = f; end && p < end && !drawn; p++) drawn = *p != ' ' && *p != '\n';
                bool ok = shape && last && strstr(f, status) && drawn;
                if (!ok) bad++;
                CHECKF(ok, "%s, %s view: %s%s%s", size, mt_view_names[v], shape ? "" : why, f && strstr(f, status) ? "" : " no status line",
                       drawn ? "" : " nothing drawn");
                free(f);
            }
        }
}

/* Replaces the first occurrence of from by to (the same length) in the file; false when absent. */
static bool replace_in_file(const char *path, const char *from, const char *to) {
    unsigned long len;
    char *bytes = t_read_file(path, &len);
    size_t n = strlen(from);
    char *at = NULL;
    for (unsigned long i = 0; bytes && i + n <= len && !at; i++)
        if (memcmp(bytes + i, from, n) == 0) at = bytes + i;
    if (at) memcpy(at, to, n);
    bool ok = at && strlen(to) == n && t_write_file(path, bytes, len);
    free(bytes);
    return ok;
}

/* Tokens made only of invisible characters and line breakers (special
 * tokens of a synth model renamed in place), a model file whose name holds
 * U+2028, U+0085 and a vertical tab (the status line shows it), and text
 * typed into the prompt line with separators: every frame file keeps exactly
 * H lines for Python's str.splitlines() too (which also breaks at \v, \f,
 * \x1c-\x1e, U+0085, U+2028 and U+2029), holds none of those raw, the SVG
 * parses as XML, and the labels spell the characters out. */
static void frames_keep_their_lines(void) {
    char model[512], named[600], script[512], text[4096], out[4][600];
    snprintf(model, sizeof model, "%s/invisible.gguf", t_tmpdir());
    snprintf(named, sizeof named, "%s/m\xe2\x80\xa8n\xc2\x85o\x0bp.gguf", t_tmpdir());
    proc_result r = run_moetop("synth", "-q", "-o", model, "--preset", "tiny", NULL);
    bool made = CHECKF(r.status == 0, "synth: %s", r.err);
    proc_free(&r);
    if (!made) return;
    /* five 16-byte reserved specials become 16 bytes of invisible characters */
    static const char *const renamed[5][2] = {
        { "<|reserved_266|>", "\xe2\x80\xa8\xe2\x80\xa8\xe2\x80\xa8\xe2\x80\xa8\xc2\x85\xc2\x85" },       /* U+2028 x4, U+0085 x2 */
        { "<|reserved_267|>", "\xe2\x80\xa9\xe2\x80\xa9\xe2\x80\xa9\xe2\x80\xa9\x0b\x0c\x1c\x1d" },       /* U+2029 x4, VT FF FS GS */
        { "<|reserved_268|>", "\xe2\x80\x8d\xe2\x80\x8b\xef\xbb\xbf\xef\xb8\x8f\xe2\x80\xae\x1e" },       /* ZWJ ZWSP BOM VS16 RLO RS */
        { "<|reserved_269|>", "\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81" },       /* lone combining acutes */
        { "<|reserved_270|>", "\xe2\x80\x8d\xe2\x80\x8d\xe2\x80\x8d\xe2\x80\x8d\xc2\xa0\xc2\xa0" },       /* ZWJ x4, NBSP x2 */
    };
    for (int i = 0; i < 5; i++) CHECKF(replace_in_file(model, renamed[i][0], renamed[i][1]), "%s", renamed[i][0]);
    CHECK(rename(model, named) == 0);
    char prompt[256];
    snprintf(prompt, sizeof prompt, "%s%s%s%s%shi", renamed[0][1], renamed[1][1], renamed[2][1], renamed[3][1], renamed[4][1]);
    static const char *const ext[4] = { "txt", "ansi", "svg", "txt" };
    for (int i = 0; i < 4; i++) snprintf(out[i], sizeof out[i], "%s/lines-%d.%s", t_tmpdir(), i, ext[i]);
    snprintf(script, sizeof script, "%s/lines.keys", t_tmpdir());
    snprintf(text, sizeof text, "frame %s\nframe %s\nframe %s\ne\ntype x\xe2\x80\xa8y\xe2\x80\xa9z\xc2\x85w\nframe %s\n", out[0], out[1], out[2], out[3]);
    t_write_file(script, text, strlen(text));
    r = run_moetop("-m", named, "--prompt", prompt, "--headless", "--size", "100x20", "--script", script, NULL);
    CHECKF(r.status == 0, "%s", r.err);
    proc_free(&r);
    char *frame = t_read_file(out[0], NULL);
    CHECKF(frame && strstr(frame, "\\u2028") && strstr(frame, "\\u2029") && strstr(frame, "\\u200d") && strstr(frame, "\\u0301"), "labels: %s",
           frame ? frame : "(none)");
    free(frame);
    snprintf(text, sizeof text,
             "import sys, xml.etree.ElementTree as ET\n"
             "bad = set(range(0x20)) - {0x0a} | {0x7f} | set(range(0x80, 0xa0)) | {0x2028, 0x2029}\n"
             "for path in sys.argv[1:]:\n"
             "    t = open(path, encoding='utf-8', newline='').read()\n"
             "    raw = sorted({hex(ord(c)) for c in t if ord(c) in bad and not (path.endswith('.ansi') and c == '\\x1b')})\n"
             "    assert not raw, (path, raw)\n"
             "    if path.endswith('.svg'): ET.fromstring(t)\n"
             "    else: assert len(t.splitlines()) == 20 and t.count('\\n') == 20, (path, len(t.splitlines()))\n");
    const char *argv[] = { "/usr/bin/python3", "-c", text, out[0], out[1], out[2], out[3], NULL };
    r = proc_run(argv, NULL);
    CHECKF(r.status == 0, "python3: %s", r.err);
    proc_free(&r);
    /* trace's table spells those tokens out the same way: one line per token, no raw line breaker */
    r = run_moetop("trace", "-m", named, "--prompt", prompt, "--special", NULL);
    char trace_txt[600];
    snprintf(trace_txt, sizeof trace_txt, "%s/trace.txt", t_tmpdir());
    t_write_file(trace_txt, r.out, r.out_len);
    CHECKF(r.status == 0 && strstr(r.out, "\\u2028") && strstr(r.out, "\\u200d") && strstr(r.out, "\\u0301"), "%s %s", r.out, r.err);
    proc_free(&r);
    snprintf(text, sizeof text,
             "t = open('%s', encoding='utf-8', newline='').read()\n"
             "assert len(t.splitlines()) == t.count('\\n') == 12, t.splitlines()\n", trace_txt); /* 3 header lines, the columns, 7 tokens, the next token */
    const char *argv2[] = { "/usr/bin/python3", "-c", text, NULL };
    r = proc_run(argv2, NULL);
    CHECKF(r.status == 0, "python3 on trace: %s", r.err);
    proc_free(&r);
}

int main(void) {
    t_begin("explorer-frames");
    RUN(headless_frames_at_every_size);
    RUN(status_line_keeps_the_help_key);
    RUN(expected_frames);
    RUN(every_view_at_every_size);
    RUN(frames_keep_their_lines);
    return t_end();
}
