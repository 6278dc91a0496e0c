/* Issue 13, text inputs, through the real binary: a prompt set with a line of
 * spaces finishes with two prompts (it used to spin forever); CRLF, CR and BOM
 * prompt sets export exactly what the LF one does (no "\r" token); config
 * files and key scripts in any line ends behave alike and name the right
 * line; `type TEXT` keeps its trailing spaces; JSON Lines (profile --data)
 * alike in any line ends, with "FILE:LINE: why" errors; `--prompt-file` and
 * `tokenize -f` stay byte-exact (a CRLF file keeps its \r). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/cli_util.h"
#include "support/fixtures.h"
#include "support/harness.h"

#define VOCAB "assets/vocab/o200k-harmony-8192.gguf"
/* Bounds a hang only: each run below takes well under a second on the fixture. */
#define DEADLINE_S 120

static proc_result run_bounded(const char *arg, ...) {
    const char *argv[18] = { t_bin() };
    int n = 1;
    va_list ap;
    va_start(ap, arg);
    for (const char *a = arg; a && n < 17; a = va_arg(ap, const char *)) argv[n++] = a;
    va_end(ap);
    argv[n] = NULL;
    proc_result r = proc_run_deadline(argv, NULL, DEADLINE_S);
    CHECKF(!r.timed_out, "%s %s: still running after %d s (killed)", argv[1], argv[2] ? argv[2] : "", DEADLINE_S);
    return r;
}

/* DIR/name holding data; returns DIR (under the test's directory). */
static const char *prompt_set(const char *dir_name, const char *name, const char *data, size_t len) {
    static char dir[4][600];
    static int next;
    char *d = dir[next++ % 4], path[800];
    snprintf(d, sizeof dir[0], "%s/%s", t_tmpdir(), dir_name);
    snprintf(path, sizeof path, "mkdir -p '%s'", d);
    if (system(path) != 0) return NULL;
    snprintf(path, sizeof path, "%s/%s", d, name);
    t_write_file(path, data, len);
    return d;
}

/* printf 'a\n \nb\n' > d/x; moetop export --prompts d: finishes, two prompts. */
static void line_of_spaces_finishes(void) {
    const char *gguf = fixture_path('a', ".gguf");
    const char *dir = prompt_set("spaces", "x", "a\n \nb\n", 6);
    if (!gguf || !dir) return;
    proc_result r = run_bounded("export", "-m", gguf, "--prompts", dir, NULL);
    CHECKF(r.status == 0, "exit %d: %s", r.status, r.err);
    CHECKF(strstr(r.out, "\nx,0,") && strstr(r.out, "\nx,1,") && !strstr(r.out, "\nx,2,"), "want prompts 0 and 1 of x:\n%.300s", r.out);
    proc_free(&r);
    /* tabs, several blank lines, a last line without a newline */
    static const char tabs[] = "\t\na\t \n\t \t\n\n b\n \t";
    dir = prompt_set("tabs", "y.txt", tabs, sizeof tabs - 1);
    r = run_bounded("export", "-m", gguf, "--prompts", dir, NULL);
    CHECKF(r.status == 0 && strstr(r.out, "\ny,1,") && !strstr(r.out, "\ny,2,"), "exit %d: %s", r.status, r.err);
    proc_free(&r);
}

/* The same prompt set with LF, CRLF, CR and BOM + CRLF: the same export, byte for byte. */
static void line_ends_export_alike(void) {
    const char *gguf = fixture_path('a', ".gguf");
    if (!gguf) return;
    static const char lf[] = "def f(x):\n    return x \n \t\n127 * 89\n\n\nlast line\n";
    static const char crlf[] = "def f(x):\r\n    return x \r\n \t\r\n127 * 89\r\n\r\n\r\nlast line\r\n";
    static const char cr[] = "def f(x):\r    return x \r \t\r127 * 89\r\r\rlast line";
    static const char bom[] = "\xef\xbb\xbf" "def f(x):\r\n    return x \r\n \t\r\n127 * 89\r\n\r\n\r\nlast line";
    static const struct { const char *name, *data; size_t len; } forms[] = {
        { "lf", lf, sizeof lf - 1 }, { "crlf", crlf, sizeof crlf - 1 }, { "cr", cr, sizeof cr - 1 }, { "bom", bom, sizeof bom - 1 },
    };
    char *want = NULL;
    for (size_t i = 0; i < sizeof forms / sizeof *forms; i++) {
        const char *dir = prompt_set(forms[i].name, "code.txt", forms[i].data, forms[i].len);
        proc_result r = run_bounded("export", "-m", gguf, "--prompts", dir, "--format", "jsonl", NULL);
        if (CHECKF(r.status == 0, "%s: %s", forms[i].name, r.err)) {
            if (!want) {
                want = strdup(r.out);
                CHECKF(strstr(want, "\"prompt\":2") && !strstr(want, "\"prompt\":3") && !strstr(want, "\\r"), "LF: %.300s", want);
            } else {
                CHECKF(strcmp(r.out, want) == 0, "%s: the export differs from the LF file's", forms[i].name);
            }
        }
        proc_free(&r);
    }
    free(want);
    const char *dir = prompt_set("nul", "x", "a\n\nb\0c\n", 7);
    proc_result r = run_bounded("export", "-m", gguf, "--prompts", dir, NULL);
    CHECKF(is_clean_usage_error(&r) && strstr(r.err, "/nul/x:3: a NUL byte in the line"), "%s", r.err);
    proc_free(&r);
}

/* Config files and key scripts with CRLF, CR and a BOM: the same frame, errors on the right line. */
static void config_and_scripts_alike(void) {
    const char *gguf = fixture_path('a', ".gguf");
    if (!gguf) return;
    static const char *const sep[] = { "\n", "\r\n", "\r", "\r\n" };
    char *want = NULL;
    for (int i = 0; i < 4; i++) {
        char ini[600], keys[600], frame[600], text[1024];
        snprintf(ini, sizeof ini, "%s/c%d.ini", t_tmpdir(), i);
        snprintf(keys, sizeof keys, "%s/s%d.keys", t_tmpdir(), i);
        snprintf(frame, sizeof frame, "%s/f%d.txt", t_tmpdir(), i);
        const char *b = i == 3 ? "\xef\xbb\xbf" : "", *e = sep[i];
        snprintf(text, sizeof text, "%s; view%s[explorer]%sview = sweep%s%s[display]%sascii = yes%s", b, e, e, e, e, e, e);
        t_write_file(ini, text, strlen(text));
        snprintf(text, sizeof text, "%s# keys%sj%s%sl%sframe %s%s", b, e, e, e, e, frame, e);
        t_write_file(keys, text, strlen(text));
        proc_result r = run_bounded("-m", gguf, "--prompt", "The quick brown fox", "--headless", "--size", "90x16", "--config", ini,
                                    "--script", keys, NULL);
        char *f = t_read_file(frame, NULL);
        if (CHECKF(r.status == 0 && f, "form %d: %s", i, r.err)) {
            if (!want) want = strdup(f);
            else CHECKF(strcmp(f, want) == 0, "form %d: a different frame", i);
            CHECKF(strstr(f, " sweep |") != NULL, "form %d: the config's view", i);
        }
        free(f);
        proc_free(&r);
        /* errors: the config's line 4 and the script's line 3, whatever the line ends */
        snprintf(text, sizeof text, "%s[explorer]%s%sview = nowhere%s", b, e, e, e);
        t_write_file(ini, text, strlen(text));
        r = run_bounded("-m", gguf, "--headless", "--config", ini, NULL);
        CHECKF(is_clean_usage_error(&r) && strstr(r.err, ".ini:3: [explorer] view: 'nowhere'"), "form %d: %s", i, r.err);
        proc_free(&r);
        snprintf(text, sizeof text, "%sj%s%sPaddle%s", b, e, e, e);
        t_write_file(keys, text, strlen(text));
        r = run_bounded("-m", gguf, "--headless", "--script", keys, NULL);
        CHECKF(is_clean_usage_error(&r) && strstr(r.err, ".keys:3: 'Paddle' is not a key name"), "form %d: %s", i, r.err);
        proc_free(&r);
    }
    free(want);
}

/* `type TEXT   `: the typed prompt keeps its trailing spaces (the same tokens as --prompt "ab   "). */
static void type_keeps_trailing_spaces(void) {
    const char *gguf = fixture_path('a', ".gguf");
    if (!gguf) return;
    char keys[600], typed[600], given[600], text[1024];
    snprintf(keys, sizeof keys, "%s/type.keys", t_tmpdir());
    snprintf(typed, sizeof typed, "%s/typed.txt", t_tmpdir());
    snprintf(given, sizeof given, "%s/given.txt", t_tmpdir());
    snprintf(text, sizeof text, "e\r\nEnd\r\ntype    \r\nEnter\r\nframe %s\r\n", typed); /* TEXT: three spaces */
    t_write_file(keys, text, strlen(text));
    proc_result r = run_bounded("-m", gguf, "--prompt", "ab", "--headless", "--size", "90x12", "--script", keys, NULL);
    CHECKF(r.status == 0, "%s", r.err);
    proc_free(&r);
    snprintf(text, sizeof text, "frame %s\n", given);
    t_write_file(keys, text, strlen(text));
    r = run_bounded("-m", gguf, "--prompt", "ab   ", "--headless", "--size", "90x12", "--script", keys, NULL);
    CHECKF(r.status == 0, "%s", r.err);
    proc_free(&r);
    char *a = t_read_file(typed, NULL), *b = t_read_file(given, NULL);
    /* the frames up to the status line (which says "prompt run" after Enter) */
    char *la = a ? strrchr(a, '\n') : NULL, *lb = b ? strrchr(b, '\n') : NULL;
    if (la) *la = 0, la = strrchr(a, '\n');
    if (lb) *lb = 0, lb = strrchr(b, '\n');
    if (CHECK(la && lb)) {
        *la = *lb = 0;
        CHECKF(strcmp(a, b) == 0 && strstr(a, "\xc2\xb7\xc2\xb7\xc2\xb7"), "typed:\n%s\ngiven:\n%s", a, b);
    }
    free(a);
    free(b);
}

/* profile --data: the same profile from LF, CRLF, CR and BOM files; errors "FILE:LINE: why". */
static void json_lines_alike(void) {
    const char *gguf = fixture_path('a', ".gguf");
    if (!gguf) return;
    static const char *const sep[] = { "\n", "\r\n", "\r", "\r\n" };
    char data[600], out[600], text[1024];
    snprintf(data, sizeof data, "%s/data.jsonl", t_tmpdir());
    snprintf(out, sizeof out, "%s/profile.json", t_tmpdir());
    char *want = NULL;
    for (int i = 0; i < 4; i++) {
        const char *e = sep[i];
        snprintf(text, sizeof text, "%s{\"text\": \"The cat sat.\"}%s \t%s%s{\"text\": \"127 * 89\", \"n\": 2}%s{\"text\": \"x\"}",
                 i == 3 ? "\xef\xbb\xbf" : "", e, e, e, e);
        t_write_file(data, text, strlen(text));
        proc_result r = run_bounded("profile", "-m", gguf, "--data", data, "-o", out, NULL);
        char *p = t_read_file(out, NULL), *layers = p ? strstr(p, "\"layers\"") : NULL;
        if (CHECKF(r.status == 0 && layers && strstr(p, "\"docs\":3"), "form %d: %s", i, r.err)) {
            if (!want) want = strdup(layers);
            else CHECKF(strcmp(layers, want) == 0, "form %d: a different profile", i);
        }
        free(p);
        proc_free(&r);
    }
    free(want);
    static const struct { const char *text; size_t len; const char *expect; } bad[] = {
        { "{\"text\": \"a\"}\r\r{\"text\": \"b\"\r", 0, "data.jsonl:3: JSON: " },
        { "{\"text\": \"a\"}\r\n{\"text\": \"b\0\"}\r\n", 29, "data.jsonl:2: a NUL byte in the line" },
        { "\n\n[1, 2]\n", 0, "data.jsonl:3: not a JSON object" },
        { "{\"text\": \"a\"}\r{\"body\": \"b\"}", 0, "data.jsonl:2: no string field 'text'" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        t_write_file(data, bad[i].text, bad[i].len ? bad[i].len : strlen(bad[i].text));
        proc_result r = run_bounded("profile", "-m", gguf, "--data", data, "-o", out, NULL);
        CHECKF(is_clean_usage_error(&r) && strstr(r.err, bad[i].expect), "case %zu: %s", i, r.err);
        proc_free(&r);
    }
}

/* --prompt-file and tokenize -f read bytes, not lines: a CRLF file keeps its \r. */
static void files_stay_byte_exact(void) {
    char path[600];
    snprintf(path, sizeof path, "%s/crlf.txt", t_tmpdir());
    t_write_file(path, "Hello\r\nworld\r\n", 14);
    proc_result f = run_bounded("tokenize", "-m", VOCAB, "-f", path, NULL);
    proc_result arg = run_bounded("tokenize", "-m", VOCAB, "Hello\r\nworld\r\n", NULL);
    proc_result lf = run_bounded("tokenize", "-m", VOCAB, "Hello\nworld\n", NULL);
    CHECKF(f.status == 0 && strcmp(f.out, arg.out) == 0 && strcmp(f.out, lf.out) != 0, "-f: '%s', the bytes: '%s', LF: '%s'", f.out, arg.out,
           lf.out);
    proc_free(&arg);
    proc_free(&lf);
    const char *gguf = fixture_path('a', ".gguf");
    if (gguf) {
        proc_result ids = run_bounded("tokenize", "-m", gguf, "-f", path, NULL);
        proc_result t = run_bounded("trace", "-m", gguf, "--prompt-file", path, "--logits", "none", "--json", NULL);
        char err[256], got[512] = "";
        jv *v = t.status == 0 ? jv_parse(t.out, t.out_len, err, sizeof err) : NULL;
        const jv *tokens = jv_get(v, "tokens");
        for (size_t i = 0; tokens && i < tokens->len; i++) {
            size_t n = strlen(got);
            snprintf(got + n, sizeof got - n, "%s%.0f", i ? " " : "", jv_num(jv_at(tokens, i), "id", -1));
        }
        strcat(got, "\n");
        CHECKF(ids.status == 0 && strcmp(got, ids.out) == 0, "--prompt-file: %s, tokenize -f: %s", got, ids.out);
        CHECKF(strstr(t.out, "\\r") != NULL, "--prompt-file drops the \\r: %.200s", t.out);
        jv_free(v);
        proc_free(&ids);
        proc_free(&t);
        /* --ids from a CRLF file's text ("$(cat ids.txt)") */
        proc_result r = run_bounded("trace", "-m", gguf, "--ids", "1 2\r\n3\r\n", "--logits", "none", "--json", NULL);
        CHECKF(r.status == 0 && strstr(r.out, "{\"id\":3"), "--ids with CR: %s", r.err);
        proc_free(&r);
    }
    proc_free(&f);
}

int main(void) {
    t_begin("cli_lines");
    RUN(line_of_spaces_finishes);
    RUN(line_ends_export_alike);
    RUN(config_and_scripts_alike);
    RUN(type_keeps_trailing_spaces);
    RUN(json_lines_alike);
    RUN(files_stay_byte_exact);
    return t_end();
}
