/* The one line reader (engine/lines.h) and every reader built on it, in
 * process: line ends (LF, CRLF, CR, mixed), the byte-order mark, empty input,
 * whitespace-only lines, a last line without a line end, NUL bytes, a 1 MB
 * line, a CRLF split across pieces of a stream; the prompt-set splitter; key
 * scripts, the configuration, the explorer's prompt sets and JSON Lines read
 * alike whatever the line ends, with the right line numbers. The commands
 * themselves: tests/test_cli_lines.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/json_read.h"
#include "cli/jsonl.h"
#include "config/config.h"
#include "engine/lines.h"
#include "engine/rng.h"
#include "support/harness.h"
#include "tui/app.h"
#include "tui/script.h"

/* Lines as "text/END;..." (END: the line end's bytes; a NUL shown as \0). */
static void describe_line(char *out, size_t cap, const mt_line *l) {
    size_t n = strlen(out);
    for (size_t i = 0; i < l->len && n + 4 < cap; i++) {
        if (l->text[i]) out[n++] = l->text[i];
        else out[n++] = '\\', out[n++] = '0';
    }
    snprintf(out + n, cap - n, "/%zu;", l->end_len);
}

static const char *describe(const char *data, size_t len) {
    static char out[4096];
    out[0] = 0;
    mt_lines r;
    mt_lines_init(&r, data, len);
    uint64_t expect = 1;
    for (mt_line l; mt_lines_next(&r, &l); expect++) {
        CHECKF(l.number == expect, "line %llu numbered %llu", (unsigned long long)expect, (unsigned long long)l.number);
        describe_line(out, sizeof out, &l);
    }
    return out;
}

/* The same input given in pieces of `chunk` bytes, as mt_line_reader gives a file. */
static const char *describe_streamed(const char *data, size_t len, size_t chunk) {
    static char out[4096];
    out[0] = 0;
    char *buf = calloc(len + 1, 1);
    size_t fed = 0;
    mt_lines r;
    mt_lines_init(&r, buf, 0);
    r.more = true;
    for (;;) {
        for (mt_line l; mt_lines_next(&r, &l);) describe_line(out, sizeof out, &l);
        if (!r.more) break;
        size_t rest = r.len - r.pos, n = len - fed < chunk ? len - fed : chunk;
        memmove(buf, buf + r.pos, rest);
        memcpy(buf + rest, data + fed, n);
        fed += n;
        r.data = buf;
        r.len = rest + n;
        r.pos = 0;
        r.more = fed < len;
    }
    free(buf);
    return out;
}

#define LINES(lit, expect)                                                                             \
    do {                                                                                               \
        const char *got_ = describe(lit, sizeof lit - 1);                                              \
        CHECKF(strcmp(got_, expect) == 0, "%s: got '%s', want '%s'", #lit, got_, expect);              \
        for (size_t c_ = 1; c_ <= 4; c_++) {                                                           \
            got_ = describe_streamed(lit, sizeof lit - 1, c_);                                         \
            CHECKF(strcmp(got_, expect) == 0, "%s in pieces of %zu: got '%s'", #lit, c_, got_);        \
        }                                                                                              \
    } while (0)

static void line_ends(void) {
    LINES("a\nb\n", "a/1;b/1;");
    LINES("a\r\nb\r\n", "a/2;b/2;");
    LINES("a\rb\r", "a/1;b/1;");
    LINES("a\nb\r\nc\rd", "a/1;b/2;c/1;d/0;"); /* mixed, and a last line without a line end */
    LINES("\n", "/1;");
    LINES("\r\n", "/2;");
    LINES("\n\r", "/1;/1;");                   /* LF then CR: two line ends, never one */
    LINES("\r\r\n\n", "/1;/2;/1;");
    LINES("a\r", "a/1;");                      /* a CR last is a line end */
    LINES("  a \t\r\n", "  a \t/2;");          /* only the line end goes */
}

static void empty_and_bom(void) {
    LINES("", "");
    LINES("\xef\xbb\xbf", "");                                    /* a BOM only: no lines */
    LINES("\xef\xbb\xbf\r\n", "/2;");
    LINES("\xef\xbb\xbf" "a\nb", "a/1;b/0;");
    LINES("\xef\xbb\xbf\xef\xbb\xbf" "a", "\xef\xbb\xbf" "a/0;"); /* only the first is a BOM */
    LINES("a\n\xef\xbb\xbf" "b", "a/1;\xef\xbb\xbf" "b/0;");      /* not at the start: a character */
    LINES("\xef\xbb", "\xef\xbb/0;");                             /* a BOM's start is bytes */
    LINES("\xef\xbb\n", "\xef\xbb/1;");
}

static void nul_bytes(void) {
    static const char text[] = "a\0b\nc\n\0";
    LINES("a\0b\nc\n\0", "a\\0b/1;c/1;\\0/0;");
    mt_lines r;
    mt_lines_init(&r, text, sizeof text - 1);
    mt_line l;
    CHECK(mt_lines_next(&r, &l) && l.nul == text + 1 && l.len == 3);
    CHECK(mt_lines_next(&r, &l) && l.nul == NULL);
    CHECK(mt_lines_next(&r, &l) && l.nul == text + 6 && l.number == 3);
    CHECK(!mt_lines_next(&r, &l));
}

static void blank_lines(void) {
    CHECK(mt_line_is_blank("", 0) && mt_line_is_blank(" ", 1) && mt_line_is_blank("\t \t", 3));
    CHECK(!mt_line_is_blank(" x", 2) && !mt_line_is_blank("\v", 1) && !mt_line_is_blank("\xc2\xa0", 2));
    CHECK(!mt_line_is_blank("\0", 1));
}

/* Prompts as "text@first_line|...". */
static const char *prompts_of(const char *data, size_t len) {
    static char out[1024];
    out[0] = 0;
    mt_lines r;
    mt_lines_init(&r, data, len);
    mt_bytes buf = { 0 };
    mt_prompt_span span;
    for (int calls = 0; mt_prompt_next(&r, &buf, &span); calls++) {
        size_t n = strlen(out);
        snprintf(out + n, sizeof out - n, "%.*s@%llu%s|", (int)buf.len, (const char *)buf.data, (unsigned long long)span.first_line,
                 span.nul_line ? "!" : "");
        if (!CHECKF(calls < 100, "the splitter does not stop")) break;
    }
    mt_bytes_free(&buf);
    return out;
}

#define PROMPTS(lit, expect)                                                                                      \
    do {                                                                                                          \
        const char *got_ = prompts_of(lit, sizeof lit - 1);                                                       \
        CHECKF(strcmp(got_, expect) == 0, "%s: got '%s', want '%s'", #lit, got_, expect);                         \
    } while (0)

static void prompt_splitter(void) {
    PROMPTS("a\n \nb\n", "a@1|b@3|");                   /* the example: a line of one space is blank */
    PROMPTS("a\n\t \t\nb", "a@1|b@3|");
    PROMPTS("a\nb\n\n\n\nc\n", "a\nb@1|c@6|");
    PROMPTS("a\r\nb\r\n\r\nc\r\n", "a\nb@1|c@4|");      /* joined with \n whatever the line ends: no \r */
    PROMPTS("a\rb\r\rc", "a\nb@1|c@4|");
    PROMPTS("\xef\xbb\xbf" "a\r\nb", "a\nb@1|");
    PROMPTS("  x  \n\ty\t\n", "  x  \n\ty\t@1|");       /* only line ends are removed */
    PROMPTS("", "");
    PROMPTS(" \n\t\n\n", "");
    PROMPTS("\n\nlast", "last@3|");
    PROMPTS("a\nb\0c\n\nd", "a\nb@1!|d@4|");            /* a NUL byte: said, the caller decides */
}

static void one_megabyte_line(void) {
    size_t n = 1 << 20;
    char *text = malloc(n + 8);
    memset(text, 'x', n);
    memcpy(text + n, "\r\ny", 3);
    mt_lines r;
    mt_lines_init(&r, text, n + 3);
    mt_line l;
    CHECK(mt_lines_next(&r, &l) && l.len == n && l.end_len == 2 && l.text == text && !l.nul);
    CHECK(mt_lines_next(&r, &l) && l.len == 1 && l.text[0] == 'y' && l.end_len == 0 && l.number == 2);
    CHECK(!mt_lines_next(&r, &l));
    /* read from a file in pieces: the same lines; a limit below the line is an error naming it */
    char path[600];
    snprintf(path, sizeof path, "%s/long.txt", t_tmpdir());
    t_write_file(path, text, n + 3);
    mt_line_reader lr;
    mt_err err;
    if (CHECKF(mt_line_reader_open(&lr, path, n, &err), "%s", err.msg)) {
        CHECK(mt_line_reader_next(&lr, &l, &err) == 1 && l.len == n && l.end_len == 2 && l.text[n - 1] == 'x');
        CHECK(mt_line_reader_next(&lr, &l, &err) == 1 && l.len == 1 && l.text[0] == 'y' && l.number == 2);
        CHECK(mt_line_reader_next(&lr, &l, &err) == 0);
        mt_line_reader_close(&lr);
    }
    if (CHECK(mt_line_reader_open(&lr, path, n - 1, &err))) {
        CHECK(mt_line_reader_next(&lr, &l, &err) == -1);
        CHECKF(strstr(err.msg, "long.txt:1: the line is longer than 1048575 bytes") != NULL, "%s", err.msg);
        mt_line_reader_close(&lr);
    }
    CHECK(!mt_line_reader_open(&lr, "/nonexistent/x", 10, &err) && strstr(err.msg, "/nonexistent/x: cannot open"));
    free(text);
}

/* A CR that ends one piece of a stream and the LF that begins the next: one line end. */
static void crlf_across_pieces(void) {
    mt_lines r;
    mt_line l;
    mt_lines_init(&r, "a\r", 2);
    r.more = true;
    CHECK(!mt_lines_next(&r, &l) && r.pos == 0); /* held back: a LF may follow */
    r.data = "a\r\nb";
    r.len = 4;
    r.more = false;
    CHECK(mt_lines_next(&r, &l) && l.len == 1 && l.end_len == 2 && l.number == 1);
    CHECK(mt_lines_next(&r, &l) && l.len == 1 && l.text[0] == 'b' && l.number == 2);
    CHECK(!mt_lines_next(&r, &l));
    /* a file whose CR is the last byte of the reader's first 64 KiB piece */
    size_t n = 1 << 16;
    char *text = malloc(n + 2);
    memset(text, 'y', n + 2);
    text[n - 1] = '\r';
    text[n] = '\n';
    char path[600];
    snprintf(path, sizeof path, "%s/cr-at-64k.txt", t_tmpdir());
    t_write_file(path, text, n + 2);
    mt_line_reader lr;
    mt_err err;
    int lines = 0;
    if (CHECK(mt_line_reader_open(&lr, path, n, &err))) {
        for (int got; (got = mt_line_reader_next(&lr, &l, &err)) == 1;) {
            lines++;
            CHECK(lines != 1 || (l.len == n - 1 && l.end_len == 2));
            CHECK(lines != 2 || (l.len == 1 && l.end_len == 0));
        }
        mt_line_reader_close(&lr);
    }
    CHECKF(lines == 2, "%d lines, want 2", lines);
    free(text);
}

/* Random inputs over the bytes that matter: read whole and in pieces of every
 * size from 1 to 9 they give the same lines, which with their line ends are
 * the input less its BOM, and none holds a CR or LF. */
static void random_inputs(void) {
    static const char alphabet[] = { 'a', ' ', '\t', '\r', '\n', '\0', '\xef', '\xbb', '\xbf' };
    mt_rng g = mt_rng_seed(13, 3);
    char text[64];
    for (int round = 0; round < 3000; round++) {
        size_t len = (size_t)mt_rng_below(&g, sizeof text);
        for (size_t i = 0; i < len; i++) text[i] = alphabet[mt_rng_below(&g, sizeof alphabet)];
        if (round % 4 == 0 && len >= 3) memcpy(text, "\xef\xbb\xbf", 3);
        char whole[4096];
        snprintf(whole, sizeof whole, "%s", describe(text, len));
        for (size_t chunk = 1; chunk <= 9; chunk++)
            if (!CHECKF(strcmp(whole, describe_streamed(text, len, chunk)) == 0, "round %d, pieces of %zu", round, chunk)) return;
        mt_lines r;
        mt_lines_init(&r, text, len);
        size_t at = len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
        for (mt_line l; mt_lines_next(&r, &l);) {
            if (!CHECKF(l.text == text + at && !memchr(l.text, '\r', l.len) && !memchr(l.text, '\n', l.len), "round %d", round)) return;
            at += l.len + l.end_len;
        }
        if (!CHECKF(at == len, "round %d: the lines cover %zu of %zu bytes", round, at, len)) return;
    }
}

/* Key scripts: the same steps from LF, CRLF, CR and BOM files; errors name the right line. */
static void key_scripts_any_line_ends(void) {
    static const char *const forms[] = {
        "j\ntype hi   \n# note\n\nwait 5\n",
        "j\r\ntype hi   \r\n# note\r\n\r\nwait 5\r\n",
        "j\rtype hi   \r# note\r\rwait 5\r",
        "\xef\xbb\xbfj\r\ntype hi   \r\n# note\r\n  \t\r\nwait 5",
    };
    for (size_t i = 0; i < sizeof forms / sizeof *forms; i++) {
        mt_script s;
        mt_err err;
        if (!CHECKF(mt_script_parse(forms[i], strlen(forms[i]), "k", &s, &err), "form %zu: %s", i, err.msg)) continue;
        CHECKF(s.n == 3 && s.steps[0].key == 'j' && s.steps[1].kind == MT_STEP_TYPE && s.steps[2].ms == 5 && s.steps[2].line == 5,
               "form %zu: %zu steps", i, s.n);
        if (s.n == 3) CHECKF(strcmp(s.steps[1].text, "hi   ") == 0, "form %zu: type keeps its trailing spaces: '%s'", i, s.steps[1].text);
        mt_script_free(&s);
    }
    static const char *const bad[] = { "j\n\nk\nPaddle\n", "j\r\n\r\nk\r\nPaddle\r\n", "j\r\rk\rPaddle\r", "\xef\xbb\xbfj\n\nk\nPaddle" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        mt_script s;
        mt_err err;
        CHECKF(!mt_script_parse(bad[i], strlen(bad[i]), "k", &s, &err) && strstr(err.msg, "k:4: 'Paddle' is not a key name"), "form %zu: %s", i,
               err.msg);
    }
    mt_script s;
    mt_err err;
    const char *tail = "wait 5  \t\nframe out.txt \n";  /* other steps drop trailing spaces */
    if (CHECKF(mt_script_parse(tail, strlen(tail), "k", &s, &err), "%s", err.msg)) {
        CHECK(s.n == 2 && s.steps[0].ms == 5 && strcmp(s.steps[1].text, "out.txt") == 0);
        mt_script_free(&s);
    }
    const char nul[] = "j\r\nk\0x\r\n";
    CHECK(!mt_script_parse(nul, sizeof nul - 1, "k", &s, &err) && strstr(err.msg, "k:2: a NUL byte"));
}

/* The configuration: the same values from LF, CRLF, CR and BOM files; errors name the right line. */
static void config_any_line_ends(void) {
    static const char *const forms[] = {
        "; c\n[display]\nascii = yes\n\n[explorer]\nview = sweep\ngenerate_tokens = 7\n",
        "; c\r\n[display]\r\nascii = yes\r\n\r\n[explorer]\r\nview = sweep\r\ngenerate_tokens = 7\r\n",
        "; c\r[display]\rascii = yes\r\r[explorer]\rview = sweep\rgenerate_tokens = 7",
        "\xef\xbb\xbf; c\r\n[display]\r\nascii = yes\r\n \t\r\n[explorer]\r\nview = sweep\r\ngenerate_tokens = 7\r\n",
    };
    for (size_t i = 0; i < sizeof forms / sizeof *forms; i++) {
        mt_config c;
        mt_config_defaults(&c);
        mt_err err;
        if (CHECKF(mt_config_parse(forms[i], strlen(forms[i]), "c.ini", &c, &err), "form %zu: %s", i, err.msg))
            CHECKF(c.ascii == MT_ASCII_YES && c.view == MT_VIEW_SWEEP && c.generate_tokens == 7, "form %zu", i);
    }
    static const struct { const char *text, *expect; } bad[] = {
        { "[display]\r\n\r\nascii = maybe\r\n", "c.ini:3: [display] ascii: 'maybe'" },
        { "[display]\r\rascii = maybe\r", "c.ini:3: [display] ascii: 'maybe'" },
        { "\xef\xbb\xbf[display]\n\nascii = maybe\n", "c.ini:3: [display] ascii: 'maybe'" },
        /* the first error's line and its own why, whatever comes after */
        { "[display]\nascii = maybe\nfoo = 1\n", "c.ini:2: [display] ascii: 'maybe'" },
        { "just words\n[display]\nascii = maybe\n", "c.ini:1: not name = value" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        mt_config c;
        mt_config_defaults(&c);
        mt_err err;
        CHECKF(!mt_config_parse(bad[i].text, strlen(bad[i].text), "c.ini", &c, &err) && strstr(err.msg, bad[i].expect), "case %zu: %s", i,
               err.msg);
    }
    static const char nul[] = "[display]\r\nascii = yes\r\nc\0lors = 16\r\n";
    mt_config c;
    mt_config_defaults(&c);
    mt_err err;
    CHECKF(!mt_config_parse(nul, sizeof nul - 1, "c.ini", &c, &err) && strstr(err.msg, "c.ini:3: a NUL byte in the line"), "%s", err.msg);
    /* a line longer than inih takes: refused by its number, not split into more lines */
    char text[600];
    snprintf(text, sizeof text, "[explorer]\nexport_dir = /%0400d\nview = nowhere\n", 0);
    CHECKF(!mt_config_parse(text, strlen(text), "c.ini", &c, &err) && strstr(err.msg, "c.ini:2: the line is longer than"), "%s", err.msg);
    /* a file: the same reader */
    char path[600];
    snprintf(path, sizeof path, "%s/cr.ini", t_tmpdir());
    t_write_file(path, forms[2], strlen(forms[2]));
    mt_config_defaults(&c);
    CHECKF(mt_config_load(path, &c, &err) && c.view == MT_VIEW_SWEEP && c.generate_tokens == 7, "%s", err.msg);
    t_write_file(path, bad[1].text, strlen(bad[1].text));
    CHECKF(!mt_config_load(path, &c, &err) && strstr(err.msg, "cr.ini:3: [display] ascii"), "%s", err.msg);
    CHECK(!mt_config_load("/nonexistent/c.ini", &c, &err) && strstr(err.msg, "/nonexistent/c.ini: cannot open"));
}

/* The explorer's prompt sets: the same prompts from a CRLF file as from an LF one. */
static void explorer_prompt_sets(void) {
    char dir[600], path[700];
    snprintf(dir, sizeof dir, "%s/sets", t_tmpdir());
    snprintf(path, sizeof path, "mkdir -p %s", dir);
    if (!CHECK(system(path) == 0)) return;
    static const char a[] = "one\n two \n \nthree\n", b[] = "\xef\xbb\xbfone\r\n two \r\n\t\r\nthree\r\n", c[] = "x\n\ny\0z\n\nw";
    snprintf(path, sizeof path, "%s/a.txt", dir);
    t_write_file(path, a, sizeof a - 1);
    snprintf(path, sizeof path, "%s/b.txt", dir);
    t_write_file(path, b, sizeof b - 1);
    snprintf(path, sizeof path, "%s/c.txt", dir);
    t_write_file(path, c, sizeof c - 1); /* a prompt with a NUL byte is left out */
    static mt_app app;
    mt_app_load_prompt_sets(&app, dir);
    static const char *const want[][2] = { { "a", "one\n two " }, { "a", "three" }, { "b", "one\n two " }, { "b", "three" }, { "c", "x" }, { "c", "w" } };
    CHECKF(app.n_sets == 6, "%zu prompts", app.n_sets);
    for (size_t i = 0; i < app.n_sets && i < 6; i++)
        CHECKF(strcmp(app.sets[i].domain, want[i][0]) == 0 && strcmp(app.sets[i].text, want[i][1]) == 0, "prompt %zu: %s '%s'", i,
               app.sets[i].domain, app.sets[i].text);
    for (size_t i = 0; i < app.n_sets; i++) free(app.sets[i].domain), free(app.sets[i].text);
    free(app.sets);
}

/* JSON Lines: records with their lines from any line ends; errors "FILE:LINE: why". */
static void json_lines(void) {
    char path[600];
    snprintf(path, sizeof path, "%s/p.jsonl", t_tmpdir());
    static const char *const forms[] = {
        "{\"prompt\": \"1+1=\", \"answer\": \"2\"}\n\n{\"prompt\": \"a b \"}\n",
        "{\"prompt\": \"1+1=\", \"answer\": \"2\"}\r\n \t\r\n{\"prompt\": \"a b \"}\r\n",
        "\xef\xbb\xbf{\"prompt\": \"1+1=\", \"answer\": \"2\"}\r\r{\"prompt\": \"a b \"}",
    };
    for (size_t i = 0; i < sizeof forms / sizeof *forms; i++) {
        t_write_file(path, forms[i], strlen(forms[i]));
        cli_jsonl_records recs;
        if (!CHECKF(cli_jsonl_read(path, &recs) == 0, "form %zu", i)) continue;
        CHECKF(recs.n == 2 && recs.lines[0] == 1 && recs.lines[1] == 3, "form %zu: %zu records", i, recs.n);
        if (recs.n == 2) CHECK(strcmp(jv_str(recs.items[0], "answer"), "2") == 0 && strcmp(jv_str(recs.items[1], "prompt"), "a b ") == 0);
        cli_jsonl_records_free(&recs);
    }
    /* streamed one record at a time */
    cli_jsonl in;
    if (CHECK(cli_jsonl_open(&in, path) == 0)) {
        jv *v;
        int n = 0;
        while (cli_jsonl_next(&in, &v) == 0 && v) n++, jv_free(v);
        CHECK(n == 2 && in.line == 3);
        cli_jsonl_close(&in);
    }
    /* the shipped problem sets: every record has a prompt and an answer, numbered from line 1 */
    static const char *const sets[] = { "add-1", "add-2", "sub-1", "sub-2", "mul-1", "mul-2", "reports-8" };
    for (size_t i = 0; i < sizeof sets / sizeof *sets; i++) {
        char file[256];
        snprintf(file, sizeof file, "assets/problems/%s.jsonl", sets[i]);
        cli_jsonl_records recs;
        if (!CHECKF(cli_jsonl_read(file, &recs) == 0, "%s", file)) continue;
        size_t good = 0;
        for (size_t k = 0; k < recs.n; k++) good += jv_str(recs.items[k], "prompt") && jv_str(recs.items[k], "answer") && recs.lines[k] == k + 1;
        CHECKF(recs.n >= 8 && good == recs.n, "%s: %zu of %zu records", file, good, recs.n);
        cli_jsonl_records_free(&recs);
    }
    /* the JSON reader itself: a NUL byte is not whitespace */
    char err[200];
    jv *v = jv_parse("{}\0", 3, err, sizeof err);
    CHECK(v == NULL);
    jv_free(v);
    v = jv_parse("[1\0]", 4, err, sizeof err);
    CHECK(v == NULL);
    jv_free(v);
}

int main(void) {
    t_begin("lines");
    RUN(line_ends);
    RUN(empty_and_bom);
    RUN(nul_bytes);
    RUN(blank_lines);
    RUN(prompt_splitter);
    RUN(one_megabyte_line);
    RUN(crlf_across_pieces);
    RUN(random_inputs);
    RUN(key_scripts_any_line_ends);
    RUN(config_any_line_ends);
    RUN(explorer_prompt_sets);
    RUN(json_lines);
    return t_end();
}
